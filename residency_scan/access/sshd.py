"""What an OpenSSH server says when it lets someone in: the `Accepted <method> for <user> from <addr>` message.

Shared by the syslog and journal readers. Only accepted authentications count: failed attempts are not
administration. The log may come from a machine an attacker controls, so the user name is kept as data —
control characters escaped, length capped — and the address is taken from the *last* " from … port N" of the
message, so that a user name containing " from " cannot choose the address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from residency_scan.inventory.suggest import printable

SSHD_PROGRAMS = frozenset({"sshd", "sshd-session", "sshd-auth"})
"""OpenSSH's program names: since 9.8 the per-connection process logs as `sshd-session`."""
MAX_USER = 128
MAX_SOURCE = 255
MAX_HOST = 255

_ACCEPTED = re.compile(r"Accepted (?P<method>[a-z][a-z0-9-]*(?:/[a-z0-9-]+)?) for (?P<rest>.+)", re.DOTALL)
_FROM_PORT = re.compile(r"(?P<source>\S+) port \d{1,5}(?: .*)?", re.DOTALL)
_FROM = " from "


@dataclass(frozen=True, slots=True)
class Accepted:
    """An accepted authentication: who, from where, how (`method` as sshd names it: publickey, password…)."""

    user: str
    source: str
    method: str


def looks_accepted(line: str) -> bool:
    """Whether a line that could not be read reads like an sshd accepted login: worth reporting, since the
    login the rule needs may be the one that was lost."""
    return "Accepted " in line and "sshd" in line


def parse_accepted(message: str) -> Accepted | None:
    """The accepted login a sshd message reports, or None for any other message."""
    found = _ACCEPTED.match(message)
    if found is None:
        return None
    rest = found["rest"]
    cut = rest.rfind(_FROM)
    if cut <= 0:
        return None
    address = _FROM_PORT.fullmatch(rest, cut + len(_FROM))
    if address is None:
        return None
    return Accepted(user=printable(rest[:cut], MAX_USER), source=printable(address["source"], MAX_SOURCE),
                    method=found["method"])


def safe_host(host: str) -> str:
    """A host name as logged, made safe to show and compare."""
    return printable(host, MAX_HOST)
