"""Cloud discovery: list what an organisation runs in its cloud accounts, as inventory assets.

`discover_aws` needs boto3, an optional extra (`pip install 'residency-scan[aws]'`): it is imported only when
called, and its absence is an `AwsSupportMissing` error rather than an ImportError at start-up. The result types
and the inventory writer import no cloud SDK.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from residency_scan.discovery.result import (
    AccessEvent,
    AwsCredentialsError,
    AwsSupportMissing,
    CoverageGap,
    DiscoveryFailed,
    DiscoveryResult,
    NothingDiscovered,
)
from residency_scan.discovery.writer import default_entity, inventory_yaml, to_inventory, write_inventory

if TYPE_CHECKING:
    from pathlib import Path

    from residency_scan.discovery.aws import AwsDiscoveryOptions

__all__ = [
    "AccessEvent",
    "AwsCredentialsError",
    "AwsSupportMissing",
    "CoverageGap",
    "DiscoveryFailed",
    "DiscoveryResult",
    "NothingDiscovered",
    "aws_options",
    "default_entity",
    "discover_aws",
    "inventory_yaml",
    "read_role_arns",
    "to_inventory",
    "write_inventory",
]


def _aws() -> ModuleType:
    try:
        from residency_scan.discovery import aws
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] in ("boto3", "botocore"):
            raise AwsSupportMissing() from None
        raise
    return aws


def aws_options(**values: object) -> AwsDiscoveryOptions:
    """`AwsDiscoveryOptions(**values)`, or `AwsSupportMissing` when boto3 is not installed."""
    module = _aws()
    options: AwsDiscoveryOptions = module.AwsDiscoveryOptions(**values)
    return options


def discover_aws(options: AwsDiscoveryOptions) -> DiscoveryResult:
    """Run an AWS discovery (see `residency_scan.discovery.aws`); `AwsSupportMissing` without boto3."""
    module = _aws()
    result: DiscoveryResult = module.discover_aws(options)
    return result


def read_role_arns(path: Path) -> tuple[str, ...]:
    """The role ARNs of an accounts file (`--accounts-file`); `InputError` naming each wrong line."""
    module = _aws()
    roles: tuple[str, ...] = module.aws_session.read_role_arns(path)
    return roles
