"""The JSON report: the public contract of residency-scan, and the JSON Schema that describes it.

The document is `ScanResult` itself, field for field, so a consumer reads exactly what the other reporters
render: since schema 1.1 that includes the compliance matrix, every waiver with its status, the admin-access
logs read, and per asset its access records and the inventory facts the rules read. It is deterministic: the
same `ScanResult` gives the same bytes. Keys come in model field order, assets in inventory order (never
sorted), and every set inside is already a sorted tuple.

Conventions a consumer can rely on (also stated in the schema):
- every key of every object is present, `null` when it has no value;
- every date-time is UTC, ISO 8601, ending in "Z" (e.g. "2025-06-01T09:30:00Z"); the models convert every
  timestamp to UTC when they are built (a naive one is taken as UTC); dates (`data_sources[].date`) are
  plain "YYYY-MM-DD";
- characters that are valid JSON but dangerous when the file is printed to a terminal or pasted into a
  page (C1 controls, DEL, bidi overrides, U+2028/9) are written as \\uXXXX escapes, so the file is inert
  under `cat` and a JSON parser still gives back the exact strings;
- the file is valid UTF-8: an unpaired surrogate (only a file name undecodable in UTF-8 can bring one in,
  through surrogateescape) becomes U+FFFD, because strict parsers refuse a lone "\\udcff".
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any, BinaryIO

from residency_scan.models import SCHEMA_VERSION, AssetResult, ScanResult
from residency_scan.reports.text import dump_model_text

__all__ = ["SCHEMA_VERSION", "AssetSpool", "JsonReporter", "render_schema", "scan_result_schema"]


SCHEMA_ID = f"urn:residency-scan:scan-result:{SCHEMA_VERSION}"

SCHEMA_RESOURCE = "scan-result.schema.json"
"""Name of the committed schema inside `residency_scan/data` (written by scripts/gen_schema.py)."""

_UTC_SUFFIX_PATTERN = "Z$"


class JsonReporter:
    """An implementation of `Reporter` that writes the `ScanResult` contract as indented UTF-8 JSON.

    NOTE: serialisation is pydantic-core's (Rust), asset by asset: `json.dumps(indent=2)` runs the pure-Python
    encoder and took 80% of a 100,000-asset scan, and one string of the whole document (hundreds of MB)
    tripled peak memory. `AssetSpool` streams the same bytes that `render` returns.
    """

    def render(self, result: ScanResult) -> str:
        return "".join(self.chunks(result))

    def chunks(self, result: ScanResult) -> Iterator[str]:
        """The document in pieces: everything but the assets, then one asset at a time."""
        yield _head(result, has_assets=bool(result.assets))
        for index, asset in enumerate(result.assets):
            yield _asset_piece(asset, first=index == 0)
        yield _tail(has_assets=bool(result.assets))


class AssetSpool:
    """Asset results written to a temporary file as they are judged, then assembled behind the header.

    The header (summary, dataset counts) is only known once every asset is judged, yet comes first in the
    document; spooling keeps memory flat for any inventory size. The bytes equal `JsonReporter.render`.
    """

    def __init__(self) -> None:
        self._spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close() / the with block
        self._count = 0

    def __enter__(self) -> AssetSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._spool.close()

    def add(self, asset: AssetResult) -> None:
        self._spool.write(_asset_piece(asset, first=self._count == 0).encode("utf-8"))
        self._count += 1

    def write_document(self, result: ScanResult, stream: BinaryIO) -> None:
        """Write the whole document: `result`'s header (its own assets are ignored), then the spooled ones."""
        stream.write(_head(result, has_assets=self._count > 0).encode("utf-8"))
        self._spool.seek(0)
        shutil.copyfileobj(self._spool, stream)
        stream.write(_tail(has_assets=self._count > 0).encode("utf-8"))


def _head(result: ScanResult, *, has_assets: bool) -> str:
    head = dump_model_text(result, exclude={"assets"})
    assert head.endswith("\n}"), "assets must stay the last field of ScanResult"
    return head[:-2] + (',\n  "assets": [\n' if has_assets else ',\n  "assets": []')


def _asset_piece(asset: AssetResult, *, first: bool) -> str:
    return ("" if first else ",\n") + "    " + dump_model_text(asset).replace("\n", "\n    ")


def _tail(*, has_assets: bool) -> str:
    return "\n  ]\n}\n" if has_assets else "\n}\n"


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
            "Assets are in inventory order; a verdict is violation, indeterminate, waived (every non-compliant "
            "finding covered by a valid waiver; the findings keep their outcome and carry the waiver), compliant "
            "or not-applicable, and an unknown or contradicted location is never compliant. `matrix`, `waivers` "
            "and `access_logs` (1.1) come before `assets`, which stay the last key. "
            "Generated from residency_scan.models.ScanResult by scripts/gen_schema.py; do not edit."
        ),
        **generated,
    }


def render_schema() -> str:
    """The schema file's exact text, so the generator and the freshness test agree byte for byte."""
    return json.dumps(scan_result_schema(), indent=2, ensure_ascii=False) + "\n"


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
