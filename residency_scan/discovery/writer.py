"""Write a discovery result as a YAML inventory (`discover aws -o FILE`) that `scan FILE` reads back unchanged.

- Deterministic: the same result gives the same bytes (assets already sorted, keys in a fixed order, no
  timestamp), so an inventory kept in version control shows only what changed in the accounts.
- Valid by construction: every value went through the loader's own limits when the asset was built
  (`discovery.assets`); the tests load each written file with `load_inventory` and compare.
- `defaults: {sensitivity: sensitive}`: an untagged resource is sensitive (fail-closed), and an entity can
  change that default in one place. A tagged resource states its sensitivity itself.
- Coverage gaps are written as comments at the top: the inventory format has no place for them, and a reader
  of the file must see what it does not contain.
- Credentials never reach this module: the file holds account ids and ARNs only.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from residency_scan import __version__
from residency_scan.discovery.assets import sensitivity_is_tagged
from residency_scan.discovery.result import DiscoveryResult, NothingDiscovered
from residency_scan.inventory.suggest import printable
from residency_scan.models import Asset, Entity, EntityType, Inventory, SourceRef

MAX_GAP_COMMENTS = 200
_ASSET_LINE = re.compile(r"^- id: ", re.MULTILINE)


def default_entity(result: DiscoveryResult) -> Entity:
    """An entity name for a run that was given none: the accounts it read."""
    accounts = ", ".join(result.accounts[:5]) + (" …" if len(result.accounts) > 5 else "")
    return Entity(name=f"AWS accounts {accounts}" if accounts else "AWS accounts", type=EntityType.EIV)


def inventory_yaml(result: DiscoveryResult, entity: Entity) -> str:
    """The inventory text. Raises `NothingDiscovered` when there is no asset: an empty inventory passes everything."""
    if not result.assets:
        scope = ", ".join(result.accounts) or "no account could be read"
        raise NothingDiscovered(f"AWS discovery found no resource ({scope}; {len(result.gaps)} coverage gaps): "
                                "an empty inventory would pass every check")
    document = {
        "version": 1,
        "entity": {"name": entity.name, "type": entity.type.value},
        "defaults": {"sensitivity": "sensitive"},
        "assets": [asset_record(asset, result.sensitivity_tags) for asset in result.assets],
    }
    body = yaml.dump(document, Dumper=yaml.SafeDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=4096)
    return _header(result) + body


def asset_record(asset: Asset, sensitivity_tags: tuple[str, ...]) -> dict[str, Any]:
    record: dict[str, Any] = {"id": asset.id, "kind": asset.kind.value}
    if asset.target is not None:
        record["target"] = asset.target.raw
    if sensitivity_is_tagged(asset, sensitivity_tags):
        record["sensitivity"] = asset.sensitivity.value
    if asset.cloud is not None:
        cloud = asset.cloud.model_dump(exclude_none=True, exclude={"unknown_reason"})
        record["cloud"] = cloud
    if asset.description:
        record["description"] = asset.description
    if asset.tags:
        record["tags"] = dict(asset.tags)
    return record


def _header(result: DiscoveryResult) -> str:
    lines = [f"AWS inventory written by 'residency-scan discover aws' (residency-scan {__version__}).",
             f"Accounts: {', '.join(result.accounts) or 'none'}.",
             f"Regions: {', '.join(result.regions) or 'none'} (plus global services; S3 lists every bucket, "
             "wherever it is).",
             f"{len(result.assets)} resources; sensitivity from tags {', '.join(result.sensitivity_tags)}, "
             "else the default below."]
    if result.complete:
        lines.append("Coverage: complete (every account, region and service above was read).")
    else:
        lines.append(f"Coverage: INCOMPLETE. {len(result.gaps)} gaps: what they concern is NOT in this inventory.")
        lines += [f"  {printable(line, 400)}" for line in result.gap_lines()[:MAX_GAP_COMMENTS]]
        if len(result.gaps) > MAX_GAP_COMMENTS:
            lines.append(f"  … and {len(result.gaps) - MAX_GAP_COMMENTS} more")
    return "".join(f"# {line}\n" for line in lines)


def write_inventory(result: DiscoveryResult, entity: Entity, path: Path) -> str:
    """Write the inventory to `path` atomically (a reader never sees half a file); returns the text."""
    text = inventory_yaml(result, entity)
    directory = path.parent if str(path.parent) else Path()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return text


def to_inventory(result: DiscoveryResult, entity: Entity, path: str = "aws-discovery", *,
                 text: str | None = None) -> Inventory:
    """The `Inventory` that scanning the written file would load, without the file (`scan --aws`).

    Each asset's source line is its line in `inventory_yaml`, and the hash is that text's, so a report of
    `scan --aws` and one of `scan FILE` differ only in the path. `text` is `inventory_yaml(result, entity)` when
    the caller already wrote it (for a bundle): thousands of assets need not be written twice.
    """
    if text is None:
        text = inventory_yaml(result, entity)
    lines = [text.count("\n", 0, match.start()) + 1 for match in _ASSET_LINE.finditer(text)]
    assert len(lines) == len(result.assets)
    assets = tuple(asset.model_copy(update={"source": SourceRef(path=path, line=line)})
                   for asset, line in zip(result.assets, lines, strict=True))
    notes = tuple(f"AWS coverage gap: {line}" for line in result.gap_lines())
    return Inventory(path=path, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), entity=entity,
                     assets=assets, notes=notes)
