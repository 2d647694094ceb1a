"""An implementation of `InventorySource` that reads CSV exports of spreadsheets and CMDBs.

The columns are the YAML fields, flattened: `id, kind, target, sensitivity, vendor, description, owner,
tags`, `cloud_provider, cloud_region, cloud_account, cloud_service, cloud_resource` and
`declared_country, declared_city, declared_provider, declared_qualification`, and the legal facts
`sensitive_data, sensitive_system, personal_data, service_type, cndp_authorisation, subcontractors`. Dotted
names (`cloud.provider`) are accepted too, and headers are read case-insensitively. `tags` holds
`key=value;key2=value2`; yes/no cells take true/false, yes/no, oui/non or 1/0.

`subcontractors` holds `name:role:country:data_access` entries separated by `|`, trailing parts optional
(`Acme Support:support:FR:no|Datacentre X:hosting:MA`); `none` (or `aucun`) declares that there are none,
while an empty cell declares nothing. A name therefore cannot hold ':' or '|'.

- The delimiter is `,`, `;` (what a French Excel writes) or a tab, chosen by which one splits the header
  line into the most known column names.
- Lines starting with '#' before the header are comments; blank rows (Excel leaves `;;;;` behind) are
  skipped; an empty cell is an absent value.
- A column without a header is ignored while it stays empty.
- A CSV has no entity section: the caller supplies one, else the file's stem names an `eiv` entity.
- Line numbers are physical lines: a quoted cell spanning lines moves the next record's line down.
"""

from __future__ import annotations

import csv
import io
import itertools
from typing import TYPE_CHECKING

from residency_scan.errors import InventoryError, Problem
from residency_scan.inventory.facts import SUBCONTRACTOR_FIELDS
from residency_scan.inventory.files import FileInventory, ProblemLog, read_inventory_file
from residency_scan.inventory.records import (
    ASSET_FIELDS,
    CLOUD_FIELDS,
    DECLARED_FIELDS,
    AssetBuilder,
    located,
)
from residency_scan.inventory.suggest import did_you_mean, printable, shown
from residency_scan.models import Asset, Entity, EntityType, Inventory
from residency_scan.safe_yaml import LocatedDict, LocatedList

if TYPE_CHECKING:
    import _csv

GROUPS = {"cloud": CLOUD_FIELDS, "declared": DECLARED_FIELDS}
COLUMNS = (
    *(name for name in ASSET_FIELDS if name not in GROUPS),
    *(f"{group}.{name}" for group, names in GROUPS.items() for name in names),
)
DELIMITERS = (",", ";", "\t")
REQUIRED_COLUMNS = ("id", "kind")
NO_SUBCONTRACTORS = ("none", "aucun", "aucune")


class CsvInventory(FileInventory):
    """Reads one CSV inventory."""

    def _load(self) -> Inventory:
        display = str(self.path)
        text, sha256 = read_inventory_file(self.path, self.max_bytes)
        stream = io.StringIO(text, newline="")
        header_line, offset = _skip_comments(stream)
        if header_line is None:
            raise InventoryError([Problem(display, "the inventory is empty",
                                          hint="the first line names the columns: id,kind,target,…")])
        delimiter = detect_delimiter(header_line)
        reader = csv.reader(itertools.chain([header_line], stream), delimiter=delimiter, strict=True)
        log = ProblemLog(display)
        try:
            header = next(reader)
        except csv.Error as exc:
            raise InventoryError([Problem(display, f"the header is not valid CSV: {exc}", line=offset + 1,
                                          hint="check the double quotes on this line")]) from None
        columns = _read_header(header, offset + 1, log)
        log.raise_if_any()
        labels = {name: written for name, written in columns if name is not None}
        builder = AssetBuilder(log, label=lambda path: _label(labels, path),
                               sensitivity_tags=self.sensitivity_tags)
        assets = _read_rows(reader, offset, columns, builder)
        if not assets and not log.count:
            log.add("the inventory lists no assets", line=offset + 1,
                    hint="an empty inventory would pass every check: add at least one row")
        log.raise_if_any()
        entity = self.entity or Entity(name=printable(self.path.stem, 256), type=EntityType.EIV)
        return Inventory(path=display, sha256=sha256, entity=entity, assets=tuple(assets))


def detect_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most known column names (',' on a tie)."""
    def known(delimiter: str) -> int:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(canonical_column(cell) in COLUMNS for cell in cells)

    return max(DELIMITERS, key=known)


def canonical_column(header: str) -> str:
    """'Cloud_Provider' → 'cloud.provider'; unknown names come back lower-cased."""
    name = header.strip().lower()
    for group in GROUPS:
        if name.startswith(group + "_") and f"{group}.{name[len(group) + 1:]}" in COLUMNS:
            return f"{group}.{name[len(group) + 1:]}"
    return name


def _skip_comments(stream: io.StringIO) -> tuple[str | None, int]:
    """The header line, and how many lines (comments, blanks) come before it."""
    for offset, line in enumerate(stream):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return line, offset
    return None, 0


def _read_header(cells: list[str], line: int, log: ProblemLog) -> list[tuple[str | None, str]]:
    """(canonical name or None for an unnamed column, name as written) per column; problems logged."""
    flat_names = [name.replace(".", "_") for name in COLUMNS]
    columns: list[tuple[str | None, str]] = []
    seen: dict[str, str] = {}
    for cell in cells:
        written = cell.strip()
        name = canonical_column(written)
        if not written:
            columns.append((None, written))
            continue
        if name not in COLUMNS:
            log.add(f"unknown column {shown(written)}", line=line, field=printable(written),
                    hint=did_you_mean(written, flat_names) or "columns: " + ", ".join(flat_names))
        elif name in seen:
            log.add(f"column {shown(written)} appears twice", line=line, field=printable(written),
                    hint=f"it is the same column as {shown(seen[name])}")
        seen.setdefault(name, written)
        columns.append((name, written))
    for required in REQUIRED_COLUMNS:
        if required not in seen:
            log.add(f"there is no {shown(required)} column", line=line, field=required,
                    hint="the header needs at least id, kind and one of target, vendor or cloud_provider")
    return columns


def _read_rows(reader: _csv.Reader, offset: int, columns: list[tuple[str | None, str]],
               builder: AssetBuilder) -> list[Asset]:
    log = builder.log
    assets: list[Asset] = []
    while True:
        line = offset + reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            log.add(f"not valid CSV: {exc}", line=line, hint="check the double quotes on this line")
            break
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            log.add(f"this row has {len(row)} cells but the header has {len(columns)}", line=line,
                    hint="a value holding the delimiter must be in double quotes")
            continue
        record = _record(row, columns, line, log)
        if record is not None:
            asset = builder.build(record, line)
            if asset is not None:
                assets.append(asset)
    return assets


def _record(row: list[str], columns: list[tuple[str | None, str]], line: int,
            log: ProblemLog) -> LocatedDict | None:
    """One row as the record `AssetBuilder` reads: cloud_* and declared_* cells grouped, tags split."""
    top: dict[str, object] = {}
    groups: dict[str, dict[str, str]] = {group: {} for group in GROUPS}
    for (name, written), cell in zip(columns, row, strict=True):
        value = cell.strip()
        if not value:
            continue
        if name is None:
            log.add(f"a value ({shown(value)}) is in a column without a name", line=line,
                    hint="name the column in the header, or remove the value")
            return None
        group, dot, key = name.partition(".")
        if dot:
            groups[group][key] = value
        elif name == "tags":
            tags = _tags(value, line, written, log)
            if tags is None:
                return None
            top["tags"] = tags
        elif name == "subcontractors":
            subcontractors = _subcontractors(value, line, written, log)
            if subcontractors is not None:  # else logged; the rest of the row is still checked
                top["subcontractors"] = subcontractors
        else:
            top[name] = value
    for group, values in groups.items():
        if values:
            top[group] = located(values, line)
    return located(top, line)


def _tags(cell: str, line: int, column: str, log: ProblemLog) -> LocatedDict | None:
    """'k=v;k2=v2' as a mapping; None after logging a malformed cell."""
    tags: dict[str, str] = {}
    for item in cell.split(";"):
        if not item.strip():
            continue
        key, equals, value = item.partition("=")
        key = key.strip()
        if not equals or not key:
            log.add(f"tag {shown(item.strip())} is not key=value", line=line, field=column,
                    hint="write tags as key=value;key2=value2")
            return None
        if key in tags:
            log.add(f"tag {shown(key)} is given twice", line=line, field=column)
            return None
        tags[key] = value.strip()
    return located(tags, line)


def _subcontractors(cell: str, line: int, column: str, log: ProblemLog) -> LocatedList | None:
    """'name:role:country:data_access|…' as the list YAML would give (checked by the builder); 'none' is an
    empty list. None after logging a malformed cell."""
    entries = LocatedList()
    entries.line, entries.item_lines = line, []
    if cell.strip().lower() in NO_SUBCONTRACTORS:
        return entries
    for item in cell.split("|"):
        parts = [part.strip() for part in item.split(":")]
        if not any(parts):
            continue
        if len(parts) > len(SUBCONTRACTOR_FIELDS):
            log.add(f"subcontractor {shown(item.strip())} has {len(parts)} parts separated by ':'", line=line,
                    field=column, hint="write name:role:country:data_access; a name cannot hold ':' or '|'")
            return None
        given = zip(SUBCONTRACTOR_FIELDS, parts, strict=False)  # trailing parts may be left out
        entries.append(located({key: part for key, part in given if part}, line))
        entries.item_lines.append(line)
    if not entries:
        log.add(f"no subcontractor in {shown(cell)}", line=line, field=column,
                hint="write name:role:country:data_access entries separated by '|', or none")
        return None
    return entries


def _label(labels: dict[str, str], path: str) -> str:
    """The header the user wrote for a field path: 'declared.country' → 'Declared_Country',
    'subcontractors[0].name' → 'Subcontractors[0].name'."""
    if path in labels:
        return labels[path]
    head, dot, rest = path.partition(".")
    base = head.partition("[")[0]
    if dot and base in labels:
        return f"{labels[base]}{head[len(base):]}.{rest}"
    return path
