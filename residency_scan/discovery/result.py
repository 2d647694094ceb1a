"""What a cloud discovery hands back: the assets it found, and — as plainly — what it could not read.

These types import no cloud SDK, so the CLI and the inventory writer can use them whether or not the optional
`aws` extra is installed. A discovery is only as good as its coverage: every account, region or service that
could not be read is a `CoverageGap` in the result, never a silent omission, because an unread region may hold
exactly the resource that violates the decree.
"""

from __future__ import annotations

from pydantic import Field

from residency_scan.errors import ScanFailure, UsageError
from residency_scan.models import Asset, Frozen, UtcDateTime

GLOBAL_REGION = "global"
"""The region of a global service (CloudFront, Route 53): the cloud region table reports it as unlocatable."""
ALL_REGIONS = "*"
"""The region of a gap that concerns the whole account (role assumption refused, region list unreadable)."""


class CoverageGap(Frozen):
    """One thing discovery could not read. `resource` is set when only one resource was affected."""

    account: str
    region: str
    service: str
    error_code: str
    message: str
    resource: str | None = None

    def __str__(self) -> str:
        where = f"{self.account} {self.region} {self.service}"
        if self.resource:
            where += f" {self.resource}"
        return f"{where}: {self.error_code}: {self.message}"


class AccessEvent(Frozen):
    """A console sign-in or a mutating API call read from CloudTrail, for the access-origin check."""

    time: UtcDateTime
    account: str
    region: str
    event_name: str
    event_source: str | None = None
    user: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    read_only: bool | None = None
    event_id: str | None = None


class DiscoveryResult(Frozen):
    """The outcome of one discovery run, in a deterministic order (account, region, service, id).

    `api_calls` counts API operations per service (retries not included); `http_requests` counts every HTTP
    attempt, retries included, so the two together show how much throttling cost.
    """

    provider: str = "aws"
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    assets: tuple[Asset, ...]
    gaps: tuple[CoverageGap, ...] = ()
    access_events: tuple[AccessEvent, ...] = ()
    api_calls: dict[str, int] = Field(default_factory=dict)
    http_requests: dict[str, int] = Field(default_factory=dict)
    sensitivity_tags: tuple[str, ...] = ()  # the tag keys that set an asset's sensitivity in this run
    tasks: int = 0
    tasks_failed: int = 0
    started_at: UtcDateTime | None = None
    finished_at: UtcDateTime | None = None

    @property
    def complete(self) -> bool:
        """True when nothing was left unread."""
        return not self.gaps

    @property
    def nothing_read(self) -> bool:
        """True when every task failed: the result says nothing about the accounts (exit 3, not "no assets")."""
        return self.tasks == self.tasks_failed and not self.assets

    def gap_lines(self) -> list[str]:
        return [str(gap) for gap in self.gaps]

    def elapsed(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class AwsSupportMissing(UsageError):
    """boto3 is not installed: AWS discovery is an optional extra (exit 2, the command cannot run as installed)."""

    def __init__(self) -> None:
        super().__init__("AWS discovery needs boto3, which is not installed: "
                         "pip install 'residency-scan[aws]'")


class AwsCredentialsError(ScanFailure):
    """No usable credentials in the standard chain (profile, environment, SSO, instance role)."""


class DiscoveryFailed(ScanFailure):
    """Nothing at all could be read: every account, region and service failed (exit 3).

    Raised by the caller after it has shown the gaps, so the user sees why (`from_result`).
    """

    def __init__(self, message: str, gaps: tuple[CoverageGap, ...] = ()) -> None:
        super().__init__(message)
        self.gaps = gaps

    @classmethod
    def from_result(cls, result: DiscoveryResult) -> DiscoveryFailed:
        first = f": {result.gaps[0]}" if result.gaps else ""
        return cls(f"AWS discovery read nothing ({len(result.gaps)} coverage gaps{first})", result.gaps)


class NothingDiscovered(ScanFailure):
    """Discovery read the accounts and found no resource: an empty inventory would pass every check."""
