"""An implementation of `InventorySource` that reads the YAML inventory contract (DESIGN.md, "Inventory").

```yaml
version: 1                                   # required: a file without it may be meant for another tool
entity: {name: "Office Exemple", type: eiv}  # required unless the caller supplies the entity
defaults: {sensitivity: internal, owner: "DSI", tags: {programme: x}}   # optional
assets:                                      # required, and not empty
  - {id: portail, kind: server, target: portail.exemple.ma}
```

`defaults` gives every asset a sensitivity, an owner, tags (an asset's own tags win key by key) and the
facts `sensitive_data`, `sensitive_system`, `personal_data` and `service_type` (see `facts.py` for when a
default yields to the asset). It has no `declared`: a claim about where an asset is must be made asset by
asset, not inherited by the SaaS tools listed next to the servers. An inventory with no assets is refused:
scanning it would report "nothing violates", which a pipeline would read as a pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from residency_scan.errors import InputError, InventoryError, Problem
from residency_scan.inventory.facts import DEFAULT_FACT_FIELDS, read_fact_defaults
from residency_scan.inventory.files import (
    FileInventory,
    ProblemLog,
    as_inventory_error,
    read_inventory_file,
)
from residency_scan.inventory.records import (
    MAX_OWNER,
    AssetBuilder,
    AssetDefaults,
    FieldReader,
    read_tags,
)
from residency_scan.inventory.suggest import shown
from residency_scan.models import Asset, Entity, EntityType, Inventory, Sensitivity
from residency_scan.safe_yaml import LocatedDict, LocatedList, load_yaml_text

SUPPORTED_VERSION = 1
# What the YAML spec (and PyYAML's reader) refuses: C0/C1 controls but tab, line breaks and NEL; surrogates;
# U+FFFE and U+FFFF.
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
TOP_FIELDS = ("version", "entity", "defaults", "assets")
ENTITY_FIELDS = ("name", "type")
DEFAULTS_FIELDS = ("sensitivity", "owner", "tags", *DEFAULT_FACT_FIELDS)
MAX_ENTITY_NAME = 256


class YamlInventory(FileInventory):
    """Reads one YAML inventory; `entity`, when given, replaces the file's own (e.g. from the CLI)."""

    def _load(self) -> Inventory:
        display = str(self.path)
        text, sha256 = read_inventory_file(self.path, self.max_bytes)
        _refuse_control_characters(text, display)
        try:
            root = load_yaml_text(text, display)
        except InputError as exc:
            raise as_inventory_error(exc) from None
        if root is None:
            raise InventoryError([Problem(display, "the inventory is empty",
                                          hint="start with 'version: 1', 'entity:' and 'assets:'")])
        if not isinstance(root, LocatedDict):
            raise InventoryError([Problem(display, "the inventory must be a mapping with version, entity "
                                          "and assets", line=getattr(root, "line", 1))])
        log = ProblemLog(display)
        top = FieldReader(root, log)
        top.refuse_unknown(TOP_FIELDS)
        _check_version(top)
        entity = self._entity(top)
        defaults = _defaults(top, self.sensitivity_tags)
        builder = AssetBuilder(log, defaults=defaults, sensitivity_tags=self.sensitivity_tags)
        assets = _assets(top, builder)
        log.raise_if_any()
        assert entity is not None  # a missing entity was logged above
        return Inventory(path=display, sha256=sha256, entity=entity, assets=tuple(assets))

    def _entity(self, top: FieldReader) -> Entity | None:
        mapping = top.mapping("entity")
        if mapping is None:
            if self.entity is None and not top.present("entity"):
                top.problem("entity", "the inventory names no entity",
                            'add entity: {name: "<organisation>", type: eiv}')
            return self.entity
        fields = FieldReader(mapping, top.log, "entity.")
        fields.refuse_unknown(ENTITY_FIELDS)
        name = fields.text("name", limit=MAX_ENTITY_NAME)
        if name is None and not fields.present("name"):
            fields.problem("name", "the entity has no name", 'add name: "<organisation>"')
        entity_type = fields.choice("type", EntityType, "entity type")
        if self.entity is not None:
            return self.entity
        if name is None or (entity_type is None and fields.present("type")):
            return None
        return Entity(name=name, type=entity_type or EntityType.EIV)


def _refuse_control_characters(text: str, display: str) -> None:
    """Name the line of a character YAML forbids; PyYAML's own error gives only an offset."""
    found = _NOT_YAML.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise InventoryError([Problem(display, f"contains the control character {shown(found.group())}, "
                                      "which YAML does not allow", line=line, hint="remove it")])


def _check_version(top: FieldReader) -> None:
    version = top.record.get("version")
    if version is None:
        top.problem("version", "the inventory has no version", "add 'version: 1' at the top of the file")
    elif type(version) is not int or version != SUPPORTED_VERSION:
        top.problem("version", f"unsupported inventory version {version!r}",
                    f"this residency-scan reads 'version: {SUPPORTED_VERSION}'")


def _defaults(top: FieldReader, sensitivity_tags: Sequence[str]) -> AssetDefaults:
    mapping = top.mapping("defaults")
    if mapping is None:
        return AssetDefaults()
    fields = FieldReader(mapping, top.log, "defaults.")
    fields.refuse_unknown(DEFAULTS_FIELDS)
    sensitivity = fields.choice("sensitivity", Sensitivity, "sensitivity")
    owner = fields.text("owner", limit=MAX_OWNER)
    facts = read_fact_defaults(fields, sensitivity)
    tags = read_tags(fields)
    for tag in sensitivity_tags:
        if tag in tags:  # it would show on every asset while `defaults.sensitivity` decided
            FieldReader(mapping["tags"], top.log, "defaults.tags.").problem(
                tag, "a default sensitivity is not a tag", "write defaults: {sensitivity: …} instead")
    return AssetDefaults(sensitivity=sensitivity, owner=owner, tags=tags, facts=facts)


def _assets(top: FieldReader, builder: AssetBuilder) -> list[Asset]:
    records = top.record.get("assets")
    if records is None:
        top.problem("assets", "the inventory has no assets",
                    "add 'assets:' followed by one '- id: …' per asset")
        return []
    if not isinstance(records, LocatedList):
        top.wrong_type("assets", records, "a list of assets ('- id: …')")
        return []
    if not records:
        top.problem("assets", "the inventory lists no assets",
                    "an empty inventory would pass every check: list at least one asset")
        return []
    assets = []
    for index, record in enumerate(records):
        asset = builder.build(record, records.line_of(index))
        if asset is not None:
            assets.append(asset)
    return assets
