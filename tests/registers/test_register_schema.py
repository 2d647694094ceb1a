"""The JSON Schema of the register file agrees with the loader: the example passes both, mistakes fail both."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import residency_scan
from residency_scan.errors import InputError
from residency_scan.registers.register_file import parse_provider_register
from residency_scan.registers.register_spec import provider_register_json_schema, render_provider_register_schema
from residency_scan.safe_yaml import load_yaml_file

from .helpers import EXAMPLE

SCHEMA = provider_register_json_schema()


def as_json(value: Any) -> Any:
    """The YAML value as JSON would hold it: dates become ISO strings, located containers plain ones."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def example() -> dict[str, Any]:
    data = as_json(load_yaml_file(EXAMPLE))
    assert isinstance(data, dict)
    return data


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_shipped_example_validates_against_the_schema() -> None:
    errors = list(validator().iter_errors(example()))
    assert errors == []


def _set(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    node: Any = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


QUALIFICATION = ("providers", 0, "qualifications", 0)
BROKEN = {
    "unknown field": (("register", "updatd"), "2026-01-01"),
    "level 3": ((*QUALIFICATION, "level"), 3),
    "on-premises": ((*QUALIFICATION, "service_types"), ["on-premises"]),
    "no service type": ((*QUALIFICATION, "service_types"), []),
    "not a date": ((*QUALIFICATION, "decided"), "01/03/2026"),
    "control character": (("providers", 1, "name"), "Atlas\x1b[31m"),
    "empty providers": (("providers",), []),
    "bad id": (("providers", 0, "id"), "hébergeur national"),
    "example not a boolean": (("register", "example"), "no"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_schema_and_loader_both_refuse_a_broken_register(case: str) -> None:
    path, value = BROKEN[case]
    broken = _set(example(), path, value)
    assert list(validator().iter_errors(broken)), f"the schema accepts: {case}"
    with pytest.raises(InputError):
        parse_provider_register(broken, "broken.yaml", "0" * 64)


def test_schema_requires_the_header_fields_and_forbids_unknown_ones() -> None:
    header = SCHEMA["$defs"]["RegisterHeaderSpec"]
    assert set(header["required"]) == {"title", "updated", "source"}
    assert header["additionalProperties"] is False
    assert SCHEMA["required"] == ["register", "providers"]


def test_example_dates_are_read_as_dates_by_the_loader() -> None:
    register = parse_provider_register(example(), "example.json", "0" * 64)  # JSON: ISO strings
    assert register.updated == date(2026, 11, 1)


def test_rendered_schema_is_the_schema_as_stable_json() -> None:
    text = render_provider_register_schema()
    assert text.endswith("}\n")
    assert json.loads(text) == SCHEMA
    assert text == (Path(residency_scan.__file__).parent / "data" / "provider-register.schema.json").read_text(
        "utf-8")
