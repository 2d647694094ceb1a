"""Telling a log's format from its first bytes, and refusing what is not a log."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_scan.access import AccessLogSpec, read_access_logs
from residency_scan.access.files import detect_format
from residency_scan.access.interface import AUTH_LOG, CLOUDTRAIL_JSON, JOURNAL_JSON, Limits
from residency_scan.errors import InputError
from tests.access.helpers import (
    console_login,
    inventory,
    journal_entry,
    locator_for,
    sshd_line,
    write_journal,
    write_json,
    write_text,
)

LIMITS = Limits()


@pytest.mark.parametrize("gzipped", [False, True])
def test_each_format_is_recognised_plain_or_gzipped(tmp_path: Path, gzipped: bool) -> None:
    auth = write_text(tmp_path, "auth.log", sshd_line("Nov 25 10:00:01", "bastion", "root", "196.200.1.1") + "\n",
                      gzipped=gzipped)
    iso = write_text(tmp_path, "secure", "2026-11-25T10:00:01+01:00 bastion CRON[1]: hello\n", gzipped=gzipped)
    trail = write_json(tmp_path, "trail.json", {"Records": [console_login("196.200.1.1")]}, gzipped=gzipped)
    single_line = write_json(tmp_path, "trail1.json", {"Records": []}, indent=None, gzipped=gzipped)
    events = write_json(tmp_path, "events.json", [], gzipped=gzipped)
    assert detect_format(auth, LIMITS) == AUTH_LOG
    assert detect_format(iso, LIMITS) == AUTH_LOG
    assert detect_format(trail, LIMITS) == CLOUDTRAIL_JSON
    assert detect_format(single_line, LIMITS) == CLOUDTRAIL_JSON
    assert detect_format(events, LIMITS) == CLOUDTRAIL_JSON


def test_journal_json_is_told_from_cloudtrail_by_its_fields(tmp_path: Path) -> None:
    journal = write_journal(tmp_path, [journal_entry("Accepted publickey for a from 196.200.1.1 port 1")])
    assert detect_format(journal, LIMITS) == JOURNAL_JSON


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"hello world\nthis is a letter\n", "no line looks like syslog"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary data"),
])
def test_what_is_not_a_log_is_refused_naming_the_formats(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "mystery.log"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        detect_format(path, LIMITS)
    problem = caught.value.problems[0]
    assert problem.path == str(path) and message in problem.message
    assert problem.hint is not None
    assert all(name in problem.hint for name in (AUTH_LOG, JOURNAL_JSON, CLOUDTRAIL_JSON))


def test_pretty_printed_journal_is_refused_with_the_right_export(tmp_path: Path) -> None:
    path = write_json(tmp_path, "journal.json", journal_entry("Accepted publickey for a from 196.200.1.1 port 1"))
    with pytest.raises(InputError) as caught:
        read_access_logs([AccessLogSpec(path)], inventory(), locator_for(tmp_path, inventory()), year=2026)
    assert caught.value.problems[0].hint == "export it with journalctl -o json: one entry per line"
