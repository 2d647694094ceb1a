"""Reading a verified bundle back: the recorded result, the inputs it came from, and re-rendering it offline.

`load_bundle` verifies first and uses only the bytes whose hashes it checked: a bundle that does not verify
is bad input (exit 2) listing every problem, never half-read. The recorded result can be had whole
(`LoadedBundle.result`, for reporters) or as its header plus one asset at a time (`iter_assets`, for replay),
which keeps a 100,000-asset replay from holding every recorded asset as models at once.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from residency_scan.bundle.coherence import iter_result
from residency_scan.bundle.layout import DEFAULT_LIMITS, RESULT, BundleFile, BundleLimits, InventoryReading, shown
from residency_scan.bundle.manifest import Manifest
from residency_scan.bundle.verify import check_bundle
from residency_scan.errors import InputError, Problem
from residency_scan.models import SCHEMA_VERSION, AssetResult, ScanResult
from residency_scan.reports import ReportFormat, get_reporter

_ROLES = ("result", "inventory", "rule_packs", "waivers", "reports", "sensitivity_map")
_MAX_SHOWN_ERRORS = 5


@dataclass(frozen=True)
class LoadedBundle:
    """A verified bundle. `BundleFile.name` is the file's path inside the bundle (`rules/pack.yaml`).

    `header` is the recorded `ScanResult` without its assets; `result` the whole of it (parsed on first use).
    How the inventory was read is `manifest.reading`; `sensitivity_map` is the map file it names, if any.
    """

    path: Path
    manifest: Manifest
    manifest_sha256: str
    header: ScanResult
    result_json: bytes
    inventory: BundleFile
    rule_packs: tuple[BundleFile, ...]
    waivers: tuple[BundleFile, ...]
    renderings: Mapping[str, bytes]
    sensitivity_map: BundleFile | None = None

    @functools.cached_property
    def result(self) -> ScanResult:
        try:
            return ScanResult.model_validate_json(self.result_json)
        except ValidationError as exc:
            raise _invalid(self.path, exc) from None

    @property
    def inventory_reading(self) -> InventoryReading:
        """How the inventory was read, to write a new bundle (of a replay) that reads it the same way."""
        reading = self.manifest.reading
        return InventoryReading(source=reading.source, sensitivity_tags=reading.sensitivity_tags,
                                sensitivity_map=self.sensitivity_map)

    def iter_assets(self) -> Iterator[AssetResult]:
        """The recorded asset results in order, validated one at a time. InputError for one that is invalid."""
        for key, value in iter_result(self.result_json.decode("utf-8")):
            if key is None:
                try:
                    yield AssetResult.model_validate(value)
                except ValidationError as exc:
                    raise _invalid(self.path, exc, "assets[]") from None


def load_bundle(path: Path, *, limits: BundleLimits = DEFAULT_LIMITS) -> LoadedBundle:
    """Verify the bundle at `path` and read it. InputError (exit 2) when it does not verify or its result is
    not one this version reads."""
    report, verified = check_bundle(path, limits=limits, keep_roles=_ROLES)
    if not report.ok:
        raise InputError(list(report.problems))
    manifest = verified.manifest
    assert manifest is not None and report.manifest_sha256 is not None  # verified
    assert verified.result_header is not None  # verified: result.json is a coherent JSON object
    contents = manifest.contents
    data = verified.data
    return LoadedBundle(
        path=path,
        manifest=manifest,
        manifest_sha256=report.manifest_sha256,
        header=parse_header(verified.result_header, path),
        result_json=data[contents.result],
        inventory=BundleFile(contents.inventory, data[contents.inventory]),
        rule_packs=tuple(BundleFile(p, data[p]) for p in contents.rule_packs),
        waivers=tuple(BundleFile(p, data[p]) for p in contents.waivers),
        renderings={name: data[name] for name in contents.reports},
        sensitivity_map=BundleFile(mapping, data[mapping]) if (mapping := manifest.reading.sensitivity_map) else None,
    )


def parse_header(header: dict[str, Any], bundle: Path) -> ScanResult:
    """The recorded result without its assets; a schema version this version does not read is a clear error."""
    version = header.get("schema_version")
    if version != SCHEMA_VERSION:
        tool = _tool_of(header)
        raise InputError([Problem(
            str(bundle), f"schema_version {shown(str(version))} is not the one this residency-scan reads "
                         f"({SCHEMA_VERSION})", field=RESULT,
            hint=f"use the version that wrote it ({tool})" if tool else None)])
    try:
        return ScanResult.model_validate_json(json.dumps({**header, "assets": []}))
    except ValidationError as exc:
        raise _invalid(bundle, exc) from None


def _invalid(bundle: Path, exc: ValidationError, where: str = "") -> InputError:
    errors = exc.errors(include_url=False, include_input=False)
    details = "; ".join(f"{where}{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:_MAX_SHOWN_ERRORS])
    more = f" (and {len(errors) - _MAX_SHOWN_ERRORS} more)" if len(errors) > _MAX_SHOWN_ERRORS else ""
    return InputError([Problem(str(bundle), f"does not match schema_version {SCHEMA_VERSION}: "
                                            f"{shown(details, 600)}{more}", field=RESULT)])


def _tool_of(document: Any) -> str | None:
    tool = document.get("tool") if isinstance(document, dict) else None
    if isinstance(tool, dict) and isinstance(tool.get("name"), str) and isinstance(tool.get("version"), str):
        return shown(f"{tool['name']} {tool['version']}", 80)
    return None


def render_from_bundle(path: Path, fmt: ReportFormat | str, **options: Any) -> str | bytes:
    """Render the recorded result of a verified bundle in any report format, offline.

    `options` are the reporters' presentation options (`color`, `width`, `lang`...), as for `get_reporter`.
    """
    return get_reporter(fmt, **options).render(load_bundle(path).result)
