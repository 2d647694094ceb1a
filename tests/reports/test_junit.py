"""The JUnit XML report: what CI test views read, valid against junit-10.xsd, counts true, strings inert."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

import pytest
import xmlschema
from junitparser import Error, Failure, JUnitXml, Skipped

from residency_scan.models import AssetKind, LocationStatus, Outcome, RuleCheck, ScanResult, Severity
from residency_scan.reports.junit import NOT_APPLICABLE_SUITE, JUnitReporter, xml_safe
from tests.reports.builders import DECREE_ART_4, asset, finding, located, scan_result
from tests.reports.factories import hostile_scan_result, sample_scan_result
from tests.reports.factories_decree import decree_scan_result, hostile_decree_scan_result
from tests.reports.test_sarif import EXAMPLES, VENDOR, example_line, scan_example

INJECTION = ']]></failure><testcase name="forged"/><failure message="x'
XML_ILLEGAL = "nul\x00 bell\x07 vt\x0b ff\x0c esc\x1b lone\ud800 nonchar\ufffe\uffff end"


@functools.cache
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(VENDOR / "junit-10.xsd"))


def render(result: ScanResult) -> str:
    return JUnitReporter().render(result)


def parsed(result: ScanResult) -> JUnitXml:
    """Through a real consumer: junitparser, after the XML is validated against the Jenkins schema."""
    text = render(result)
    junit_schema().validate(text)
    return JUnitXml.fromstring(text)


def one_asset_result(*, message: str = "m", reason: str = "r", asset_id: str = "a", rule: str = "R-1",
                     outcome: Outcome = Outcome.VIOLATION) -> ScanResult:
    item = asset(
        asset_id, AssetKind.SERVER, outcome, located(LocationStatus.CONFIRMED, ("FR",), reason), [],
        target="srv.example.ma",
        checks=[RuleCheck(rule=rule, outcome=outcome, reason=reason)],
        findings=[finding(rule, outcome, Severity.HIGH, DECREE_ART_4, title="t", title_fr="t", message=message,
                          message_fr=message, reason=reason, remediation=message)],
    )
    return scan_result([item])


# ------------------------------------------------------------------------------------------ validity


def test_schema_refuses_what_it_should() -> None:
    """The validation used below could fail: a suite without its required counts is refused."""
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        junit_schema().validate('<testsuites><testsuite name="x"/></testsuites>')


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_is_valid_and_counts_match_the_checks(example: str) -> None:
    result = scan_example(example)
    report = parsed(result)
    expected: dict[str, Counter[Outcome]] = {}
    for item in result.assets:
        for check in item.checks:
            expected.setdefault(check.rule, Counter())[check.outcome] += 1
    by_rule = {suite.name.split(":")[0]: suite for suite in report if suite.name != NOT_APPLICABLE_SUITE}
    assert set(by_rule) == {rule.id for rule in result.rules}
    for rule_id, suite in by_rule.items():
        counts = expected.get(rule_id, Counter())
        assert suite.tests == sum(counts.values()) == len(list(suite))
        assert suite.failures == counts[Outcome.VIOLATION]
        assert suite.errors == counts[Outcome.INDETERMINATE]
        assert suite.skipped == 0
    total_checks = sum(len(item.checks) for item in result.assets)
    not_applicable = sum(1 for item in result.assets if not item.checks)
    assert report.tests == total_checks + not_applicable
    assert report.failures == sum(c[Outcome.VIOLATION] for c in expected.values())
    assert report.errors == sum(c[Outcome.INDETERMINATE] for c in expected.values())
    assert report.skipped == not_applicable


@pytest.mark.parametrize(
    "build", [sample_scan_result, hostile_scan_result, decree_scan_result, hostile_decree_scan_result]
)
def test_factory_results_are_valid(build: Any) -> None:
    assert parsed(build()).tests >= 7


def test_an_empty_scan_is_valid_with_no_test() -> None:
    report = parsed(scan_result(()))
    assert report.tests == 0
    assert list(report) == []


# ------------------------------------------------------------------------------------------ layout


def test_ministry_example_shows_each_asset_under_each_rule_it_applies_to() -> None:
    result = scan_example("ministere-exemple.yaml")
    cases = {(case.classname, case.name): case for suite in parsed(result) for case in suite}
    supervision = cases[("decree-2-24-921.MA-DECREE-ADM-1", "supervision (https://app.datadoghq.eu)")]
    assert [type(r) for r in supervision.result] == [Failure]
    assert supervision.result[0].type == "violation"
    assert supervision.result[0].message.startswith("supervision manages or administers a sensitive system")
    compliant = cases[("decree-2-24-921.MA-DECREE-LOC-1", "portail-citoyens (41.248.12.10)")]
    assert compliant.is_passed
    skipped = next(case for (classname, _), case in cases.items() if classname == "not-applicable")
    assert skipped.name.startswith("site-vitrine")
    assert [(type(r), r.message) for r in skipped.result] == [(Skipped, "not applicable")]
    indeterminate = [case for case in cases.values() if case.result and isinstance(case.result[0], Error)]
    assert len(indeterminate) == sum(c.outcome is Outcome.INDETERMINATE for a in result.assets for c in a.checks) > 0
    assert {case.result[0].type for case in indeterminate} == {"indeterminate"}


def test_failure_text_has_message_reason_legal_reference_and_remediation() -> None:
    result = scan_example("ministere-exemple.yaml")
    root = ET.fromstring(render(result))
    failure = next(
        element for case in root.iter("testcase") if case.get("name", "").startswith("supervision ")
        for element in case if element.tag == "failure"
    )
    source = next(a for a in result.assets if a.id == "supervision").findings[0]
    text = failure.text or ""
    assert source.message in text
    assert f"Reason: {source.reason}" in text
    assert f"Legal reference: {source.reference.text}, {source.reference.article}" in text
    assert f"Remediation: {source.remediation}" in text
    assert f"examples/ministere-exemple.yaml:{example_line('ministere-exemple.yaml', 'supervision')}" in text


def test_suites_are_named_by_rule_and_title_and_carry_the_scan_properties() -> None:
    result = scan_example("ministere-exemple.yaml")
    root = ET.fromstring(render(result))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites[:-1]] == [f"{rule.id}: {rule.title}" for rule in result.rules]
    for suite in suites:
        properties = {p.get("name"): p.get("value", "") for p in suite.iter("property")}
        assert properties["inventory.sha256"] == result.inventory.sha256
        assert properties["inventory.path"] == "examples/ministere-exemple.yaml"
        for source in result.data_sources:
            assert f"{source.version} ({source.date.isoformat()}" in properties[f"dataset.{source.id}"]
        assert suite.get("time") == "0"
        assert suite.get("timestamp") == result.generated_at.strftime("%Y-%m-%dT%H:%M:%S")
    assert root.get("time") == "0"


def test_hand_built_findings_without_checks_still_become_test_cases() -> None:
    report = parsed(sample_scan_result())
    names = {case.name for suite in report for case in suite}
    assert "espace-usagers (espace.exemple.ma)" in names  # a finding, no RuleCheck
    assert report.failures == 4 and report.errors == 1 and report.skipped == 1


# ------------------------------------------------------------------------------------------ hostile


def test_characters_xml_cannot_carry_are_replaced() -> None:
    assert xml_safe(XML_ILLEGAL) == (
        "nul\ufffd bell\ufffd vt\ufffd ff\ufffd esc\ufffd lone\ufffd nonchar\ufffd\ufffd end"
    )
    assert xml_safe("tab\tnl\ncr\r 😀 é") == "tab\tnl\ncr\r 😀 é"


def test_illegal_characters_in_every_field_still_give_valid_xml() -> None:
    result = one_asset_result(message=XML_ILLEGAL, reason=XML_ILLEGAL, asset_id=XML_ILLEGAL, rule=XML_ILLEGAL)
    text = render(result)
    for character in ("\x00", "\x07", "\x1b", "\ud800", "\ufffe", "\uffff"):
        assert character not in text
    text.encode("utf-8")  # strict: no lone surrogate left
    report = parsed(result)
    assert report.tests == 1 and report.failures == 1


def test_an_injection_in_a_message_stays_text() -> None:
    result = one_asset_result(message=INJECTION, reason=INJECTION, asset_id=f"a{INJECTION}")
    root = ET.fromstring(render(result))
    cases = list(root.iter("testcase"))
    assert len(cases) == 1
    assert cases[0].get("name") == f"a{INJECTION} (srv.example.ma)"
    failures = list(root.iter("failure"))
    assert len(failures) == 1
    assert failures[0].get("message") == INJECTION
    assert INJECTION in (failures[0].text or "")
    assert parsed(result).tests == 1


def test_hostile_strings_are_inert() -> None:
    text = render(hostile_scan_result())
    for character in ("\x1b", "\x9b", "\x9d", "\u202e", "\x00", "\x7f"):
        assert character not in text
    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    assert len(text) < 200_000  # the 100,000-character remediation is cut


def test_same_result_gives_the_same_text() -> None:
    assert render(sample_scan_result()) == render(sample_scan_result())
    assert render(scan_example("hopital-exemple.yaml")) == render(scan_example("hopital-exemple.yaml"))
