"""The JUnit XML report: each rule a test suite, each asset a test case, for CI test-report views.

CI systems (GitLab's test report, Jenkins, Azure DevOps, GitHub test-report actions) already know how to show,
count and track JUnit results, so the scan appears beside the unit tests with no plug-in. The layout:
- one `<testsuite>` per rule, named "<rule id>: <title>", because a suite is the row CI views count
  failures by, and a rule is one legal requirement: "MA-DECREE-ADM-1: 2 failed of 5" is the per-requirement
  view an auditor asks for. The pack is the `classname` prefix ("<pack>.<rule>"), so Jenkins, which splits
  classnames into package and class, also groups by pack;
- one `<testcase>` per asset a rule applied to (the asset's `checks`), named "<asset id> (<target>)":
  compliant passes, a violation is a `<failure type="violation">`, an indeterminate outcome an
  `<error type="indeterminate">` (the check could not run to a verdict — unknown is never compliant);
  the message, reason, legal reference and remediation are the element's text. A non-compliant check covered
  by a waiver is `<skipped type="waived" message="waived by <id> (<owner>) until <date>">`: accepted for now,
  still listed, and failing again once the waiver is gone;
- assets no rule applied to are skipped test cases in a suite after the rules', so every asset appears;
- when a waivers file was given, a last "waivers" suite has one test case per waiver: an expired or invalid
  waiver fails (it covers nothing, so a finding meant to be accepted is open again), a stale one (covering no
  finding) is skipped, an active one passes;
- counts are consistent with the content, times are "0" (the scan is timed as a whole, not per check), and
  `timestamp` is the scan time in UTC without a zone suffix, as Ant and Surefire write it.
The attributes are those of the Jenkins xunit plug-in's junit-10.xsd (the tests validate against it), which
has no `skipped` on `<testsuites>` and no `<properties>` there: each suite carries the scan's properties.

Every string is built with ElementTree (escaping by construction), after `xml_text`: terminal escape
sequences and controls replaced as in the console report, and what XML 1.0 cannot carry at all replaced too.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from residency_scan.compliance import counted_outcome
from residency_scan.models import (
    AssetResult,
    Finding,
    Outcome,
    RuleCheck,
    RuleInfo,
    ScanResult,
    WaiverStatus,
    WaiverStatusKind,
)
from residency_scan.reports.labels import as_utc, plain_reference
from residency_scan.reports.labels_decree import EN as DECREE_WORDS
from residency_scan.reports.labels_decree import scan_day
from residency_scan.reports.text import REPLACEMENT, clean_terminal

NOT_APPLICABLE_SUITE = "not-applicable: assets no rule applies to"
WAIVERS_SUITE = "waivers"
MESSAGE_LEN = 500
TEXT_LEN = 4000

# XML 1.0 `Char`: what is outside it cannot be written at all, even as a character reference.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 cannot carry (C0 controls but tab and line breaks, lone
    surrogates, U+FFFE, U+FFFF) replaced by U+FFFD."""
    return _NOT_XML_CHAR.sub(REPLACEMENT, text)


def xml_text(text: str | None, *, max_len: int = TEXT_LEN, multiline: bool = False) -> str:
    """An untrusted string made safe for an XML attribute or text node and for the terminal it may reach."""
    if text is None:
        return ""
    return xml_safe(clean_terminal(text, max_len=max_len, multiline=multiline))


@dataclass
class _Suite:
    name: str
    classname: str
    rule: RuleInfo | None
    cases: list[tuple[AssetResult, RuleCheck, Finding | None]] = field(default_factory=list)


class JUnitReporter:
    """An implementation of `Reporter` that writes JUnit XML (see the module docstring for the layout)."""

    def render(self, result: ScanResult) -> str:
        suites = _suites(result)
        root = ET.Element("testsuites", {"name": "residency-scan"})
        totals = dict.fromkeys(("tests", "failures", "errors"), 0)
        for suite in suites:
            element = self._suite(suite, result)
            root.append(element)
            for key in totals:
                totals[key] += int(element.get(key, "0"))
        not_applicable = [asset for asset in result.assets if not _checks(asset)]
        if not_applicable:
            element = self._not_applicable(not_applicable, result)
            root.append(element)
            totals["tests"] += len(not_applicable)
        if result.waivers:
            element = self._waivers(result)
            root.append(element)
            for key in totals:
                totals[key] += int(element.get(key, "0"))
        for key, value in totals.items():
            root.set(key, str(value))
        root.set("time", "0")
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

    def _suite(self, suite: _Suite, result: ScanResult) -> ET.Element:
        outcomes = [_counted(check, finding) for _, check, finding in suite.cases]
        element, properties = self._suite_element(
            suite.name,
            result,
            tests=len(outcomes),
            failures=outcomes.count(Outcome.VIOLATION),
            errors=outcomes.count(Outcome.INDETERMINATE),
            skipped=outcomes.count(Outcome.WAIVED),
        )
        if suite.rule is not None:
            _property(properties, "rule.id", suite.rule.id)
            _property(properties, "rule.title", suite.rule.title)
            _property(properties, "rule.severity", suite.rule.severity.value)
            _property(properties, "rule.reference", plain_reference(suite.rule.reference))
        for asset, check, finding in suite.cases:
            attributes = {"name": _case_name(asset), "classname": xml_text(suite.classname, max_len=300), "time": "0"}
            case = ET.SubElement(element, "testcase", attributes)
            outcome = _counted(check, finding)
            if outcome is Outcome.WAIVED:
                _waived_element(case, asset, check, finding)
            elif outcome is Outcome.VIOLATION:
                _outcome_element(case, "failure", "violation", asset, check, finding)
            elif outcome is Outcome.INDETERMINATE:
                _outcome_element(case, "error", "indeterminate", asset, check, finding)
        return element

    def _waivers(self, result: ScanResult) -> ET.Element:
        """One test case per waiver of the waivers file, in file order."""
        statuses = [status.status for status in result.waivers]
        failing = statuses.count(WaiverStatusKind.EXPIRED) + statuses.count(WaiverStatusKind.INVALID)
        element, _ = self._suite_element(WAIVERS_SUITE, result, tests=len(statuses), failures=failing, errors=0,
                                         skipped=statuses.count(WaiverStatusKind.STALE))
        today = scan_day(result.generated_at)
        for status in result.waivers:
            name = f"{status.id} ({status.asset or 'any asset'} / {status.rule or 'any rule'})"
            case = ET.SubElement(element, "testcase", {"name": xml_text(name, max_len=300),
                                                       "classname": "waivers", "time": "0"})
            tag = _WAIVER_ELEMENT.get(status.status)
            if tag is not None:
                message = f"waiver {status.id} {DECREE_WORDS.waiver_status[status.status]}: " + (
                    "; ".join(status.problems) or DECREE_WORDS.status_explained[status.status])
                ET.SubElement(case, tag, {"type": f"waiver-{status.status.value}",
                                          "message": xml_text(message, max_len=MESSAGE_LEN)}).text = (
                    "\n".join(_waiver_details(status, today))
                )
        return element

    def _not_applicable(self, assets: list[AssetResult], result: ScanResult) -> ET.Element:
        element, _ = self._suite_element(NOT_APPLICABLE_SUITE, result, tests=len(assets), failures=0, errors=0,
                                      skipped=len(assets))
        for asset in assets:
            case = ET.SubElement(element, "testcase", {"name": _case_name(asset), "classname": "not-applicable",
                                                        "time": "0"})
            ET.SubElement(case, "skipped", {"message": "not applicable"})
        return element

    def _suite_element(self, name: str, result: ScanResult, *, tests: int, failures: int, errors: int,
                       skipped: int) -> tuple[ET.Element, ET.Element]:
        """The suite element and its <properties>, which already describe the scan."""
        element = ET.Element("testsuite", {
            "name": xml_text(name, max_len=300),
            "tests": str(tests),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": str(skipped),
            "time": "0",
            "timestamp": as_utc(result.generated_at).strftime("%Y-%m-%dT%H:%M:%S"),
        })
        properties = ET.SubElement(element, "properties")
        for name_, value in _scan_properties(result):
            _property(properties, name_, value)
        return element, properties


def _suites(result: ScanResult) -> list[_Suite]:
    """A suite per described rule, in result order, then one per rule a check names but the result does not
    describe; each with its (asset, check, finding) cases in inventory order."""
    suites: dict[str, _Suite] = {}
    titles: dict[str, str] = {}
    for finding_ in (f for asset in result.assets for f in asset.findings):
        titles.setdefault(finding_.rule, finding_.title)
    for rule in result.rules:
        if rule.id not in suites:
            classname = f"{rule.pack}.{rule.id}" if rule.pack else rule.id
            suites[rule.id] = _Suite(f"{rule.id}: {rule.title}", classname, rule)
    for asset in result.assets:
        findings = {finding.rule: finding for finding in asset.findings}
        for check in _checks(asset):
            finding = findings.get(check.rule)
            if check.rule not in suites:
                title = titles.get(check.rule)
                suites[check.rule] = _Suite(f"{check.rule}: {title}" if title else check.rule, check.rule, None)
            suites[check.rule].cases.append((asset, check, finding))
    return list(suites.values())


def _checks(asset: AssetResult) -> list[RuleCheck]:
    """The asset's rule checks, plus one for any finding whose rule has none (results built by hand)."""
    checks = list(asset.checks)
    seen = {check.rule for check in checks}
    checks += [RuleCheck(rule=f.rule, outcome=f.outcome, reason=f.reason) for f in asset.findings if f.rule not in seen]
    return checks


_WAIVER_ELEMENT = {
    WaiverStatusKind.EXPIRED: "failure",
    WaiverStatusKind.INVALID: "failure",
    WaiverStatusKind.STALE: "skipped",
}


def _counted(check: RuleCheck, finding: Finding | None) -> Outcome:
    """The check's outcome as the matrix counts it (`waived` when a waiver covers it, on the check or its finding)."""
    return counted_outcome(check, frozenset({check.rule}) if finding is not None and finding.waiver else frozenset())


def _waived_element(case: ET.Element, asset: AssetResult, check: RuleCheck, finding: Finding | None) -> None:
    waiver = finding.waiver if finding is not None else None
    message = DECREE_WORDS.waived_words(waiver) if waiver is not None else f"waived by {check.waiver}"
    details = list(_details(asset, check, finding))
    if waiver is not None:
        details.append(xml_text(f"Waiver: {waiver.reason}" + (f" ({waiver.reference})" if waiver.reference else ""),
                                multiline=True))
    ET.SubElement(case, "skipped", {"type": "waived", "message": xml_text(message, max_len=MESSAGE_LEN)}).text = (
        "\n".join(details)
    )


def _waiver_details(status: WaiverStatus, today: date) -> Iterator[str]:
    line = f":{status.source.line}" if status.source.line is not None else ""
    yield xml_text(f"Waiver: {status.id}, declared at {status.source.path}{line}")
    yield xml_text(f"Scope: {DECREE_WORDS.scope_words(status)}")
    yield xml_text(f"Owner: {status.owner or 'not stated'}; reason: {status.reason or 'not stated'}", multiline=True)
    if status.reference:
        yield xml_text(f"Reference: {status.reference}")
    yield xml_text(f"Expiry: {DECREE_WORDS.expiry_words(status, today)}")
    for problem in status.problems:
        yield xml_text(f"Problem: {problem}", multiline=True)


def _case_name(asset: AssetResult) -> str:
    name = f"{asset.id} ({asset.target})" if asset.target else asset.id
    return xml_text(name, max_len=300)


def _outcome_element(case: ET.Element, tag: str, kind: str, asset: AssetResult, check: RuleCheck,
                     finding: Finding | None) -> None:
    message = finding.message if finding else check.reason
    ET.SubElement(case, tag, {"type": kind, "message": xml_text(message, max_len=MESSAGE_LEN)}).text = (
        "\n".join(_details(asset, check, finding))
    )


def _details(asset: AssetResult, check: RuleCheck, finding: Finding | None) -> Iterator[str]:
    line = f":{asset.source.line}" if asset.source.line is not None else ""
    yield xml_text(f"Asset: {asset.id} ({asset.kind.value}), declared at {asset.source.path}{line}")
    yield xml_text(f"Location: {asset.location.status.value} {', '.join(asset.location.countries) or '?'}")
    if finding is not None:
        yield xml_text(f"{finding.title}: {finding.message}", multiline=True)
    yield xml_text(f"Reason: {check.reason}", multiline=True)
    if finding is not None:
        reference = finding.reference
        url = f" {reference.url}" if reference.url else ""
        yield xml_text(f"Legal reference: {plain_reference(reference)}{url}")
        yield xml_text(f"Remediation: {finding.remediation}", multiline=True)


def _scan_properties(result: ScanResult) -> Iterator[tuple[str, str]]:
    yield "tool", f"{result.tool.name} {result.tool.version}"
    yield "schema_version", result.schema_version
    yield "generated_at", as_utc(result.generated_at).strftime("%Y-%m-%dT%H:%M:%SZ")
    yield "offline", str(result.offline).lower()
    yield "inventory.path", result.inventory.path
    yield "inventory.sha256", result.inventory.sha256
    yield "entity", result.inventory.entity.name
    for source in result.data_sources:
        yield f"dataset.{source.id}", f"{source.name} {source.version} ({source.date.isoformat()}, {source.licence})"
    for pack in result.rule_packs:
        yield f"rule_pack.{pack.id}", f"{pack.version} sha256:{pack.sha256}"
    today = scan_day(result.generated_at)
    for pack in result.rule_packs:
        if pack.deadline is not None:
            yield f"deadline.{pack.id}", DECREE_WORDS.deadline_words(pack, pack.deadline, today)


def _property(properties: ET.Element, name: str, value: str) -> None:
    ET.SubElement(properties, "property", {"name": xml_text(name, max_len=300), "value": xml_text(value)})
