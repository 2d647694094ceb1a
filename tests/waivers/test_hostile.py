"""Hostile text: markup is kept as data (reporters escape it), control characters make the entry invalid, and
no problem message quotes a control character raw."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_scan.models import Outcome, WaiverStatusKind
from tests.waivers.helpers import TODAY, book_of, entry, judged, line_of

HTML = "<script>alert('x')</script><img src=x onerror=alert(1)> & <b>RSSI</b>"
ANSI_LOOKALIKE = "[31mrouge[0m ]8;;https://evil.example\\lien]8;;\\"  # the printable part of ANSI codes


def yaml_quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_markup_is_kept_as_written_for_reporters_to_escape(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(owner=yaml_quoted(HTML), reason=yaml_quoted(ANSI_LOOKALIKE),
                                   reference=yaml_quoted("AR-2026 <a href='javascript:alert(1)'>")))
    waived = book.apply(judged("crm-1", ("MA-DECREE-LOC-1", Outcome.VIOLATION)), TODAY)
    ref = waived.findings[0].waiver
    assert ref is not None
    assert (ref.owner, ref.reason, ref.reference) == (HTML, ANSI_LOOKALIKE, "AR-2026 <a href='javascript:alert(1)'>")
    assert book.statuses(TODAY)[0].owner == HTML


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("owner", r'"RSSI \e[31mrouge\e[0m"', r"'\x1b'"),  # ANSI colour: ESC
    ("owner", r'"RSSI\x07"', r"'\x07'"),  # bell
    ("owner", r'"RSSI\x00"', r"'\x00'"),
    ("owner", r'"RSSI\u009b31m"', r"'\x9b'"),  # C1 CSI
    ("owner", r'"RSSI\nDSI"', r"'\n'"),  # one-line field
    ("asset", r'"crm-\t*"', r"'\t'"),
    ("rule", r'"MA-DECREE-LOC-1\r"', r"'\r'"),
    ("reason", r'"migration \u202eelbisiv\u202c"', r"'\u202e'"),  # bidi override (Trojan Source)
    ("reason", r'"migration \u2066x\u2069"', r"'\u2066'"),  # bidi isolate
    ("reference", r'"AR-2026\u2028"', r"'\u2028'"),  # line separator
    ("reference", r'"AR-2026\r\n"', r"'\r'"),
])
def test_control_characters_make_the_entry_invalid(tmp_path: Path, field: str, value: str, shown: str) -> None:
    entries = [entry(**{field: value})]
    book = book_of(tmp_path, *entries)
    status = book.statuses(TODAY)[0]
    assert status.status is WaiverStatusKind.INVALID
    problem = next(p for p in status.problems if "is not allowed here" in p)
    assert problem.startswith(f"{book.path}:{line_of(entries, 0, field)}: {field}: contains the ")
    assert shown in problem
    assert problem.isprintable()
    assert book.apply(judged("crm-1", ("MA-DECREE-LOC-1", Outcome.VIOLATION)), TODAY).verdict is Outcome.VIOLATION


def test_a_multi_line_reason_is_allowed(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(reason=r'"Migration en cours.\n\tLot 2 : sauvegardes."'))
    assert book.waivers[0].problems == ()
    assert book.waivers[0].reason == "Migration en cours.\n\tLot 2 : sauvegardes."


def test_a_hostile_field_name_is_quoted_escaped(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(**{r'"\e[2Jowner\u202e"': "x"}))
    problem = book.waivers[0].problems[0]
    assert r"unknown field '\x1b[2Jowner\u202e'" in problem
    assert problem.isprintable()


def test_a_hostile_rule_pattern_is_quoted_escaped_when_unknown(tmp_path: Path) -> None:
    book = book_of(tmp_path, entry(rule=yaml_quoted("<script>MA-*")))
    assert "'<script>MA-*' matches no rule" in book.waivers[0].problems[0]
