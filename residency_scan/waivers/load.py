"""Reading a waiver file: the file must be sound, its entries need not be.

A file that cannot be read as a waiver file at all (not UTF-8, bad YAML, a bomb, too big, no `waivers:` list,
an unknown top-level key, another version) stops the scan with `WaiverFileError` (exit 2): the scan would
otherwise run without the waivers the user meant to apply, and fail for the wrong reason.

A broken *entry* does not stop the scan: it becomes an invalid `Waiver` with its problems and line, covers
nothing, and is reported (the issue: "an expired or malformed waiver is itself a finding"). Whether an entry
is usable is decided here for everything that does not depend on the scan date; a creation date in the future
is judged by `Waiver.problems_on(today)`.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from residency_scan.errors import InputError, Problem, UsageError
from residency_scan.inventory.suggest import describe_type, did_you_mean, one_of, printable, shown
from residency_scan.models import SourceRef
from residency_scan.safe_yaml import DEFAULT_MAX_BYTES, LocatedDict, LocatedList, load_yaml_text, read_text
from residency_scan.waivers.book import WaiverBook
from residency_scan.waivers.model import Waiver
from residency_scan.waivers.spec import (
    FIELDS,
    FORBIDDEN_MULTI_LINE,
    FORBIDDEN_ONE_LINE,
    ID_PATTERN,
    LIMITS,
    MULTI_LINE,
    REQUIRED,
    SUPPORTED_VERSION,
    TOP_FIELDS,
)

DEFAULT_MAX_LIFETIME_DAYS = 365
"""A waiver is a temporary acceptance of risk: a year, then a new review (decree 2-24-921 art. 17 speaks of
a transitional exception; the référentiel asks for an annual risk analysis)."""

_ID = re.compile(ID_PATTERN)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHOWN_RULES = 8
_MISSING_HINTS = {
    "id": "add id: DRG-<year>-<number>, unique in the file",
    "asset": "add asset: <asset id, or a glob such as 'crm-*'>",
    "rule": "add rule: <rule id, such as MA-DECREE-LOC-1>",
    "owner": "add owner: <who accepted the risk, role and name>",
    "reason": "add reason: <why the finding is accepted for now>",
    "created": "add created: YYYY-MM-DD, the day the waiver was granted",
}


class WaiverFileError(InputError):
    """The waiver file cannot be used at all (exit 2). Problems with single entries never raise this."""


def load_waivers(
    path: Path,
    *,
    max_lifetime_days: int = DEFAULT_MAX_LIFETIME_DAYS,
    known_rules: Collection[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> WaiverBook:
    """Load a waiver file. `known_rules`, when given, are the rule ids of the packs in use: a `rule` pattern
    that matches none of them makes its entry invalid (a typo would otherwise only look stale)."""
    if max_lifetime_days < 1:
        raise UsageError(f"the maximum waiver lifetime must be at least 1 day, not {max_lifetime_days}")
    display = str(path)
    try:
        root = load_yaml_text(read_text(path, max_bytes=max_bytes, what="waiver file"), display)
    except InputError as exc:
        raise WaiverFileError(list(exc.problems)) from None
    entries = _entries(root, display)
    reader = _EntryReader(display, max_lifetime_days, None if known_rules is None else tuple(known_rules))
    waivers = tuple(reader.read(entry, entries.line_of(index)) for index, entry in enumerate(entries))
    return WaiverBook(display, waivers, max_lifetime_days=max_lifetime_days)


def _entries(root: Any, display: str) -> LocatedList:
    """The `waivers:` list, after every file-level check; raises WaiverFileError with all that is wrong."""
    if root is None:
        raise WaiverFileError([Problem(display, "the waiver file is empty",
                                       hint=f"start with 'version: {SUPPORTED_VERSION}' and 'waivers:'")])
    if not isinstance(root, LocatedDict):
        raise WaiverFileError([Problem(display, f"a waiver file is a mapping with version and waivers, not "
                                       f"{describe_type(root)}", line=getattr(root, "line", 1))])
    problems = [
        Problem(display, f"unknown top-level key {shown(key)}", line=root.line_of(key), field=printable(key),
                hint=did_you_mean(key, TOP_FIELDS) or f"allowed: {', '.join(TOP_FIELDS)}")
        for key in root if key not in TOP_FIELDS
    ]
    version = root.get("version")
    if version is None:
        problems.append(Problem(display, "the waiver file has no version", line=root.line, field="version",
                                hint=f"add 'version: {SUPPORTED_VERSION}' at the top of the file"))
    elif type(version) is not int or version != SUPPORTED_VERSION:
        problems.append(Problem(display, f"unsupported waiver file version {shown(version)}",
                                line=root.line_of("version"), field="version",
                                hint=f"this residency-scan reads 'version: {SUPPORTED_VERSION}'"))
    entries = root.get("waivers")
    if "waivers" not in root:
        problems.append(Problem(display, "the waiver file has no 'waivers:' list", line=root.line,
                                field="waivers", hint="add 'waivers:' followed by one '- id: …' per waiver"))
    elif not isinstance(entries, LocatedList):
        problems.append(Problem(display, f"'waivers' must be a list of waivers, not {describe_type(entries)}",
                                line=root.line_of("waivers"), field="waivers",
                                hint="one '- id: …' per waiver; 'waivers: []' for none"))
    if problems:
        raise WaiverFileError(problems)
    assert isinstance(entries, LocatedList)
    return entries


class _EntryReader:
    """Turns each entry into a `Waiver`, remembering the ids seen so far (the second of two is invalid)."""

    def __init__(self, path: str, max_lifetime_days: int, known_rules: tuple[str, ...] | None) -> None:
        self._path = path
        self._max_days = max_lifetime_days
        self._known_rules = known_rules
        self._seen: dict[str, int] = {}

    def read(self, record: Any, line: int) -> Waiver:
        source = SourceRef(path=self._path, line=line)
        if not isinstance(record, LocatedDict):
            problem = Problem(self._path, f"a waiver must be a mapping (id, asset, rule, owner, reason, created, "
                              f"expires), not {describe_type(record)}", line=line,
                              hint="start each waiver with '- id: …' and indent its other fields under it")
            return Waiver(id=f"line-{line}", problems=(str(problem),), source=source)
        fields = _Fields(self._path, record, line)
        fields.refuse_unknown()
        waiver_id = self._identifier(fields)
        asset = fields.text("asset")
        rule = fields.text("rule")
        owner, reason = fields.text("owner"), fields.text("reason")
        reference = fields.text("reference")
        created = fields.date("created", _MISSING_HINTS["created"])
        expires = fields.date("expires", f"every waiver must expire: add expires: YYYY-MM-DD, at most "
                                         f"{self._max_days} days after created")
        self._check_period(fields, created, expires)
        if rule is not None:
            self._check_rule(fields, rule)
        return Waiver(
            id=waiver_id or f"line-{line}", asset=asset, rule=rule, owner=owner, reason=reason,
            reference=reference, created=created, expires=expires, problems=fields.sorted_problems(),
            source=source, created_line=record.line_of("created") if "created" in record else None)

    def _identifier(self, fields: _Fields) -> str | None:
        """The entry's id, or None when it has none that reports could quote (then it is called line-N)."""
        value = fields.text("id")
        if value is None:
            return None
        if not _ID.fullmatch(fields.record["id"]):  # as written: an id is quoted verbatim, spaces and all
            fields.problem("id", f"{shown(value)} is not a valid waiver id",
                           "letters, digits, '.', '_', ':' and '-' only (at most 100), starting with a letter "
                           "or a digit, e.g. DRG-2026-001")
            return None
        key = value.casefold()
        if key in self._seen:
            fields.problem("id", f"duplicate waiver id {shown(value)}",
                           f"first used on line {self._seen[key]}: give each waiver its own id")
        else:
            self._seen[key] = fields.line_of("id")
        return value

    def _check_period(self, fields: _Fields, created: date | None, expires: date | None) -> None:
        if created is None or expires is None:
            return
        if created > expires:
            fields.problem("expires", f"expires {expires.isoformat()} is before created {created.isoformat()}",
                           "check the years, or swap the two dates")
            return
        days = (expires - created).days
        if days > self._max_days:
            latest = created + timedelta(days=self._max_days)
            fields.problem("expires", f"the waiver lasts {days} days ({created.isoformat()} to "
                           f"{expires.isoformat()}), over the maximum of {self._max_days} days",
                           f"expire it on {latest.isoformat()} at the latest, and renew it after a new review")

    def _check_rule(self, fields: _Fields, rule: str) -> None:
        known = self._known_rules
        if known is None or any(fnmatchcase(rule_id, rule) for rule_id in known):
            return
        listed = sorted(known)
        more = ", …" if len(listed) > _SHOWN_RULES else ""
        hint = did_you_mean(rule, listed) or (
            "no rule pack is in use" if not listed else one_of(listed[:_SHOWN_RULES]) + more)
        fields.problem("rule", f"{shown(rule)} matches no rule of the rule packs in use", hint)


class _Fields:
    """One entry's fields, read one at a time; every problem names the line of the field (or of the entry)."""

    def __init__(self, path: str, record: LocatedDict, line: int) -> None:
        self._path = path
        self.record = record
        self._line = line
        self.problems: list[Problem] = []

    def line_of(self, key: str) -> int:
        return self.record.line_of(key) if key in self.record else self._line

    def sorted_problems(self) -> tuple[str, ...]:
        """The problems as reports show them, in line order (a stable sort: one line's stay in field order)."""
        return tuple(str(problem) for problem in sorted(self.problems, key=lambda problem: problem.line or 0))

    def problem(self, key: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self._path, message, line=self.line_of(key), field=key, hint=hint))

    def refuse_unknown(self) -> None:
        for key in self.record:
            if key not in FIELDS:
                self.problems.append(Problem(
                    self._path, f"unknown field {shown(key)}", line=self.line_of(key), field=printable(key),
                    hint=did_you_mean(key, FIELDS) or f"allowed fields: {', '.join(FIELDS)}"))

    def _missing(self, key: str, hint: str | None) -> None:
        if key in REQUIRED:
            self.problem(key, f"the waiver has no {key}", hint or _MISSING_HINTS.get(key))

    def text(self, key: str) -> str | None:
        """A text field, stripped; None (with a problem when it is required) unless it is usable."""
        value = self.record.get(key)
        if value is None:
            if key in self.record and key in REQUIRED:
                self.problem(key, "is empty", _MISSING_HINTS.get(key))
            else:
                self._missing(key, None)
            return None
        if not isinstance(value, str):
            scalar = isinstance(value, int | float | bool | date)
            self.problem(key, f"must be text, not {describe_type(value)}",
                         "put the value in quotes" if scalar else None)
            return None
        limit = LIMITS.get(key)  # the id has none: its pattern bounds it
        if limit is not None and len(value) > limit:
            self.problem(key, f"is {len(value)} characters long, over the limit of {limit}", "shorten it")
            return None
        forbidden = (FORBIDDEN_MULTI_LINE if key in MULTI_LINE else FORBIDDEN_ONE_LINE).search(value)
        if forbidden is not None:
            what = "line break" if forbidden.group() in "\n\r\u2028\u2029" else "control character"
            self.problem(key, f"contains the {what} {shown(forbidden.group())}, which is not allowed here",
                         "remove it: a waiver's text is shown as written in every report")
            return None
        text = value.strip()
        if not text:
            self.problem(key, "is empty", _MISSING_HINTS.get(key))
            return None
        return text

    def date(self, key: str, missing_hint: str) -> date | None:
        """A date written YYYY-MM-DD (a YAML date, or the same text in quotes)."""
        value = self.record.get(key)
        if value is None:
            if key in self.record:
                self.problem(key, "is empty", missing_hint)
            else:
                self._missing(key, missing_hint)
            return None
        if isinstance(value, datetime):
            self.problem(key, f"{shown(value.isoformat())} has a time: a waiver is dated by days",
                         f"write {value.date().isoformat()}")
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str) and not value.strip():
            self.problem(key, "is empty", missing_hint)
            return None
        if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError as exc:
                self.problem(key, f"{shown(value)} is not a valid date: {exc}", "write YYYY-MM-DD")
                return None
        self.problem(key, f"{shown(value)} is not a date" if isinstance(value, str)
                     else f"must be a date, not {describe_type(value)}", "write YYYY-MM-DD, e.g. 2026-12-31")
        return None
