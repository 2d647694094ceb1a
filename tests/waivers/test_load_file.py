"""A waiver file that cannot be read as one stops the scan (exit 2) with the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_scan.errors import InputError, UsageError
from residency_scan.waivers import WaiverFileError, load_waivers
from tests.waivers.helpers import entry, waiver_file, write


def refused(path: Path, **kwargs: object) -> str:
    with pytest.raises(WaiverFileError) as caught:
        load_waivers(path, **kwargs)  # type: ignore[arg-type]
    assert caught.value.exit_code == 2
    assert isinstance(caught.value, InputError)
    return str(caught.value)


def test_a_sound_file_loads_every_entry_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, waiver_file(entry(), entry(id="DRG-2026-002")))
    book = load_waivers(path)
    assert [w.id for w in book.waivers] == ["DRG-2026-001", "DRG-2026-002"]
    assert book.path == str(path)
    assert all(not w.problems for w in book.waivers)


def test_an_empty_waiver_list_is_accepted(tmp_path: Path) -> None:
    assert len(load_waivers(write(tmp_path, "version: 1\nwaivers: []\n"))) == 0


def test_missing_file_is_named(tmp_path: Path) -> None:
    message = refused(tmp_path / "absent.yaml")
    assert "absent.yaml" in message and "waiver file not found" in message


def test_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("version: 1\nwaivers:\n  - owner: \"Résponsable\"\n".encode("latin-1"))
    message = refused(path)
    assert f"{path}:3:" in message and "UTF-8" in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "version: 1\nwaivers:\n  - id: [unclosed\n"))
    assert "invalid YAML" in message and f"{tmp_path / 'waivers.yaml'}:" in message


def test_yaml_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["version: 1", 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
              f"*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    message = refused(write(tmp_path, "\n".join(lines) + "\nwaivers: []\n"))
    assert "aliases are expanded" in message


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    message = refused(write(tmp_path, waiver_file(entry())), max_bytes=64)
    assert "over the limit of 64 bytes" in message


def test_raw_control_character_in_the_file_names_its_line(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "version: 1\nwaivers:\n  - owner: RSSI \x1b[2J\n"))
    assert f"{tmp_path / 'waivers.yaml'}:3:" in message
    assert "\x1b" not in message


def test_python_object_tags_are_refused(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "version: 1\nwaivers:\n  - !!python/object:os.system {}\n"))
    assert "tag" in message


@pytest.mark.parametrize(("text", "expected"), [
    ("", "the waiver file is empty"),
    ("- id: DRG-1\n", "a waiver file is a mapping with version and waivers, not a list"),
    ("just text\n", "not text"),
])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in refused(write(tmp_path, text))


def test_unknown_top_level_key_suggests_the_right_one(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "version: 1\nwaiver:\n  - id: DRG-1\n"))
    assert f"{tmp_path / 'waivers.yaml'}:2: waiver: unknown top-level key 'waiver'" in message
    assert "did you mean 'waivers'?" in message
    assert "has no 'waivers:' list" in message  # every file-level problem at once


@pytest.mark.parametrize(("text", "expected", "line"), [
    ("waivers: []\n", "the waiver file has no version", 1),
    ("version: 2\nwaivers: []\n", "unsupported waiver file version '2'", 1),
    ("version: true\nwaivers: []\n", "unsupported waiver file version 'True'", 1),
    ("version: '1'\nwaivers: []\n", "unsupported waiver file version '1'", 1),
    ("version: 1\nwaivers:\n", "'waivers' must be a list of waivers, not empty", 2),
    ("version: 1\nwaivers: {id: DRG-1}\n", "'waivers' must be a list of waivers, not a mapping", 2),
    ("version: 1\n", "the waiver file has no 'waivers:' list", 1),
])
def test_version_and_waivers_list_are_checked(tmp_path: Path, text: str, expected: str, line: int) -> None:
    message = refused(write(tmp_path, text))
    assert expected in message
    assert f"{tmp_path / 'waivers.yaml'}:{line}:" in message


def test_a_maximum_lifetime_below_one_day_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_waivers(write(tmp_path, waiver_file(entry())), max_lifetime_days=0)
    assert caught.value.exit_code == 2
