"""`residency-scan discover aws`: list an estate's AWS resources as an inventory that `scan` reads.

Kept beside cli.py (which registers `discover_app`) so the scan command's module stays readable. Discovery never
prints or stores credentials; every account, region or service it could not read is a gap, printed on stderr and
written at the top of the inventory, and a discovery with gaps exits 1 — a partial view never passes silently.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from residency_scan.cli_support import errors_to_exit_codes, stderr
from residency_scan.discovery import (
    DiscoveryFailed,
    DiscoveryResult,
    aws_options,
    default_entity,
    discover_aws,
    inventory_yaml,
    read_role_arns,
    write_inventory,
)
from residency_scan.errors import UsageError
from residency_scan.inventory import SENSITIVITY_TAGS
from residency_scan.models import Entity, EntityType
from residency_scan.reports.text import clean_terminal

discover_app = typer.Typer(help="List the resources of cloud accounts as an inventory that `scan` reads.",
                           no_args_is_help=True, rich_markup_mode=None)


def _split(values: list[str] | None) -> tuple[str, ...]:
    """`--regions a,b --regions c` → (a, b, c)."""
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())


def run_aws_discovery(profile: str | None, role_arn: list[str] | None, accounts_file: Path | None,
                      external_id: str | None, regions: list[str] | None, services: list[str] | None,
                      concurrency: int, max_attempts: int, sensitivity_tag: list[str] | None,
                      access_events: bool, events_days: int, print_gaps: bool = True) -> DiscoveryResult:
    """Shared by `discover aws` and `scan --aws`: discovery, gaps on stderr, exit 3 when nothing was read.

    `scan --aws` passes print_gaps=False: its inventory carries the gaps as notes, which scan prints.
    """
    roles = (*(role_arn or ()), *(read_role_arns(accounts_file) if accounts_file else ()))
    options = aws_options(profile=profile, role_arns=roles, external_id=external_id, regions=_split(regions),
                          services=_split(services), concurrency=concurrency, max_attempts=max_attempts,
                          sensitivity_tags=tuple(sensitivity_tag) if sensitivity_tag else SENSITIVITY_TAGS,
                          access_events=access_events, events_days=events_days)
    result = discover_aws(options)
    if print_gaps:
        for line in result.gap_lines():
            stderr.print(clean_terminal(f"gap: {line}"), soft_wrap=True)
    if result.nothing_read:
        raise DiscoveryFailed.from_result(result)
    return result


@discover_app.command("aws")
def discover_aws_command(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the inventory YAML to FILE "
                                                "('-' or none = stdout).", metavar="FILE")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile; default: the standard credential chain "
                                                     "(environment, SSO, instance or task role).")] = None,
    role_arn: Annotated[list[str] | None, typer.Option("--role-arn", help="Role to assume in an account to scan; "
                                                       "repeatable. Without it, the credentials' own account.",
                                                       metavar="ARN")] = None,
    accounts_file: Annotated[Path | None, typer.Option(help="File of role ARNs, one per line ('#' comments).",
                                                       metavar="FILE")] = None,
    external_id: Annotated[str | None, typer.Option(help="ExternalId the roles require.")] = None,
    regions: Annotated[list[str] | None, typer.Option("--regions", help="Regions to scan, comma-separated or "
                                                      "repeated. Default: every enabled region.")] = None,
    services: Annotated[list[str] | None, typer.Option("--services", help="Services to scan (ec2, ebs, rds, "
                                                       "dynamodb, lambda, eks, ecs, elasticache, opensearch, "
                                                       "secretsmanager, kms, cloudtrail, logs, backup, sso, s3, "
                                                       "cloudfront, route53). Default: all.")] = None,
    concurrency: Annotated[int, typer.Option(help="Parallel API calls.", min=1, max=64)] = 8,
    max_attempts: Annotated[int, typer.Option(help="Attempts per call (adaptive retries on throttling).",
                                              min=1, max=20)] = 8,
    sensitivity_tag: Annotated[list[str] | None, typer.Option(help="Tag key that carries a resource's "
                                                              "sensitivity; repeatable.", metavar="KEY")] = None,
    access_events: Annotated[bool, typer.Option("--access-events/--no-access-events", help="Read console "
                                                "sign-ins and mutating calls from CloudTrail.")] = True,
    events_days: Annotated[int, typer.Option(help="Days of CloudTrail events to read.", min=1, max=90)] = 7,
    events_output: Annotated[Path | None, typer.Option(help="Write the CloudTrail access events as JSON.",
                                                       metavar="FILE")] = None,
    entity_name: Annotated[str | None, typer.Option(help="Entity name written in the inventory.")] = None,
    entity_type: Annotated[EntityType, typer.Option(help="Entity type.")] = EntityType.EIV,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback for internal errors.")] = False,
) -> None:
    """Discover AWS resources (accounts × regions × services) and write them as an inventory.

    Exit 0: complete; 1: written, but some account, region or service could not be read (each gap on stderr and
    at the top of the file); 2: bad options; 3: nothing could be read, or no resource found.
    """
    with errors_to_exit_codes(debug):
        if events_output is not None and not access_events:
            raise UsageError("--events-output needs --access-events")
        result = run_aws_discovery(profile, role_arn, accounts_file, external_id, regions, services, concurrency,
                                   max_attempts, sensitivity_tag, access_events, events_days)
        entity = Entity(name=entity_name, type=entity_type) if entity_name else default_entity(result)
        if output is None or str(output) == "-":
            sys.stdout.write(inventory_yaml(result, entity))
        else:
            write_inventory(result, entity, output)
        if events_output is not None:
            events = [event.model_dump(mode="json") for event in result.access_events]
            events_output.write_text(json.dumps(events, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        calls = sum(result.api_calls.values())
        stderr.print(clean_terminal(
            f"{len(result.assets)} resources in {len(result.accounts)} accounts and {len(result.regions)} regions; "
            f"{len(result.gaps)} coverage gaps; {calls} API calls in {result.elapsed() or 0:.1f} s"), soft_wrap=True)
    raise typer.Exit(0 if result.complete else 1)
