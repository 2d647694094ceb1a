"""Names before they are asked, and nameservers before they are used: checked, canonical, never guessed.

A name that cannot be a DNS name is a failure of that asset, decided here before any packet is sent: over 253
characters, a label over 63, an empty label, a character a hostname cannot hold, or an internationalised name
that does not encode. Internationalised names go both ways: a U-label is encoded to its punycode A-label (what
the DNS holds), and an A-label is checked to decode, its Unicode form kept for people to read.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import dns.exception
import dns.name

from residency_scan.errors import UsageError
from residency_scan.resolvers.dns_transport import Nameserver
from residency_scan.resolvers.dns_wire import wire_name

DEFAULT_PORT = 53
MAX_NAME_LENGTH = 253
MAX_LABEL_LENGTH = 63
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")
_IDNA_DOTS = re.compile("[\u3002\uff0e\uff61]")
_IDNA_DEVIATIONS = {"ß": "sharp s", "ς": "final sigma", "\u200c": "ZWNJ", "\u200d": "ZWJ"}


@dataclass(frozen=True)
class CheckedName:
    """A name fit to be asked: `wire` its wire form, `text` its canonical text (lower case, no final dot,
    escaped like an answer's names: see dns_wire)."""

    wire: bytes
    text: str
    unicode: str | None = None  # the U-label form, when the name is internationalised


ROOT = CheckedName(b"\x00", ".")


def check_name(host: str) -> CheckedName | str:
    """The name to ask for `host`, or the reason (a string) why it cannot be a DNS name."""
    text = host[:-1] if host.endswith(".") else host
    if not text:
        return "invalid DNS name: empty"
    if not text.isascii():
        encoded = _to_a_labels(text)
        if encoded.startswith("invalid"):
            return encoded
        text = encoded
    text = text.lower()
    if len(text) > MAX_NAME_LENGTH:
        return f"invalid DNS name: {len(text)} characters long, over the limit of {MAX_NAME_LENGTH}"
    labels = text.split(".")
    for label in labels:
        problem = _label_problem(label)
        if problem:
            return f"invalid DNS name: {problem}"
    shown = None
    if any(label.startswith("xn--") for label in labels):
        try:
            shown = text.encode("ascii").decode("idna")
        except UnicodeError:
            return "invalid DNS name: a label starting with 'xn--' is not valid punycode"
    wire = wire_name([label.encode("ascii") for label in labels])
    return CheckedName(wire=wire, text=text, unicode=shown if shown != text else None)


def answer_name(text: str) -> CheckedName | None:
    """A name met in an answer (or read back from the cache), to be asked in turn; None if it cannot be."""
    if text == ".":
        return ROOT
    if not text.isascii():
        return None
    if "\\" not in text:
        labels = text.split(".")
        if all(0 < len(label) <= MAX_LABEL_LENGTH for label in labels) and len(text) <= MAX_NAME_LENGTH:
            return CheckedName(wire_name([label.encode("ascii", "replace") for label in labels]), text)
        return None
    try:  # escaped octets (\032, \"): dnspython reads presentation format exactly
        wire = dns.name.from_text(text).to_wire()
    except (dns.exception.DNSException, UnicodeError, ValueError):
        return None
    return CheckedName(wire, text) if wire is not None else None


def parent(name: CheckedName) -> CheckedName | None:
    """The enclosing name (one label less), None above the root."""
    if name.text == ".":
        return None
    if "\\" not in name.text:
        _, _, rest = name.text.partition(".")
        return answer_name(rest or ".")
    try:
        return answer_name(name_text(dns.name.from_text(name.text).parent()))
    except (dns.exception.DNSException, UnicodeError, ValueError):
        return None


def _label_problem(label: str) -> str | None:
    if not label:
        return "empty label (two dots in a row, or a leading dot)"
    if len(label) > MAX_LABEL_LENGTH:
        return f"label {label[:20]!r}... is {len(label)} characters long, over the limit of {MAX_LABEL_LENGTH}"
    if not _LABEL.fullmatch(label):
        if re.fullmatch(r"[a-z0-9_-]+", label):
            return f"label {label!r} starts or ends with '-'"
        return f"label {label[:70]!r} holds a character a hostname cannot have (letters, digits, '-', '_')"
    return None


def _to_a_labels(text: str) -> str:
    for char, what in _IDNA_DEVIATIONS.items():
        if char in text:
            return (f"invalid DNS name: holds {what}, which IDNA 2003 and IDNA 2008 encode differently; "
                    "write the A-label (xn--...)")
    try:
        return _IDNA_DOTS.sub(".", text).encode("idna").decode("ascii")
    except UnicodeError as error:
        return f"invalid DNS name: not a valid internationalised name ({error})"


def name_text(name: dns.name.Name) -> str:
    """A name from an answer as inert text: escaped presentation format, lower case, no final dot."""
    return name.to_text(omit_final_dot=True).lower()


def parse_nameserver(text: str) -> Nameserver:
    """"HOST", "HOST:PORT" or "[IPv6]:PORT" as a nameserver; raises UsageError.

    HOST must be an IP address: resolving the nameserver's own name would need the DNS we are configuring.
    A bare IPv6 address ("::1") is accepted and uses port 53.
    """
    spec = text.strip()
    host, port_text = spec, ""
    if spec.startswith("["):
        end = spec.find("]")
        rest = spec[end + 1 :] if end > 0 else "?"
        if rest and not rest.startswith(":"):
            raise _bad_nameserver(text, "expected [IPv6]:PORT")
        host, port_text = spec[1:end], rest[1:]
    elif spec.count(":") == 1:
        host, port_text = spec.split(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise _bad_nameserver(text, "the host must be an IP address") from None
    port = DEFAULT_PORT
    if port_text or spec.endswith(":"):
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _bad_nameserver(text, "the port must be a number between 1 and 65535")
        port = int(port_text)
    return Nameserver(str(address), port)


def _bad_nameserver(text: str, why: str) -> UsageError:
    return UsageError(f"nameserver {text!r}: {why} (use HOST, HOST:PORT or [IPv6]:PORT)")
