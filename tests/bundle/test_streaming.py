"""The bundle follows the scan asset by asset, and result.json is checked one asset at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from residency_scan.bundle import replay_bundle, verify_bundle, write_bundle
from residency_scan.bundle.coherence import iter_result
from residency_scan.bundle.writer import BundleWriter
from residency_scan.inventory import load_inventory
from residency_scan.models import AssetResult
from residency_scan.reports.json import AssetSpool
from residency_scan.rules import RuleEngine, default_rule_packs
from residency_scan.scan import ResolverSettings, ScanClock, Scanner, build_resolvers, reproducible_time
from tests.bundle.helpers import MINISTERE, Scanned, forge, write_dir


def test_streamed_bundle_equals_the_one_written_from_a_whole_result(tmp_path: Path, ministere: Scanned) -> None:
    packs = default_rule_packs()
    clock = ScanClock()
    scanner = Scanner(build_resolvers(ResolverSettings(offline=True), clock), RuleEngine(packs), clock=clock,
                      offline=True)
    clock.pin(reproducible_time(scanner.data_sources()))
    inventory = load_inventory(MINISTERE)
    with BundleWriter(tmp_path / "streamed.zip", inventory=MINISTERE, rule_packs=[p.path for p in packs],
                      asset_count=len(inventory.assets)) as writer:
        header = scanner.scan(inventory, on_asset=writer.add)
        assert header.assets == ()
        writer.finish(header, {"report.txt": "x"})
    whole = write_bundle(tmp_path / "whole.zip", inventory_path=MINISTERE, rule_pack_paths=ministere.pack_paths,
                         result=ministere.result, renderings={"report.txt": "x"})
    assert (tmp_path / "streamed.zip").read_bytes() == whole.read_bytes()


def test_unfinished_writer_leaves_nothing_behind(tmp_path: Path, ministere: Scanned) -> None:
    with pytest.raises(RuntimeError, match="scan interrupted"), BundleWriter(
            tmp_path / "b.zip", inventory=MINISTERE, rule_packs=ministere.pack_paths, asset_count=13) as writer:
        writer.add(ministere.result.assets[0])
        raise RuntimeError("scan interrupted")
    assert list(tmp_path.iterdir()) == []


def test_writer_refuses_more_or_fewer_assets_than_announced(tmp_path: Path, ministere: Scanned) -> None:
    with BundleWriter(tmp_path / "b", inventory=MINISTERE, rule_packs=ministere.pack_paths,
                      asset_count=1) as writer:
        writer.add(ministere.result.assets[0])
        with pytest.raises(ValueError, match="more assets than the 1 announced"):
            writer.add(ministere.result.assets[1])
    with (BundleWriter(tmp_path / "c", inventory=MINISTERE, rule_packs=ministere.pack_paths,
                       asset_count=20) as writer,
          pytest.raises(ValueError, match="13 assets were added, 20 were announced")):
        writer.finish(ministere.result)
    assert list(tmp_path.iterdir()) == []


def test_replay_can_stream_its_result(bundle_zip: Path, bundle_dir: Path) -> None:
    seen: list[AssetResult] = []
    with AssetSpool() as spool:
        def keep(asset: AssetResult) -> None:
            seen.append(asset)
            spool.add(asset)

        header = replay_bundle(bundle_zip, on_asset=keep)
        assert header.assets == ()
        out = bundle_dir.parent / "replayed.json"
        with out.open("wb") as stream:
            spool.write_document(header, stream)
    assert out.read_bytes() == (bundle_dir / "result.json").read_bytes()
    assert len(seen) == 13


def test_result_written_differently_but_equal_still_verifies(tmp_path: Path, ministere: Scanned) -> None:
    """Coherence compares values, not bytes: a compact result.json that says the same thing is coherent."""
    files = ministere.files()
    files["result.json"] = json.dumps(json.loads(files["result.json"]), separators=(",", ":")).encode()
    report = verify_bundle(write_dir(tmp_path / "compact", forge(files)))
    assert report.ok, report.problems


def test_result_with_fewer_assets_than_evidence_files_is_incoherent(tmp_path: Path, ministere: Scanned) -> None:
    files = ministere.files()
    document = json.loads(files["result.json"])
    document["assets"] = document["assets"][:-1]
    files["result.json"] = json.dumps(document).encode()
    report = verify_bundle(write_dir(tmp_path / "short", forge(files)))
    assert any(p.field == "result.json" and "has 12 assets but the bundle holds 13" in p.message
               for p in report.problems)


@pytest.mark.parametrize("text", [
    '{}', '{"assets": []}', ' {"a": 1, "assets": [ {"b": [1, 2]} , 3 ], "c": {"assets": [9]}} \n',
    '{"assets": 5}', '{"x":"\\u00e9\\"}", "assets": [[], {}, "]"]}',
])
def test_iter_result_reads_what_json_loads_reads(text: str) -> None:
    pairs = list(iter_result(text))
    expected = json.loads(text)
    items = expected.pop("assets") if isinstance(expected.get("assets"), list) else []
    assert [value for key, value in pairs if key is None] == items
    assert {key: value for key, value in pairs if key is not None} == expected


@pytest.mark.parametrize("text", ["", "[]", "{", '{"a" 1}', '{"a": 1,}', '{"assets": [1,]}', '{"a": 1} x',
                                  '{1: 2}', '{"assets": [1 2]}', "[" * 100_000])
def test_iter_result_refuses_what_is_not_one_object(text: str) -> None:
    with pytest.raises((ValueError, RecursionError)):
        list(iter_result(text))
