"""The ministry example scanned for real with its waivers, provider register and admin-access log: every format
renders what the scan decided, valid against its schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from residency_scan.compliance import MatrixCounter
from residency_scan.models import ScanResult, WaiverStatusKind
from residency_scan.reports import ConsoleReporter, HtmlReporter, JsonReporter, MarkdownReporter, SarifReporter
from tests.reports.test_html import Page
from tests.reports.test_junit import parsed
from tests.reports.test_sarif import WITH_EVERYTHING, assert_valid, scan_example

REPO = Path(__file__).resolve().parents[2]
WAIVERS_FILE = "examples/derogations-exemple.yaml"


def full_scan() -> ScanResult:
    return scan_example("ministere-exemple.yaml", *WITH_EVERYTHING)


def waiver_line(waiver_id: str) -> int:
    lines = (REPO / WAIVERS_FILE).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if line.strip() == f"- id: {waiver_id}")


def test_the_scan_has_what_the_reports_must_show() -> None:
    """Guards the tests below: if the example stops waiving or logging, they would prove nothing."""
    result = full_scan()
    waived = [(a.id, f.rule, f.waiver.id) for a in result.assets for f in a.findings if f.waiver is not None]
    assert waived == [("sauvegardes-s3", "MA-DECREE-LOC-1", "DRG-2026-001")]
    assert {w.id: w.status for w in result.waivers} == {"DRG-2026-001": WaiverStatusKind.ACTIVE,
                                                         "DRG-2026-002": WaiverStatusKind.STALE}
    assert any(a.access for a in result.assets)
    assert any(p.deadline is not None for p in result.rule_packs)
    assert any(s.note for s in result.data_sources)


def test_the_streamed_matrix_is_the_one_counted_from_the_assets() -> None:
    result = full_scan()
    counter = MatrixCounter(result.rules)
    for item in result.assets:
        counter.add(item)
    assert result.matrix == counter.rows()
    assert sum(row.waived for row in result.matrix) >= 1


def test_json_validates_against_the_committed_schema() -> None:
    schema = json.loads((REPO / "residency_scan" / "data" / "scan-result.schema.json").read_text(encoding="utf-8"))
    document = json.loads(JsonReporter().render(full_scan()))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert [error.message for error in validator.iter_errors(document)] == []


def test_sarif_suppresses_the_waived_finding_and_reports_the_stale_waiver() -> None:
    document: Any = json.loads(SarifReporter().render(full_scan()))
    assert_valid(document)
    [run] = document["runs"]
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert [(r["properties"]["asset"], r["ruleId"]) for r in suppressed] == [("sauvegardes-s3", "MA-DECREE-LOC-1")]
    assert "RSSI — Mme Exemple, until 2027-08-21" in suppressed[0]["suppressions"][0]["justification"]
    [stale] = [r for r in run["results"] if r["ruleId"] == "WAIVER-STALE"]
    location = stale["locations"][0]["physicalLocation"]
    assert location["region"] == {"startLine": waiver_line("DRG-2026-002")}
    assert run["artifacts"][location["artifactLocation"]["index"]]["location"]["uri"] == WAIVERS_FILE


def test_junit_is_valid_and_skips_the_waived_check() -> None:
    suites = {suite.name: suite for suite in parsed(full_scan())}
    waivers = suites["waivers"]
    assert (waivers.tests, waivers.failures, waivers.skipped) == (2, 0, 1)
    skipped = [case for suite in suites.values() for case in suite
               if case.result and getattr(case.result[0], "type", None) == "waived"]
    assert [case.name.split(" ")[0] for case in skipped] == ["sauvegardes-s3"]


def test_people_see_the_waiver_the_access_and_the_deadline() -> None:
    result = full_scan()
    console = ConsoleReporter(width=200).render(result)
    assert "waived by DRG-2026-001 (RSSI — Mme Exemple) until 2027-08-21" in console
    assert "[STALE] DRG-2026-002" in console
    assert "comply by 2027-08-21" in console
    markdown = MarkdownReporter(max_chars=1_000_000).render(result)
    assert "waived by DRG\\-2026\\-001" in markdown
    page = Page(HtmlReporter(lang="fr").render(result))
    assert len(page.rows["waiver-row"]) == 2
    assert len(page.rows["access-row"]) == sum(len(a.access) for a in result.assets) > 0
    assert page.rows["deadline-row"]
