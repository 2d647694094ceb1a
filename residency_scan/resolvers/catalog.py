"""Where a SaaS management tool keeps its data, from the shipped vendor catalog (data/vendor_catalog.yaml).

The catalog only says what a vendor's own pages say. When the target does not identify the tenant's region,
the honest answer is the set of places the tenant can be in (none of them in Morocco unless the vendor has a
Moroccan region); when the catalog has no sourced location at all, the answer is unknown, with the reason.
The file format is documented at the top of the YAML file; `CatalogFile` below enforces it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from residency_scan.errors import DatasetError
from residency_scan.models import Asset, Claim, DataSource, Evidence, Strength, TargetKind
from residency_scan.resolvers.cloud_regions import CloudRegionTable, load_cloud_regions, shown
from residency_scan.resolvers.datafiles import (
    Country,
    DatasetHeader,
    HostPattern,
    Url,
    normalize_host,
    read_dataset,
    validate,
)
from residency_scan.resolvers.interface import Resolver

DATASET_FILE = "vendor_catalog.yaml"
DATASET_ID = "vendor-catalog"

Confidence = Literal["official", "secondary", "unverified"]
Deployment = Literal["saas", "self-hosted", "self-hosted-available"]
Category = Literal["monitoring", "incident-management", "remote-admin", "office-suite", "identity",
                   "collaboration", "video-conferencing", "ticketing", "code-hosting", "cdn-security",
                   "backup", "password-manager", "crm"]

_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Place(_Frozen):
    """A location as a vendor states it: one country, a list of countries, or a named area (EU, EEA)."""

    country: Country | None = None
    countries: list[Country] = []
    area: str | None = None
    city: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Place:
        if sum([self.country is not None, bool(self.countries), self.area is not None]) != 1:
            raise ValueError("give exactly one of country, countries, area")
        return self


class Replica(Place):
    what: str
    source: Url


class AlsoProcessed(Place):
    what: str
    source: Url


class VendorRegion(Place):
    id: str
    hosts: list[str] = []
    source: Url
    replicated_to: list[Replica] = []
    note: str | None = None


class CloudHostPattern(_Frozen):
    """A hostname form that embeds a hyperscaler region, located through the cloud region table."""

    pattern: str
    provider: str
    source: Url
    note: str | None = None


class Area(_Frozen):
    name: str
    countries: list[Country]
    source: Url


class Vendor(_Frozen):
    name: str
    category: Category
    deployment: Deployment
    aliases: list[str] = []
    domains: list[str] = []
    edge_network: bool = False
    morocco_region: bool = False
    regions: list[VendorRegion] = []
    regions_complete: bool = True
    cloud_host_patterns: list[CloudHostPattern] = []
    default_region: str | None = None
    default_hosts: list[str] = []
    also_processed_in: list[AlsoProcessed] = []
    sources: list[Url] = []
    confidence: Confidence
    notes: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Vendor:
        ids = [r.id for r in self.regions]
        if len(ids) != len(set(ids)):
            raise ValueError("region ids must be unique within a vendor")
        if self.default_region is not None and self.default_region not in ids:
            raise ValueError(f"default_region '{self.default_region}' is not one of the regions")
        if self.confidence == "unverified" and (self.regions or self.also_processed_in
                                                or self.cloud_host_patterns):
            raise ValueError("an unverified vendor cannot carry locations: source them or remove them")
        if self.confidence != "unverified" and not self.sources:
            raise ValueError("a vendor needs sources unless its confidence is 'unverified'")
        for pattern in [*self.domains, *self.default_hosts, *(h for r in self.regions for h in r.hosts),
                        *(p.pattern for p in self.cloud_host_patterns)]:
            HostPattern(pattern)  # raises ValueError on a malformed pattern
        return self


class CatalogFile(_Frozen):
    dataset: DatasetHeader
    areas: dict[str, Area] = {}
    vendors: dict[str, Vendor]

    @model_validator(mode="after")
    def _references(self) -> CatalogFile:
        names: set[str] = set()
        for key, vendor in self.vendors.items():
            for name in [key, *vendor.aliases]:
                if not _KEY.match(name) or name in names:
                    raise ValueError(f"vendor name '{name}' is not lower-kebab-case or is used twice")
                names.add(name)
            places: list[Place] = [*vendor.regions, *vendor.also_processed_in,
                                   *(rep for r in vendor.regions for rep in r.replicated_to)]
            for place in places:
                if place.area is not None and place.area not in self.areas:
                    raise ValueError(f"vendor '{key}': unknown area '{place.area}'")
            in_morocco = any("MA" in self.countries_of(r) for r in vendor.regions)
            if in_morocco != vendor.morocco_region:
                raise ValueError(f"vendor '{key}': morocco_region must say whether a sourced region is in MA")
        return self

    def countries_of(self, place: Place) -> tuple[str, ...]:
        if place.country is not None:
            return (place.country,)
        if place.area is not None:
            return tuple(sorted(self.areas[place.area].countries))
        return tuple(sorted(set(place.countries)))


class VendorCatalog:
    """The validated catalog with its compiled host patterns; `match_domain` serves CNAME matching too."""

    def __init__(self, content: CatalogFile, sha256: str) -> None:
        self.content = content
        self.sha256 = sha256
        self._names = {n: k for k, v in content.vendors.items() for n in [k, *v.aliases]}
        self._region_hosts = [(key, region.id, HostPattern(h)) for key, v in content.vendors.items()
                              for region in v.regions for h in region.hosts]
        self._cloud_hosts = [(key, p, HostPattern(p.pattern)) for key, v in content.vendors.items()
                             for p in v.cloud_host_patterns]
        self._domains = [(key, HostPattern(d)) for key, v in content.vendors.items() for d in v.domains]

    @property
    def header(self) -> DatasetHeader:
        return self.content.dataset

    def key_for(self, name: str) -> str | None:
        return self._names.get(name.strip().lower())

    def suggestion(self, name: str) -> str | None:
        text = name.strip().lower()
        close = difflib.get_close_matches(text, list(self._names), n=1, cutoff=0.6) if len(text) <= 64 else []
        return self._names[close[0]] if close else None

    def regions_for_host(self, key: str, host: str) -> list[str]:
        """The vendor's regions whose most specific host pattern matches `host` (several on a tie)."""
        hits = [(p.exact, p.specificity, region) for k, region, p in self._region_hosts
                if k == key and p.match(host)]
        if not hits:
            return []
        best = max((exact, spec) for exact, spec, _ in hits)
        return sorted({region for exact, spec, region in hits if (exact, spec) == best})

    def cloud_region_for_host(self, key: str, host: str) -> tuple[CloudHostPattern, str] | None:
        for k, spec, pattern in self._cloud_hosts:
            match = pattern.match(host) if k == key else None
            if match:
                return spec, match.group("region")
        return None

    def owns(self, key: str, host: str) -> bool:
        return any(k == key and p.covers(host) for k, p in self._domains) or bool(
            self.regions_for_host(key, host)) or self.cloud_region_for_host(key, host) is not None

    def match_domain(self, hostname: str) -> tuple[str, str | None] | None:
        """(vendor key, region) for a hostname the catalog recognises, e.g. a CNAME target.

        The region is a catalog region id, `provider:region` when the host embeds a cloud region, or None
        when the name belongs to the vendor but does not identify a region (or identifies several).
        """
        host = normalize_host(hostname)
        if host is None:
            return None
        for key, spec, pattern in self._cloud_hosts:
            match = pattern.match(host)
            if match:
                return key, f"{spec.provider}:{match.group('region')}"
        hits = [(p.exact, p.specificity, key, region)
                for key, region, p in self._region_hosts if p.match(host)]
        if hits:
            best = max(hits)
            regions = {r for e, s, k, r in hits if (e, s, k) == best[:3]}
            return best[2], (best[3] if len(regions) == 1 else None)
        owners = sorted({key for key, p in self._domains if p.covers(host)}
                        | {key for key, _, p in self._cloud_hosts if p.match(host)})
        return (owners[0], None) if len(owners) == 1 else None


@lru_cache(maxsize=8)
def load_vendor_catalog(path: Path | None = None) -> VendorCatalog:
    """The shipped catalog (or the file at `path`), parsed and validated once. Raises DatasetError."""
    loaded = read_dataset(DATASET_FILE, path)
    return VendorCatalog(validate(CatalogFile, loaded), loaded.sha256)


def match_domain(hostname: str) -> tuple[str, str | None] | None:
    """`VendorCatalog.match_domain` on the shipped catalog."""
    return load_vendor_catalog().match_domain(hostname)


class VendorCatalogResolver(Resolver):
    """An implementation of `Resolver` that locates `vendor:` assets through the shipped vendor catalog."""

    name = "vendor-catalog"

    def __init__(self, *, clock: Callable[[], datetime], catalog: VendorCatalog | None = None,
                 regions: CloudRegionTable | None = None) -> None:
        self._clock = clock
        self._catalog = catalog if catalog is not None else load_vendor_catalog()
        self._regions = regions if regions is not None else load_cloud_regions()
        for key, vendor in self._catalog.content.vendors.items():
            for pattern in vendor.cloud_host_patterns:
                if self._regions.provider_key(pattern.provider) is None:
                    raise DatasetError(f"vendor catalog: '{key}' names unknown cloud provider "
                                       f"'{pattern.provider}'")

    def applies_to(self, asset: Asset) -> bool:
        return asset.vendor is not None

    def data_sources(self) -> Iterable[DataSource]:
        # NOTE: regions found in hostnames (cloud_host_patterns) are located through the cloud table.
        return (self._catalog.header.data_source(self._catalog.sha256), self._regions.data_source())

    def resolve(self, asset: Asset) -> list[Evidence]:
        assert asset.vendor is not None
        key = self._catalog.key_for(asset.vendor)
        if key is None:
            hint = self._catalog.suggestion(asset.vendor)
            reason = f"vendor '{shown(asset.vendor)}' is not in the shipped vendor catalog"
            reason += f" (did you mean '{hint}'?)" if hint else " (declare its location or add it)"
            return [self._evidence(f"vendor:{shown(asset.vendor.strip().lower())}", failure=reason, raw={})]
        vendor = self._catalog.content.vendors[key]
        target = asset.target.host if asset.target is not None else None
        host = None
        if asset.target is not None and asset.target.kind in (TargetKind.HOSTNAME, TargetKind.URL):
            host = normalize_host(asset.target.host)
        base = {"vendor": key, "name": vendor.name, "confidence": vendor.confidence,
                "deployment": vendor.deployment, "target": shown(target) if target else None,
                "sources": list(vendor.sources)}
        # An address, or a name the vendor does not own, is the user's own install of a self-hostable tool.
        installed = target is not None and (host is None or not self._catalog.owns(key, host))
        if vendor.deployment == "self-hosted" or (vendor.deployment == "self-hosted-available" and installed):
            return [self._self_hosted(key, vendor, shown(target) if target else None, base)]
        regions = self._regions_of_target(key, vendor, host)
        main = self._main(key, vendor, host, regions, base)
        # A replica is only known to hold this tenant's data when the tenant's region is known.
        replicas = regions[0].replicated_to if len(regions) == 1 else []
        return [main, *self._elsewhere(key, vendor, replicas, regions[0].id if regions else "", base)]

    def _regions_of_target(self, key: str, vendor: Vendor, host: str | None) -> list[VendorRegion]:
        if not host:
            return []
        matched = self._catalog.regions_for_host(key, host)
        default_host = any(HostPattern(h).match(host) for h in vendor.default_hosts)
        if not matched and vendor.default_region and default_host:
            matched = [vendor.default_region]
        return [r for r in vendor.regions if r.id in matched]

    def _main(self, key: str, vendor: Vendor, host: str | None, regions: list[VendorRegion],
              base: dict[str, Any]) -> Evidence:
        subject = f"vendor:{key}"
        pattern = self._catalog.cloud_region_for_host(key, host) if host else None
        if pattern is not None:
            return self._from_cloud_host(subject, vendor, pattern[0], pattern[1], base)
        if regions:
            return self._claim(subject, vendor, regions, base, how="the target host names the region")
        if vendor.edge_network:
            return self._evidence(subject, raw=base, failure=(
                f"{vendor.name} serves from a global edge network: the location is the edge that serves "
                "the target, not a tenant region (measure the target: DNS, GeoIP, CDN headers)"))
        if vendor.regions and vendor.regions_complete:
            return self._claim(subject, vendor, vendor.regions, base,
                               how="the target does not name the region")
        if vendor.regions:
            known = ", ".join(f"{r.id} ({'/'.join(self._catalog.content.countries_of(r))})"
                              for r in vendor.regions)
            return self._evidence(subject, raw=base, failure=(
                f"the target does not identify the {vendor.name} region, and the catalog's list of its "
                f"locations is not exhaustive (sourced: {known})"))
        what = "no sourced processing location" + ("" if vendor.confidence == "unverified" else " listed")
        return self._evidence(subject, raw=base, failure=f"{what} for {vendor.name} in the vendor catalog "
                              "(declare where the tenant is hosted, with the vendor's contract or DPA)")

    def _claim(self, subject: str, vendor: Vendor, regions: list[VendorRegion], base: dict[str, Any],
               how: str) -> Evidence:
        countries = sorted({c for r in regions for c in self._catalog.content.countries_of(r)})
        if len(regions) > 1:  # "in one of these": a copy kept elsewhere is one more possible place
            countries = sorted({*countries, *(c for r in regions for rep in r.replicated_to
                                              for c in self._catalog.content.countries_of(rep))})
        single = regions[0] if len(regions) == 1 else None
        claim = Claim(country=countries[0] if len(countries) == 1 else None,
                      candidates=() if len(countries) == 1 else tuple(countries),
                      region=single.id if single else None, city=single.city if single else None,
                      provider=vendor.name)
        raw = {**base, "how": how, "regions": [r.model_dump(mode="json", exclude_none=True) for r in regions],
               "sources": sorted({*base["sources"], *(r.source for r in regions)})}
        return self._evidence(subject, claim=claim, raw=raw)

    def _from_cloud_host(self, subject: str, vendor: Vendor, pattern: CloudHostPattern, region: str,
                         base: dict[str, Any]) -> Evidence:
        provider = self._regions.provider_key(pattern.provider)
        assert provider is not None
        match = self._regions.lookup(provider, region)
        raw = {**base, "host_pattern": pattern.pattern, "cloud_provider": provider, "cloud_region": region,
               "sources": sorted({*base["sources"], pattern.source})}
        if match is None:
            return self._evidence(subject, raw=raw, failure=(
                f"the target names {provider.upper()} region '{shown(region)}', which is not in the shipped "
                "cloud region table"))
        raw["cloud_entry"] = {**match.entry.model_dump(mode="json", exclude_none=True),
                              "dataset": "cloud-regions"}
        claim = Claim(country=match.entry.country, city=match.entry.city, region=f"{provider}:{match.region}",
                      provider=vendor.name)
        return self._evidence(subject, claim=claim, raw=raw)

    def _elsewhere(self, key: str, vendor: Vendor, replicas: list[Replica], region_id: str,
                   base: dict[str, Any]) -> list[Evidence]:
        """Data the vendor keeps outside the tenant region: other processing, and copies of the region."""
        out: list[Evidence] = []
        places: list[tuple[str, Place, str, str]] = [
            (f"vendor:{key}#processing:{slug(p.what)}", p, p.what, p.source)
            for p in vendor.also_processed_in]
        places += [(f"vendor:{key}#replica:{region_id}", rep, rep.what, rep.source) for rep in replicas]
        for subject, place, what, source in places:
            countries = self._catalog.content.countries_of(place)
            claim = Claim(country=countries[0] if len(countries) == 1 else None,
                          candidates=() if len(countries) == 1 else countries, city=place.city,
                          provider=vendor.name)
            out.append(self._evidence(subject, claim=claim, raw={**base, "what": what, "sources": [source]}))
        return out

    def _self_hosted(self, key: str, vendor: Vendor, host: str | None, base: dict[str, Any]) -> Evidence:
        subject = f"vendor:{key}"
        if host is None:
            return self._evidence(subject, raw=base, failure=(
                f"{vendor.name} is installed by its user: give the asset a target (the server's name or "
                "address) so that its location can be measured"))
        return self._evidence(subject, raw={**base, "note": (
            f"{vendor.name} is self-hosted here: its location is the location of {host}, "
            "measured by the other resolvers")})

    def _evidence(self, subject: str, *, raw: dict[str, Any], claim: Claim | None = None,
                  failure: str | None = None) -> Evidence:
        return Evidence(source=self.name, strength=Strength.AUTHORITATIVE, subject=subject, claim=claim,
                        failure=failure, observed_at=self._clock(), dataset=DATASET_ID,
                        raw={**raw, "dataset_version": self._catalog.header.version})


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "other"
