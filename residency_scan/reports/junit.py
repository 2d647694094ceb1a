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
  the message, reason, legal reference and remediation are the element's text;
- assets no rule applied to are skipped test cases in a last suite, so every asset appears;
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

from residency_scan.models import AssetResult, Finding, LegalReference, Outcome, RuleCheck, RuleInfo, ScanResult
from residency_scan.reports.labels import as_utc
from residency_scan.reports.text import REPLACEMENT, clean_terminal

NOT_APPLICABLE_SUITE = "not-applicable: assets no rule applies to"
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
        for key, value in totals.items():
            root.set(key, str(value))
        root.set("time", "0")
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

    def _suite(self, suite: _Suite, result: ScanResult) -> ET.Element:
        outcomes = [check.outcome for _, check, _ in suite.cases]
        element, properties = self._suite_element(
            suite.name,
            result,
            tests=len(outcomes),
            failures=outcomes.count(Outcome.VIOLATION),
            errors=outcomes.count(Outcome.INDETERMINATE),
            skipped=0,
        )
        if suite.rule is not None:
            _property(properties, "rule.id", suite.rule.id)
            _property(properties, "rule.title", suite.rule.title)
            _property(properties, "rule.severity", suite.rule.severity.value)
            _property(properties, "rule.reference", _reference_words(suite.rule.reference))
        for asset, check, finding in suite.cases:
            attributes = {"name": _case_name(asset), "classname": xml_text(suite.classname, max_len=300), "time": "0"}
            case = ET.SubElement(element, "testcase", attributes)
            if check.outcome is Outcome.VIOLATION:
                _outcome_element(case, "failure", "violation", asset, check, finding)
            elif check.outcome is Outcome.INDETERMINATE:
                _outcome_element(case, "error", "indeterminate", asset, check, finding)
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
        yield xml_text(f"Legal reference: {_reference_words(reference)}{url}")
        yield xml_text(f"Remediation: {finding.remediation}", multiline=True)


def _reference_words(reference: LegalReference) -> str:
    words = reference.text + (f", {reference.article}" if reference.article else "")
    return words + (" (article uncertain)" if reference.article_uncertain else "")


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


def _property(properties: ET.Element, name: str, value: str) -> None:
    ET.SubElement(properties, "property", {"name": xml_text(name, max_len=300), "value": xml_text(value)})
