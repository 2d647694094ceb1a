"""Builders for waiver tests: waiver files written line by line (so a test knows each field's line) and
judged assets with the checks a test is about."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from residency_scan.models import (
    AssetKind,
    AssetResult,
    Finding,
    LegalReference,
    Location,
    LocationStatus,
    Outcome,
    RuleCheck,
    Sensitivity,
    Severity,
    SourceRef,
)
from residency_scan.waivers import WaiverBook, load_waivers

TODAY = date(2026, 11, 25)
KNOWN_RULES = ("MA-DECREE-LOC-1", "MA-DECREE-ADM-1", "MA-DECREE-QUAL-1")
FIRST_ENTRY_LINE = 3  # after "version: 1" and "waivers:"

VALID: dict[str, str] = {
    "id": "DRG-2026-001",
    "asset": "crm-1",
    "rule": "MA-DECREE-LOC-1",
    "owner": '"RSSI — Mme Exemple"',
    "reason": '"Migration vers un prestataire qualifié en cours"',
    "reference": '"Analyse de risques AR-2026-04 (décret 2-24-921 art. 17)"',
    "created": "2026-01-10",
    "expires": "2026-12-31",
}


def entry(**fields: str | None) -> list[tuple[str, str]]:
    """VALID with some fields replaced (a YAML value as written), removed (None) or added (new keys last)."""
    merged = {**VALID, **fields}
    return [(key, value) for key, value in merged.items() if value is not None]


def waiver_file(*entries: list[tuple[str, str]]) -> str:
    lines = ["version: 1", "waivers:"]
    for fields in entries:
        for index, (key, value) in enumerate(fields):
            lines.append(f"{'  - ' if index == 0 else '    '}{key}: {value}")
    return "\n".join(lines) + "\n"


def line_of(entries: list[list[tuple[str, str]]], number: int, key: str) -> int:
    """The line of field `key` of entry `number` (0-based) in `waiver_file(*entries)`."""
    line = FIRST_ENTRY_LINE + sum(len(fields) for fields in entries[:number])
    return line + [name for name, _ in entries[number]].index(key)


def write(tmp_path: Path, text: str, name: str = "waivers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def book_of(tmp_path: Path, *entries: list[tuple[str, str]], max_lifetime_days: int = 365,
            known_rules: tuple[str, ...] | None = KNOWN_RULES) -> WaiverBook:
    return load_waivers(write(tmp_path, waiver_file(*entries)), max_lifetime_days=max_lifetime_days,
                        known_rules=known_rules)


_REFERENCE = LegalReference(text="Décret n° 2-24-921", article="art. 5 §3")
_LOCATION = Location(status=LocationStatus.CONFIRMED, countries=("FR",), reason="AWS eu-west-3 is in FR",
                     policy="corroboration-v1")


def judged(asset_id: str, *outcomes: tuple[str, Outcome]) -> AssetResult:
    """A judged asset: one check per (rule, outcome), a finding for each non-compliant one, worst verdict."""
    checks = tuple(RuleCheck(rule=rule, outcome=outcome, reason=f"{rule} gave {outcome}")
                   for rule, outcome in outcomes)
    findings = tuple(
        Finding(rule=check.rule, title="t", title_fr="t", severity=Severity.CRITICAL, outcome=check.outcome,
                message="m", message_fr="m", remediation="r", remediation_fr="r", reference=_REFERENCE,
                reason=check.reason)
        for check in checks if check.outcome is not Outcome.COMPLIANT)
    verdict = max((check.outcome for check in checks), key=lambda outcome: outcome.rank,
                  default=Outcome.NOT_APPLICABLE)
    return AssetResult(id=asset_id, kind=AssetKind.DATA_STORE, target=None, sensitivity=Sensitivity.SENSITIVE,
                       source=SourceRef(path="inventory.yaml", line=1), verdict=verdict, location=_LOCATION,
                       evidence=(), checks=checks, findings=findings)
