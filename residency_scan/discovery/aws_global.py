"""The global AWS services, read once per account: S3 buckets (each at its real location), CloudFront, Route 53;
and the Resource Groups Tagging API sweep that gives regional resources their tags.

S3 lists every bucket of the account whatever `--regions` says: a bucket is located where it was created, which
only a per-bucket answer tells (`BucketRegion` of a paginated listing, else `GetBucketLocation`, where an empty
answer means us-east-1 and the legacy 'EU' means eu-west-1).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial

from residency_scan.discovery.aws_context import (
    DiscoveredResource,
    ServiceContext,
    described,
    pages,
    tag_map,
)
from residency_scan.discovery.aws_session import describe_error
from residency_scan.discovery.result import GLOBAL_REGION
from residency_scan.models import AssetKind

S3_CHUNK = 10  # buckets per follow-up task: two calls each (location, tags)


def s3_buckets(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    """Buckets are listed once per account; each bucket's real location is then read in chunks, in parallel."""
    # NOTE: S3 returns BucketRegion only to a paginated ListBuckets (a page size given), sparing GetBucketLocation.
    buckets = [(item["Name"], item.get("BucketRegion"))
               for item in pages(ctx.client, "list_buckets", "Buckets[]", PaginationConfig={"PageSize": 1000})]
    for start in range(0, len(buckets), S3_CHUNK):
        ctx.later(partial(_s3_chunk, buckets=buckets[start:start + S3_CHUNK]))
    return iter(())


def _s3_chunk(ctx: ServiceContext, buckets: list[tuple[str, str | None]]) -> Iterator[DiscoveredResource]:
    for name, region in buckets:
        yield _s3_bucket(ctx, name, region)


def _s3_bucket(ctx: ServiceContext, name: str, listed_region: str | None) -> DiscoveredResource:
    arn = f"arn:{ctx.partition}:s3:::{name}"
    region = listed_region
    if not region:
        try:
            region = bucket_region(ctx.client.get_bucket_location(Bucket=name).get("LocationConstraint"))
        except Exception as exc:  # one resource's failure is its own gap
            return DiscoveredResource("s3", AssetKind.DATA_STORE, None, name, arn, {}, f"S3 bucket {name}",
                                      unread=f"location: {ctx.gap(exc, name)}")
    tags: dict[str, str] = {}
    unread = None
    try:
        tags = tag_map(ctx.client_for("s3", region).get_bucket_tagging(Bucket=name).get("TagSet"))
    except Exception as exc:  # one resource's failure is its own gap
        if describe_error(exc)[0] != "NoSuchTagSet":  # a bucket without tags answers with this error
            unread = f"tags: {ctx.gap(exc, name)}"
    return DiscoveredResource("s3", AssetKind.DATA_STORE, region, name, arn, tags, f"S3 bucket {name}", unread=unread)


def bucket_region(constraint: str | None) -> str:
    """GetBucketLocation's answer as a region: empty means us-east-1, and the legacy 'EU' means eu-west-1."""
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


def cloudfront_distributions(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for item in pages(ctx.client, "list_distributions", "DistributionList.Items[]"):
        did, arn, domain = item["Id"], item.get("ARN"), item.get("DomainName")
        aliases = ", ".join((item.get("Aliases") or {}).get("Items") or [])
        tags: dict[str, str] = {}
        unread = None
        try:
            tags = tag_map((ctx.client.list_tags_for_resource(Resource=arn).get("Tags") or {}).get("Items"))
        except Exception as exc:  # one resource's failure is its own gap
            unread = f"tags: {ctx.gap(exc, did)}"
        yield DiscoveredResource(
            "cloudfront", AssetKind.NETWORK, GLOBAL_REGION, did, arn, tags,
            described(f"CloudFront distribution {did}", domain, aliases and f"aliases: {aliases}",
                      None if item.get("Enabled", True) else "disabled")
            + ": served from AWS edge locations worldwide, so its location is where it is served, not a region; "
              "a sensitive distribution is processed abroad (TLS terminated and content cached at the edges)",
            target=domain, unread=unread)


def route53_zones(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    zones = list(pages(ctx.client, "list_hosted_zones", "HostedZones[]"))
    tags: dict[str, dict[str, str]] = {}
    unread = None
    ids = [zone["Id"].rsplit("/", 1)[-1] for zone in zones]
    for start in range(0, len(ids), 10):
        try:
            answer = ctx.client.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=ids[start:start + 10])
            for entry in answer.get("ResourceTagSets") or ():
                tags[entry.get("ResourceId", "")] = tag_map(entry.get("Tags"))
        except Exception as exc:  # one resource's failure is its own gap
            unread = f"tags: {ctx.gap(exc)}"
    for zone, zid in zip(zones, ids, strict=True):
        domain = str(zone.get("Name") or "").rstrip(".")
        private = (zone.get("Config") or {}).get("PrivateZone")
        yield DiscoveredResource("route53", AssetKind.NETWORK, GLOBAL_REGION, f"{domain}/{zid}",
                                 f"arn:{ctx.partition}:route53:::hostedzone/{zid}", tags.get(zid, {}),
                                 described(f"Route 53 hosted zone {domain}", "private" if private else "public",
                                           "answered from AWS's global DNS network"), unread=unread)


def tag_sweep(ctx: ServiceContext, prefixes: Iterable[str]) -> dict[str, dict[str, str]]:
    """ARN → tags of every tagged resource of these types in the region (one paginated sweep)."""
    found: dict[str, dict[str, str]] = {}
    for item in pages(ctx.client, "get_resources", "ResourceTagMappingList[]",
                      ResourceTypeFilters=sorted(set(prefixes)), ResourcesPerPage=100):
        found[str(item.get("ResourceARN"))] = tag_map(item.get("Tags"))
    return found
