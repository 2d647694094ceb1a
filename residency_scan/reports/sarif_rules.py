"""The rules a SARIF run describes in `tool.driver.rules`: what each rule id of a result means.

A consumer shows a rule's title, help and legal reference next to every alert, and GitHub code scanning maps
`properties["security-severity"]` to critical/high/medium/low. Two kinds of rules are described:
- the scan's own rules (from `result.rules`, or from a finding for a rule the result does not describe), with
  the legal reference, the quote and the remediation;
- the waiver rules `WAIVER-EXPIRED`, `WAIVER-INVALID` and `WAIVER-STALE`, whose results point at the waivers
  file, only when the run has such a result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from residency_scan.models import Finding, LegalReference, RuleInfo, ScanResult, Severity, WaiverStatusKind
from residency_scan.reports.labels import plain_reference
from residency_scan.reports.markdown_text import markdown_escape, safe_link_url
from residency_scan.reports.text import clean_terminal

INFORMATION_URI: str | None = None
"""The project's home page, once it has one; shown by consumers as a link, so never a guess."""

TAGS = ("data-residency", "morocco", "compliance", "security")
"""Rule tags. GitHub only shows `security-severity` for rules tagged "security"."""

SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
DEFAULT_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "warning",
    Severity.INFO: "note",
}
MESSAGE_LEN = 4000
HELP_LEN = 8000

_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_WORD = re.compile(r"[A-Za-z0-9]+")


def rule_table(result: ScanResult) -> list[RuleInfo]:
    """Every rule of the scan, in result order, then a description for any rule a finding names that the
    result does not describe (a result built by hand or by an older scanner)."""
    rules: dict[str, RuleInfo] = {}
    for rule in result.rules:
        rules.setdefault(rule.id, rule)
    for asset in result.assets:
        for finding in asset.findings:
            if finding.rule not in rules:
                rules[finding.rule] = _rule_from_finding(finding)
    return list(rules.values())


def _rule_from_finding(finding: Finding) -> RuleInfo:
    return RuleInfo(
        id=finding.rule,
        pack="",
        title=finding.title,
        title_fr=finding.title_fr,
        severity=finding.severity,
        reference=finding.reference,
        see_also=finding.see_also,
        message=finding.title,  # the finding's message names its asset: no template to describe the rule
        message_fr=finding.title_fr,
        remediation=finding.remediation,
        remediation_fr=finding.remediation_fr,
    )


def driver(result: ScanResult, rules: Iterable[RuleInfo], waiver_rule_ids: Iterable[str]) -> dict[str, Any]:
    """`tool.driver`: the tool, its version, and every rule the results refer to (by `ruleIndex`, in order)."""
    described: dict[str, Any] = {"name": result.tool.name, "version": result.tool.version}
    if _SEMVER.match(result.tool.version):
        described["semanticVersion"] = result.tool.version
    if INFORMATION_URI:
        described["informationUri"] = INFORMATION_URI
    described["rules"] = [*(_descriptor(rule) for rule in rules), *(_waiver_descriptor(r) for r in waiver_rule_ids)]
    return described


def _descriptor(rule: RuleInfo) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": _pascal_name(rule),
        "shortDescription": {"text": _text(rule.title, 1000)},
        "fullDescription": {"text": _text(rule.message, MESSAGE_LEN)},
        "defaultConfiguration": {"level": DEFAULT_LEVEL[rule.severity]},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
    }
    url = safe_link_url(rule.reference.url)
    if url:
        descriptor["helpUri"] = url
    properties: dict[str, Any] = {
        "tags": [*TAGS, rule.pack] if rule.pack else list(TAGS),
        "security-severity": SECURITY_SEVERITY[rule.severity],
        "severity": rule.severity.value,
    }
    if rule.pack:
        properties["pack"] = rule.pack
    properties["titleFr"] = _text(rule.title_fr, 1000)
    properties["legalReference"] = rule.reference.model_dump(mode="json")
    descriptor["properties"] = properties
    return descriptor


def _pascal_name(rule: RuleInfo) -> str:
    """SARIF's `name`: an identifier a person understands, e.g. "ManagementPlaneOutsideMorocco"."""
    name = "".join(word[:1].upper() + word[1:] for word in _WORD.findall(rule.title))[:120]
    return name or rule.id


def _help_text(rule: RuleInfo) -> str:
    lines = [rule.title, "", "Legal reference: " + plain_reference(rule.reference)]
    if rule.reference.url:
        lines.append(rule.reference.url)
    if rule.reference.quote:
        lines.append(f"“{rule.reference.quote}”")
    lines += ["See also: " + plain_reference(ref) + (f" {ref.url}" if ref.url else "") for ref in rule.see_also]
    lines += ["", "Remediation: " + rule.remediation]
    return _text("\n".join(lines), HELP_LEN)


def _help_markdown(rule: RuleInfo) -> str:
    def reference(ref: LegalReference) -> str:
        words = markdown_escape(plain_reference(ref), max_len=1000)
        url = safe_link_url(ref.url)
        return f"[{words}]({url})" if url else words

    lines = [
        f"**{markdown_escape(rule.title, max_len=1000)}**",
        "",
        f"**Legal reference:** {reference(rule.reference)}",
    ]
    if rule.reference.quote:
        lines += ["", f"> {markdown_escape(rule.reference.quote)}"]
    if rule.see_also:
        lines += ["", "**See also:**", *(f"- {reference(ref)}" for ref in rule.see_also)]
    lines += ["", f"**Remediation:** {markdown_escape(rule.remediation)}"]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ waivers

WAIVER_RULE_OF = {
    WaiverStatusKind.EXPIRED: "WAIVER-EXPIRED",
    WaiverStatusKind.INVALID: "WAIVER-INVALID",
    WaiverStatusKind.STALE: "WAIVER-STALE",
}
"""The waiver statuses that are results of their own, and their rule ids; active waivers are not results."""

WAIVER_LEVEL = {"WAIVER-EXPIRED": "error", "WAIVER-INVALID": "error", "WAIVER-STALE": "note"}

_WAIVER_BASIS = (
    "A waiver accepts a finding for a limited time, on the owner's responsibility (decree 2-24-921 art. 17 allows "
    "a non-qualified provider only as a transitional exception, backed by a documented risk analysis)."
)

WAIVER_RULES: dict[str, tuple[str, str, str]] = {
    "WAIVER-EXPIRED": (
        "ExpiredWaiver",
        "Waiver expired",
        "The waiver is past its expiry date: it covers nothing, and the findings it covered are open again. "
        "Fix the findings, or renew the waiver with a new decision and a new expiry date.",
    ),
    "WAIVER-INVALID": (
        "InvalidWaiver",
        "Waiver invalid",
        "The waiver is malformed (no expiry date, a lifetime over the maximum, an unknown rule...): it covers "
        "nothing until it is corrected. Correct the waivers file at the line shown.",
    ),
    "WAIVER-STALE": (
        "StaleWaiver",
        "Waiver covers no finding",
        "The waiver is valid but covers no finding of this scan: the finding was fixed, or its asset or rule "
        "pattern is wrong. Remove the waiver, or correct its asset or rule.",
    ),
}
"""Rule id -> (name, short description, help) of the rules waiver results refer to."""


def waiver_rules(result: ScanResult) -> list[str]:
    """The waiver rules this run's results use, in a fixed order."""
    used = {WAIVER_RULE_OF[status.status] for status in result.waivers if status.status in WAIVER_RULE_OF}
    return [rule_id for rule_id in WAIVER_RULES if rule_id in used]


def _waiver_descriptor(rule_id: str) -> dict[str, Any]:
    name, short, help_text = WAIVER_RULES[rule_id]
    level = WAIVER_LEVEL[rule_id]
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": help_text},
        "defaultConfiguration": {"level": level},
        "help": {"text": f"{short}\n\n{help_text}\n\n{_WAIVER_BASIS}",
                 "markdown": f"**{short}**\n\n{help_text}\n\n{_WAIVER_BASIS}"},
        "properties": {
            "tags": ["data-residency", "morocco", "compliance", "waiver"],
            "severity": "high" if level == "error" else "info",
        },
    }


def _text(value: str, max_len: int) -> str:
    return clean_terminal(value, max_len=max_len, multiline=True)
