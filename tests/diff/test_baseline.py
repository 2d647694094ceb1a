"""`scan --baseline`: which findings of a new scan the baseline did not accept, on real and streamed scans."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from residency_scan.diff import Baseline, diff_results, findings_not_in_baseline, load_result
from residency_scan.inventory import load_inventory
from residency_scan.models import AssetResult, Outcome, ScanResult, WaiverRef
from residency_scan.rules import RuleEngine, load_rule_packs
from residency_scan.scan import ResolverSettings, ScanClock, Scanner, build_resolvers
from tests.diff.scans import LOCATION_RULES, MINISTERE, edit, ministere, scan_file, scan_text

WORSE_AND_NEW = (
    ("target: https://vcenter.ministere-exemple.ma:9443", "cloud: {provider: aws, region: eu-west-3}"),
    ("provider: oci, region: af-casablanca-1", "provider: aws, region: eu-west-3"),
)


@pytest.fixture(scope="module")
def baseline_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("baseline") / "baseline.json"
    scan_file(MINISTERE, output)
    return output


@pytest.fixture(scope="module")
def edited_inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = ministere()
    for old, new in WORSE_AND_NEW:
        text = edit(text, old, new)
    path = tmp_path_factory.mktemp("edited") / "ministere.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_only_new_and_worsened_findings_are_not_in_the_baseline(
    baseline_file: Path, edited_inventory: Path, tmp_path: Path
) -> None:
    baseline = load_result(baseline_file)
    result = scan_file(edited_inventory, tmp_path / "edited.json")

    found = [(asset, f.rule, f.outcome) for asset, f in findings_not_in_baseline(result, baseline)]
    assert found == [  # inventory order
        ("entrepot-oci", "MA-DECREE-LOC-1", Outcome.VIOLATION),  # new
        ("console-hyperviseur", "MA-DECREE-ADM-1", Outcome.VIOLATION),  # indeterminate before
    ]
    # The other 6 findings of the edited scan were all in the baseline.
    assert sum(len(a.findings) for a in result.assets) == 8
    assert findings_not_in_baseline(baseline, baseline) == []


def test_an_empty_baseline_accepts_nothing(baseline_file: Path) -> None:
    result = load_result(baseline_file)
    empty = result.model_copy(update={"assets": ()})
    assert len(Baseline(empty)) == 0
    assert len(findings_not_in_baseline(result, empty)) == 7


def test_a_baseline_read_without_evidence_accepts_the_same_findings(baseline_file: Path, tmp_path: Path) -> None:
    full, light = load_result(baseline_file), load_result(baseline_file, evidence=False)
    assert all(a.evidence for a in full.assets)
    assert not any(a.evidence for a in light.assets)
    assert light.assets == tuple(a.model_copy(update={"evidence": ()}) for a in full.assets)
    assert len(Baseline(light)) == len(Baseline(full)) == 7
    edited = scan_text(tmp_path, "edited", edit(ministere(), *WORSE_AND_NEW[1]))
    assert findings_not_in_baseline(edited, light) == findings_not_in_baseline(edited, full)
    assert diff_results(light, edited).model_dump(exclude={"old"}) == diff_results(full, edited).model_dump(
        exclude={"old"})


def streamed_scan(inventory: Path, on_asset: list[AssetResult]) -> ScanResult:
    """The CLI's JSON path: each asset handed over as soon as it is judged, none kept in the result."""
    clock = ScanClock()
    engine = RuleEngine(load_rule_packs([LOCATION_RULES]))
    scanner = Scanner(build_resolvers(ResolverSettings(offline=True), clock), engine,
                      clock=clock, offline=True)
    return scanner.scan(load_inventory(inventory), on_asset=on_asset.append)


def test_a_streamed_scan_is_checked_asset_by_asset(baseline_file: Path, edited_inventory: Path) -> None:
    gate = Baseline(load_result(baseline_file, evidence=False))
    judged: list[AssetResult] = []
    result = streamed_scan(edited_inventory, judged)
    assert result.assets == ()  # what the CLI sees when it streams JSON: findings_not_in_baseline cannot work

    unaccepted = [(asset.id, finding.rule) for asset in judged for finding in gate.unaccepted(asset)]
    assert unaccepted == [("entrepot-oci", "MA-DECREE-LOC-1"), ("console-hyperviseur", "MA-DECREE-ADM-1")]


def test_a_waived_finding_is_not_held_against_the_baseline(baseline_file: Path, edited_inventory: Path,
                                                           tmp_path: Path) -> None:
    gate = Baseline(load_result(baseline_file, evidence=False))
    new = scan_file(edited_inventory, tmp_path / "new.json")
    asset = next(a for a in new.assets if gate.unaccepted(a))
    waiver = WaiverRef(id="W", owner="o", reason="r", expires=date(2030, 1, 1))
    waived = asset.model_copy(update={"findings": tuple(f.model_copy(update={"waiver": waiver})
                                                         for f in asset.findings)})
    assert gate.unaccepted(waived) == []


def test_a_finding_only_a_waiver_accepted_is_not_accepted_by_the_baseline_once_the_waiver_is_gone(
        tmp_path: Path) -> None:
    result = scan_file(MINISTERE, tmp_path / "r.json")
    waiver = WaiverRef(id="W", owner="o", reason="r", expires=date(2030, 1, 1))
    waived_assets = tuple(a.model_copy(update={"findings": tuple(f.model_copy(update={"waiver": waiver})
                                                                 for f in a.findings)}) for a in result.assets)
    gate = Baseline(result.model_copy(update={"assets": waived_assets}))
    assert [f.rule for a in result.assets for f in gate.unaccepted(a)] == [
        f.rule for a in result.assets for f in a.findings]
