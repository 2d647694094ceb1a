"""The compliance matrix and the country table: the two cross-tabulations an auditor reads first.

Both come from a `ScanResult` alone, with a fixed order, so the HTML report, the Markdown report and any later
format show the same numbers for the same result. The matrix is part of the result since schema 1.1 (counted by
the scanner as assets stream past, `residency_scan.compliance.MatrixCounter`); for a result written by 1.0, or
built without one, it is counted here the same way from each asset's `checks` (every rule that applied,
compliant ones included), never from its findings, which only list what went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

from residency_scan.compliance import MatrixCounter
from residency_scan.models import LocationStatus, MatrixRow, ScanResult

__all__ = ["MOROCCO", "CountryRow", "MatrixRow", "compliance_matrix", "country_table"]

MOROCCO = "MA"


def compliance_matrix(result: ScanResult) -> tuple[MatrixRow, ...]:
    """The result's own matrix when it has one; otherwise counted from its assets' checks.

    One row per (pack, legal text, article), in rule-pack order, then text, then article number.
    """
    if result.matrix:
        return result.matrix
    counter = MatrixCounter(result.rules, packs=[ref.id for ref in result.rule_packs])
    for asset in result.assets:
        counter.add(asset)
    return counter.rows()


@dataclass(frozen=True, slots=True)
class CountryRow:
    """One country (None: assets with no country at all) and the assets and subjects located there.

    An asset counts under every country its location names, by the status of its location: an asset whose
    location is unknown but whose candidates are FR, IE and NL counts once as unknown under each of the three.
    """

    country: str | None
    assets: int
    confirmed: int
    contradicted: int
    unknown: int
    subjects: int


def country_table(result: ScanResult) -> list[CountryRow]:
    """Morocco first, then the most-used countries, then by code; assets without a country last."""
    assets: dict[str | None, dict[LocationStatus, int]] = {}
    subjects: dict[str | None, int] = {}
    for asset in result.assets:
        location = asset.location
        for country in location.countries or (None,):
            by_status = assets.setdefault(country, dict.fromkeys(LocationStatus, 0))
            by_status[location.status] += 1
        for part in location.parts:
            for country in part.countries:
                subjects[country] = subjects.get(country, 0) + 1

    def key(country: str | None) -> tuple[int, int, str]:
        if country is None:
            return (2, 0, "")
        return (0 if country == MOROCCO else 1, -sum(assets[country].values()), country)

    return [
        CountryRow(
            country=country,
            assets=sum(assets[country].values()),
            confirmed=assets[country][LocationStatus.CONFIRMED],
            contradicted=assets[country][LocationStatus.CONTRADICTED],
            unknown=assets[country][LocationStatus.UNKNOWN],
            subjects=subjects.get(country, 0),
        )
        for country in sorted(assets, key=key)
    ]
