"""The inventory YAML a discovery writes: loaded back by `load_inventory` into the same assets, and scanned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_scan.cli import app
from residency_scan.discovery import NothingDiscovered, default_entity, inventory_yaml, to_inventory, write_inventory
from residency_scan.discovery.assets import asset_id, build_asset
from residency_scan.discovery.aws import SOURCE, AwsDiscoveryOptions, discover_aws
from residency_scan.discovery.result import CoverageGap, DiscoveryResult
from residency_scan.inventory import load_inventory
from residency_scan.models import Asset, AssetKind, Entity, EntityType, Sensitivity
from tests.discovery.world import ACCOUNT_A, IRELAND, PARIS, REGIONS

ENTITY = Entity(name="Ministère de l'Exemple", type=EntityType.ADMINISTRATION)


@pytest.fixture(scope="module")
def discovered(moto_endpoint: str) -> DiscoveryResult:
    return discover_aws(AwsDiscoveryOptions(regions=REGIONS, access_events=False))


def without_source(assets: tuple[Asset, ...]) -> list[dict[str, object]]:
    return [asset.model_dump(exclude={"source"}) for asset in assets]


def test_written_inventory_loads_back_into_the_same_assets(discovered: DiscoveryResult, tmp_path: Path) -> None:
    path = tmp_path / "aws.yaml"
    text = write_inventory(discovered, ENTITY, path)
    loaded = load_inventory(path)
    assert path.read_text(encoding="utf-8") == text
    assert loaded.entity == ENTITY
    assert without_source(loaded.assets) == without_source(discovered.assets)
    assert len(loaded.assets) > 20
    in_memory = to_inventory(discovered, ENTITY, path=str(path))  # what `scan --aws` scans
    assert in_memory.assets == loaded.assets  # source lines included
    assert in_memory.sha256 == loaded.sha256


def test_untagged_assets_take_the_fail_closed_default_and_tagged_ones_state_theirs(
        discovered: DiscoveryResult) -> None:
    text = inventory_yaml(discovered, ENTITY)
    assert "defaults:\n  sensitivity: sensitive\n" in text
    untagged = text.split(f"- id: aws:{ACCOUNT_A}:us-east-1:s3:a-virginia\n")[1].split("\n- id:")[0]
    tagged = text.split(f"- id: aws:{ACCOUNT_A}:eu-west-1:dynamodb:archives-publiques\n")[1].split("\n- id:")[0]
    assert "sensitivity:" not in untagged
    assert "  sensitivity: public\n" in tagged


def test_the_same_discovery_writes_the_same_bytes(discovered: DiscoveryResult) -> None:
    again = discover_aws(AwsDiscoveryOptions(regions=REGIONS, access_events=False, concurrency=3))
    assert inventory_yaml(again, ENTITY) == inventory_yaml(discovered, ENTITY)


def test_scanning_the_inventory_finds_sensitive_data_in_paris_a_violation(
        discovered: DiscoveryResult, tmp_path: Path) -> None:
    path = tmp_path / "aws.yaml"
    write_inventory(discovered, ENTITY, path)
    run = CliRunner().invoke(app, ["scan", str(path), "--offline", "-f", "json"], catch_exceptions=False)
    assert run.exit_code == 1, run.output
    verdicts = {asset["id"]: asset["verdict"] for asset in json.loads(run.stdout)["assets"]}
    assert verdicts[f"aws:{ACCOUNT_A}:{PARIS}:dynamodb:patients"] == "violation"
    assert verdicts[f"aws:{ACCOUNT_A}:{PARIS}:s3:a-donnees-paris"] == "violation"
    assert verdicts[f"aws:{ACCOUNT_A}:{IRELAND}:dynamodb:archives-publiques"] == "not-applicable"  # public
    cloudfront = next(key for key in verdicts if ":global:cloudfront:" in key)
    assert verdicts[cloudfront] in ("indeterminate", "violation")  # never compliant: served from everywhere
    assert "compliant" not in verdicts.values()


def test_gaps_are_written_at_the_top_of_the_file(discovered: DiscoveryResult, tmp_path: Path) -> None:
    gap = CoverageGap(account=ACCOUNT_A, region=IRELAND, service="dynamodb", error_code="AccessDeniedException",
                      message="User is not authorized\x1b[31m to perform dynamodb:ListTables")
    incomplete = discovered.model_copy(update={"gaps": (gap,)})
    path = tmp_path / "aws.yaml"
    text = write_inventory(incomplete, ENTITY, path)
    header = text.split("version: 1")[0]
    assert "Coverage: INCOMPLETE. 1 gaps" in header
    assert f"#   {ACCOUNT_A} {IRELAND} dynamodb: AccessDeniedException: User is not authorized\\x1b[31m" in header
    assert "\x1b" not in text
    assert load_inventory(path).assets  # comments do not disturb the loader
    assert "Coverage: complete" in inventory_yaml(discovered, ENTITY)


def test_an_empty_discovery_is_refused_rather_than_written(tmp_path: Path) -> None:
    empty = DiscoveryResult(accounts=(ACCOUNT_A,), regions=(PARIS,), assets=())
    with pytest.raises(NothingDiscovered, match="empty inventory would pass every check"):
        write_inventory(empty, ENTITY, tmp_path / "aws.yaml")
    assert not (tmp_path / "aws.yaml").exists()


def test_hostile_names_and_tags_still_give_a_loadable_inventory(tmp_path: Path) -> None:
    long_name = "/aws/lambda/" + "x" * 600
    assets = tuple(build_asset(
        provider="aws", account=ACCOUNT_A, region=PARIS, service="logs", name=name, kind=AssetKind.MANAGEMENT_TOOL,
        resource=f"arn:aws:logs:{PARIS}:{ACCOUNT_A}:log-group:{name}", tags=tags, description=description,
        target=None, unread=None, sensitivity_tags=("residency:sensitivity",), source=SOURCE)
        for name, tags, description in [
            (long_name, {}, "long"),
            ("with space\tand\x1b[2Jescape", {"k\x00": "v", "ok": "yes\u202e", "fine": "NO",
                                               "residency:sensitivity": " Internal "}, "a\nb"),
            ("yes", {"on": "off", "null": "~", "": "empty key"}, "- item: [x]"),
        ])
    result = DiscoveryResult(accounts=(ACCOUNT_A,), regions=(PARIS,), assets=assets,
                             sensitivity_tags=("residency:sensitivity",))
    path = tmp_path / "hostile.yaml"
    write_inventory(result, Entity(name="x: y # z", type=EntityType.EIV), path)
    loaded = load_inventory(path)
    assert without_source(loaded.assets) == without_source(assets)
    assert all(len(asset.id) <= 128 for asset in loaded.assets)
    assert loaded.assets[1].tags == {"fine": "NO", "residency:sensitivity": "Internal"}
    assert loaded.assets[1].sensitivity is Sensitivity.INTERNAL
    assert loaded.assets[2].tags == {"null": "~", "on": "off"}


def test_long_or_unsafe_ids_are_cut_with_a_stable_hash() -> None:
    long_id = asset_id("aws", ACCOUNT_A, PARIS, "logs", "g" * 300)
    assert len(long_id) <= 128 and long_id == asset_id("aws", ACCOUNT_A, PARIS, "logs", "g" * 300)
    assert long_id != asset_id("aws", ACCOUNT_A, PARIS, "logs", "g" * 301)
    spaced = asset_id("aws", ACCOUNT_A, PARIS, "s3", "a b")
    assert " " not in spaced and spaced != asset_id("aws", ACCOUNT_A, PARIS, "s3", "a_b")
    assert asset_id("aws", ACCOUNT_A, PARIS, "s3", "plain") == f"aws:{ACCOUNT_A}:{PARIS}:s3:plain"


def test_default_entity_names_the_accounts() -> None:
    result = DiscoveryResult(accounts=(ACCOUNT_A, "222222222222"), regions=(), assets=())
    assert default_entity(result) == Entity(name=f"AWS accounts {ACCOUNT_A}, 222222222222", type=EntityType.EIV)
