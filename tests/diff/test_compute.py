"""`diff_results` on real scans of the ministry example, edited the way an estate changes between two audits."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_scan.diff import (
    FieldChange,
    ResultDiff,
    SourceChange,
    SubjectDrift,
    Trend,
    diff_results,
    findings_not_in_baseline,
)
from residency_scan.models import LocationStatus, Outcome, ScanResult
from tests.diff.scans import MINISTERE, edit, ministere, remove_asset, scan_file, scan_text
from tests.mmdb_factory import write_country_mmdb

OCI_CASABLANCA = "provider: oci, region: af-casablanca-1"
AWS_PARIS = "provider: aws, region: eu-west-3"
LOC = "MA-DECREE-LOC-1"
ADM = "MA-DECREE-ADM-1"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    """The ministry example as shipped: 13 assets, 7 findings."""
    return scan_text(tmp_path_factory.mktemp("baseline"), "ministere", ministere())


def diff_after(baseline: ScanResult, tmp_path: Path, inventory_text: str) -> ResultDiff:
    return diff_results(baseline, scan_text(tmp_path, "ministere", inventory_text))


def test_two_scans_of_the_same_inventory_differ_in_nothing(baseline: ScanResult, tmp_path: Path) -> None:
    again = scan_file(MINISTERE, tmp_path / "again.json")
    diff = diff_results(baseline, again)
    findings = sum(len(a.findings) for a in baseline.assets)
    assert findings == 7
    assert diff.summary.unchanged_findings == findings
    counts = diff.summary.model_dump()
    assert {name: n for name, n in counts.items() if n and name != "unchanged_findings"} == {}
    assert (diff.new_findings, diff.fixed_findings, diff.changed_findings, diff.drift) == ((), (), (), ())
    assert (diff.verdict_changes, diff.added_assets, diff.removed_assets, diff.edited_assets) == ((), (), (), ())
    assert diff.source_changes == ()
    assert diff.regressions() == []
    assert findings_not_in_baseline(again, baseline) == []


def test_a_result_compared_with_itself_is_empty(baseline: ScanResult) -> None:
    diff = diff_results(baseline, baseline)
    assert diff.summary.unchanged_findings == 7
    assert diff.summary.new_findings == diff.summary.fixed_findings == diff.summary.drifted_assets == 0


def test_moving_a_store_from_casablanca_to_paris_is_a_new_finding_and_drift(
    baseline: ScanResult, tmp_path: Path
) -> None:
    diff = diff_after(baseline, tmp_path, edit(ministere(), OCI_CASABLANCA, AWS_PARIS))

    assert [(d.asset, d.finding.rule, d.finding.outcome, d.asset_change) for d in diff.new_findings] == [
        ("entrepot-oci", LOC, Outcome.VIOLATION, None)
    ]
    assert diff.fixed_findings == ()
    assert diff.changed_findings == ()
    assert [(v.asset, v.old, v.new, v.trend) for v in diff.verdict_changes] == [
        ("entrepot-oci", Outcome.COMPLIANT, Outcome.VIOLATION, Trend.WORSE)
    ]
    (drift,) = diff.drift
    assert (drift.asset, drift.old_status, drift.old_countries) == ("entrepot-oci", LocationStatus.CONFIRMED, ("MA",))
    assert (drift.new_status, drift.new_countries) == (LocationStatus.CONTRADICTED, ("FR",))
    assert drift.subjects == (
        SubjectDrift(subject="aws:eu-west-3", old_status=None, new_status=LocationStatus.CONTRADICTED,
                     new_countries=("FR",)),
        SubjectDrift(subject="oci:af-casablanca-1", old_status=LocationStatus.CONFIRMED, new_status=None,
                     old_countries=("MA",)),
    )
    (edited,) = diff.edited_assets
    assert edited.asset == "entrepot-oci"
    assert edited.changes == (FieldChange(field="cloud", old="oci:af-casablanca-1 archives-ministere",
                                          new="aws:eu-west-3 archives-ministere"),)
    assert [(a, f.rule) for a, f in diff.regressions()] == [("entrepot-oci", LOC)]
    assert diff.summary.unchanged_findings == 7


def test_moving_backups_home_is_a_fixed_finding_and_not_a_regression(baseline: ScanResult, tmp_path: Path) -> None:
    text = edit(ministere(), "provider: aws, region: eu-west-3, account", "provider: oci, region: af-casablanca-1, "
                                                                          "account")
    new = scan_text(tmp_path, "ministere", text)
    diff = diff_results(baseline, new)

    assert [(d.asset, d.finding.rule, d.finding.outcome, d.asset_change) for d in diff.fixed_findings] == [
        ("sauvegardes-s3", LOC, Outcome.VIOLATION, None)
    ]
    assert diff.new_findings == ()
    assert [(v.asset, v.new, v.trend) for v in diff.verdict_changes] == [
        ("sauvegardes-s3", Outcome.COMPLIANT, Trend.BETTER)
    ]
    assert [(d.asset, d.old_countries, d.new_status, d.new_countries) for d in diff.drift] == [
        ("sauvegardes-s3", ("FR",), LocationStatus.CONFIRMED, ("MA",))
    ]
    assert diff.regressions(Outcome.INDETERMINATE) == []
    assert findings_not_in_baseline(new, baseline) == []


def test_added_and_removed_assets_bring_and_take_their_findings(baseline: ScanResult, tmp_path: Path) -> None:
    added = (
        "\n  - id: crm-cloud\n    kind: saas\n    cloud: {provider: aws, region: eu-central-1}\n"
        "    description: \"CRM\"\n"
    )
    text = remove_asset(ministere(), "messagerie") + added
    diff = diff_after(baseline, tmp_path, text)

    assert [(a.id, a.verdict, a.countries, a.findings) for a in diff.added_assets] == [
        ("crm-cloud", Outcome.VIOLATION, ("DE",), 1)
    ]
    assert [(a.id, a.verdict, a.findings) for a in diff.removed_assets] == [("messagerie", Outcome.VIOLATION, 1)]
    assert [(d.asset, d.finding.rule, d.asset_change) for d in diff.new_findings] == [("crm-cloud", LOC, "added")]
    assert [(d.asset, d.finding.rule, d.asset_change) for d in diff.fixed_findings] == [
        ("messagerie", LOC, "removed")
    ]
    # Neither a kept asset's verdict nor its location changed: coming and going is not drift.
    assert (diff.drift, diff.verdict_changes, diff.edited_assets) == ((), (), ())


def test_indeterminate_becoming_violation_is_a_worsened_finding_and_a_regression(
    baseline: ScanResult, tmp_path: Path
) -> None:
    text = edit(ministere(), "target: https://vcenter.ministere-exemple.ma:9443", f"cloud: {{{AWS_PARIS}}}")
    new = scan_text(tmp_path, "ministere", text)
    diff = diff_results(baseline, new)

    (change,) = diff.changed_findings
    assert (change.asset, change.rule, change.trend) == ("console-hyperviseur", ADM, Trend.WORSE)
    assert (change.old.outcome, change.new.outcome) == (Outcome.INDETERMINATE, Outcome.VIOLATION)
    assert diff.new_findings == diff.fixed_findings == ()
    assert diff.summary.worsened_findings == 1
    assert [(a, f.rule, f.outcome) for a, f in diff.regressions()] == [
        ("console-hyperviseur", ADM, Outcome.VIOLATION)
    ]
    # Even a CI job that only fails on violations fails on it: it was not a violation before.
    assert [a for a, _ in diff.regressions(Outcome.VIOLATION)] == ["console-hyperviseur"]
    assert [(a, f.outcome) for a, f in findings_not_in_baseline(new, baseline)] == [
        ("console-hyperviseur", Outcome.VIOLATION)
    ]

    back = diff_results(new, baseline)
    (improved,) = back.changed_findings
    assert improved.trend is Trend.BETTER
    assert back.summary.improved_findings == 1
    assert back.regressions() == []
    # The baseline accepted a violation; an indeterminate on the same asset and rule is no news.
    assert findings_not_in_baseline(baseline, new) == []


def test_an_address_that_moves_country_is_drift_of_the_same_subject(tmp_path: Path) -> None:
    """Same inventory, a user GeoIP database updated: 41.140.20.5 goes from MA to FR."""
    in_ma = write_country_mmdb(tmp_path / "ma.mmdb", {"41.140.20.0/24": "MA"})
    in_fr = write_country_mmdb(tmp_path / "fr.mmdb", {"41.140.20.0/24": "FR"})
    old = scan_file(MINISTERE, tmp_path / "old.json", "--geoip-db", str(in_ma))
    new = scan_file(MINISTERE, tmp_path / "new.json", "--geoip-db", str(in_fr))
    diff = diff_results(old, new)

    (drift,) = diff.drift
    assert drift.asset == "bastion-admin"
    assert drift.subjects == (
        SubjectDrift(subject="41.140.20.5", old_status=LocationStatus.CONFIRMED, old_countries=("MA",),
                     new_status=LocationStatus.CONTRADICTED, new_countries=("FR",)),
    )
    assert [(d.asset, d.finding.rule, d.finding.outcome) for d in diff.new_findings] == [
        ("bastion-admin", ADM, Outcome.VIOLATION)
    ]
    assert diff.edited_assets == ()  # nothing in the inventory changed: the data did
    (source,) = diff.source_changes
    assert (source.kind, source.id) == ("dataset", "user-geoip")
    assert source.old_version != source.new_version
    assert source.old_version is not None and source.old_version.startswith("2024-06-01 sha256:")


def test_the_diff_is_the_same_value_every_time(baseline: ScanResult, tmp_path: Path) -> None:
    text = remove_asset(edit(ministere(), OCI_CASABLANCA, AWS_PARIS), "depot-code")
    first = scan_text(tmp_path, "first", text)
    second = scan_text(tmp_path, "second", text)
    one, two = diff_results(baseline, first), diff_results(baseline, second)
    # Only the inventory path differs between the two scans; everything the diff found is the same.
    assert one.model_dump(exclude={"new"}) == two.model_dump(exclude={"new"})
    assert one == diff_results(baseline, first)


def test_source_changes_list_datasets_and_rule_packs_that_came_or_went(baseline: ScanResult) -> None:
    (dataset, *_) = baseline.data_sources
    (pack,) = baseline.rule_packs
    newer = baseline.model_copy(update={
        "data_sources": (dataset.model_copy(update={"version": "9.9.9"}), *baseline.data_sources[1:]),
        "rule_packs": (),
    })
    diff = diff_results(baseline, newer)
    assert diff.source_changes == (
        SourceChange(kind="dataset", id=dataset.id, old_version=dataset.version, new_version="9.9.9"),
        SourceChange(kind="rule-pack", id=pack.id, old_version=pack.version, new_version=None),
    )
