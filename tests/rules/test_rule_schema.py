"""The JSON Schema of rule-pack files: generated from the models, valid, and in agreement with the loader on the
packs we ship and on the mistakes editors should flag."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import residency_scan
from residency_scan.rules import example_of, registered_leaves, shipped_pack_names, shipped_rules_dir
from residency_scan.rules.json_schema import render_rule_pack_schema, rule_pack_json_schema
from residency_scan.safe_yaml import load_yaml_file, load_yaml_text

GOOD = Path(__file__).parent.parent / "assets" / "rules" / "good"


def as_json(value: Any) -> Any:
    """YAML as a JSON document would hold it: dates become ISO texts (what an editor validates)."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = rule_pack_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture
def pack() -> dict[str, Any]:
    """A small valid pack, as data."""
    return as_json(load_yaml_file(GOOD / "basic.yaml"))  # type: ignore[no-any-return]


def errors_of(validator: jsonschema.Draft202012Validator, document: Any) -> list[str]:
    return [error.message for error in validator.iter_errors(document)]


@pytest.mark.parametrize("name", shipped_pack_names())
def test_every_shipped_pack_validates(validator: jsonschema.Draft202012Validator, name: str) -> None:
    document = as_json(load_yaml_file(shipped_rules_dir() / f"{name}.yaml"))
    assert errors_of(validator, document) == []


@pytest.mark.parametrize("path", sorted(GOOD.glob("*.yaml")), ids=lambda p: p.name)
def test_the_loader_s_good_test_packs_validate(validator: jsonschema.Draft202012Validator, path: Path) -> None:
    assert errors_of(validator, as_json(load_yaml_file(path))) == []


@pytest.mark.parametrize("name", sorted(registered_leaves()))
def test_every_leaf_example_is_a_valid_condition(validator: jsonschema.Draft202012Validator,
                                                 pack: dict[str, Any], name: str) -> None:
    example = as_json(load_yaml_text(example_of(registered_leaves()[name]), "example"))
    pack["rules"][0]["condition"] = {"all": [example, {"not": example}]}
    pack["rules"][0]["applies_to"]["when"] = {"any": [example]}
    assert errors_of(validator, pack) == []


def test_a_pack_with_an_unknown_leaf_does_not_validate(validator: jsonschema.Draft202012Validator,
                                                       pack: dict[str, Any]) -> None:
    pack["rules"][0]["condition"] = {"all": [{"country-in": {"countries": ["MA"]}}, {"country_in": {}}]}
    assert errors_of(validator, pack)
    pack["rules"][0]["condition"] = {"country-in": {"countries": ["MA"]}}
    assert errors_of(validator, pack) == []


def test_a_pack_missing_a_french_text_does_not_validate(validator: jsonschema.Draft202012Validator,
                                                        pack: dict[str, Any]) -> None:
    del pack["rules"][1]["message"]["fr"]
    assert any("'fr' is a required property" in message for message in errors_of(validator, pack))


@pytest.mark.parametrize("condition", [
    {"country-in": {"countries": ["MA"]}, "kind-in": {"kinds": ["server"]}},  # two keys
    {"not": [{"location-confirmed": True}]},  # not takes one condition
    {"all": []},  # empty list
    {"country-in": {"countries": ["MA"], "extra": 1}},  # unknown parameter
    {"location-confirmed": "yes"},  # a shorthand of the wrong type
    {"kind-in": {"kinds": ["servr"]}},  # not an asset kind
])
def test_malformed_conditions_do_not_validate(validator: jsonschema.Draft202012Validator, pack: dict[str, Any],
                                              condition: dict[str, Any]) -> None:
    pack["rules"][0]["condition"] = condition
    assert errors_of(validator, pack)
    when_pack = copy.deepcopy(pack)
    when_pack["rules"][0]["condition"] = {"location-confirmed": True}
    when_pack["rules"][0]["applies_to"]["when"] = condition
    assert errors_of(validator, when_pack)


def test_shorthands_and_deep_trees_validate(validator: jsonschema.Draft202012Validator,
                                            pack: dict[str, Any]) -> None:
    tree: dict[str, Any] = {"location-confirmed": True}
    for _ in range(20):
        tree = {"not": {"any": [tree, {"location-confirmed": {"value": True}}]}}
    pack["rules"][0]["condition"] = tree
    assert errors_of(validator, pack) == []


def test_unknown_rule_fields_do_not_validate(validator: jsonschema.Draft202012Validator,
                                             pack: dict[str, Any]) -> None:
    pack["rules"][0]["severty"] = "high"
    assert any("severty" in message for message in errors_of(validator, pack))


def test_the_rendered_schema_is_stable_json() -> None:
    text = render_rule_pack_schema()
    assert text == (Path(residency_scan.__file__).parent / "data" / "rule-pack.schema.json").read_text("utf-8")
    assert json.loads(text)["$defs"]["condition"]["oneOf"]
    assert text.endswith("}\n")
