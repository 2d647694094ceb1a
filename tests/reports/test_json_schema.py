"""The committed JSON Schema describes what JsonReporter writes, and is regenerated with the models."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from residency_scan.reports import JsonReporter
from residency_scan.reports.json import SCHEMA_ID, SCHEMA_RESOURCE, SCHEMA_VERSION, render_schema
from tests.reports.factories import hostile_scan_result, sample_scan_result
from tests.reports.factories_decree import decree_scan_result, hostile_decree_scan_result

ROOT = Path(__file__).resolve().parents[2]


def committed_schema_text() -> str:
    return resources.files("residency_scan.data").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(committed_schema_text())
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def sample_document() -> Any:
    return json.loads(JsonReporter().render(sample_scan_result()))


def test_committed_schema_matches_the_models() -> None:
    assert committed_schema_text() == render_schema(), (
        f"residency_scan/data/{SCHEMA_RESOURCE} is stale: the models changed. "
        "Run `python scripts/gen_schema.py` and commit the result."
    )


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(committed_schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert f"schema_version {SCHEMA_VERSION}" in schema["description"]
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION


def test_generator_script_check_mode_agrees() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_schema.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "build", [sample_scan_result, hostile_scan_result, decree_scan_result, hostile_decree_scan_result]
)
def test_rendered_reports_validate(validator: Any, build: Any) -> None:
    errors = [error.message for error in validator.iter_errors(json.loads(JsonReporter().render(build())))]
    assert errors == []


def _drop_summary(doc: Any) -> None:
    del doc["summary"]


def _drop_nullable_key(doc: Any) -> None:
    del doc["assets"][0]["evidence"][0]["claim"]


def _add_unknown_key(doc: Any) -> None:
    doc["assets"][0]["colour"] = "green"


def _bad_verdict(doc: Any) -> None:
    doc["assets"][0]["verdict"] = "pass"


def _offset_datetime(doc: Any) -> None:
    doc["generated_at"] = "2025-09-15T09:30:00+01:00"


def _other_schema_version(doc: Any) -> None:
    doc["schema_version"] = "2.0"


def _count_as_text(doc: Any) -> None:
    doc["summary"]["violation"] = "4"


@pytest.mark.parametrize(
    "break_it",
    [
        _drop_summary,
        _drop_nullable_key,
        _add_unknown_key,
        _bad_verdict,
        _offset_datetime,
        _other_schema_version,
        _count_as_text,
    ],
)
def test_schema_rejects_documents_that_break_the_contract(validator: Any, break_it: Any) -> None:
    doc = copy.deepcopy(sample_document())
    assert validator.is_valid(doc)
    break_it(doc)
    assert not validator.is_valid(doc)
