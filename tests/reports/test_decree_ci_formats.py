"""SARIF and JUnit for CI: a waived finding is an accepted suppression / a skipped test, and a waiver that needs
acting on (expired, invalid, stale) is a result or a test case of its own, located in the waivers file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

import pytest
from junitparser import Failure, Skipped

from residency_scan.models import ScanResult, WaiverStatusKind
from residency_scan.reports.junit import WAIVERS_SUITE
from residency_scan.reports.sarif import FINGERPRINT_KEY, fingerprint
from tests.reports.factories_decree import WAIVERS, WAIVERS_PATH, decree_scan_result
from tests.reports.test_junit import parsed
from tests.reports.test_junit import render as render_junit
from tests.reports.test_sarif import assert_valid, the_run

# ------------------------------------------------------------------------------------------------ SARIF


def results_by(run: Any) -> dict[tuple[str, str], Any]:
    """Results by (asset or waiver id, rule id)."""
    found = {}
    for item in run["results"]:
        owner = item["properties"].get("asset") if not item["ruleId"].startswith("WAIVER-") else (
            item["properties"]["waiver"])
        found[(owner, item["ruleId"])] = item
    return found


def test_a_waived_finding_is_an_accepted_external_suppression() -> None:
    run = the_run(decree_scan_result())
    waived = results_by(run)[("hebergement-cloud", "MA-LOC-1")]
    assert waived["suppressions"] == [{
        "kind": "external",
        "status": "accepted",
        "justification": "Migration to a qualified Moroccan provider under way (art. 17 risk analysis) — "
                         "DSI — Karim Benali, until 2026-03-31 (AR-2025-014)",
        "properties": {"waiver": "W-2025-01", "owner": "DSI — Karim Benali", "expires": "2026-03-31",
                       "reference": "AR-2025-014"},
    }]
    assert waived["level"] == "error"  # the finding keeps its level: it is accepted, not fixed
    no_reference = results_by(run)[("bastion", "MA-ADM-1")]["suppressions"][0]
    assert no_reference["justification"] == "Vendor support session, contract ends this month — RSSI, until 2025-10-01"
    assert "suppressions" not in results_by(run)[("bastion", "MA-ADM-2")]


def test_expired_invalid_and_stale_waivers_are_results_at_their_line_of_the_waivers_file() -> None:
    run = the_run(decree_scan_result())
    rules = run["tool"]["driver"]["rules"]
    waiver_results = [r for r in run["results"] if r["ruleId"].startswith("WAIVER-")]
    assert [(r["properties"]["waiver"], r["ruleId"], r["level"]) for r in waiver_results] == [
        ("W-2025-03", "WAIVER-STALE", "note"),
        ("W-2024-07", "WAIVER-EXPIRED", "error"),
        ("W-2025-04", "WAIVER-INVALID", "error"),
    ]
    artifacts = run["artifacts"]
    for item in waiver_results:
        location = item["locations"][0]["physicalLocation"]
        line = next(w.source.line for w in WAIVERS if w.id == item["properties"]["waiver"])
        assert location["region"] == {"startLine": line}
        assert artifacts[location["artifactLocation"]["index"]]["location"]["uri"] == WAIVERS_PATH
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
        waiver_id = item["properties"]["waiver"]
        assert item["partialFingerprints"][FINGERPRINT_KEY] == fingerprint(f"waiver:{waiver_id}", item["ruleId"])
    invalid = waiver_results[2]
    assert "no 'expires' date: a waiver must end; rule 'MA-XYZ' is not a rule of the loaded packs" in (
        invalid["message"]["text"])
    assert artifacts[1]["roles"] == ["userSpecifiedConfiguration"]
    described = {rule["id"]: rule for rule in rules}
    assert described["WAIVER-EXPIRED"]["defaultConfiguration"] == {"level": "error"}
    assert "art. 17" in described["WAIVER-STALE"]["help"]["text"]


def test_active_waivers_add_no_result_and_no_rule() -> None:
    only_active = decree_scan_result().model_copy(update={"waivers": WAIVERS[:2]})
    run = the_run(only_active)
    assert not [r for r in run["results"] if r["ruleId"].startswith("WAIVER-")]
    assert not [r for r in run["tool"]["driver"]["rules"] if r["id"].startswith("WAIVER-")]
    assert len(run["artifacts"]) == 1
    assert_valid({"version": "2.1.0", "runs": [run]})


def test_the_run_carries_the_matrix_the_deadlines_and_the_waiver_counts() -> None:
    result = decree_scan_result()
    properties = the_run(result)["properties"]
    assert properties["matrix"] == [row.model_dump(mode="json") for row in result.matrix]
    assert properties["deadlines"][0]["pack"] == "ma-decree-2-24-921"
    assert (properties["deadlines"][0]["date"], properties["deadlines"][0]["days_left"]) == ("2027-08-21", 705)
    assert properties["waivers"] == {"active": 2, "stale": 1, "expired": 1, "invalid": 1}
    assert properties["summary"]["waived"] == 1


# ------------------------------------------------------------------------------------------------ JUnit


def cases_of(result: ScanResult) -> dict[tuple[str, str], Any]:
    return {(case.classname, case.name.split(" ")[0]): case for suite in parsed(result) for case in suite}


def test_a_waived_check_is_a_skipped_test_case_naming_its_waiver() -> None:
    cases = cases_of(decree_scan_result())
    waived = cases[("ma-decree-2-24-921.MA-LOC-1", "hebergement-cloud")]
    [skip] = waived.result
    assert isinstance(skip, Skipped)
    assert skip.message == "waived by W-2025-01 (DSI — Karim Benali) until 2026-03-31"
    assert skip.type == "waived"
    assert "Waiver: Migration to a qualified Moroccan provider under way" in (skip.text or "")
    assert isinstance(cases[("ma-decree-2-24-921.MA-ADM-2", "bastion")].result[0], Failure)


def test_the_waivers_suite_fails_expired_and_invalid_skips_stale_and_passes_active() -> None:
    suites = {suite.name: suite for suite in parsed(decree_scan_result())}
    waivers = suites[WAIVERS_SUITE]
    assert (waivers.tests, waivers.failures, waivers.errors, waivers.skipped) == (5, 2, 0, 1)
    outcomes = {case.name.split(" ")[0]: [type(r).__name__ for r in case.result] for case in waivers}
    assert outcomes == {"W-2025-01": [], "W-2025-02": [], "W-2025-03": ["Skipped"], "W-2024-07": ["Failure"],
                        "W-2025-04": ["Failure"]}
    expired = next(case for case in waivers if case.name.startswith("W-2024-07")).result[0]
    assert expired.type == "waiver-expired"
    assert "declared at derogations.yaml:22" in (expired.text or "")
    assert "Expiry: expired on 2025-08-01 (45 days ago)" in (expired.text or "")


def test_totals_agree_with_the_suites_and_waived_cases_are_not_failures() -> None:
    root = ET.fromstring(render_junit(decree_scan_result()))
    suites = root.findall("testsuite")
    for key in ("tests", "failures", "errors"):
        assert int(root.get(key, "-1")) == sum(int(s.get(key, "0")) for s in suites)
    rule_suite = next(s for s in suites if s.get("name", "").startswith("MA-LOC-1"))
    kinds = Counter(child.tag for case in rule_suite.iter("testcase") for child in case)
    assert (rule_suite.get("failures"), rule_suite.get("skipped")) == (str(kinds["failure"]), str(kinds["skipped"]))
    assert kinds["skipped"] == 1


@pytest.mark.parametrize("status", list(WaiverStatusKind))
def test_a_lone_waiver_of_each_status_gives_a_valid_log(status: WaiverStatusKind) -> None:
    one = WAIVERS[0].model_copy(update={"status": status})
    result = decree_scan_result().model_copy(update={"waivers": (one,)})
    assert_valid({"version": "2.1.0", "runs": [the_run(result)]})
    assert parsed(result)


def test_junit_suites_carry_the_pack_deadline() -> None:
    root = ET.fromstring(render_junit(decree_scan_result()))
    suite = root.find("testsuite")
    assert suite is not None
    values = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert values["deadline.ma-decree-2-24-921"] == (
        "Decree 2-24-921: sensitive systems and data hosted in Morocco — comply by 2027-08-21 (705 days left; "
        "date inferred)")
