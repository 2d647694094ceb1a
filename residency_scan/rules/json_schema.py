"""A JSON Schema for rule-pack files, generated from the models that validate them, so editors can check a pack
as it is typed (YAML language servers read JSON Schema).

`RulePackSpec` describes every field but `condition` and `applies_to.when`, which the loader compiles by hand
(`ConditionCompiler`): pydantic sees them as `Any`. Here they become a recursive `$defs/condition`: one of
`{all: [condition]}`, `{any: [condition]}`, `{not: condition}`, or one alternative per registered leaf whose
value is that leaf's parameter schema (and, for a leaf with a `shorthand`, the bare value it stands for). The
list of leaves is read from the registry, so a new leaf shows up in the schema without editing this file.

The schema can only be as strict as JSON Schema allows: checks done by validators (country codes, non-empty
lists, placeholders in messages, nesting depth, unique ids) are left to the loader, which `rules lint` runs.
The other way round, it is stricter only on spellings a pack should not use: pydantic's lax mode lets the loader
read `"yes"` as a boolean, the schema wants `true`. Every shipped pack validates (tests/rules/test_rule_schema.py).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from residency_scan.rules.conditions import registered_leaves
from residency_scan.rules.schema import RulePackSpec

SCHEMA_ID = "urn:residency-scan:rule-pack:1"
SCHEMA_RESOURCE = "rule-pack.schema.json"
_CONDITION_REF = "#/$defs/condition"


def rule_pack_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a rule-pack file, with conditions described recursively."""
    schema = RulePackSpec.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    _point_at_condition(defs, "RuleSpec", "condition")
    _point_at_condition(defs, "AppliesTo", "when", optional=True)
    defs["condition"] = _condition_schema(defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "residency-scan rule pack",
        "description": (
            "A rule-pack file of residency-scan (docs/rules.md). Every text is given in English (en) and French "
            "(fr); a condition is a mapping with exactly one key: all, any, not or a leaf condition. The loader "
            "checks more than this schema can say (country codes, placeholders, unique ids, nesting depth): run "
            "`residency-scan rules lint FILE`. Generated from residency_scan.rules.schema by scripts/gen_schema.py; "
            "do not edit."),
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }


def render_rule_pack_schema() -> str:
    """The schema file's exact text, so a generator and a freshness test agree byte for byte."""
    return json.dumps(rule_pack_json_schema(), indent=2, ensure_ascii=False) + "\n"


def _point_at_condition(defs: dict[str, Any], model: str, field: str, *, optional: bool = False) -> None:
    """Replace the `Any` schema pydantic gives a hand-compiled field by a reference to `$defs/condition`."""
    properties = defs[model]["properties"]
    described = {key: properties[field][key] for key in ("description",) if key in properties[field]}
    ref: dict[str, Any] = {"$ref": _CONDITION_REF}
    properties[field] = {"anyOf": [ref, {"type": "null"}], **described} if optional else {**ref, **described}


def _one_key(key: str, value: dict[str, Any], description: str | None = None) -> dict[str, Any]:
    alternative: dict[str, Any] = {
        "type": "object",
        "properties": {key: value},
        "required": [key],
        "additionalProperties": False,
    }
    if description:
        alternative["description"] = description
    return alternative


def _condition_schema(defs: dict[str, Any]) -> dict[str, Any]:
    children = {"type": "array", "minItems": 1, "items": {"$ref": _CONDITION_REF}}
    alternatives = [
        _one_key("all", children, "all of these conditions hold (Kleene AND)"),
        _one_key("any", children, "at least one of these conditions holds (Kleene OR)"),
        _one_key("not", {"$ref": _CONDITION_REF}, "this condition does not hold (UNKNOWN stays UNKNOWN)"),
    ]
    for name, leaf in sorted(registered_leaves().items()):
        params = _merge_model(defs, leaf.Params, prefix=f"leaf-{name}")
        value: dict[str, Any] = params
        if leaf.shorthand is not None:
            shorthand = defs[params["$ref"].rsplit("/", 1)[1]]["properties"][leaf.shorthand]
            value = {"anyOf": [params, {key: v for key, v in shorthand.items() if key != "title"}]}
        alternatives.append(_one_key(name, value, _first_paragraph(leaf.__doc__)))
    return {
        "description": "A condition: a mapping with exactly one key (docs/rules.md, 'Conditions').",
        "oneOf": alternatives,
    }


def _merge_model(defs: dict[str, Any], model: type[BaseModel], *, prefix: str) -> dict[str, Any]:
    """Add `model`'s schema (and its own `$defs`) to `defs`; return a `$ref` to it.

    Leaf parameter models share enums with the pack models (AssetKind...): a definition already present with
    the same content is reused, one with the same name but other content is stored under a prefixed name.
    """
    schema = model.model_json_schema(ref_template="#/$defs/{model}")
    local = schema.pop("$defs", {})
    renames: dict[str, str] = {}
    for name, definition in local.items():
        if name in defs and defs[name] != definition:
            renames[name] = f"{prefix}-{name}"
    own = f"{prefix}-{model.__name__}"
    renames[model.__name__] = own
    for name, definition in local.items():
        defs[renames.get(name, name)] = _renamed(definition, renames)
    defs[own] = _renamed(schema, renames)
    return {"$ref": f"#/$defs/{own}"}


def _renamed(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {key: _renamed(value, renames) for key, value in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = ref.removeprefix("#/$defs/")
            out["$ref"] = f"#/$defs/{renames.get(target, target)}"
        return out
    if isinstance(node, list):
        return [_renamed(item, renames) for item in node]
    return node


def _first_paragraph(doc: str | None) -> str | None:
    if not doc:
        return None
    text = doc.strip().split("\n\n", 1)[0]
    return " ".join(text.split()) or None
