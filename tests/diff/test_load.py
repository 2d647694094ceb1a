"""`load_result`: a saved result comes back exactly; anything else is an InputError that says where and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from residency_scan.diff import load_result
from residency_scan.diff.load import MAX_REPORTED_ERRORS
from residency_scan.errors import InputError, Problem
from residency_scan.reports.json import JsonReporter
from tests.diff.scans import MINISTERE, scan_file
from tests.reports.factories import hostile_scan_result


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JSON that `scan --format json` writes for the ministry example."""
    output = tmp_path_factory.mktemp("saved") / "ministere.json"
    scan_file(MINISTERE, output)
    return output


def document(saved: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(saved.read_text(encoding="utf-8"))
    return loaded


def problems_of(path: Path, **options: Any) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as caught:
        load_result(path, **options)
    assert caught.value.exit_code == 2
    return caught.value.problems


def write_json(tmp_path: Path, value: Any) -> Path:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def test_a_saved_result_loads_back_to_the_same_bytes(saved: Path) -> None:
    text = saved.read_text(encoding="utf-8")
    result = load_result(saved)
    assert len(result.assets) == 13
    assert JsonReporter().render(result) == text


def test_hostile_strings_survive_a_round_trip(tmp_path: Path) -> None:
    original = hostile_scan_result()
    path = tmp_path / "hostile.json"
    path.write_text(JsonReporter().render(original), encoding="utf-8")
    assert load_result(path) == original


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "schema_version": "1.0",\n  "tool": oops\n}\n', encoding="utf-8")
    (problem,) = problems_of(path)
    assert problem.line == 3
    assert problem.path == str(path)
    assert "not valid JSON" in problem.message
    assert problem.hint is not None and "--format json" in problem.hint


def test_an_inventory_given_by_mistake_is_refused_at_its_first_line() -> None:
    (problem,) = problems_of(MINISTERE)
    assert (problem.line, problem.path) == (1, str(MINISTERE))


@pytest.mark.parametrize(("value", "kind"), [([], "array"), ("text", "string"), (None, "null"), (3, "number")])
def test_a_json_value_that_is_not_an_object_is_refused(tmp_path: Path, value: Any, kind: str) -> None:
    (problem,) = problems_of(write_json(tmp_path, value))
    assert f"JSON {kind}, not an object" in problem.message


def test_another_major_schema_version_is_refused_before_validation(saved: Path, tmp_path: Path) -> None:
    data = document(saved)
    data["schema_version"] = "2.0"
    del data["summary"]  # would be an error too, but the version is what the user must hear about
    (problem,) = problems_of(write_json(tmp_path, data))
    assert problem.field == "schema_version"
    assert "'2.0' is not supported" in problem.message
    assert "1.x" in problem.message


def test_a_file_without_schema_version_is_not_a_result(tmp_path: Path) -> None:
    (problem,) = problems_of(write_json(tmp_path, {"assets": []}))
    assert (problem.field, problem.message) == ("schema_version", "not a residency-scan result: no schema_version")


def test_a_missing_field_is_named_by_its_path(saved: Path, tmp_path: Path) -> None:
    data = document(saved)
    del data["summary"]
    del data["assets"][5]["findings"][0]["outcome"]
    problems = problems_of(write_json(tmp_path, data))
    assert [p.field for p in problems] == ["summary", "assets[5].findings[0].outcome"]
    assert all("Field required" in p.message for p in problems)


def test_a_wrong_value_is_named_by_its_path(saved: Path, tmp_path: Path) -> None:
    data = document(saved)
    data["assets"][2]["verdict"] = "fine"
    (problem,) = problems_of(write_json(tmp_path, data))
    assert problem.field == "assets[2].verdict"
    assert "violation" in problem.message  # pydantic lists the accepted values


def test_only_the_first_few_schema_errors_are_listed(saved: Path, tmp_path: Path) -> None:
    data = document(saved)
    for item in data["assets"]:
        item["verdict"] = "fine"
    problems = problems_of(write_json(tmp_path, data))
    assert len(problems) == MAX_REPORTED_ERRORS + 1
    assert problems[-1].message == f"… and {13 - MAX_REPORTED_ERRORS} more schema errors"


def test_a_key_from_a_newer_minor_version_says_to_upgrade(saved: Path, tmp_path: Path) -> None:
    data = document(saved)
    data["schema_version"] = "1.7"
    data["obligations"] = []  # a key a later minor version might add
    (problem,) = problems_of(write_json(tmp_path, data))
    assert problem.field == "obligations"
    assert problem.hint is not None and "newer residency-scan" in problem.hint


def test_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    path.write_text('{"schema_version": "1.0", "schema_version": "1.0"}', encoding="utf-8")
    (problem,) = problems_of(path)
    assert "'schema_version' appears twice" in problem.message


def test_nan_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "nan.json"
    path.write_text('{"schema_version": "1.0", "offline": NaN}', encoding="utf-8")
    (problem,) = problems_of(path)
    assert "NaN is not a JSON number" in problem.message


def test_deeply_nested_json_is_refused_without_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    (problem,) = problems_of(path)
    assert "nested too deeply" in problem.message


def test_an_asset_id_listed_twice_is_refused(saved: Path, tmp_path: Path) -> None:
    data = document(saved)
    data["assets"][3]["id"] = data["assets"][0]["id"]
    (problem,) = problems_of(write_json(tmp_path, data))
    assert problem.field == "assets[3].id"
    assert "also assets[0]" in problem.message


def test_two_findings_of_one_rule_on_one_asset_are_refused(saved: Path, tmp_path: Path) -> None:
    data = document(saved)
    findings = data["assets"][5]["findings"]
    findings.append(dict(findings[0]))
    (problem,) = problems_of(write_json(tmp_path, data))
    assert problem.field == "assets[5].findings[1].rule"


def test_size_encoding_and_missing_files_are_input_errors(saved: Path, tmp_path: Path) -> None:
    (too_big,) = problems_of(saved, max_bytes=100)
    assert "over the limit of 100 bytes" in too_big.message
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{\n"x": "é"}'.encode("latin-1"))
    (not_utf8,) = problems_of(latin1)
    assert (not_utf8.line, not_utf8.message) == (2, "not valid UTF-8 (byte 8)")
    (missing,) = problems_of(tmp_path / "absent.json")
    assert "scan result not found" in missing.message
