"""Golden files for the diff reports, reviewed in the diff of tests/diff/golden/ like the scan reports' ones.

Regenerate after an intended change with `RESIDENCY_SCAN_UPDATE_GOLDEN=1 python3 -m pytest tests/diff`.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_VARIABLE = "RESIDENCY_SCAN_UPDATE_GOLDEN"


def assert_matches_golden(name: str, actual: str) -> None:
    path = GOLDEN_DIR / name
    if os.environ.get(UPDATE_VARIABLE) == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"{path} is missing: run with {UPDATE_VARIABLE}=1 to create it"
    assert actual == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if the change is intended, rerun with {UPDATE_VARIABLE}=1 "
        "and review the diff"
    )
