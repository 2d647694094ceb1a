"""MatrixCounter: the compliance matrix counted one asset at a time, waivers included, in constant memory."""

from __future__ import annotations

import tracemalloc
from datetime import date

from residency_scan.compliance import MatrixCounter, counted_outcome
from residency_scan.models import (
    AssetKind,
    AssetResult,
    LegalReference,
    LocationStatus,
    MatrixRow,
    Outcome,
    RuleCheck,
    RuleInfo,
    ScanResult,
    Severity,
    WaiverRef,
)
from residency_scan.reports.matrix import compliance_matrix
from tests.reports.builders import (
    DECREE_ART_4,
    DECREE_ART_5,
    LAW_05_20,
    RULE_PACK,
    asset,
    finding,
    located,
    scan_result,
)
from tests.reports.factories import sample_scan_result
from tests.reports.factories_decree import RULES, decree_scan_result

PACK = RULE_PACK.id
WAIVER = WaiverRef(id="W-1", owner="DSI", reason="accepted", expires=date(2026, 1, 1))


def rule(rule_id: str, reference: LegalReference, pack: str = PACK) -> RuleInfo:
    return RuleInfo(id=rule_id, pack=pack, title=rule_id, title_fr=rule_id, severity=Severity.HIGH,
                    reference=reference, message="m", message_fr="m", remediation="r", remediation_fr="r")


def judged(asset_id: str, *checks: tuple[str, Outcome, str | None]) -> AssetResult:
    """An asset with (rule, outcome, waiver id) checks; verdict and findings follow from them."""
    findings = [
        finding(rule_id, outcome, Severity.HIGH, DECREE_ART_4, title="t", title_fr="t", message="m",
                message_fr="m", reason="r", waiver=WAIVER.model_copy(update={"id": waiver}) if waiver else None)
        for rule_id, outcome, waiver in checks
        if outcome in (Outcome.VIOLATION, Outcome.INDETERMINATE)
    ]
    return asset(asset_id, AssetKind.SERVER, Outcome.VIOLATION, located(LocationStatus.CONFIRMED, ("MA",), "x"), [],
                 checks=[RuleCheck(rule=r, outcome=o, reason="r", waiver=w) for r, o, w in checks],
                 findings=findings)


def counted(rules: list[RuleInfo], *assets: AssetResult) -> tuple[MatrixRow, ...]:
    counter = MatrixCounter(rules)
    for item in assets:
        counter.add(item)
    return counter.rows()


def test_a_waived_check_counts_as_waived_and_the_worst_outcome_wins_per_asset() -> None:
    rules = [rule("A", DECREE_ART_5), rule("B", DECREE_ART_5)]
    [row] = counted(
        rules,
        judged("waived-only", ("A", Outcome.VIOLATION, "W-1"), ("B", Outcome.COMPLIANT, None)),
        judged("waived-and-open", ("A", Outcome.VIOLATION, "W-1"), ("B", Outcome.INDETERMINATE, None)),
        judged("open-violation", ("A", Outcome.VIOLATION, None), ("B", Outcome.INDETERMINATE, "W-2")),
        judged("fine", ("A", Outcome.COMPLIANT, None)),
        judged("out-of-scope", ("A", Outcome.NOT_APPLICABLE, None)),
    )
    assert (row.assessed, row.violation, row.indeterminate, row.waived, row.compliant) == (4, 1, 1, 1, 1)
    assert row.assessed == row.compliant + row.violation + row.indeterminate + row.waived


def test_a_waiver_only_on_the_finding_still_counts_as_waived() -> None:
    """Results that mark the finding but not the check (hand-built, or older writers) count the same."""
    item = judged("x", ("A", Outcome.INDETERMINATE, None))
    marked = item.model_copy(update={"findings": (item.findings[0].model_copy(update={"waiver": WAIVER}),)})
    [row] = counted([rule("A", DECREE_ART_4)], marked)
    assert (row.waived, row.indeterminate) == (1, 0)
    assert counted_outcome(RuleCheck(rule="A", outcome=Outcome.COMPLIANT, reason="r", waiver="W-1")) is (
        Outcome.COMPLIANT)  # a waiver never changes a compliant check


def _matrix_by_hand(result: ScanResult) -> dict[tuple[str, ...], tuple[int, int, int, int, int]]:
    """An independent oracle: per row's rules, each asset's worst check (a waived one as 'waived'), counted."""
    order = ["compliant", "waived", "indeterminate", "violation"]
    rows = {}
    for row in result.matrix:
        counts = dict.fromkeys(order, 0)
        for item in result.assets:
            waived = {f.rule for f in item.findings if f.waiver is not None}
            seen = [("waived" if c.rule in waived and c.outcome.value != "compliant" else c.outcome.value)
                    for c in item.checks if c.rule in row.rules and c.outcome.value != "not-applicable"]
            if seen:
                counts[max(seen, key=order.index)] += 1
        rows[row.rules] = (sum(counts.values()), counts["compliant"], counts["violation"],
                           counts["indeterminate"], counts["waived"])
    return rows


def test_counting_asset_by_asset_gives_the_matrix_of_the_whole_result() -> None:
    result = decree_scan_result()
    assert counted(list(RULES), *result.assets) == result.matrix
    assert {row.rules: (row.assessed, row.compliant, row.violation, row.indeterminate, row.waived)
            for row in result.matrix} == _matrix_by_hand(result)
    whole = result.model_copy(update={"matrix": ()})  # as written by 1.0: reports count it themselves
    assert compliance_matrix(whole) == result.matrix
    by_article = {row.article: row for row in result.matrix}
    assert (by_article["art. 4"].waived, by_article["art. 5 §3"].waived, by_article["art. 5 §4"].waived) == (1, 1, 0)


def test_reports_use_the_matrix_the_result_carries() -> None:
    result = decree_scan_result()
    recorded = (MatrixRow(pack=PACK, text="Décret", article="art. 99", rules=("X",), assessed=1, compliant=0,
                          violation=0, indeterminate=0, waived=1),)
    assert compliance_matrix(result.model_copy(update={"matrix": recorded})) == recorded


def test_undescribed_rules_take_the_reference_of_a_finding_seen_later() -> None:
    """The first asset only passes the rule: its article is known from the second asset's finding."""
    first = judged("first", ("LOC", Outcome.COMPLIANT, None))
    second = asset("second", AssetKind.SERVER, Outcome.VIOLATION, located(LocationStatus.CONFIRMED, ("FR",), "x"), [],
                   checks=[RuleCheck(rule="LOC", outcome=Outcome.VIOLATION, reason="r")],
                   findings=[finding("LOC", Outcome.VIOLATION, Severity.HIGH, LAW_05_20, title="t", title_fr="t",
                                     message="m", message_fr="m", reason="r")])
    [row] = counted([], first, second)
    assert (row.pack, row.text, row.article, row.article_uncertain) == (None, LAW_05_20.text, "art. 11", True)
    assert (row.assessed, row.compliant, row.violation) == (2, 1, 1)


def test_undescribed_rules_of_one_article_count_an_asset_once() -> None:
    both = judged("both", ("U1", Outcome.VIOLATION, None), ("U2", Outcome.INDETERMINATE, None))
    rows = counted([], both, judged("again", ("U1", Outcome.COMPLIANT, None), ("U2", Outcome.VIOLATION, "W-1")))
    [row] = rows  # both findings cite decree art. 4
    assert row.rules == ("U1", "U2")
    assert (row.assessed, row.violation, row.compliant, row.waived) == (2, 1, 0, 1)  # "again": waived beats compliant


def test_rows_follow_the_pack_order_the_rules_come_in() -> None:
    rules = [rule("S", LAW_05_20, pack="second"), rule("F", DECREE_ART_4)]
    assert [row.pack for row in counted(rules)] == ["second", PACK]
    counter = MatrixCounter(rules, packs=[PACK, "second"])
    assert [row.pack for row in counter.rows()] == [PACK, "second"]


def test_a_sample_without_rules_still_has_its_matrix() -> None:
    rows = compliance_matrix(sample_scan_result())
    assert {row.rules for row in rows} == {("MA-ADM-1",), ("MA-LOC-1",)}


def test_memory_does_not_grow_with_the_number_of_assets() -> None:
    """The scanner streams 100,000 assets: the counter keeps counts, not the assets or their ids."""
    rules = [rule("A", DECREE_ART_5), rule("B", DECREE_ART_4)]
    counter = MatrixCounter(rules)
    items = [judged(f"asset-{n}", ("A", Outcome.VIOLATION, "W-1" if n % 2 else None), ("B", Outcome.COMPLIANT, None),
                    ("U", Outcome.INDETERMINATE, None)) for n in range(4)]
    for item in items:
        counter.add(item)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(2_000):
        for item in items:
            counter.add(item)
    grown = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename")
                if stat.traceback[0].filename.endswith("compliance.py"))
    tracemalloc.stop()
    assert grown < 16_000, f"MatrixCounter grew by {grown} bytes over 8,000 assets"
    rows = {row.rules: row for row in counter.rows()}
    assert rows[("A",)].assessed == 8_004 and rows[("A",)].waived == 4_002
    assert rows[("U",)].indeterminate == 8_004


def test_an_empty_scan_has_rows_for_its_rules_and_nothing_counted() -> None:
    result = scan_result([])
    assert compliance_matrix(result) == ()
    [row] = counted([rule("A", DECREE_ART_4)])
    assert (row.assessed, row.rules) == (0, ("A",))
