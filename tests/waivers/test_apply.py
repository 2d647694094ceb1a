"""Applying waivers: a covered finding stays, gains its waiver, and the verdict is recomputed."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from residency_scan.models import Outcome, WaiverRef, WaiverStatusKind
from residency_scan.waivers import WaiverBook, verdict_after_waivers
from tests.waivers.helpers import TODAY, book_of, entry, judged

LOC, ADM, QUAL = "MA-DECREE-LOC-1", "MA-DECREE-ADM-1", "MA-DECREE-QUAL-1"
V, IND, C = Outcome.VIOLATION, Outcome.INDETERMINATE, Outcome.COMPLIANT


def test_a_waived_finding_keeps_its_outcome_and_carries_the_waiver(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry())
    asset = judged("crm-1", (LOC, V))
    waived = book.apply(asset, TODAY)
    assert waived.verdict is Outcome.WAIVED
    assert waived.checks[0].outcome is V and waived.checks[0].waiver == "DRG-2026-001"
    finding = waived.findings[0]
    assert finding.outcome is V
    assert finding.waiver == WaiverRef(id="DRG-2026-001", owner="RSSI — Mme Exemple",
                                       reason="Migration vers un prestataire qualifié en cours",
                                       reference="Analyse de risques AR-2026-04 (décret 2-24-921 art. 17)",
                                       expires=date(2026, 12, 31))
    assert asset.verdict is V and asset.findings[0].waiver is None  # the input is never changed


@pytest.mark.parametrize(("pattern", "asset_id", "covered"), [
    ("crm-1", "crm-1", True),
    ("'crm-*'", "crm-1", True),
    ("'crm-*'", "crm-prod-eu", True),
    ("'crm-*'", "CRM-1", False),  # ids are case-sensitive
    ("'crm-*'", "old-crm-1", False),
    ("'crm-?'", "crm-12", False),
    ("'crm-[12]'", "crm-2", True),
    ("'*'", "anything", True),
    ("crm-1", "crm-10", False),
])
def test_asset_patterns_are_globs(tmp_path: Path, pattern: str, asset_id: str, covered: bool) -> None:
    waived = book_of(tmp_path, entry(asset=pattern)).apply(judged(asset_id, (LOC, V)), TODAY)
    assert (waived.verdict is Outcome.WAIVED) is covered


def test_rule_patterns_are_globs(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(rule="'MA-DECREE-???-1'"))
    waived = book.apply(judged("crm-1", (LOC, V), (ADM, IND), (QUAL, V)), TODAY)
    assert [check.waiver for check in waived.checks] == ["DRG-2026-001", "DRG-2026-001", None]
    assert waived.verdict is V


def test_only_the_waived_violation_leaves_the_indeterminate_verdict(tmp_path: Path) -> None:
    waived = book_of(tmp_path, entry()).apply(judged("crm-1", (LOC, V), (ADM, IND)), TODAY)
    assert waived.verdict is IND
    assert [f.waiver is not None for f in waived.findings] == [True, False]


def test_only_the_waived_indeterminate_leaves_the_violation_verdict(tmp_path: Path) -> None:
    waived = book_of(tmp_path, entry(rule=ADM)).apply(judged("crm-1", (LOC, V), (ADM, IND)), TODAY)
    assert waived.verdict is V
    assert [c.waiver for c in waived.checks] == [None, "DRG-2026-001"]


def test_every_non_compliant_check_waived_gives_the_waived_verdict(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(), entry(id="DRG-2", rule=ADM))
    waived = book.apply(judged("crm-1", (LOC, V), (QUAL, C), (ADM, IND)), TODAY)
    assert waived.verdict is Outcome.WAIVED
    assert [c.waiver for c in waived.checks] == ["DRG-2026-001", None, "DRG-2"]
    assert [f.waiver.id for f in waived.findings if f.waiver] == ["DRG-2026-001", "DRG-2"]


def test_compliant_checks_are_never_waived(tmp_path: Path) -> None:
    asset = judged("crm-1", (LOC, C))
    assert book_of(tmp_path, entry()).apply(asset, TODAY) is asset


def test_an_asset_with_nothing_waived_is_returned_unchanged(tmp_path: Path) -> None:
    asset = judged("erp-1", (LOC, V), (ADM, IND))
    book = book_of(tmp_path, entry())
    assert book.apply(asset, TODAY) is asset
    not_applicable = judged("site-vitrine")
    assert book.apply(not_applicable, TODAY) is not_applicable


def test_applying_twice_changes_nothing_the_second_time(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry())
    once = book.apply(judged("crm-1", (LOC, V)), TODAY)
    assert book.apply(once, TODAY) is once
    assert book.statuses(TODAY)[0].covered == ("crm-1 MA-DECREE-LOC-1",)


def test_the_first_matching_waiver_in_file_order_wins(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(id="DRG-GLOB", asset="'crm-*'"), entry(id="DRG-EXACT"))
    waived = book.apply(judged("crm-1", (LOC, V)), TODAY)
    assert waived.checks[0].waiver == "DRG-GLOB"
    glob, exact = book.statuses(TODAY)
    assert (glob.status, glob.covered) == (WaiverStatusKind.ACTIVE, ("crm-1 MA-DECREE-LOC-1",))
    assert (exact.status, exact.covered) == (WaiverStatusKind.STALE, ())


def test_an_earlier_invalid_or_expired_waiver_does_not_block_a_later_valid_one(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(id="DRG-BAD", owner='""'),
                   entry(id="DRG-OLD", created="2025-01-01", expires="2025-12-31"), entry(id="DRG-NEW"))
    assert book.apply(judged("crm-1", (LOC, V)), TODAY).checks[0].waiver == "DRG-NEW"


def test_an_expired_waiver_is_never_applied_but_remembers_what_it_would_cover(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(created="2026-01-01", expires="2026-11-24"))
    asset = judged("crm-1", (LOC, V))
    assert book.apply(asset, TODAY) is asset
    status = book.statuses(TODAY)[0]
    assert status.status is WaiverStatusKind.EXPIRED
    assert status.covered == ("crm-1 MA-DECREE-LOC-1",)
    assert status.days_left == -1


def test_a_waiver_applies_on_its_creation_day_and_on_its_expiry_day(tmp_path: Path) -> None:
    today = TODAY.isoformat()
    for created, expires in ((today, "2026-12-31"), ("2026-06-01", today)):
        book = book_of(tmp_path, entry(created=created, expires=expires))
        assert book.apply(judged("crm-1", (LOC, V)), TODAY).verdict is Outcome.WAIVED
        assert book.apply(judged("crm-1", (LOC, V)), TODAY + timedelta(days=1)).verdict is (
            V if expires == today else Outcome.WAIVED)


def test_a_waiver_created_after_the_scan_date_is_invalid_and_not_applied(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(created="2026-11-26", expires="2026-12-31"))
    asset = judged("crm-1", (LOC, V))
    assert book.apply(asset, TODAY) is asset
    status = book.statuses(TODAY)[0]
    assert status.status is WaiverStatusKind.INVALID
    assert status.problems == (f"{book.path}:9: created: created 2026-11-26 is after the scan date 2026-11-25 "
                               "(a waiver is recorded when the risk is accepted: give the date it was granted)",)
    # the same file, scanned a day later: the waiver is now in force
    later = TODAY + timedelta(days=1)
    assert book.apply(asset, later).verdict is Outcome.WAIVED
    assert book.statuses(later)[0].status is WaiverStatusKind.ACTIVE


def test_an_invalid_waiver_is_never_applied(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(created="2025-01-01", expires="2026-12-31"))  # 729 days > 365
    asset = judged("crm-1", (LOC, V))
    assert book.apply(asset, TODAY) is asset
    assert book.statuses(TODAY)[0].covered == ()


def test_a_stale_waiver_recorded_on_a_check_is_cleared_by_a_book_that_does_not_cover_it(tmp_path: Path) -> None:
    covered = book_of(tmp_path, entry()).apply(judged("crm-1", (LOC, V)), TODAY)
    other = book_of(tmp_path, entry(asset="erp-1"))
    again = other.apply(covered, TODAY)
    assert again.verdict is V and again.checks[0].waiver is None and again.findings[0].waiver is None


def test_an_empty_book_changes_nothing() -> None:
    asset = judged("crm-1", (LOC, V))
    assert WaiverBook.empty().apply(asset, TODAY) is asset
    assert WaiverBook.empty().statuses(TODAY) == ()


def test_verdict_after_waivers_keeps_the_verdict_without_non_compliant_checks() -> None:
    assert verdict_after_waivers([], Outcome.NOT_APPLICABLE) is Outcome.NOT_APPLICABLE
    assert verdict_after_waivers(judged("a", (LOC, C)).checks, C) is C
