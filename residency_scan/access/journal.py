"""The `journal-json` format: `journalctl -o json` output, one JSON object per line.

systemd writes `MESSAGE` as a string, or as a list of byte values when the message is not valid UTF-8 or holds
control characters; both are read (the bytes decoded with replacement, since the journal itself says they are
not text). The time is `__REALTIME_TIMESTAMP` (microseconds since the epoch, UTC), the host `_HOSTNAME`, the
program `SYSLOG_IDENTIFIER` or `_COMM`. The file is streamed line by line; a line that is not a JSON object
(a truncated last line, say) is skipped and counted like any entry that is not an accepted sshd login.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from residency_scan.access.files import iter_lines
from residency_scan.access.interface import JOURNAL_JSON, AdminEvent, Limits, OriginKind, ParsedLog
from residency_scan.access.sshd import SSHD_PROGRAMS, looks_accepted, parse_accepted, safe_host

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_MICROSECONDS = int((datetime(9999, 12, 31, tzinfo=UTC) - _EPOCH) / timedelta(microseconds=1))


def read_journal(path: Path, limits: Limits) -> ParsedLog:
    """Every accepted sshd login of a `journalctl -o json` file; other entries are skipped and counted."""
    events: list[AdminEvent] = []
    skipped = unreadable = 0
    for number, line in iter_lines(path, limits):
        event = None if line is None else _read_entry(line, number)
        if event is None:
            skipped += 1
            unreadable += line is None or looks_accepted(line)
        else:
            events.append(event)
    return ParsedLog(format=JOURNAL_JSON, origin_kind=OriginKind.HOST, events=tuple(events), skipped=skipped,
                     unreadable=unreadable)


def _read_entry(line: str, number: int) -> AdminEvent | None:
    try:
        entry = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(entry, dict) or not _is_sshd(entry):
        return None
    message = _message(entry.get("MESSAGE"))
    when = _time(entry.get("__REALTIME_TIMESTAMP"))
    if message is None or when is None:
        return None
    accepted = parse_accepted(message)
    if accepted is None:
        return None
    host = entry.get("_HOSTNAME")
    return AdminEvent(time=when, origin=safe_host(host) if isinstance(host, str) and host else None,
                      user=accepted.user, source=accepted.source, method=f"ssh {accepted.method}", line=number)


def _is_sshd(entry: dict[str, Any]) -> bool:
    return entry.get("SYSLOG_IDENTIFIER") in SSHD_PROGRAMS or entry.get("_COMM") in SSHD_PROGRAMS


def _message(value: object) -> str | None:
    """The message as text: a string, or the journal's list of byte values for a non-text message."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(type(b) is int and 0 <= b <= 255 for b in value):
        return bytes(value).decode("utf-8", errors="replace")
    return None


def _time(value: object) -> datetime | None:
    """`__REALTIME_TIMESTAMP`: microseconds since the epoch, written as a decimal string."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        microseconds = int(value)
    elif type(value) is int:
        microseconds = value
    else:
        return None
    if not 0 <= microseconds <= _MAX_MICROSECONDS:
        return None
    return _EPOCH + timedelta(microseconds=microseconds)
