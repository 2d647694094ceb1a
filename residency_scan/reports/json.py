"""The JSON report: the public contract of residency-scan, and the JSON Schema that describes it.

The document is `ScanResult` itself, field for field, so a consumer reads exactly what the other reporters
render. It is deterministic: the same `ScanResult` gives the same bytes. Keys come in model field order,
assets in inventory order (never sorted), and every set inside is already a sorted tuple.

Conventions a consumer can rely on (also stated in the schema):
- every key of every object is present, `null` when it has no value;
- every date-time is UTC, ISO 8601, ending in "Z" (e.g. "2025-06-01T09:30:00Z"); a naive datetime is taken
  to be UTC already; dates (`data_sources[].date`) are plain "YYYY-MM-DD";
- characters that are valid JSON but dangerous when the file is printed to a terminal or pasted into a
  page (C1 controls, DEL, bidi overrides, U+2028/9) are written as \\uXXXX escapes, so the file is inert
  under `cat` and a JSON parser still gives back the exact strings;
- the file is valid UTF-8: an unpaired surrogate (only a file name undecodable in UTF-8 can bring one in,
  through surrogateescape) becomes U+FFFD, because strict parsers refuse a lone "\\udcff".
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from residency_scan.models import ScanResult

SCHEMA_VERSION = "1.0"
"""Version of the JSON contract. Bump the major part when a key is removed or changes meaning."""

SCHEMA_ID = f"urn:residency-scan:scan-result:{SCHEMA_VERSION}"

SCHEMA_RESOURCE = "scan-result.schema.json"
"""Name of the committed schema inside `residency_scan/data` (written by scripts/gen_schema.py)."""

_UTC_SUFFIX_PATTERN = "Z$"

# NOTE: json.dumps already escapes C0 controls and quotes; with ensure_ascii=False it leaves everything
# else raw. These are the characters that, raw, can still act on a terminal or a browser.
_INERT = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATES = range(0xD800, 0xE000)

_M = TypeVar("_M", bound=BaseModel)


class JsonReporter:
    """An implementation of `Reporter` that writes the `ScanResult` contract as indented UTF-8 JSON."""

    def render(self, result: ScanResult) -> str:
        document = _in_utc(result).model_dump(mode="json")
        text = json.dumps(document, indent=2, ensure_ascii=False)
        return _INERT.sub(_escape, text) + "\n"


def scan_result_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of what `JsonReporter` writes, as committed in the package data."""
    generated = ScanResult.model_json_schema(mode="serialization")
    _require_every_key(generated)
    for definition in generated.get("$defs", {}).values():
        _require_every_key(definition)
    _mark_utc(generated)
    generated["properties"]["schema_version"]["const"] = SCHEMA_VERSION
    generated.pop("title", None)
    generated.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "residency-scan result",
        "description": (
            f"The JSON report of residency-scan (`--format json`), schema_version {SCHEMA_VERSION}. "
            "Every key is always present (null when empty). Date-times are UTC ISO 8601 ending in 'Z'. "
            "Assets are in inventory order; a verdict is violation, indeterminate, compliant or "
            "not-applicable, and an unknown or contradicted location is never compliant. "
            "Generated from residency_scan.models.ScanResult by scripts/gen_schema.py; do not edit."
        ),
        **generated,
    }


def render_schema() -> str:
    """The schema file's exact text, so the generator and the freshness test agree byte for byte."""
    return json.dumps(scan_result_schema(), indent=2, ensure_ascii=False) + "\n"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return "\N{REPLACEMENT CHARACTER}" if code in _SURROGATES else f"\\u{code:04x}"


def _in_utc(model: _M) -> _M:
    """A copy of `model` with every datetime in UTC, so all of them serialise with the same "Z" suffix."""
    changes: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        converted = _value_in_utc(value)
        if converted is not value:
            changes[name] = converted
    return model.model_copy(update=changes) if changes else model


def _value_in_utc(value: Any) -> Any:
    # NOTE: `Evidence.raw` is whatever the source answered; it is kept untouched, datetimes included.
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        if value.utcoffset() == timedelta(0):
            return value
        return value.astimezone(UTC)
    if isinstance(value, BaseModel):
        return _in_utc(value)
    if isinstance(value, tuple):
        items = tuple(_value_in_utc(item) for item in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _require_every_key(schema: dict[str, Any]) -> None:
    """The reporter never drops a key, so a consumer may index any of them without checking."""
    properties = schema.get("properties")
    if isinstance(properties, dict):
        schema["required"] = list(properties)


def _mark_utc(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("format") == "date-time":
            node["pattern"] = _UTC_SUFFIX_PATTERN
        for child in node.values():
            _mark_utc(child)
    elif isinstance(node, list):
        for child in node:
            _mark_utc(child)
