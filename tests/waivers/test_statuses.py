"""What became of each waiver: active, stale, expired or invalid, in file order, with what it covered."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from residency_scan.models import Outcome, SourceRef, WaiverStatus, WaiverStatusKind
from residency_scan.waivers import expiring_soon
from tests.waivers.helpers import TODAY, book_of, entry, judged, line_of

LOC, ADM = "MA-DECREE-LOC-1", "MA-DECREE-ADM-1"


def test_every_status_in_file_order(tmp_path: Path) -> None:
    entries = [
        entry(id="DRG-STALE", asset="'erp-*'"),
        entry(id="DRG-ACTIVE", asset="'crm-*'"),
        entry(id="DRG-EXPIRED", asset="crm-2", created="2026-01-01", expires="2026-10-31"),
        entry(id="DRG-INVALID", expires=None),
    ]
    book = book_of(tmp_path, *entries)
    book.apply(judged("crm-1", (LOC, Outcome.VIOLATION), (ADM, Outcome.COMPLIANT)), TODAY)
    book.apply(judged("crm-2", (LOC, Outcome.INDETERMINATE)), TODAY)
    statuses = book.statuses(TODAY)
    assert [(s.id, s.status) for s in statuses] == [
        ("DRG-STALE", WaiverStatusKind.STALE), ("DRG-ACTIVE", WaiverStatusKind.ACTIVE),
        ("DRG-EXPIRED", WaiverStatusKind.EXPIRED), ("DRG-INVALID", WaiverStatusKind.INVALID)]
    stale, active, expired, invalid = statuses
    assert stale.covered == () and stale.problems == ()
    assert active.covered == ("crm-1 MA-DECREE-LOC-1", "crm-2 MA-DECREE-LOC-1")
    assert expired.covered == ("crm-2 MA-DECREE-LOC-1",)  # what it would cover; DRG-ACTIVE did
    assert (expired.days_left, active.days_left) == (-25, 36)
    assert invalid.expires is None and invalid.days_left is None and invalid.covered == ()
    assert invalid.problems and "the waiver has no expires" in invalid.problems[0]
    assert [s.source for s in statuses] == [
        SourceRef(path=book.path, line=line_of(entries, index, "id")) for index in range(4)]


def test_a_status_echoes_the_waiver(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry())
    book.apply(judged("crm-1", (LOC, Outcome.VIOLATION)), TODAY)
    assert book.statuses(TODAY) == (WaiverStatus(
        id="DRG-2026-001", asset="crm-1", rule="MA-DECREE-LOC-1", owner="RSSI — Mme Exemple",
        reason="Migration vers un prestataire qualifié en cours",
        reference="Analyse de risques AR-2026-04 (décret 2-24-921 art. 17)", created=date(2026, 1, 10),
        expires=date(2026, 12, 31), status=WaiverStatusKind.ACTIVE, covered=("crm-1 MA-DECREE-LOC-1",),
        days_left=36, source=SourceRef(path=book.path, line=3)),)


def test_a_waiver_that_matched_nothing_is_stale(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry())
    book.apply(judged("crm-1", (LOC, Outcome.COMPLIANT)), TODAY)  # matches, but nothing to waive
    assert book.statuses(TODAY)[0].status is WaiverStatusKind.STALE


def test_an_expired_waiver_that_matched_nothing_is_still_expired(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(created="2026-01-01", expires="2026-06-30"))
    assert book.statuses(TODAY)[0].status is WaiverStatusKind.EXPIRED


def test_invalid_wins_over_expired(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(created="2026-01-01", expires="2026-06-30", owner='""'))
    assert book.statuses(TODAY)[0].status is WaiverStatusKind.INVALID


def test_expiring_soon_leaves_out_stale_expired_and_invalid_waivers(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(id="DRG-TODAY", asset="crm-1", expires=TODAY.isoformat()),
                   entry(id="DRG-STALE", asset="nothing", expires="2026-11-30"),
                   entry(id="DRG-GONE", asset="crm-1", created="2026-01-01", expires="2026-11-24"),
                   entry(id="DRG-BAD", asset="crm-1", owner='""', expires="2026-11-30"))
    book.apply(judged("crm-1", (LOC, Outcome.VIOLATION)), TODAY)
    statuses = book.statuses(TODAY)
    assert [s.status for s in statuses] == [WaiverStatusKind.ACTIVE, WaiverStatusKind.STALE,
                                            WaiverStatusKind.EXPIRED, WaiverStatusKind.INVALID]
    assert [s.id for s in expiring_soon(statuses)] == ["DRG-TODAY"]


def test_expiring_soon_window_is_inclusive(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(id="DRG-30", asset="crm-1", expires="2026-12-25"),
                   entry(id="DRG-31", asset="crm-2", expires="2026-12-26"))
    book.apply(judged("crm-1", (LOC, Outcome.VIOLATION)), TODAY)
    book.apply(judged("crm-2", (LOC, Outcome.VIOLATION)), TODAY)
    statuses = book.statuses(TODAY)
    assert [s.id for s in expiring_soon(statuses)] == ["DRG-30"]
    assert [s.id for s in expiring_soon(statuses, days=31)] == ["DRG-30", "DRG-31"]
    assert expiring_soon(statuses, days=0) == ()
