"""An implementation of `Resolver` that asks the registries' RDAP services (RFC 9083) who holds a network.

RDAP is the live registry record: the country a network is *registered* in (AFRINIC, RIPE NCC, ARIN...) and,
for a domain, its registrar and registrant. Registered is not physical: the answer corroborates or contradicts
the other sources, it never confirms a location alone (`locate` needs a second, independent source).

RDAP is an online lookup. With `offline=True` the resolver applies to nothing and sends nothing: offline scans
rely on the registry data embedded in the shipped GeoIP dataset instead. The IANA bootstrap files cannot be
fetched at run time, so IP queries go to ARIN, which answers or redirects (HTTP 303) for every registry, and
domain queries to rdap.org, which redirects to the registry of the TLD; `base_urls` overrides both.

Everything a registry returns is untrusted: it is bounded in size, parsed defensively, and every string is
stripped of escape sequences, control characters and HTML tags and cut to a fixed length before it becomes
evidence. Reserved/private addresses and internal names are never sent: they would leak the inventory and the
registry has nothing to say about them.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from http.client import HTTPException
from typing import Any

from residency_scan.models import Asset, Claim, DataSource, Evidence, Strength, TargetKind
from residency_scan.resolvers.interface import Resolver
from residency_scan.resolvers.reserved import reserved_range

DATASET_ID = "rdap"
DEFAULT_BASE_URLS: Mapping[str, str] = {"ip": "https://rdap.arin.net/registry", "domain": "https://rdap.org"}
MAX_REDIRECTS = 5
WEB_SCHEMES = frozenset({"http", "https"})
WORKERS = 8
TOTAL_TIME_FACTOR = 4
"""`timeout` bounds each socket operation; a whole answer gets at most this many timeouts (a server that
drips one byte at a time must not hold the scan)."""
CHUNK = 65_536
MAX_TEXT = 200
"""Longest registry string kept in evidence."""
MAX_ITEMS = 10
"""Most statuses or remarks kept from one record."""
ACCEPT = "application/rdap+json, application/json;q=0.9"

# NOTE: without the public suffix list, a registrable domain is the last two labels, or three when the
# second-level label is one of these generic ones under a two-letter ccTLD (gov.ma, co.ma, ac.ma, co.uk).
GENERIC_SLDS = frozenset({"ac", "co", "com", "edu", "gouv", "gov", "net", "org"})
# Names that only exist inside an organisation: asking a public registry about them leaks the inventory.
PRIVATE_SUFFIXES = frozenset({"local", "localhost", "internal", "intranet", "lan", "corp", "home.arpa", "test",
                              "invalid", "example"})

_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # OSC ... BEL|ST
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)"  # DCS, SOS, PM, APC ... ST
    r"|(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"  # CSI
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]"  # other ESC sequences
)
_HTML_TAG = re.compile(r"<[^<>]{0,200}>")
_UNSAFE_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_COUNTRY = re.compile(r"[A-Z]{2}")

Opener = Callable[[urllib.request.Request, float], Any]
"""Sends a request with a timeout and returns a response (`read`, `geturl`, `headers`, `close`)."""


def sanitise(value: object, max_len: int = MAX_TEXT) -> str | None:
    """A registry string made safe to store and show: no escape sequence, control character or HTML tag.

    What is removed is replaced by a space rather than dropped, so "ad\\x1bmin" cannot become "admin".
    """
    if not isinstance(value, str):
        return None
    text = value[: max_len * 4 + 64]
    text = _ESCAPE_SEQUENCE.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    text = _UNSAFE_CHARACTER.sub(" ", text)
    text = " ".join(text.split())
    if len(text) > max_len:
        text = text[:max_len] + "\N{HORIZONTAL ELLIPSIS}"
    return text or None


def country_code(value: object) -> str | None:
    """An ISO 3166-1 alpha-2 code in upper case, or None: a registry field is not trusted to be one."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if _COUNTRY.fullmatch(code) else None


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
    """One query's outcome: the record, or why there is none."""

    url: str
    record: dict[str, Any] | None = None
    failure: str | None = None


def _vcard_country(entity: Mapping[str, Any]) -> str | None:
    """The country of a jCard (RFC 7095) "adr": its 7th component, or the "cc" parameter (RFC 8605)."""
    vcard = entity.get("vcardArray")
    if not (isinstance(vcard, list) and len(vcard) == 2 and isinstance(vcard[1], list)):
        return None
    for prop in vcard[1]:
        if not (isinstance(prop, list) and len(prop) >= 4 and prop[0] == "adr"):
            continue
        params = prop[1] if isinstance(prop[1], dict) else {}
        found = country_code(params.get("cc"))
        value = prop[3]
        if found is None and isinstance(value, list) and len(value) >= 7:
            found = country_code(value[6])
        if found:
            return found
    return None


def _vcard_name(entity: Mapping[str, Any]) -> str | None:
    vcard = entity.get("vcardArray")
    if isinstance(vcard, list) and len(vcard) == 2 and isinstance(vcard[1], list):
        for prop in vcard[1]:
            if isinstance(prop, list) and len(prop) >= 4 and prop[0] in ("fn", "org"):
                return sanitise(prop[3])
    return None


def _entities(record: Mapping[str, Any], role: str) -> list[Mapping[str, Any]]:
    entities = record.get("entities")
    if not isinstance(entities, list):
        return []
    return [e for e in entities[:50] if isinstance(e, dict) and isinstance(e.get("roles"), list)
            and role in e["roles"]]


def _remarks(record: Mapping[str, Any]) -> list[str]:
    remarks = record.get("remarks")
    if not isinstance(remarks, list):
        return []
    texts: list[str] = []
    for remark in remarks[:MAX_ITEMS]:
        lines = remark.get("description") if isinstance(remark, dict) else None
        if isinstance(lines, list):
            text = sanitise(" ".join(line for line in lines[:20] if isinstance(line, str)), max_len=300)
            if text:
                texts.append(text)
    return texts


def _statuses(record: Mapping[str, Any]) -> list[str]:
    status = record.get("status")
    if not isinstance(status, list):
        return []
    return [text for text in (sanitise(s, 50) for s in status[:MAX_ITEMS]) if text]


def _uncovered(record: Mapping[str, Any], query: str) -> str | None:
    """Why the record does not cover the whole queried range, or None when it does (or cannot be told)."""
    try:
        network = ipaddress.ip_network(query, strict=False)
        start = ipaddress.ip_address(str(record.get("startAddress")))
        end = ipaddress.ip_address(str(record.get("endAddress")))
    except ValueError:
        return None
    if start.version != network.version:
        return f"the record's range {start}-{end} is not of the queried family"
    if int(start) <= int(network.network_address) and int(network.broadcast_address) <= int(end):
        return None
    return f"the record covers {start}-{end}, only part of {query}"


class RdapResolver(Resolver):
    """Registry records for IP/CIDR targets (the network's country) and hostnames (the domain's registrar).

    IP evidence claims the registered country. Domain evidence is *supporting* only (no claim, no failure):
    `locate` fuses evidence per subject, so a domain would be a separate part of the asset, and a registrant's
    postal country says nothing about where the servers are; as a claim it would locate (or, failing,
    make unknown) an asset on a registrant's address alone. Its registrar and country stay in `raw`.
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
        self._cache: dict[tuple[str, str], _Answer] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------ Resolver

    def applies_to(self, asset: Asset) -> bool:
        return self._query(asset) is not None

    def resolve(self, asset: Asset) -> list[Evidence]:
        query = self._query(asset)
        if query is None:
            return []
        return [self._evidence(asset, query, self._answer(query))]

    def resolve_all(self, assets: Sequence[Asset]) -> dict[str, list[Evidence]]:
        """Looks each distinct network or domain up once, WORKERS at a time."""
        queries = {asset.id: query for asset in assets if (query := self._query(asset)) is not None}
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            list(pool.map(self._answer, sorted(set(queries.values()))))
        by_id = {asset.id: asset for asset in assets}
        return {aid: [self._evidence(by_id[aid], query, self._answer(query))] for aid, query in queries.items()}

    def data_sources(self) -> Iterable[DataSource]:
        if self._offline:
            return ()
        return (DataSource(id=DATASET_ID, name="RDAP (live registry records)", version="RFC 9083", live=True,
                           date=self._clock().date(),
                           licence="registry terms of use (query results, not redistributed)",
                           url=self._base_urls["ip"]),)

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

    def _answer(self, query: tuple[str, str]) -> _Answer:
        with self._lock:
            cached = self._cache.get(query)
        if cached is not None:
            return cached
        answer = self._fetch(*query)
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
                return _Answer(url, failure=_http_failure(exc.code, value, exc.headers))
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
        return _parse(kind, value, sanitise(final_url, 500) or url, body, content_type, self._max_bytes)

    # ------------------------------------------------------------------------------------ evidence

    def _evidence(self, asset: Asset, query: tuple[str, str], answer: _Answer) -> Evidence:
        kind, value = query
        assert asset.target is not None
        subject = asset.target.host if kind == "ip" else value
        raw: dict[str, Any] = {"url": answer.url}
        claim: Claim | None = None
        failure = answer.failure
        if answer.record is not None:
            raw |= _describe(answer.record)
            if kind == "ip":
                country = country_code(answer.record.get("country"))
                raw["country"] = country
                if country is None:
                    failure = f"RDAP: the registry record for {value} names no valid country"
                else:
                    failure = _uncovered(answer.record, value)
                    claim = None if failure else Claim(country=country)
                    failure = f"RDAP: {failure}" if failure else None
        if kind == "domain" and failure is not None:  # supporting only: see the class docstring
            raw["failure"], failure = failure, None
        return Evidence(source=self.name, strength=Strength.REGISTERED, subject=subject, claim=claim,
                        failure=failure, observed_at=self._clock(), dataset=DATASET_ID, raw=raw)


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


def _http_failure(code: int, value: str, headers: Any) -> str:
    if code == 404:
        return f"RDAP: no record for {value}"
    if code == 429:
        retry = sanitise(headers.get("Retry-After") if headers is not None else None, 20)
        return "RDAP: rate limited (429), retry later" + (f" (Retry-After: {retry})" if retry else "")
    if 300 <= code < 400:
        return f"RDAP: too many or refused redirects (HTTP {code}) for {value}"
    if code >= 500:
        return f"RDAP: registry server error (HTTP {code}) for {value}"
    return f"RDAP: registry refused the query (HTTP {code}) for {value}"


def _parse(kind: str, value: str, url: str, body: bytes, content_type: str, max_bytes: int) -> _Answer:
    if len(body) > max_bytes:
        return _Answer(url, failure=f"RDAP: answer for {value} larger than {max_bytes} bytes, not read")
    media = content_type.split(";")[0].strip().lower()
    if media and not (media == "application/json" or media.endswith("+json")):
        shown = sanitise(media, 60)
        return _Answer(url, failure=f"RDAP: answer for {value} is not JSON (content type {shown})")
    try:
        record = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _Answer(url, failure=f"RDAP: malformed JSON in the answer for {value}")
    expected = "ip network" if kind == "ip" else "domain"
    if not isinstance(record, dict) or record.get("objectClassName") != expected:
        return _Answer(url, failure=f"RDAP: the answer for {value} is not an RDAP {expected} object")
    return _Answer(url, record=record)


def _describe(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's fields worth keeping, each sanitised."""
    registrar = next((_vcard_name(e) for e in _entities(record, "registrar")), None)
    registrant_country = next((c for e in _entities(record, "registrant") if (c := _vcard_country(e))), None)
    raw: dict[str, Any] = {
        key: sanitise(record.get(key))
        for key in ("handle", "name", "ldhName", "startAddress", "endAddress", "port43", "type")
    }
    raw |= {"registrar": registrar, "registrant_country": registrant_country, "status": _statuses(record),
            "remarks": _remarks(record)}
    return {key: item for key, item in raw.items() if item not in (None, [])}
