"""The compliance matrix and the country table: counted from checks, one row per article, in a fixed order."""

from __future__ import annotations

from collections import Counter

from residency_scan.models import (
    AssetKind,
    AssetResult,
    LegalReference,
    LocationStatus,
    Outcome,
    RuleCheck,
    RuleInfo,
    RulePackRef,
    ScanResult,
    Severity,
)
from residency_scan.reports.matrix import CountryRow, MatrixRow, compliance_matrix, country_table
from tests.reports.builders import DECREE_ART_4, DECREE_ART_5, LAW_05_20, RULE_PACK, asset, located, scan_result
from tests.reports.factories import sample_scan_result

PACK = RULE_PACK.id


def rule(rule_id: str, reference: LegalReference, pack: str = PACK) -> RuleInfo:
    return RuleInfo(
        id=rule_id,
        pack=pack,
        title=f"{rule_id} title",
        title_fr=f"titre de {rule_id}",
        severity=Severity.CRITICAL,
        reference=reference,
        message="{asset}",
        message_fr="{asset}",
        remediation="fix {asset}",
        remediation_fr="corriger {asset}",
    )


def row(reference: LegalReference, rules: tuple[str, ...], pack: str | None = PACK, **counts: int) -> MatrixRow:
    return MatrixRow(pack=pack, text=reference.text, article=reference.article,
                     article_uncertain=reference.article_uncertain, url=reference.url, rules=rules, **counts)


def checked(asset_id: str, *checks: tuple[str, Outcome]) -> AssetResult:
    verdict = max((outcome for _, outcome in checks), key=lambda o: o.rank, default=Outcome.NOT_APPLICABLE)
    return asset(
        asset_id,
        AssetKind.SERVER,
        verdict,
        located(LocationStatus.CONFIRMED, ("MA",), "test"),
        [],
        checks=[RuleCheck(rule=rule_id, outcome=outcome, reason="test") for rule_id, outcome in checks],
    )


def result_with(
    rules: tuple[RuleInfo, ...], *assets: AssetResult, packs: tuple[RulePackRef, ...] = (RULE_PACK,)
) -> ScanResult:
    return scan_result(assets).model_copy(update={"rules": rules, "rule_packs": packs})


def test_sample_matrix_counts_each_rule_from_the_checks() -> None:
    rules = (rule("MA-LOC-1", DECREE_ART_5), rule("MA-ADM-1", DECREE_ART_4), rule("MA-LOC-2", LAW_05_20))
    result = sample_scan_result().model_copy(update={"rules": rules})
    rows = compliance_matrix(result)
    assert rows == (
        row(DECREE_ART_4, ("MA-ADM-1",), assessed=2, compliant=0, violation=1, indeterminate=1),
        row(DECREE_ART_5, ("MA-LOC-1",), assessed=2, compliant=1, violation=1, indeterminate=0),
        row(LAW_05_20, ("MA-LOC-2",), assessed=0, compliant=0, violation=0, indeterminate=0),
    )


def test_rules_of_one_article_share_a_row_and_an_asset_counts_once_with_its_worst_outcome() -> None:
    rules = (rule("R-B", DECREE_ART_5), rule("R-A", DECREE_ART_5))
    result = result_with(
        rules,
        checked("both", ("R-A", Outcome.COMPLIANT), ("R-B", Outcome.VIOLATION)),
        checked("unsure", ("R-A", Outcome.INDETERMINATE), ("R-B", Outcome.COMPLIANT)),
        checked("fine", ("R-B", Outcome.COMPLIANT)),
    )
    [row] = compliance_matrix(result)
    assert row.rules == ("R-A", "R-B")
    assert (row.assessed, row.compliant, row.violation, row.indeterminate, row.waived) == (3, 1, 1, 1, 0)


def test_assessed_is_the_sum_of_the_outcomes_and_matches_a_recount_of_the_checks() -> None:
    rules = (rule("A", DECREE_ART_4), rule("B", DECREE_ART_5), rule("C", LAW_05_20))
    assets = [
        checked(f"a{i}", *[(r, [Outcome.COMPLIANT, Outcome.VIOLATION, Outcome.INDETERMINATE][(i + k) % 3])
                           for k, r in enumerate("ABC") if (i + k) % 4])
        for i in range(12)
    ]
    result = result_with(rules, *assets)
    recount: dict[str, Counter[Outcome]] = {r.id: Counter() for r in rules}
    for item in result.assets:
        for check in item.checks:
            recount[check.rule][check.outcome] += 1
    for row in compliance_matrix(result):
        [rule_id] = row.rules
        assert row.assessed == row.compliant + row.violation + row.indeterminate == sum(recount[rule_id].values())
        assert row.compliant == recount[rule_id][Outcome.COMPLIANT]
        assert row.violation == recount[rule_id][Outcome.VIOLATION]
        assert row.indeterminate == recount[rule_id][Outcome.INDETERMINATE]


def test_a_not_applicable_check_is_not_an_assessment() -> None:
    result = result_with((rule("A", DECREE_ART_4),), checked("x", ("A", Outcome.NOT_APPLICABLE)))
    assert compliance_matrix(result)[0].assessed == 0


def test_rows_follow_pack_order_then_text_then_natural_article_order() -> None:
    second = RulePackRef(id="second", title="t", version="1", path="p", sha256="0" * 64)
    art = [LegalReference(text="Loi", article=a) for a in ("art. 11", "art. 5 §3", "art. 5", "art. 4")]
    rules = (
        rule("S1", art[0], pack="second"),
        rule("F11", art[0]),
        rule("F53", art[1]),
        rule("F5", art[2]),
        rule("F4", art[3]),
        rule("X", LegalReference(text="Loi"), pack="unlisted"),
    )
    rows = compliance_matrix(result_with(rules, packs=(RULE_PACK, second)))
    assert [(r.pack, r.article) for r in rows] == [
        (PACK, "art. 4"), (PACK, "art. 5"), (PACK, "art. 5 §3"), (PACK, "art. 11"),
        ("second", "art. 11"), ("unlisted", None),
    ]
    assert compliance_matrix(result_with(tuple(reversed(rules)), packs=(RULE_PACK, second))) == rows


def test_article_uncertain_is_kept_when_any_rule_of_the_row_says_so() -> None:
    certain = LegalReference(text="Loi 05-20", article="art. 11")
    uncertain = certain.model_copy(update={"article_uncertain": True})
    [row] = compliance_matrix(result_with((rule("A", certain), rule("B", uncertain))))
    assert row.article_uncertain


def test_a_checked_rule_the_result_does_not_describe_takes_its_reference_from_a_finding() -> None:
    rows = compliance_matrix(sample_scan_result())  # built without `rules`
    by_rules = {row.rules: row for row in rows}
    assert set(by_rules) == {("MA-ADM-1",), ("MA-LOC-1",)}
    assert all(row.pack is None for row in rows)
    assert by_rules[("MA-ADM-1",)].article == "art. 4"
    assert by_rules[("MA-LOC-1",)].text == LAW_05_20.text  # the first finding of MA-LOC-1 cites law 05-20


def test_the_matrix_does_not_depend_on_the_order_of_the_assets() -> None:
    result = sample_scan_result()
    reordered = result.model_copy(update={"assets": tuple(reversed(result.assets))})
    assert compliance_matrix(result) == compliance_matrix(reordered)


def test_country_table_puts_morocco_first_and_assets_without_a_country_last() -> None:
    rows = country_table(sample_scan_result())
    assert rows[0] == CountryRow("MA", assets=2, confirmed=1, contradicted=1, unknown=0, subjects=1)
    assert rows[-1].country is None
    assert rows[-1].assets == 2  # console-admin (unknown) and intranet-rh (internal network)
    fr = next(row for row in rows if row.country == "FR")
    # sauvegardes (confirmed), espace-usagers (contradicted), messagerie (candidates only: unknown)
    assert (fr.assets, fr.confirmed, fr.contradicted, fr.unknown) == (3, 1, 1, 1)
    assert fr.subjects == 3  # aws:eu-west-3, 104.16.12.3, microsoft-365
    counts = [row.assets for row in rows[1:-1]]
    assert counts == sorted(counts, reverse=True)


def test_every_asset_is_counted_under_each_of_its_countries_or_under_none() -> None:
    result = sample_scan_result()
    expected = sum(max(len(a.location.countries), 1) for a in result.assets)
    assert sum(row.assets for row in country_table(result)) == expected
    for row in country_table(result):
        assert row.assets == row.confirmed + row.contradicted + row.unknown
