"""CloudTrail sign-ins and mutating calls, for the access-origin check.

moto does not implement LookupEvents: the answers below are injected with a `before-send` handler, in the JSON
shape CloudTrail sends (and botocore's real parser and paginator read them). Without injection, moto's real
answer (HTTP 500) must become a coverage gap.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from residency_scan.discovery.aws import AwsDiscoveryOptions, discover_aws
from residency_scan.discovery.aws_session import AwsSessions, SessionSettings
from tests.discovery.conftest import Recorder, json_answer, signed_scope
from tests.discovery.world import ACCOUNT_A, IRELAND, PARIS

LOGIN_TIME = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def event(event_id: str, name: str, when: datetime, ip: str, read_only: str = "false") -> dict[str, Any]:
    detail = {"eventID": event_id, "sourceIPAddress": ip, "userAgent": "Mozilla/5.0\x1b[2J",
              "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT_A}:user/admin"}}
    return {"EventId": event_id, "EventName": name, "ReadOnly": read_only, "EventTime": when.timestamp(),
            "EventSource": "signin.amazonaws.com" if name == "ConsoleLogin" else "ec2.amazonaws.com",
            "Username": "admin", "CloudTrailEvent": json.dumps(detail)}


def test_console_logins_and_admin_calls_are_returned_with_their_source_ip(aws: str) -> None:
    seen = Recorder()

    def cloudtrail(request: Any, **_: Any) -> Any:
        body = json.loads(request.body)
        region = signed_scope(request)[0]
        seen.add((region, json.dumps(body["LookupAttributes"])))
        if region != PARIS:
            return json_answer({"Events": []})
        if body["LookupAttributes"][0]["AttributeValue"] == "ConsoleLogin":
            if body.get("NextToken") != "page-2":
                return json_answer({"Events": [event("e1", "ConsoleLogin", LOGIN_TIME, "41.248.1.10", "true")],
                                    "NextToken": "page-2"})
            return json_answer({"Events": [event("e2", "ConsoleLogin", LOGIN_TIME.replace(hour=7), "102.50.1.1",
                                                 "true")]})
        return json_answer({"Events": [event("e3", "TerminateInstances", LOGIN_TIME.replace(hour=9), "3.5.1.1"),
                                       {"EventId": "no-name", "EventTime": LOGIN_TIME.timestamp()}]})

    sessions = AwsSessions(SessionSettings(max_attempts=2),
                           event_handlers=[("before-send.cloudtrail.LookupEvents", cloudtrail)])
    result = discover_aws(AwsDiscoveryOptions(regions=(PARIS, IRELAND), services=("dynamodb",)), sessions=sessions)
    assert result.gaps == ()
    assert [(e.event_id, e.event_name, e.source_ip, e.region, e.read_only) for e in result.access_events] == [
        ("e2", "ConsoleLogin", "102.50.1.1", PARIS, True),
        ("e1", "ConsoleLogin", "41.248.1.10", PARIS, True),
        ("e3", "TerminateInstances", "3.5.1.1", PARIS, False)]
    first = result.access_events[0]
    assert first.account == ACCOUNT_A and first.user == "admin" and first.event_source == "signin.amazonaws.com"
    assert first.user_agent == "Mozilla/5.0\\x1b[2J"  # escaped, never a raw terminal sequence
    assert len(seen.seen) == 5  # two queries per region, the sign-ins of Paris on two pages


def test_lookups_not_allowed_are_a_gap_per_region(aws: str) -> None:
    """Real: moto has no LookupEvents, and answers HTTP 500."""
    sessions = AwsSessions(SessionSettings(max_attempts=1))
    result = discover_aws(AwsDiscoveryOptions(regions=(PARIS,), services=("dynamodb",), max_attempts=1),
                          sessions=sessions)
    assert [(g.region, g.service, g.error_code) for g in result.gaps] == [(PARIS, "cloudtrail-events", "500")]
    assert result.access_events == ()
    assert [a.id.rsplit(":", 1)[1] for a in result.assets] == ["patients"]
