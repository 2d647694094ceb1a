"""Where the shipped rule packs live, in a wheel and in a source checkout."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from residency_scan.errors import DatasetError


def shipped_rules_dir() -> Path:
    """Where the shipped packs are: `residency_scan/_rules` in a wheel, the checkout's `rules/` otherwise."""
    installed = importlib.resources.files("residency_scan") / "_rules"
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    checkout = Path(__file__).resolve().parents[2] / "rules"
    if checkout.is_dir():
        return checkout
    raise DatasetError("the shipped rule packs are missing from this installation "
                       f"(looked in {installed} and {checkout}); reinstall residency-scan")


def display_pack_path(path: Path) -> str:
    """`shipped:<file>` for shipped packs, so a result does not depend on where Python is installed."""
    try:
        return f"shipped:{path.resolve().relative_to(shipped_rules_dir().resolve()).as_posix()}"
    except (ValueError, DatasetError):
        return str(path)
