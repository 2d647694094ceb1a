"""Every JSON Schema residency-scan ships is the one its models generate today (scripts/gen_schema.py)."""

from __future__ import annotations

import importlib.resources
import json
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import gen_schema  # noqa: E402


@pytest.mark.parametrize("path", sorted(gen_schema.SCHEMAS), ids=lambda p: p.name)
def test_shipped_schema_is_fresh_and_valid(path: Path) -> None:
    committed = path.read_text(encoding="utf-8")
    assert committed == gen_schema.SCHEMAS[path](), f"{path.name} is stale: run python scripts/gen_schema.py"
    Draft202012Validator.check_schema(json.loads(committed))
    packaged = importlib.resources.files("residency_scan") / "data" / path.name
    assert packaged.is_file()
