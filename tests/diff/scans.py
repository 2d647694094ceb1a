"""Real scan results for diff tests: the CLI run offline on an example inventory, edited in a temporary dir.

A diff is only as good as the results it compares, so the main scenarios use what `scan --format json`
really writes, read back with `load_result`, rather than hand-built values.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from residency_scan.cli import app
from residency_scan.diff import load_result
from residency_scan.models import ScanResult

REPO = Path(__file__).resolve().parents[2]
MINISTERE = REPO / "examples" / "ministere-exemple.yaml"
LOCATION_RULES = Path(__file__).resolve().parent / "location-rules.yaml"
"""A fixed pack (the decree's two location rules) so the scenarios' counts do not move with the shipped packs."""

runner = CliRunner()


def scan_file(inventory: Path, output: Path, *options: str) -> ScanResult:
    """`residency-scan scan INVENTORY --offline --reproducible -f json -o OUTPUT`, then `load_result(OUTPUT)`."""
    result = runner.invoke(
        app,
        ["scan", str(inventory), "--offline", "--reproducible", "-f", "json", "-o", str(output),
         *(() if "--rules" in options else ("--rules", str(LOCATION_RULES))), *options],
        env={"SOURCE_DATE_EPOCH": None},
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 1), result.output
    return load_result(output)


def scan_text(directory: Path, name: str, inventory_text: str, *options: str) -> ScanResult:
    """Scan an inventory given as text, written to `directory/name.yaml`; the JSON lands beside it."""
    inventory = directory / f"{name}.yaml"
    inventory.write_text(inventory_text, encoding="utf-8")
    return scan_file(inventory, directory / f"{name}.json", *options)


def ministere() -> str:
    return MINISTERE.read_text(encoding="utf-8")


def edit(text: str, old: str, new: str) -> str:
    """Replace `old`, which must occur exactly once, so an edit to the example cannot silently do nothing."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the inventory"
    return text.replace(old, new)


def remove_asset(text: str, asset_id: str) -> str:
    """Drop one asset's block (from its "- id:" line to the next blank line) from the example."""
    start = text.index(f"  - id: {asset_id}\n")
    end = text.find("\n\n", start)
    return text[:start] + (text[end + 2:] if end != -1 else "")

