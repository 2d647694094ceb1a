"""The cloudtrail-json reader: S3 exports (gzip too), lookup-events output, and discover's events file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from residency_scan.access.cloudtrail import UNSIGNED_LOGIN, read_cloudtrail
from residency_scan.access.interface import CLOUDTRAIL_JSON, Limits, OriginKind
from residency_scan.discovery.result import AccessEvent
from residency_scan.errors import InputError
from tests.access.helpers import ACCOUNT, console_login, ct_record, write_json

LIMITS = Limits()


def records_export() -> dict[str, Any]:
    return {"Records": [
        console_login("196.200.131.10"),
        console_login("93.184.216.34", success=False),
        ct_record("CreateUser", "93.184.216.34"),
        ct_record("ListUsers", "93.184.216.34", read_only=True),
        ct_record("TerminateInstances", "2a01:cb00::1", read_only=None),  # readOnly absent: the name decides
        ct_record("DescribeInstances", "2a01:cb00::1", read_only=None),
        ct_record("AssumeRole", "ec2.amazonaws.com"),  # an AWS service acting
        ct_record("Decrypt", "AWS Internal"),
        ct_record("PutObject", "196.200.1.1",
                  identity={"type": "AWSService", "invokedBy": "backup.amazonaws.com"}),
        ct_record("DeleteBucket", "196.200.1.2", identity={"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root"}),
        ct_record("PutRolePolicy", "196.200.1.3", identity={
            "type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice@exemple.ma",
            "sessionContext": {"sessionIssuer": {"userName": "Admin"}}}),
        ct_record("UpdateTrail", "196.200.1.4", identity={
            "type": "FederatedUser", "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/bob"}),
    ]}


def test_s3_export_keeps_successful_sign_ins_and_mutating_calls_only(tmp_path: Path) -> None:
    parsed = read_cloudtrail(write_json(tmp_path, "trail.json", records_export()), LIMITS)
    assert parsed.format == CLOUDTRAIL_JSON and parsed.origin_kind is OriginKind.ACCOUNT
    assert [(e.user, e.source, e.method) for e in parsed.events] == [
        ("alice", "196.200.131.10", "aws ConsoleLogin"),
        ("alice", "93.184.216.34", "aws api CreateUser"),
        ("alice", "2a01:cb00::1", "aws api TerminateInstances"),
        ("root", "196.200.1.2", "aws api DeleteBucket"),
        ("Admin/alice@exemple.ma", "196.200.1.3", "aws api PutRolePolicy"),
        ("bob", "196.200.1.4", "aws api UpdateTrail"),
    ]
    assert {e.origin for e in parsed.events} == {ACCOUNT}
    assert parsed.events[0].time == datetime(2026, 11, 25, 10, 0, 1, tzinfo=UTC)
    assert parsed.skipped == 6  # failed sign-in, read-only x2, two service sources, one service identity


def test_each_event_knows_the_line_it_starts_on(tmp_path: Path) -> None:
    path = write_json(tmp_path, "trail.json", records_export())
    lines = path.read_text(encoding="utf-8").splitlines()
    for event in read_cloudtrail(path, LIMITS).events:
        assert event.line is not None
        assert lines[event.line - 1].strip() == "{"
        assert event.source in "\n".join(lines[event.line - 1: event.line + 8])


def test_gzipped_single_line_export_is_read(tmp_path: Path) -> None:
    path = write_json(tmp_path, "123_CloudTrail_eu-west-3_20261125T1000Z_abc.json.gz", records_export(),
                      indent=None, gzipped=True)
    parsed = read_cloudtrail(path, LIMITS)
    assert len(parsed.events) == 6 and {e.line for e in parsed.events} == {1}


def test_lookup_events_output_is_read_through_its_embedded_records(tmp_path: Path) -> None:
    login = console_login("196.200.131.10")
    call = ct_record("AttachUserPolicy", "93.184.216.34")
    document = {"Events": [
        {"EventId": "1", "EventName": "ConsoleLogin", "ReadOnly": "false", "EventTime": "2026-11-25T10:00:01+00:00",
         "Username": "alice", "CloudTrailEvent": json.dumps(login)},
        {"EventId": "2", "EventName": "AttachUserPolicy", "ReadOnly": "false", "CloudTrailEvent": json.dumps(call)},
        {"EventId": "3", "EventName": "CreateUser", "CloudTrailEvent": "{not json"},
        {"EventId": "4", "EventName": "CreateUser"},
    ], "NextToken": "abc"}
    parsed = read_cloudtrail(write_json(tmp_path, "lookup.json", document), LIMITS)
    assert [(e.user, e.method, e.origin) for e in parsed.events] == [
        ("alice", "aws ConsoleLogin", ACCOUNT), ("alice", "aws api AttachUserPolicy", ACCOUNT)]
    assert parsed.skipped == 2


def test_the_events_file_of_discover_is_read(tmp_path: Path) -> None:
    when = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    events = [
        AccessEvent(time=when, account=ACCOUNT, region="eu-west-3", event_name="ConsoleLogin",
                    user="admin", source_ip="41.248.1.10", read_only=True),
        AccessEvent(time=when, account=ACCOUNT, region="eu-west-3", event_name="TerminateInstances",
                    user=f"arn:aws:sts::{ACCOUNT}:assumed-role/Ops/carol", source_ip="93.184.216.34",
                    read_only=False),
        AccessEvent(time=when, account=ACCOUNT, region="eu-west-3", event_name="DescribeThings",
                    user="admin", source_ip="93.184.216.34", read_only=True),
        AccessEvent(time=when, account=ACCOUNT, region="eu-west-3", event_name="CreateGrant",
                    user="admin", source_ip="kms.amazonaws.com", read_only=False),
    ]
    # exactly what `discover aws --events-output` writes
    path = tmp_path / "events.json"
    path.write_text(json.dumps([e.model_dump(mode="json") for e in events], indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    parsed = read_cloudtrail(path, LIMITS)
    assert [(e.user, e.source, e.method, e.origin, e.time) for e in parsed.events] == [
        ("admin", "41.248.1.10", UNSIGNED_LOGIN, ACCOUNT, when),
        ("Ops/carol", "93.184.216.34", "aws api TerminateInstances", ACCOUNT, when),
    ]
    assert parsed.skipped == 2


def test_hostile_names_are_capped_and_escaped(tmp_path: Path) -> None:
    record = ct_record("Create\x1b[31mEvil" + "X" * 5000, "196.200.1.1",
                       identity={"type": "IAMUser", "userName": "<b>\x07" + "u" * 10_000})
    parsed = read_cloudtrail(write_json(tmp_path, "trail.json", {"Records": [record]}), LIMITS)
    event = parsed.events[0]
    assert event.user.startswith("<b>\\x07") and event.user.endswith("…") and len(event.user) < 140
    assert event.method.startswith("aws api Create\\x1b[31mEvil") and "\x1b" not in event.method


@pytest.mark.parametrize(("content", "line", "message"), [
    ('{"Records": [\n  {"eventName": "x"},\n  {oops}\n]}', 3, "invalid JSON"),
    ('{"Records": [\n  {"eventName": "x"}\n', 3, "invalid JSON: expected ',' or ']'"),
    ('{"Records": []} trailing', 1, "extra data"),
    ('{"Trails": []}', 1, 'no "Records" or "Events" list'),
    ('"just a string"', 1, "not a CloudTrail JSON document"),
    ('{"Records": [' + "[" * 100_000 + "]" * 100_000 + "]}", 1, "nested too deeply"),
], ids=["bad-value", "truncated", "trailing-data", "no-list", "not-an-object", "deep-nesting"])
def test_malformed_documents_are_refused_with_the_line(tmp_path: Path, content: str, line: int,
                                                       message: str) -> None:
    path = tmp_path / "trail.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_cloudtrail(path, LIMITS)
    problem = caught.value.problems[0]
    assert message in problem.message and problem.line == line and problem.path == str(path)


def test_a_single_record_document_is_read(tmp_path: Path) -> None:
    parsed = read_cloudtrail(write_json(tmp_path, "one.json", ct_record("CreateUser", "196.200.1.1")), LIMITS)
    assert len(parsed.events) == 1


def test_json_over_the_size_limit_is_refused_even_when_compressed(tmp_path: Path) -> None:
    path = write_json(tmp_path, "trail.json.gz", {"Records": [ct_record("CreateUser", "196.200.1.1")] * 500},
                      gzipped=True)
    assert path.stat().st_size < 20_000
    with pytest.raises(InputError, match="over the limit of 20000 bytes"):
        read_cloudtrail(path, Limits(max_json_bytes=20_000))


def test_non_utf8_json_is_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "trail.json"
    path.write_bytes(b'{"Records": [\n{"eventName": "\xe9"}]}')
    with pytest.raises(InputError) as caught:
        read_cloudtrail(path, LIMITS)
    assert caught.value.problems[0].line == 2 and "UTF-8" in caught.value.problems[0].message
