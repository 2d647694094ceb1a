"""Do the parts of an intact bundle agree with its result.json? The last layer of `verify_bundle`.

The inventory and rule files must be the ones result.json names by hash; datasets.json and every evidence
file must say what result.json says. Documents are compared as JSON values, not as this version's models, so
a bundle written by another version of the tool still verifies.

result.json is read one asset at a time (`iter_result`): parsed whole, the result of a 100,000-asset scan
(about 380 MB) would take gigabytes of Python objects just to be compared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from typing import Any, Protocol

from residency_scan.bundle.layout import RESULT, evidence_document, json_get
from residency_scan.bundle.manifest import Manifest

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class Checker(Protocol):
    """What the coherence checks need from the verifier: checked bytes, checked hashes, a place for problems."""

    digests: dict[str, str]

    def problem(self, member: str | None, message: str, hint: str | None = None) -> None: ...

    def read_checked(self, path: str) -> bytes | None: ...


def check_coherence(checker: Checker, manifest: Manifest) -> dict[str, Any] | None:
    """Report every disagreement to `checker`; return result.json's members but "assets" (its header)."""
    data = checker.read_checked(RESULT)
    if data is None:
        return None
    header: dict[str, Any] = {}
    evidence = manifest.contents.evidence
    count = 0
    try:
        for key, value in iter_result(data.decode("utf-8")):
            if key is not None:
                header[key] = value
                continue
            if count < len(evidence):
                _evidence(checker, evidence[count], value)
            count += 1
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        checker.problem(RESULT, f"not a valid JSON object ({shown_error(exc)})")
        return None
    if count != len(evidence):
        checker.problem(RESULT, f"has {count} assets but the bundle holds {len(evidence)} evidence files")
    _header(checker, manifest, header)
    return header


def iter_result(text: str) -> Iterator[tuple[str | None, Any]]:
    """The members of a JSON object, in order, as (key, value); the items of its "assets" array one by one, as
    (None, item). Raises ValueError when `text` is not one JSON object."""
    position = _skip(text, 0)
    position = _expect(text, position, "{")
    if text.startswith("}", position):
        position += 1
    else:
        while True:
            key, position = _DECODER.raw_decode(text, position)
            if not isinstance(key, str):
                raise ValueError(f"an object key must be a string (at {position})")
            position = _expect(text, _skip(text, position), ":")
            if key == "assets" and text.startswith("[", position):
                position = yield from _items(text, _skip(text, position + 1))
            else:
                value, position = _DECODER.raw_decode(text, position)
                yield key, value
            position = _skip(text, position)
            if text.startswith("}", position):
                position += 1
                break
            position = _expect(text, position, ",")
    if _skip(text, position) != len(text):
        raise ValueError(f"extra data after the object (at {position})")


def _items(text: str, position: int) -> Generator[tuple[str | None, Any], None, int]:
    """Yield the items of the array whose first item starts at `position`; return the position after it."""
    if text.startswith("]", position):
        return position + 1
    while True:
        item, position = _DECODER.raw_decode(text, position)
        yield None, item
        position = _skip(text, position)
        if text.startswith("]", position):
            return position + 1
        position = _expect(text, position, ",")


def _skip(text: str, position: int) -> int:
    match = _SPACE.match(text, position)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _expect(text: str, position: int, token: str) -> int:
    if not text.startswith(token, position):
        raise ValueError(f"expected '{token}' at {position}")
    return _skip(text, position + 1)


def shown_error(exc: BaseException) -> str:
    return type(exc).__name__ if isinstance(exc, RecursionError) else str(exc)[:200]


def _header(checker: Checker, manifest: Manifest, result: dict[str, Any]) -> None:
    if result.get("schema_version") != manifest.schema_version:
        checker.problem(RESULT, "its schema_version is not the one the manifest records")
    if result.get("generated_at") != manifest.created:
        checker.problem(RESULT, "its generated_at is not the manifest's creation time")
    inventory = manifest.contents.inventory
    if checker.digests.get(inventory) != json_get(result, "inventory", "sha256"):
        checker.problem(inventory, "is not the inventory result.json was computed from (its sha256 differs from "
                                   "result.json's inventory.sha256)")
    _rule_packs(checker, manifest, result)
    datasets = manifest.contents.datasets
    data = checker.read_checked(datasets)
    if data is not None:
        try:
            recorded = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            checker.problem(datasets, f"not valid JSON ({shown_error(exc)})")
            return
        if recorded != result.get("data_sources"):
            checker.problem(datasets, "differs from result.json's data_sources")


def _rule_packs(checker: Checker, manifest: Manifest, result: dict[str, Any]) -> None:
    packs = result.get("rule_packs")
    remaining = [json_get(p, "sha256") for p in packs] if isinstance(packs, list) else []
    for path in manifest.contents.rule_packs:
        digest = checker.digests.get(path)
        if digest in remaining:
            remaining.remove(digest)
        else:
            checker.problem(path, "is not one of the rule packs result.json names (no rule_packs[].sha256 matches it)")
    if remaining:
        checker.problem(RESULT, f"names {len(remaining)} rule pack(s) the bundle does not hold")


def _evidence(checker: Checker, path: str, asset: Any) -> None:
    data = checker.read_checked(path)
    if data is None:
        return
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        checker.problem(path, f"not valid JSON ({shown_error(exc)})")
        return
    if document != evidence_document(asset):
        checker.problem(path, "differs from the evidence result.json records for this asset")
