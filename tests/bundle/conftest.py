from __future__ import annotations

from pathlib import Path

import pytest

from residency_scan.bundle import write_bundle
from tests.bundle.helpers import MINISTERE, Scanned, scan_offline


@pytest.fixture(scope="session")
def ministere() -> Scanned:
    """The ministry example scanned offline: violations, unknowns, compliant and not-applicable assets."""
    return scan_offline(MINISTERE)


@pytest.fixture
def bundle_dir(tmp_path: Path, ministere: Scanned) -> Path:
    return write_bundle(tmp_path / "bundle", inventory_path=ministere.inventory,
                        rule_pack_paths=ministere.pack_paths, result=ministere.result,
                        renderings={"report.txt": "rendered at scan time\n"})


@pytest.fixture
def bundle_zip(tmp_path: Path, ministere: Scanned) -> Path:
    return write_bundle(tmp_path / "bundle.zip", inventory_path=ministere.inventory,
                        rule_pack_paths=ministere.pack_paths, result=ministere.result,
                        renderings={"report.txt": "rendered at scan time\n"})
