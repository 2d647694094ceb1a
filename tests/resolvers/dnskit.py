"""What the DNS resolver tests share: a table-backed address locator, asset builders and a few addresses."""

from __future__ import annotations

from datetime import UTC, datetime

from residency_scan.models import (
    Asset,
    AssetKind,
    Claim,
    Evidence,
    Sensitivity,
    SourceRef,
    Strength,
    Target,
    TargetKind,
)
from tests.dnsserver import DnsTestServer, Query

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

MA_V4 = "196.200.131.10"  # the locator's table decides the countries, not the real registries
MA_V4_BIS = "41.248.1.20"
FR_V4 = "51.15.4.4"
IE_V6 = "2a01:111:f100::10"
AZURE_EDGE = "13.107.246.10"
COUNTRIES = {MA_V4: "MA", MA_V4_BIS: "MA", FR_V4: "FR", IE_V6: "IE", AZURE_EDGE: "NL"}


class TableLocator:
    """An AddressLocator backed by a dict, that remembers what it was asked."""

    def __init__(self, countries: dict[str, str]) -> None:
        self.countries = countries
        self.asked: list[str] = []

    def locate_address(self, address: str) -> list[Evidence]:
        self.asked.append(address)
        country = self.countries.get(address)
        if country is None:
            return [Evidence(source="geoip", strength=Strength.MEASURED, subject=address,
                             failure="address not in the table", observed_at=NOW)]
        return [Evidence(source="geoip", strength=Strength.MEASURED, subject=address,
                         claim=Claim(country=country), observed_at=NOW)]


def asset(raw: str, kind: TargetKind = TargetKind.HOSTNAME, host: str | None = None, *, asset_id: str = "a1",
          tags: dict[str, str] | None = None, vendor: str | None = None,
          asset_kind: AssetKind = AssetKind.SERVER) -> Asset:
    target = Target(raw=raw, kind=kind, host=host if host is not None else raw)
    return Asset(id=asset_id, kind=asset_kind, sensitivity=Sensitivity.SENSITIVE, target=target,
                 tags=tags or {}, vendor=vendor, source=SourceRef(path="inventory.yaml", line=3))


def queries_for(server: DnsTestServer, name: str) -> list[Query]:
    return [query for query in server.queries if query.name == name]


def only_failure(evidence: list[Evidence]) -> str:
    assert len(evidence) == 1, evidence
    (single,) = evidence
    assert single.source == "dns" and single.claim is None and single.failure is not None
    assert single.observed_at == NOW
    return single.failure
