"""CloudRegionResolver against the shipped region table, and against small tables written by the tests for
the failure paths (unreadable or invalid data must stop the scan, never produce a location)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from residency_scan.errors import DatasetError
from residency_scan.models import Asset, AssetKind, CloudRef, Sensitivity, SourceRef, Strength
from residency_scan.resolvers.cloud_regions import CloudRegionResolver, load_cloud_regions

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def cloud_asset(provider: str, region: str | None, asset_id: str = "a1") -> Asset:
    return Asset(id=asset_id, kind=AssetKind.BACKUP, sensitivity=Sensitivity.SENSITIVE,
                 cloud=CloudRef(provider=provider, region=region), source=SourceRef(path="inv.yaml", line=3))


@pytest.fixture(scope="module")
def resolver() -> CloudRegionResolver:
    return CloudRegionResolver(clock=lambda: NOW)


def test_applies_only_to_cloud_assets(resolver: CloudRegionResolver) -> None:
    plain = Asset(id="x", kind=AssetKind.SERVER, sensitivity=Sensitivity.SENSITIVE,
                  source=SourceRef(path="i"))
    assert resolver.applies_to(cloud_asset("aws", "eu-west-3"))
    assert not resolver.applies_to(plain)


@pytest.mark.parametrize(("provider", "region", "subject", "country", "city"), [
    ("aws", "eu-west-3", "aws:eu-west-3", "FR", "Paris"),
    ("amazon", "af-south-1", "aws:af-south-1", "ZA", "Cape Town"),
    ("aws", "eu-west-3a", "aws:eu-west-3", "FR", "Paris"),               # availability zone
    ("azure", "francecentral", "azure:francecentral", "FR", "Paris"),
    ("azurerm", "France Central", "azure:francecentral", "FR", "Paris"),  # display name
    ("Microsoft", "SOUTH AFRICA NORTH", "azure:southafricanorth", "ZA", "Johannesburg"),
    ("gcp", "europe-west1-b", "gcp:europe-west1", "BE", "St. Ghislain"),  # zone
    ("google", "me-central2", "gcp:me-central2", "SA", "Dammam"),
    ("oracle", "eu-marseille-1", "oci:eu-marseille-1", "FR", "Marseille"),
    ("oci", "af-casablanca-1", "oci:af-casablanca-1", "MA", "Casablanca"),
])
def test_known_region_is_authoritative_evidence(resolver: CloudRegionResolver, provider: str, region: str,
                                                 subject: str, country: str, city: str) -> None:
    [evidence] = resolver.resolve(cloud_asset(provider, region))
    assert evidence.failure is None
    assert evidence.claim is not None
    assert (evidence.claim.country, evidence.claim.city) == (country, city)
    assert evidence.subject == subject
    assert evidence.claim.region == subject.split(":")[1]
    assert evidence.claim.provider == subject.split(":")[0]
    assert evidence.strength is Strength.AUTHORITATIVE
    assert evidence.source == "cloud-regions" and evidence.dataset == "cloud-regions"
    assert evidence.observed_at == NOW
    assert evidence.raw["entry"]["source"].startswith("https://")
    assert evidence.raw["entry"]["country"] == country


def test_zone_is_recorded_in_raw(resolver: CloudRegionResolver) -> None:
    [evidence] = resolver.resolve(cloud_asset("gcp", "europe-west1-b"))
    assert evidence.raw["zone"] == "europe-west1-b"


def test_unknown_region_suggests_the_closest(resolver: CloudRegionResolver) -> None:
    [evidence] = resolver.resolve(cloud_asset("aws", "eu-west-9"))
    assert evidence.claim is None
    assert evidence.failure == ("region 'eu-west-9' is not in the shipped AWS region table "
                                "(did you mean 'eu-west-3'?)")
    assert evidence.subject == "aws:eu-west-9"
    assert evidence.dataset == "cloud-regions"


def test_unknown_region_without_close_match_says_how_many_are_known(resolver: CloudRegionResolver) -> None:
    [evidence] = resolver.resolve(cloud_asset("azure", "zzzzzzzz"))
    assert evidence.claim is None and evidence.failure is not None
    assert "not in the shipped AZURE region table" in evidence.failure
    assert "did you mean" not in evidence.failure
    assert "Microsoft Azure regions are known" in evidence.failure


def test_there_is_no_hyperscaler_region_in_morocco_but_a_made_up_one_is_unknown(
        resolver: CloudRegionResolver) -> None:
    for provider, region in [("aws", "af-north-1"), ("azure", "moroccocentral"), ("gcp", "africa-north1")]:
        [evidence] = resolver.resolve(cloud_asset(provider, region))
        assert evidence.claim is None, (provider, region)
        assert evidence.failure is not None and "is not in the shipped" in evidence.failure


def test_unknown_provider_suggests_a_known_one(resolver: CloudRegionResolver) -> None:
    [evidence] = resolver.resolve(cloud_asset("azur", "francecentral"))
    assert evidence.claim is None
    assert evidence.failure is not None
    assert evidence.failure.startswith("unknown cloud provider 'azur'")
    assert "covers aws, azure, gcp, oci" in evidence.failure
    assert evidence.failure.endswith("(did you mean 'azure'?)")


def test_unknown_provider_without_suggestion(resolver: CloudRegionResolver) -> None:
    [evidence] = resolver.resolve(cloud_asset("hetzner", "fsn1"))
    assert evidence.failure is not None and "did you mean" not in evidence.failure


@pytest.mark.parametrize("region", [None, "", "   "])
def test_missing_region_is_a_failure(resolver: CloudRegionResolver, region: str | None) -> None:
    [evidence] = resolver.resolve(cloud_asset("gcp", region))
    assert evidence.claim is None
    assert evidence.failure is not None
    assert evidence.failure.startswith("no region given for this Google Cloud")


@pytest.mark.parametrize(("provider", "region"),
                         [("aws", "global"), ("aws", "aws-global"), ("gcp", "GLOBAL")])
def test_global_service_is_not_located(resolver: CloudRegionResolver, provider: str, region: str) -> None:
    [evidence] = resolver.resolve(cloud_asset(provider, region))
    assert evidence.claim is None
    assert evidence.failure is not None and evidence.failure.startswith("global service")
    assert "location is where it is served" in evidence.failure


def test_hostile_strings_are_bounded_and_do_not_crash(resolver: CloudRegionResolver) -> None:
    nasty = "eu-west-3\n<script>" + "x" * 10_000
    [evidence] = resolver.resolve(cloud_asset("aws", nasty))
    assert evidence.failure is not None
    assert len(evidence.failure) < 300 and "\n" not in evidence.failure
    [evidence] = resolver.resolve(cloud_asset("\x00" * 5000, "eu-west-3"))
    assert evidence.failure is not None and len(evidence.failure) < 300


def test_data_sources_come_from_the_file_header(resolver: CloudRegionResolver) -> None:
    [source] = list(resolver.data_sources())
    assert source.id == "cloud-regions"
    assert source.date.isoformat() == "2026-11-25"
    assert "Apache-2.0" in source.licence
    assert source.sha256 is not None and len(source.sha256) == 64
    assert source.url is not None and source.url.startswith("https://")


def test_resolve_all_keys_by_asset_id(resolver: CloudRegionResolver) -> None:
    assets = [cloud_asset("aws", "eu-west-3", "a"), cloud_asset("oci", "nowhere-1", "b")]
    result = resolver.resolve_all(assets)
    assert set(result) == {"a", "b"}
    assert result["a"][0].claim is not None and result["b"][0].failure is not None


def test_table_is_loaded_once() -> None:
    assert load_cloud_regions() is load_cloud_regions()


# ------------------------------------------------------------------------------------ broken datasets

GOOD = """\
dataset: {id: cloud-regions, name: t, version: "1", date: 2026-11-25, licence: x,
          sources: ["https://example.org/regions"]}
providers:
  aws:
    name: AWS
    normalize: aws-zone
    sources: ["https://example.org/aws"]
    regions:
      eu-west-3: {country: FR, source: "https://example.org/aws"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "regions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_custom_table_is_used(tmp_path: Path) -> None:
    table = load_cloud_regions(write(tmp_path, GOOD))
    [evidence] = CloudRegionResolver(clock=lambda: NOW, table=table).resolve(cloud_asset("aws", "eu-west-3"))
    assert evidence.claim is not None and evidence.claim.country == "FR"


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(GOOD.replace("country: FR", "country: Fr"),
                 "regions.yaml:9: providers.aws.regions.eu-west-3.country", id="lower-case-with-line"),
    pytest.param(GOOD.replace("country: FR", "country: ZZ"), "not an ISO 3166-1 alpha-2", id="not-iso"),
    pytest.param(GOOD.replace("country: FR", "country: NO"), "country", id="yaml-no-is-false"),
    pytest.param(GOOD.replace(', source: "https://example.org/aws"}', "}"), "source", id="no-source"),
    pytest.param(GOOD.replace('source: "https://example.org/aws"}', 'source: "ftp://x"}'), "https URL",
                 id="source-not-https"),
    pytest.param(GOOD.replace("eu-west-3:", "EU-West-3:"), "canonical", id="non-canonical-id"),
    pytest.param(GOOD + '      eu-west-3: {country: FR, source: "https://example.org/aws"}\n',
                 "duplicate key", id="duplicate-region"),
    pytest.param(GOOD.replace("name: AWS", "name: AWS\n    colour: blue"), "colour", id="unknown-field"),
    pytest.param("providers: [", "invalid YAML", id="not-yaml"),
])
def test_an_invalid_table_raises_dataset_error(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(DatasetError) as caught:
        load_cloud_regions(write(tmp_path, text))
    assert expected in str(caught.value)


def test_a_missing_table_raises_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not readable"):
        load_cloud_regions(tmp_path / "absent.yaml")
