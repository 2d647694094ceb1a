"""Who administers the accounts, and from where: console sign-ins and mutating API calls from CloudTrail.

`LookupEvents` reads the last 90 days of management events of one region; it is throttled hard by AWS (two
requests per second per account and region), so each query is bounded by a time window and a count. Two queries
per region: `EventName=ConsoleLogin` (sign-ins), and `ReadOnly=false` (calls that change something — the
administration the decree wants performed from Morocco). The source IP of each event is what the access-origin
check will locate. A region where lookups are not allowed is a coverage gap like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from residency_scan.discovery.aws_context import ServiceContext
from residency_scan.discovery.result import AccessEvent
from residency_scan.inventory.suggest import printable

EVENTS = "cloudtrail-events"
MAX_EVENT_JSON = 256 * 1024
QUERIES: tuple[tuple[str, str], ...] = (("EventName", "ConsoleLogin"), ("ReadOnly", "false"))


def access_events(ctx: ServiceContext, since: datetime, until: datetime, limit: int) -> list[AccessEvent]:
    """Up to `limit` events per query in the region, newest first as CloudTrail returns them."""
    found: list[AccessEvent] = []
    for key, value in QUERIES:
        paginator = ctx.client.get_paginator("lookup_events")
        pages = paginator.paginate(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}],
                                   StartTime=since, EndTime=until, PaginationConfig={"MaxItems": limit})
        for event in pages.search("Events[]"):
            if isinstance(event, dict):
                found.extend(_event(ctx, event))
    return found


def _event(ctx: ServiceContext, event: dict[str, Any]) -> Iterator[AccessEvent]:
    when = event.get("EventTime")
    name = event.get("EventName")
    if not isinstance(when, datetime) or not isinstance(name, str):
        return
    detail = _detail(event.get("CloudTrailEvent"))
    identity = detail.get("userIdentity")
    if not isinstance(identity, dict):
        identity = {}
    read_only = event.get("ReadOnly")
    yield AccessEvent(
        time=when, account=ctx.account, region=ctx.region, event_name=printable(name, 128),
        event_source=_text(event.get("EventSource")),
        user=_text(event.get("Username") or identity.get("arn")),
        source_ip=_text(detail.get("sourceIPAddress")),
        user_agent=_text(detail.get("userAgent"), 256),
        read_only=None if read_only is None else str(read_only).lower() == "true",
        event_id=_text(event.get("EventId")))


def _detail(raw: object) -> dict[str, Any]:
    if not isinstance(raw, str) or len(raw) > MAX_EVENT_JSON:
        return {}
    try:
        parsed = json.loads(raw)
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _text(value: object, limit: int = 128) -> str | None:
    return printable(value, limit) if isinstance(value, str) and value else None


def window(now: datetime, days: int) -> tuple[datetime, datetime]:
    return now - timedelta(days=days), now
