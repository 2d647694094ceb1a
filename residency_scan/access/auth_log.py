"""The `auth-log` format: syslog lines of sshd, as in /var/log/auth.log, /var/log/secure or `journalctl -o short`.

Two timestamp styles are read. RFC 3339 (`2026-11-25T10:00:01.123456+01:00 host sshd[1]: …`, rsyslog's
high-precision format and `journalctl -o short-iso`) is complete; a stamp without a zone is read as UTC.

The traditional BSD style (`Nov 25 10:00:01 host sshd[1]: …`) has no year and no zone. Its time is read as UTC
and its year is worked out as follows:
- the newest lines of the file belong to `year` (the scan's year by default);
- a log is written in order, so where the month jumps back by more than six months (December → January) the
  year turned: every line before that point belongs to the year before;
- when `today` is given and the newest lines would then lie in the future (a December log read in January),
  the whole file is taken one year earlier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from residency_scan.access.files import iter_lines
from residency_scan.access.interface import AUTH_LOG, AdminEvent, Limits, OriginKind, ParsedLog
from residency_scan.access.sshd import SSHD_PROGRAMS, looks_accepted, parse_accepted, safe_host

MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_TRADITIONAL = re.compile(
    r"(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(?P<day>\d{1,2}) "
    r"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d) (?P<rest>.*)", re.DOTALL)
_RFC3339 = re.compile(r"(?P<base>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(?P<fraction>\d{1,9}))?"
                      r"(?P<zone>Z|[+-]\d\d:?\d\d)? (?P<rest>.*)", re.DOTALL)
_HEADER_REST = re.compile(r"(?P<host>\S+) (?P<program>[^\s\[:]+)(?:\[\d+\])?: (?P<message>.*)", re.DOTALL)
_ROLLOVER_MONTHS = 6


@dataclass(frozen=True, slots=True)
class _Yearless:
    """A traditional timestamp waiting for its year: the rollover segment it was read in, and its fields."""

    segment: int
    month: int
    day: int
    hour: int
    minute: int
    second: int


@dataclass
class _YearTeller:
    """Follows the months of traditional lines through a file to tell the year of each (see the module doc)."""

    segment: int = 0
    last: tuple[int, int] | None = None  # (month, day) of the newest traditional line

    def see(self, month: int, day: int) -> int:
        if self.last is not None and month + _ROLLOVER_MONTHS < self.last[0]:
            self.segment += 1
        self.last = (month, day)
        return self.segment

    def year_of(self, segment: int, year: int, today: date | None) -> int:
        newest_year = year
        if today is not None and self.last is not None and _after(year, *self.last, today + timedelta(days=1)):
            newest_year -= 1
        return newest_year - (self.segment - segment)


def _after(year: int, month: int, day: int, limit: date) -> bool:
    try:
        return date(year, month, day) > limit
    except ValueError:  # 29 February of a common year
        return False


@dataclass(frozen=True, slots=True)
class _Login:
    """An accepted login as read from its line, its time still yearless when the line is traditional."""

    when: datetime | _Yearless
    host: str
    user: str
    source: str
    method: str
    line: int


def read_auth_log(path: Path, limits: Limits, *, year: int, today: date | None = None) -> ParsedLog:
    """Every accepted sshd login of a syslog file; other lines are skipped and counted."""
    teller = _YearTeller()
    logins: list[_Login] = []
    skipped = unreadable = 0
    for number, line in iter_lines(path, limits):
        login = None if line is None else _read_line(line, number, teller)
        if login is None:
            skipped += 1
            unreadable += line is None or looks_accepted(line)
        else:
            logins.append(login)
    events: list[AdminEvent] = []
    for login in logins:
        stamp = login.when
        when = _dated(stamp, teller.year_of(stamp.segment, year, today)) if isinstance(stamp, _Yearless) else stamp
        if when is None:
            skipped += 1
            unreadable += 1
            continue
        events.append(AdminEvent(time=when, origin=login.host, user=login.user, source=login.source,
                                 method=login.method, line=login.line))
    return ParsedLog(format=AUTH_LOG, origin_kind=OriginKind.HOST, events=tuple(events), skipped=skipped,
                     unreadable=unreadable)


def _read_line(line: str, number: int, teller: _YearTeller) -> _Login | None:
    """The accepted login a line reports, or None for any other line."""
    traditional = _TRADITIONAL.match(line)
    found = traditional or _RFC3339.match(line)
    if found is None:
        return None
    # every dated line, not just logins, tells where the year turns
    when: datetime | _Yearless | None = _yearless(traditional, teller) if traditional is not None else None
    if "Accepted " not in found["rest"]:  # most lines: spare them the header regex
        return None
    header = _HEADER_REST.fullmatch(found["rest"])
    if header is None or header["program"] not in SSHD_PROGRAMS:
        return None
    accepted = parse_accepted(header["message"])
    when = when or _parse_rfc3339(found)
    if accepted is None or when is None:
        return None
    return _Login(when=when, host=safe_host(header["host"]), user=accepted.user, source=accepted.source,
                  method=f"ssh {accepted.method}", line=number)


def _yearless(found: re.Match[str], teller: _YearTeller) -> _Yearless:
    month, day = MONTHS[found["month"]], int(found["day"])
    return _Yearless(teller.see(month, day), month, day, int(found["hour"]), int(found["minute"]),
                     int(found["second"]))


def _parse_rfc3339(found: re.Match[str]) -> datetime | None:
    fraction = (found["fraction"] or "")[:6].ljust(6, "0")  # Python reads 6 fractional digits; rsyslog may write 9
    zone = found["zone"] or "Z"
    try:
        parsed = datetime.fromisoformat(f"{found['base']}.{fraction}{'+00:00' if zone == 'Z' else zone}")
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def _dated(stamp: _Yearless, year: int) -> datetime | None:
    try:
        return datetime(year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second, tzinfo=UTC)
    except ValueError:  # 30 February, 29 February of a common year, hour 25: not a real time
        return None
