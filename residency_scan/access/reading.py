"""Reading every `--access-log` of a scan into per-asset `AccessRecord`s and per-file `AccessLogRef`s.

One pass per file: detect or take its format, read its events, attribute each to assets, then aggregate per
(asset, user, source address, method) — a bastion sees thousands of logins from a handful of places, and a
report should list the places. Each source address is located once, through the `SourceLocator`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType

from residency_scan.access.attribution import Attributor
from residency_scan.access.auth_log import read_auth_log
from residency_scan.access.cloudtrail import read_cloudtrail
from residency_scan.access.files import detect_format, file_sha256, refuse
from residency_scan.access.interface import (
    AUTH_LOG,
    CLOUDTRAIL_JSON,
    FORMATS,
    JOURNAL_JSON,
    AccessLogSpec,
    AdminEvent,
    Limits,
    OriginKind,
    ParsedLog,
    SourceLocator,
)
from residency_scan.access.journal import read_journal
from residency_scan.errors import InputError, Problem, UsageError
from residency_scan.inventory.suggest import did_you_mean, one_of, shown
from residency_scan.models import AccessLogRef, AccessRecord, Inventory, SourceRef

MAX_UNMATCHED = 20
"""Unmatched hosts or accounts listed per log (sorted); `events - attributed` counts the events."""
DEFAULT_LIMITS = Limits()
NO_ORIGIN = {OriginKind.HOST: "(no host name)", OriginKind.ACCOUNT: "(no account id)"}


@dataclass(frozen=True)
class AccessReading:
    """What the access logs of a scan said: one `AccessLogRef` per file, and the records of each asset."""

    logs: tuple[AccessLogRef, ...]
    records: Mapping[str, tuple[AccessRecord, ...]] = field(default_factory=lambda: MappingProxyType({}))

    def for_asset(self, asset_id: str) -> tuple[AccessRecord, ...]:
        """The administrative access seen to one asset, oldest first; () when the logs show none."""
        return self.records.get(asset_id, ())


def check_format(name: str) -> str:
    """A format name as `--access-log-format` takes it, or UsageError with the closest one."""
    if name in FORMATS:
        return name
    hint = did_you_mean(name, FORMATS)
    raise UsageError(f"unknown access-log format {shown(name)}; " + (hint or one_of(FORMATS)))


def parse_access_log_option(text: str, format: str | None = None) -> AccessLogSpec:
    """`FILE` or `ASSET=FILE`. A value naming an existing file is that file, even if it contains '='."""
    fmt = check_format(format) if format is not None else None
    if "=" not in text or Path(text).exists():
        if not text:
            raise UsageError("--access-log needs a file: FILE or ASSET=FILE")
        return AccessLogSpec(path=Path(text), format=fmt)
    asset, _, path = text.partition("=")
    if not asset.strip() or not path:
        raise UsageError(f"--access-log {shown(text)}: write FILE or ASSET=FILE (asset id, '=', then the file)")
    return AccessLogSpec(path=Path(path), format=fmt, asset=asset.strip())


def read_access_logs(specs: Sequence[AccessLogSpec], inventory: Inventory, locator: SourceLocator, *, year: int,
                     today: date | None = None, limits: Limits = DEFAULT_LIMITS) -> AccessReading:
    """Read every log, attribute and aggregate its events, and locate every source address.

    `year` is the year of the newest lines of a traditional syslog file (they carry no year); `today`, when
    given, moves a file whose newest lines would lie in the future a year back (see `auth_log`).
    """
    _check_assets(specs, inventory)
    attributor = Attributor(inventory)
    aggregates: dict[tuple[str, str, str, str], _Aggregate] = {}
    logs: list[AccessLogRef] = []
    for spec in specs:
        fmt = check_format(spec.format) if spec.format is not None else None
        before = _version(spec.path)
        sha256 = file_sha256(spec.path)
        parsed = _parse(spec.path, fmt or detect_format(spec.path, limits), limits, year, today)
        if _version(spec.path) != before:  # a live log: the hash would not name what was read
            raise refuse(spec.path, "the access log changed while it was read, so its recorded hash would not "
                                    "name what was judged", hint="copy it first (cp auth.log /tmp/) and scan the copy")
        attributed = 0
        unmatched: set[str] = set()
        for event in parsed.events:
            assets = (spec.asset,) if spec.asset else attributor.assets_for(parsed.origin_kind, event.origin)
            if not assets:
                unmatched.add(event.origin or NO_ORIGIN[parsed.origin_kind])
                continue
            attributed += 1
            for asset_id in assets:
                key = (asset_id, event.user, event.source, event.method)
                found = aggregates.get(key)
                if found is None:
                    aggregates[key] = _Aggregate(event, str(spec.path))
                else:
                    found.add(event, str(spec.path))
        logs.append(AccessLogRef(path=str(spec.path), sha256=sha256, format=parsed.format, events=len(parsed.events),
                                 attributed=attributed, unmatched=tuple(sorted(unmatched))[:MAX_UNMATCHED],
                                 skipped_lines=parsed.skipped, unreadable_logins=parsed.unreadable))
    return AccessReading(logs=tuple(logs), records=MappingProxyType(_records(aggregates, locator)))


def _check_assets(specs: Sequence[AccessLogSpec], inventory: Inventory) -> None:
    ids = [asset.id for asset in inventory.assets]
    known = set(ids)
    problems = [
        Problem(str(spec.path), f"no asset {shown(spec.asset)} in the inventory {inventory.path}",
                field="--access-log", hint=did_you_mean(spec.asset, ids) or "write ASSET=FILE with an asset id")
        for spec in specs if spec.asset is not None and spec.asset not in known
    ]
    if problems:
        raise InputError(problems)


def _version(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is written to: size, modification time, inode (a rotated log is a new file).
    None when it cannot be read: `file_sha256` then says why."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def _parse(path: Path, fmt: str, limits: Limits, year: int, today: date | None) -> ParsedLog:
    if fmt == AUTH_LOG:
        return read_auth_log(path, limits, year=year, today=today)
    if fmt == JOURNAL_JSON:
        return read_journal(path, limits)
    assert fmt == CLOUDTRAIL_JSON
    return read_cloudtrail(path, limits)


class _Aggregate:
    """The events of one (asset, user, source, method): first and last time, count, the earliest line."""

    __slots__ = ("count", "first", "last", "log")

    def __init__(self, event: AdminEvent, path: str) -> None:
        self.first = self.last = event.time
        self.count = 1
        self.log = SourceRef(path=path, line=event.line)

    def add(self, event: AdminEvent, path: str) -> None:
        self.count += 1
        if event.time < self.first:
            self.first = event.time
            self.log = SourceRef(path=path, line=event.line)
        self.last = max(self.last, event.time)


def _records(aggregates: dict[tuple[str, str, str, str], _Aggregate],
             locator: SourceLocator) -> dict[str, tuple[AccessRecord, ...]]:
    by_asset: dict[str, list[AccessRecord]] = {}
    for (asset_id, user, source, method), seen in aggregates.items():
        where = locator.locate(source)
        by_asset.setdefault(asset_id, []).append(AccessRecord(
            user=user, source_ip=source, method=method, first_seen=seen.first, last_seen=seen.last,
            count=seen.count, log=seen.log, country=where.country, status=where.status,
            strongest=where.strongest, internal=where.internal, reason=where.reason))
    return {asset_id: tuple(sorted(records, key=_order)) for asset_id, records in sorted(by_asset.items())}


def _order(record: AccessRecord) -> tuple[datetime, str, str, str]:
    return record.first_seen, record.user, record.source_ip, record.method
