"""The SARIF 2.1.0 report: findings where code-scanning tools (GitHub, GitLab, Azure DevOps, IDEs) show them.

A finding becomes a SARIF `result` pointing at the inventory line that declares the asset, with the rule
described once in `tool.driver.rules` (title, legal reference, remediation). Choices a consumer relies on:
- level: a violation is an "error", an indeterminate outcome a "warning" (unknown is never compliant, but it
  asks for evidence rather than a fix); the rule's default level follows its severity;
- `partialFingerprints["residencyScan/v1"]` identifies (asset id, rule id) only, so an alert survives new
  evidence, a reworded message, a new scan date or the asset moving to another line;
- `properties["security-severity"]` on each rule is the number GitHub code scanning maps to
  critical/high/medium/low;
- inventory paths are URI-escaped; a relative one is relative to `%SRCROOT%`, which is left unresolved
  (resolving it would write the scanning machine's directory into the file and break reproducibility);
- no `tool.driver.informationUri`: the project publishes no home page yet, and a consumer shows that URI as
  a link, so none is invented (`INFORMATION_URI`);
- a waived finding (waivers are not implemented yet) will keep its result and gain
  `suppressions: [{"kind": "external", "status": "accepted", "justification": ...}]` in `_result`.

Untrusted strings shown to people (messages, reasons, help) pass through `clean_terminal`, since a SARIF
viewer displays them; the file is written like the JSON report (`inert_json`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from json.encoder import encode_basestring_ascii
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from residency_scan.models import (
    AssetResult,
    Finding,
    LegalReference,
    Outcome,
    RuleInfo,
    ScanResult,
    Severity,
)
from residency_scan.reports.labels import as_utc
from residency_scan.reports.markdown import markdown_escape, safe_link_url
from residency_scan.reports.text import clean_terminal, dump_json_text

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "residencyScan/v1"
SRCROOT = "%SRCROOT%"
AUTOMATION_ID = "residency-scan/"
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
RESULT_LEVEL = {Outcome.VIOLATION: "error", Outcome.INDETERMINATE: "warning"}

MESSAGE_LEN = 4000
HELP_LEN = 8000

# Same rule as the JSON report: characters valid in JSON that can still act on a terminal or a page are
# written as \uXXXX; a lone surrogate (only from a file name) becomes U+FFFD so strict parsers accept the file.
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_WORD = re.compile(r"[A-Za-z0-9]+")


def inert_json(document: Any) -> str:
    """`document` as indented UTF-8 JSON, with a final newline, safe to `cat` (see `text.inert_json`)."""
    return dump_json_text(document) + "\n"


def fingerprint(asset_id: str, rule_id: str) -> str:
    """Stable identity of a finding across runs. JSON-encoded so ("a\\x00b", "c") and ("a", "b\\x00c") differ."""
    identity = f"{encode_basestring_ascii(asset_id)},{encode_basestring_ascii(rule_id)}"
    return hashlib.sha256(identity.encode("ascii")).hexdigest()


def artifact_uri(path: str) -> tuple[str, str | None]:
    """(uri, uriBaseId) for a file path as given: `file:` URI when absolute, else relative to %SRCROOT%."""
    if PurePosixPath(path).is_absolute():
        return "file://" + _quote_path(path, safe="/:"), None
    windows = PureWindowsPath(path)
    if windows.drive and windows.root:
        return "file:///" + _quote_path(windows.as_posix(), safe="/:"), None
    # NOTE: ":" is escaped in a relative reference, or "c:inventory.yaml" would read as a URI with scheme "c".
    return _quote_path(path, safe="/"), SRCROOT


def _quote_path(path: str, *, safe: str) -> str:
    try:
        raw = path.encode("utf-8", "surrogateescape")  # a file name undecodable in UTF-8: its own bytes
    except UnicodeEncodeError:
        raw = path.encode("utf-8", "replace")
    return quote(raw, safe=safe)


class SarifReporter:
    """An implementation of `Reporter` that writes one SARIF 2.1.0 run, one result per finding."""

    def render(self, result: ScanResult) -> str:
        rules = _rule_table(result)
        index = {rule.id: position for position, rule in enumerate(rules)}
        paths = _artifact_paths(result)
        artifacts = [_artifact(path, result) for path in paths]
        where = {path: {**artifacts[position]["location"], "index": position} for position, path in enumerate(paths)}
        run: dict[str, Any] = {
            "tool": {"driver": _driver(result, rules)},
            "automationDetails": {"id": AUTOMATION_ID},
            "originalUriBaseIds": {
                SRCROOT: {"description": {"text": "The directory residency-scan was run from."}},
            },
            "artifacts": artifacts,
            "invocations": [
                {"executionSuccessful": True, "startTimeUtc": _utc(result)},
            ],
            "results": [
                _result(asset, finding, index[finding.rule], where[asset.source.path])
                for asset in result.assets
                for finding in asset.findings
            ],
            "properties": _run_properties(result),
        }
        return inert_json({"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]})


# ------------------------------------------------------------------------------------------ rules


def _rule_table(result: ScanResult) -> list[RuleInfo]:
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


def _driver(result: ScanResult, rules: Iterable[RuleInfo]) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": result.tool.name, "version": result.tool.version}
    if _SEMVER.match(result.tool.version):
        driver["semanticVersion"] = result.tool.version
    if INFORMATION_URI:
        driver["informationUri"] = INFORMATION_URI
    driver["rules"] = [_descriptor(rule) for rule in rules]
    return driver


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


def _reference_words(reference: LegalReference) -> str:
    words = reference.text
    if reference.article:
        words += f", {reference.article}"
    if reference.article_uncertain:
        words += " (article uncertain)"
    return words


def _help_text(rule: RuleInfo) -> str:
    lines = [rule.title, "", "Legal reference: " + _reference_words(rule.reference)]
    if rule.reference.url:
        lines.append(rule.reference.url)
    if rule.reference.quote:
        lines.append(f"“{rule.reference.quote}”")
    lines += ["See also: " + _reference_words(ref) + (f" {ref.url}" if ref.url else "") for ref in rule.see_also]
    lines += ["", "Remediation: " + rule.remediation]
    return _text("\n".join(lines), HELP_LEN)


def _help_markdown(rule: RuleInfo) -> str:
    def reference(ref: LegalReference) -> str:
        words = markdown_escape(_reference_words(ref), max_len=1000)
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


# ------------------------------------------------------------------------------------------ results


def _result(asset: AssetResult, finding: Finding, rule_index: int, artifact: dict[str, Any]) -> dict[str, Any]:
    """One finding; `artifact` is the artifactLocation (uri, uriBaseId, index) of the file declaring the asset."""
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if asset.source.line is not None and asset.source.line >= 1:
        physical["region"] = {"startLine": asset.source.line}
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": RESULT_LEVEL.get(finding.outcome, "note"),
        "message": {"text": _text(f"{finding.message} Reason: {finding.reason}", MESSAGE_LEN)},
        "locations": [
            {
                "physicalLocation": physical,
                "logicalLocations": [
                    {"name": clean_terminal(asset.id), "fullyQualifiedName": asset.id, "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(asset.id, finding.rule)},
        # NOTE: waivers (not implemented yet) add "suppressions" here; the result itself stays.
        "properties": {
            "outcome": finding.outcome.value,
            "severity": finding.severity.value,
            "asset": asset.id,
            "assetKind": asset.kind.value,
            "target": asset.target,
            "locationStatus": asset.location.status.value,
            "countries": list(asset.location.countries),
            "remediation": _text(finding.remediation, MESSAGE_LEN),
        },
    }


# ------------------------------------------------------------------------------------------ run


def _artifact_paths(result: ScanResult) -> list[str]:
    """The inventory first, then any other file an asset was declared in, first seen first."""
    paths = [result.inventory.path]
    for asset in result.assets:
        if asset.source.path not in paths:
            paths.append(asset.source.path)
    return paths


def _artifact(path: str, result: ScanResult) -> dict[str, Any]:
    uri, base = artifact_uri(path)
    location: dict[str, Any] = {"uri": uri}
    if base:
        location["uriBaseId"] = base
    artifact: dict[str, Any] = {"location": location, "roles": ["analysisTarget"]}
    if path == result.inventory.path and re.fullmatch(r"[0-9a-f]{64}", result.inventory.sha256):
        artifact["hashes"] = {"sha-256": result.inventory.sha256}
    return artifact


def _run_properties(result: ScanResult) -> dict[str, Any]:
    return {
        "schemaVersion": result.schema_version,
        "generatedAt": _utc(result),
        "offline": result.offline,
        "inventory": {
            "path": result.inventory.path,
            "sha256": result.inventory.sha256,
            "entity": result.inventory.entity.model_dump(mode="json"),
        },
        "policy": result.policy,
        "dataSources": [
            {"id": ds.id, "name": ds.name, "version": ds.version, "date": ds.date.isoformat(),
             "licence": ds.licence, "sha256": ds.sha256}
            for ds in result.data_sources
        ],
        "rulePacks": [
            {"id": pack.id, "version": pack.version, "path": pack.path, "sha256": pack.sha256}
            for pack in result.rule_packs
        ],
        "summary": result.summary.model_dump(mode="json"),
    }


def _utc(result: ScanResult) -> str:
    return as_utc(result.generated_at).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: str, max_len: int) -> str:
    return clean_terminal(value, max_len=max_len, multiline=True)
