"""A broken entry never stops the scan: it becomes an invalid waiver whose problems name the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_scan.models import WaiverStatusKind
from residency_scan.waivers import Waiver, WaiverBook, load_waivers
from residency_scan.waivers.spec import REQUIRED
from tests.waivers.helpers import TODAY, book_of, entry, line_of, waiver_file, write


def only_waiver(book: WaiverBook) -> Waiver:
    assert len(book.waivers) == 1
    return book.waivers[0]


def assert_invalid(book: WaiverBook, index: int, fragment: str, line: int) -> str:
    """The waiver at `index` is invalid with a problem naming `line` and containing `fragment`."""
    waiver = book.waivers[index]
    status = book.statuses(TODAY)[index]
    assert status.status is WaiverStatusKind.INVALID
    assert status.covered == ()
    matching = [p for p in waiver.problems if fragment in p]
    assert matching, f"no problem with {fragment!r} in {waiver.problems}"
    assert matching[0].startswith(f"{book.path}:{line}:"), matching[0]
    return matching[0]


def test_a_valid_entry_keeps_every_field(tmp_path: Path) -> None:
    waiver = only_waiver(book_of(tmp_path, entry()))
    assert waiver.problems == ()
    assert (waiver.id, waiver.asset, waiver.rule) == ("DRG-2026-001", "crm-1", "MA-DECREE-LOC-1")
    assert waiver.owner == "RSSI — Mme Exemple"
    assert waiver.reference == "Analyse de risques AR-2026-04 (décret 2-24-921 art. 17)"
    assert (waiver.created.isoformat(), waiver.expires.isoformat()) == ("2026-01-10", "2026-12-31")  # type: ignore[union-attr]
    assert waiver.source.line == 3


def test_reference_is_optional(tmp_path: Path) -> None:
    assert only_waiver(book_of(tmp_path, entry(reference=None))).problems == ()


@pytest.mark.parametrize("field", sorted(REQUIRED))
def test_each_missing_mandatory_field_makes_the_entry_invalid(tmp_path: Path, field: str) -> None:
    entries = [entry(id="DRG-0"), entry(**{field: None})]
    book = book_of(tmp_path, *entries)
    assert book.waivers[0].problems == ()
    entry_line = line_of(entries, 1, "asset" if field == "id" else "id")  # an entry starts at its first key
    problem = assert_invalid(book, 1, f"the waiver has no {field}", entry_line)
    assert "add " in problem or "every waiver must expire" in problem


def test_missing_expiry_says_every_waiver_must_expire(tmp_path: Path) -> None:
    problem = assert_invalid(book_of(tmp_path, entry(expires=None), max_lifetime_days=180), 0,
                             "the waiver has no expires", 3)
    assert "every waiver must expire" in problem and "at most 180 days" in problem


def test_an_entry_without_id_is_called_after_its_line(tmp_path: Path) -> None:
    entries = [entry(id="DRG-0"), entry(id=None)]
    book = book_of(tmp_path, *entries)
    assert book.waivers[1].id == f"line-{line_of(entries, 1, 'asset')}"


@pytest.mark.parametrize("value", ['"DRG 1"', '" DRG-1"', '"-DRG"', '"DRG/1"', '"' + "D" * 101 + '"'])
def test_an_unusable_id_is_invalid_and_called_after_its_line(tmp_path: Path, value: str) -> None:
    book = book_of(tmp_path, entry(id=value))
    assert_invalid(book, 0, "is not a valid waiver id", 3)
    assert book.waivers[0].id == "line-3"


def test_unknown_field_suggests_the_right_name(tmp_path: Path) -> None:
    entries = [entry(expires=None, expiry="2026-12-31")]
    book = book_of(tmp_path, *entries)
    problem = assert_invalid(book, 0, "unknown field 'expiry'", line_of(entries, 0, "expiry"))
    assert "did you mean 'expires'?" in problem
    assert any("the waiver has no expires" in p for p in book.waivers[0].problems)


@pytest.mark.parametrize(("value", "fragment"), [
    ("soon", "'soon' is not a date"),
    ('"2026-02-30"', "'2026-02-30' is not a valid date"),
    ('"31/12/2026"', "'31/12/2026' is not a date"),
    ("20261231", "must be a date, not a number"),
    ("2026-12-31T10:00:00", "has a time"),
    ("[2026-12-31]", "must be a date, not a list"),
    ('""', "is empty"),
    ("", "is empty"),
])
def test_a_date_that_is_not_a_date_is_invalid(tmp_path: Path, value: str, fragment: str) -> None:
    entries = [entry(expires=value)]
    problem = assert_invalid(book_of(tmp_path, *entries), 0, fragment, line_of(entries, 0, "expires"))
    assert "expires" in problem


def test_a_quoted_iso_date_is_a_date(tmp_path: Path) -> None:
    waiver = only_waiver(book_of(tmp_path, entry(created='"2026-01-10"', expires="'2026-12-31'")))
    assert waiver.problems == ()
    assert waiver.expires is not None and waiver.expires.isoformat() == "2026-12-31"


def test_created_after_expires_is_invalid(tmp_path: Path) -> None:
    entries = [entry(created="2026-06-01", expires="2026-05-31")]
    assert_invalid(book_of(tmp_path, *entries), 0, "expires 2026-05-31 is before created 2026-06-01",
                   line_of(entries, 0, "expires"))


def test_a_one_day_waiver_is_valid(tmp_path: Path) -> None:
    assert only_waiver(book_of(tmp_path, entry(created="2026-11-25", expires="2026-11-25"))).problems == ()


def test_lifetime_over_the_default_maximum_is_invalid(tmp_path: Path) -> None:
    entries = [entry(id="DRG-365", created="2026-01-01", expires="2027-01-01"),
               entry(id="DRG-366", created="2026-01-01", expires="2027-01-02")]
    book = book_of(tmp_path, *entries)
    assert book.waivers[0].problems == ()
    problem = assert_invalid(book, 1, "the waiver lasts 366 days (2026-01-01 to 2027-01-02), over the maximum "
                             "of 365 days", line_of(entries, 1, "expires"))
    assert "expire it on 2027-01-01 at the latest" in problem


def test_maximum_lifetime_is_configurable(tmp_path: Path) -> None:
    entries = [entry(created="2026-11-01", expires="2026-12-31")]
    assert book_of(tmp_path, *entries, max_lifetime_days=90).waivers[0].problems == ()
    book = book_of(tmp_path, *entries, max_lifetime_days=30)
    assert_invalid(book, 0, "over the maximum of 30 days", line_of(entries, 0, "expires"))
    assert book.max_lifetime_days == 30


def test_duplicate_id_makes_the_second_invalid_and_names_the_first(tmp_path: Path) -> None:
    entries = [entry(), entry(asset="crm-2"), entry(id="drg-2026-001", asset="crm-3")]
    book = book_of(tmp_path, *entries)
    assert book.waivers[0].problems == ()
    first = line_of(entries, 0, "id")
    for index in (1, 2):
        problem = assert_invalid(book, index, "duplicate waiver id", line_of(entries, index, "id"))
        assert f"first used on line {first}" in problem
    assert book.waivers[1].id == "DRG-2026-001"  # the id as written: the user recognises it, the line tells apart


@pytest.mark.parametrize("value", ['""', '"   "', ""])
def test_empty_text_is_invalid(tmp_path: Path, value: str) -> None:
    entries = [entry(owner=value)]
    problem = assert_invalid(book_of(tmp_path, *entries), 0, "is empty", line_of(entries, 0, "owner"))
    assert "owner: is empty" in problem


def test_text_that_is_not_text_is_invalid_with_a_hint(tmp_path: Path) -> None:
    entries = [entry(owner="1234", reason="[a, b]")]
    book = book_of(tmp_path, *entries)
    problem = assert_invalid(book, 0, "must be text, not a number", line_of(entries, 0, "owner"))
    assert "put the value in quotes" in problem
    assert_invalid(book, 0, "must be text, not a list", line_of(entries, 0, "reason"))


def test_overlong_text_is_invalid(tmp_path: Path) -> None:
    entries = [entry(reason='"' + "x" * 5000 + '"')]
    assert_invalid(book_of(tmp_path, *entries), 0, "is 5000 characters long, over the limit of 4096",
                   line_of(entries, 0, "reason"))


def test_rule_matching_no_known_rule_is_invalid_with_a_suggestion(tmp_path: Path) -> None:
    entries = [entry(rule="MA-DECREE-LOC-2"), entry(id="DRG-2", rule="ma-decree-adm-1"),
               entry(id="DRG-3", rule="'XYZ-*'")]
    book = book_of(tmp_path, *entries)
    problem = assert_invalid(book, 0, "'MA-DECREE-LOC-2' matches no rule of the rule packs in use",
                             line_of(entries, 0, "rule"))
    assert "did you mean 'MA-DECREE-LOC-1'?" in problem
    assert "did you mean 'MA-DECREE-ADM-1'?" in assert_invalid(book, 1, "matches no rule",
                                                                line_of(entries, 1, "rule"))
    assert "one of: MA-DECREE-ADM-1, MA-DECREE-LOC-1" in assert_invalid(book, 2, "matches no rule",
                                                                        line_of(entries, 2, "rule"))


def test_rule_glob_matching_a_known_rule_is_valid(tmp_path: Path) -> None:
    assert only_waiver(book_of(tmp_path, entry(rule="'MA-DECREE-*'"))).problems == ()


def test_without_known_rules_any_rule_pattern_is_accepted(tmp_path: Path) -> None:
    assert only_waiver(book_of(tmp_path, entry(rule="ANY-RULE"), known_rules=None)).problems == ()


@pytest.mark.parametrize(("text", "expected"), [
    ("just text", "not text"),
    ("[a, b]", "not a list"),
    ("", "not empty"),
])
def test_an_entry_that_is_not_a_mapping_is_invalid(tmp_path: Path, text: str, expected: str) -> None:
    good = waiver_file(entry())
    path = write(tmp_path, good + f"  - {text}\n")
    book = load_waivers(path)
    line = good.count("\n") + 1
    assert book.waivers[0].problems == ()
    problem = assert_invalid(book, 1, "a waiver must be a mapping", line)
    assert expected in problem
    assert book.waivers[1].id == f"line-{line}"


def test_every_problem_of_an_entry_is_reported_at_once(tmp_path: Path) -> None:
    entries = [entry(id=None, owner='""', expires="later", colour="blue")]
    problems = book_of(tmp_path, *entries).waivers[0].problems
    assert len(problems) == 4
    assert [p.split(":")[1] for p in problems] == [  # in line order
        str(line_of(entries, 0, "asset")), str(line_of(entries, 0, "owner")),
        str(line_of(entries, 0, "expires")), str(line_of(entries, 0, "colour"))]
