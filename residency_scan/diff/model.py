"""What changed between two scans of the same estate: the value every diff format renders.

A `ResultDiff` is built once by `diff_results` and never edited. Its JSON form (`render_diff(..., "json")`) is
a second public document beside the scan result, versioned with its own `schema_version`.

Findings are matched by (asset id, rule id): the asset id is the inventory's stable name for a system and a
rule id is unique across rule packs, so the pair is the one thing that stays put while messages, evidence and
countries move. Lists keep inventory order (the new scan's order, or the old one's for what disappeared).
"""

from __future__ import annotations

import enum
from typing import Literal

from residency_scan.models import (
    AssetKind,
    Finding,
    Frozen,
    InventoryRef,
    LocationStatus,
    Outcome,
    Severity,
    Summary,
    ToolInfo,
    UtcDateTime,
)

DIFF_SCHEMA_VERSION = "1.0"
"""Version of the diff's JSON document. Bump the major part when a key is removed or changes meaning."""

SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class Trend(enum.StrEnum):
    """Whether a change makes the estate's position worse or better, for a finding or a verdict.

    NEUTRAL is only for a verdict going between compliant and not-applicable (a sensitivity or a rule's
    scope changed): neither is a concern, so neither direction is news of harm or of a fix.
    """

    WORSE = "worse"
    BETTER = "better"
    NEUTRAL = "neutral"


class ResultIdentity(Frozen):
    """Which scan a side of the diff is: enough to tell two results apart and to explain a surprise.

    `offline` matters: an offline scan leaves hostnames unknown, so comparing it with an online scan shows
    drift that comes from the mode, not from the infrastructure. The reports say so.
    """

    schema_version: str
    tool: ToolInfo
    generated_at: UtcDateTime
    offline: bool
    inventory: InventoryRef
    summary: Summary


class SourceChange(Frozen):
    """A dataset or rule pack whose version differs between the scans (None: absent on that side).

    A finding that appears with no inventory edit usually comes from here: a newer region table, a new rule.
    """

    kind: Literal["dataset", "rule-pack"]
    id: str
    old_version: str | None
    new_version: str | None


class FindingDelta(Frozen):
    """A finding present on one side only. `asset_change` says when that is because the asset itself came or
    went ("added" / "removed"), which is not the same news as a fix or a regression on a kept asset."""

    asset: str
    finding: Finding
    asset_change: Literal["added", "removed"] | None = None


class FindingChange(Frozen):
    """The same (asset, rule) on both sides with another outcome or severity, e.g. indeterminate → violation.

    The trend is decided by the outcome when it changed, else by the severity (a rule pack re-graded it).
    """

    asset: str
    rule: str
    old: Finding
    new: Finding
    trend: Trend


class VerdictChange(Frozen):
    asset: str
    old: Outcome
    new: Outcome
    trend: Trend


class SubjectDrift(Frozen):
    """One looked-up subject (an address, a cloud region, a vendor tenant) whose fused location moved.

    A status of None means the subject was not looked up on that side: a hostname now resolving to another
    address shows the old address going (new_status None) and the new one coming (old_status None).
    """

    subject: str
    old_status: LocationStatus | None
    new_status: LocationStatus | None
    old_countries: tuple[str, ...] = ()
    new_countries: tuple[str, ...] = ()


class LocationDrift(Frozen):
    """An asset present in both scans whose location status or countries changed, with the subjects that
    moved. An asset drifts even when its verdict stays the same (MA confirmed → MA unknown is news)."""

    asset: str
    old_status: LocationStatus
    new_status: LocationStatus
    old_countries: tuple[str, ...]
    new_countries: tuple[str, ...]
    subjects: tuple[SubjectDrift, ...]


class AssetBrief(Frozen):
    """An asset that exists on one side only."""

    id: str
    kind: AssetKind
    target: str | None
    verdict: Outcome
    status: LocationStatus
    countries: tuple[str, ...]
    findings: int


class FieldChange(Frozen):
    field: str  # kind, sensitivity, target, vendor, cloud, declared-country
    old: str | None
    new: str | None


class AssetEdit(Frozen):
    """An asset kept under the same id whose inventory entry changed. A fixed finding on an asset whose
    sensitivity was lowered is a reclassification, not a fix; this is what lets a reviewer tell them apart."""

    asset: str
    changes: tuple[FieldChange, ...]


class DiffSummary(Frozen):
    new_findings: int
    fixed_findings: int
    worsened_findings: int
    improved_findings: int
    unchanged_findings: int
    verdict_changes: int
    drifted_assets: int
    added_assets: int
    removed_assets: int
    edited_assets: int


class ResultDiff(Frozen):
    """Everything that changed from `old` to `new`, in deterministic order."""

    schema_version: str = DIFF_SCHEMA_VERSION
    old: ResultIdentity
    new: ResultIdentity
    summary: DiffSummary
    new_findings: tuple[FindingDelta, ...]
    fixed_findings: tuple[FindingDelta, ...]
    changed_findings: tuple[FindingChange, ...]
    verdict_changes: tuple[VerdictChange, ...]
    drift: tuple[LocationDrift, ...]
    added_assets: tuple[AssetBrief, ...]
    removed_assets: tuple[AssetBrief, ...]
    edited_assets: tuple[AssetEdit, ...]
    source_changes: tuple[SourceChange, ...]

    def regressions(self, at_or_above: Outcome = Outcome.INDETERMINATE) -> list[tuple[str, Finding]]:
        """New findings, and findings whose outcome got worse, at or above `at_or_above`: what fails a CI job.

        The same test as `findings_not_in_baseline(new, old)`, so `diff` and `scan --baseline` agree. A
        severity re-graded by a rule pack is shown as worse but is not a regression: `--fail-on` speaks of
        outcomes. Drift, verdict changes and edits alone are not regressions either: they are news to read,
        and whatever harm they do shows up as a new or worsened finding.
        """
        threshold = at_or_above.rank
        found = [(d.asset, d.finding) for d in self.new_findings
                 if not_accepted(d.finding, -1) and d.finding.outcome.rank >= threshold]
        found += [
            (c.asset, c.new)
            for c in self.changed_findings
            if not_accepted(c.new, accepted_rank(c.old)) and c.new.outcome.rank >= threshold
        ]
        return found


def accepted_rank(earlier: Finding) -> int:
    """The outcome rank an earlier result accepted for a finding: none (-1) when only a waiver accepted it, so a
    lifted or expired waiver cannot live on as a baseline."""
    return -1 if earlier.waiver is not None else earlier.outcome.rank


def not_accepted(finding: Finding, accepted_rank: int) -> bool:
    """Whether a finding counts against a CI gate: no valid waiver covers it, and it is worse than what was
    already accepted (`accepted_rank`: the outcome rank an earlier result had for it, -1 for none). The one test
    `diff` and `scan --baseline` share."""
    return finding.waiver is None and accepted_rank < finding.outcome.rank
