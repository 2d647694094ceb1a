"""Reading an inventory file, and the problem list every check of that file writes into.

Both formats read the file once: the bytes give `Inventory.sha256`, their strict UTF-8 decoding the text,
so that the hash is always the hash of what was checked.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path

from residency_scan.bulk import paused_gc
from residency_scan.errors import InputError, InventoryError, Problem
from residency_scan.models import Entity, Inventory
from residency_scan.safe_yaml import DEFAULT_MAX_BYTES, read_text_and_sha256

#: Tags that carry an asset's sensitivity when it has no `sensitivity` field (GCP labels allow no ':').
SENSITIVITY_TAGS = ("residency:sensitivity", "residency_sensitivity")


class FileInventory(abc.ABC):
    """An `InventorySource` reading one file: what the YAML and CSV readers share.

    `entity`, when given, replaces the file's own (the CLI's --entity-name/--entity-type). Loading runs with
    the cyclic garbage collector paused: it builds hundreds of thousands of acyclic objects.
    """

    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES, *, entity: Entity | None = None,
                 sensitivity_tags: Sequence[str] = SENSITIVITY_TAGS) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.entity = entity
        self.sensitivity_tags = tuple(sensitivity_tags)

    def load(self) -> Inventory:
        with paused_gc():
            return self._load()

    @abc.abstractmethod
    def _load(self) -> Inventory:
        """Read, validate and build the inventory, or raise InventoryError with every problem found."""

MAX_PROBLEMS = 100


def read_inventory_file(path: Path, max_bytes: int) -> tuple[str, str]:
    """The file's text (strict UTF-8, BOM dropped) and the sha256 of its bytes, read once and limited."""
    excel = " (in Excel: 'CSV UTF-8')" if path.suffix.lower() == ".csv" else ""
    try:
        return read_text_and_sha256(path, max_bytes=max_bytes, what="inventory",
                                    utf8_hint=f"save the file as UTF-8{excel}")
    except InputError as exc:
        raise as_inventory_error(exc) from None


def as_inventory_error(error: InputError) -> InventoryError:
    return error if isinstance(error, InventoryError) else InventoryError(list(error.problems))


class ProblemLog:
    """Every problem of one file, up to `limit`; past it they are only counted, then summed up."""

    def __init__(self, path: str, limit: int = MAX_PROBLEMS) -> None:
        self.path = path
        self.limit = limit
        self.problems: list[Problem] = []
        self.count = 0

    def add(self, message: str, *, line: int | None, field: str | None = None,
            hint: str | None = None) -> None:
        self.count += 1
        if len(self.problems) < self.limit:
            self.problems.append(Problem(self.path, message, line=line, field=field, hint=hint))

    def raise_if_any(self) -> None:
        if not self.count:
            return
        problems = sorted(self.problems, key=lambda problem: problem.line or 0)  # stable: file order
        if self.count > len(problems):
            problems.append(Problem(self.path, f"{self.count - len(problems)} more problems not shown",
                                    hint="fix these first"))
        raise InventoryError(problems)
