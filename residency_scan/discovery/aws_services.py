"""One small function per regional AWS service, turning API pages into `DiscoveredResource`s, and the registry
of every service discovery reads (regional here, global ones in `aws_global`).

Each function gets a `ServiceContext` (a client for one account and region, and where to record a failure that
concerns a single resource) and yields what it found. Where a listing carries no tags (DynamoDB, Lambda,
ElastiCache, KMS, CloudWatch Logs, Backup) the tags come from one Resource Groups Tagging API sweep per region
(`aws_global.tag_sweep`) instead of one call per resource; `DiscoveredResource.tags` is then None until merged.

A resource whose details could not be read is still yielded, with what is known and `unread` saying what is
missing: an asset with an unknown region is reported as unknown, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterator

from residency_scan.discovery.aws_context import (
    GLOBAL,
    REGIONAL,
    DiscoveredResource,
    ServiceContext,
    ServiceSpec,
    described,
    pages,
    tag_map,
)
from residency_scan.discovery.aws_global import cloudfront_distributions, route53_zones, s3_buckets
from residency_scan.discovery.result import CoverageGap
from residency_scan.models import AssetKind

TAGGING = "tagging"
TAGGING_API = "resourcegroupstaggingapi"
_SERVER, _DATA = AssetKind.SERVER, AssetKind.DATA_STORE
_MANAGEMENT, _BACKUP, _ADMIN = AssetKind.MANAGEMENT_TOOL, AssetKind.BACKUP, AssetKind.ADMIN_INTERFACE


def ec2_instances(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for item in pages(ctx.client, "describe_instances", "Reservations[].Instances[]"):
        state = (item.get("State") or {}).get("Name")
        if state == "terminated":  # gone within the hour; nothing left to locate
            continue
        iid = item["InstanceId"]
        yield DiscoveredResource("ec2", _SERVER, ctx.region, iid, ctx.arn("ec2", f"instance/{iid}"),
                                 tag_map(item.get("Tags")), described(f"EC2 instance {iid}", item.get("InstanceType"),
                                                                      state))


def ebs_snapshots(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    # NOTE: the owner filter is given twice (OwnerIds and a filter) and checked again: a snapshot shared with
    # the account is someone else's data, located by its owner's inventory.
    for item in pages(ctx.client, "describe_snapshots", "Snapshots[]", OwnerIds=["self"],
                      Filters=[{"Name": "owner-id", "Values": [ctx.account]}]):
        if item.get("OwnerId", ctx.account) != ctx.account:
            continue
        sid = item["SnapshotId"]
        size = item.get("VolumeSize")
        yield DiscoveredResource("ebs", _DATA, ctx.region, sid, ctx.arn("ec2", f"snapshot/{sid}", account=""),
                                 tag_map(item.get("Tags")),
                                 described(f"EBS snapshot {sid}", f"of {item.get('VolumeId')}",
                                           size and f"{size} GiB", item.get("State")))


def rds_databases(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for item in pages(ctx.client, "describe_db_clusters", "DBClusters[]"):
        name = item["DBClusterIdentifier"]
        yield DiscoveredResource("rds", _DATA, ctx.region, f"cluster/{name}", item.get("DBClusterArn"),
                                 tag_map(item.get("TagList")),
                                 described(f"RDS cluster {name}", item.get("Engine"),
                                           f"{len(item.get('DBClusterMembers') or [])} instances"))
    for item in pages(ctx.client, "describe_db_instances", "DBInstances[]"):
        if item.get("DBClusterIdentifier"):  # a member of a cluster listed above, in the same region
            continue
        name = item["DBInstanceIdentifier"]
        yield DiscoveredResource("rds", _DATA, ctx.region, f"db/{name}", item.get("DBInstanceArn"),
                                 tag_map(item.get("TagList")),
                                 described(f"RDS instance {name}", item.get("Engine"), item.get("DBInstanceClass")))


def dynamodb_tables(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for name in pages(ctx.client, "list_tables", "TableNames[]"):
        yield DiscoveredResource("dynamodb", _DATA, ctx.region, name, ctx.arn("dynamodb", f"table/{name}"),
                                 None, f"DynamoDB table {name}")


def lambda_functions(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for item in pages(ctx.client, "list_functions", "Functions[]"):
        name = item["FunctionName"]
        yield DiscoveredResource("lambda", _SERVER, ctx.region, name, item.get("FunctionArn"), None,
                                 described(f"Lambda function {name}", item.get("Runtime")))


def eks_clusters(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for name in pages(ctx.client, "list_clusters", "clusters[]"):
        try:
            cluster = ctx.client.describe_cluster(name=name)["cluster"]
        except Exception as exc:  # one resource's failure is its own gap
            yield DiscoveredResource("eks", _SERVER, ctx.region, name, ctx.arn("eks", f"cluster/{name}"), {},
                                     f"EKS cluster {name}", unread=f"tags: {ctx.gap(exc, name)}")
            continue
        yield DiscoveredResource("eks", _SERVER, ctx.region, name, cluster.get("arn"),
                                 {str(k): str(v) for k, v in (cluster.get("tags") or {}).items()},
                                 described(f"EKS cluster {name}", cluster.get("version") and
                                           f"Kubernetes {cluster.get('version')}"))


def ecs_services(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for cluster in pages(ctx.client, "list_clusters", "clusterArns[]"):
        arns = list(pages(ctx.client, "list_services", "serviceArns[]", cluster=cluster))
        for start in range(0, len(arns), 10):
            answer = ctx.client.describe_services(cluster=cluster, services=arns[start:start + 10],
                                                  include=["TAGS"])
            for failure in answer.get("failures") or ():
                ctx.gaps.append(CoverageGap(account=ctx.account, region=ctx.region, service=ctx.service,
                                            error_code="DescribeServicesFailure",
                                            message=str(failure.get("reason") or "unknown")[:300],
                                            resource=str(failure.get("arn") or "")[:300] or None))
            for item in answer.get("services") or ():
                name = f"{cluster.rsplit('/', 1)[-1]}/{item['serviceName']}"
                yield DiscoveredResource("ecs", _SERVER, ctx.region, name, item.get("serviceArn"),
                                         tag_map(item.get("tags"), "key", "value"),
                                         described(f"ECS service {name}", item.get("launchType")))


def elasticache_clusters(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for item in pages(ctx.client, "describe_replication_groups", "ReplicationGroups[]"):
        name = item["ReplicationGroupId"]
        yield DiscoveredResource("elasticache", _DATA, ctx.region, f"replication-group/{name}", item.get("ARN"),
                                 None, described(f"ElastiCache replication group {name}", item.get("Engine")))
    for item in pages(ctx.client, "describe_cache_clusters", "CacheClusters[]"):
        if item.get("ReplicationGroupId"):  # a node of a replication group listed above
            continue
        name = item["CacheClusterId"]
        yield DiscoveredResource("elasticache", _DATA, ctx.region, f"cluster/{name}", item.get("ARN"), None,
                                 described(f"ElastiCache cluster {name}", item.get("Engine")))


def opensearch_domains(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    # NOTE: ListDomainNames has no paginator: it returns every domain of the region in one answer.
    names = [item["DomainName"] for item in ctx.client.list_domain_names().get("DomainNames") or ()]
    for start in range(0, len(names), 5):
        for item in ctx.client.describe_domains(DomainNames=names[start:start + 5]).get("DomainStatusList") or ():
            name, arn = item["DomainName"], item.get("ARN")
            tags: dict[str, str] = {}
            unread = None
            try:
                tags = tag_map(ctx.client.list_tags(ARN=arn).get("TagList"))
            except Exception as exc:  # one resource's failure is its own gap
                unread = f"tags: {ctx.gap(exc, name)}"
            yield DiscoveredResource("opensearch", _DATA, ctx.region, name, arn, tags,
                                     described(f"OpenSearch domain {name}", item.get("EngineVersion")), unread=unread)


def secrets(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for item in pages(ctx.client, "list_secrets", "SecretList[]"):
        name = item["Name"]
        primary = item.get("PrimaryRegion")
        yield DiscoveredResource("secretsmanager", _DATA, ctx.region, name, item.get("ARN"), tag_map(item.get("Tags")),
                                 described(f"Secrets Manager secret {name}",
                                           primary and primary != ctx.region and f"replica of {primary}"))


def kms_keys(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    aliases: dict[str, list[str]] = {}
    for item in pages(ctx.client, "list_aliases", "Aliases[]"):
        if item.get("TargetKeyId"):
            aliases.setdefault(item["TargetKeyId"], []).append(item["AliasName"])
    for item in pages(ctx.client, "list_keys", "Keys[]"):
        key = item["KeyId"]
        names = sorted(aliases.get(key, []))
        managed = "AWS managed" if any(name.startswith("alias/aws/") for name in names) else None
        yield DiscoveredResource("kms", _DATA, ctx.region, key, item.get("KeyArn") or ctx.arn("kms", f"key/{key}"),
                                 None, described(f"KMS key {key}", managed, ", ".join(names)))


def cloudtrail_trails(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    # NOTE: without shadow trails each trail is listed once, in its home region (its logs' control plane).
    trails = [item for item in ctx.client.describe_trails(includeShadowTrails=False).get("trailList") or ()
              if item.get("HomeRegion", ctx.region) == ctx.region]
    tags: dict[str, dict[str, str]] = {}
    unread = None
    arns = [item["TrailARN"] for item in trails if item.get("TrailARN")]
    for start in range(0, len(arns), 20):
        try:
            for entry in pages(ctx.client, "list_tags", "ResourceTagList[]", ResourceIdList=arns[start:start + 20]):
                tags[entry.get("ResourceId", "")] = tag_map(entry.get("TagsList"))
        except Exception as exc:  # one resource's failure is its own gap
            unread = f"tags: {ctx.gap(exc)}"
    for item in trails:
        name, arn = item["Name"], item.get("TrailARN")
        scope = "multi-region" if item.get("IsMultiRegionTrail") else "single-region"
        yield DiscoveredResource("cloudtrail", _MANAGEMENT, item.get("HomeRegion") or ctx.region, name, arn,
                                 tags.get(arn or "", {}),
                                 described(f"CloudTrail trail {name}", scope, item.get("IsOrganizationTrail") and
                                           "organization trail", item.get("S3BucketName") and
                                           f"logs to s3://{item['S3BucketName']}"), unread=unread)


def log_groups(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for item in pages(ctx.client, "describe_log_groups", "logGroups[]"):
        name = item["logGroupName"]
        arn = item.get("logGroupArn") or str(item.get("arn") or "").removesuffix(":*") or None
        retention = item.get("retentionInDays")
        yield DiscoveredResource("logs", _MANAGEMENT, ctx.region, name, arn, None,
                                 described(f"CloudWatch log group {name}",
                                           f"retention {retention} days" if retention else "kept forever"))


def backup_vaults(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for item in pages(ctx.client, "list_backup_vaults", "BackupVaultList[]"):
        name = item["BackupVaultName"]
        points = item.get("NumberOfRecoveryPoints")
        yield DiscoveredResource("backup", _BACKUP, ctx.region, name, item.get("BackupVaultArn"), None,
                                 described(f"AWS Backup vault {name}",
                                           points is not None and f"{points} recovery points"))


def identity_center(ctx: ServiceContext) -> Iterator[DiscoveredResource]:
    for item in pages(ctx.client, "list_instances", "Instances[]"):
        arn = item["InstanceArn"]
        name = arn.rsplit("/", 1)[-1]
        yield DiscoveredResource("sso", _ADMIN, ctx.region, name, arn, {},
                                 described(f"IAM Identity Center instance {name}", item.get("Name"),
                                           item.get("IdentityStoreId") and f"identity store {item['IdentityStoreId']}",
                                           "where workforce sign-in and account access are administered"))


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("ec2", "ec2", REGIONAL, ec2_instances),
    ServiceSpec("ebs", "ec2", REGIONAL, ebs_snapshots),
    ServiceSpec("rds", "rds", REGIONAL, rds_databases),
    ServiceSpec("dynamodb", "dynamodb", REGIONAL, dynamodb_tables, tagging="dynamodb"),
    ServiceSpec("lambda", "lambda", REGIONAL, lambda_functions, tagging="lambda"),
    ServiceSpec("eks", "eks", REGIONAL, eks_clusters),
    ServiceSpec("ecs", "ecs", REGIONAL, ecs_services),
    ServiceSpec("elasticache", "elasticache", REGIONAL, elasticache_clusters, tagging="elasticache"),
    ServiceSpec("opensearch", "opensearch", REGIONAL, opensearch_domains),
    ServiceSpec("secretsmanager", "secretsmanager", REGIONAL, secrets),
    ServiceSpec("kms", "kms", REGIONAL, kms_keys, tagging="kms"),
    ServiceSpec("cloudtrail", "cloudtrail", REGIONAL, cloudtrail_trails),
    ServiceSpec("logs", "logs", REGIONAL, log_groups, tagging="logs"),
    ServiceSpec("backup", "backup", REGIONAL, backup_vaults, tagging="backup"),
    ServiceSpec("sso", "sso-admin", REGIONAL, identity_center),
    ServiceSpec("s3", "s3", GLOBAL, s3_buckets),
    ServiceSpec("cloudfront", "cloudfront", GLOBAL, cloudfront_distributions),
    ServiceSpec("route53", "route53", GLOBAL, route53_zones),
)
SERVICE_NAMES = tuple(spec.name for spec in SERVICES)
