"""The manifest: which files a bundle holds, the hash and size of each, and what role each one plays.

The manifest is read from an untrusted file, so `parse_manifest` checks every field's type and every path's
shape and returns problems instead of raising: a verifier must be able to say *what* is wrong with a bundle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from residency_scan.bundle.layout import (
    DATASETS,
    EVIDENCE_DIR,
    FORMAT,
    INVENTORY_DIR,
    INVENTORY_FILE,
    INVENTORY_SOURCES,
    MANIFEST,
    MANIFEST_HASH,
    MAX_NAME,
    MAX_SENSITIVITY_TAGS,
    RESULT,
    RULES_DIR,
    TERRAFORM_PLAN,
    WAIVERS_DIR,
    dump_json,
    is_safe_path,
    is_sha256,
    shown,
)
from residency_scan.inventory.records import SENSITIVITY_TAGS


@dataclass(frozen=True)
class FileEntry:
    sha256: str
    size: int


@dataclass(frozen=True)
class Contents:
    """The role of each file. Lists keep their order: rule packs are judged in it, evidence is per asset."""

    inventory: str
    rule_packs: tuple[str, ...]
    waivers: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()
    result: str = RESULT
    datasets: str = DATASETS

    def paths(self) -> list[str]:
        return [self.result, self.datasets, self.inventory, *self.rule_packs, *self.waivers, *self.evidence,
                *self.reports]


@dataclass(frozen=True)
class Reading:
    """How the inventory was read (`layout.InventoryReading`), with the sensitivity map as a bundle path."""

    source: str = INVENTORY_FILE
    sensitivity_tags: tuple[str, ...] = SENSITIVITY_TAGS
    sensitivity_map: str | None = None


@dataclass(frozen=True)
class Manifest:
    tool_name: str
    tool_version: str
    created: str
    schema_version: str
    contents: Contents
    files: dict[str, FileEntry] = field(default_factory=dict)
    reading: Reading = Reading()

    def to_bytes(self) -> bytes:
        c = self.contents
        return dump_json({
            "format": FORMAT,
            "tool": {"name": self.tool_name, "version": self.tool_version},
            "created": self.created,
            "schema_version": self.schema_version,
            "contents": {
                "result": c.result, "datasets": c.datasets, "inventory": c.inventory,
                "rule_packs": list(c.rule_packs), "waivers": list(c.waivers), "evidence": list(c.evidence),
                "reports": list(c.reports),
            },
            "reading": {"source": self.reading.source, "sensitivity_tags": list(self.reading.sensitivity_tags),
                        "sensitivity_map": self.reading.sensitivity_map},
            "files": {path: {"sha256": e.sha256, "size": e.size} for path, e in sorted(self.files.items())},
        })


_ROLE_DIRS = {"inventory": INVENTORY_DIR, "rule_packs": RULES_DIR, "waivers": WAIVERS_DIR,
              "evidence": EVIDENCE_DIR}


def parse_manifest(data: bytes) -> tuple[Manifest | None, list[str]]:
    """The manifest in `data`, or None and why not. Messages name the field; the caller adds the file."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return None, [f"not valid JSON ({type(exc).__name__})"]
    if not isinstance(document, dict):
        return None, ["not a JSON object"]
    fmt = document.get("format")
    if fmt != FORMAT:
        return None, [f"format {shown(str(fmt))!s} is not one this residency-scan reads (it reads {FORMAT}); "
                      "use the version of residency-scan that wrote the bundle"]
    problems: list[str] = []
    tool = document.get("tool")
    tool_name = _string(tool.get("name") if isinstance(tool, dict) else None, "tool.name", problems)
    tool_version = _string(tool.get("version") if isinstance(tool, dict) else None, "tool.version", problems)
    created = _string(document.get("created"), "created", problems)
    schema_version = _string(document.get("schema_version"), "schema_version", problems)
    files = _files(document.get("files"), problems)
    contents = _contents(document.get("contents"), problems)
    reading = _reading(document.get("reading"), problems)
    if contents is not None:
        extra = [reading.sensitivity_map] if reading.sensitivity_map else []
        for path in [*contents.paths(), *extra]:
            if path not in files:
                problems.append(f"contents names {shown(path)}, which is not in files")
    if problems or contents is None:
        return None, problems
    return Manifest(tool_name, tool_version, created, schema_version, contents, files, reading), []


def _reading(value: object, problems: list[str]) -> Reading:
    if value is None:
        return Reading()
    if not isinstance(value, dict):
        problems.append("reading is not an object")
        return Reading()
    source = value.get("source")
    tags = value.get("sensitivity_tags")
    mapping = value.get("sensitivity_map")
    if source not in INVENTORY_SOURCES:
        problems.append(f"reading.source must be one of {', '.join(INVENTORY_SOURCES)}")
    if (not isinstance(tags, list) or not 0 < len(tags) <= MAX_SENSITIVITY_TAGS
            or not all(isinstance(t, str) and 0 < len(t) <= MAX_NAME for t in tags)):
        problems.append("reading.sensitivity_tags must be a list of tag names")
        tags = list(SENSITIVITY_TAGS)
    if mapping is not None and (not isinstance(mapping, str) or not mapping.startswith(f"{INVENTORY_DIR}/")):
        problems.append(f"reading.sensitivity_map must be a path under {INVENTORY_DIR}/")
        mapping = None
    if mapping is not None and source != TERRAFORM_PLAN:
        problems.append(f"reading.sensitivity_map applies to the {TERRAFORM_PLAN} source only")
    return Reading(source=str(source), sensitivity_tags=tuple(tags), sensitivity_map=mapping)


def _string(value: object, name: str, problems: list[str]) -> str:
    if not isinstance(value, str):
        problems.append(f"{name} is missing or not a string")
        return ""
    return value


def _files(value: object, problems: list[str]) -> dict[str, FileEntry]:
    if not isinstance(value, dict):
        problems.append("files is missing or not an object")
        return {}
    files: dict[str, FileEntry] = {}
    for path, entry in value.items():
        if not is_safe_path(path) or path in (MANIFEST, MANIFEST_HASH):
            problems.append(f"files lists {shown(path)}, which is not a path a bundle may hold")
            continue
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        size = entry.get("size") if isinstance(entry, dict) else None
        if not is_sha256(digest) or not isinstance(size, int) or isinstance(size, bool) or size < 0:
            problems.append(f"files.{shown(path)} needs a lower-case hex sha256 and a size")
            continue
        assert isinstance(digest, str)
        files[path] = FileEntry(digest, size)
    return files


def _contents(value: object, problems: list[str]) -> Contents | None:
    if not isinstance(value, dict):
        problems.append("contents is missing or not an object")
        return None
    roles: dict[str, Any] = {}
    for role in ("result", "datasets", "inventory"):
        roles[role] = value.get(role)
        if not isinstance(roles[role], str):
            problems.append(f"contents.{role} is missing or not a string")
    for role in ("rule_packs", "waivers", "evidence", "reports"):
        items = value.get(role, [])
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            problems.append(f"contents.{role} is not a list of paths")
            items = []
        roles[role] = tuple(items)
    if problems:
        return None
    if roles["result"] != RESULT or roles["datasets"] != DATASETS:
        problems.append(f"contents.result and contents.datasets must be {RESULT} and {DATASETS}")
    for role, directory in _ROLE_DIRS.items():
        paths = roles[role] if isinstance(roles[role], tuple) else (roles[role],)
        for path in paths:
            if not path.startswith(f"{directory}/"):
                problems.append(f"contents.{role} lists {shown(path)}, outside {directory}/")
    for path in roles["reports"]:
        if "/" in path:
            problems.append(f"contents.reports lists {shown(path)}, which is not at the top of the bundle")
    if not roles["rule_packs"]:
        problems.append("contents.rule_packs is empty: no result is judged without rules")
    if problems:
        return None
    return Contents(inventory=roles["inventory"], rule_packs=roles["rule_packs"], waivers=roles["waivers"],
                    evidence=roles["evidence"], reports=roles["reports"])
