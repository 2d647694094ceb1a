"""Where a cloud resource is, from the shipped table of provider regions (data/cloud_regions.yaml).

A region name is the strongest location evidence there is (the provider commits to it), but only if the name
is really in the provider's list: a typo, a zone the table does not know or a global service must come out
as an *unknown* with a reason the user can act on, never as a guess.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from residency_scan.models import Asset, Claim, DataSource, Evidence, Strength
from residency_scan.resolvers.datafiles import Country, DatasetHeader, Url, read_dataset, validate
from residency_scan.resolvers.interface import Resolver

DATASET_FILE = "cloud_regions.yaml"
DATASET_ID = "cloud-regions"

Normalize = Literal["lower", "lower-no-spaces", "aws-zone", "gcp-zone"]
RegionKind = Literal["public", "restricted", "coming-soon", "government", "china", "sovereign", "dedicated"]

_AWS_ZONE = re.compile(r"^(?P<region>[a-z0-9-]+-\d+)[a-z]$")  # eu-west-3a -> eu-west-3
_GCP_ZONE = re.compile(r"^(?P<region>[a-z0-9-]+\d)-[a-z]$")  # europe-west1-b -> europe-west1
_MAX_SHOWN = 80  # hostile inventories: never echo an unbounded string into a report


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CloudRegion(_Frozen):
    """One row of the table: a provider region and the country it is in."""

    country: Country
    city: str | None = None
    name: str | None = None
    key: str | None = None
    kind: RegionKind = "public"
    source: Url
    note: str | None = None


class CloudProvider(_Frozen):
    name: str
    aliases: list[str] = []
    normalize: Normalize
    global_ids: list[str] = []
    sources: list[Url]
    regions: dict[str, CloudRegion]

    @model_validator(mode="after")
    def _canonical_ids(self) -> CloudProvider:
        for region_id in self.regions:
            if normalize_region(self.normalize, region_id) != region_id:
                raise ValueError(f"region id '{region_id}' is not in canonical form for '{self.normalize}'")
        return self


class CloudRegionFile(_Frozen):
    dataset: DatasetHeader
    providers: dict[str, CloudProvider]

    @model_validator(mode="after")
    def _unique_names(self) -> CloudRegionFile:
        seen: dict[str, str] = {}
        for key, provider in self.providers.items():
            for name in [key, *provider.aliases]:
                if name != name.lower() or name in seen:
                    raise ValueError(f"provider name '{name}' is not lower case or is used twice")
                seen[name] = key
        return self


def normalize_region(how: Normalize, region: str) -> str:
    text = region.strip().lower()
    return text.replace(" ", "") if how == "lower-no-spaces" else text


@dataclass(frozen=True)
class RegionMatch:
    """A successful lookup: canonical provider key and region id, the row, and how the input was read."""

    provider: str
    region: str
    entry: CloudRegion
    via_zone: str | None = None


class CloudRegionTable:
    """The validated region table, with the lookups that resolvers need (also used by the vendor catalog)."""

    def __init__(self, content: CloudRegionFile, sha256: str) -> None:
        self.content = content
        self.sha256 = sha256
        self._names = {name: key for key, p in content.providers.items() for name in [key, *p.aliases]}

    @property
    def header(self) -> DatasetHeader:
        return self.content.dataset

    def data_source(self) -> DataSource:
        return self.header.data_source(self.sha256)

    def provider_key(self, name: str) -> str | None:
        return self._names.get(name.strip().lower())

    def provider(self, key: str) -> CloudProvider:
        return self.content.providers[key]

    def lookup(self, provider_key: str, region: str) -> RegionMatch | None:
        """The row for `region` (as a user may write it: display name, zone...), or None."""
        provider = self.content.providers[provider_key]
        canonical = normalize_region(provider.normalize, region)
        if canonical in provider.regions:
            return RegionMatch(provider_key, canonical, provider.regions[canonical])
        zone = {"aws-zone": _AWS_ZONE, "gcp-zone": _GCP_ZONE}.get(provider.normalize)
        match = zone.match(canonical) if zone else None
        if match and match.group("region") in provider.regions:
            parent = match.group("region")
            return RegionMatch(provider_key, parent, provider.regions[parent], via_zone=canonical)
        return None

    def is_global(self, provider_key: str, region: str) -> bool:
        provider = self.content.providers[provider_key]
        return normalize_region(provider.normalize, region) in provider.global_ids

    def suggestion(self, provider_key: str, region: str) -> str | None:
        provider = self.content.providers[provider_key]
        canonical = normalize_region(provider.normalize, region)
        if len(canonical) > 64:
            return None
        close = difflib.get_close_matches(canonical, list(provider.regions), n=1, cutoff=0.6)
        return close[0] if close else None

    def provider_suggestion(self, name: str) -> str | None:
        text = name.strip().lower()
        if len(text) > 64:
            return None
        close = difflib.get_close_matches(text, list(self._names), n=1, cutoff=0.6)
        return self._names[close[0]] if close else None


@lru_cache(maxsize=8)
def load_cloud_regions(path: Path | None = None) -> CloudRegionTable:
    """The shipped table (or the file at `path`), parsed and validated once. Raises DatasetError."""
    loaded = read_dataset(DATASET_FILE, path)
    return CloudRegionTable(validate(CloudRegionFile, loaded), loaded.sha256)


def shown(text: str) -> str:
    """A user string made safe to quote in a message: bounded, printable, on one line."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    return clean if len(clean) <= _MAX_SHOWN else clean[: _MAX_SHOWN - 1] + "…"


class CloudRegionResolver(Resolver):
    """An implementation of `Resolver` that locates `cloud:` assets through the shipped region table."""

    name = "cloud-regions"

    def __init__(self, *, clock: Callable[[], datetime], table: CloudRegionTable | None = None) -> None:
        self._clock = clock
        self._table = table if table is not None else load_cloud_regions()

    def applies_to(self, asset: Asset) -> bool:
        return asset.cloud is not None

    def data_sources(self) -> Iterable[DataSource]:
        return (self._table.data_source(),)

    def resolve(self, asset: Asset) -> list[Evidence]:
        cloud = asset.cloud
        assert cloud is not None
        region_in = (cloud.region or "").strip()
        key = self._table.provider_key(cloud.provider)
        subject = f"{key or shown(cloud.provider.strip().lower())}:{shown(region_in) or '?'}"
        raw_input = {"provider": shown(cloud.provider), "region": shown(region_in) if region_in else None}
        if key is None:
            return [self._failure(subject, raw_input, self._unknown_provider(cloud.provider))]
        provider = self._table.provider(key)
        if not region_in:
            reason = (f"{provider.name} region unknown: {cloud.unknown_reason}" if cloud.unknown_reason else
                      f"no region given for this {provider.name} resource: add cloud.region "
                      "(the region is what locates a cloud resource)")
            return [self._failure(subject, raw_input, reason)]
        if self._table.is_global(key, region_in):
            return [self._failure(subject, raw_input,
                                  f"global service ({provider.name} region '{shown(region_in)}'): location "
                                  "is where it is served, not a region; locate its endpoints instead")]
        match = self._table.lookup(key, region_in)
        if match is None:
            return [self._failure(subject, raw_input, self._unknown_region(key, region_in))]
        entry = match.entry
        return [Evidence(
            source=self.name,
            strength=Strength.AUTHORITATIVE,
            subject=f"{match.provider}:{match.region}",
            claim=Claim(country=entry.country, city=entry.city, region=match.region, provider=match.provider),
            observed_at=self._clock(),
            dataset=DATASET_ID,
            raw={"input": raw_input, "provider": match.provider, "region": match.region,
                 "zone": match.via_zone, "entry": entry.model_dump(mode="json", exclude_none=True),
                 "dataset_version": self._table.header.version},
        )]

    def _unknown_provider(self, name: str) -> str:
        known = ", ".join(sorted(self._table.content.providers))
        reason = f"unknown cloud provider '{shown(name)}': the shipped region table covers {known}"
        hint = self._table.provider_suggestion(name)
        return reason + (f" (did you mean '{hint}'?)" if hint else "")

    def _unknown_region(self, key: str, region: str) -> str:
        provider = self._table.provider(key)
        reason = f"region '{shown(region)}' is not in the shipped {key.upper()} region table"
        hint = self._table.suggestion(key, region)
        if hint:
            return reason + f" (did you mean '{hint}'?)"
        return reason + f" ({len(provider.regions)} {provider.name} regions are known; others are unknown)"

    def _failure(self, subject: str, raw_input: dict[str, str | None], reason: str) -> Evidence:
        return Evidence(source=self.name, strength=Strength.AUTHORITATIVE, subject=subject, failure=reason,
                        observed_at=self._clock(), dataset=DATASET_ID, raw={"input": raw_input})
