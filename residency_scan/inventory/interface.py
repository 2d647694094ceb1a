"""The contract of an inventory source: something that yields an `Inventory` or raises `InventoryError`."""

from __future__ import annotations

from typing import Protocol

from residency_scan.models import Inventory


class InventorySource(Protocol):
    """An implementation reads one kind of input (YAML file, CSV export, Terraform plan, AWS discovery)."""

    def load(self) -> Inventory:
        """Return the whole inventory, or raise `InventoryError` listing every problem found."""
        ...
