"""Terraform plans (`terraform show -json`) as inventories: what becomes an asset, where it is, how sensitive it
is, what is refused — and, end to end, that a region known only after apply is never compliant.

The plans in tests/assets/terraform were written for these tests in the documented format
(https://developer.hashicorp.com/terraform/internals/json-format): AWS provider 5 with aliases, modules, count
and for_each; AWS provider 6 with per-resource regions and a deferred change; AzureRM; Google and google-beta.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from residency_scan.errors import InventoryError, Problem
from residency_scan.inventory.terraform_config import module_call_path
from residency_scan.inventory.terraform_kinds import asset_kind, cloud_provider
from residency_scan.inventory.terraform_plan import (
    DELETED,
    DEPOSED,
    NOT_MANAGED,
    UNSUPPORTED_PROVIDER,
    SkippedResource,
    TerraformPlanInventory,
    describe_skipped,
)
from residency_scan.models import Asset, AssetKind, Entity, EntityType, Inventory, Outcome, Sensitivity
from residency_scan.rules import RuleEngine, default_rule_packs
from residency_scan.scan import ResolverSettings, Scanner, build_resolvers

PLANS = Path(__file__).resolve().parent.parent / "assets" / "terraform"
AWS_V5 = PLANS / "aws-v5-aliases-modules.json"
AWS_V6 = PLANS / "aws-v6-resource-region.json"
AZURE = PLANS / "azurerm.json"
GOOGLE = PLANS / "google.json"
SENSITIVITY_MAP = PLANS / "sensitivity.yaml"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def load(path: Path, **options: Any) -> tuple[Inventory, TerraformPlanInventory]:
    loader = TerraformPlanInventory(path, **options)
    return loader.load(), loader


def assets(path: Path, **options: Any) -> dict[str, Asset]:
    return {asset.id: asset for asset in load(path, **options)[0].assets}


def region(asset: Asset) -> str | None:
    assert asset.cloud is not None
    return asset.cloud.region


def write_plan(directory: Path, changes: list[dict[str, Any]] | None = None, **top: Any) -> Path:
    plan: dict[str, Any] = {"format_version": "1.2", "terraform_version": "1.9.8", **top}
    if changes is not None:
        plan["resource_changes"] = changes
    path = directory / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def bucket(address: str = "aws_s3_bucket.b", *, actions: tuple[str, ...] = ("create",), **after: Any) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": "aws_s3_bucket", "name": address.split(".")[-1],
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": list(actions), "before": None, "after": {"bucket": "b", **after},
                       "after_unknown": {"arn": True}}}


def problems_of(path: Path, **options: Any) -> tuple[Problem, ...]:
    with pytest.raises(InventoryError) as caught:
        TerraformPlanInventory(path, **options).load()
    return caught.value.problems


def only_problem(path: Path, **options: Any) -> Problem:
    found = problems_of(path, **options)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


# --------------------------------------------------------------------------------------------- AWS provider 5


def test_each_resource_gets_the_region_of_its_default_or_aliased_provider() -> None:
    found = assets(AWS_V5)
    assert region(found["aws_s3_bucket.patients"]) == "eu-west-3"          # default provider "aws"
    assert region(found["aws_cloudwatch_log_group.audit"]) == "us-east-1"  # provider = aws.us
    assert "provider configuration 'aws.us' region" in (found["aws_cloudwatch_log_group.audit"].description or "")


def test_an_alias_passed_into_a_module_places_the_module_resources() -> None:
    copy = assets(AWS_V5)["module.replica.aws_s3_bucket.copy"]
    assert region(copy) == "us-east-1"
    assert copy.cloud is not None and copy.cloud.service == "aws_s3_bucket"


def test_count_and_for_each_instances_are_assets_named_by_their_address() -> None:
    found = assets(AWS_V5)
    assert {"aws_s3_bucket.logs[0]", "aws_s3_bucket.logs[1]", 'module.app["api"].aws_instance.server',
            'module.app["web"].aws_instance.server'} <= set(found)
    assert region(found['module.app["web"].aws_instance.server']) == "eu-west-3"  # inherits the default provider


def test_region_from_a_root_variable_and_through_a_module_call() -> None:
    found = assets(AWS_V5)
    queue = found["aws_sqs_queue.events"]
    assert region(queue) == "eu-central-1"
    assert "var.secondary_region" in (queue.description or "")
    vault = found["module.legacy.module.backup.aws_backup_vault.vault"]  # module's own provider, region = var.region
    assert region(vault) == "ap-south-1"                                  # passed by the module call, not the default
    assert vault.kind is AssetKind.BACKUP


def test_an_existing_resource_is_placed_by_its_arn_and_names_its_account() -> None:
    table = assets(AWS_V5)["aws_dynamodb_table.sessions"]  # its provider alias sets no region
    assert table.cloud is not None
    assert (table.cloud.region, table.cloud.account) == ("eu-west-1", "123456789012")
    assert table.cloud.resource == "arn:aws:dynamodb:eu-west-1:123456789012:table/sessions"


def test_a_provider_region_that_is_computed_or_unset_is_unknown_with_the_reason() -> None:
    found = assets(AWS_V5)
    computed, unset = found["aws_kms_key.audit"], found["aws_ssm_parameter.flag"]
    assert region(computed) is None and region(unset) is None
    assert "computed (from local.region)" in (computed.description or "")
    assert "sets no region" in (unset.description or "") and "AWS_REGION" in (unset.description or "")


def test_global_aws_services_are_global_not_in_the_provider_region() -> None:
    found = assets(AWS_V5)
    for address in ("aws_iam_role.app", "aws_cloudfront_distribution.cdn"):
        assert region(found[address]) == "global"
    assert found["aws_cloudfront_distribution.cdn"].kind is AssetKind.NETWORK


def test_only_resources_that_exist_after_apply_of_located_providers_are_assets() -> None:
    inventory, loader = load(AWS_V5)
    ids = [asset.id for asset in inventory.assets]
    assert "aws_instance.bastion" in ids and ids.count("aws_instance.bastion") == 1  # replaced; deposed copy skipped
    assert "aws_db_instance.legacy" not in ids and "data.aws_caller_identity.current" not in ids
    assert {(s.address, s.reason) for s in loader.skipped} == {
        ("aws_db_instance.legacy", DELETED), ("aws_instance.bastion", DEPOSED),
        ("data.aws_caller_identity.current", NOT_MANAGED), ("oci_objectstorage_bucket.archive", UNSUPPORTED_PROVIDER),
        ("random_shuffle.az", UNSUPPORTED_PROVIDER)}
    assert describe_skipped(loader.skipped) == (
        "2 resources of providers residency-scan does not locate, not checked (registry.terraform.io/hashicorp/random:"
        " 1, registry.terraform.io/oracle/oci: 1); 1 deleted; 1 deposed; 1 data source(s)")


def test_kinds_come_from_the_resource_type() -> None:
    found = assets(AWS_V5)
    assert found["aws_s3_bucket.patients"].kind is AssetKind.DATA_STORE
    assert found["aws_cloudwatch_log_group.audit"].kind is AssetKind.MANAGEMENT_TOOL
    assert found["aws_instance.bastion"].kind is AssetKind.SERVER
    assert asset_kind("azurerm_recovery_services_vault") is AssetKind.BACKUP
    assert asset_kind("azurerm_cdn_frontdoor_profile") is AssetKind.NETWORK
    assert asset_kind("google_logging_project_sink") is AssetKind.MANAGEMENT_TOOL
    assert asset_kind("aws_something_new") is AssetKind.SERVER  # unknown types are checked, strictest rule


def test_sensitivity_tags_are_read_case_insensitively_and_tags_are_copied() -> None:
    found = assets(AWS_V5)
    patients, bastion = found["aws_s3_bucket.patients"], found["aws_instance.bastion"]
    assert patients.sensitivity is Sensitivity.SENSITIVE
    assert bastion.sensitivity is Sensitivity.SENSITIVE  # "Sensitive"
    assert found["aws_cloudwatch_log_group.audit"].sensitivity is Sensitivity.INTERNAL
    assert patients.tags == {"Name": "dossiers-patients", "Projet": "dossier-patient",  # default_tags via tags_all
                             "residency:sensitivity": "sensitive"}
    assert "sensitivity sensitive from tag residency:sensitivity" in (patients.description or "")


def test_unclassified_resources_are_sensitive() -> None:
    logs = assets(AWS_V5)["aws_s3_bucket.logs[0]"]
    assert logs.sensitivity is Sensitivity.SENSITIVE
    assert "default for unclassified resources" in (logs.description or "")


def test_inventory_records_the_plan_file_and_its_hash() -> None:
    inventory, _ = load(AWS_V5)
    assert inventory.path == str(AWS_V5)
    assert inventory.sha256 == hashlib.sha256(AWS_V5.read_bytes()).hexdigest()
    assert inventory.entity == Entity(name="aws-v5-aliases-modules", type=EntityType.EIV)
    assert {(a.source.path, a.source.line) for a in inventory.assets} == {(str(AWS_V5), None)}
    given = Entity(name="Ministère Exemple", type=EntityType.ADMINISTRATION)
    assert load(AWS_V5, entity=given)[0].entity == given


# --------------------------------------------------------------------------------------------- AWS provider 6


def test_a_per_resource_region_wins_over_the_provider() -> None:
    found = assets(AWS_V6)
    assert region(found["aws_s3_bucket.riyadh_copy"]) == "me-central-1"  # provider region is eu-west-3
    assert region(found["aws_lambda_function.worker"]) == "eu-west-3"
    assert "the resource's region attribute" in (found["aws_lambda_function.worker"].description or "")


def test_a_region_known_after_apply_stays_unknown() -> None:
    shuffled = assets(AWS_V6)["aws_s3_bucket.shuffled"]  # region = random_shuffle.region.result[0]
    assert region(shuffled) is None
    assert "region attribute is known after apply" in (shuffled.description or "")


def test_a_deferred_change_is_an_asset_and_says_so() -> None:
    pool = assets(AWS_V6)["aws_instance.pool[*]"]
    assert region(pool) == "eu-west-3"  # wholly unknown, its block sets no region: the provider's
    assert "deferred by Terraform (instance_count_unknown)" in (pool.description or "")


# --------------------------------------------------------------------------------------------- AzureRM, Google


def test_azure_locations_are_taken_as_written() -> None:
    found = assets(AZURE)
    assert region(found["azurerm_resource_group.sante"]) == "France Central"
    assert region(found["azurerm_linux_virtual_machine.app"]) == "westeurope"
    vault = found["azurerm_recovery_services_vault.backup"]
    assert vault.kind is AssetKind.BACKUP and vault.cloud is not None and vault.cloud.provider == "azure"
    assert vault.cloud.account == "2f8c5a1e-7d3b-4c9a-b1e2-0a9f8e7d6c5b"
    assert found["azurerm_linux_virtual_machine.app"].sensitivity is Sensitivity.INTERNAL


def test_azure_unknown_or_missing_location_is_unknown_with_the_reason() -> None:
    found = assets(AZURE)
    assert region(found["azurerm_key_vault.secrets"]) is None
    assert "location is known after apply" in (found["azurerm_key_vault.secrets"].description or "")
    assert region(found["azurerm_subnet.app"]) is None
    assert "azurerm_subnet has no location attribute" in (found["azurerm_subnet.app"].description or "")


def test_google_zone_region_location_and_labels() -> None:
    found = assets(GOOGLE)
    vm = found["google_compute_instance.vm"]
    assert (region(vm), vm.sensitivity) == ("europe-west1-b", Sensitivity.SENSITIVE)  # zone; the table maps it
    assert vm.tags["goog-terraform-provisioned"] == "true"  # effective_labels
    assert region(found["google_sql_database_instance.db"]) == "me-central2"  # google-beta provider
    archive = found["google_storage_bucket.archive"]
    assert (region(archive), archive.sensitivity) == ("EUROPE-WEST9", Sensitivity.PUBLIC)


def test_google_falls_back_to_the_provider_zone_or_region_only_for_types_that_have_one() -> None:
    found = assets(GOOGLE)
    assert region(found["google_compute_instance.worker"]) == "europe-west1-b"   # provider zone
    assert region(found["google_compute_subnetwork.private"]) == "europe-west1"  # provider region
    topic = found["google_pubsub_topic.events"]
    assert region(topic) is None and "no region, location or zone" in (topic.description or "")


# --------------------------------------------------------------------------------------------- sensitivity


def test_sensitivity_map_first_match_wins_and_tags_win_over_it() -> None:
    found = assets(AWS_V5, sensitivity_map=SENSITIVITY_MAP)
    assert found["aws_s3_bucket.logs[1]"].sensitivity is Sensitivity.INTERNAL  # "[*]": brackets are literal
    assert found['module.app["api"].aws_instance.server'].sensitivity is Sensitivity.INTERNAL
    assert found['module.app["web"].aws_instance.server'].sensitivity is Sensitivity.SENSITIVE
    assert found["module.replica.aws_s3_bucket.copy"].sensitivity is Sensitivity.PUBLIC
    assert found["aws_sqs_queue.events"].sensitivity is Sensitivity.INTERNAL  # "Internal"
    assert found["aws_cloudwatch_log_group.audit"].sensitivity is Sensitivity.INTERNAL  # tag, not the map's public
    assert found["aws_kms_key.audit"].sensitivity is Sensitivity.SENSITIVE  # matches no pattern
    why = found["aws_s3_bucket.logs[1]"].description or ""
    assert f"sensitivity internal from sensitivity map {SENSITIVITY_MAP}:2 (aws_s3_bucket.logs[*])" in why


def test_a_bracket_pattern_is_not_a_character_class(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text('"aws_s3_bucket.logs[0]": public\n', encoding="utf-8")
    found = assets(AWS_V5, sensitivity_map=mapping)
    assert found["aws_s3_bucket.logs[0]"].sensitivity is Sensitivity.PUBLIC
    assert found["aws_s3_bucket.logs[1]"].sensitivity is Sensitivity.SENSITIVE


@pytest.mark.parametrize(("content", "message", "line"), [
    ('"aws_s3_bucket.*": secret\n', "unknown sensitivity 'secret'", 1),
    ('"a.*": public\n"b.*": [internal]\n', "must be a sensitivity, not a list", 2),
    ('"a.*": public\n"b\\tc": internal\n', "pattern must be 1 to 1024 printable characters", 2),
    ("- aws_s3_bucket.b\n", "must be a mapping of address patterns to sensitivities, not a list", 1),
    ("", "must be a mapping of address patterns to sensitivities, not empty", None),
])
def test_a_wrong_sensitivity_map_is_refused_with_its_line(tmp_path: Path, content: str, message: str,
                                                         line: int | None) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(content, encoding="utf-8")
    found = only_problem(AWS_V5, sensitivity_map=mapping)
    assert message in found.message and found.line == line and found.path == str(mapping)


def test_the_sensitivity_tag_key_is_an_option(tmp_path: Path) -> None:
    path = write_plan(tmp_path, [bucket(tags={"classification": "public", "residency:sensitivity": "sensitive"})])
    [asset] = load(path, sensitivity_tags=("classification",))[0].assets
    assert asset.sensitivity is Sensitivity.PUBLIC


def test_a_misspelt_sensitivity_tag_is_refused_at_its_json_path(tmp_path: Path) -> None:
    path = write_plan(tmp_path, [bucket(tags={"residency:sensitivity": "sensitve"})])
    found = only_problem(path)
    assert found.message == "unknown sensitivity 'sensitve'"
    assert found.field == 'resource_changes[0].change.after.tags["residency:sensitivity"]'
    assert found.hint == "did you mean 'sensitive'?"


# --------------------------------------------------------------------------------------------- refused input


@pytest.mark.parametrize(("content", "message", "line"), [
    (b'{"format_version": "1.2",\n "resource_changes": [,]}', "not valid JSON: Expecting value", 2),
    (b"PK\x03\x04\x14\x00binary", "this is a binary Terraform plan file, not its JSON form", None),
    (b"[1, 2]", "a Terraform plan is a JSON object, not an array", None),
    (b'{"resource_changes": []}', "not a Terraform plan: it has no format_version", None),
    (b'{"format_version": "1.0", "values": {"root_module": {}}}', "this is a Terraform state, not a plan", None),
    (b"[" * 200_000, "JSON nested too deeply to be a Terraform plan", None),
    (b"\xff\xfe{}", "not valid UTF-8", 1),
])
def test_input_that_is_not_a_plan_is_refused(tmp_path: Path, content: bytes, message: str, line: int | None) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    found = only_problem(path)
    assert found.message.startswith(message) and found.line == line


@pytest.mark.parametrize(("version", "message", "hint"), [
    ("0.2", "unsupported plan format_version '0.2': residency-scan reads 1.x", "Terraform ≥ 1.1"),
    ("2.0", "unsupported plan format_version '2.0': residency-scan reads 1.x", "newer than this residency-scan"),
    (1.2, "must be a version such as \"1.2\", not '1.2'", "terraform show -json"),
    ("1.x", "must be a version such as \"1.2\", not '1.x'", "terraform show -json"),
])
def test_unsupported_format_versions_are_refused(tmp_path: Path, version: object, message: str, hint: str) -> None:
    found = only_problem(write_plan(tmp_path, [bucket()], format_version=version))
    assert (found.message, found.field) == (message, "format_version")
    assert found.hint is not None and hint in found.hint


def test_every_minor_version_of_format_1_is_read(tmp_path: Path) -> None:
    for version in ("1.0", "1.1", "1.2", "1.37"):
        assert [a.id for a in load(write_plan(tmp_path, [bucket()], format_version=version))[0].assets] == [
            "aws_s3_bucket.b"]


def test_a_plan_terraform_marked_errored_is_refused(tmp_path: Path) -> None:
    found = only_problem(write_plan(tmp_path, [bucket()], errored=True))
    assert found.message == "Terraform reported errors while planning, so this plan is incomplete"


@pytest.mark.parametrize(("changes", "hint"), [
    (None, "an empty plan would pass every check"),
    ([bucket(actions=("delete",))], "1 deleted"),
    ([{**bucket("oci_objectstorage_bucket.a"), "type": "oci_objectstorage_bucket",
       "provider_name": "registry.terraform.io/oracle/oci"}], "registry.terraform.io/oracle/oci: 1"),
])
def test_a_plan_without_located_resources_is_refused(tmp_path: Path, changes: list[dict[str, Any]] | None,
                                                     hint: str) -> None:
    found = only_problem(write_plan(tmp_path, changes))
    assert found.message == "the plan has no AWS, AzureRM or Google Cloud resource that exists after apply"
    assert found.hint is not None and hint in found.hint


def test_wrong_types_are_all_reported_with_their_json_path(tmp_path: Path) -> None:
    no_address = bucket()
    del no_address["address"]
    changes: list[Any] = [
        "aws_s3_bucket.a",
        no_address,
        {**bucket("aws_s3_bucket.c"), "change": {"actions": [], "after": {}}},
        {**bucket("aws_s3_bucket.d"), "change": {"actions": ["create"], "after": ["not", "an", "object"]}},
        bucket("aws_s3_bucket.e", tags="residency:sensitivity=public"),
        bucket("aws_s3_bucket.ok"),
    ]
    found = problems_of(write_plan(tmp_path, changes, configuration={"provider_config": []}))
    assert {(p.field, p.message) for p in found} == {
        ("resource_changes[0]", "must be an object, not text"),
        ("resource_changes[1].address", "is missing"),
        ("resource_changes[2].change.actions", 'must be a non-empty list of actions such as ["create"], not an '
                                               "array"),
        ("resource_changes[3].change.after", "must be an object for a resource that exists after apply, not an "
                                             "array"),
        ("resource_changes[4].change.after.tags", "must be an object of tags, not text"),
        ("configuration.provider_config", "must be an object, not an array"),
    }
    assert all(p.line is None and p.path == str(tmp_path / "plan.json") for p in found)


def test_resource_changes_must_be_an_array(tmp_path: Path) -> None:
    found = only_problem(write_plan(tmp_path, None, resource_changes={"aws_s3_bucket.b": {}}))
    assert (found.field, found.message) == ("resource_changes", "must be an array, not an object")


def test_duplicate_and_unprintable_addresses_are_refused(tmp_path: Path) -> None:
    found = {p.field: p for p in problems_of(write_plan(tmp_path, [bucket(), bucket(),
                                                                  bucket('aws_s3_bucket.x["\x1b[2J"]')]))}
    assert set(found) == {"resource_changes[1].address", "resource_changes[2].address"}
    duplicate, hostile = found["resource_changes[1].address"], found["resource_changes[2].address"]
    assert duplicate.message == "duplicate resource address 'aws_s3_bucket.b'"
    assert duplicate.hint == "first listed at resource_changes[0]"
    assert hostile.message == "'aws_s3_bucket.x[\"\\x1b[2J\"]' contains the control or invisible character '\\x1b'"
    assert "\x1b" not in str(hostile)


def test_a_plan_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    found = only_problem(write_plan(tmp_path, [bucket()] * 50), max_bytes=1000)
    assert "over the limit of 1000 bytes" in found.message


@pytest.mark.parametrize("value", ["eu-west-3\x1b[2J", "x" * 5000, 42, ["eu-west-3"]])
def test_a_hostile_region_value_is_unknown_not_a_crash(tmp_path: Path, value: object) -> None:
    [asset] = load(write_plan(tmp_path, [bucket(region=value)]))[0].assets
    assert region(asset) is None
    assert "is not a region, location or zone name" in (asset.description or "")
    assert "\x1b" not in (asset.description or "")


def test_a_resource_without_configuration_is_unknown(tmp_path: Path) -> None:
    [asset] = load(write_plan(tmp_path, [bucket()]))[0].assets  # no "configuration" at all
    assert region(asset) is None
    assert "configuration has no block for this resource" in (asset.description or "")


# --------------------------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(("address", "path"), [
    ("", ()), ("module.a", ("a",)), ('module.a["x.y"].module.b[0]', ("a", "b")), ("module.a[*]", ("a",)),
    ('module.a["unterminated]', None), ("module.a.aws_s3_bucket.b", None), ("modules.a", None),
])
def test_module_addresses_are_read_without_their_instance_keys(address: str, path: tuple[str, ...] | None) -> None:
    assert module_call_path(address) == path


@pytest.mark.parametrize(("provider", "key"), [
    ("registry.terraform.io/hashicorp/aws", "aws"), ("registry.opentofu.org/hashicorp/azurerm", "azure"),
    ("registry.terraform.io/hashicorp/google-beta", "gcp"), ("registry.terraform.io/oracle/oci", None),
    ("registry.terraform.io/someone/aws", None), ("example.com/hashicorp/aws", None), ("aws", None),
])
def test_only_the_official_providers_are_located(provider: str, key: str | None) -> None:
    assert cloud_provider(provider) == key


def test_describe_skipped_counts_by_provider() -> None:
    skipped = [SkippedResource(f"oci_x.a{i}", "oci_x", "registry.terraform.io/oracle/oci", UNSUPPORTED_PROVIDER)
               for i in range(3)]
    assert describe_skipped(skipped) == ("3 resources of providers residency-scan does not locate, not checked "
                                         "(registry.terraform.io/oracle/oci: 3)")
    assert describe_skipped([]) == ""


def test_ten_thousand_resources_load(tmp_path: Path) -> None:
    changes = [bucket(f'module.tenant["t{i}"].aws_s3_bucket.data', region="eu-west-3",
                      tags={"residency:sensitivity": "internal" if i % 2 else "sensitive"}) for i in range(10_000)]
    for index, change in enumerate(changes):
        change["module_address"] = f'module.tenant["t{index}"]'
    inventory, _ = load(write_plan(tmp_path, changes))
    assert len(inventory.assets) == 10_000
    assert sum(a.sensitivity is Sensitivity.INTERNAL for a in inventory.assets) == 5_000


# --------------------------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    resolvers = build_resolvers(ResolverSettings(offline=True), lambda: NOW)
    return Scanner(resolvers, RuleEngine(default_rule_packs()), clock=lambda: NOW, offline=True)


def test_scanning_a_plan_gives_violations_and_never_passes_an_unknown_region(scanner: Scanner) -> None:
    result = scanner.scan(load(AWS_V6)[0])
    verdicts = {asset.id: asset for asset in result.assets}
    dossiers = verdicts["aws_s3_bucket.dossiers"]  # eu-west-3, tagged sensitive
    assert dossiers.verdict is Outcome.VIOLATION and dossiers.location.countries == ("FR",)
    shuffled = verdicts["aws_s3_bucket.shuffled"]  # region known after apply
    assert shuffled.verdict is Outcome.INDETERMINATE
    assert [e.failure for e in shuffled.evidence if e.source == "cloud-regions"] == [
        "Amazon Web Services region unknown: the resource's region attribute is known after apply"]
    assert "known after apply" in shuffled.location.reason
    assert result.summary.compliant == 0


def test_scanning_other_providers_locates_zones_and_display_names(scanner: Scanner) -> None:
    azure = {a.id: a for a in scanner.scan(load(AZURE)[0]).assets}
    assert azure["azurerm_resource_group.sante"].location.countries == ("FR",)  # "France Central"
    assert azure["azurerm_subnet.app"].verdict is Outcome.INDETERMINATE
    google = {a.id: a for a in scanner.scan(load(GOOGLE)[0]).assets}
    assert google["google_compute_instance.vm"].location.countries == ("BE",)  # zone europe-west1-b
    assert google["google_storage_bucket.multi"].verdict is Outcome.INDETERMINATE  # multi-region "EU"


def test_resources_of_other_providers_are_not_in_the_scan(scanner: Scanner) -> None:
    inventory, loader = load(AWS_V5)
    result = scanner.scan(inventory)
    assert "oci_objectstorage_bucket.archive" not in {a.id for a in result.assets}
    assert any(s.address == "oci_objectstorage_bucket.archive" and s.reason == UNSUPPORTED_PROVIDER
               for s in loader.skipped)
    verdicts = {a.id: a.verdict for a in result.assets}
    assert verdicts["aws_kms_key.audit"] is Outcome.INDETERMINATE  # computed provider region
    assert verdicts["aws_iam_role.app"] is Outcome.INDETERMINATE  # global service
    assert verdicts["aws_cloudwatch_log_group.audit"] is Outcome.NOT_APPLICABLE  # internal
