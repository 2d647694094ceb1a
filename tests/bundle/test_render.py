"""Reading bundles back and re-rendering them offline."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from residency_scan.bundle import load_bundle, render_from_bundle, write_bundle
from residency_scan.bundle.layout import BundleFile
from residency_scan.bundle.writer import bundle_files
from residency_scan.errors import InputError
from residency_scan.reports import ReportFormat
from tests.bundle.helpers import Scanned, flip_byte, forge, write_dir
from tests.reports.factories import hostile_scan_result


def test_loaded_bundle_gives_back_result_inputs_and_renderings(bundle_zip: Path, ministere: Scanned) -> None:
    bundle = load_bundle(bundle_zip)
    assert bundle.result == ministere.result
    assert bundle.inventory == BundleFile("inventory/ministere-exemple.yaml", ministere.inventory.read_bytes())
    assert [p.name for p in bundle.rule_packs] == ["rules/decree-2-24-921.yaml", "rules/law-05-20.yaml",
                                                   "rules/law-09-08.yaml"]
    assert bundle.rule_packs[0].data == ministere.pack_paths[0].read_bytes()
    assert bundle.renderings == {"report.txt": b"rendered at scan time\n"}
    assert bundle.waivers == ()
    assert hashlib.sha256(bundle_zip.read_bytes()).hexdigest() != bundle.manifest_sha256


@pytest.mark.parametrize("kind", ["dir", "zip"])
def test_json_rendering_equals_the_recorded_result(kind: str, bundle_dir: Path, bundle_zip: Path) -> None:
    bundle = bundle_dir if kind == "dir" else bundle_zip
    rendered = render_from_bundle(bundle, ReportFormat.JSON)
    assert isinstance(rendered, str)
    assert rendered.encode("utf-8") == (bundle_dir / "result.json").read_bytes()


def test_console_rendering_works_offline(bundle_zip: Path, ministere: Scanned) -> None:
    rendered = render_from_bundle(bundle_zip, "console", color=False, width=120, lang="fr")
    assert isinstance(rendered, str)
    for asset in ministere.result.assets:
        assert asset.id in rendered
    assert "\x1b[" not in rendered


def test_every_format_renders_from_a_bundle(bundle_dir: Path) -> None:
    for fmt in ReportFormat:
        assert render_from_bundle(bundle_dir, fmt)


def test_unknown_format_or_option_fails_before_reading(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not-a-format"):
        render_from_bundle(tmp_path / "missing", "not-a-format")
    with pytest.raises(TypeError, match="colour"):
        render_from_bundle(tmp_path / "missing", "console", colour=True)


def test_hostile_strings_survive_the_round_trip_byte_for_byte(tmp_path: Path) -> None:
    hostile = hostile_scan_result()
    inventory, pack = BundleFile("inv.yaml", b"version: 1\n"), BundleFile("p.yaml", b"pack: {}\n")
    result = hostile.model_copy(update={
        "inventory": hostile.inventory.model_copy(update={"sha256": hashlib.sha256(inventory.data).hexdigest()}),
        "rule_packs": (hostile.rule_packs[0].model_copy(update={"sha256": hashlib.sha256(pack.data).hexdigest()}),),
    })
    files = bundle_files(inventory=inventory, rule_packs=[pack], result=result, renderings={})
    bundle = write_dir(tmp_path / "hostile", files)
    loaded = load_bundle(bundle)
    assert loaded.result == result
    rendered = render_from_bundle(bundle, "json")
    assert isinstance(rendered, str) and rendered.encode("utf-8") == files["result.json"]


def test_a_bundle_that_does_not_verify_is_not_loaded(bundle_dir: Path) -> None:
    flip_byte(bundle_dir / "result.json")
    with pytest.raises(InputError) as caught:
        load_bundle(bundle_dir)
    assert [p.field for p in caught.value.problems] == ["result.json"]
    with pytest.raises(InputError):
        render_from_bundle(bundle_dir, "json")


def test_a_result_of_another_schema_version_is_a_clear_error(tmp_path: Path, ministere: Scanned) -> None:
    files = ministere.files()
    files["result.json"] = files["result.json"].replace(b'"schema_version": "1.1"', b'"schema_version": "9.0"', 1)
    files["manifest.json"] = files["manifest.json"].replace(b'"schema_version": "1.1"', b'"schema_version": "9.0"')
    bundle = write_dir(tmp_path / "future", forge(files))
    with pytest.raises(InputError) as caught:
        load_bundle(bundle)
    (problem,) = caught.value.problems
    assert problem.field == "result.json"
    assert "schema_version 9.0 is not the one this residency-scan reads (1.1)" in problem.message
    assert problem.hint == "use the version that wrote it (residency-scan 0.1.0)"


def test_a_result_that_does_not_match_the_schema_is_a_clear_error(tmp_path: Path, ministere: Scanned) -> None:
    files = ministere.files()
    files["result.json"] = files["result.json"].replace(b'"offline": true', b'"offline": "maybe"', 1)
    bundle = write_dir(tmp_path / "odd", forge(files))
    with pytest.raises(InputError, match=r"offline: Input should be a valid boolean"):
        load_bundle(bundle)


def test_waivers_are_bundled_and_read_back(tmp_path: Path, ministere: Scanned) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers: []\n")
    bundle = write_bundle(tmp_path / "b.zip", inventory_path=ministere.inventory,
                          rule_pack_paths=ministere.pack_paths, result=ministere.result, renderings={},
                          waiver_paths=[waivers, waivers])
    loaded = load_bundle(bundle)
    assert [w.name for w in loaded.waivers] == ["waivers/waivers.yaml", "waivers/waivers-2.yaml"]
    assert all(w.data == b"waivers: []\n" for w in loaded.waivers)
