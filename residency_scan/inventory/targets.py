"""Parse what an inventory says an asset *is* on the network: a hostname, an address, a network or a URL.

Resolvers look `Target.host` up, so it is canonical: hostnames in lower case, without the trailing dot, and
internationalised names as their punycode A-label; addresses and networks in Python's canonical form.

Refusals (each a `TargetError`, a `ValueError` with a hint):
- a network with host bits set (`10.0.0.1/24`): the user meant either the address or the network, and
  guessing would locate the wrong thing; the hint names both;
- URL schemes other than those in `URL_SCHEMES`, URLs without a host, and URLs with a password (it would be
  copied into every report);
- hostnames over 253 characters, labels over 63, characters outside letters, digits, '-' and '_' (DNS
  allows '_', CMDB exports use it), wildcards;
- internationalised names holding 'ß', 'ς', ZWJ or ZWNJ, which IDNA 2003 (Python's codec) and IDNA 2008
  encode differently: the user is asked for the A-label rather than having one of the two guessed;
- control characters, whitespace and IPv6 zone indexes (`%eth0`, a local interface, not a location).

`host:port` and `[v6]:port` are accepted without a scheme. A URL's `port` is the explicit one, else the
scheme's well-known port (what a TLS or banner check would connect to); `tcp://` needs an explicit port.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

from residency_scan.inventory.suggest import one_of, shown
from residency_scan.models import Target, TargetKind

#: Accepted URL schemes and the port each implies when the URL names none.
URL_SCHEMES: dict[str, int | None] = {
    "http": 80, "https": 443, "ssh": 22, "sftp": 22, "rdp": 3389, "ldap": 389, "ldaps": 636,
    "ftp": 21, "ftps": 990, "tcp": None,
}
MAX_TARGET_LENGTH = 2048
MAX_HOSTNAME_LENGTH = 253
MAX_LABEL_LENGTH = 63

_ASCII_FORBIDDEN = re.compile(r"[^\x21-\x7e]")
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zs", "Zl", "Zp"})
_IDNA_DEVIATIONS = {"ß": "sharp s", "ς": "final sigma", "\u200c": "ZWNJ", "\u200d": "ZWJ"}
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")
_LABEL_CHARS = re.compile(r"[^a-z0-9_-]")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")
_IDNA_DOTS = re.compile("[\u3002\uff0e\uff61]")


class TargetError(ValueError):
    """A target that cannot be parsed; `hint` says how to write it instead."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def parse_target(raw: str) -> Target:
    """Parse a hostname, IPv4/IPv6 address, CIDR network or URL, or raise `TargetError` saying why not."""
    text = raw.strip()
    if not text:
        raise TargetError("is empty", "write a hostname, an IP address, a network (CIDR) or a URL")
    if len(text) > MAX_TARGET_LENGTH:
        raise TargetError(f"is {len(text)} characters long, over the limit of {MAX_TARGET_LENGTH}")
    refuse_unsafe_characters(text)
    if "://" in text:
        return _parse_url(text)
    if "/" in text:
        return _parse_network(text)
    host, port = _split_port(text)
    address = _address_or_none(host)
    if address is not None:
        return Target(raw=text, kind=TargetKind.IP, host=address, port=port)
    return Target(raw=text, kind=TargetKind.HOSTNAME, host=canonical_hostname(host), port=port)


def refuse_unsafe_characters(text: str) -> None:
    """Refuse whitespace, control and format characters (bidi overrides included) in an identifier."""
    if text.isascii():
        found = _ASCII_FORBIDDEN.search(text)
        bad = found.group() if found else None
    else:
        bad = next((c for c in text if unicodedata.category(c) in _FORBIDDEN_CATEGORIES), None)
    if bad is not None:
        what = "a space" if bad == " " else f"the control or invisible character {shown(bad)}"
        raise TargetError(f"contains {what} at position {text.index(bad) + 1}",
                          "write the name or address alone, without spaces or invisible characters")


def canonical_hostname(name: str) -> str:
    """The lower-case A-label form of a hostname, trailing dot removed; raises `TargetError`."""
    host = name[:-1] if name.endswith(".") else name
    if not host:
        raise TargetError("has no hostname")
    if not host.isascii():
        host = _to_ascii(host)
    host = host.lower()
    if len(host) > MAX_HOSTNAME_LENGTH:
        raise TargetError(f"hostname is {len(host)} characters long, over the DNS limit of "
                          f"{MAX_HOSTNAME_LENGTH}")
    labels = host.split(".")
    for label in labels:
        _check_label(label, name)
    if labels[-1].isdigit():
        raise TargetError(f"{shown(name)} ends with the all-digit label {shown(labels[-1])}, "
                          "which no top-level domain is")
    return host


def _check_label(label: str, name: str) -> None:
    if not label:
        raise TargetError(f"{shown(name)} has an empty label (two dots in a row, or a leading dot)")
    if len(label) > MAX_LABEL_LENGTH:
        raise TargetError(f"label {shown(label, 20)} is {len(label)} characters long, over the DNS limit "
                          f"of {MAX_LABEL_LENGTH}")
    if _LABEL.fullmatch(label):
        if label.startswith("xn--"):
            _check_a_label(label)
        return
    bad = _LABEL_CHARS.search(label)
    if bad is None:
        raise TargetError(f"label {shown(label)} starts or ends with '-'")
    if bad.group() == "*":
        raise TargetError(f"{shown(name)} is a wildcard, not a host", "list each host as its own asset")
    raise TargetError(f"hostname {shown(name)} contains the invalid character {shown(bad.group())}",
                      "a hostname has letters, digits, '-' and '.'; for a URL, write its scheme "
                      "(https://…)")


def _check_a_label(label: str) -> None:
    try:
        label.encode("ascii").decode("idna")
    except UnicodeError:
        raise TargetError(f"label {shown(label)} is not valid punycode") from None


def _to_ascii(host: str) -> str:
    for char, name in _IDNA_DEVIATIONS.items():
        if char in host:
            raise TargetError(
                f"{shown(host)} contains {name} ({shown(char)}), which IDNA 2003 and IDNA 2008 encode "
                "differently", "write the A-label (xn--…) that your DNS zone actually uses")
    try:
        return _IDNA_DOTS.sub(".", host).encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise TargetError(f"{shown(host)} is not a valid internationalised domain name ({exc})") from None


def _split_port(text: str) -> tuple[str, int | None]:
    """Split `host:port` or `[v6]:port`; a bare IPv6 address has several ':' and no port."""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise TargetError(f"{shown(text)} opens '[' without closing it")
        host, rest = text[1:end], text[end + 1:]
        if ":" not in host:
            raise TargetError(f"{shown(text)}: only an IPv6 address goes between '[' and ']'")
        if not rest:
            return host, None
        if not rest.startswith(":"):
            raise TargetError(f"unexpected {shown(rest)} after ']'", "write [address]:port")
        return host, _port(rest[1:])
    if text.count(":") == 1:
        host, port_text = text.split(":")
        return host, _port(port_text)
    return text, None


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise TargetError(f"port {shown(text)} is not a number")
    port = int(text)
    if not 1 <= port <= 65535:
        raise TargetError(f"port {port} is out of range", "a port is between 1 and 65535")
    return port


def _address_or_none(host: str) -> str | None:
    """The canonical address if `host` is an IP address, None if it is meant as a name."""
    if ":" not in host and not _DOTTED_NUMBERS.fullmatch(host):
        return None
    if "%" in host:
        raise TargetError(f"{shown(host)} has a zone index ('%…'), which names a local interface",
                          "write the address without '%…'")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        if ":" in host:
            raise TargetError(f"{shown(host)} is not a valid IPv6 address",
                              "an IPv6 address has up to eight groups of hex digits, e.g. 2001:db8::10"
                              ) from None
        raise TargetError(f"{shown(host)} is not a valid IPv4 address",
                          "an IPv4 address has four numbers from 0 to 255 without leading zeros, "
                          "e.g. 192.0.2.10") from None


def _parse_network(text: str) -> Target:
    address, _, prefix = text.partition("/")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise TargetError(f"{shown(text)} is neither a network (CIDR) nor a URL",
                          f"write a URL with its scheme ({shown('https://' + text)}) or a network as "
                          "10.0.0.0/24") from None
    longest = ip.max_prefixlen
    if not (prefix.isascii() and prefix.isdigit()) or int(prefix) > longest:
        raise TargetError(f"{shown(text)} has an invalid prefix length {shown(prefix)}",
                          f"an IPv{ip.version} prefix length is a number from 0 to {longest}")
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        network = ipaddress.ip_network(text, strict=False)
        raise TargetError(f"{shown(text)} has host bits set",
                          f"write the network {network} or the single address {ip}") from None
    return Target(raw=text, kind=TargetKind.CIDR, host=str(network))


def _parse_url(text: str) -> Target:
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise TargetError(f"{shown(text)} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        raise TargetError(f"URL scheme {shown(parts.scheme)} is not supported",
                          f"use {one_of(URL_SCHEMES)}")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not hostport:
        raise TargetError(f"URL {shown(text)} has no host", f"write {scheme}://host/…")
    if at and ":" in userinfo:
        raise TargetError("URL contains a password",
                          "remove the credentials: the inventory is copied into every report")
    host, port = _split_port(hostport)
    if not host:
        raise TargetError(f"URL {shown(text)} has no host", f"write {scheme}://host/…")
    if port is None:
        port = URL_SCHEMES[scheme]
        if port is None:
            raise TargetError(f"a {scheme}:// URL needs a port", f"write {scheme}://host:port")
    address = _address_or_none(host)
    canonical = address if address is not None else canonical_hostname(host)
    return Target(raw=text, kind=TargetKind.URL, host=canonical, port=port, scheme=scheme)
