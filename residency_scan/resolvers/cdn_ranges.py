"""Known CDN and anycast networks (data/cdn_networks.yaml): where a GeoIP answer says nothing about processing.

An anycast address (Cloudflare, Fastly) is announced from every edge at once, and a CDN edge address (CloudFront,
Akamai) is handed out per client: whatever country a GeoIP or registry database gives for it, the traffic is
decrypted at whichever edge the client reaches. So an address inside a network listed here gets *no* country
from GeoIP or the registries: their answers become failures (kept in `raw`) and the address stays unknown
unless the edge that actually served it is shown (the TLS edge resolver reads it from the response headers).

The table is shipped, never downloaded at run time: each network carries its published prefixes, the ASNs its
operator names (matched against a user's `--asn-db`), the URLs they come from and the day they were copied.
It is built by scripts/build_cdn_networks.py; data/SOURCES.md says what is in it and what is missing.
"""

from __future__ import annotations

import bisect
import ipaddress
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from residency_scan.errors import DatasetError
from residency_scan.models import DataSource, Evidence
from residency_scan.resolvers.datafiles import DatasetHeader, Url, read_dataset, validate
from residency_scan.resolvers.reserved import reserved_range

DATASET_FILE = "cdn_networks.yaml"
DATASET_ID = "cdn-networks"
MAX_ASN = 2**32 - 1

NetworkKind = Literal["anycast", "edge"]
"""anycast: one address answered by every edge (routing picks it); edge: addresses handed out per client."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CdnNetwork(_Frozen):
    """One network: its published prefixes and ASNs, and where and when they were copied from."""

    name: str
    kind: NetworkKind
    asns: list[int] = []
    asn_sources: list[Url] = []
    prefix_sources: list[Url]
    retrieved: date
    retrieved_from: str
    terms: str
    prefixes: list[str]
    note: str | None = None

    @field_validator("asns")
    @classmethod
    def _asns_in_range(cls, value: list[int]) -> list[int]:
        for asn in value:
            if not 0 < asn <= MAX_ASN:
                raise ValueError(f"AS{asn} is not a public AS number")
        if len(set(value)) != len(value):
            raise ValueError("an AS number is listed twice")
        return value

    @field_validator("prefixes")
    @classmethod
    def _prefixes_are_public_networks(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("a network needs at least one published prefix")
        for text in value:
            try:
                network = ipaddress.ip_network(text, strict=True)
            except ValueError as exc:
                raise ValueError(f"'{text}' is not a network in CIDR form ({exc})") from None
            first, last = int(network.network_address), int(network.broadcast_address)
            if reserved_range(network.version, first, last) is not None:
                raise ValueError(f"'{text}' is a reserved range, not a CDN's")
        return value

    @model_validator(mode="after")
    def _asns_are_sourced(self) -> CdnNetwork:
        if self.asns and not self.asn_sources:
            raise ValueError("AS numbers need asn_sources (the page where the operator names them)")
        return self

    def networks(self) -> list[IPNetwork]:
        return [ipaddress.ip_network(text) for text in self.prefixes]


class CdnFile(_Frozen):
    """The whole data file; networks may not overlap each other or share an AS number (a match is unambiguous)."""

    dataset: DatasetHeader
    networks: dict[str, CdnNetwork]

    @model_validator(mode="after")
    def _unambiguous(self) -> CdnFile:
        owners: dict[int, str] = {}
        for key, network in self.networks.items():
            for asn in network.asns:
                if asn in owners:
                    raise ValueError(f"AS{asn} is listed for both {owners[asn]} and {key}")
                owners[asn] = key
        for version in (4, 6):
            spans = sorted((start, end, key) for key, start, end in _intervals(self.networks, version))
            for (_, end, key), (start, _, other) in itertools.pairwise(spans):
                if start <= end:
                    raise ValueError(f"prefixes of {key} and {other} overlap")
        return self


def _intervals(networks: dict[str, CdnNetwork], version: int) -> list[tuple[str, int, int]]:
    """(key, first, last) of each network's prefixes of one family, collapsed within the network."""
    out: list[tuple[str, int, int]] = []
    for key, network in networks.items():
        family = [n for n in network.networks() if n.version == version]
        for block in ipaddress.collapse_addresses(family):  # type: ignore[type-var]
            out.append((key, int(block.network_address), int(block.broadcast_address)))
    return out


Via = Literal["prefix", "asn", "anycast"]


@dataclass(frozen=True)
class CdnMatch:
    """Why an address counts as a CDN's: the network, and what matched (a published prefix, an AS number from
    the user's ASN database, or the anycast flag of the user's GeoIP database)."""

    key: str
    name: str
    kind: NetworkKind
    via: Via
    detail: str  # "104.16.0.0/13", "AS13335", or the dataset that flagged the address

    def reason(self, subject: str) -> str:
        if self.via == "prefix":
            where = f"is in {self.name}'s published {self.kind} ranges ({self.detail})"
        elif self.via == "asn":
            where = f"is announced by {self.detail}, an AS of {self.name} ({self.kind} network)"
        else:
            where = f"is marked anycast in {self.detail}"
        return f"{subject} {where}: GeoIP cannot tell which edge serves it"

    def raw(self) -> dict[str, Any]:
        return {"network": self.key, "name": self.name, "kind": self.kind, "via": self.via, "detail": self.detail}


CdnCheck = Callable[[str], "CdnMatch | None"]
"""An address or network to the CDN/anycast network it belongs to, if any (`GeoIpResolver.cdn_match`)."""


def anycast_flag(dataset: str) -> CdnMatch:
    """A user's GeoIP database flags the address anycast (GeoIP2 `traits.is_anycast`): no network named."""
    return CdnMatch("anycast", "an anycast network", "anycast", "anycast", dataset)


class CdnRanges:
    """The loaded table: which network (if any) an address, a range or an AS number belongs to."""

    def __init__(self, table: CdnFile, sha256: str) -> None:
        self._table = table
        self._sha256 = sha256
        self._asns = {asn: key for key, network in table.networks.items() for asn in network.asns}
        self._published = {key: list(zip(network.prefixes, network.networks(), strict=True))
                           for key, network in table.networks.items()}
        self._spans: dict[int, tuple[list[int], list[tuple[int, str]]]] = {}
        for version in (4, 6):
            rows = sorted((first, last, key) for key, first, last in _intervals(table.networks, version))
            self._spans[version] = ([first for first, _, _ in rows], [(last, key) for _, last, key in rows])

    @property
    def networks(self) -> dict[str, CdnNetwork]:
        return self._table.networks

    def data_source(self) -> DataSource:
        return self._table.dataset.data_source(self._sha256)

    def _key_at(self, version: int, first: int, last: int) -> str | None:
        """The network whose (collapsed, disjoint) spans overlap [first, last], if any."""
        starts, rows = self._spans[version]
        index = bisect.bisect_right(starts, last) - 1
        if index < 0:
            return None
        end, key = rows[index]
        return key if end >= first else None

    def _match(self, key: str, overlap: IPNetwork) -> CdnMatch:
        network = self._table.networks[key]
        published = next((text for text, block in self._published[key]
                          if block.version == overlap.version and block.overlaps(overlap)), network.prefixes[0])
        return CdnMatch(key, network.name, network.kind, "prefix", published)

    def match_address(self, ip: IPAddress) -> CdnMatch | None:
        key = self._key_at(ip.version, int(ip), int(ip))
        return None if key is None else self._match(key, ipaddress.ip_network(ip))

    def match_network(self, network: IPNetwork) -> CdnMatch | None:
        """A network that overlaps a CDN's prefixes: part of it is served by edges GeoIP cannot place."""
        key = self._key_at(network.version, int(network.network_address), int(network.broadcast_address))
        return None if key is None else self._match(key, network)

    def match_asn(self, asn: int) -> CdnMatch | None:
        key = self._asns.get(asn)
        if key is None:
            return None
        network = self._table.networks[key]
        return CdnMatch(key, network.name, network.kind, "asn", f"AS{asn}")


def withhold(evidence: Evidence, match: CdnMatch) -> Evidence:
    """The evidence with its location claim turned into a failure: the answer is kept in `raw`, not used.

    Claims that place nothing (an AS number) and failures are kept as they are, with the match noted.
    """
    raw = dict(evidence.raw) if isinstance(evidence.raw, dict) else ({} if evidence.raw is None else
                                                                       {"answer": evidence.raw})
    raw["cdn"] = match.raw()
    claim = evidence.claim
    if claim is None or not (claim.country or claim.candidates):
        return evidence.model_copy(update={"raw": raw})
    raw["withheld_claim"] = claim.model_dump(mode="json", exclude_defaults=True)
    return evidence.model_copy(update={"claim": None, "failure": match.reason(evidence.subject), "raw": raw})


def load_cdn_ranges(path: Path | None = None) -> CdnRanges:
    """The shipped table (cached: it is read once per process) or, for tests, the file at `path`."""
    if path is not None:
        return _load(path)
    return _load_shipped()


@lru_cache(maxsize=1)
def _load_shipped() -> CdnRanges:
    return _load(None)


def _load(path: Path | None) -> CdnRanges:
    loaded = read_dataset(DATASET_FILE, path)
    table = validate(CdnFile, loaded)
    if table.dataset.id != DATASET_ID:
        raise DatasetError(f"{loaded.display}: dataset id is '{table.dataset.id}', expected '{DATASET_ID}'")
    return CdnRanges(table, loaded.sha256)
