"""Whether a result fails a CI gate: the one rule the exit code and every report's pass/fail line share.

An asset fails at or above the threshold by its verdict (a waived asset passes). A waiver that is expired or
invalid covers nothing and is a finding of its own, at the violation level: it hides nothing, but it must be
mended. A stale one only informs.
"""

from __future__ import annotations

from collections.abc import Iterable

from residency_scan.models import Outcome, ScanResult, WaiverStatus, WaiverStatusKind

BROKEN_WAIVERS = (WaiverStatusKind.EXPIRED, WaiverStatusKind.INVALID)


def is_broken(status: WaiverStatus) -> bool:
    return status.status in BROKEN_WAIVERS


def waiver_outcomes(result: ScanResult) -> list[Outcome]:
    """The outcome each broken waiver counts as."""
    return [Outcome.VIOLATION for status in result.waivers if is_broken(status)]


def verdict_outcomes(result: ScanResult) -> list[Outcome]:
    """The failing verdicts present, from the summary (complete even when the assets were streamed away)."""
    summary = result.summary
    return [outcome for outcome, count in ((Outcome.VIOLATION, summary.violation),
                                           (Outcome.INDETERMINATE, summary.indeterminate)) if count]


def fails(outcomes: Iterable[Outcome], threshold: Outcome | None) -> bool:
    """Any outcome at or above `threshold` (None: nothing fails)."""
    return threshold is not None and any(outcome.rank >= threshold.rank for outcome in outcomes)


def result_fails(result: ScanResult, threshold: Outcome | None) -> bool:
    return fails([*verdict_outcomes(result), *waiver_outcomes(result)], threshold)
