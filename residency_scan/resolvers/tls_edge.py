"""Where HTTPS traffic is decrypted: the certificate an https target presents and the CDN edge that answers.

A CDN that terminates TLS decrypts and processes the traffic at the edge that served the request, so an edge
code abroad (cf-ray `…-CDG`, x-amz-cf-pop `CDG50-C1`, Fastly x-served-by `cache-cdg…-CDG`) is *authoritative*
evidence that the data leaves the country, whatever the origin's address says. The edge names itself with an
IATA airport code, mapped to a country with the shipped `iata_countries.csv` (built from airportsdata).

What the headers mean (see VENDORS.md §2): Cloudflare's cf-ray ends in `-<IATA>`; CloudFront's x-amz-cf-pop
starts with the IATA code (inferred from AWS's location naming, the header page itself was not found); Fastly's
X-Served-By lists one `cache-<pop><node>-<POP>` per Fastly POP the request went through (several with
shielding). Every listed Fastly POP handled the traffic in clear, so each one becomes a claim: this does not
depend on which end of the list is the shield. Akamai and Google were NOT researched: a `server: AkamaiGHost`
or a `via` naming a CDN without a readable edge header yields a failure, so the asset stays unknown — never
compliant. A certificate that does not validate is still recorded (a self-signed admin console is evidence).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import socket
import ssl
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from residency_scan.errors import DatasetError
from residency_scan.models import Asset, Claim, DataSource, Evidence, Strength, TargetKind
from residency_scan.resolvers.datafiles import ISO_3166_ALPHA2
from residency_scan.resolvers.interface import Resolver

DATASET_FILE = "iata_countries.csv"
DATASET_ID = "iata-airports"
USER_AGENT = "residency-scan"
MAX_VALUE_CHARS = 256  # hostile servers: a header or certificate field is cut to this before it is kept
MAX_HEADERS_KEPT = 64
_MAX_TABLE_BYTES = 1024 * 1024

_CF_RAY = re.compile(r"^[0-9a-f]+-([A-Za-z]{3})$")
_CF_POP = re.compile(r"^([A-Za-z]{3})\d+(?:-[A-Za-z0-9]+)?$")
_FASTLY = re.compile(r"^cache-[a-z]{3,}\d+-([A-Za-z]{3})$")
_CONTROL = {"Cc", "Cf", "Zl", "Zp"}


def clean(value: str, limit: int = MAX_VALUE_CHARS) -> str:
    """Strip control/format characters (ANSI escapes, bidi overrides) and cap the length: server text is hostile."""
    text = "".join(ch for ch in value[: limit * 4] if unicodedata.category(ch) not in _CONTROL)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------- IATA table


@dataclass(frozen=True)
class IataTable:
    """IATA code -> ISO country, with the provenance that becomes the `iata-airports` DataSource."""

    countries: dict[str, str]
    info: dict[str, str]
    sha256: str

    def data_source(self) -> DataSource:
        return DataSource(id=DATASET_ID, name=self.info.get("name", DATASET_ID), version=self.info["version"],
                          date=date.fromisoformat(self.info["date"]), licence=self.info.get("licence", "unknown"),
                          url=self.info.get("url"), attribution=self.info.get("attribution"), sha256=self.sha256)


def load_iata_table(path: Path | None = None) -> IataTable:
    """Read the shipped table (or `path`); a malformed table is a broken installation (DatasetError)."""
    display = str(path) if path is not None else f"residency_scan/data/{DATASET_FILE}"
    try:
        raw = path.read_bytes() if path is not None else \
            resources.files("residency_scan.data").joinpath(DATASET_FILE).read_bytes()
    except OSError as exc:
        raise DatasetError(f"{display}: dataset not readable ({exc.strerror or exc})") from None
    if len(raw) > _MAX_TABLE_BYTES:
        raise DatasetError(f"{display}: dataset is {len(raw)} bytes, over {_MAX_TABLE_BYTES}")
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{display}: dataset is not UTF-8 (byte {exc.start})") from None
    info = {k.strip(): v.strip() for k, _, v in (ln[1:].partition(":") for ln in lines if ln.startswith("#"))}
    body = [ln for ln in lines if not ln.startswith("#")]
    if not body or body[0] != "iata,country":
        raise DatasetError(f"{display}: expected the header line 'iata,country'")
    countries: dict[str, str] = {}
    for number, row in enumerate(csv.reader(io.StringIO("\n".join(body[1:]))), start=2):
        if len(row) != 2 or not re.fullmatch(r"[A-Z]{3}", row[0]) or row[1] not in ISO_3166_ALPHA2 \
                or row[0] in countries:
            raise DatasetError(f"{display}: data row {number}: bad or duplicate row {row!r}")
        countries[row[0]] = row[1]
    try:
        date.fromisoformat(info.get("date", ""))
        if "version" not in info:
            raise ValueError("no version")
    except ValueError:
        raise DatasetError(f"{display}: header comments need '# version:' and '# date: YYYY-MM-DD'") from None
    return IataTable(countries, info, hashlib.sha256(raw).hexdigest())


# --------------------------------------------------------------------------------------------- fetching


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


def _request(host: str, port: int, *, timeout: float, context: ssl.SSLContext, method: str,
             max_bytes: int) -> tuple[bytes | None, bytes, bool]:
    with socket.create_connection((host, port), timeout=timeout) as raw, \
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


def fetch(host: str, port: int, *, timeout: float, ca_file: Path | None, max_bytes: int) -> Exchange:
    """Connect verified; on a certificate error reconnect unverified, so the certificate is still recorded."""
    verified = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
    context, validates, verify_error = verified, True, None
    try:
        for method in ("HEAD", "GET"):
            try:
                der, data, truncated = _request(host, port, timeout=timeout, context=context, method=method,
                                                max_bytes=max_bytes)
            except ssl.SSLCertVerificationError as exc:
                if not validates:
                    raise
                context, validates = unverified, False
                verify_error = clean(exc.verify_message or str(exc))
                der, data, truncated = _request(host, port, timeout=timeout, context=context, method=method,
                                                max_bytes=max_bytes)
            status, headers = parse_head(data)
            if method == "GET" or (status is not None and status not in (405, 501)):
                break
    except ConnectionRefusedError:
        raise FetchError(f"connection refused by {host} port {port}") from None
    except TimeoutError:
        raise FetchError(f"no answer from {host} port {port} within {timeout:g} s (timeout)") from None
    except socket.gaierror as exc:
        raise FetchError(clean(f"{host} does not resolve ({exc.strerror})")) from None
    except ssl.SSLError as exc:
        raise FetchError(clean(f"TLS handshake with {host} port {port} failed: {exc.reason or exc}")) from None
    except OSError as exc:
        raise FetchError(clean(f"connection to {host} port {port} failed: {exc.strerror or exc}")) from None
    return Exchange(describe_certificate(der), validates, verify_error, status,
                    [(clean(k, 64), clean(v)) for k, v in headers[:MAX_HEADERS_KEPT]], truncated)


# --------------------------------------------------------------------------------------------- edges


@dataclass(frozen=True)
class Edge:
    """One CDN edge found in the headers: `code` None when the CDN is there but does not say where."""

    cdn: str
    header: str
    value: str
    code: str | None


def find_edges(exchange: Exchange) -> list[Edge]:
    edges: list[Edge] = []
    for value in exchange.values("cf-ray"):
        match = _CF_RAY.match(value.strip())
        edges.append(Edge("Cloudflare", "cf-ray", value, match.group(1).upper() if match else None))
    for value in exchange.values("x-amz-cf-pop"):
        match = _CF_POP.match(value.strip())
        edges.append(Edge("CloudFront", "x-amz-cf-pop", value, match.group(1).upper() if match else None))
    for value in exchange.values("x-served-by"):
        for part in (p.strip() for p in value.split(",")):
            if part.startswith("cache-"):
                match = _FASTLY.match(part)
                edges.append(Edge("Fastly", "x-served-by", part, match.group(1).upper() if match else None))
    found = {e.cdn for e in edges}
    hints = [("server", "cloudflare", "Cloudflare"), ("via", "cloudfront", "CloudFront"),
             ("x-cache", "cloudfront", "CloudFront"), ("server", "akamaighost", "Akamai"),
             ("x-fastly-request-id", "", "Fastly"), ("x-azure-ref", "", "Azure Front Door")]
    for header, needle, cdn in hints:
        for value in exchange.values(header):
            if cdn not in found and needle in value.lower():
                edges.append(Edge(cdn, header, value, None))
                found.add(cdn)
    return edges


class TlsEdgeResolver(Resolver):
    """Connects to https targets and turns the CDN edge that answered into authoritative location evidence."""

    name = "tls-edge"

    def __init__(self, *, clock: Callable[[], datetime], offline: bool = False, timeout: float = 5.0,
                 ca_file: Path | None = None, max_header_bytes: int = 65536,
                 table: IataTable | None = None) -> None:
        self._clock = clock
        self._offline = offline
        self._timeout = timeout
        self._ca_file = ca_file
        self._max_bytes = max_header_bytes
        self._table = table if table is not None else load_iata_table()

    def applies_to(self, asset: Asset) -> bool:
        target = asset.target
        return (not self._offline and target is not None and target.kind is TargetKind.URL
                and (target.scheme or "").lower() == "https")

    def data_sources(self) -> Iterable[DataSource]:
        return (self._table.data_source(),)

    def _evidence(self, subject: str, **fields: Any) -> Evidence:
        return Evidence(source=self.name, strength=Strength.AUTHORITATIVE, subject=subject,
                        observed_at=self._clock(), **fields)

    def resolve(self, asset: Asset) -> list[Evidence]:
        target = asset.target
        assert target is not None
        host, port = target.host, target.port or 443
        subject = f"edge:{host}"
        try:
            exchange = fetch(host, port, timeout=self._timeout, ca_file=self._ca_file, max_bytes=self._max_bytes)
        except FetchError as exc:
            return [self._evidence(subject, failure=str(exc), raw={"host": host, "port": port})]
        summary = {"certificate": exchange.certificate, "validates": exchange.validates,
                   "verify_error": exchange.verify_error, "status": exchange.status}
        out = [self._evidence(host, raw={**summary, "port": port, "truncated": exchange.truncated,
                                         "headers": [[k, v] for k, v in exchange.headers]})]
        if exchange.status is None:
            out.append(self._evidence(subject, failure=f"{host} port {port} sent no readable HTTP response "
                                      "head: whether a CDN terminates TLS is unknown", raw=summary))
        for edge in find_edges(exchange):
            raw = {"header": edge.header, "value": edge.value, "code": edge.code, "cdn": edge.cdn, **summary}
            country = self._table.countries.get(edge.code) if edge.code else None
            if edge.code is None:
                failure = f"CDN {edge.cdn} terminates TLS; its edge location is not shown"
                out.append(self._evidence(subject, failure=failure, raw=raw))
            elif country is None:
                failure = f"edge code '{edge.code}' not in the shipped IATA table"
                out.append(self._evidence(subject, failure=failure, dataset=DATASET_ID, raw=raw))
            else:
                out.append(self._evidence(subject, claim=Claim(country=country, provider=edge.cdn),
                                          dataset=DATASET_ID, raw=raw))
        return out
