"""The journal-json reader: `journalctl -o json` lines, MESSAGE as text or as a list of byte values."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from residency_scan.access.interface import JOURNAL_JSON, Limits
from residency_scan.access.journal import read_journal
from residency_scan.errors import InputError
from tests.access.helpers import journal_entry, write_journal

LIMITS = Limits()
ACCEPTED = "Accepted publickey for root from 196.200.131.10 port 51234 ssh2: ED25519 SHA256:abc"


def test_accepted_logins_are_read_with_host_and_microsecond_time(tmp_path: Path) -> None:
    path = write_journal(tmp_path, [
        journal_entry(ACCEPTED, host="DB01"),
        journal_entry("Failed password for root from 93.184.216.34 port 1 ssh2"),
        journal_entry(ACCEPTED, identifier="cron", comm="cron"),
        journal_entry("Accepted password for ops from 2a01:cb00::1 port 22 ssh2", identifier=None,
                      comm="sshd-session"),
    ])
    parsed = read_journal(path, LIMITS)
    assert parsed.format == JOURNAL_JSON
    assert [(e.line, e.origin, e.user, e.source, e.method) for e in parsed.events] == [
        (1, "DB01", "root", "196.200.131.10", "ssh publickey"),
        (4, "db01", "ops", "2a01:cb00::1", "ssh password"),
    ]
    assert parsed.events[0].time == datetime(2025, 11, 25, 10, 0, 1, 123456, tzinfo=UTC)
    assert parsed.skipped == 2


def test_message_given_as_a_list_of_bytes_is_decoded(tmp_path: Path) -> None:
    raw = list("Accepted password for ren\xe9 from 196.200.1.1 port 2 ssh2".encode("latin-1"))
    path = write_journal(tmp_path, [journal_entry(raw)])
    event = read_journal(path, LIMITS).events[0]
    assert (event.user, event.source) == ("ren\ufffd", "196.200.1.1")


@pytest.mark.parametrize("entry", [
    journal_entry([300, 1, 2]),  # not byte values
    journal_entry(None),  # journalctl writes null for a field too large to show
    {**journal_entry(ACCEPTED), "__REALTIME_TIMESTAMP": "soon"},
    {**journal_entry(ACCEPTED), "__REALTIME_TIMESTAMP": "9" * 20},
    {key: value for key, value in journal_entry(ACCEPTED).items() if key != "__REALTIME_TIMESTAMP"},
])
def test_unusable_entries_are_skipped_and_counted(tmp_path: Path, entry: dict[str, object]) -> None:
    parsed = read_journal(write_journal(tmp_path, [entry]), LIMITS)
    assert (parsed.events, parsed.skipped) == ((), 1)


def test_an_entry_without_host_has_no_origin(tmp_path: Path) -> None:
    parsed = read_journal(write_journal(tmp_path, [journal_entry(ACCEPTED, host=None)]), LIMITS)
    assert parsed.events[0].origin is None


def test_broken_and_deeply_nested_lines_are_skipped(tmp_path: Path) -> None:
    path = write_journal(tmp_path, [journal_entry(ACCEPTED)])
    with path.open("a", encoding="utf-8") as stream:
        stream.write("[" * 50_000 + "\n")
        stream.write('{"MESSAGE": "Accepted publickey for x from 1.2.3.4 port 1", "__REALTI')  # truncated last line
    parsed = read_journal(path, LIMITS)
    assert (len(parsed.events), parsed.skipped) == (1, 2)


def test_non_utf8_journal_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_bytes(b'{"MESSAGE": "ok"}\n{"MESSAGE": "\xff"}\n')
    with pytest.raises(InputError) as caught:
        read_journal(path, LIMITS)
    assert caught.value.problems[0].line == 2
