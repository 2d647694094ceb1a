"""Replay: the recorded evidence judged again, by the same or updated rules, without the network."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from residency_scan.bundle import (
    BundleWriter,
    InventoryReading,
    RecordedEvidenceResolver,
    load_bundle,
    replay_bundle,
    replay_inventory,
    replay_loaded,
    verify_bundle,
    write_bundle,
)
from residency_scan.errors import InputError, RuleFileError
from residency_scan.inventory import load_inventory
from residency_scan.inventory.terraform_plan import TerraformPlanInventory
from residency_scan.models import LocationStatus, Outcome, ScanResult
from residency_scan.reports.json import JsonReporter
from residency_scan.rules import RuleEngine, default_rule_packs, shipped_rules_dir
from residency_scan.scan import ResolverSettings, ScanClock, Scanner, build_resolvers, reproducible_time
from tests.bundle.helpers import MINISTERE, Scanned, forge, scan_hospital_csv, write_dir

FR_ASSET = "sauvegardes-s3"  # AWS eu-west-3 (Paris), declared MA


@pytest.fixture
def no_network(loopback_only: list[Any]) -> list[Any]:
    """The attempts to reach beyond loopback (conftest.py refuses them for every test; replays say so)."""
    return loopback_only


def verdicts(result: ScanResult) -> dict[str, Outcome]:
    return {asset.id: asset.verdict for asset in result.assets}


def relaxed_pack(tmp_path: Path) -> Path:
    """The shipped pack, except that France counts as Morocco: what an updated (bad) rule could say."""
    text = (shipped_rules_dir() / "decree-2-24-921.yaml").read_text("utf-8")
    assert text.count("country-in: {countries: [MA]}") == 2
    relaxed = tmp_path / "relaxed.yaml"
    relaxed.write_text(text.replace("country-in: {countries: [MA]}", "country-in: {countries: [MA, FR]}"), "utf-8")
    return relaxed


def test_replay_with_the_same_rules_gives_the_same_result_byte_for_byte(bundle_zip: Path, bundle_dir: Path,
                                                                        no_network: list[Any]) -> None:
    replayed = replay_bundle(bundle_zip)
    assert JsonReporter().render(replayed).encode("utf-8") == (bundle_dir / "result.json").read_bytes()
    assert no_network == []


def test_replay_with_the_shipped_pack_by_name_keeps_every_verdict(bundle_dir: Path, ministere: Scanned) -> None:
    replayed = replay_bundle(bundle_dir, ["decree-2-24-921", "law-05-20", "law-09-08"])
    assert verdicts(replayed) == verdicts(ministere.result)
    assert [a.findings for a in replayed.assets] == [a.findings for a in ministere.result.assets]
    assert replayed.rule_packs == ministere.result.rule_packs


def test_replay_with_an_updated_pack_changes_the_french_asset(tmp_path: Path, bundle_zip: Path,
                                                             ministere: Scanned, no_network: list[Any]) -> None:
    before = verdicts(ministere.result)
    assert before[FR_ASSET] is Outcome.VIOLATION
    replayed = replay_bundle(bundle_zip, [relaxed_pack(tmp_path)])
    # Declared MA, authoritative FR: contradicted, which the relaxed rule can no longer call a violation.
    assert verdicts(replayed) == {**before, FR_ASSET: Outcome.INDETERMINATE}
    asset = next(a for a in replayed.assets if a.id == FR_ASSET)
    assert asset.location.countries == ("FR",)
    assert asset.evidence == next(a for a in ministere.result.assets if a.id == FR_ASSET).evidence
    assert replayed.rule_packs[0].path == str(tmp_path / "relaxed.yaml")
    assert replayed.rule_packs[0].sha256 != ministere.result.rule_packs[0].sha256
    assert no_network == []


def test_replay_keeps_the_recorded_time_datasets_and_evidence(bundle_dir: Path, ministere: Scanned) -> None:
    replayed = replay_bundle(bundle_dir)
    recorded = ministere.result
    assert replayed.generated_at == recorded.generated_at
    assert replayed.data_sources == recorded.data_sources
    assert replayed.inventory == recorded.inventory
    assert [a.evidence for a in replayed.assets] == [a.evidence for a in recorded.assets]
    assert [a.source for a in replayed.assets] == [a.source for a in recorded.assets]


def test_replay_of_a_csv_inventory_keeps_the_recorded_entity(tmp_path: Path) -> None:
    hospital = scan_hospital_csv()
    bundle = write_bundle(tmp_path / "chu.zip", inventory_path=hospital.inventory,
                          rule_pack_paths=hospital.pack_paths, result=hospital.result, renderings={})
    replayed = replay_bundle(bundle)
    assert replayed.inventory.entity.name == "CHU Exemple"
    assert JsonReporter().render(replayed) == JsonReporter().render(hospital.result)


def test_replay_refuses_a_bundle_that_does_not_verify(bundle_dir: Path) -> None:
    (bundle_dir / "rules" / "decree-2-24-921.yaml").write_text("rules: []\n")
    with pytest.raises(InputError) as caught:
        replay_bundle(bundle_dir)
    assert "rules/decree-2-24-921.yaml" in {p.field for p in caught.value.problems}


def test_replay_with_broken_rules_names_the_users_file(tmp_path: Path, bundle_dir: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("pack: {id: x}\n")
    with pytest.raises(RuleFileError) as caught:
        replay_bundle(bundle_dir, [broken])
    assert all(p.path == str(broken) for p in caught.value.problems)


def test_bundled_inventory_that_no_longer_loads_is_named_inside_the_bundle(tmp_path: Path,
                                                                             ministere: Scanned) -> None:
    """A forged (re-hashed) bundle whose inventory does not parse: the error names the bundle's file."""
    files = ministere.files()
    inventory = "inventory/ministere-exemple.yaml"
    files[inventory] = b"version: 1\nassets: [\n"
    files["result.json"] = files["result.json"].replace(
        ministere.result.inventory.sha256.encode(), hashlib.sha256(files[inventory]).hexdigest().encode())
    bundle = write_dir(tmp_path / "forged", forge(files))
    with pytest.raises(InputError) as caught:
        replay_bundle(bundle)
    assert {p.path for p in caught.value.problems} == {f"{bundle}/{inventory}"}


# ------------------------------------------------------------------------------- the resolver alone


def test_asset_without_recorded_evidence_is_unknown_never_a_pass(ministere: Scanned) -> None:
    recorded = ministere.result
    kept = tuple(a for a in recorded.assets if a.id != "portail-citoyens")
    assert next(a for a in recorded.assets if a.id == "portail-citoyens").verdict is Outcome.COMPLIANT
    partial = recorded.model_copy(update={"assets": kept})
    result = Scanner([RecordedEvidenceResolver(partial)], RuleEngine(default_rule_packs())).scan(
        load_inventory(MINISTERE))
    asset = next(a for a in result.assets if a.id == "portail-citoyens")
    assert asset.verdict is Outcome.INDETERMINATE
    assert asset.location.status is LocationStatus.UNKNOWN
    assert "no evidence was recorded for this asset" in asset.location.reason
    assert [e.source for e in asset.evidence] == ["recorded"]
    assert verdicts(result) == {**verdicts(recorded), "portail-citoyens": Outcome.INDETERMINATE}


def test_evidence_about_another_target_is_not_reused(tmp_path: Path, ministere: Scanned) -> None:
    """Same asset id, new address: the recorded evidence proves nothing about it."""
    moved = tmp_path / "moved.yaml"
    moved.write_text(MINISTERE.read_text("utf-8").replace("target: 41.248.12.10", "target: 41.248.12.11"), "utf-8")
    result = Scanner([RecordedEvidenceResolver(ministere.result)], RuleEngine(default_rule_packs())).scan(
        load_inventory(moved))
    asset = next(a for a in result.assets if a.id == "portail-citoyens")
    assert asset.verdict is Outcome.INDETERMINATE
    assert "about a different target" in asset.location.reason
    others = {k: v for k, v in verdicts(result).items() if k != "portail-citoyens"}
    assert others == {k: v for k, v in verdicts(ministere.result).items() if k != "portail-citoyens"}


def test_recorded_resolver_hands_back_evidence_unchanged(ministere: Scanned) -> None:
    resolver = RecordedEvidenceResolver(ministere.result)
    inventory = load_inventory(MINISTERE)
    gathered = resolver.resolve_all(inventory.assets)
    assert gathered == {a.id: list(a.evidence) for a in ministere.result.assets}
    assert tuple(resolver.data_sources()) == ministere.result.data_sources
    assert resolver.name == "recorded"


def test_loaded_bundle_replays_like_the_path(bundle_dir: Path) -> None:
    assert replay_loaded(load_bundle(bundle_dir)) == replay_bundle(bundle_dir)


# ------------------------------------------------------------------------------- how the inventory was read

PLANS = Path(__file__).resolve().parents[1] / "assets" / "terraform"


def scan_plan(plan: Path, reading: InventoryReading) -> ScanResult:
    mapping = reading.sensitivity_map
    assert mapping is None or isinstance(mapping, Path)
    inventory = TerraformPlanInventory(plan, sensitivity_tags=reading.sensitivity_tags, sensitivity_map=mapping).load()
    clock = ScanClock()
    scanner = Scanner(build_resolvers(ResolverSettings(offline=True), clock), RuleEngine(default_rule_packs()),
                      clock=clock, offline=True)
    clock.pin(reproducible_time(scanner.data_sources()))
    return scanner.scan(inventory)


def test_terraform_plan_with_a_sensitivity_map_replays_identically(tmp_path: Path) -> None:
    plan = PLANS / "aws-v5-aliases-modules.json"
    reading = InventoryReading(source="terraform-plan", sensitivity_map=PLANS / "sensitivity.yaml")
    result = scan_plan(plan, reading)
    without_map = scan_plan(plan, InventoryReading(source="terraform-plan"))
    assert [a.sensitivity for a in result.assets] != [a.sensitivity for a in without_map.assets]
    bundle = write_bundle(tmp_path / "plan.zip", inventory_path=plan, rule_pack_paths=[p.path for p in
                          default_rule_packs()], result=result, renderings={}, reading=reading)
    loaded = load_bundle(bundle)
    assert loaded.manifest.reading.source == "terraform-plan"
    assert loaded.sensitivity_map is not None
    assert loaded.sensitivity_map.name == "inventory/sensitivity.yaml"
    assert JsonReporter().render(replay_bundle(bundle)) == JsonReporter().render(result)


def test_custom_sensitivity_tags_are_replayed(tmp_path: Path) -> None:
    inventory = tmp_path / "tagged.yaml"
    inventory.write_text("version: 1\nentity: {name: E, type: eiv}\nassets:\n"
                         "  - {id: a, kind: server, target: 41.248.12.10, tags: {classification: public}}\n", "utf-8")
    tags = ("classification",)
    packs = default_rule_packs()
    clock = ScanClock()
    scanner = Scanner(build_resolvers(ResolverSettings(offline=True), clock), RuleEngine(packs), clock=clock,
                      offline=True)
    result = scanner.scan(load_inventory(inventory, sensitivity_tags=tags))
    assert result.assets[0].sensitivity.value == "public"
    assert load_inventory(inventory).assets[0].sensitivity.value == "sensitive"  # what a default read gives
    bundle = write_bundle(tmp_path / "b", inventory_path=inventory, rule_pack_paths=[p.path for p in packs],
                          result=result, renderings={}, reading=InventoryReading(sensitivity_tags=tags))
    assert replay_bundle(bundle).assets[0].sensitivity.value == "public"
    assert replay_bundle(bundle) == result


def test_reading_that_cannot_be_replayed_is_refused_when_writing(tmp_path: Path, ministere: Scanned) -> None:
    for reading in (InventoryReading(source="ldap"), InventoryReading(sensitivity_map=PLANS / "sensitivity.yaml"),
                    InventoryReading(sensitivity_tags=())):
        with pytest.raises(ValueError, match=r"source|Terraform|sensitivity tags"):
            write_bundle(tmp_path / "b", inventory_path=ministere.inventory, rule_pack_paths=ministere.pack_paths,
                         result=ministere.result, renderings={}, reading=reading)
    assert list(tmp_path.iterdir()) == []


def test_a_replay_can_be_bundled_again_from_the_bundle_alone(tmp_path: Path, bundle_zip: Path,
                                                            bundle_dir: Path) -> None:
    """What `scan --replay OLD --bundle NEW` does: every input comes from the old bundle."""
    old = load_bundle(bundle_zip)
    inventory = replay_inventory(old)
    with BundleWriter(tmp_path / "again.zip", inventory=old.inventory, rule_packs=old.rule_packs,
                      asset_count=len(inventory.assets), reading=old.inventory_reading) as writer:
        header = replay_loaded(old, inventory=inventory, on_asset=writer.add)
        new = writer.finish(header)
    assert verify_bundle(new).ok
    assert load_bundle(new).result_json == (bundle_dir / "result.json").read_bytes()


def test_a_replayed_terraform_bundle_keeps_its_reading_when_bundled_again(tmp_path: Path) -> None:
    plan = PLANS / "aws-v5-aliases-modules.json"
    reading = InventoryReading(source="terraform-plan", sensitivity_tags=("classification", "residency:sensitivity"),
                               sensitivity_map=PLANS / "sensitivity.yaml")
    first = write_bundle(tmp_path / "first", inventory_path=plan, rule_pack_paths=[p.path for p in
                         default_rule_packs()], result=scan_plan(plan, reading), renderings={}, reading=reading)
    old = load_bundle(first)
    second = write_bundle(tmp_path / "second", inventory_path=old.inventory, rule_pack_paths=old.rule_packs,
                          result=replay_loaded(old), renderings={}, reading=old.inventory_reading)
    assert (second / "manifest.json").read_bytes() == (first / "manifest.json").read_bytes()
