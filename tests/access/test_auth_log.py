"""The auth-log reader: sshd syslog lines in both timestamp styles, and everything hostile a log can hold."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from residency_scan.access.auth_log import read_auth_log
from residency_scan.access.interface import AUTH_LOG, Limits, OriginKind
from residency_scan.errors import InputError
from tests.access.helpers import sshd_line, write_text

LIMITS = Limits()

DATA = Path(__file__).parent / "data"
TRADITIONAL = (DATA / "auth.log").read_text(encoding="utf-8")  # Debian-style /var/log/auth.log


def test_traditional_lines_give_every_accepted_method_with_the_given_year(tmp_path: Path) -> None:
    parsed = read_auth_log(write_text(tmp_path, "auth.log", TRADITIONAL), LIMITS, year=2026)
    assert parsed.format == AUTH_LOG and parsed.origin_kind is OriginKind.HOST
    assert [(e.line, e.user, e.source, e.method, e.origin) for e in parsed.events] == [
        (1, "root", "196.200.131.10", "ssh publickey", "bastion"),
        (4, "admin", "93.184.216.34", "ssh password", "bastion"),
        (5, "ops", "2a01:cb00::1", "ssh keyboard-interactive/pam", "bastion"),
        (6, "krb", "41.248.10.10", "ssh gssapi-with-mic", "bastion"),
        (7, "backup", "41.248.10.11", "ssh hostbased", "bastion"),
        (8, "deploy", "196.200.131.11", "ssh publickey", "bastion"),
    ]
    assert parsed.events[0].time == datetime(2026, 11, 25, 10, 0, 1, tzinfo=UTC)
    assert parsed.events[1].time == datetime(2026, 11, 5, 10, 0, 4, tzinfo=UTC)  # day padded with a space
    assert parsed.skipped == 3  # the failed login, the cron line, the certificate line


def test_rfc3339_lines_keep_their_zone_and_fraction(tmp_path: Path) -> None:
    log = write_text(tmp_path, "secure", """
        2026-11-25T10:00:01.123456+01:00 bastion sshd[123]: Accepted password for alice from 196.200.131.10 port 1 ssh2
        2026-11-25T10:00:02.123456789Z bastion sshd[124]: Accepted publickey for bob from 2c0f:fa00::10 port 2 ssh2
        2026-11-25T10:00:03+0100 bastion.exemple.ma sshd[125]: Accepted publickey for carol from 196.200.1.1 port 3
        2026-11-25T10:00:04 bastion sshd[126]: Accepted publickey for dave from 196.200.1.2 port 4 ssh2
        2026-13-45T10:00:05Z bastion sshd[127]: Accepted publickey for eve from 196.200.1.3 port 5 ssh2
        """)
    parsed = read_auth_log(log, LIMITS, year=1999)  # the year argument is not used for complete stamps
    times = [e.time for e in parsed.events]
    assert times == [
        datetime(2026, 11, 25, 9, 0, 1, 123456, tzinfo=UTC),
        datetime(2026, 11, 25, 10, 0, 2, 123456, tzinfo=UTC),
        datetime(2026, 11, 25, 9, 0, 3, tzinfo=UTC),
        datetime(2026, 11, 25, 10, 0, 4, tzinfo=UTC),  # no zone: read as UTC
    ]
    assert [e.user for e in parsed.events] == ["alice", "bob", "carol", "dave"]
    assert parsed.events[2].origin == "bastion.exemple.ma"
    assert parsed.skipped == 1  # month 13 is no date


def test_december_lines_before_january_ones_belong_to_the_previous_year(tmp_path: Path) -> None:
    log = write_text(tmp_path, "auth.log", """
        Dec 30 23:59:00 bastion sshd[1]: Accepted publickey for a from 196.200.131.10 port 1 ssh2
        Dec 31 23:59:59 bastion systemd[1]: Started session.
        Jan  1 00:00:01 bastion sshd[2]: Accepted publickey for b from 196.200.131.10 port 1 ssh2
        Feb  3 08:00:00 bastion sshd[3]: Accepted publickey for c from 196.200.131.10 port 1 ssh2
        """)
    parsed = read_auth_log(log, LIMITS, year=2027)
    assert [e.time.date() for e in parsed.events] == [date(2026, 12, 30), date(2027, 1, 1), date(2027, 2, 3)]


def test_a_december_log_read_in_january_is_of_the_previous_year(tmp_path: Path) -> None:
    log = write_text(tmp_path, "auth.log", """
        Dec 20 10:00:00 bastion sshd[1]: Accepted publickey for a from 196.200.131.10 port 1 ssh2
        Dec 31 10:00:00 bastion sshd[2]: Accepted publickey for b from 196.200.131.10 port 1 ssh2
        """)
    scanned_in_january = read_auth_log(log, LIMITS, year=2027, today=date(2027, 1, 4))
    assert [e.time.year for e in scanned_in_january.events] == [2026, 2026]
    scanned_in_december = read_auth_log(log, LIMITS, year=2026, today=date(2026, 12, 31))
    assert [e.time.year for e in scanned_in_december.events] == [2026, 2026]


def test_a_month_going_back_a_little_is_not_a_new_year(tmp_path: Path) -> None:
    log = write_text(tmp_path, "auth.log", """
        Feb  1 00:00:01 bastion sshd[1]: Accepted publickey for a from 196.200.131.10 port 1 ssh2
        Jan 31 23:59:59 bastion sshd[2]: Accepted publickey for b from 196.200.131.10 port 1 ssh2
        """)
    assert [e.time.year for e in read_auth_log(log, LIMITS, year=2026).events] == [2026, 2026]


def test_february_29_of_a_common_year_is_skipped_not_a_crash(tmp_path: Path) -> None:
    log = write_text(tmp_path, "auth.log", """
        Feb 29 10:00:00 bastion sshd[1]: Accepted publickey for a from 196.200.131.10 port 1 ssh2
        """)
    parsed = read_auth_log(log, LIMITS, year=2026)
    assert parsed.events == () and parsed.skipped == 1
    assert len(read_auth_log(log, LIMITS, year=2028).events) == 1


def test_gzipped_rotated_log_is_read(tmp_path: Path) -> None:
    log = write_text(tmp_path, "auth.log.2.gz", TRADITIONAL, gzipped=True)
    assert len(read_auth_log(log, LIMITS, year=2026).events) == 6


def test_hostile_user_names_stay_data(tmp_path: Path) -> None:
    huge = "x" * 10_000
    log = write_text(tmp_path, "auth.log", "\n".join([
        sshd_line("Nov 25 10:00:01", "bastion", "\x1b[2J<script>alert(1)</script>", "196.200.1.1", "password"),
        sshd_line("Nov 25 10:00:02", "bastion", huge, "196.200.1.2", "password"),
        sshd_line("Nov 25 10:00:03", "bastion", "mallory from 93.184.216.34 port 1", "196.200.1.3", "password"),
    ]))
    events = read_auth_log(log, LIMITS, year=2026).events
    assert events[0].user == "\\x1b[2J<script>alert(1)</script>"  # escape made visible; HTML left to the reports
    assert "\x1b" not in events[0].user
    assert len(events[1].user) == 129 and events[1].user.endswith("…")
    # the last " from … port" is the address: a user name cannot choose it
    assert (events[2].user, events[2].source) == ("mallory from 93.184.216.34 port 1", "196.200.1.3")


def test_overlong_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    long_line = "Nov 25 10:00:01 bastion sshd[1]: Accepted password for " + "y" * 300 + " from 196.200.1.1 port 1"
    ok = "Nov 25 10:00:02 bastion sshd[2]: Accepted password for z from 196.200.1.2 port 2 ssh2"
    log = write_text(tmp_path, "auth.log", f"{long_line}\n{ok}\n")
    parsed = read_auth_log(log, Limits(max_line_bytes=200), year=2026)
    assert [(e.user, e.line) for e in parsed.events] == [("z", 2)]
    assert parsed.skipped == 1


def test_a_host_name_logged_with_usedns_is_kept_as_the_source(tmp_path: Path) -> None:
    log = write_text(tmp_path, "auth.log", """
        Nov 25 10:00:01 bastion sshd[1]: Accepted publickey for root from admin-pc.example.fr port 1 ssh2
        """)
    assert read_auth_log(log, LIMITS, year=2026).events[0].source == "admin-pc.example.fr"


@pytest.mark.parametrize(("content", "line", "message"), [
    (b"Nov 25 10:00:01 bastion sshd[1]: ok\nNov 25 \xff\xfe bad\n", 2, "not valid UTF-8"),
    (b"Nov 25 10:00:01 bastion sshd[1]: ok\n\x00\x01\x02ELF\n", 2, "binary data"),
])
def test_binary_or_non_utf8_content_is_refused_naming_the_line(tmp_path: Path, content: bytes, line: int,
                                                               message: str) -> None:
    path = tmp_path / "auth.log"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_auth_log(path, LIMITS, year=2026)
    problem = caught.value.problems[0]
    assert (problem.path, problem.line) == (str(path), line) and message in problem.message
    assert problem.hint


def test_a_gzip_bomb_is_refused_past_the_text_limit(tmp_path: Path) -> None:
    line = "Nov 25 10:00:01 bastion CRON[1]: nothing to see here\n"
    log = write_text(tmp_path, "auth.log.gz", line * 2000, gzipped=True)
    with pytest.raises(InputError, match="over the limit of 10000 bytes"):
        read_auth_log(log, Limits(max_text_bytes=10_000), year=2026)


def test_a_truncated_gzip_file_is_an_input_error(tmp_path: Path) -> None:
    log = write_text(tmp_path, "auth.log.gz", TRADITIONAL, gzipped=True)
    log.write_bytes(log.read_bytes()[:40])
    with pytest.raises(InputError, match="gzip"):
        read_auth_log(log, LIMITS, year=2026)
