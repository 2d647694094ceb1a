"""Inventory sources: where the list of assets to check comes from.

`load_inventory` picks the reader from the file's extension. Every reader returns an `Inventory` or raises
one `InventoryError` carrying every problem of the file (up to `MAX_PROBLEMS`), each naming line and field.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from residency_scan.errors import InventoryError, Problem
from residency_scan.inventory.csv_file import CsvInventory
from residency_scan.inventory.files import MAX_PROBLEMS, SENSITIVITY_TAGS
from residency_scan.inventory.interface import InventorySource
from residency_scan.inventory.targets import TargetError, parse_target
from residency_scan.inventory.yaml_file import YamlInventory
from residency_scan.models import Entity, Inventory
from residency_scan.safe_yaml import DEFAULT_MAX_BYTES

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_PROBLEMS",
    "SENSITIVITY_TAGS",
    "CsvInventory",
    "InventorySource",
    "TargetError",
    "YamlInventory",
    "inventory_source",
    "load_inventory",
    "parse_target",
]

YAML_SUFFIXES = (".yaml", ".yml")
CSV_SUFFIXES = (".csv",)


def inventory_source(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, entity: Entity | None = None,
                     sensitivity_tags: Sequence[str] = SENSITIVITY_TAGS) -> InventorySource:
    """The reader for `path`, chosen by its extension (case-insensitive)."""
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        return YamlInventory(path, max_bytes, entity=entity, sensitivity_tags=sensitivity_tags)
    if suffix in CSV_SUFFIXES:
        return CsvInventory(path, max_bytes, entity=entity, sensitivity_tags=sensitivity_tags)
    what = f"'{suffix}'" if suffix else "without an extension"
    raise InventoryError([Problem(str(path), f"inventory file {what} is not a format residency-scan reads",
                                  hint="use a .yaml, .yml or .csv file")])


def load_inventory(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, entity: Entity | None = None,
                   sensitivity_tags: Sequence[str] = SENSITIVITY_TAGS) -> Inventory:
    """Load a YAML or CSV inventory. `entity` replaces the file's entity (a CSV file has none of its own).

    `sensitivity_tags` are the tags read as an asset's sensitivity when it has no `sensitivity` field.
    """
    source = inventory_source(path, max_bytes=max_bytes, entity=entity, sensitivity_tags=sensitivity_tags)
    return source.load()
