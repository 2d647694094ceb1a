"""Replay: judge the evidence a bundle recorded again, with today's rules, without touching the network.

The evidence is not gathered again: `RecordedEvidenceResolver` hands each asset exactly the evidence the
original scan recorded, and the clock is pinned to the original scan's time, so only the rules (and this
version's locate policy) can change a verdict. Replaying with the same rules gives the same result.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from residency_scan.bundle.layout import DEFAULT_LIMITS, TERRAFORM_PLAN, BundleFile, BundleLimits
from residency_scan.bundle.reader import LoadedBundle, load_bundle
from residency_scan.errors import InputError, Problem
from residency_scan.inventory import DEFAULT_MAX_BYTES, load_inventory
from residency_scan.inventory.terraform_plan import TerraformPlanInventory
from residency_scan.models import Asset, AssetResult, DataSource, Evidence, Inventory, ScanResult, Strength
from residency_scan.resolvers.interface import Resolver
from residency_scan.rules import RuleEngine, RulePack, load_rule_packs
from residency_scan.scan import ScanClock, Scanner


class RecordedEvidenceResolver(Resolver):
    """An implementation of `Resolver` that returns the evidence a previous scan recorded, unchanged.

    Evidence is handed back only to an asset with the same id *and* the same target, vendor, cloud resource
    and declaration as the recorded one: evidence about another target would prove nothing about this one.
    Any other asset gets a failure (its location is unknown, with the reason), never a pass.

    `recorded` gives the datasets and the time; its own assets are the record, unless `assets` is given: then
    they are read lazily, in inventory order, and each is forgotten once handed out (a replay of 100,000
    assets holds a handful of them at a time).
    """

    name = "recorded"

    def __init__(self, recorded: ScanResult, assets: Iterable[AssetResult] | None = None) -> None:
        self._datasets = recorded.data_sources
        self._observed_at = recorded.generated_at
        self._streamed = assets is not None
        self._pending: Iterator[AssetResult] = iter(assets if assets is not None else ())
        self._known: dict[str, AssetResult] = {a.id: a for a in recorded.assets} if assets is None else {}

    def applies_to(self, asset: Asset) -> bool:
        return True

    def resolve(self, asset: Asset) -> list[Evidence]:
        recorded = self._recorded(asset.id)
        if recorded is None:
            return [self._failure(asset, "no evidence was recorded for this asset; scan it to gather some")]
        changed = _changed_fields(asset, recorded)
        if changed:
            return [self._failure(asset, f"the recorded evidence is about a different {', '.join(changed)}; "
                                         "scan it again to gather evidence about this one")]
        return list(recorded.evidence)

    def data_sources(self) -> Iterable[DataSource]:
        return self._datasets

    def _recorded(self, asset_id: str) -> AssetResult | None:
        if asset_id in self._known:
            return self._known.pop(asset_id) if self._streamed else self._known[asset_id]
        for item in self._pending:  # NOTE: in inventory order, this stops at the next item
            if item.id == asset_id:
                return item
            self._known[item.id] = item
        return None

    def _failure(self, asset: Asset, reason: str) -> Evidence:
        # NOTE: a non-declared strength, so `locate` reports this reason as the asset's own subject; the
        # strength of a failure never weighs for or against a country.
        return Evidence(source=self.name, strength=Strength.REGISTERED, subject=asset.id, failure=reason,
                        observed_at=self._observed_at)


def _changed_fields(asset: Asset, recorded: AssetResult) -> list[str]:
    """The location-bearing fields that differ: the ones resolvers read to gather evidence."""
    changed = []
    if (asset.target.raw if asset.target else None) != recorded.target:
        changed.append("target")
    if asset.vendor != recorded.vendor:
        changed.append("vendor")
    if asset.cloud != recorded.cloud:
        changed.append("cloud resource")
    if asset.declared != recorded.declared:
        changed.append("declared location")
    return changed


def replay_bundle(path: Path, rule_specs: Sequence[str | Path] | None = None, *,
                  on_asset: Callable[[AssetResult], None] | None = None,
                  limits: BundleLimits = DEFAULT_LIMITS) -> ScanResult:
    """Verify the bundle at `path` and judge its recorded evidence again, offline.

    Rules come from the bundle unless `rule_specs` (files, directories, shipped pack names, as `--rules`)
    are given. `on_asset` is the scanner's: each result is handed over as it is judged and the returned
    result has no assets (to stream the JSON report). Raises InputError (exit 2) for a bundle that does not
    verify, or rules that do not load.
    """
    return replay_loaded(load_bundle(path, limits=limits), rule_specs, on_asset=on_asset)


def replay_loaded(bundle: LoadedBundle, rule_specs: Sequence[str | Path] | None = None, *,
                  on_asset: Callable[[AssetResult], None] | None = None,
                  inventory: Inventory | None = None) -> ScanResult:
    """`replay_bundle` for a bundle already loaded; `inventory` is `replay_inventory(bundle)` if the caller
    already read it (to size a new bundle before the replay starts)."""
    recorded = bundle.header
    refuse_unreplayable(recorded, bundle.path)
    if inventory is None:
        inventory = replay_inventory(bundle)
    with tempfile.TemporaryDirectory(prefix="residency-scan-replay-") as workdir:
        packs = load_rule_packs(list(rule_specs)) if rule_specs else _bundle_packs(bundle, Path(workdir))
    clock = ScanClock()
    clock.pin(recorded.generated_at)  # data ages and timestamps as recorded
    scanner = Scanner([RecordedEvidenceResolver(recorded, bundle.iter_assets())], RuleEngine(packs), clock=clock,
                      offline=recorded.offline)
    result = scanner.scan(inventory, on_asset=on_asset)
    if rule_specs:
        return result
    # The packs were read from a temporary copy: name them as the original scan did.
    recorded_paths = {ref.sha256: ref.path for ref in recorded.rule_packs}
    return result.model_copy(update={"rule_packs": tuple(
        ref.model_copy(update={"path": recorded_paths.get(ref.sha256, ref.path)}) for ref in result.rule_packs)})


PROVIDER_REGISTER = "provider-register"  # registers.register_file.register_data_source's id


def refuse_unreplayable(recorded: ScanResult, bundle: Path) -> None:
    """A replay judges only what a bundle carries. The provider register, the waivers and the access logs are
    not in it yet, so a scan that used them would replay to different verdicts — an access rule that applied
    would silently become not applicable. Refuse rather than show a result the scan never had."""
    used = [option for option, present in (
        ("--providers", any(ds.id == PROVIDER_REGISTER for ds in recorded.data_sources)),
        ("--waivers", bool(recorded.waivers)),
        ("--access-log", bool(recorded.access_logs))) if present]
    if used:
        raise InputError([Problem(str(bundle), f"this bundle's scan used {', '.join(used)}, which a bundle does not "
                                               "carry yet: a replay would judge without them",
                                  hint="`verify` and `report` still work on it; scan again to judge anew")])


def replay_inventory(bundle: LoadedBundle) -> Inventory:
    """The bundle's inventory, read by today's reader as the scan read it, named as the scan named it."""
    with tempfile.TemporaryDirectory(prefix="residency-scan-replay-") as workdir:
        return _inventory(bundle, Path(workdir))


def _inventory(bundle: LoadedBundle, workdir: Path) -> Inventory:
    recorded = bundle.header.inventory
    reading = bundle.manifest.reading
    copy = _materialise(bundle.inventory, workdir / "inventory")
    mapping = _materialise(bundle.sensitivity_map, workdir / "map") if bundle.sensitivity_map else None
    max_bytes = max(DEFAULT_MAX_BYTES, len(bundle.inventory.data))
    try:
        if reading.source == TERRAFORM_PLAN:
            loaded = TerraformPlanInventory(copy, max_bytes=max_bytes, entity=recorded.entity,
                                            sensitivity_tags=reading.sensitivity_tags, sensitivity_map=mapping).load()
        else:
            loaded = load_inventory(copy, max_bytes=max_bytes, entity=recorded.entity,
                                    sensitivity_tags=reading.sensitivity_tags)
    except InputError as exc:
        exc = _renamed(exc, copy, bundle, bundle.inventory)
        if mapping is not None and bundle.sensitivity_map is not None:
            exc = _renamed(exc, mapping, bundle, bundle.sensitivity_map)
        raise exc from None
    path = recorded.path
    assets = tuple(a.model_copy(update={"source": a.source.model_copy(update={"path": path})}) for a in loaded.assets)
    return Inventory(path=path, sha256=loaded.sha256, entity=loaded.entity, assets=assets, notes=loaded.notes)


def _bundle_packs(bundle: LoadedBundle, workdir: Path) -> list[RulePack]:
    copies = [_materialise(pack, workdir / "rules") for pack in bundle.rule_packs]
    try:
        return load_rule_packs(copies)
    except InputError as exc:
        for copy, original in zip(copies, bundle.rule_packs, strict=True):
            exc = _renamed(exc, copy, bundle, original)
        raise exc from None


def _materialise(file: BundleFile, directory: Path) -> Path:
    directory.mkdir(exist_ok=True)
    copy = directory / Path(file.name).name
    copy.write_bytes(file.data)
    return copy


def _renamed(error: InputError, copy: Path, bundle: LoadedBundle, original: BundleFile) -> InputError:
    """`error` with the temporary copy's path replaced by `<bundle>/<file in bundle>`."""
    shown = f"{bundle.path}/{original.name}"
    problems = [dataclasses.replace(p, path=shown) if p.path == str(copy) else p for p in error.problems]
    return type(error)(problems)
