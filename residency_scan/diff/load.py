"""Read a scan result back from its JSON file, for `diff` and `scan --baseline`.

The file is user input like an inventory: it may be hand-edited, truncated, from another version, or not a
result at all. Every way it can be wrong becomes an `InputError` (exit 2) whose problems say where and how to
fix it: a JSON syntax error names its line, a schema mismatch names the field path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from residency_scan.bulk import paused_gc
from residency_scan.errors import InputError, Problem
from residency_scan.models import SCHEMA_VERSION, ScanResult
from residency_scan.safe_yaml import read_text

__all__ = ["DEFAULT_RESULT_MAX_BYTES", "MAX_REPORTED_ERRORS", "load_result"]

MAX_REPORTED_ERRORS = 5
"""Schema errors listed per file: past a few, the file is simply not a result and more lines do not help."""

DEFAULT_RESULT_MAX_BYTES = 1024 * 1024 * 1024
"""Largest result file read by default. A result takes about 3.7 kB per asset (evidence included), so the
inventories' 64 MiB limit would refuse a scan of 20,000 assets; 1 GiB holds about 280,000."""

_ASSET_KEYS = frozenset({"id", "verdict", "location", "evidence", "checks", "findings"})

_HOW_TO_MAKE_ONE = "write one with: residency-scan scan INVENTORY --format json -o FILE"


class _DuplicateKey(ValueError):
    pass


def load_result(path: Path, *, max_bytes: int = DEFAULT_RESULT_MAX_BYTES, evidence: bool = True) -> ScanResult:
    """The `ScanResult` saved in `path` by `scan --format json`, or an `InputError` that says what is wrong.

    With `evidence=False` every asset's evidence is dropped while the file is parsed, before validation:
    comparing results and checking a baseline never read it, and it is most of a result's size (on 100,000
    assets, 1.2 GB in memory instead of 3.3 GB). Such a result has empty `evidence` tuples.
    """
    display = str(path)
    hook = _refuse_duplicate_keys if evidence else _refuse_duplicate_keys_and_drop_evidence
    with paused_gc():  # millions of acyclic objects: see residency_scan.bulk
        # NOTE: the text is not kept in a variable, so it is freed as soon as it is parsed.
        document = _parse_json(read_text(path, max_bytes=max_bytes, what="scan result"), display, hook)
        result = _validate(document, display)
        del document  # freed here, while the collector is still paused
    duplicates = _duplicate_problems(result, display)
    if duplicates:
        raise InputError(duplicates)
    return result


def _validate(document: Any, display: str) -> ScanResult:
    if not isinstance(document, dict):
        raise InputError([Problem(display, f"not a residency-scan result: the file holds a JSON "
                                           f"{_json_type(document)}, not an object", hint=_HOW_TO_MAKE_ONE)])
    _check_schema_version(document, display)
    try:
        return ScanResult.model_validate(document)
    except ValidationError as exc:
        raise InputError(_schema_problems(exc, document, display)) from None


def _parse_json(text: str, display: str, hook: Callable[[list[tuple[str, Any]]], dict[str, Any]]) -> Any:
    try:
        return json.loads(text, object_pairs_hook=hook, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(display, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno,
                                  hint=_HOW_TO_MAKE_ONE)]) from None
    except _DuplicateKey as exc:
        raise InputError([Problem(display, str(exc), hint="a result file written by residency-scan never "
                                                          "repeats a key; was it edited by hand?")]) from None
    except RecursionError:
        raise InputError([Problem(display, "not a residency-scan result: JSON nested too deeply")]) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise InputError([Problem(display, f"not a residency-scan result: {exc}")]) from None


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON allows a key twice and keeps the last; two readers may then disagree on the same file."""
    document = dict(pairs)  # NOTE: built in C; looking for the culprit only when there is one keeps this cheap
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"key {key[:80]!r} appears twice in one object")
            seen.add(key)
    return document


def _refuse_duplicate_keys_and_drop_evidence(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """As above; an asset's evidence (objects are parsed innermost first) is let go as soon as it is read."""
    document = _refuse_duplicate_keys(pairs)
    if document.keys() >= _ASSET_KEYS:
        document["evidence"] = []
    return document


def _refuse_constant(name: str) -> float:
    """NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise."""
    raise ValueError(f"{name} is not a JSON number")


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "boolean" if isinstance(value, bool) else "number"


def _major(version: str) -> str:
    return version.split(".", 1)[0]


def _check_schema_version(document: dict[str, Any], display: str) -> None:
    """Refuse another major version before validating: its errors would only be noise."""
    version = document.get("schema_version")
    if version is None:
        raise InputError([Problem(display, "not a residency-scan result: no schema_version",
                                  field="schema_version", hint=_HOW_TO_MAKE_ONE)])
    if not isinstance(version, str):
        raise InputError([Problem(display, "schema_version must be a string such as "
                                           f"{SCHEMA_VERSION!r}", field="schema_version")])
    if _major(version) != _major(SCHEMA_VERSION):
        raise InputError([Problem(
            display,
            f"schema_version {version[:20]!r} is not supported: this residency-scan reads "
            f"{_major(SCHEMA_VERSION)}.x results",
            field="schema_version",
            hint="scan again with this version of residency-scan, or compare with the version that wrote it",
        )])


def _schema_problems(exc: ValidationError, document: dict[str, Any], display: str) -> list[Problem]:
    errors = exc.errors(include_url=False, include_input=False)
    newer = _is_newer_minor(document) and any(e["type"] == "extra_forbidden" for e in errors)
    hint = ("written by a newer residency-scan (schema_version " + str(document["schema_version"])[:20]
            + "); upgrade to read it") if newer else None
    problems = [
        Problem(display, f"not a residency-scan result: {error['msg']}", field=_field_path(error["loc"]),
                hint=hint)
        for error in errors[:MAX_REPORTED_ERRORS]
    ]
    if len(errors) > MAX_REPORTED_ERRORS:
        problems.append(Problem(display, f"… and {len(errors) - MAX_REPORTED_ERRORS} more schema errors"))
    return problems


def _is_newer_minor(document: dict[str, Any]) -> bool:
    theirs, ours = _minor(str(document.get("schema_version"))), _minor(SCHEMA_VERSION)
    return theirs is not None and ours is not None and theirs > ours


def _minor(version: str) -> int | None:
    parts = version[:20].split(".")
    if len(parts) < 2 or not (parts[1].isascii() and parts[1].isdigit()):
        return None
    return int(parts[1])


def _field_path(loc: tuple[int | str, ...]) -> str:
    """`assets[3].findings[0].outcome` from pydantic's ("assets", 3, "findings", 0, "outcome")."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{str(part)[:80]}" if path else str(part)[:80]
    return path or "(top level)"


def _duplicate_problems(result: ScanResult, display: str) -> list[Problem]:
    """Assets are matched by id and findings by rule: a result where either repeats cannot be compared."""
    problems: list[Problem] = []
    first_index: dict[str, int] = {}
    for index, asset in enumerate(result.assets):
        if asset.id in first_index:
            problems.append(Problem(display, f"asset id {asset.id[:80]!r} appears twice (also "
                                             f"assets[{first_index[asset.id]}])", field=f"assets[{index}].id"))
            continue
        first_index[asset.id] = index
        rules: set[str] = set()
        for position, finding in enumerate(asset.findings):
            if finding.rule in rules:
                problems.append(Problem(display, f"rule {finding.rule[:80]!r} has two findings on one asset",
                                        field=f"assets[{index}].findings[{position}].rule"))
            rules.add(finding.rule)
    return problems[:MAX_REPORTED_ERRORS]
