"""A small WHOIS client (RFC 3912, TCP port 43): the registry's country and network name when RDAP has none.

WHOIS is the fallback for IP networks when an RDAP lookup fails (no record, no RDAP service, unreachable), not
when the registry rate-limits us. Like RDAP it is *registered* strength: where a network is registered, not
where a machine is. The query goes to whois.iana.org (or `--whois-server`), whose answer refers to the
registry that holds the block (`refer:`); ARIN-style `ReferralServer: whois://host[:port]` lines are followed
too, at most MAX_HOPS times, never twice to the same server, and never to a private or loopback address other
than the configured server's own host.

WHOIS has no format: records are `key: value` lines in blocks separated by blank lines, with comments after
`%` or `#`. The most specific network block that covers the query gives the country; when it has none (ARIN
puts it in the organisation block), the other `country:` lines must all agree, or the answer is a failure.
Everything the server sends is untrusted: at most `max_bytes` are read, within a total deadline, and the text
kept as evidence is cut and stripped of escape sequences and control characters.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from residency_scan.resolvers.reserved import reserved_range
from residency_scan.resolvers.untrusted import MAX_TEXT, iso_country, sanitise, sanitise_text

DEFAULT_SERVER = ("whois.iana.org", 43)
PORT = 43
MAX_HOPS = 3
MAX_BYTES = 256 * 1024
MAX_TEXT_KEPT = 4000
"""Characters of the final answer kept in evidence (cleaned)."""
TOTAL_TIME_FACTOR = 4
"""`timeout` bounds each socket operation; one server's whole answer gets at most this many timeouts."""

_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}"
                   r"[A-Za-z0-9])?)*\.?$")
_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,40}):[ \t]*(.*)$")
_NO_RECORD = re.compile(r"no (?:entries|match|data) found|no match for|not found", re.IGNORECASE)
_NETWORK_KEYS = ("inetnum", "inet6num", "netrange", "cidr")
_NAME_KEYS = ("netname",)
_ORG_KEYS = ("orgname", "org-name", "organization", "owner", "custname", "descr")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Connect = Callable[[tuple[str, int], float], socket.socket]
"""Opens a TCP connection (socket.create_connection's signature), replaceable in tests."""


def parse_whois_server(text: str) -> tuple[str, int]:
    """`HOST[:PORT]` (IPv6 as `[::1]:4343`) as (host, port); ValueError saying what is expected."""
    value = text.strip()
    host, port = value, PORT
    if value.startswith("["):
        inside, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"expected HOST[:PORT] or [IPv6]:PORT, not {text!r}")
        host, port_text = inside, rest[1:]
        port = _port(port_text, text) if rest else PORT
    elif value.count(":") == 1:
        host, port_text = value.split(":")
        port = _port(port_text, text)
    if not _valid_host(host):
        raise ValueError(f"expected HOST[:PORT] with a host name or an IP address, not {text!r}")
    return host, port


def _port(text: str, whole: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"the port in {whole!r} must be a number from 1 to 65535")
    return int(text)


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(_HOST.match(host))
    return True


@dataclass(frozen=True)
class WhoisAnswer:
    """The outcome of one lookup: the registry's country, or why there is none; `raw` is kept as evidence."""

    query: str
    country: str | None = None
    failure: str | None = None
    first: str | None = None  # the network block's range, when it could be read
    last: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


class WhoisClient:
    """Asks the WHOIS servers about one address at a time (the caller decides concurrency and caching)."""

    def __init__(self, *, server: tuple[str, int] | None = None, timeout: float = 5.0, max_bytes: int = MAX_BYTES,
                 connect: Connect | None = None) -> None:
        self.server = server or DEFAULT_SERVER
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._connect: Connect = connect or socket.create_connection

    def lookup(self, query: str) -> WhoisAnswer:
        """The record for an address, following referrals; every way it can fail is a failure text."""
        try:
            ip = ipaddress.ip_address(query)
        except ValueError:
            return WhoisAnswer(query, failure=f"WHOIS: {sanitise(query, 60)!r} is not an IP address")
        if reserved_range(ip.version, int(ip), int(ip)) is not None:
            return WhoisAnswer(query, failure=f"WHOIS: {query} is a reserved address, not sent to a registry")
        server = self.server
        asked: list[str] = []
        for _ in range(MAX_HOPS + 1):
            label = _label(server)
            asked.append(label)
            try:
                data, truncated = self._ask(server, query)
            except _AskError as exc:
                return WhoisAnswer(query, failure=f"WHOIS: {exc}", raw={"servers": asked})
            text = data.decode("utf-8", errors="replace")
            referral = _referral(text)
            if referral is not None and _label(referral) not in asked and len(asked) <= MAX_HOPS \
                    and self._may_follow(referral):
                server = referral
                continue
            return _answer(query, text, truncated, asked, self._max_bytes)
        return WhoisAnswer(query, failure=f"WHOIS: more than {MAX_HOPS} referrals for {query}",
                           raw={"servers": asked})

    def _may_follow(self, referral: tuple[str, int]) -> bool:
        """A referral to a private or loopback address is not followed (a hostile answer must not make the scan
        talk to internal services), unless it stays on the host of the configured server (a local mirror)."""
        host = referral[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return True
        return host == self.server[0] or reserved_range(ip.version, int(ip), int(ip)) is None

    def _ask(self, server: tuple[str, int], query: str) -> tuple[bytes, bool]:
        deadline = time.monotonic() + TOTAL_TIME_FACTOR * self._timeout
        label = _label(server)
        try:
            with self._connect(server, self._timeout) as sock:
                sock.settimeout(self._timeout)
                sock.sendall(query.encode("ascii") + b"\r\n")
                chunks: list[bytes] = []
                size = 0
                while size <= self._max_bytes:
                    if time.monotonic() > deadline:
                        raise TimeoutError
                    chunk = sock.recv(min(65536, self._max_bytes + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
        except ConnectionRefusedError:
            raise _AskError(f"connection refused by {label}") from None
        except TimeoutError:
            raise _AskError(f"no complete answer from {label} within {self._timeout:g} s (timeout)") from None
        except socket.gaierror as exc:
            raise _AskError(sanitise(f"cannot reach {label}: the name does not resolve ({exc.strerror})")
                            or "cannot reach the server") from None
        except (OSError, UnicodeEncodeError) as exc:
            raise _AskError(sanitise(f"cannot reach {label} ({type(exc).__name__}: {exc})")
                            or "cannot reach the server") from None
        data = b"".join(chunks)
        return data[: self._max_bytes], size > self._max_bytes


class _AskError(Exception):
    """One server could not be asked; the message is the reason."""


def _label(server: tuple[str, int]) -> str:
    host, port = server
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _referral(text: str) -> tuple[str, int] | None:
    """The server the answer refers to: IANA's `refer:` (port 43) or `ReferralServer: whois://host[:port]`."""
    for line in _lines(text):
        match = _KEY.match(line)
        if match is None:
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if key == "refer" and value:
            target = value
        elif key == "referralserver" and value.lower().startswith("whois://"):
            target = value[8:].rstrip("/")
        else:
            continue
        try:
            return parse_whois_server(target)
        except ValueError:
            return None
    return None


def _lines(text: str) -> list[str]:
    """Lines with comments (`%`, `#`) removed; blank lines kept, they separate blocks."""
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.lstrip().startswith(("%", "#")):
            continue
        out.append(line.split("#", 1)[0].rstrip() if "#" in line else line.rstrip())
    return out


def _blocks(text: str) -> list[list[tuple[str, str]]]:
    blocks: list[list[tuple[str, str]]] = [[]]
    for line in _lines(text):
        if not line.strip():
            if blocks[-1]:
                blocks.append([])
            continue
        match = _KEY.match(line)
        if match is not None:
            blocks[-1].append((match.group(1).lower(), match.group(2).strip()))
    return [block for block in blocks if block]


def _range(value: str) -> tuple[int, int, int] | None:
    """(version, first, last) of `a - b` or a CIDR (the first of a comma-separated list); None if unreadable."""
    try:
        if "-" in value and "/" not in value:
            low, high = (ipaddress.ip_address(part.strip()) for part in value.split("-", 1))
            if low.version != high.version or int(low) > int(high):
                return None
            return low.version, int(low), int(high)
        network = ipaddress.ip_network(value.split(",")[0].strip(), strict=False)
    except ValueError:
        return None
    return network.version, int(network.network_address), int(network.broadcast_address)


def _most_specific(blocks: list[list[tuple[str, str]]], target: IPAddress
                   ) -> tuple[list[tuple[str, str]], tuple[str, str]] | None:
    """The network block with the smallest range covering the address, and that range."""
    best: tuple[int, list[tuple[str, str]], tuple[int, int, int]] | None = None
    for block in blocks:
        for key, value in block:
            span = _range(value) if key in _NETWORK_KEYS else None
            if span is None or span[0] != target.version or not span[1] <= int(target) <= span[2]:
                continue
            if best is None or span[2] - span[1] < best[0]:
                best = (span[2] - span[1], block, span)
    if best is None:
        return None
    version, low, high = best[2]
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return best[1], (str(make(low)), str(make(high)))


def _answer(query: str, text: str, truncated: bool, asked: list[str], max_bytes: int) -> WhoisAnswer:
    """Read the record out of the final answer."""
    server = asked[-1]
    raw: dict[str, Any] = {"servers": asked, "text": sanitise_text(text, MAX_TEXT_KEPT)}
    if truncated:
        raw["truncated"] = f"answer cut at {max_bytes} bytes"
    blocks = _blocks(text)
    found = _most_specific(blocks, ipaddress.ip_address(query))
    block, span = found if found is not None else ([], None)
    if span is not None:
        raw["range"] = f"{span[0]} - {span[1]}"
    others = [b for b in blocks if not any(k in _NETWORK_KEYS for k, _ in b)]  # organisation, customer...
    for name, keys, pool in (("netname", _NAME_KEYS, [block]), ("org", _ORG_KEYS, [block, *others])):
        value = sanitise(next((v for key in keys for b in pool for k, v in b if k == key), None))
        if value is not None:
            raw[name] = value
    if found is None:
        if _NO_RECORD.search(text):
            failure = f"WHOIS: no record for {query} at {server}"
        else:
            cut = f" (cut at {max_bytes} bytes)" if truncated else ""
            failure = f"WHOIS: the answer from {server}{cut} shows no network that holds {query}"
        return WhoisAnswer(query, failure=failure, raw=raw)
    # NOTE: the network's own country first; ARIN puts it in the organisation block, so then the country lines
    # of the blocks that are not networks (organisation, customer) must all agree. Another network's country
    # (a more specific block for other addresses) never counts.
    countries = {c for k, v in block if k == "country" and (c := iso_country(v))}
    if not countries:
        countries = {c for b in others for k, v in b if k == "country" and (c := iso_country(v))}
    if len(countries) == 1:
        raw["country"] = country = next(iter(countries))
        return WhoisAnswer(query, country=country, first=span[0] if span else None, last=span[1] if span else None,
                           raw=raw)
    if countries:
        failure = f"WHOIS: the answer from {server} names several countries ({', '.join(sorted(countries))}) " \
                  f"for {query}"
    elif truncated:
        failure = f"WHOIS: the answer from {server} was cut at {max_bytes} bytes and names no country for {query}"
    else:
        failure = f"WHOIS: the answer from {server} names no country for {query}"
    return WhoisAnswer(query, failure=failure, raw=raw)


__all__ = ["DEFAULT_SERVER", "MAX_TEXT", "WhoisAnswer", "WhoisClient", "parse_whois_server"]
