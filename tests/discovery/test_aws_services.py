"""Discovery against a moto server: every service, real regions and tags, two accounts, deterministic output."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped,unused-ignore]

from residency_scan.discovery.aws import AwsDiscoveryOptions, discover_aws
from residency_scan.discovery.aws_session import AwsSessions
from residency_scan.discovery.result import DiscoveryResult
from residency_scan.models import Asset, AssetKind, Sensitivity
from tests.discovery.conftest import Raw
from tests.discovery.world import (
    ACCOUNT_A,
    ACCOUNT_B,
    B_BATCH_BUCKETS,
    IRELAND,
    PARIS,
    REGIONS,
    ROLE_B,
    VIRGINIA,
)

ROLE_A = f"arn:aws:iam::{ACCOUNT_A}:role/residency-audit"


@pytest.fixture(scope="module")
def estate(moto_endpoint: str) -> DiscoveryResult:
    """Both accounts, through their roles, every service, in the three regions of the world."""
    return discover_aws(AwsDiscoveryOptions(role_arns=(ROLE_A, ROLE_B), regions=REGIONS, access_events=False))


def one(result: DiscoveryResult, account: str, service: str, name: str) -> Asset:
    found = [asset for asset in result.assets if asset.cloud and asset.cloud.account == account
             and asset.cloud.service == service and asset.id.endswith(f":{service}:{name}")]
    assert len(found) == 1, [asset.id for asset in result.assets if asset.cloud and asset.cloud.service == service]
    return found[0]


def test_both_accounts_are_read_through_their_roles_and_nothing_is_missing(estate: DiscoveryResult) -> None:
    assert estate.accounts == (ACCOUNT_A, ACCOUNT_B)
    assert estate.regions == tuple(sorted(REGIONS))
    assert estate.gaps == ()
    assert estate.complete and not estate.nothing_read


@pytest.mark.parametrize(("service", "name", "region", "kind"), [
    ("ebs", "snap-", PARIS, AssetKind.DATA_STORE),
    ("rds", "db/dossiers", PARIS, AssetKind.DATA_STORE),
    ("dynamodb", "patients", PARIS, AssetKind.DATA_STORE),
    ("dynamodb", "archives-publiques", IRELAND, AssetKind.DATA_STORE),
    ("lambda", "calcul-droits", PARIS, AssetKind.SERVER),
    ("eks", "plateforme", PARIS, AssetKind.SERVER),
    ("ecs", "apps/web", PARIS, AssetKind.SERVER),
    ("elasticache", "cluster/sessions", PARIS, AssetKind.DATA_STORE),
    ("opensearch", "recherche", PARIS, AssetKind.DATA_STORE),
    ("secretsmanager", "db-password", PARIS, AssetKind.DATA_STORE),
    ("cloudtrail", "audit", PARIS, AssetKind.MANAGEMENT_TOOL),
    ("logs", "/app/portail", PARIS, AssetKind.MANAGEMENT_TOOL),
    ("backup", "coffre", PARIS, AssetKind.BACKUP),
    ("s3", "a-virginia", VIRGINIA, AssetKind.DATA_STORE),
    ("s3", "a-legacy-eu", IRELAND, AssetKind.DATA_STORE),  # LocationConstraint 'EU' is eu-west-1
    ("s3", "a-donnees-paris", PARIS, AssetKind.DATA_STORE),
])
def test_each_service_gives_assets_in_their_real_region(estate: DiscoveryResult, service: str, name: str,
                                                         region: str, kind: AssetKind) -> None:
    found = [asset for asset in estate.assets if asset.cloud and asset.cloud.account == ACCOUNT_A
             and asset.cloud.service == service and asset.id.split(":", 4)[4].startswith(name)]
    assert len(found) == 1, [asset.id for asset in estate.assets if asset.cloud and asset.cloud.service == service]
    asset = found[0]
    assert asset.cloud is not None
    assert (asset.cloud.provider, asset.cloud.region, asset.kind) == ("aws", region, kind)
    assert asset.id == f"aws:{ACCOUNT_A}:{region}:{service}:{asset.id.split(':', 4)[4]}"
    assert asset.cloud.resource and asset.cloud.resource.startswith("arn:aws:")


def test_ec2_instance_and_kms_key_are_found_by_their_generated_ids(estate: DiscoveryResult) -> None:
    servers = [a for a in estate.assets if a.cloud and a.cloud.service == "ec2" and a.cloud.account == ACCOUNT_A]
    keys = [a for a in estate.assets if a.cloud and a.cloud.service == "kms" and a.cloud.account == ACCOUNT_A]
    assert [(a.kind, a.cloud.region if a.cloud else None, a.tags.get("Name")) for a in servers] == [
        (AssetKind.SERVER, PARIS, "portail")]
    assert [(a.kind, a.cloud.region if a.cloud else None) for a in keys] == [(AssetKind.DATA_STORE, PARIS)]
    assert keys[0].cloud is not None and keys[0].cloud.resource
    assert keys[0].cloud.resource.startswith(f"arn:aws:kms:{PARIS}:{ACCOUNT_A}:key/")


def test_global_services_are_in_no_region_and_cloudfront_says_it_is_served_abroad(estate: DiscoveryResult) -> None:
    cloudfront = [a for a in estate.assets if a.cloud and a.cloud.service == "cloudfront"]
    zone = one(estate, ACCOUNT_A, "route53", "exemple.ma/" + next(
        a.id.rsplit("/", 1)[1] for a in estate.assets if a.cloud and a.cloud.service == "route53"))
    assert len(cloudfront) == 1
    distribution = cloudfront[0]
    assert distribution.cloud is not None and distribution.cloud.region == "global"
    assert distribution.kind is AssetKind.NETWORK
    assert distribution.target is not None and distribution.target.host.endswith(".cloudfront.net")
    assert "location is where it is served" in (distribution.description or "")
    assert "processed abroad" in (distribution.description or "")
    assert zone.kind is AssetKind.NETWORK and zone.cloud is not None and zone.cloud.region == "global"


def test_identity_center_instance_is_an_admin_interface_in_its_region(estate: DiscoveryResult) -> None:
    # moto keeps one instance per region it is asked about; AWS has one, in its home region
    found = {(a.cloud.account, a.cloud.region) for a in estate.assets
             if a.cloud and a.cloud.service == "sso" and a.kind is AssetKind.ADMIN_INTERFACE}
    assert found == {(account, region) for account in (ACCOUNT_A, ACCOUNT_B) for region in REGIONS}


def test_tags_set_sensitivity_and_untagged_resources_stay_sensitive(estate: DiscoveryResult) -> None:
    assert one(estate, ACCOUNT_A, "dynamodb", "archives-publiques").sensitivity is Sensitivity.PUBLIC
    assert one(estate, ACCOUNT_A, "lambda", "calcul-droits").sensitivity is Sensitivity.INTERNAL  # tagging API
    assert one(estate, ACCOUNT_A, "opensearch", "recherche").sensitivity is Sensitivity.INTERNAL
    assert one(estate, ACCOUNT_B, "dynamodb", "b-registre").sensitivity is Sensitivity.INTERNAL
    untagged = one(estate, ACCOUNT_A, "s3", "a-virginia")
    assert untagged.sensitivity is Sensitivity.SENSITIVE and untagged.tags == {}
    assert "no sensitivity tag" in (untagged.description or "")


def test_a_tag_that_names_no_sensitivity_is_sensitive_and_says_why(estate: DiscoveryResult) -> None:
    asset = one(estate, ACCOUNT_A, "logs", "/app/mal-etiquete")
    assert asset.sensitivity is Sensitivity.SENSITIVE
    assert asset.tags["residency:sensitivity"] == "secret"
    assert "'secret' names no sensitivity" in (asset.description or "")


def test_the_second_account_has_its_own_resources_and_bucket_locations(estate: DiscoveryResult) -> None:
    bucket = one(estate, ACCOUNT_B, "s3", "b-bucket-irlande")
    assert bucket.cloud is not None and bucket.cloud.region == IRELAND
    batch = [a for a in estate.assets if a.cloud and a.cloud.account == ACCOUNT_B and "b-lot-" in a.id]
    assert len(batch) == B_BATCH_BUCKETS  # more than one chunk of follow-up work
    assert {a.cloud.region for a in batch if a.cloud} == {PARIS, IRELAND}
    assert not [a for a in estate.assets if a.cloud and a.cloud.account == ACCOUNT_B and "patients" in a.id]


def test_assets_are_sorted_and_ids_unique(estate: DiscoveryResult) -> None:
    keys = [(a.cloud.account, a.cloud.region, a.cloud.service, a.id) for a in estate.assets if a.cloud]
    assert keys == sorted(keys) and len(keys) == len(estate.assets)
    assert len({a.id for a in estate.assets}) == len(estate.assets)


def test_the_result_is_the_same_with_one_worker_or_eight(estate: DiscoveryResult) -> None:
    sequential = discover_aws(AwsDiscoveryOptions(role_arns=(ROLE_A, ROLE_B), regions=REGIONS,
                                                  access_events=False, concurrency=1))
    assert sequential.assets == estate.assets
    assert sequential.gaps == estate.gaps


def test_api_calls_and_http_requests_are_counted_per_service(estate: DiscoveryResult) -> None:
    assert estate.api_calls["dynamodb"] == 2 * len(REGIONS)  # one ListTables page per account and region
    assert estate.api_calls["sts"] >= 2
    assert sum(estate.http_requests.values()) >= sum(estate.api_calls.values())
    assert estate.tasks > 2 * len(REGIONS) * 15 and estate.tasks_failed == 0


def test_without_role_the_callers_own_account_is_read(moto_endpoint: str) -> None:
    result = discover_aws(AwsDiscoveryOptions(regions=(PARIS,), services=("dynamodb",), access_events=False))
    assert result.accounts == (ACCOUNT_A,)
    assert [a.id for a in result.assets] == [f"aws:{ACCOUNT_A}:{PARIS}:dynamodb:patients"]


def test_default_regions_are_the_enabled_regions_of_the_callers_partition(moto_endpoint: str) -> None:
    result = discover_aws(AwsDiscoveryOptions(services=("dynamodb",), access_events=False))
    assert PARIS in result.regions and IRELAND in result.regions
    assert "il-central-1" not in result.regions  # moto lists it as not opted in
    assert not [r for r in result.regions if r.startswith(("cn-", "us-gov-"))]  # other partitions
    assert {a.id.split(":")[4] for a in result.assets} == {"patients", "archives-publiques", "journal-acces"}
    assert result.gaps == ()


def test_a_configured_tag_key_decides_and_other_sensitivity_tags_are_then_overridden(moto_endpoint: str) -> None:
    result = discover_aws(AwsDiscoveryOptions(regions=(IRELAND,), services=("dynamodb",), access_events=False,
                                              sensitivity_tags=("classification",)))
    by_name = {a.id.rsplit(":", 1)[1]: a for a in result.assets}
    assert by_name["journal-acces"].sensitivity is Sensitivity.PUBLIC
    # residency:sensitivity=public is not read when another key was chosen: sensitive (and stated in YAML)
    assert by_name["archives-publiques"].sensitivity is Sensitivity.SENSITIVE


def test_bucket_regions_given_by_the_listing_spare_the_location_calls(moto_endpoint: str) -> None:
    """Injected: AWS's paginated ListBuckets answer, with BucketRegion (moto's has none)."""
    requested: list[str] = []

    def listing(request: Any, **_: Any) -> Any:
        requested.append(request.url)
        body = ("<ListAllMyBucketsResult><Buckets>"
                "<Bucket><Name>a-donnees-paris</Name><BucketRegion>eu-west-3</BucketRegion></Bucket>"
                "<Bucket><Name>a-virginia</Name><BucketRegion>us-east-1</BucketRegion></Bucket>"
                "</Buckets><Owner><ID>x</ID></Owner></ListAllMyBucketsResult>")
        return AWSResponse(request.url, 200, {"Content-Type": "application/xml"}, Raw(body.encode()))

    sessions = AwsSessions(event_handlers=[("before-send.s3.ListBuckets", listing)])
    result = discover_aws(AwsDiscoveryOptions(regions=(PARIS,), services=("s3",), access_events=False),
                          sessions=sessions)
    assert ["max-buckets=1000" in url for url in requested] == [True]
    assert {(a.id.rsplit(":", 1)[1], a.cloud.region if a.cloud else None) for a in result.assets} == {
        ("a-donnees-paris", PARIS), ("a-virginia", VIRGINIA)}
    assert result.api_calls["s3"] == 3  # the listing and one GetBucketTagging per bucket: no GetBucketLocation
    assert one(result, ACCOUNT_A, "s3", "a-donnees-paris").sensitivity is Sensitivity.SENSITIVE
