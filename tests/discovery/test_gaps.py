"""What could not be read is a coverage gap in the result — never a crash, never a silent omission."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest
from botocore.retries.standard import ExponentialBackoff  # type: ignore[import-untyped,unused-ignore]

from residency_scan.discovery import DiscoveryFailed
from residency_scan.discovery.aws import AwsDiscoveryOptions, discover_aws
from residency_scan.discovery.aws_session import AwsSessions, SessionSettings
from tests.discovery.conftest import Recorder, json_error, parsed_error, signed_scope, xml_error
from tests.discovery.world import ACCOUNT_A, ACCOUNT_B, IRELAND, PARIS, REGIONS, ROLE_B, VIRGINIA

FAST = {"access_events": False, "max_attempts": 3}


def run(sessions: AwsSessions | None = None, **options: Any) -> Any:
    return discover_aws(AwsDiscoveryOptions(**{**FAST, **options}), sessions=sessions)


def sessions_with(*handlers: tuple[str, Any], max_attempts: int = 3) -> AwsSessions:
    return AwsSessions(SessionSettings(max_attempts=max_attempts), event_handlers=handlers)


@pytest.fixture
def short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's retries and adaptive rate limiter stay real; only the exponential wait (up to seconds) shrinks."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.01)


def test_throttling_past_the_retries_is_a_gap_after_every_attempt(aws: str, short_backoff: None) -> None:
    """Injected: DynamoDB in Paris always answers ThrottlingException; botocore's adaptive mode retries it."""
    attempts = Recorder()

    def throttle(request: Any, **_: Any) -> Any:
        if signed_scope(request) == (PARIS, "dynamodb"):
            attempts.add(signed_scope(request))
            return json_error(400, "ThrottlingException", "Rate exceeded")
        return None

    result = run(sessions_with(("before-send.dynamodb.ListTables", throttle)), regions=(PARIS, IRELAND),
                 services=("dynamodb",))
    assert len(attempts.seen) == 3  # max_attempts: the first try and two retries
    assert [(g.account, g.region, g.service, g.error_code) for g in result.gaps] == [
        (ACCOUNT_A, PARIS, "dynamodb", "ThrottlingException")]
    assert "after 2 retries" in result.gaps[0].message
    assert [a.id.rsplit(":", 1)[1] for a in result.assets] == ["archives-publiques", "journal-acces"]  # Ireland
    assert result.http_requests["dynamodb"] == result.api_calls["dynamodb"] + 2
    assert not result.complete and not result.nothing_read


def test_throttling_that_stops_is_retried_and_leaves_no_gap(aws: str, short_backoff: None) -> None:
    attempts = Recorder()

    def throttle_twice(request: Any, **_: Any) -> Any:
        if signed_scope(request) == (PARIS, "dynamodb") and attempts.add(signed_scope(request)) <= 2:
            return json_error(400, "ThrottlingException", "Rate exceeded")
        return None

    result = run(sessions_with(("before-send.dynamodb.ListTables", throttle_twice)), regions=(PARIS,),
                 services=("dynamodb",))
    assert len(attempts.seen) == 3
    assert result.gaps == ()
    assert [a.id.rsplit(":", 1)[1] for a in result.assets] == ["patients"]


def test_a_region_that_is_not_enabled_is_a_gap(aws: str) -> None:
    """Real: moto lists il-central-1 as 'not-opted-in'."""
    result = run(regions=(PARIS, "il-central-1"), services=("dynamodb",))
    assert [(g.region, g.service, g.error_code) for g in result.gaps] == [
        ("il-central-1", "regions", "RegionNotEnabled")]
    assert "not-opted-in" in result.gaps[0].message
    assert result.regions == (PARIS,)
    assert [a.id.rsplit(":", 1)[1] for a in result.assets] == ["patients"]


def test_a_region_refusing_every_call_gives_one_gap_per_service(aws: str) -> None:
    """Injected: every call signed for eu-west-1 fails as in a region disabled after the region list was read."""
    def refuse_ireland(context: Any = None, **_: Any) -> Any:
        if (context or {}).get("client_region") == IRELAND:
            return parsed_error(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
        return None

    services = ("dynamodb", "logs", "ec2", "lambda")
    result = run(sessions_with(("before-call", refuse_ireland)), regions=(PARIS, IRELAND), services=services)
    denied = {(g.region, g.service) for g in result.gaps if g.error_code == "AuthFailure"}
    assert denied == {(IRELAND, service) for service in (*services, "tagging")}
    assert {a.cloud.region for a in result.assets if a.cloud} == {PARIS}


def test_an_unreachable_endpoint_reads_nothing_and_says_so(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real: a port on which nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    result = run(max_attempts=2)
    assert result.nothing_read and result.assets == ()
    assert [(g.region, g.service, g.error_code) for g in result.gaps] == [("*", "sts", "EndpointConnectionError")]
    assert "EndpointConnectionError" in str(DiscoveryFailed.from_result(result))


def test_a_role_that_cannot_be_assumed_is_a_gap_and_the_other_accounts_are_read(aws: str) -> None:
    """Injected: STS refuses AssumeRole for one role only."""
    refused = f"arn:aws:iam::{ACCOUNT_A}:role/not-trusted"

    def deny_role(params: Any = None, **_: Any) -> Any:
        if refused in str(params):  # the serialised request: its body holds RoleArn
            return parsed_error(403, "AccessDenied", f"not authorized to perform sts:AssumeRole on {refused}")
        return None

    result = run(sessions_with(("before-call.sts.AssumeRole", deny_role)), role_arns=(refused, ROLE_B),
                 regions=(PARIS,), services=("dynamodb",))
    assert result.accounts == (ACCOUNT_B,)
    assert [(g.account, g.region, g.service, g.error_code) for g in result.gaps] == [
        (ACCOUNT_A, "*", "sts", "AccessDenied")]
    assert [a.id for a in result.assets] == [f"aws:{ACCOUNT_B}:{PARIS}:dynamodb:b-registre"]


def test_a_bucket_whose_location_is_denied_is_kept_with_an_unknown_region(aws: str) -> None:
    def deny_location(request: Any, **_: Any) -> Any:
        if "/a-donnees-paris?location" in request.url:
            return xml_error(403, "AccessDenied", "Access Denied")
        return None

    result = run(sessions_with(("before-send.s3.GetBucketLocation", deny_location)), regions=(PARIS,),
                 services=("s3",))
    bucket = next(a for a in result.assets if a.id.endswith(":s3:a-donnees-paris"))
    assert bucket.cloud is not None and bucket.cloud.region is None
    assert bucket.id == f"aws:{ACCOUNT_A}:unknown:s3:a-donnees-paris"
    assert "not read: location: AccessDenied" in (bucket.description or "")
    assert [(g.service, g.resource, g.error_code) for g in result.gaps] == [("s3", "a-donnees-paris", "AccessDenied")]
    assert {a.id.rsplit(":", 1)[1] for a in result.assets} == {"a-virginia", "a-legacy-eu", "a-donnees-paris",
                                                               "a-trail-logs"}  # the others of its chunk too


def test_a_denied_tagging_api_leaves_sensitivity_to_the_default_and_says_so(aws: str) -> None:
    def deny_tags(context: Any = None, **_: Any) -> Any:
        return parsed_error(403, "AccessDeniedException", "not authorized to perform tag:GetResources")

    result = run(sessions_with(("before-call.resource-groups-tagging-api", deny_tags)), regions=(IRELAND,),
                 services=("dynamodb",))
    table = next(a for a in result.assets if a.id.endswith(":archives-publiques"))
    assert table.sensitivity.value == "sensitive" and table.tags == {}  # tagged public, but unread: fail closed
    assert "tagging API failed" in (table.description or "")
    assert [(g.region, g.service) for g in result.gaps] == [(IRELAND, "tagging")]


def test_concurrency_is_bounded(aws: str) -> None:
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def enter(**_: Any) -> None:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.01)

    def leave(**_: Any) -> None:
        with lock:
            state["now"] -= 1

    result = run(sessions_with(("before-call", enter), ("after-call", leave), ("after-call-error", leave)),
                 regions=REGIONS, concurrency=3)
    assert result.gaps == ()
    assert 1 < state["peak"] <= 3


def set_moto_auth(endpoint: str, free_requests: bytes) -> None:
    """How many requests moto serves before it enforces IAM policies (process-wide)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=free_requests, method="POST",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request, timeout=5) as answer:  # loopback only: the moto server
        assert answer.status == 200


def test_access_denied_by_an_iam_policy_is_a_gap(aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real: moto's IAM policy enforcement, for a user denied DynamoDB and Logs (switched off afterwards)."""
    try:
        iam = boto3.client("iam", region_name=VIRGINIA)
        iam.create_user(UserName="auditeur")
        iam.put_user_policy(UserName="auditeur", PolicyName="lecture", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": ["dynamodb:ListTables", "logs:DescribeLogGroups"], "Resource": "*"}]}))
        key = iam.create_access_key(UserName="auditeur")["AccessKey"]
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        set_moto_auth(aws, b"0")  # enforce IAM policies from now on
        result = run(regions=(PARIS,), services=("dynamodb", "logs", "secretsmanager"))
    finally:  # moto keeps this setting process-wide: give the other tests their open access back
        set_moto_auth(aws, b"inf")
    # moto answers these JSON services with an XML <Code>AccessDenied</Code> (AWS: AccessDeniedException)
    assert {(g.service, g.error_code) for g in result.gaps} == {("dynamodb", "AccessDenied"), ("logs", "AccessDenied")}
    assert "auditeur is not authorized to perform: dynamodb:ListTables" in result.gaps[0].message
    assert [a.id.rsplit(":", 1)[1] for a in result.assets] == ["db-password"]
