"""An implementation of `Resolver` that asks the registries' RDAP services (RFC 9083) who holds a network.

RDAP is the live registry record: the country a network is *registered* in (AFRINIC, RIPE NCC, ARIN...) and,
for a domain, its registrar and registrant. Registered is not physical: the answer corroborates or contradicts
the other sources, it never confirms a location alone (`locate` needs a second, independent source).

RDAP is an online lookup. With `offline=True` the resolver applies to nothing and sends nothing: offline scans
rely on the registry data embedded in the shipped GeoIP dataset instead. The IANA bootstrap files cannot be
fetched at run time, so IP queries go to ARIN, which answers or redirects (HTTP 303) for every registry, and
domain queries to rdap.org, which redirects to the registry of the TLD; `base_urls` overrides both.

The addresses a hostname resolves to are looked up too: the resolver is also an address locator for the DNS
step (`locate_address`, with `prefetch` so that a batch is asked concurrently). When an IP lookup fails for any
reason but rate limiting, the WHOIS client (whois.py) is asked instead; after a 429 no further query of that
kind is sent in the scan. A registry country is withheld for an address of a CDN/anycast network (cdn_ranges.py).

Everything a registry returns is untrusted: it is bounded in size, parsed defensively (rdap_records.py), and
every string is stripped of escape sequences, control characters and HTML tags and cut to a fixed length before
it becomes evidence. Reserved/private addresses and internal names are never sent: they would leak the
inventory and the registry has nothing to say about them.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from http.client import HTTPException
from typing import Any

from residency_scan.models import Asset, Claim, DataSource, Evidence, Strength, TargetKind
from residency_scan.resolvers.cdn_ranges import CdnCheck, withhold
from residency_scan.resolvers.interface import Resolver
from residency_scan.resolvers.rdap_records import coverage_gap, describe, http_failure, parse_body
from residency_scan.resolvers.reserved import reserved_range
from residency_scan.resolvers.untrusted import MAX_TEXT, country_code, iso_country, sanitise
from residency_scan.resolvers.whois import WhoisAnswer, WhoisClient

__all__ = ["MAX_TEXT", "RdapResolver", "country_code", "parse_rdap_url", "registrable_domain", "sanitise"]

DATASET_ID = "rdap"
WHOIS_DATASET_ID = "whois"
WHOIS_SOURCE = "whois"
DEFAULT_BASE_URLS: Mapping[str, str] = {"ip": "https://rdap.arin.net/registry", "domain": "https://rdap.org"}
MAX_REDIRECTS = 5
WEB_SCHEMES = frozenset({"http", "https"})
WORKERS = 8
TOTAL_TIME_FACTOR = 4
"""`timeout` bounds each socket operation; a whole answer gets at most this many timeouts (a server that
drips one byte at a time must not hold the scan)."""
CHUNK = 65_536
ACCEPT = "application/rdap+json, application/json;q=0.9"

# NOTE: without the public suffix list, a registrable domain is the last two labels, or three when the
# second-level label is one of these generic ones under a two-letter ccTLD (gov.ma, co.ma, ac.ma, co.uk).
GENERIC_SLDS = frozenset({"ac", "co", "com", "edu", "gouv", "gov", "net", "org"})
# Names that only exist inside an organisation: asking a public registry about them leaks the inventory.
PRIVATE_SUFFIXES = frozenset({"local", "localhost", "internal", "intranet", "lan", "corp", "home.arpa", "test",
                              "invalid", "example"})

Opener = Callable[[urllib.request.Request, float], Any]
"""Sends a request with a timeout and returns a response (`read`, `geturl`, `headers`, `close`)."""


def registrable_domain(host: str) -> str | None:
    """The domain a registry knows for `host` (see GENERIC_SLDS); None for single labels and internal names."""
    labels = [label for label in host.lower().rstrip(".").split(".") if label]
    if len(labels) < 2:
        return None
    if labels[-1] in PRIVATE_SUFFIXES or ".".join(labels[-2:]) in PRIVATE_SUFFIXES:
        return None
    take = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in GENERIC_SLDS else 2
    return ".".join(labels[-take:])


class _BoundedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows at most MAX_REDIRECTS redirects, and only to http(s) URLs (urllib alone would follow ftp:)."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl)).scheme not in WEB_SCHEMES:
            raise urllib.error.HTTPError(req.full_url, code, "redirect to a non-http URL refused", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _default_opener() -> Opener:
    director = urllib.request.build_opener(_BoundedRedirects())

    def send(request: urllib.request.Request, timeout: float) -> Any:
        return director.open(request, timeout=timeout)

    return send


@dataclass(frozen=True)
class _Answer:
    """One query's outcome: the record, or why there is none (and, after a failed IP lookup, WHOIS's answer)."""

    url: str
    record: dict[str, Any] | None = None
    failure: str | None = None
    rate_limited: bool = False
    whois: WhoisAnswer | None = None


class RdapResolver(Resolver):
    """Registry records for IP/CIDR targets (the network's country) and hostnames (the domain's registrar).

    IP evidence claims the registered country. Domain evidence is *supporting* only (no claim, no failure):
    `locate` fuses evidence per subject, so a domain would be a separate part of the asset, and a registrant's
    postal country says nothing about where the servers are; as a claim it would locate (or, failing,
    make unknown) an asset on a registrant's address alone. Its registrar and country stay in `raw`.

    The resolver is also an address locator for the DNS step (`locate_address`, `prefetch`): every public
    address a hostname resolves to is looked up, the subject being the address. When an IP lookup fails for
    any reason but rate limiting, `whois` (if given) is asked instead. An address that `cdn` says belongs to a
    CDN/anycast network gets no country: a registry record says where the network is registered, not which
    edge serves the address. After a 429, no further query of that kind is sent during the scan.
    """

    name = "rdap"

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        base_urls: Mapping[str, str] | None = None,
        offline: bool = False,
        timeout: float = 5.0,
        max_bytes: int = 1_000_000,
        opener: Opener | None = None,
        whois: WhoisClient | None = None,
        cdn: CdnCheck | None = None,
    ) -> None:
        self._clock = clock
        self._base_urls = {**DEFAULT_BASE_URLS, **(base_urls or {})}
        for kind, url in self._base_urls.items():
            if kind not in DEFAULT_BASE_URLS or urllib.parse.urlsplit(url).scheme not in WEB_SCHEMES:
                raise ValueError(f"RDAP base URL {kind}={url!r}: expected ip= or domain= and an http(s) URL")
        self._offline = offline
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._opener = opener or _default_opener()
        self._whois = whois
        self._cdn = cdn
        self._cache: dict[tuple[str, str], _Answer] = {}
        self._limited: dict[str, str] = {}  # kind -> the 429 failure that stopped further queries
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------ Resolver

    def applies_to(self, asset: Asset) -> bool:
        return self._query(asset) is not None

    def resolve(self, asset: Asset) -> list[Evidence]:
        query = self._query(asset)
        if query is None:
            return []
        return [self._evidence(_subject(asset, query), query, self._answer(query))]

    def resolve_all(self, assets: Sequence[Asset]) -> dict[str, list[Evidence]]:
        """Looks each distinct network or domain up once, WORKERS at a time."""
        queries = {asset.id: query for asset in assets if (query := self._query(asset)) is not None}
        self._fetch_all(queries.values())
        by_id = {asset.id: asset for asset in assets}
        return {aid: [self._evidence(_subject(by_id[aid], query), query, self._answer(query))]
                for aid, query in queries.items()}

    def data_sources(self) -> Iterable[DataSource]:
        if self._offline:
            return ()
        sources = [DataSource(id=DATASET_ID, name="RDAP (live registry records)", version="RFC 9083", live=True,
                              date=self._clock().date(),
                              licence="registry terms of use (query results, not redistributed)",
                              url=self._base_urls["ip"])]
        if self._whois is not None:
            host, port = self._whois.server
            sources.append(DataSource(id=WHOIS_DATASET_ID, name="WHOIS (live registry records, RFC 3912)",
                                      version="RFC 3912", live=True, date=self._clock().date(),
                                      licence="registry terms of use (query results, not redistributed)",
                                      url=f"whois://[{host}]:{port}" if ":" in host else f"whois://{host}:{port}",
                                      note="asked only when RDAP fails"))
        return tuple(sources)

    # ------------------------------------------------------------------------------------ address locator

    def locate_address(self, address: str) -> list[Evidence]:
        """The registry record of one address the DNS step found; nothing offline or for a reserved address."""
        query = self._address_query(address)
        return [] if query is None else [self._evidence(address, query, self._answer(query))]

    def prefetch(self, addresses: Iterable[str]) -> None:
        """Look a batch of addresses up concurrently, before `locate_address` is asked about each one.

        Addresses of CDN networks go last: their country is withheld anyway (cdn_ranges.py), and a registry that
        starts rate limiting (429 stops every later query) should have spent its answers where they count."""
        queries = [query for address in addresses if (query := self._address_query(address)) is not None]
        if self._cdn is not None:
            cdn = self._cdn
            queries.sort(key=lambda query: cdn(query[1]) is not None)  # stable: inventory order otherwise
        self._fetch_all(queries)

    def _address_query(self, address: str) -> tuple[str, str] | None:
        if self._offline:
            return None
        try:
            ip = ipaddress.ip_address(address.strip("[]"))
        except ValueError:
            return None
        if reserved_range(ip.version, int(ip), int(ip)) is not None:
            return None
        return "ip", str(ip)

    # ------------------------------------------------------------------------------------ queries

    def _query(self, asset: Asset) -> tuple[str, str] | None:
        """("ip", address-or-cidr) or ("domain", registrable domain), or None when RDAP has nothing to say."""
        target = asset.target
        if self._offline or target is None:
            return None
        network = target.network()
        if network is not None:
            first, last = int(network.network_address), int(network.broadcast_address)
            if reserved_range(network.version, first, last) is not None:
                return None
            return "ip", str(network) if target.kind is TargetKind.CIDR else str(network.network_address)
        if target.kind in (TargetKind.HOSTNAME, TargetKind.URL):
            domain = registrable_domain(target.host)
            return ("domain", domain) if domain else None
        return None

    def _fetch_all(self, queries: Iterable[tuple[str, str]]) -> None:
        distinct = list(dict.fromkeys(queries))  # in the order given: prefetch puts CDN addresses last
        if distinct:
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                list(pool.map(self._answer, distinct))

    def _answer(self, query: tuple[str, str]) -> _Answer:
        with self._lock:
            cached = self._cache.get(query)
            limited = self._limited.get(query[0])
        if cached is not None:
            return cached
        kind, value = query
        if limited is not None:
            answer = _Answer("", failure=f"RDAP: not asked about {value}: {limited} earlier in this scan",
                             rate_limited=True)
        else:
            answer = self._fetch(kind, value)
            if answer.rate_limited:
                with self._lock:
                    self._limited.setdefault(kind, answer.failure or "rate limited")
            elif kind == "ip" and answer.record is None and self._whois is not None:
                answer = replace(answer, whois=self._whois.lookup(value.split("/")[0]))
        with self._lock:
            return self._cache.setdefault(query, answer)

    def _fetch(self, kind: str, value: str) -> _Answer:
        """One RDAP query; every way it can fail is a distinct failure text, never an exception."""
        url = f"{self._base_urls[kind].rstrip('/')}/{kind}/{urllib.parse.quote(value, safe='/:.')}"
        # NOTE: base URLs are checked to be http(s) in __init__, redirects in _BoundedRedirects.
        request = urllib.request.Request(url, headers={"Accept": ACCEPT, "User-Agent": "residency-scan"})  # noqa: S310
        deadline = time.monotonic() + TOTAL_TIME_FACTOR * self._timeout
        try:
            response = self._opener(request, self._timeout)
            try:
                body = _read_bounded(response, self._max_bytes + 1, deadline)
                final_url = str(response.geturl() or url)
                content_type = str(response.headers.get("Content-Type") or "")
            finally:
                response.close()
        except urllib.error.HTTPError as exc:
            with exc:
                return _Answer(url, failure=http_failure(exc.code, value, exc.headers), rate_limited=exc.code == 429)
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                return _Answer(url, failure=f"RDAP: no answer within {self._timeout:g} s for {value}")
            reason = sanitise(str(exc.reason)) or "unknown error"
            return _Answer(url, failure=f"RDAP: cannot reach the registry for {value} ({reason})")
        except TimeoutError:
            return _Answer(url, failure=f"RDAP: no answer within {self._timeout:g} s for {value}")
        except (HTTPException, OSError, ValueError) as exc:
            reason = sanitise(f"{type(exc).__name__}: {exc}") or "unknown error"
            return _Answer(url, failure=f"RDAP: transport error for {value} ({reason})")
        record, failure = parse_body(kind, value, body, content_type, self._max_bytes)
        return _Answer(sanitise(final_url, 500) or url, record=record, failure=failure)

    # ------------------------------------------------------------------------------------ evidence

    def _evidence(self, subject: str, query: tuple[str, str], answer: _Answer) -> Evidence:
        kind, value = query
        if answer.whois is not None:
            evidence = self._whois_evidence(subject, value, answer, answer.whois)
        else:
            evidence = self._rdap_evidence(subject, query, answer)
        match = self._cdn(value) if self._cdn is not None and kind == "ip" else None
        return evidence if match is None else withhold(evidence, match)

    def _rdap_evidence(self, subject: str, query: tuple[str, str], answer: _Answer) -> Evidence:
        kind, value = query
        raw: dict[str, Any] = {"url": answer.url} if answer.url else {}
        claim: Claim | None = None
        failure = answer.failure
        if answer.record is not None:
            raw |= describe(answer.record)
            if kind == "ip":
                country = iso_country(answer.record.get("country"))
                raw["country"] = country_code(answer.record.get("country"))
                if country is None:
                    failure = f"RDAP: the registry record for {value} names no ISO 3166 country"
                else:
                    gap = coverage_gap(answer.record.get("startAddress"), answer.record.get("endAddress"), value)
                    claim = None if gap else Claim(country=country)
                    failure = f"RDAP: {gap}" if gap else None
        if kind == "domain" and failure is not None:  # supporting only: see the class docstring
            raw["failure"], failure = failure, None
        return Evidence(source=self.name, strength=Strength.REGISTERED, subject=subject, claim=claim,
                        failure=failure, observed_at=self._clock(), dataset=DATASET_ID, raw=raw)

    def _whois_evidence(self, subject: str, value: str, answer: _Answer, whois: WhoisAnswer) -> Evidence:
        """The WHOIS fallback's answer: a registered country, or both failures in one reason."""
        raw: dict[str, Any] = {"rdap_url": answer.url, "rdap_failure": answer.failure, **whois.raw}
        claim: Claim | None = None
        failure = whois.failure
        if whois.country is not None:
            gap = coverage_gap(whois.first, whois.last, value)
            failure = f"WHOIS: {gap}" if gap else None
            claim = None if gap else Claim(country=whois.country)
        if failure is not None:
            failure = f"{answer.failure}; {failure}"
        return Evidence(source=WHOIS_SOURCE, strength=Strength.REGISTERED, subject=subject, claim=claim,
                        failure=failure, observed_at=self._clock(), dataset=WHOIS_DATASET_ID, raw=raw)


def _subject(asset: Asset, query: tuple[str, str]) -> str:
    assert asset.target is not None
    return asset.target.host if query[0] == "ip" else query[1]


def parse_rdap_url(option: str) -> tuple[str, str]:
    """`--rdap-url TYPE=URL` as ("ip" | "domain", URL); ValueError saying what is expected."""
    kind, sep, url = option.partition("=")
    kind = kind.strip().lower()
    if not sep or kind not in DEFAULT_BASE_URLS or urllib.parse.urlsplit(url.strip()).scheme not in WEB_SCHEMES:
        raise ValueError(f"expected ip=URL or domain=URL with an http(s) URL, not {option!r}")
    return kind, url.strip()


def _read_bounded(response: Any, limit: int, deadline: float) -> bytes:
    """At most `limit` bytes, read in chunks until the end, the limit or the deadline (TimeoutError)."""
    # NOTE: read1 returns what one socket read gives; read(n) of a chunked answer waits for all n bytes.
    read = getattr(response, "read1", response.read)
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        if time.monotonic() > deadline:
            raise TimeoutError("answer too slow")
        chunk = read(min(CHUNK, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
