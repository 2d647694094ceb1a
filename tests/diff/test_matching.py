"""How findings, verdicts and locations are matched, on hand-built results where each case is made on purpose."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

from residency_scan.diff import FieldChange, Trend, diff_results, findings_not_in_baseline
from residency_scan.models import (
    AssetResult,
    LocationStatus,
    Outcome,
    ScanResult,
    Sensitivity,
    Severity,
    WaiverRef,
)
from tests.reports.builders import located, part, scan_result
from tests.reports.factories import sample_assets, sample_scan_result


def replace_asset(result: ScanResult, asset_id: str, **update: Any) -> ScanResult:
    assets = tuple(a.model_copy(update=update) if a.id == asset_id else a for a in result.assets)
    return scan_result(assets)


def only(result: ScanResult, asset_id: str) -> AssetResult:
    return next(a for a in result.assets if a.id == asset_id)


def test_a_severity_regraded_by_the_rule_pack_is_shown_but_is_no_regression() -> None:
    old = sample_scan_result()
    finding = only(old, "supervision").findings[0]
    assert finding.severity is Severity.HIGH
    new = replace_asset(old, "supervision", findings=(finding.model_copy(update={"severity": Severity.CRITICAL}),))
    diff = diff_results(old, new)

    (change,) = diff.changed_findings
    assert (change.asset, change.trend, change.new.severity) == ("supervision", Trend.WORSE, Severity.CRITICAL)
    assert diff.summary.worsened_findings == 1
    assert diff.regressions() == []
    assert findings_not_in_baseline(new, old) == []
    assert diff_results(new, old).changed_findings[0].trend is Trend.BETTER


def test_a_new_address_in_the_same_country_is_not_drift() -> None:
    """A name that now resolves to another Moroccan address: nothing moved that an auditor cares about."""
    old = sample_scan_result()
    portail = only(old, "portail-citoyens")
    moved = located(LocationStatus.CONFIRMED, ("MA",), "every address is in MA",
                    part("196.200.131.99", LocationStatus.CONFIRMED, ("MA",), "geoip says MA"))
    diff = diff_results(old, replace_asset(old, "portail-citoyens", location=moved))
    assert portail.location.parts[0].subject != "196.200.131.99"
    assert diff.drift == ()


def test_an_unknown_location_becoming_confirmed_is_drift_even_with_the_same_verdict() -> None:
    old = sample_scan_result()
    messagerie = only(old, "messagerie")
    pinned = located(LocationStatus.CONFIRMED, ("IE",), "tenant region known",
                     part("microsoft-365", LocationStatus.CONFIRMED, ("IE",), "tenant in IE"))
    diff = diff_results(old, replace_asset(old, "messagerie", location=pinned))

    (drift,) = diff.drift
    assert (drift.old_status, drift.new_status) == (LocationStatus.UNKNOWN, LocationStatus.CONFIRMED)
    assert (drift.old_countries, drift.new_countries) == (messagerie.location.countries, ("IE",))
    assert [(s.subject, s.old_countries, s.new_countries) for s in drift.subjects] == [
        ("microsoft-365", ("FR", "IE", "NL"), ("IE",))
    ]
    assert diff.verdict_changes == ()


def test_a_finding_gone_with_a_lowered_sensitivity_is_flagged_as_an_edit() -> None:
    old = sample_scan_result()
    new = replace_asset(old, "sauvegardes", sensitivity=Sensitivity.PUBLIC, findings=(),
                        verdict=Outcome.NOT_APPLICABLE)
    diff = diff_results(old, new)

    assert [(d.asset, d.asset_change) for d in diff.fixed_findings] == [("sauvegardes", None)]
    (edit,) = diff.edited_assets
    assert edit.changes == (FieldChange(field="sensitivity", old="sensitive", new="public"),)
    assert [(v.old, v.new, v.trend) for v in diff.verdict_changes] == [
        (Outcome.VIOLATION, Outcome.NOT_APPLICABLE, Trend.BETTER)
    ]


@pytest.mark.parametrize(("old", "new", "trend"), [
    (Outcome.COMPLIANT, Outcome.NOT_APPLICABLE, Trend.NEUTRAL),
    (Outcome.NOT_APPLICABLE, Outcome.COMPLIANT, Trend.NEUTRAL),
    (Outcome.NOT_APPLICABLE, Outcome.INDETERMINATE, Trend.WORSE),
    (Outcome.INDETERMINATE, Outcome.VIOLATION, Trend.WORSE),
    (Outcome.VIOLATION, Outcome.COMPLIANT, Trend.BETTER),
])
def test_verdict_trends_treat_not_applicable_like_compliant(old: Outcome, new: Outcome, trend: Trend) -> None:
    base = sample_scan_result()
    before = replace_asset(base, "portail-citoyens", verdict=old)
    after = replace_asset(base, "portail-citoyens", verdict=new)
    (change,) = diff_results(before, after).verdict_changes
    assert change.trend is trend


def test_lists_keep_inventory_order_not_alphabetical_order() -> None:
    old = scan_result(())
    new = sample_scan_result()
    diff = diff_results(old, new)
    assert [a.id for a in diff.added_assets] == [a.id for a in new.assets]
    assert [d.asset for d in diff.new_findings] == [a.id for a in new.assets for _ in a.findings]
    assert [a.id for a in diff_results(new, old).removed_assets] == [a.id for a in new.assets]


def test_assets_with_the_same_id_cannot_be_matched() -> None:
    first = sample_assets()[0]
    doubled = scan_result((first, first))
    with pytest.raises(ValueError, match="portail-citoyens"):
        diff_results(sample_scan_result(), doubled)


def test_two_findings_of_one_rule_on_one_asset_cannot_be_matched() -> None:
    old = sample_scan_result()
    finding = only(old, "supervision").findings[0]
    with pytest.raises(ValueError, match="MA-ADM-1"):
        diff_results(old, replace_asset(old, "supervision", findings=(finding, finding)))


WAIVER = WaiverRef(id="W", owner="o", reason="r", expires=date(2030, 1, 1))


def test_a_lifted_waiver_is_a_worsened_finding_and_a_regression() -> None:
    base = sample_scan_result()
    console = only(base, "console-admin").findings[0]
    waived = replace_asset(base, "console-admin", findings=(console.model_copy(update={"waiver": WAIVER}),))
    lifted = diff_results(waived, base)
    (change,) = lifted.changed_findings
    assert (change.asset, change.trend) == ("console-admin", Trend.WORSE)
    assert lifted.regressions(Outcome.INDETERMINATE) == [("console-admin", console)]
    granted = diff_results(base, waived)
    assert granted.changed_findings[0].trend is Trend.BETTER and granted.regressions() == []


def test_regressions_and_the_baseline_test_agree_on_every_pair_of_results() -> None:
    """`diff` and `scan --baseline` must fail on the same findings, whatever the two results are."""
    base = sample_scan_result()
    supervision = only(base, "supervision").findings[0]
    console = only(base, "console-admin").findings[0]
    variants = [
        base,
        scan_result(()),
        replace_asset(base, "console-admin", findings=(console.model_copy(update={"outcome": Outcome.VIOLATION}),)),
        replace_asset(base, "supervision",
                      findings=(supervision.model_copy(update={"outcome": Outcome.INDETERMINATE}),)),
        replace_asset(base, "sauvegardes", findings=()),
        replace_asset(base, "intranet-rh", findings=(console,)),
        # a waived finding gates neither a plain scan nor a baseline, nor a diff; lifting the waiver does
        replace_asset(base, "intranet-rh", findings=(console.model_copy(update={"waiver": WAIVER}),)),
        replace_asset(base, "console-admin", findings=(console.model_copy(update={"waiver": WAIVER}),)),
    ]
    checked = 0
    for old, new in itertools.permutations(variants, 2):
        diff = diff_results(old, new)
        for threshold in (Outcome.INDETERMINATE, Outcome.VIOLATION):
            expected = [(a, f) for a, f in findings_not_in_baseline(new, old) if f.outcome.rank >= threshold.rank]
            assert sorted(diff.regressions(threshold), key=repr) == sorted(expected, key=repr)
            checked += bool(expected)
    assert checked >= 10  # the property was tested on pairs that do have regressions
