"""Writing bundles: layout, hashes that `sha256sum` agrees with, determinism, and refusals."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from residency_scan.bundle import BundleFile, bundle_files, check_bundle_target, verify_bundle, write_bundle
from residency_scan.bundle.layout import FORMAT, is_safe_path, safe_file_name, unique_names
from residency_scan.errors import ScanFailure, UsageError
from residency_scan.reports.json import JsonReporter
from tests.bundle.helpers import Scanned, scan_offline
from tests.reports.factories import hostile_scan_result

SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


def test_directory_bundle_holds_inputs_evidence_result_and_manifest(bundle_dir: Path, ministere: Scanned) -> None:
    names = sorted(p.relative_to(bundle_dir).as_posix() for p in bundle_dir.rglob("*") if p.is_file())
    assets = ministere.result.assets
    assert names == sorted([
        "datasets.json", "inventory/ministere-exemple.yaml", "manifest.json", "manifest.sha256", "report.txt",
        "result.json", "rules/decree-2-24-921.yaml", "rules/law-05-20.yaml", "rules/law-09-08.yaml",
        *(f"evidence/{i:04d}-{a.id}.json" for i, a in enumerate(assets, start=1)),
    ])
    assert (bundle_dir / "inventory/ministere-exemple.yaml").read_bytes() == ministere.inventory.read_bytes()
    assert (bundle_dir / "rules/decree-2-24-921.yaml").read_bytes() == ministere.pack_paths[0].read_bytes()
    assert (bundle_dir / "result.json").read_text("utf-8") == JsonReporter().render(ministere.result)


def test_every_evidence_item_is_kept_with_its_raw_answer(bundle_dir: Path, ministere: Scanned) -> None:
    result = json.loads((bundle_dir / "result.json").read_bytes())
    for index, asset in enumerate(ministere.result.assets, start=1):
        document = json.loads((bundle_dir / f"evidence/{index:04d}-{asset.id}.json").read_bytes())
        assert document["asset"] == asset.id
        assert document["evidence"] == result["assets"][index - 1]["evidence"]
        assert len(document["evidence"]) == len(asset.evidence) > 0
    assert json.loads((bundle_dir / "datasets.json").read_bytes()) == result["data_sources"]


def test_manifest_lists_every_other_file_with_hash_and_size(bundle_dir: Path, ministere: Scanned) -> None:
    manifest = json.loads((bundle_dir / "manifest.json").read_bytes())
    assert manifest["format"] == FORMAT
    assert manifest["created"] == json.loads((bundle_dir / "result.json").read_bytes())["generated_at"]
    assert manifest["schema_version"] == ministere.result.schema_version
    on_disk = {p.relative_to(bundle_dir).as_posix() for p in bundle_dir.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == on_disk - {"manifest.json", "manifest.sha256"}
    assert list(manifest["files"]) == sorted(manifest["files"])
    for path, entry in manifest["files"].items():
        data = (bundle_dir / path).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert manifest["contents"]["inventory"] == "inventory/ministere-exemple.yaml"
    assert manifest["contents"]["reports"] == ["report.txt"]


def test_manifest_hash_is_checked_by_sha256sum(bundle_dir: Path) -> None:
    checked = subprocess.run(["sha256sum", "--check", "--strict", "manifest.sha256"], cwd=bundle_dir,
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "manifest.json: OK"


def test_zip_holds_the_same_files_as_the_directory(bundle_dir: Path, bundle_zip: Path) -> None:
    with zipfile.ZipFile(bundle_zip) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.external_attr >> 16 == 0o100644
            assert archive.read(info) == (bundle_dir / info.filename).read_bytes()
    assert len(infos) == sum(1 for p in bundle_dir.rglob("*") if p.is_file())


def test_two_zips_of_the_same_result_are_byte_identical(tmp_path: Path, ministere: Scanned) -> None:
    def write(name: str) -> bytes:
        return write_bundle(tmp_path / name, inventory_path=ministere.inventory,
                            rule_pack_paths=ministere.pack_paths, result=ministere.result,
                            renderings={"report.html": "<html></html>"}).read_bytes()

    first, second = write("a.zip"), write("b.zip")
    assert first == second
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(write("c.ZIP")).hexdigest()


def test_a_rescan_gives_the_same_zip(tmp_path: Path, ministere: Scanned) -> None:
    again = scan_offline(ministere.inventory)
    a = write_bundle(tmp_path / "a.zip", inventory_path=ministere.inventory, rule_pack_paths=ministere.pack_paths,
                     result=ministere.result, renderings={})
    b = write_bundle(tmp_path / "b.zip", inventory_path=again.inventory, rule_pack_paths=again.pack_paths,
                     result=again.result, renderings={})
    assert a.read_bytes() == b.read_bytes()


def test_non_empty_directory_is_refused_and_left_alone(tmp_path: Path, ministere: Scanned) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty"):
        check_bundle_target(target)
    with pytest.raises(ScanFailure, match="not empty"):
        write_bundle(target, inventory_path=ministere.inventory, rule_pack_paths=ministere.pack_paths,
                     result=ministere.result, renderings={})
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def test_empty_directory_and_missing_parents_are_fine(tmp_path: Path, ministere: Scanned) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for target in (empty, tmp_path / "new" / "deeper" / "bundle", tmp_path / "new" / "b.zip"):
        write_bundle(target, inventory_path=ministere.inventory, rule_pack_paths=ministere.pack_paths,
                     result=ministere.result, renderings={})
        assert verify_bundle(target).ok
    assert sorted(p.name for p in tmp_path.rglob(".*")) == []  # no temporary left behind


def test_existing_zip_is_replaced(tmp_path: Path, ministere: Scanned) -> None:
    target = tmp_path / "b.zip"
    target.write_bytes(b"old")
    write_bundle(target, inventory_path=ministere.inventory, rule_pack_paths=ministere.pack_paths,
                 result=ministere.result, renderings={})
    assert zipfile.is_zipfile(target) and verify_bundle(target).ok


@pytest.mark.parametrize("kind", ["file", "dir-named-zip"])
def test_target_of_the_wrong_kind_is_refused(tmp_path: Path, kind: str) -> None:
    target = tmp_path / ("plain" if kind == "file" else "x.zip")
    if kind == "file":
        target.write_text("x")
    else:
        target.mkdir()
    with pytest.raises(UsageError):
        check_bundle_target(target)


def test_unwritable_target_is_a_scan_failure_naming_it(tmp_path: Path, ministere: Scanned) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a directory should be")
    with pytest.raises(ScanFailure, match="blocker"):
        write_bundle(blocker / "b.zip", inventory_path=ministere.inventory, rule_pack_paths=ministere.pack_paths,
                     result=ministere.result, renderings={})


def test_inventory_edited_since_the_scan_is_refused(tmp_path: Path, ministere: Scanned) -> None:
    edited = tmp_path / "ministere-exemple.yaml"
    edited.write_bytes(ministere.inventory.read_bytes() + b"# edited\n")
    with pytest.raises(ScanFailure, match="not the inventory that was scanned"):
        write_bundle(tmp_path / "b", inventory_path=edited, rule_pack_paths=ministere.pack_paths,
                     result=ministere.result, renderings={})
    assert not (tmp_path / "b").exists()


def test_rule_packs_must_be_those_the_scan_used(tmp_path: Path, ministere: Scanned) -> None:
    other = tmp_path / "other.yaml"
    other.write_bytes(ministere.pack_paths[0].read_bytes() + b"\n# changed\n")
    with pytest.raises(ScanFailure, match="not one of the rule packs"):
        write_bundle(tmp_path / "b", inventory_path=ministere.inventory, rule_pack_paths=[other],
                     result=ministere.result, renderings={})
    with pytest.raises(ScanFailure, match=r"missing: shipped:decree-2-24-921\.yaml"):
        write_bundle(tmp_path / "b", inventory_path=ministere.inventory, rule_pack_paths=[],
                     result=ministere.result, renderings={})


def test_missing_input_file_is_a_scan_failure(tmp_path: Path, ministere: Scanned) -> None:
    with pytest.raises(ScanFailure, match=r"gone\.yaml"):
        write_bundle(tmp_path / "b", inventory_path=tmp_path / "gone.yaml", rule_pack_paths=ministere.pack_paths,
                     result=ministere.result, renderings={})


@pytest.mark.parametrize("name", ["manifest.json", "result.json", "Result.JSON", "../x.html", "a/b.html",
                                  ".hidden", "evidence", ""])
def test_rendering_names_that_could_clash_are_refused(ministere: Scanned, name: str) -> None:
    with pytest.raises(ValueError, match="cannot name a rendering"):
        ministere.files({name: "x"})


def test_hostile_names_become_safe_unique_file_names(tmp_path: Path) -> None:
    hostile = hostile_scan_result()
    inventory = BundleFile("../../\x1b[2J.inv\u202e.yaml", b"version: 1\n")
    rules = [BundleFile("/etc/pack.yaml", b"rules: a"), BundleFile("C:\\pack.yaml", b"rules: b")]
    result = hostile.model_copy(update={
        "inventory": hostile.inventory.model_copy(update={"sha256": hashlib.sha256(inventory.data).hexdigest()}),
        "rule_packs": tuple(p.model_copy(update={"sha256": hashlib.sha256(r.data).hexdigest()})
                            for p, r in zip(hostile.rule_packs * 2, rules, strict=True)),
    })
    files = bundle_files(inventory=inventory, rule_packs=rules, result=result, renderings={})
    for path in files:
        assert is_safe_path(path), path
        assert all(SAFE_NAME.fullmatch(part) and len(part) <= 100 for part in path.split("/")), path
    assert len({p.lower() for p in files}) == len(files)
    evidence = sorted(p for p in files if p.startswith("evidence/"))
    assert len(evidence) == len(result.assets)
    assert next(p for p in files if p.startswith("inventory/")).endswith(".yaml")
    for data in files.values():  # inert when an auditor runs `cat`
        assert b"\x1b" not in data and "\u202e".encode() not in data and b"\xc2\x9b" not in data


def test_safe_file_name_keeps_the_suffix_and_caps_the_length() -> None:
    assert safe_file_name("inventaire ministère.yaml", fallback="x") == "inventaire_minist_re.yaml"
    assert safe_file_name("...yaml", fallback="inventory") == "yaml"
    assert safe_file_name(".env", fallback="inventory") == "env"
    assert safe_file_name("\u202e.csv", fallback="inventory") == "inventory.csv"
    long = safe_file_name("a" * 500 + ".csv", fallback="x")
    assert len(long) == 100 and long.endswith(".csv")
    assert unique_names(["p.yaml", "P.yaml", "p.yaml"]) == ["p.yaml", "P-2.yaml", "p-3.yaml"]
