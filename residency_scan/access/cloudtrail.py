"""The `cloudtrail-json` format: AWS CloudTrail events, in the three shapes people have them in.

- the S3 delivery format `{"Records": [ {record}, … ]}` (often `.json.gz`, read through gzip);
- `aws cloudtrail lookup-events` output, `{"Events": [{"CloudTrailEvent": "<the record as a JSON string>", …}]}`;
- the file `residency-scan discover aws --events-output` writes: a list of `discovery.result.AccessEvent`.

Administration is a console sign-in that succeeded, or a call that changes something (`readOnly` false; when a
record does not say, an event name starting Create/Delete/Put/Update/Attach/Detach/Modify/Run/Start/Stop/
Terminate) by anyone but an AWS service. Events whose `sourceIPAddress` is not an address ("ec2.amazonaws.com",
"AWS Internal") are AWS acting on its own and are skipped and counted. Discover's file does not record whether a
sign-in succeeded: every `ConsoleLogin` in it is kept, fail-closed, with a method that says so.

The file is parsed whole (bounded by `Limits.max_json_bytes`), element by element, so every event keeps the line
it starts on: a finding can point at `trail.json:1234`.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from residency_scan.access.files import JOURNAL_KEYS, decode_text, read_limited, refuse
from residency_scan.access.interface import CLOUDTRAIL_JSON, AdminEvent, Limits, OriginKind, ParsedLog
from residency_scan.discovery.result import AccessEvent
from residency_scan.inventory.suggest import printable

MUTATING_PREFIXES = ("Create", "Delete", "Put", "Update", "Attach", "Detach", "Modify", "Run", "Start", "Stop",
                     "Terminate")
SERVICE_IDENTITIES = frozenset({"AWSService"})
LIST_KEYS = ("Records", "Events")
SHAPES_HINT = ('expected {"Records": [...]} (S3 export), {"Events": [...]} (aws cloudtrail lookup-events) or '
               "the list written by discover aws --events-output")
MAX_NAME = 128
UNSIGNED_LOGIN = "aws ConsoleLogin (outcome not recorded)"

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def read_cloudtrail(path: Path, limits: Limits) -> ParsedLog:
    """Every console sign-in and mutating call of a CloudTrail file; other events are skipped and counted."""
    text = decode_text(path, read_limited(path, limits.max_json_bytes))
    events: list[AdminEvent] = []
    skipped = 0
    for line, element in _elements(path, text):
        event = _event(element, line)
        if event is None:
            skipped += 1
        else:
            events.append(event)
    return ParsedLog(format=CLOUDTRAIL_JSON, origin_kind=OriginKind.ACCOUNT, events=tuple(events), skipped=skipped)


# ------------------------------------------------------------------------------------------ the document


class _Scanner:
    """Walks the top of a JSON document by hand, decoding each event with `json`, to know its line."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text, self.at = path, text, 0
        self._line, self._line_at = 1, 0

    def line(self, position: int) -> int:
        self._line += self.text.count("\n", self._line_at, position)
        self._line_at = position
        return self._line

    def skip(self) -> str:
        """Skip whitespace; the next character ('' at the end)."""
        found = _WHITESPACE.match(self.text, self.at)
        self.at = found.end() if found else self.at
        return self.text[self.at: self.at + 1]

    def value(self) -> Any:
        self.skip()  # raw_decode does not skip leading whitespace
        try:
            decoded, self.at = _DECODER.raw_decode(self.text, self.at)
        except json.JSONDecodeError as exc:
            raise refuse(self.path, f"invalid JSON: {exc.msg}", exc.lineno) from None
        except RecursionError:
            raise refuse(self.path, "invalid JSON: nested too deeply", self.line(self.at)) from None
        return decoded

    def expect(self, *wanted: str) -> str:
        found = self.skip()
        if found not in wanted:
            what = repr(found) if found else "the end of the file"
            raise refuse(self.path, f"invalid JSON: expected {' or '.join(map(repr, wanted))}, found {what}",
                         self.line(self.at), SHAPES_HINT)
        self.at += 1
        return found

    def items(self) -> Iterator[tuple[int, Any]]:
        """The elements of the array starting here, with their lines."""
        self.expect("[")
        if self.skip() == "]":
            self.at += 1
            return
        while True:
            self.skip()
            line = self.line(self.at)
            yield line, self.value()
            if self.expect(",", "]") == "]":
                return


def _elements(path: Path, text: str) -> Iterator[tuple[int, Any]]:
    """Each event-like element of the document, with its line."""
    scanner = _Scanner(path, text)
    first = scanner.skip()
    if first == "[":
        yield from scanner.items()
    elif first == "{":
        yield from _object_lists(scanner)
    else:
        raise refuse(path, "not a CloudTrail JSON document", scanner.line(scanner.at), SHAPES_HINT)
    if scanner.skip():
        raise refuse(path, "invalid JSON: extra data after the document", scanner.line(scanner.at))


def _object_lists(scanner: _Scanner) -> Iterator[tuple[int, Any]]:
    """The events of a top-level object: its "Records" or "Events" list, or the object itself if it is one."""
    start = scanner.line(scanner.at)
    scanner.expect("{")
    found_list = False
    others: dict[str, Any] = {}
    if scanner.skip() == "}":
        scanner.at += 1
    else:
        while True:
            scanner.skip()
            key_line = scanner.line(scanner.at)
            key = scanner.value()
            if not isinstance(key, str):
                raise refuse(scanner.path, "invalid JSON: expected a key in double quotes", key_line)
            scanner.expect(":")
            if key in LIST_KEYS and scanner.skip() == "[":
                found_list = True
                yield from scanner.items()
            else:
                others[key] = scanner.value()
            if scanner.expect(",", "}") == "}":
                break
    if not found_list:
        if "eventName" in others:  # a single record
            yield start, others
            return
        if JOURNAL_KEYS & others.keys():
            raise refuse(scanner.path, "a journal entry spread over several lines (journalctl -o json-pretty)", start,
                         "export it with journalctl -o json: one entry per line")
        raise refuse(scanner.path, "not a CloudTrail export: no \"Records\" or \"Events\" list", start, SHAPES_HINT)


# ------------------------------------------------------------------------------------------ one event


def _event(element: object, line: int) -> AdminEvent | None:
    if not isinstance(element, dict):
        return None
    if "eventName" in element:
        return _from_record(element, line)
    if "CloudTrailEvent" in element:
        return _from_lookup(element, line)
    if "event_name" in element:
        return _from_discovery(element, line)
    return None


def _from_lookup(element: dict[str, Any], line: int) -> AdminEvent | None:
    """A lookup-events entry: the record itself is the JSON string in `CloudTrailEvent`."""
    raw = element.get("CloudTrailEvent")
    if not isinstance(raw, str):
        return None
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return _from_record(record, line) if isinstance(record, dict) else None


def _from_record(record: dict[str, Any], line: int) -> AdminEvent | None:
    name, source = record.get("eventName"), _address(record.get("sourceIPAddress"))
    when = _time(record.get("eventTime"))
    identity = record.get("userIdentity")
    identity = identity if isinstance(identity, dict) else {}
    if not isinstance(name, str) or source is None or when is None or identity.get("type") in SERVICE_IDENTITIES:
        return None
    if name == "ConsoleLogin":
        response = record.get("responseElements")
        if not isinstance(response, dict) or response.get("ConsoleLogin") != "Success":
            return None
        method = "aws ConsoleLogin"
    elif _mutating(name, _read_only(record.get("readOnly"))):
        method = f"aws api {printable(name, MAX_NAME)}"
    else:
        return None
    account = record.get("recipientAccountId")
    return AdminEvent(time=when, origin=printable(account, MAX_NAME) if isinstance(account, str) and account else None,
                      user=_user(identity), source=source, method=method, line=line)


def _from_discovery(element: dict[str, Any], line: int) -> AdminEvent | None:
    """An event of discover's `--events-output` file (already trimmed and made printable by discover)."""
    try:
        event = AccessEvent.model_validate(element)
    except ValidationError:
        return None
    source = _address(event.source_ip)
    if source is None:
        return None
    if event.event_name == "ConsoleLogin":
        method = UNSIGNED_LOGIN
    elif _mutating(event.event_name, event.read_only):
        method = f"aws api {printable(event.event_name, MAX_NAME)}"
    else:
        return None
    return AdminEvent(time=event.time, origin=printable(event.account, MAX_NAME) or None,
                      user=_user_from_text(event.user), source=source, method=method, line=line)


def _mutating(name: str, read_only: bool | None) -> bool:
    if read_only is not None:
        return not read_only
    return name.startswith(MUTATING_PREFIXES)


def _read_only(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _address(value: object) -> str | None:
    """The source address in canonical form; None when it is an AWS service name or anything else."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _user(identity: dict[str, Any]) -> str:
    """Who: the IAM user name, else the role session the ARN names, else "root" for the account itself."""
    if identity.get("type") == "Root":
        return "root"
    name = identity.get("userName")
    if isinstance(name, str) and name:
        return printable(name, MAX_NAME)
    arn = identity.get("arn")
    if isinstance(arn, str) and arn:
        return _user_from_text(arn)
    principal = identity.get("principalId")
    if isinstance(principal, str) and principal:
        return printable(principal, MAX_NAME)
    return "unknown"


def _user_from_text(text: str | None) -> str:
    """A user name as given, or the last parts of an ARN: `assumed-role/Admin/alice` → "Admin/alice"."""
    if not text:
        return "unknown"
    if not text.startswith("arn:"):
        return printable(text, MAX_NAME)
    resource = text.split(":", 5)[-1]
    kind, _, rest = resource.partition("/")
    if not rest:
        return printable(resource, MAX_NAME)  # "root"
    if kind == "assumed-role":
        return printable(rest, MAX_NAME)
    return printable(rest.rsplit("/", 1)[-1], MAX_NAME)
