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

Targets are probed concurrently; a name is resolved with the scan's DNS servers when `--dns-server` is given
and each of its addresses is connected to (tls_fetch.py). The edge that answered at an address of a CDN/anycast
network (cdn_ranges.py) is also claimed for that address, which GeoIP cannot place.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from residency_scan.errors import DatasetError
from residency_scan.inventory.countries import ISO_3166_ALPHA2
from residency_scan.models import Asset, Claim, DataSource, Evidence, Strength, TargetKind
from residency_scan.resolvers.cdn_ranges import CdnCheck
from residency_scan.resolvers.dns_names import parse_nameserver
from residency_scan.resolvers.interface import Resolver
from residency_scan.resolvers.tls_fetch import (
    Addresses,
    Contexts,
    Exchange,
    FetchError,
    clean,
    fetch,
    parse_head,
    resolve_host,
)

__all__ = ["Edge", "IataTable", "TlsEdgeResolver", "clean", "find_edges", "load_iata_table", "parse_head"]

DATASET_FILE = "iata_countries.csv"
DATASET_ID = "iata-airports"
_MAX_TABLE_BYTES = 1024 * 1024

_CF_RAY = re.compile(r"^[0-9a-f]+-([A-Za-z]{3})$")
_CF_POP = re.compile(r"^([A-Za-z]{3})\d+(?:-[A-Za-z0-9]+)?$")
_FASTLY = re.compile(r"^cache-[a-z]{3,}\d+-([A-Za-z]{3})$")


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


CDN_KEYS = {"Cloudflare": "cloudflare", "CloudFront": "cloudfront", "Fastly": "fastly", "Akamai": "akamai"}
"""The edge header's CDN -> its key in data/cdn_networks.yaml: an edge only places addresses of its own CDN."""

Probe = Exchange | str
"""What one connection gave: the exchange, or why there is none."""


class TlsEdgeResolver(Resolver):
    """Connects to https targets and turns the CDN edge that answered into authoritative location evidence.

    Targets are handled `concurrency` connections at a time. A name is resolved with `nameservers` (the scan's
    `--dns-server`s) when given, else by the system, and every address (up to MAX_ADDRESSES) is connected to
    with the name as SNI. When `cdn` says an address belongs to a CDN whose edge answered there with a readable
    location, that location is also claimed for the address itself: it is the only evidence that can place
    an address GeoIP cannot (see cdn_ranges.py).
    """

    name = "tls-edge"

    def __init__(self, *, clock: Callable[[], datetime], offline: bool = False, timeout: float = 5.0,
                 ca_file: Path | None = None, max_header_bytes: int = 65536, table: IataTable | None = None,
                 concurrency: int = 16, nameservers: Sequence[str] = (), dns_timeout: float | None = None,
                 cdn: CdnCheck | None = None) -> None:
        self._clock = clock
        self._offline = offline
        self._timeout = timeout
        self._dns_timeout = dns_timeout if dns_timeout is not None else timeout
        self._ca_file = ca_file
        self._max_bytes = max_header_bytes
        self._table = table if table is not None else load_iata_table()
        self._concurrency = max(1, concurrency)
        self._nameservers = [parse_nameserver(text) for text in nameservers]
        self._cdn = cdn
        self._contexts: Contexts | None = None

    def applies_to(self, asset: Asset) -> bool:
        target = asset.target
        return (not self._offline and target is not None and target.kind is TargetKind.URL
                and (target.scheme or "").lower() == "https")

    def data_sources(self) -> Iterable[DataSource]:
        return (self._table.data_source(),)

    def resolve(self, asset: Asset) -> list[Evidence]:
        return self.resolve_all([asset]).get(asset.id, [])

    def resolve_all(self, assets: Sequence[Asset]) -> dict[str, list[Evidence]]:
        """Every distinct target resolved, then every (name, address) probed, `concurrency` at a time."""
        targets = {asset.id: _endpoint(asset) for asset in assets if self.applies_to(asset)}
        if not targets:
            return {}
        if self._contexts is None:
            self._contexts = Contexts(self._ca_file)
        endpoints = sorted(set(targets.values()))
        with ThreadPoolExecutor(max_workers=min(self._concurrency, len(endpoints))) as pool:
            resolved = dict(zip(endpoints, pool.map(self._resolve_name, endpoints), strict=True))
        probes = [(host, port, address) for (host, port), found in resolved.items() for address in found.addresses]
        probed: dict[tuple[str, int, str], Probe] = {}
        if probes:
            with ThreadPoolExecutor(max_workers=min(self._concurrency, len(probes))) as pool:
                probed = dict(zip(probes, pool.map(self._probe, probes), strict=True))
        return {aid: self._evidence(host, port, resolved[(host, port)], probed)
                for aid, (host, port) in targets.items()}

    def _resolve_name(self, endpoint: tuple[str, int]) -> Addresses:
        return resolve_host(endpoint[0], endpoint[1], nameservers=self._nameservers, timeout=self._dns_timeout)

    def _probe(self, job: tuple[str, int, str]) -> Probe:
        host, port, address = job
        assert self._contexts is not None
        try:
            return fetch(host, port, address=address, timeout=self._timeout, contexts=self._contexts,
                         max_bytes=self._max_bytes)
        except FetchError as exc:
            return str(exc)

    # ------------------------------------------------------------------------------------------ evidence

    def _ev(self, subject: str, **fields: Any) -> Evidence:
        return Evidence(source=self.name, strength=Strength.AUTHORITATIVE, subject=subject,
                        observed_at=self._clock(), **fields)

    def _evidence(self, host: str, port: int, found: Addresses, probed: dict[tuple[str, int, str], Probe]
                  ) -> list[Evidence]:
        subject = f"edge:{host}"
        named = found.resolver != "literal"  # a name: say which address each piece of evidence came from
        if found.failure is not None:
            return [self._ev(subject, failure=found.failure, raw={"host": host, "port": port,
                                                                  "resolver": found.resolver})]
        results = [(address, probed[(host, port, address)]) for address in found.addresses]
        answered = [(address, probe) for address, probe in results if isinstance(probe, Exchange)]
        errors = {address: probe for address, probe in results if isinstance(probe, str)}
        if not answered:
            raw: dict[str, Any] = {"host": host, "port": port}
            reason = next(iter(errors.values()))
            if named:
                raw |= {"resolver": found.resolver, "errors": errors}
                if len(errors) > 1:
                    reason = f"none of the {len(errors)} addresses of {host} answered: {reason}"
            return [self._ev(subject, failure=reason, raw=raw)]
        out: list[Evidence] = []
        for index, (address, exchange) in enumerate(answered):
            raw = {**_summary(exchange), "port": port, "truncated": exchange.truncated,
                   "headers": [[k, v] for k, v in exchange.headers]}
            if named:
                raw |= {"address": address, "resolver": found.resolver}
            if index == 0 and (errors or found.skipped):
                raw |= {"unreachable": errors} if errors else {}
                raw |= {"not_examined": list(found.skipped)} if found.skipped else {}
            out.append(self._ev(host, raw=raw))
        unread = [(address, exchange) for address, exchange in answered if exchange.status is None]
        if unread:
            out.append(self._ev(subject, failure=f"{host} port {port} sent no readable HTTP response head: "
                                "whether a CDN terminates TLS is unknown", raw=_summary(unread[0][1])))
        return out + self._edge_evidence(subject, answered, named) + self._address_claims(host, answered)

    def _edge_evidence(self, subject: str, answered: list[tuple[str, Exchange]], named: bool) -> list[Evidence]:
        """One evidence per CDN edge seen (the same edge behind several addresses is one, listing them)."""
        seen: dict[tuple[str, str | None], tuple[Edge, Exchange, list[str]]] = {}
        for address, exchange in answered:
            for edge in find_edges(exchange):
                entry = seen.setdefault((edge.cdn, edge.code), (edge, exchange, []))
                entry[2].append(address)
        out = []
        for edge, exchange, addresses in seen.values():
            raw = {"header": edge.header, "value": edge.value, "code": edge.code, "cdn": edge.cdn,
                   **_summary(exchange)}
            if named:
                raw["addresses"] = addresses
            country = self._table.countries.get(edge.code) if edge.code else None
            if edge.code is None:
                failure = f"CDN {edge.cdn} terminates TLS; its edge location is not shown"
                out.append(self._ev(subject, failure=failure, raw=raw))
            elif country is None:
                failure = f"edge code '{edge.code}' not in the shipped IATA table"
                out.append(self._ev(subject, failure=failure, dataset=DATASET_ID, raw=raw))
            else:
                out.append(self._ev(subject, claim=Claim(country=country, provider=edge.cdn), dataset=DATASET_ID,
                                    raw=raw))
        return out

    def _address_claims(self, host: str, answered: list[tuple[str, Exchange]]) -> list[Evidence]:
        """The edge's location claimed for the CDN address it answered at (see the class docstring)."""
        if self._cdn is None:
            return []
        out = []
        for address, exchange in answered:
            match = self._cdn(address)
            if match is None:
                continue
            claimed: set[str] = set()
            for edge in find_edges(exchange):
                country = self._table.countries.get(edge.code) if edge.code else None
                if country is None or CDN_KEYS.get(edge.cdn) != match.key or country in claimed:
                    continue
                claimed.add(country)
                raw = {"header": edge.header, "value": edge.value, "code": edge.code, "cdn": match.raw(),
                       "edge_of": host}
                out.append(self._ev(address, claim=Claim(country=country, provider=edge.cdn), dataset=DATASET_ID,
                                    raw=raw))
        return out


def _endpoint(asset: Asset) -> tuple[str, int]:
    target = asset.target
    assert target is not None
    return target.host, target.port or 443


def _summary(exchange: Exchange) -> dict[str, Any]:
    return {"certificate": exchange.certificate, "validates": exchange.validates,
            "verify_error": exchange.verify_error, "status": exchange.status}
