"""AWS discovery: accounts × regions × services, on a bounded thread pool, with every failure kept as a gap.

1. Each account is identified (`sts:GetCallerIdentity`, after assuming its role when one is given) and its
   enabled regions listed (`ec2:DescribeRegions`, opt-in status read, regions of other partitions dropped).
   A requested region that is not enabled is a gap, not a silent omission.
2. One task per (account, region, regional service), one per (account, global service), one tagging sweep per
   (account, region) when a service needs it, and optionally one CloudTrail lookup per (account, region), all on
   a `ThreadPoolExecutor` of `concurrency` workers. Tasks may hand back follow-up work (S3 buckets in chunks).
3. Results are merged whatever the completion order and sorted by (account, region, service, id).

A task never raises: whatever stops it (AccessDenied, throttling past botocore's adaptive retries, an endpoint
that does not answer, an unexpected answer) becomes a `CoverageGap`, and what it had read before is kept.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from residency_scan.discovery import aws_events
from residency_scan.discovery.assets import build_asset
from residency_scan.discovery.aws_context import GLOBAL, DiscoveredResource, ServiceContext, ServiceSpec, Work
from residency_scan.discovery.aws_global import tag_sweep
from residency_scan.discovery.aws_services import SERVICE_NAMES, SERVICES, TAGGING, TAGGING_API
from residency_scan.discovery.aws_session import (
    CONTROL_REGION,
    AwsAccess,
    AwsSessions,
    SessionSettings,
    check_role_arn,
    describe_error,
    partition_of,
)
from residency_scan.discovery.result import ALL_REGIONS, AccessEvent, CoverageGap, DiscoveryResult
from residency_scan.errors import UsageError
from residency_scan.inventory.records import SENSITIVITY_TAGS
from residency_scan.inventory.suggest import did_you_mean, one_of, shown
from residency_scan.models import Asset, SourceRef

REGION_NAME = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
ENABLED = ("opt-in-not-required", "opted-in")
MAX_CONCURRENCY = 64
SOURCE = SourceRef(path="aws-discovery")
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class AwsDiscoveryOptions:
    """What to discover. Empty `regions` means every enabled region; empty `services` every service."""

    profile: str | None = None
    role_arns: tuple[str, ...] = ()
    external_id: str | None = None
    regions: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    concurrency: int = 8
    max_attempts: int = 8
    sensitivity_tags: tuple[str, ...] = SENSITIVITY_TAGS
    access_events: bool = True
    events_days: int = 7
    max_events: int = 200

    def checked(self) -> AwsDiscoveryOptions:
        """The options, or `UsageError` naming the first wrong one (before any call is made)."""
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise UsageError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}, not {self.concurrency}")
        if not 1 <= self.max_attempts <= 20:
            raise UsageError(f"--max-attempts must be between 1 and 20, not {self.max_attempts}")
        if not 1 <= self.events_days <= 90:
            raise UsageError("--events-days must be between 1 and 90 (CloudTrail keeps 90 days of events)")
        if not 1 <= self.max_events <= 10_000:
            raise UsageError(f"--max-events must be between 1 and 10000, not {self.max_events}")
        for region in self.regions:
            if not REGION_NAME.fullmatch(region):
                raise UsageError(f"--regions: {shown(region)} is not an AWS region name (e.g. eu-west-3)")
        for service in self.services:
            if service not in SERVICE_NAMES:
                raise UsageError(f"--services: unknown service {shown(service)} "
                                 f"({did_you_mean(service, SERVICE_NAMES) or one_of(SERVICE_NAMES)})")
        for arn in self.role_arns:
            check_role_arn(arn)
        if not self.sensitivity_tags:
            raise UsageError("at least one sensitivity tag key is needed")
        return self


@dataclass(frozen=True)
class Account:
    access: AwsAccess
    id: str
    partition: str
    regions: tuple[str, ...]


@dataclass
class Outcome:
    """What one task brought back."""

    resources: list[tuple[Account, DiscoveredResource]] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)
    events: list[AccessEvent] = field(default_factory=list)
    followups: list[Callable[[], Outcome]] = field(default_factory=list)
    failed: bool = False


def discover_aws(options: AwsDiscoveryOptions, *, sessions: AwsSessions | None = None,
                 clock: Clock | None = None) -> DiscoveryResult:
    """Discover the resources of every account the options name. Raises only for bad options (`UsageError`)
    and missing base credentials (`AwsCredentialsError`); everything else is a gap in the result."""
    options = options.checked()
    now = clock or (lambda: datetime.now(UTC))
    started = now()
    sessions = sessions or AwsSessions(SessionSettings(profile=options.profile, max_attempts=options.max_attempts,
                                                       max_pool_connections=max(10, options.concurrency)))
    sessions.credentials(AwsAccess())  # no credentials at all is a failure of the whole run, said once
    run = _Run(options, sessions, now)
    accesses = [AwsAccess(arn, options.external_id) for arn in dict.fromkeys(options.role_arns)] or [AwsAccess()]
    with ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="aws-discovery") as pool:
        accounts = [account for account in pool.map(run.identify, accesses) if account is not None]
        run.identify_tasks, run.identify_failed = len(accesses), len(accesses) - len(accounts)
        run.execute(pool, [task for account in accounts for task in run.tasks(account)])
    return run.result(accounts, started, now())


class _Run:
    def __init__(self, options: AwsDiscoveryOptions, sessions: AwsSessions, now: Clock) -> None:
        self.options = options
        self.sessions = sessions
        self.now = now
        self.specs = [spec for spec in SERVICES if not options.services or spec.name in options.services]
        self.outcomes: list[Outcome] = []
        self.tags: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
        self.tag_failures: dict[tuple[str, str], str] = {}
        self.identify_gaps: list[CoverageGap] = []
        self.identify_tasks = 0
        self.identify_failed = 0
        self._lock = threading.Lock()

    # ----------------------------------------------------------------------------------------- accounts

    def identify(self, access: AwsAccess) -> Account | None:
        """The account behind an access and its regions to scan; None (and a gap) when it cannot be reached."""
        label = access.account_hint or "default-credentials"
        control = CONTROL_REGION.get(access.partition or "aws", "us-east-1")
        try:
            identity = self.sessions.client(access, "sts", control).get_caller_identity()
            account_id, partition = str(identity["Account"]), str(identity["Arn"]).split(":")[1]
        except Exception as exc:  # an unreachable account is a gap, never a crash
            self.add_gap(_gap(exc, label, ALL_REGIONS, "sts"))
            return None
        return Account(access, account_id, partition, self._regions(access, account_id, partition))

    def _regions(self, access: AwsAccess, account: str, partition: str) -> tuple[str, ...]:
        requested = tuple(dict.fromkeys(self.options.regions))
        try:
            ec2 = self.sessions.client(access, "ec2", CONTROL_REGION.get(partition, "us-east-1"))
            listed = ec2.describe_regions(AllRegions=True)["Regions"]
        except Exception as exc:
            self.add_gap(_gap(exc, account, ALL_REGIONS, "regions"))
            return requested  # the requested ones are still tried; without any, regional coverage is the gap
        status = {str(item["RegionName"]): str(item.get("OptInStatus") or "opt-in-not-required") for item in listed}
        enabled = sorted(name for name, state in status.items()
                         if state in ENABLED and partition_of(name) == partition)
        if not requested:
            return tuple(enabled)
        for region in requested:
            if region not in enabled:
                state = status.get(region)
                code = "RegionNotEnabled" if state else "UnknownRegion"
                why = (f"opt-in status {state}: enable the region in the account to scan it" if state
                       else f"not among the account's {len(status)} regions")
                self.add_gap(CoverageGap(account=account, region=region, service="regions", error_code=code,
                                         message=why))
        return tuple(region for region in requested if region in enabled)

    def add_gap(self, gap: CoverageGap) -> None:
        with self._lock:
            self.identify_gaps.append(gap)

    # ----------------------------------------------------------------------------------------- tasks

    def tasks(self, account: Account) -> list[Callable[[], Outcome]]:
        control = CONTROL_REGION.get(account.partition, "us-east-1")
        found: list[Callable[[], Outcome]] = []
        for spec in sorted(self.specs, key=lambda spec: spec.scope != GLOBAL):  # global first: S3 fans out
            regions = (control,) if spec.scope == GLOBAL else account.regions
            found += [partial(self.service_task, account, region, spec, None) for region in regions]
        prefixes = [spec.tagging for spec in self.specs if spec.tagging]
        if prefixes:
            found += [partial(self.tagging_task, account, region, prefixes) for region in account.regions]
        if self.options.access_events:
            found += [partial(self.events_task, account, region) for region in account.regions]
        return found

    def context(self, account: Account, region: str, service: str, api: str) -> ServiceContext:
        return ServiceContext(account.id, account.partition, region, service, api,
                              partial(self.sessions.client, account.access))

    def service_task(self, account: Account, region: str, spec: ServiceSpec, work: Work | None) -> Outcome:
        ctx = self.context(account, region, spec.name, spec.api)
        outcome = Outcome()
        try:
            for resource in (work or spec.discover)(ctx):
                outcome.resources.append((account, resource))
        except Exception as exc:  # what was read before the failure is kept
            ctx.gap(exc)
            outcome.failed = True
        outcome.gaps = ctx.gaps
        outcome.followups = [partial(self.service_task, account, region, spec, more) for more in ctx.followups]
        return outcome

    def tagging_task(self, account: Account, region: str, prefixes: Sequence[str]) -> Outcome:
        ctx = self.context(account, region, TAGGING, TAGGING_API)
        try:
            found = tag_sweep(ctx, prefixes)
        except Exception as exc:
            with self._lock:
                self.tag_failures[(account.id, region)] = ctx.gap(exc)
            return Outcome(gaps=ctx.gaps, failed=True)
        with self._lock:
            self.tags[(account.id, region)] = found
        return Outcome()

    def events_task(self, account: Account, region: str) -> Outcome:
        ctx = self.context(account, region, aws_events.EVENTS, "cloudtrail")
        since, until = aws_events.window(self.now(), self.options.events_days)
        try:
            return Outcome(events=aws_events.access_events(ctx, since, until, self.options.max_events))
        except Exception as exc:
            ctx.gap(exc)
            return Outcome(gaps=ctx.gaps, failed=True)

    def execute(self, pool: ThreadPoolExecutor, tasks: list[Callable[[], Outcome]]) -> None:
        """Run every task and the follow-ups they hand back; completion order does not matter.

        At most `concurrency` tasks are handed to the pool at once, and follow-ups go to the front of the queue:
        the S3 bucket chunks of an account are the longest chain, and must not wait behind every region.
        """
        queue = deque(tasks)
        pending: set[Future[Outcome]] = set()
        while queue or pending:
            while queue and len(pending) < self.options.concurrency:
                pending.add(pool.submit(queue.popleft()))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = future.result()
                self.outcomes.append(outcome)
                queue.extendleft(reversed(outcome.followups))

    # ----------------------------------------------------------------------------------------- result

    def result(self, accounts: list[Account], started: datetime, finished: datetime) -> DiscoveryResult:
        assets: dict[str, Asset] = {}
        for outcome in self.outcomes:
            for account, resource in outcome.resources:
                asset = self.asset(account, resource)
                assets.setdefault(asset.id, asset)
        ordered = sorted(assets.values(), key=_asset_order)
        gaps = sorted({*self.identify_gaps, *(gap for outcome in self.outcomes for gap in outcome.gaps)},
                      key=lambda gap: (gap.account, gap.region, gap.service, gap.resource or "", gap.error_code,
                                       gap.message))
        events = sorted({(event.account, event.event_id or "", event.time, event.region): event
                         for outcome in self.outcomes for event in outcome.events}.values(),
                        key=lambda event: (event.account, event.time, event.region, event.event_id or ""))
        counter = self.sessions.counter
        return DiscoveryResult(
            accounts=tuple(sorted({account.id for account in accounts})),
            regions=tuple(sorted({region for account in accounts for region in account.regions})),
            assets=tuple(ordered), gaps=tuple(gaps), access_events=tuple(events),
            api_calls=dict(sorted(counter.calls.items())), http_requests=dict(sorted(counter.requests.items())),
            tasks=len(self.outcomes) + self.identify_tasks,
            tasks_failed=sum(outcome.failed for outcome in self.outcomes) + self.identify_failed,
            sensitivity_tags=self.options.sensitivity_tags, started_at=started, finished_at=finished)

    def asset(self, account: Account, resource: DiscoveredResource) -> Asset:
        tags = resource.tags
        unread = resource.unread
        if tags is None:
            key = (account.id, resource.region or "")
            tags = self.tags.get(key, {}).get(resource.arn or "", {})
            if key in self.tag_failures:
                unread = f"tags: the tagging API failed ({self.tag_failures[key]})"
        return build_asset(provider="aws", account=account.id, region=resource.region, service=resource.service,
                           name=resource.name, kind=resource.kind, resource=resource.arn, tags=tags,
                           description=resource.description, target=resource.target, unread=unread,
                           sensitivity_tags=self.options.sensitivity_tags, source=SOURCE)


def _gap(exc: BaseException, account: str, region: str, service: str) -> CoverageGap:
    code, message = describe_error(exc)
    return CoverageGap(account=account, region=region, service=service, error_code=code, message=message)


def _asset_order(asset: Asset) -> tuple[str, str, str, str]:
    cloud = asset.cloud
    assert cloud is not None
    return (cloud.account or "", cloud.region or "", cloud.service or "", asset.id)
