"""load_inventory: the format comes from the extension, and the file itself is checked before its content."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from residency_scan.errors import InventoryError
from residency_scan.inventory import CsvInventory, YamlInventory, inventory_source, load_inventory
from residency_scan.models import Sensitivity
from tests.inventory.helpers import ASSETS, asset_yaml, problem, write


@pytest.mark.parametrize(
    ("name", "reader"),
    [("a.yaml", YamlInventory), ("a.YML", YamlInventory), ("a.csv", CsvInventory), ("a.Csv", CsvInventory)],
)
def test_reader_is_chosen_by_extension(name: str, reader: type) -> None:
    assert isinstance(inventory_source(Path(name)), reader)


@pytest.mark.parametrize(
    ("name", "shown"), [("inventory.json", "'.json'"), ("inventory", "without an extension")]
)
def test_unknown_extension_is_refused_with_a_hint(tmp_path: Path, name: str, shown: str) -> None:
    found = problem(tmp_path, "{}", name)
    assert found.message == f"inventory file {shown} is not a format residency-scan reads"
    assert found.hint == "use a .yaml, .yml or .csv file"


def test_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = write(tmp_path, "big.yaml", asset_yaml("  - {id: a, kind: server, target: a.ma}") + "#" * 5000)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path, max_bytes=1000)
    (found,) = caught.value.problems
    assert "over the limit of 1000 bytes" in found.message
    assert found.hint is not None and "--max-input-size" in found.hint
    assert load_inventory(path, max_bytes=100_000).assets[0].id == "a"


def test_huge_csv_is_refused_too(tmp_path: Path) -> None:
    path = write(tmp_path, "big.csv", "id,kind,target\n" + "a,server,a.ma\n" * 1000)
    with pytest.raises(InventoryError, match="over the limit of 2000 bytes"):
        load_inventory(path, max_bytes=2000)


def test_non_utf8_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    content = asset_yaml("  - id: a", "    kind: server", "    target: a.ma", "    owner: Équipe").encode(
        "latin-1"
    )
    found = problem(tmp_path, content)
    assert found.line == 7
    assert found.message.startswith("not valid UTF-8")
    assert found.hint == "save the file as UTF-8"


@pytest.mark.parametrize(
    ("setup", "message"),
    [("missing", "inventory not found"), ("directory", "inventory is a directory, not a file")],
)
def test_unreadable_paths(tmp_path: Path, setup: str, message: str) -> None:
    path = tmp_path / "inventory.yaml"
    if setup == "directory":
        path.mkdir()
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert caught.value.problems[0].message == message


def test_sensitivity_tags_can_be_renamed(tmp_path: Path) -> None:
    path = write(
        tmp_path, "inv.yaml", asset_yaml("  - {id: a, kind: server, target: a.ma, tags: {classif: public}}")
    )
    assert load_inventory(path).assets[0].sensitivity is Sensitivity.SENSITIVE
    assert load_inventory(path, sensitivity_tags=("classif",)).assets[0].sensitivity is Sensitivity.PUBLIC


def test_every_shipped_bad_sample_is_refused_and_every_good_one_loads() -> None:
    for path in sorted(ASSETS.iterdir()):
        if path.stem == "bomb":  # slow to trip; has its own test
            continue
        if path.stem.startswith("good") or path.stem == "semicolon":
            assert load_inventory(path).assets
        else:
            with pytest.raises(InventoryError):
                load_inventory(path)


def test_gc_is_enabled_again_after_loading(tmp_path: Path) -> None:
    import gc

    load_inventory(ASSETS / "good.yaml")
    assert gc.isenabled()
    with pytest.raises(InventoryError):
        load_inventory(ASSETS / "many-problems.yaml")
    assert gc.isenabled()


def test_control_character_in_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    found = problem(tmp_path, asset_yaml("  - id: a", "    kind: server", "    target: a.ma\x1f"))
    assert found.line == 6
    assert found.message == "contains the control character '\\x1f', which YAML does not allow"


@pytest.mark.parametrize("sample", ["good.yaml", "good.csv", "semicolon.csv"])
def test_mangled_files_load_or_are_refused_never_crash(tmp_path: Path, sample: str) -> None:
    """Seeded mutations of the good samples: hostile bytes must end as a result or as printable problems."""
    rng = random.Random(sample)
    original = (ASSETS / sample).read_bytes()
    pieces = [b"\x00", b"\x1b[2J", b"'", b'"', b":", b",", b";", b"\n", b"- ", b"[", b"{", b"&a", b"*a",
              b"!!python/object:os.system", b"\xff", b"\xe2\x80\xae", b"1e400", b"#", b"\t", b"=", b"/"]
    outcomes = set()
    for _ in range(150):
        data = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(data))
            if rng.random() < 0.6:
                data[position:position] = rng.choice(pieces)
            else:
                del data[position : position + rng.randint(1, 5)]
        path = write(tmp_path, sample, bytes(data))
        try:
            load_inventory(path)
            outcomes.add("loaded")
        except InventoryError as exc:
            outcomes.add("refused")
            assert all(str(found).isprintable() for found in exc.problems)
    assert outcomes == {"loaded", "refused"}
