"""The compliance matrix and the country table: the two cross-tabulations an auditor reads first.

Both are counted from a `ScanResult` alone, by pure functions with a fixed order, so the HTML report, the JSON
report and any later format show the same numbers for the same result. The matrix is counted from each asset's
`checks` (every rule that applied, compliant ones included), never from its findings, which only list what went
wrong; `result.rules` says which pack and which article each rule belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from residency_scan.models import (
    AssetResult,
    LegalReference,
    LocationStatus,
    Outcome,
    ScanResult,
)

MOROCCO = "MA"


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One article of one rule pack, and how the assets its rules assessed came out.

    An asset judged by several rules of the same article counts once, with its worst outcome, so that
    `assessed == compliant + violation + indeterminate`. `pack` is None for a rule the result does not describe
    (a result built without `rules`); its reference then comes from a finding, when there is one. `waived` is
    always 0 until waivers exist: the column is there so the matrix keeps its shape when they arrive.
    """

    pack: str | None
    text: str
    article: str | None
    article_uncertain: bool
    url: str | None
    rules: tuple[str, ...]
    assessed: int
    compliant: int
    violation: int
    indeterminate: int
    waived: int = 0


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


@dataclass(frozen=True, slots=True)
class _Article:
    pack: str | None
    text: str
    article: str | None


def compliance_matrix(result: ScanResult) -> list[MatrixRow]:
    """One row per (pack, legal text, article), in rule-pack order, then text, then article number."""
    fallback = _references_from_findings(result.assets)
    rules_of: dict[_Article, set[str]] = {}
    uncertain: dict[_Article, bool] = {}
    urls: dict[_Article, str | None] = {}

    def place(rule_id: str, pack: str | None, reference: LegalReference | None) -> _Article:
        key = _Article(pack, reference.text if reference else "", reference.article if reference else None)
        rules_of.setdefault(key, set()).add(rule_id)
        flagged = reference is not None and reference.article_uncertain
        uncertain[key] = uncertain.get(key, False) or flagged
        if urls.get(key) is None:
            urls[key] = reference.url if reference else None
        return key

    article_of: dict[str, _Article] = {}
    for rule in result.rules:
        article_of[rule.id] = place(rule.id, rule.pack, rule.reference)
    for asset in result.assets:
        for check in asset.checks:
            if check.rule not in article_of:
                article_of[check.rule] = place(check.rule, None, fallback.get(check.rule))

    worst: dict[_Article, dict[str, Outcome]] = {key: {} for key in rules_of}
    for asset in result.assets:
        for check in asset.checks:
            if check.outcome is Outcome.NOT_APPLICABLE:
                continue
            outcomes = worst[article_of[check.rule]]
            previous = outcomes.get(asset.id)
            if previous is None or check.outcome.rank > previous.rank:
                outcomes[asset.id] = check.outcome

    order = _PackOrder.of(result)
    rows = []
    for key in sorted(rules_of, key=lambda k: (order(k.pack), k.text, _article_key(k.article))):
        counted = list(worst[key].values())
        rows.append(
            MatrixRow(
                pack=key.pack,
                text=key.text,
                article=key.article,
                article_uncertain=uncertain[key],
                url=urls[key],
                rules=tuple(sorted(rules_of[key])),
                assessed=len(counted),
                compliant=counted.count(Outcome.COMPLIANT),
                violation=counted.count(Outcome.VIOLATION),
                indeterminate=counted.count(Outcome.INDETERMINATE),
            )
        )
    return rows


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


def _references_from_findings(assets: Iterable[AssetResult]) -> Mapping[str, LegalReference]:
    """The legal reference of each rule id seen in a finding, first one first, for undescribed rules."""
    found: dict[str, LegalReference] = {}
    for asset in assets:
        for item in asset.findings:
            found.setdefault(item.rule, item.reference)
    return found


@dataclass(frozen=True, slots=True)
class _PackOrder:
    """Packs in the order the result lists them; a pack it does not list after those, by name; None last."""

    index: Mapping[str, int]

    @classmethod
    def of(cls, result: ScanResult) -> _PackOrder:
        return cls({ref.id: position for position, ref in enumerate(result.rule_packs)})

    def __call__(self, pack: str | None) -> tuple[int, int, str]:
        if pack is None:
            return (2, 0, "")
        if pack in self.index:
            return (0, self.index[pack], "")
        return (1, 0, pack)


_NUMBER = re.compile(r"(\d+)")


def _article_key(article: str | None) -> tuple[int, tuple[tuple[int, str], ...]]:
    """Natural order ("art. 4" < "art. 5 §3" < "art. 11"); a missing article after every numbered one."""
    if article is None:
        return (1, ())
    pieces = _NUMBER.split(article)
    return (0, tuple((int(piece), "") if piece.isdigit() else (-1, piece) for piece in pieces if piece))
