"""What a bundle contains and where, shared by the writer, the verifier and the reader.

A bundle is a directory, or a zip of that directory, that an auditor can check and re-render without the
scanner's machine:

```
manifest.json            format, tool, creation time, the role of each file, and {path: {sha256, size}}
manifest.sha256          "<sha256 of manifest.json>  manifest.json" (sha256sum -c compatible)
result.json              the JSON report, byte for byte as `--format json` writes it
datasets.json            the datasets the evidence came from (result.json's data_sources)
inventory/<file>         the inventory that was scanned, its original bytes (and a Terraform plan's
                         sensitivity map, if one was used)
rules/<file>...          every rule pack that judged it, original bytes, in the order they were used
waivers/<file>...        the waiver files used, if any
evidence/NNNN-<id>.json  per asset, in inventory order: every evidence item with its raw answer
report.html ...          renderings made at scan time
```

Every name the writer creates is ASCII from a small alphabet, so the verifier can refuse every other name
outright: a hostile bundle cannot smuggle `../`, an absolute path, a device name or a control character past
a check that only has to know one pattern.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from residency_scan.inventory.records import SENSITIVITY_TAGS
from residency_scan.models import AssetResult, Evidence
from residency_scan.reports.text import dump_json_text, dump_model_text

FORMAT = "residency-scan-bundle/1"
"""Manifest `format`. Bump when a file changes meaning; readers refuse formats they do not know."""

MANIFEST = "manifest.json"
MANIFEST_HASH = "manifest.sha256"
RESULT = "result.json"
DATASETS = "datasets.json"
INVENTORY_DIR = "inventory"
RULES_DIR = "rules"
WAIVERS_DIR = "waivers"
EVIDENCE_DIR = "evidence"

RESERVED_NAMES = frozenset({MANIFEST, MANIFEST_HASH, RESULT, DATASETS, INVENTORY_DIR, RULES_DIR, WAIVERS_DIR,
                            EVIDENCE_DIR})

MAX_NAME = 100
"""Longest file name the writer makes (well under every file system's 255 bytes, zip tools included)."""

_SEGMENT = rf"[A-Za-z0-9_][A-Za-z0-9._-]{{0,{MAX_NAME - 1}}}"
_SAFE_PATH = re.compile(rf"(?:{_SEGMENT}/){{0,1}}{_SEGMENT}")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_HEX64 = re.compile(r"[0-9a-f]{64}")



@dataclass(frozen=True)
class BundleLimits:
    """How much a bundle may hold before reading it is refused: a zip bomb is a problem, not a crash.

    A 100,000-asset scan makes a 790 MB bundle (result.json 380 MB, one evidence file per asset) that zips to
    70 MB, about 11 to 1. Deflate reaches 1000 to 1 on repeated bytes, so a zip member that claims to inflate
    more than `max_ratio` times is refused whatever its size; the absolute caps leave room for the largest
    inventories `--max-input-size` lets through.
    """

    max_file_bytes: int = 4 * 1024**3
    max_total_bytes: int = 16 * 1024**3
    max_files: int = 1_000_000
    max_manifest_bytes: int = 256 * 1024**2
    max_ratio: int = 100
    ratio_from_bytes: int = 1024**2  # smaller members are not held to the ratio (a few KB can compress 200x)


DEFAULT_LIMITS = BundleLimits()


def is_safe_path(path: str) -> bool:
    """Whether `path` is a name the writer could have made: one or two safe segments, nothing else."""
    return _SAFE_PATH.fullmatch(path) is not None


def is_sha256(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def safe_file_name(name: str, *, fallback: str) -> str:
    """A name for `name` inside the bundle: ASCII letters, digits, `._-`, no leading dot, length-capped.

    The suffix is kept (the inventory reader chooses YAML or CSV by it) and the stem is cut to fit.
    """
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem.strip("."):
        stem, suffix = name, ""
    clean_suffix = _UNSAFE_CHARS.sub("_", suffix)[:16]
    clean_stem = _UNSAFE_CHARS.sub("_", stem).lstrip(".-")
    if not clean_stem.strip("_"):
        clean_stem = fallback
    tail = f".{clean_suffix}" if clean_suffix else ""
    return clean_stem[: MAX_NAME - len(tail)] + tail


def unique_names(names: list[str]) -> list[str]:
    """`names` made unique by suffixing the later duplicates (`pack.yaml`, `pack-2.yaml`), order kept."""
    taken: set[str] = set()
    unique: list[str] = []
    for name in names:
        candidate, counter = name, 1
        while candidate.lower() in taken:  # NOTE: case-insensitive, for auditors who unzip on Windows/macOS
            counter += 1
            stem, dot, suffix = name.rpartition(".")
            base, tail = (stem, f".{suffix}") if dot and stem else (name, "")
            marker = f"-{counter}"
            candidate = base[: MAX_NAME - len(tail) - len(marker)] + marker + tail
        taken.add(candidate.lower())
        unique.append(candidate)
    return unique


def evidence_name(index: int, asset_id: str, width: int) -> str:
    """`evidence/0007-portail-citoyens.json`: the number keeps inventory order and makes names unique."""
    number = f"{index:0{width}d}"
    stem = _UNSAFE_CHARS.sub("_", asset_id)[: MAX_NAME - len(number) - 6] or "asset"
    return f"{EVIDENCE_DIR}/{number}-{stem}.json"


def dump_json(document: Any) -> bytes:
    """Indented UTF-8 JSON, inert when printed: the conventions of the JSON report, for the bundle's files."""
    return (dump_json_text(document) + "\n").encode("utf-8")


def dump_models(models: Sequence[BaseModel]) -> bytes:
    """A JSON list of models, as the JSON report writes them (`datasets.json`)."""
    return dump_json([model.model_dump(mode="json") for model in models])


class EvidenceFile(BaseModel):
    """The content of `evidence/NNNN-<id>.json`: one asset's evidence, every item with its raw answer."""

    asset: str
    target: str | None
    evidence: tuple[Evidence, ...]


def evidence_file(asset: AssetResult) -> bytes:
    document = EvidenceFile.model_construct(asset=asset.id, target=asset.target, evidence=asset.evidence)
    return (dump_model_text(document) + "\n").encode("utf-8")


def manifest_hash_line(digest: str) -> bytes:
    """The `manifest.sha256` file: what `sha256sum -c manifest.sha256` checks."""
    return f"{digest}  {MANIFEST}\n".encode("ascii")


def parse_manifest_hash_line(data: bytes) -> str | None:
    """The digest in a `manifest.sha256` file, or None when it is not exactly the line the writer makes."""
    match = re.fullmatch(rb"([0-9a-f]{64})[ ][ *]manifest\.json\r?\n?", data)
    return match.group(1).decode("ascii") if match else None


def shown(name: str, limit: int = 120) -> str:
    """A hostile entry name, bounded and with its control characters visible, for a problem message."""
    text = name.encode("unicode_escape", "backslashreplace").decode("ascii")
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass(frozen=True)
class BundleFile:
    """A file going into a bundle or read from one: its name (in the bundle, or originally) and its bytes."""

    name: str
    data: bytes


INVENTORY_FILE = "file"
TERRAFORM_PLAN = "terraform-plan"
INVENTORY_SOURCES = (INVENTORY_FILE, TERRAFORM_PLAN)
MAX_SENSITIVITY_TAGS = 32


@dataclass(frozen=True)
class InventoryReading:
    """How the inventory was read (`scan INVENTORY` or `--terraform PLAN`, `--sensitivity-tag`,
    `--sensitivity-map`), recorded so that a replay reads the bundled copy exactly as the scan read the original.
    The entity needs no record: the result carries the one that was used."""

    source: str = INVENTORY_FILE  # one of INVENTORY_SOURCES
    sensitivity_tags: tuple[str, ...] = SENSITIVITY_TAGS
    sensitivity_map: Path | BundleFile | None = None  # Terraform plans only


def evidence_document(asset: Any) -> dict[str, Any]:
    """What one evidence file must hold, from the JSON form of one asset of result.json (`EvidenceFile`)."""
    return {"asset": json_get(asset, "id"), "target": json_get(asset, "target"),
            "evidence": json_get(asset, "evidence")}


def json_get(document: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document
