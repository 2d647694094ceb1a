"""One HTTPS exchange with an https target: which addresses its name has, and what each address showed.

The name is resolved here, not by the operating system's connect call, so that the scan's own DNS servers
(`--dns-server`) are used when given and every address is known: the TLS edge resolver connects to each
address (SNI and Host header = the name) and says which edge answered there. A certificate that does not
validate is still recorded (a self-signed admin console is evidence), so a verified connection that fails on
the certificate is made again unverified. Every value a server sends is hostile: it is cleaned and capped.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.exception
import dns.nameserver
import dns.resolver
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from residency_scan.resolvers.dns_transport import Nameserver

USER_AGENT = "residency-scan"
MAX_VALUE_CHARS = 256  # hostile servers: a header or certificate field is cut to this before it is kept
MAX_HEADERS_KEPT = 64
MAX_ADDRESSES = 8
"""Addresses of one name connected to; more are listed as not examined."""
_CONTROL = {"Cc", "Cf", "Zl", "Zp"}


def clean(value: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Strip control/format characters (ANSI escapes, bidi overrides) and cap the length: server text is hostile."""
    text = "".join(ch for ch in value[: limit * 4] if unicodedata.category(ch) not in _CONTROL)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------- names


@dataclass(frozen=True)
class Addresses:
    """What a target's name resolved to: the addresses to connect to, or why there are none."""

    addresses: tuple[str, ...] = ()
    failure: str | None = None
    skipped: tuple[str, ...] = ()  # beyond MAX_ADDRESSES
    resolver: str = "literal"  # "literal", "system", or the --dns-server list


def resolve_host(host: str, port: int, *, nameservers: Sequence[Nameserver], timeout: float) -> Addresses:
    """The addresses of `host`: itself when it is an IP literal, else asked of `nameservers` or the system."""
    try:
        return Addresses((str(ipaddress.ip_address(host.strip("[]"))),))
    except ValueError:
        pass
    if nameservers:
        found, failure = _ask_nameservers(host, nameservers, timeout)
        label = ",".join(map(str, nameservers))
    else:
        found, failure = _ask_system(host, port)
        label = "system"
    if not found:
        return Addresses(failure=failure or f"{host} has no A/AAAA records", resolver=label)
    unique = list(dict.fromkeys(found))
    return Addresses(tuple(unique[:MAX_ADDRESSES]), skipped=tuple(unique[MAX_ADDRESSES:]), resolver=label)


def _ask_nameservers(host: str, nameservers: Sequence[Nameserver], timeout: float) -> tuple[list[str], str | None]:
    stub = dns.resolver.Resolver(configure=False)
    stub.nameservers = [dns.nameserver.Do53Nameserver(ns.address, ns.port) for ns in nameservers]
    stub.lifetime = stub.timeout = timeout
    found: list[str] = []
    problems: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            answer = stub.resolve(host, rdtype, search=False)
        except dns.resolver.NXDOMAIN:
            return [], clean(f"{host} does not resolve (NXDOMAIN)")
        except dns.resolver.NoAnswer:
            continue
        except dns.exception.Timeout:
            problems.append(f"{rdtype}: no answer within {timeout:g} s (timeout)")
            continue
        except dns.exception.DNSException as exc:
            problems.append(clean(f"{rdtype}: {exc}", 160))
            continue
        found += [rdata.to_text() for rdata in answer]
    if problems and not found:
        return [], clean(f"{host} could not be resolved: " + "; ".join(problems))
    return found, None


def _ask_system(host: str, port: int) -> tuple[list[str], str | None]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return [], clean(f"{host} does not resolve ({exc.strerror})")
    except (OSError, UnicodeError) as exc:
        return [], clean(f"{host} could not be resolved ({exc})")
    return [str(info[4][0]).split("%")[0] for info in infos], None


# --------------------------------------------------------------------------------------------- exchange


@dataclass
class Exchange:
    """What one HTTPS connection showed: the certificate, whether it validated, and the response head."""

    certificate: dict[str, Any]
    validates: bool
    verify_error: str | None
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    truncated: bool = False

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]


def describe_certificate(der: bytes | None) -> dict[str, Any]:
    if not der:
        return {"error": "the server presented no certificate"}
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        return {"error": clean(f"certificate not decodable: {exc}")}

    def common_name(name: x509.Name) -> str | None:
        attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
        return clean(str(attrs[0].value)) if attrs else None

    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = [clean(str(n)) for n in ext.get_values_for_type(x509.DNSName)]
        sans += [clean(str(a)) for a in ext.get_values_for_type(x509.IPAddress)]
    except (x509.ExtensionNotFound, ValueError):
        sans = []
    return {"subject": clean(cert.subject.rfc4514_string()), "subject_cn": common_name(cert.subject),
            "sans": sans[:MAX_HEADERS_KEPT], "issuer": clean(cert.issuer.rfc4514_string()),
            "issuer_cn": common_name(cert.issuer), "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(), "sha256": cert.fingerprint(hashes.SHA256()).hex()}


def parse_head(data: bytes) -> tuple[int | None, list[tuple[str, str]]]:
    """Status and headers (names lower case) of a response head; garbage gives (None, [])."""
    lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    match = re.match(r"^HTTP/\d(?:\.\d)? (\d{3})", lines[0])
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            headers.append((name.lower(), value.strip()))
    return (int(match.group(1)) if match else None), headers


class FetchError(Exception):
    """A connection that gave nothing usable; its message is the failure reason."""


class Contexts:
    """The verified and unverified TLS contexts, made once per scan (loading the CA store is not free)."""

    def __init__(self, ca_file: Path | None) -> None:
        self.verified = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        self.unverified = ssl.create_default_context()
        self.unverified.check_hostname, self.unverified.verify_mode = False, ssl.CERT_NONE


def _request(host: str, address: str, port: int, *, timeout: float, context: ssl.SSLContext, method: str,
             max_bytes: int) -> tuple[bytes | None, bytes, bool]:
    with socket.create_connection((address, port), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
        authority = f"[{host}]" if ":" in host else host
        authority += "" if port == 443 else f":{port}"
        tls.sendall(f"{method} / HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {USER_AGENT}\r\n"
                    "Accept: */*\r\nConnection: close\r\n\r\n".encode("ascii"))
        data = b""
        while b"\r\n\r\n" not in data and len(data) < max_bytes:
            chunk = tls.recv(min(4096, max_bytes - len(data)))
            if not chunk:
                break
            data += chunk
        return der, data, b"\r\n\r\n" not in data and len(data) >= max_bytes


def fetch(host: str, port: int, *, address: str | None = None, timeout: float, contexts: Contexts,
          max_bytes: int) -> Exchange:
    """HEAD (GET if refused) to `address` with SNI `host`; on a certificate error, again unverified."""
    address = address or host
    who = host if address == host else f"{host} ({address})"
    context, validates, verify_error = contexts.verified, True, None
    try:
        for method in ("HEAD", "GET"):
            try:
                der, data, truncated = _request(host, address, port, timeout=timeout, context=context,
                                                method=method, max_bytes=max_bytes)
            except ssl.SSLCertVerificationError as exc:
                if not validates:
                    raise
                context, validates = contexts.unverified, False
                verify_error = clean(exc.verify_message or str(exc))
                der, data, truncated = _request(host, address, port, timeout=timeout, context=context,
                                                method=method, max_bytes=max_bytes)
            status, headers = parse_head(data)
            if method == "GET" or (status is not None and status not in (405, 501)):
                break
    except ConnectionRefusedError:
        raise FetchError(f"connection refused by {who} port {port}") from None
    except TimeoutError:
        raise FetchError(f"no answer from {who} port {port} within {timeout:g} s (timeout)") from None
    except socket.gaierror as exc:
        raise FetchError(clean(f"{host} does not resolve ({exc.strerror})")) from None
    except ssl.SSLError as exc:
        raise FetchError(clean(f"TLS handshake with {who} port {port} failed: {exc.reason or exc}")) from None
    except OSError as exc:
        raise FetchError(clean(f"connection to {who} port {port} failed: {exc.strerror or exc}")) from None
    return Exchange(describe_certificate(der), validates, verify_error, status,
                    [(clean(k, 64), clean(v)) for k, v in headers[:MAX_HEADERS_KEPT]], truncated)
