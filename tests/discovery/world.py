"""A small AWS estate in a moto server: two accounts, three regions, every discovered service.

Account A is the caller's own (moto's default 123456789012); account B (222222222222) is reached by assuming a
role, as `--role-arn` does. What each resource is tagged with is what the tests expect back.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]

ACCOUNT_A = "123456789012"
ACCOUNT_B = "222222222222"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/residency-audit"
SENSITIVITY = "residency:sensitivity"
PARIS, IRELAND, VIRGINIA = "eu-west-3", "eu-west-1", "us-east-1"
REGIONS = (IRELAND, PARIS, VIRGINIA)
B_BATCH_BUCKETS = 27


def _tags(**values: str) -> list[dict[str, str]]:
    return [{"Key": key.replace("__", ":"), "Value": value} for key, value in values.items()]


class Account:
    """Clients of one account (credentials from the environment, or a role assumed in moto)."""

    def __init__(self, credentials: dict[str, str] | None = None) -> None:
        self.credentials = credentials or {}

    def client(self, service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, **self.credentials)


def assume(role_arn: str) -> Account:
    answer = boto3.client("sts", region_name=VIRGINIA).assume_role(RoleArn=role_arn, RoleSessionName="world-setup")
    creds = answer["Credentials"]
    return Account({"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
                    "aws_session_token": creds["SessionToken"]})


def _lambda_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def build_account_a(a: Account) -> None:
    s3 = a.client("s3", VIRGINIA)
    s3.create_bucket(Bucket="a-virginia")  # no LocationConstraint: us-east-1
    s3.create_bucket(Bucket="a-legacy-eu", CreateBucketConfiguration={"LocationConstraint": "EU"})
    s3.create_bucket(Bucket="a-donnees-paris", CreateBucketConfiguration={"LocationConstraint": PARIS})
    s3.put_bucket_tagging(Bucket="a-donnees-paris", Tagging={"TagSet": _tags(residency__sensitivity="sensitive")})
    s3.create_bucket(Bucket="a-trail-logs", CreateBucketConfiguration={"LocationConstraint": PARIS})

    ec2 = a.client("ec2", PARIS)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", TagSpecifications=[
        {"ResourceType": "instance", "Tags": _tags(Name="portail", residency__sensitivity="sensitive")}])
    volume = ec2.create_volume(AvailabilityZone=f"{PARIS}a", Size=8)["VolumeId"]
    ec2.create_snapshot(VolumeId=volume, TagSpecifications=[
        {"ResourceType": "snapshot", "Tags": _tags(residency__sensitivity="internal")}])

    ddb = a.client("dynamodb", PARIS)
    ddb.create_table(TableName="patients", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", Tags=_tags(residency__sensitivity="sensitive"))
    a.client("dynamodb", IRELAND).create_table(
        TableName="archives-publiques", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        Tags=_tags(residency__sensitivity="public"))

    role = a.client("iam", VIRGINIA).create_role(RoleName="lambda-exec", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": []}))["Role"]["Arn"]
    a.client("lambda", PARIS).create_function(
        FunctionName="calcul-droits", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": _lambda_zip()}, Tags={SENSITIVITY: "internal"})

    a.client("logs", PARIS).create_log_group(logGroupName="/app/portail", tags={SENSITIVITY: "internal"})
    a.client("logs", PARIS).create_log_group(logGroupName="/app/mal-etiquete", tags={SENSITIVITY: "secret"})
    a.client("dynamodb", IRELAND).create_table(
        TableName="journal-acces", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        Tags=_tags(classification="public"))
    a.client("secretsmanager", PARIS).create_secret(Name="db-password", SecretString="not-a-real-secret",
                                                    Tags=_tags(residency__sensitivity="sensitive"))
    a.client("kms", PARIS).create_key(Description="chiffrement", Tags=[
        {"TagKey": SENSITIVITY, "TagValue": "sensitive"}])
    a.client("backup", PARIS).create_backup_vault(BackupVaultName="coffre",
                                                  BackupVaultTags={SENSITIVITY: "sensitive"})
    a.client("rds", PARIS).create_db_instance(
        DBInstanceIdentifier="dossiers", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="admin", MasterUserPassword="not-a-real-password", AllocatedStorage=20,
        Tags=_tags(residency__sensitivity="sensitive"))
    a.client("elasticache", PARIS).create_cache_cluster(CacheClusterId="sessions", Engine="redis",
                                                        CacheNodeType="cache.t3.micro", NumCacheNodes=1)
    a.client("opensearch", PARIS).create_domain(DomainName="recherche",
                                                TagList=_tags(residency__sensitivity="internal"))
    a.client("eks", PARIS).create_cluster(name="plateforme", roleArn=role, resourcesVpcConfig={},
                                          tags={SENSITIVITY: "sensitive"})
    ecs = a.client("ecs", PARIS)
    ecs.create_cluster(clusterName="apps")
    ecs.register_task_definition(family="web", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}])
    ecs.create_service(cluster="apps", serviceName="web", taskDefinition="web", desiredCount=0,
                       tags=[{"key": SENSITIVITY, "value": "sensitive"}])
    a.client("cloudtrail", PARIS).create_trail(Name="audit", S3BucketName="a-trail-logs", IsMultiRegionTrail=True)

    a.client("route53", VIRGINIA).create_hosted_zone(Name="exemple.ma.", CallerReference="world-1")
    a.client("cloudfront", VIRGINIA).create_distribution(DistributionConfig={
        "CallerReference": "world-1", "Comment": "portail", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "origin", "DomainName": "a-virginia.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "origin", "ViewerProtocolPolicy": "allow-all",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": False,
                                                                  "Cookies": {"Forward": "none"}}}})


def build_account_b(b: Account) -> None:
    b.client("dynamodb", PARIS).create_table(
        TableName="b-registre", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        Tags=_tags(residency__sensitivity="internal"))
    b.client("s3", VIRGINIA).create_bucket(Bucket="b-bucket-irlande",
                                          CreateBucketConfiguration={"LocationConstraint": IRELAND})
    b.client("logs", IRELAND).create_log_group(logGroupName="b-journaux")
    s3 = b.client("s3", VIRGINIA)
    for number in range(B_BATCH_BUCKETS):  # more than one chunk of bucket lookups
        region = (PARIS, IRELAND)[number % 2]
        s3.create_bucket(Bucket=f"b-lot-{number:02d}", CreateBucketConfiguration={"LocationConstraint": region})


def build_world() -> None:
    build_account_a(Account())
    build_account_b(assume(ROLE_B))
