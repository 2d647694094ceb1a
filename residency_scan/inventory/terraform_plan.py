"""An implementation of `InventorySource` that reads a Terraform plan, so CI can check residency *before* apply.

Input: the JSON of `terraform show -json PLANFILE` (Terraform ≥ 1.1 or OpenTofu), format described at
https://developer.hashicorp.com/terraform/internals/json-format ("Plan Representation", "Change Representation",
"Configuration Representation"), with the provider-configuration keys and the `errored` / `deferred_changes`
fields as Terraform writes them (internal/command/jsonplan/plan.go, jsonconfig/config.go).

- `format_version` 1.x is read (a minor version only adds fields, which are ignored); 0.x (Terraform ≤ 1.0), 2.x
  and a plan Terraform marked `errored` are refused.
- Every managed resource instance of the official AWS, AzureRM and Google providers that exists after apply
  (create, update, replace, no-op — an unchanged resource abroad is still abroad) becomes an asset whose id is its
  address (`module.m["x"].aws_s3_bucket.b[0]`). Changes Terraform deferred to a later plan (`deferred_changes`)
  are assets too. Deleted, forgotten and deposed objects and data sources are not assets; resources of other
  providers are not located and are listed in `skipped`, so the caller can say they were not checked.
- Kind from the resource type (`terraform_kinds`); region per provider (`terraform_placement`); a region known
  after apply, or not readable from the plan, leaves `cloud.region` empty, so the asset's location is unknown
  and never compliant; the description says why.
- Sensitivity: the resource's `residency:sensitivity` tag (AWS `tags`/`tags_all`, AzureRM `tags`) or
  `residency_sensitivity` label (Google `labels`/`effective_labels`), else the sensitivity map
  (`terraform_sensitivity`), else **sensitive**.
- A plan with no such resource is refused, like an empty inventory: "nothing violates" would pass a pipeline.
- JSON carries no line numbers for values, so each problem names its JSON path as the field
  (`resource_changes[3].change.after.tags["residency:sensitivity"]`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from residency_scan.errors import InventoryError, Problem
from residency_scan.inventory.files import FileInventory, ProblemLog, read_inventory_file
from residency_scan.inventory.records import (
    MAX_DESCRIPTION,
    MAX_RESOURCE,
    MAX_SHORT,
    MAX_TAG_VALUE,
    MAX_TAGS,
    SENSITIVITY_TAGS,
)
from residency_scan.inventory.suggest import printable, shown
from residency_scan.inventory.terraform_config import PlanConfiguration, Setting, json_type, member
from residency_scan.inventory.terraform_kinds import asset_kind, cloud_provider
from residency_scan.inventory.terraform_placement import PlannedResource, account_of, locate_planned, resource_name
from residency_scan.inventory.terraform_sensitivity import SensitivityMap, parse_sensitivity, sensitivity_hint
from residency_scan.models import Asset, CloudRef, Entity, EntityType, Inventory, Sensitivity, SourceRef
from residency_scan.safe_yaml import DEFAULT_MAX_BYTES

SUPPORTED_MAJOR = 1
MAX_ADDRESS = 1024
#: Where each provider keeps the tags a sensitivity is read from; a later attribute wins key by key.
TAG_ATTRIBUTES = {"aws": ("tags_all", "tags"), "azure": ("tags",), "gcp": ("effective_labels", "labels")}
_VERSION = re.compile(r"([0-9]+)\.([0-9]+)")
_ZIP_MAGIC = b"PK\x03\x04"
_SHOW_JSON = "give the output of 'terraform show -json PLANFILE' (after 'terraform plan -out=PLANFILE')"

# Reasons a resource change is not an asset (SkippedResource.reason).
UNSUPPORTED_PROVIDER = "unsupported-provider"
DELETED = "deleted"
FORGOTTEN = "forgotten"
DEPOSED = "deposed"
NOT_MANAGED = "data-source"


@dataclass(frozen=True)
class SkippedResource:
    """A resource change that did not become an asset, and why (one of the reasons above)."""

    address: str
    type: str
    provider: str
    reason: str


class TerraformPlanInventory(FileInventory):
    """Reads one `terraform show -json` plan. After `load`, `skipped` lists what was not turned into assets."""

    def __init__(self, path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, entity: Entity | None = None,
                 sensitivity_tags: Sequence[str] = SENSITIVITY_TAGS, sensitivity_map: Path | None = None) -> None:
        super().__init__(path, max_bytes, entity=entity, sensitivity_tags=sensitivity_tags)
        self.sensitivity_map = sensitivity_map
        self.skipped: list[SkippedResource] = []

    def _load(self) -> Inventory:
        display = str(self.path)
        _refuse_binary_plan(self.path)
        text, sha256 = read_inventory_file(self.path, self.max_bytes)
        plan = _parse(text, display)
        _check_header(plan, display)
        mapping = SensitivityMap.load(self.sensitivity_map, self.max_bytes) if self.sensitivity_map else None
        log = ProblemLog(display)
        configuration = PlanConfiguration(plan, log)
        self.skipped = []
        builder = _AssetBuilder(log, configuration, self.sensitivity_tags, mapping, display)
        seen: dict[str, str] = {}
        for resource in self._planned(plan, log):
            first = seen.setdefault(resource.address, resource.where)
            if first != resource.where:
                log.add(f"duplicate resource address {shown(resource.address)}", line=None,
                        field=f"{resource.where}.address", hint=f"first listed at {first}")
                continue
            builder.build(resource)
        if not builder.assets and not log.count:
            log.add("the plan has no AWS, AzureRM or Google Cloud resource that exists after apply", line=None,
                    hint=describe_skipped(self.skipped) or "an empty plan would pass every check")
        log.raise_if_any()
        entity = self.entity or Entity(name=printable(self.path.stem, 256), type=EntityType.EIV)
        note = describe_skipped(self.skipped)
        return Inventory(path=display, sha256=sha256, entity=entity, assets=tuple(builder.assets),
                         notes=(note,) if note else ())

    def _planned(self, plan: dict[str, Any], log: ProblemLog) -> list[PlannedResource]:
        """The resource instances that will exist after apply, in plan order, deferred ones last."""
        found: list[PlannedResource] = []
        for index, change in enumerate(_array(plan, "resource_changes", log)):
            resource = self._read_change(change, f"resource_changes[{index}]", None, log)
            if resource is not None:
                found.append(resource)
        for index, deferred in enumerate(_array(plan, "deferred_changes", log)):
            where = f"deferred_changes[{index}]"
            if not isinstance(deferred, dict):
                log.add(f"must be an object, not {json_type(deferred)}", line=None, field=where)
                continue
            reason = deferred.get("reason")
            why = printable(reason, 60) if isinstance(reason, str) else "unknown"
            resource = self._read_change(deferred.get("resource_change"), f"{where}.resource_change", why, log)
            if resource is not None:
                found.append(resource)
        return found

    def _read_change(self, change: object, where: str, deferred: str | None,
                     log: ProblemLog) -> PlannedResource | None:
        fields = _Fields(change, where, log)
        address = fields.address()
        mode, resource_type, name = fields.text("mode"), fields.text("type"), fields.text("name")
        provider_name = fields.text("provider_name")
        module_address = fields.text("module_address", required=False) or ""
        body = fields.object("change")
        actions = fields.actions(body)
        if fields.failed or address is None or mode is None or resource_type is None or name is None:
            return None
        assert body is not None and actions is not None and provider_name is not None
        skip = _skip_reason(mode, actions, fields.raw.get("deposed"))
        cloud = cloud_provider(provider_name)
        if skip is None and cloud is None:
            skip = UNSUPPORTED_PROVIDER
        if skip is not None:
            self.skipped.append(SkippedResource(address, printable(resource_type, MAX_SHORT),
                                                printable(provider_name, 200), skip))
            return None
        assert cloud is not None
        after_unknown = body.get("after_unknown")
        after = body.get("after")
        if after is None and after_unknown is True:  # the whole object is known after apply
            after = {}
        if not isinstance(after, dict):
            log.add(f"must be an object for a resource that exists after apply, not {json_type(after)}", line=None,
                    field=f"{where}.change.after")
            return None
        unknown = after_unknown if isinstance(after_unknown, dict) or after_unknown is True else {}
        return PlannedResource(where, address, module_address, resource_type, name, cloud, actions, after, unknown,
                               deferred)


class _AssetBuilder:
    """Turns planned resources into Assets: kind, cloud reference, sensitivity, tags and an explaining line."""

    def __init__(self, log: ProblemLog, configuration: PlanConfiguration, sensitivity_tags: tuple[str, ...],
                 mapping: SensitivityMap | None, display: str) -> None:
        self.log = log
        self.configuration = configuration
        self.sensitivity_tags = sensitivity_tags
        self.mapping = mapping
        self.source = SourceRef(path=display)
        self.assets: list[Asset] = []

    def build(self, resource: PlannedResource) -> None:
        tags = self._tags(resource)
        sensitivity, classified_by = self._sensitivity(resource, tags)
        placement = locate_planned(resource, self.configuration)
        cloud = CloudRef(provider=resource.cloud, region=placement.value, account=account_of(resource),
                         service=resource.type, resource=printable(resource_name(resource), MAX_RESOURCE),
                         unknown_reason=None if placement.value is not None else printable(
                             placement.reason or "unknown", MAX_RESOURCE))
        self.assets.append(Asset(
            id=resource.address, kind=asset_kind(resource.type), sensitivity=sensitivity, cloud=cloud,
            description=_description(resource, placement, sensitivity, classified_by),
            tags=_asset_tags(tags), source=self.source))

    def _tags(self, resource: PlannedResource) -> dict[str, tuple[str, str]]:
        """Known tags (or labels) → (value, JSON path of the value); tags_all first, the resource's own over it."""
        merged: dict[str, tuple[str, str]] = {}
        for attribute in TAG_ATTRIBUTES[resource.cloud]:
            value = None if resource.unknown(attribute) else resource.after.get(attribute)
            where = member(f"{resource.where}.change.after", attribute)
            if value is None:
                continue
            if not isinstance(value, dict):
                self.log.add(f"must be an object of tags, not {json_type(value)}", line=None, field=where)
                continue
            for key, text in value.items():
                if isinstance(text, str):
                    merged[key] = (text, member(where, key))
        return merged

    def _sensitivity(self, resource: PlannedResource,
                     tags: dict[str, tuple[str, str]]) -> tuple[Sensitivity, str]:
        for key in self.sensitivity_tags:
            if key in tags:
                value, where = tags[key]
                chosen = parse_sensitivity(value)
                if chosen is None:
                    self.log.add(f"unknown sensitivity {shown(value)}", line=None, field=where,
                                 hint=sensitivity_hint(value))
                    return Sensitivity.SENSITIVE, "an unreadable tag"
                return chosen, f"tag {printable(key, 60)}"
        rule = self.mapping.match(resource.address) if self.mapping else None
        if rule is not None:
            assert self.mapping is not None
            return rule.sensitivity, f"sensitivity map {self.mapping.path}:{rule.line} ({printable(rule.pattern, 80)})"
        return Sensitivity.SENSITIVE, "the default for unclassified resources (no tag, no sensitivity map entry)"


class _Fields:
    """Typed reads of one resource change object, logging each problem under its JSON path."""

    def __init__(self, raw: object, where: str, log: ProblemLog) -> None:
        self.where = where
        self.log = log
        self.failed = not isinstance(raw, dict)
        self.raw: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if self.failed:
            log.add(f"must be an object, not {json_type(raw)}", line=None, field=where)

    def problem(self, key: str, message: str, hint: str | None = None) -> None:
        self.failed = True
        self.log.add(message, line=None, field=f"{self.where}.{key}", hint=hint)

    def text(self, key: str, *, required: bool = True) -> str | None:
        value = self.raw.get(key)
        if isinstance(value, str) and (value or not required):
            return value
        if value is not None or (required and not self.failed):
            self.problem(key, f"must be text, not {json_type(value)}" if value is not None else "is missing")
        return None

    def object(self, key: str) -> dict[str, Any] | None:
        value = self.raw.get(key)
        if isinstance(value, dict):
            return value
        if not self.failed:
            self.problem(key, "is missing" if value is None else f"must be an object, not {json_type(value)}")
        return None

    def address(self) -> str | None:
        value = self.text("address")
        if value is None:
            return None
        if len(value) > MAX_ADDRESS:
            self.problem("address", f"is {len(value)} characters long, over the limit of {MAX_ADDRESS}")
            return None
        if not value.isprintable():
            bad = next(char for char in value if not char.isprintable())
            self.problem("address", f"{shown(value)} contains the control or invisible character {shown(bad)}",
                         "rename the for_each key: addresses are printed in every report")
            return None
        return value

    def actions(self, body: dict[str, Any] | None) -> tuple[str, ...] | None:
        if body is None:
            return None
        actions = body.get("actions")
        if isinstance(actions, list) and actions and all(isinstance(action, str) for action in actions):
            return tuple(actions)
        self.problem("change.actions", "must be a non-empty list of actions such as [\"create\"], not "
                                       f"{json_type(actions)}")
        return None


def describe_skipped(skipped: Sequence[SkippedResource]) -> str:
    """One line for the user about what a plan held besides assets, e.g. for the CLI to print after a scan:
    '3 resources of providers residency-scan does not locate (registry.terraform.io/oracle/oci: 3); 2 deleted'."""
    parts: list[str] = []
    unsupported = Counter(item.provider for item in skipped if item.reason == UNSUPPORTED_PROVIDER)
    if unsupported:
        by_provider = ", ".join(f"{provider}: {count}" for provider, count in sorted(unsupported.items()))
        total = sum(unsupported.values())
        parts.append(f"{total} resource{'s' * (total != 1)} of providers residency-scan does not locate, not "
                     f"checked ({by_provider})")
    others = Counter(item.reason for item in skipped if item.reason != UNSUPPORTED_PROVIDER)
    words = {DELETED: "deleted", FORGOTTEN: "forgotten (removed from state)", DEPOSED: "deposed",
             NOT_MANAGED: "data source(s)"}
    parts += [f"{others[reason]} {words[reason]}" for reason in words if others[reason]]
    return "; ".join(parts)


def _skip_reason(mode: str, actions: tuple[str, ...], deposed: object) -> str | None:
    if mode != "managed":
        return NOT_MANAGED
    if deposed is not None:
        return DEPOSED
    if "create" in actions:  # replace: ["delete", "create"], ["create", "delete"], ["create", "forget"]
        return None
    if "delete" in actions:
        return DELETED
    if "forget" in actions:
        return FORGOTTEN
    return None  # update, no-op, and actions a newer format may add: checked rather than dropped


def _description(resource: PlannedResource, placement: Setting, sensitivity: Sensitivity, classified_by: str) -> str:
    where = (f"cloud location {placement.value} from {placement.origin}" if placement.value is not None
             else f"cloud location unknown: {placement.reason}")
    deferred = f"; deferred by Terraform ({resource.deferred})" if resource.deferred else ""
    text = (f"Terraform {resource.type} ({'+'.join(resource.actions)}){deferred}; {where}; "
            f"sensitivity {sensitivity.value} from {classified_by}")
    return printable(text, MAX_DESCRIPTION - 1)


def _asset_tags(tags: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The tags that fit an Asset (bounded, printable), at most MAX_TAGS, sorted by key for stable output."""
    kept: dict[str, str] = {}
    for key in sorted(tags):
        value = tags[key][0]
        if len(kept) == MAX_TAGS:
            break
        if key.strip() and len(key) <= MAX_SHORT and key.isprintable() and len(value) <= MAX_TAG_VALUE and (
                value.isprintable()):
            kept[key.strip()] = value.strip()
    return kept


def _refuse_binary_plan(path: Path) -> None:
    try:
        with path.open("rb") as stream:
            start = stream.read(len(_ZIP_MAGIC))
    except OSError:
        return  # read_inventory_file reports it with the right words
    if start == _ZIP_MAGIC:
        raise InventoryError([Problem(str(path), "this is a binary Terraform plan file, not its JSON form",
                                      hint=_SHOW_JSON)])


def _parse(text: str, display: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryError([Problem(display, f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno,
                                      hint=_SHOW_JSON)]) from None
    except RecursionError:
        raise InventoryError([Problem(display, "JSON nested too deeply to be a Terraform plan",
                                      hint=_SHOW_JSON)]) from None


def _check_header(plan: object, display: str) -> None:
    def refuse(message: str, field: str | None = None, hint: str | None = _SHOW_JSON) -> InventoryError:
        return InventoryError([Problem(display, message, field=field, hint=hint)])

    if not isinstance(plan, dict):
        raise refuse(f"a Terraform plan is a JSON object, not {json_type(plan)}")
    version = plan.get("format_version")
    if "values" in plan and "planned_values" not in plan and "resource_changes" not in plan:
        raise refuse("this is a Terraform state, not a plan: it says what exists, not what apply will create")
    if version is None:
        raise refuse("not a Terraform plan: it has no format_version", "format_version")
    parsed = _VERSION.fullmatch(version) if isinstance(version, str) else None
    if parsed is None:
        raise refuse(f"must be a version such as \"1.2\", not {shown(version)}", "format_version")
    if int(parsed.group(1)) != SUPPORTED_MAJOR:
        older = int(parsed.group(1)) < SUPPORTED_MAJOR
        raise refuse(f"unsupported plan format_version {shown(version)}: residency-scan reads 1.x", "format_version",
                     "plans from Terraform 1.0 and older use 0.x: run 'terraform show -json' with Terraform ≥ 1.1 "
                     "or OpenTofu" if older else "this plan format is newer than this residency-scan: upgrade it")
    if plan.get("errored") is True:
        raise refuse("Terraform reported errors while planning, so this plan is incomplete", "errored",
                     "fix the errors 'terraform plan' printed, then plan again")


def _array(plan: dict[str, Any], key: str, log: ProblemLog) -> list[Any]:
    value = plan.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        log.add(f"must be an array, not {json_type(value)}", line=None, field=key)
        return []
    return value

