"""Golden files for reports: the exact text a reporter gives for a factory result, reviewed in the diff.

Regenerate after an intended change with `RESIDENCY_SCAN_UPDATE_GOLDEN=1 python3 -m pytest tests/reports`,
then read the diff of tests/reports/golden/ before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_VARIABLE = "RESIDENCY_SCAN_UPDATE_GOLDEN"


def assert_matches_golden(name: str, actual: str) -> None:
    path = GOLDEN_DIR / name
    if os.environ.get(UPDATE_VARIABLE) == "1":
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"{path} is missing: run with {UPDATE_VARIABLE}=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{name} differs from the golden file; if the change is intended, rerun with {UPDATE_VARIABLE}=1 "
        "and review the diff"
    )
