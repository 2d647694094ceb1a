"""What every AWS service function works with: the record it yields, its context, and paging helpers.

`ServiceContext` carries a client factory for one account and region, and collects the gaps that concern a
single resource and the follow-up work a function hands back to the pool. Lists are always read through botocore
paginators (`pages`): a list cut at its first page would be a silent gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from residency_scan.discovery.aws_session import describe_error
from residency_scan.discovery.result import CoverageGap
from residency_scan.models import AssetKind

REGIONAL: Literal["regional"] = "regional"
GLOBAL: Literal["global"] = "global"


@dataclass(frozen=True)
class DiscoveredResource:
    """One resource as an AWS API described it, before it becomes an `Asset`."""

    service: str  # the registry name, written as cloud.service
    kind: AssetKind
    region: str | None  # where the resource is; GLOBAL_REGION for global services; None when unreadable
    name: str  # unique within (account, region, service); the readable part of the asset id
    arn: str | None
    tags: Mapping[str, str] | None = None  # None: taken from the tagging sweep of `region`
    description: str = ""
    target: str | None = None
    unread: str | None = None  # what could not be read about it (also recorded as a coverage gap)


Work = Callable[["ServiceContext"], Iterable[DiscoveredResource]]


@dataclass
class ServiceContext:
    """What a service function may use: clients of its account, and where to leave gaps and follow-up work."""

    account: str
    partition: str
    region: str  # the region whose endpoint this task calls (the partition's control region for global ones)
    service: str
    api: str
    client_for: Callable[[str, str], Any]  # (boto3 service name, region) -> client
    gaps: list[CoverageGap] = field(default_factory=list)
    followups: list[Work] = field(default_factory=list)

    @property
    def client(self) -> Any:
        return self.client_for(self.api, self.region)

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        return (f"arn:{self.partition}:{service}:{self.region if region is None else region}:"
                f"{self.account if account is None else account}:{resource}")

    def gap(self, exc: BaseException, resource: str | None = None) -> str:
        """Record a failure that concerns one resource (or one step) and go on; returns it in words."""
        code, message = describe_error(exc)
        self.gaps.append(CoverageGap(account=self.account, region=self.region, service=self.service,
                                     error_code=code, message=message, resource=resource))
        return f"{code}: {message}"

    def later(self, work: Work) -> None:
        """Hand work back to the pool (S3 buckets in chunks), so one big account does not run on one thread."""
        self.followups.append(work)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    api: str  # boto3 service name
    scope: Literal["regional", "global"]
    discover: Work
    tagging: str | None = None  # the tagging-API resource type prefix, when tags come from the sweep


def pages(client: Any, operation: str, expression: str, **kwargs: Any) -> Iterator[Any]:
    """Every item `expression` (JMESPath) selects in every page of a paginated operation."""
    for item in client.get_paginator(operation).paginate(**kwargs).search(expression):
        if item is not None:
            yield item


def tag_map(items: object, key: str = "Key", value: str = "Value") -> dict[str, str]:
    if not isinstance(items, list):
        return {}
    return {str(item[key]): str(item.get(value) or "") for item in items if isinstance(item, dict) and key in item}


def described(what: str, *details: object) -> str:
    """'EC2 instance i-1 (t3.micro, running)': the details that are known, in order."""
    known = [str(detail) for detail in details if detail not in (None, False, "", [])]
    return f"{what} ({', '.join(known)})" if known else what
