"""gate.py: the pass/fail rule the exit code and the reports share."""

from __future__ import annotations

from datetime import date

import pytest

from residency_scan.gate import fails, result_fails, waiver_outcomes
from residency_scan.models import Outcome, SourceRef, WaiverStatus, WaiverStatusKind
from tests.reports.factories_decree import decree_scan_result


def _status(kind: WaiverStatusKind) -> WaiverStatus:
    return WaiverStatus(id="W", status=kind, source=SourceRef(path="w.yaml", line=3), expires=date(2027, 1, 1))


@pytest.mark.parametrize(("outcomes", "threshold", "expected"), [
    ([Outcome.VIOLATION], Outcome.VIOLATION, True),
    ([Outcome.INDETERMINATE], Outcome.VIOLATION, False),
    ([Outcome.INDETERMINATE], Outcome.INDETERMINATE, True),
    ([Outcome.WAIVED, Outcome.COMPLIANT], Outcome.INDETERMINATE, False),
    ([Outcome.VIOLATION], None, False),
])
def test_outcomes_against_a_threshold(outcomes: list[Outcome], threshold: Outcome | None, expected: bool) -> None:
    assert fails(outcomes, threshold) is expected


def test_broken_waivers_fail_at_the_violation_level_and_stale_ones_do_not() -> None:
    clean = decree_scan_result().model_copy(update={"summary": decree_scan_result().summary.model_copy(
        update={"violation": 0, "indeterminate": 0}), "waivers": (_status(WaiverStatusKind.STALE),)})
    assert waiver_outcomes(clean) == []
    assert not result_fails(clean, Outcome.INDETERMINATE)
    for kind in (WaiverStatusKind.EXPIRED, WaiverStatusKind.INVALID):
        broken = clean.model_copy(update={"waivers": (_status(kind),)})
        assert result_fails(broken, Outcome.VIOLATION)
        assert not result_fails(broken, None)
