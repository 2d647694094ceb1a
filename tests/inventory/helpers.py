"""Write inventory files into a temporary directory and read back the problems they cause."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from residency_scan.errors import InventoryError, Problem
from residency_scan.inventory import load_inventory
from residency_scan.models import Inventory

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "inventories"


def write(directory: Path, name: str, content: str | bytes) -> Path:
    """Write `content` (dedented when text) to `directory/name`."""
    path = directory / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return path


def load_text(directory: Path, content: str | bytes, name: str = "inventory.yaml") -> Inventory:
    return load_inventory(write(directory, name, content))


def problems(directory: Path, content: str | bytes, name: str = "inventory.yaml") -> tuple[Problem, ...]:
    """Every problem the file causes; fails the test if it loads."""
    path = write(directory, name, content)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    return caught.value.problems


def problem(directory: Path, content: str | bytes, name: str = "inventory.yaml") -> Problem:
    """The single problem the file causes."""
    found = problems(directory, content, name)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def asset_yaml(*asset_lines: str) -> str:
    """A valid inventory around one asset; the asset's first line ('- id: …') is line 4."""
    body = "\n".join(asset_lines)
    return f"version: 1\nentity: {{name: Exemple}}\nassets:\n{body}\n"
