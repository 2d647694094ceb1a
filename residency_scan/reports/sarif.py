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
  a link, so none is invented (`sarif_rules.INFORMATION_URI`);
- a waived finding keeps its result and gains `suppressions: [{"kind": "external", "status": "accepted",
  "justification": "<reason> — <owner>, until <date> (<reference>)"}]`: code scanning shows it as dismissed,
  with who accepted it, and brings the alert back once the waiver is gone;
- a waiver that needs acting on is a result of its own, located at its line of the waivers file:
  `WAIVER-EXPIRED` and `WAIVER-INVALID` (errors: they cover nothing, so the findings they meant to cover are
  open again) and `WAIVER-STALE` (a note: it covers no finding of this scan); active waivers are not results;
- `run.properties` also carries the compliance matrix, each pack's deadline and the waiver counts.

Untrusted strings shown to people (messages, reasons, help) pass through `clean_terminal`, since a SARIF
viewer displays them; the file is written like the JSON report (`inert_json`).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from json.encoder import encode_basestring_ascii
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from residency_scan.models import (
    AssetResult,
    Finding,
    Outcome,
    ScanResult,
    WaiverRef,
    WaiverStatus,
    WaiverStatusKind,
)
from residency_scan.reports.labels import as_utc
from residency_scan.reports.labels_decree import scan_day, waiver_days_left
from residency_scan.reports.matrix import compliance_matrix
from residency_scan.reports.sarif_rules import (
    MESSAGE_LEN,
    WAIVER_LEVEL,
    WAIVER_RULE_OF,
    driver,
    rule_table,
    waiver_rules,
)
from residency_scan.reports.text import clean_terminal, dump_json_text

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "residencyScan/v1"
SRCROOT = "%SRCROOT%"
AUTOMATION_ID = "residency-scan/"
RESULT_LEVEL = {Outcome.VIOLATION: "error", Outcome.INDETERMINATE: "warning"}


# Same rule as the JSON report: characters valid in JSON that can still act on a terminal or a page are
# written as \uXXXX; a lone surrogate (only from a file name) becomes U+FFFD so strict parsers accept the file.
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
        rules = rule_table(result)
        index = {rule.id: position for position, rule in enumerate(rules)}
        paths = _artifact_paths(result)
        waiver_paths = [path for path in _waiver_paths(result) if path not in paths]
        artifacts = [_artifact(path, result) for path in paths]
        artifacts += [_artifact(path, result, role="userSpecifiedConfiguration") for path in waiver_paths]
        where = {
            path: {**artifacts[position]["location"], "index": position}
            for position, path in enumerate([*paths, *waiver_paths])
        }
        used_waiver_rules = waiver_rules(result)
        waiver_index = {rule_id: len(rules) + position for position, rule_id in enumerate(used_waiver_rules)}
        run: dict[str, Any] = {
            "tool": {"driver": driver(result, rules, used_waiver_rules)},
            "automationDetails": {"id": AUTOMATION_ID},
            "originalUriBaseIds": {
                SRCROOT: {"description": {"text": "The directory residency-scan was run from."}},
            },
            "artifacts": artifacts,
            "invocations": [
                {"executionSuccessful": True, "startTimeUtc": _utc(result)},
            ],
            "results": [
                *(
                    _result(asset, finding, index[finding.rule], where[asset.source.path])
                    for asset in result.assets
                    for finding in asset.findings
                ),
                *(
                    _waiver_result(status, waiver_index[WAIVER_RULE_OF[status.status]], where[status.source.path],
                                   scan_day(result.generated_at))
                    for status in result.waivers
                    if status.status in WAIVER_RULE_OF
                ),
            ],
            "properties": _run_properties(result),
        }
        return inert_json({"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]})


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
        **({"suppressions": [_suppression(finding.waiver)]} if finding.waiver is not None else {}),
        "properties": {
            "outcome": finding.outcome.value,
            "severity": finding.severity.value,
            "asset": asset.id,
            "assetKind": asset.kind.value,
            "target": asset.target,
            "locationStatus": asset.location.status.value,
            "countries": list(asset.location.countries),
            "remediation": _text(finding.remediation, MESSAGE_LEN),
            **({"waiver": finding.waiver.id} if finding.waiver is not None else {}),
        },
    }


def _suppression(waiver: WaiverRef) -> dict[str, Any]:
    """The waiver as SARIF's accepted external suppression: reason, owner, expiry and the document."""
    justification = f"{waiver.reason} — {waiver.owner}, until {waiver.expires.isoformat()}"
    if waiver.reference:
        justification += f" ({waiver.reference})"
    return {
        "kind": "external",
        "status": "accepted",
        "justification": _text(justification, MESSAGE_LEN),
        "properties": {"waiver": waiver.id, "owner": waiver.owner, "expires": waiver.expires.isoformat(),
                       "reference": waiver.reference},
    }


# ------------------------------------------------------------------------------------------ waivers

def _waiver_paths(result: ScanResult) -> list[str]:
    return list(dict.fromkeys(status.source.path for status in result.waivers if status.status in WAIVER_RULE_OF))


def _waiver_result(status: WaiverStatus, rule_index: int, artifact: dict[str, Any], today: date) -> dict[str, Any]:
    """An expired, invalid or stale waiver, located at its line of the waivers file."""
    rule_id = WAIVER_RULE_OF[status.status]
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if status.source.line is not None and status.source.line >= 1:
        physical["region"] = {"startLine": status.source.line}
    scope = f"asset {status.asset or 'any'}, rule {status.rule or 'any'}, owner {status.owner or 'not stated'}"
    if status.status is WaiverStatusKind.EXPIRED and status.expires is not None:
        what = f"expired on {status.expires.isoformat()}: it covers nothing, and the findings it covered are open"
    elif status.status is WaiverStatusKind.INVALID:
        what = "is invalid: " + ("; ".join(status.problems) or "malformed") + ". It covers nothing"
    else:
        what = "covers no finding of this scan: remove it or correct its asset or rule"
    return {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": WAIVER_LEVEL[rule_id],
        "message": {"text": _text(f"Waiver {status.id} ({scope}) {what}.", MESSAGE_LEN)},
        "locations": [
            {
                "physicalLocation": physical,
                "logicalLocations": [
                    {"name": clean_terminal(status.id), "fullyQualifiedName": f"waiver:{status.id}",
                     "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f"waiver:{status.id}", rule_id)},
        "properties": {
            "waiver": status.id,
            "status": status.status.value,
            "asset": status.asset,
            "rule": status.rule,
            "owner": status.owner,
            "expires": status.expires.isoformat() if status.expires else None,
            "daysLeft": waiver_days_left(status, today),
            "problems": [_text(problem, MESSAGE_LEN) for problem in status.problems],
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


def _artifact(path: str, result: ScanResult, *, role: str = "analysisTarget") -> dict[str, Any]:
    uri, base = artifact_uri(path)
    location: dict[str, Any] = {"uri": uri}
    if base:
        location["uriBaseId"] = base
    artifact: dict[str, Any] = {"location": location, "roles": [role]}
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
        "matrix": [row.model_dump(mode="json") for row in compliance_matrix(result)],
        "deadlines": [
            {"pack": pack.id, **pack.deadline.model_dump(mode="json")}
            for pack in result.rule_packs
            if pack.deadline is not None
        ],
        "waivers": {kind.value: sum(1 for s in result.waivers if s.status is kind) for kind in WaiverStatusKind},
    }


def _utc(result: ScanResult) -> str:
    return as_utc(result.generated_at).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: str, max_len: int) -> str:
    return clean_terminal(value, max_len=max_len, multiline=True)
