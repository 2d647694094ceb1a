"""Applying waivers to judged assets, and saying what became of each waiver.

A waiver never hides a finding: the finding keeps its outcome and is reported everywhere, it only gains the
waiver (who accepted the risk, why, until when), and the asset's verdict becomes `waived` once every
non-compliant check is covered. Only a valid waiver in force on the scan date covers anything; an expired one
is matched all the same, so that its status can show what it would still be covering — the reason someone
must renew it or fix the finding.

`WaiverBook` records, as assets are applied, which findings each waiver matched: `statuses()` reads that
record after the last asset. The scan judges assets one at a time, so the record needs no lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from residency_scan.models import (
    AssetResult,
    Finding,
    Outcome,
    RuleCheck,
    SourceRef,
    WaiverStatus,
    WaiverStatusKind,
)
from residency_scan.waivers.model import Waiver

NON_COMPLIANT = frozenset({Outcome.VIOLATION, Outcome.INDETERMINATE})


class WaiverBook:
    """The waivers of one file, in file order, and what each has matched so far in this scan."""

    def __init__(self, path: str, waivers: Sequence[Waiver], *, max_lifetime_days: int) -> None:
        self.path = path
        self.waivers = tuple(waivers)
        self.max_lifetime_days = max_lifetime_days
        self._matched: list[dict[str, None]] = [{} for _ in self.waivers]  # ordered sets of "asset rule"
        self._partition: tuple[date, tuple[int, ...], tuple[int, ...]] | None = None

    @classmethod
    def empty(cls, path: str = "") -> WaiverBook:
        """A book with no waivers: applying it changes nothing (for scans run without `--waivers`)."""
        return cls(path, (), max_lifetime_days=1)

    def __len__(self) -> int:
        return len(self.waivers)

    def apply(self, asset: AssetResult, today: date) -> AssetResult:
        """The asset with its non-compliant checks and findings covered by the first waiver in force that
        matches them, and its verdict recomputed; the same object when nothing changes."""
        if not self.waivers or not any(check.outcome in NON_COMPLIANT for check in asset.checks):
            return asset
        in_force, expired = self._split(today)
        covering: dict[str, Waiver] = {}
        for check in asset.checks:
            if check.outcome not in NON_COMPLIANT:
                continue
            covered = f"{asset.id} {check.rule}"
            for index in in_force:
                if self.waivers[index].matches(asset.id, check.rule):
                    covering[check.rule] = self.waivers[index]
                    self._matched[index][covered] = None
                    break
            for index in expired:
                if self.waivers[index].matches(asset.id, check.rule):
                    self._matched[index][covered] = None
        checks = tuple(_waive_check(check, covering.get(check.rule)) for check in asset.checks)
        findings = tuple(_waive_finding(finding, covering.get(finding.rule)) for finding in asset.findings)
        if _same(checks, asset.checks) and _same(findings, asset.findings):
            return asset
        return asset.model_copy(update={"checks": checks, "findings": findings,
                                        "verdict": verdict_after_waivers(checks, asset.verdict)})

    def statuses(self, today: date) -> tuple[WaiverStatus, ...]:
        """Every waiver, in file order: invalid, expired, active (covers something) or stale (covers nothing)."""
        return tuple(self._status(index, waiver, today) for index, waiver in enumerate(self.waivers))

    def _status(self, index: int, waiver: Waiver, today: date) -> WaiverStatus:
        problems = waiver.problems_on(today)
        matched = tuple(self._matched[index])
        if problems:
            kind, matched = WaiverStatusKind.INVALID, ()
        elif waiver.is_expired(today):
            kind = WaiverStatusKind.EXPIRED
        else:
            kind = WaiverStatusKind.ACTIVE if matched else WaiverStatusKind.STALE
        return WaiverStatus(
            id=waiver.id, asset=waiver.asset, rule=waiver.rule, owner=waiver.owner, reason=waiver.reason,
            reference=waiver.reference, created=waiver.created, expires=waiver.expires, status=kind,
            problems=problems, covered=matched,
            days_left=None if waiver.expires is None else (waiver.expires - today).days,
            source=SourceRef(path=waiver.source.path, line=waiver.source.line))

    def _split(self, today: date) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Indexes of the waivers in force on `today` and of the valid expired ones (cached per date)."""
        if self._partition is None or self._partition[0] != today:
            in_force = tuple(i for i, waiver in enumerate(self.waivers) if waiver.in_force(today))
            expired = tuple(i for i, waiver in enumerate(self.waivers)
                            if not waiver.problems_on(today) and waiver.is_expired(today))
            self._partition = (today, in_force, expired)
        return self._partition[1], self._partition[2]


def verdict_after_waivers(checks: Iterable[RuleCheck], verdict: Outcome) -> Outcome:
    """The worst outcome among unwaived non-compliant checks (violation > indeterminate); `waived` when every
    non-compliant check is waived; `verdict` unchanged when no check is non-compliant."""
    open_outcomes = []
    waived = False
    for check in checks:
        if check.outcome in NON_COMPLIANT:
            if check.waiver is None:
                open_outcomes.append(check.outcome)
            else:
                waived = True
    if open_outcomes:
        return max(open_outcomes, key=lambda outcome: outcome.rank)
    return Outcome.WAIVED if waived else verdict


def expiring_soon(statuses: Iterable[WaiverStatus], days: int = 30) -> tuple[WaiverStatus, ...]:
    """The active waivers that expire within `days` days (today included): time to renew or to fix."""
    return tuple(status for status in statuses
                 if status.status is WaiverStatusKind.ACTIVE and status.days_left is not None
                 and 0 <= status.days_left <= days)


def _waive_check(check: RuleCheck, waiver: Waiver | None) -> RuleCheck:
    wanted = waiver.id if waiver is not None and check.outcome in NON_COMPLIANT else None
    return check if check.waiver == wanted else check.model_copy(update={"waiver": wanted})


def _waive_finding(finding: Finding, waiver: Waiver | None) -> Finding:
    wanted = waiver.ref() if waiver is not None else None
    return finding if finding.waiver == wanted else finding.model_copy(update={"waiver": wanted})


def _same(new: tuple[object, ...], old: tuple[object, ...]) -> bool:
    return all(a is b for a, b in zip(new, old, strict=True))
