"""Turning lookups into evidence: the DNS answer itself, every address located, the vendors a chain runs into,
the mail exchangers of a mail domain, and who runs the zone.

What counts for the location (claims and failures): the addresses, located by the `AddressLocator`; a failed
lookup, which makes the asset unknown; and the vendor tenant that a name in the chain belongs to, located by
the vendor catalog. What is recorded as supporting information only (no claim, no failure): the answer (chain,
addresses, TTL, nameserver), the MX set, the zone's nameservers, and warnings about the cache.

Every piece says whether it came from the cache: `from_cache`, and in `raw` when it was fetched (`cached_at`)
and how old it was when used (`age_seconds`); `observed_at` is the time the oldest part was fetched.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from residency_scan.models import Asset, AssetKind, Evidence, Sensitivity, SourceRef, Strength, Target, TargetKind
from residency_scan.resolvers.address_locators import AddressLocator
from residency_scan.resolvers.dns_lookup import Failed, Fetched, Lookup
from residency_scan.resolvers.dns_names import CheckedName
from residency_scan.resolvers.interface import Resolver

SOURCE = "dns"
CNAME_SOURCE = "dns-cname"
CACHE_SOURCE = "dns-cache"
MAX_EXCHANGERS = 16
"""Mail exchangers located per domain; more is reported as a failure rather than silently cut."""

VendorMatch = Callable[[str], "tuple[str, str | None] | None"]
"""A hostname to (vendor key, region id or None) when the vendor catalog knows it (`VendorCatalog.match_domain`)."""
VendorEvidence = Callable[[str, str], list[Evidence]]
"""(vendor key, hostname) to the catalog's evidence about that vendor's tenant (see `catalog_cname_evidence`)."""


@dataclass(frozen=True)
class HostLookup:
    """The A and AAAA lookups of one name, each followed to the end of its chain."""

    name: CheckedName
    a: Lookup
    aaaa: Lookup


@dataclass(frozen=True)
class MailLookup:
    """The MX lookup of a mail domain and, for each exchanger, its addresses (or why its name is unusable)."""

    mx: Lookup
    exchangers: tuple[tuple[int, str, HostLookup | str], ...]
    skipped: int = 0  # exchangers beyond MAX_EXCHANGERS


@dataclass(frozen=True)
class ZoneLookup:
    """The zone a name is in and its NS set; `failure` when the zone or its NS could not be found."""

    zone: str | None
    ns: Lookup | None = None
    failure: str | None = None


class EvidenceMaker:
    """Builds evidence for one batch; the located addresses and vendor evidence are shared between assets."""

    def __init__(self, *, clock: Callable[[], datetime], locator: AddressLocator,
                 match_vendor: VendorMatch | None, vendor_evidence: VendorEvidence | None) -> None:
        self._clock = clock
        self._locator = locator
        self._match_vendor = match_vendor
        self._vendor_evidence = vendor_evidence
        self._located: dict[str, list[Evidence]] = {}
        self._vendors: dict[tuple[str, str], list[Evidence]] = {}

    # ------------------------------------------------------------------------------------------ pieces

    def failure(self, subject: str, reason: str, *, raw: Any = None,
                fetched: Iterable[Fetched] = ()) -> Evidence:
        return self._evidence(subject, failure=reason, raw=raw, fetched=fetched)

    def _evidence(self, subject: str, *, failure: str | None = None, raw: Any = None,
                  fetched: Iterable[Fetched] = (), source: str = SOURCE) -> Evidence:
        observed_at, cached = _provenance(fetched)
        if cached is not None:
            raw = {**(raw or {}), **cached}
        return Evidence(source=source, strength=Strength.MEASURED, subject=subject, failure=failure,
                        observed_at=observed_at or self._clock(), from_cache=cached is not None, raw=raw)

    def cache_warnings(self, path: str, warnings: Sequence[str]) -> list[Evidence]:
        return [Evidence(source=CACHE_SOURCE, strength=Strength.MEASURED, subject=path, observed_at=self._clock(),
                         raw={"warning": warning}) for warning in warnings]

    # ------------------------------------------------------------------------------------------ a host

    def host(self, found: HostLookup, *, vendor: str | None, extra: dict[str, Any] | None = None) -> list[Evidence]:
        """The answer, its partial failures, every address located, and the vendors met along the chains."""
        subject = found.name.text
        lookups = (found.a, found.aaaa)
        fetched = [f for lookup in lookups for f in lookup.fetched]
        answered = [lookup for lookup in lookups if lookup.records]
        raw_extra = dict(extra or {})
        if found.name.unicode:
            raw_extra["name_unicode"] = found.name.unicode
        vendors = self.vendors(_chain_names(lookups), vendor=vendor, own=subject, fetched=fetched)
        if not answered:
            raw = {**raw_extra, **_failure_raw(lookups)}
            return [self.failure(subject, _reason_for_nothing(lookups), raw=raw, fetched=fetched), *vendors]

        addresses = sorted({a for lookup in answered for a in lookup.records}, key=_address_key)
        ttls = [lookup.ttl for lookup in answered if lookup.ttl is not None]
        raw = {"chain": list(answered[0].chain), "addresses": addresses, "ttl": min(ttls) if ttls else None,
               "nameserver": answered[0].nameserver, **raw_extra}
        if len(answered) == 2 and answered[1].chain != answered[0].chain:
            raw["chain_aaaa"] = list(answered[1].chain)
        evidence = [self._evidence(subject, raw=raw, fetched=fetched)]
        for lookup in lookups:
            if not lookup.records and not lookup.no_records:
                # NOTE: half an answer is not the whole set of addresses behind the name, and one address
                # abroad is enough to move the asset abroad; so the missing half stays visible as unknown.
                reason = f"{lookup.rdtype} lookup failed, addresses may be incomplete: {lookup.failure}"
                evidence.append(self.failure(subject, reason, raw=_failure_raw((lookup,)), fetched=lookup.fetched))
        for address in addresses:
            evidence.extend(self.locate(address))
        return evidence + vendors

    def locate(self, address: str) -> list[Evidence]:
        located = self._located.get(address)
        if located is None:
            located = self._located[address] = self._locator.locate_address(address)
        return located

    def vendors(self, names: Iterable[str], *, vendor: str | None, own: str,
                fetched: Sequence[Fetched] = ()) -> list[Evidence]:
        """Evidence about each vendor that a name of the chain belongs to (one per vendor, the most precise).

        The asset's own vendor is skipped when the match adds nothing to what the catalog resolver already
        says about the asset's target (the same name, or no region). When the chain came from the cache, so
        does the match: the evidence says so, with the chain's age.
        """
        if self._match_vendor is None:
            return []
        best: dict[str, tuple[str, str | None]] = {}
        for name in names:
            match = self._match_vendor(name)
            if match is None:
                continue
            key, region = match
            if vendor is not None and key == vendor.strip().lower() and (name == own or region is None):
                continue
            if key not in best or (best[key][1] is None and region is not None):
                best[key] = (name, region)
        evidence: list[Evidence] = []
        for key, (name, region) in best.items():
            made = self._vendors.get((key, name))
            if made is None:
                made = self._vendors[(key, name)] = self._vendor_evidence_for(key, name, region)
            evidence.extend(made)
        observed_at, cached = _provenance(fetched)
        if cached is None:
            return evidence
        return [ev.model_copy(update={"from_cache": True, "observed_at": observed_at,
                                      "raw": {**(ev.raw if isinstance(ev.raw, dict) else {}), **cached}})
                for ev in evidence]

    def _vendor_evidence_for(self, key: str, name: str, region: str | None) -> list[Evidence]:
        matched = {"cname": name, "vendor": key, "region": region}
        if self._vendor_evidence is None:
            # Without the catalog's facts the match is recorded, not located.
            return [Evidence(source=CNAME_SOURCE, strength=Strength.MEASURED, subject=f"vendor:{key}",
                             observed_at=self._clock(), raw=matched)]
        return [ev.model_copy(update={"source": CNAME_SOURCE,
                                      "raw": {**(ev.raw if isinstance(ev.raw, dict) else {"catalog": ev.raw}),
                                              "matched": matched}})
                for ev in self._vendor_evidence(key, name)]

    # ------------------------------------------------------------------------------------------ mail, zone

    def mail(self, domain: CheckedName, found: MailLookup, implicit: HostLookup | None, *,
             vendor: str | None) -> list[Evidence]:
        """Evidence for a mail domain: each exchanger's addresses (or the domain's own, without MX)."""
        mx = found.mx
        if mx.failure is not None and not mx.no_records:
            return [self.failure(domain.text, f"MX lookup failed: {mx.failure}", raw=_failure_raw((mx,)),
                                 fetched=mx.fetched)]
        if mx.no_records:
            note = self._evidence(domain.text, raw={"mx": [], "implicit_mx": True, "nameserver": mx.nameserver},
                                  fetched=mx.fetched)
            assert implicit is not None
            return [note, *self.host(implicit, vendor=vendor, extra={"implicit_mx": True})]
        if found.exchangers and all(name in (".", "") for _pref, name, _host in found.exchangers):
            return [self.failure(domain.text, f"null MX: {domain.text} accepts no mail (RFC 7505), so there is "
                                 "no mail service to locate", raw={"mx": list(mx.records)}, fetched=mx.fetched)]
        raw = {"mx": [[pref, name] for pref, name, _host in found.exchangers], "chain": list(mx.chain),
               "ttl": mx.ttl, "nameserver": mx.nameserver}
        evidence = [self._evidence(domain.text, raw=raw, fetched=mx.fetched)]
        if found.skipped:
            evidence.append(self.failure(domain.text, f"{len(found.exchangers) + found.skipped} mail exchangers: "
                                         f"only the first {MAX_EXCHANGERS} were located"))
        evidence.extend(self.vendors(mx.chain, vendor=vendor, own=domain.text, fetched=mx.fetched))
        for pref, name, host in found.exchangers:
            if isinstance(host, str):
                evidence.append(self.failure(name, f"mail exchanger of {domain.text}: {host}"))
            else:
                evidence.extend(self.host(host, vendor=vendor, extra={"mx_of": domain.text, "preference": pref}))
        return evidence

    def zone(self, host: str, found: ZoneLookup) -> Evidence:
        """Who runs the zone's DNS: supporting information only, so a failure here is recorded, not fatal."""
        raw: dict[str, Any] = {"role": "zone-nameservers", "for": host, "zone": found.zone}
        fetched: tuple[Fetched, ...] = ()
        if found.failure is not None:
            raw["error"] = found.failure
        elif found.ns is not None:
            fetched = found.ns.fetched
            if found.ns.records:
                raw["nameservers"] = list(found.ns.records)
                if self._match_vendor is not None:
                    raw["vendors"] = sorted({m[0] for ns in found.ns.records
                                             if (m := self._match_vendor(ns)) is not None})
            else:
                raw["error"] = f"NS lookup failed: {found.ns.failure}"
        return self._evidence(found.zone or host, raw=raw, fetched=fetched)


def catalog_cname_evidence(catalog: Resolver) -> VendorEvidence:
    """Vendor evidence for a name met in a chain, from the vendor catalog resolver (`VendorCatalogResolver`).

    The catalog is asked exactly as for a `vendor:` asset whose target is that name, so a chain into a host
    that names the vendor's region gets the region's (authoritative) location, one into a region-less host
    the places the tenant can be in, and one into a CDN the catalog's reason why the edge decides.
    """
    def evidence(key: str, host: str) -> list[Evidence]:
        asset = Asset(id=f"dns-cname:{host}", kind=AssetKind.SAAS, sensitivity=Sensitivity.SENSITIVE, vendor=key,
                      target=Target(raw=host, kind=TargetKind.HOSTNAME, host=host), source=SourceRef(path="<dns>"))
        return catalog.resolve(asset)

    return evidence


def _provenance(fetched: Iterable[Fetched]) -> tuple[datetime | None, dict[str, Any] | None]:
    """When the oldest cached part was fetched, and what the evidence says about it; (None, None) if fresh."""
    cached = [f for f in fetched if f.cached]
    if not cached:
        return None, None
    oldest = min(cached, key=lambda f: f.fetched_at)
    when = datetime.fromtimestamp(oldest.fetched_at, UTC)
    return when, {"cached_at": when.isoformat().replace("+00:00", "Z"), "age_seconds": int(oldest.age)}


def zone_failure(zone: str | Failed | None) -> str | None:
    if isinstance(zone, Failed):
        return f"zone not found: {zone.reason}"
    if zone is None:
        return "zone not found: no SOA record above the name"
    return None


def _chain_names(lookups: Iterable[Lookup]) -> list[str]:
    return list(dict.fromkeys(name for lookup in lookups for name in lookup.chain))


def _reason_for_nothing(lookups: Sequence[Lookup]) -> str:
    """One reason for a name with no address: "no records" only if every query type really said so."""
    if all(lookup.no_records for lookup in lookups):
        return "no A/AAAA records"
    nxdomain = next((lookup for lookup in lookups if lookup.nxdomain), None)
    failed = nxdomain or next(lookup for lookup in lookups if not lookup.no_records)
    return failed.failure or "no address"


def _failure_raw(lookups: Sequence[Lookup]) -> dict[str, Any]:
    raw: dict[str, Any] = {"errors": {lookup.rdtype: lookup.failure for lookup in lookups}}
    chain = next((lookup.chain for lookup in lookups if len(lookup.chain) > 1), ())
    if chain:
        raw["chain"] = list(chain)
    return raw


def _address_key(address: str) -> tuple[int, int]:
    parsed = ipaddress.ip_address(address)
    return parsed.version, int(parsed)
