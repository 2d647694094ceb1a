"""Writing a bundle: everything an auditor needs to check a scan and re-render it, with a manifest of hashes.

`BundleWriter` follows the scan: the inputs are copied when it is created (before the scan, so a bad target
fails fast), each asset's evidence file is written as soon as the asset is judged (`add`, usable as the
scanner's `on_asset`), and `finish` writes the result, the renderings and the manifest. Memory stays flat for
any inventory size, as for the streamed JSON report.

Everything is staged next to the target and only then published (`staging`): a failure halfway never leaves
something that looks like a bundle. Zips are deterministic (sorted entries, 1980-01-01 timestamps, fixed
permissions): the same result gives the same bytes.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from residency_scan import __version__
from residency_scan.bundle.layout import (
    DATASETS,
    INVENTORY_DIR,
    INVENTORY_SOURCES,
    MANIFEST,
    MANIFEST_HASH,
    MAX_NAME,
    MAX_SENSITIVITY_TAGS,
    RESERVED_NAMES,
    RESULT,
    RULES_DIR,
    TERRAFORM_PLAN,
    WAIVERS_DIR,
    BundleFile,
    InventoryReading,
    dump_models,
    evidence_file,
    evidence_name,
    is_safe_path,
    manifest_hash_line,
    safe_file_name,
    unique_names,
)
from residency_scan.bundle.manifest import Contents, Manifest, Reading
from residency_scan.bundle.staging import Staging, is_zip_target
from residency_scan.errors import ScanFailure, UsageError
from residency_scan.models import AssetResult, ScanResult
from residency_scan.reports.json import AssetSpool

DEFAULT_READING = InventoryReading()

InputFile = Path | BundleFile
"""A file to put in a bundle: a path to read, or bytes already in hand (a replayed bundle's inventory)."""

T = TypeVar("T")


def check_bundle_target(target: Path) -> None:
    """Refuse, before a scan starts, a target the bundle could not be written to (UsageError, exit 2).

    A directory target must not exist or be empty: a bundle mixed with other files would never verify, and
    clearing a directory someone named by mistake is not ours to do. A `.zip` target is replaced, like `-o`.
    """
    if is_zip_target(target):
        if target.is_dir():
            raise UsageError(f"--bundle {target}: is a directory; give a new .zip file name")
        return
    if target.exists() and not target.is_dir():
        raise UsageError(f"--bundle {target}: exists and is not a directory (use a name ending in .zip for a zip)")
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(f"--bundle {target}: the directory is not empty; give a new or empty directory")


def write_bundle(target: Path, *, inventory_path: InputFile, rule_pack_paths: Sequence[InputFile],
                 result: ScanResult, renderings: Mapping[str, str | bytes],
                 waiver_paths: Sequence[InputFile] = (), reading: InventoryReading = DEFAULT_READING) -> Path:
    """Write the bundle of a complete `result` to `target` (a directory, or a file ending in `.zip`).

    `inventory_path` and `rule_pack_paths` must be the files `result` was computed from: their hashes are
    checked against the result, so a file edited since the scan is refused rather than bundled. `renderings`
    maps a top-level file name (`report.html`) to its content; `reading` says how the inventory was read (a
    Terraform plan, other sensitivity tags). Any error raises ScanFailure (exit 3).
    """
    try:
        writer = BundleWriter(target, inventory=inventory_path, rule_packs=rule_pack_paths, waivers=waiver_paths,
                              asset_count=len(result.assets), reading=reading)
    except UsageError as exc:
        raise ScanFailure(str(exc)) from None
    with writer:
        return writer.finish(result, renderings)


class BundleWriter:
    """Writes one bundle while a scan runs. Use as a context manager: leaving it unfinished removes the staging.

    ```python
    with BundleWriter(target, inventory=path, rule_packs=[p.path for p in packs], asset_count=n) as bundle:
        result = scanner.scan(inventory, on_asset=bundle.add)
        bundle.finish(result, {"report.html": html})
    ```
    """

    def __init__(self, target: Path, *, inventory: InputFile, rule_packs: Sequence[InputFile],
                 waivers: Sequence[InputFile] = (), asset_count: int,
                 reading: InventoryReading = DEFAULT_READING) -> None:
        check_bundle_target(target)
        _check_reading(reading)
        self.target = target
        self._asset_count = asset_count
        self._width = max(4, len(str(asset_count)))
        self._evidence: list[str] = []
        self._finished = False
        inputs = _read_input(inventory), [_read_input(p) for p in rule_packs], [_read_input(w) for w in waivers]
        mapping = _read_input(reading.sensitivity_map) if reading.sensitivity_map is not None else None
        self._staging = self._io(lambda: Staging.for_target(target))
        self._spool = AssetSpool()
        try:
            self._copy_inputs(*inputs)
            self._reading = self._copy_reading(reading, mapping)
        except BaseException:
            self.close()
            raise

    def _copy_inputs(self, inventory: BundleFile, rule_packs: list[BundleFile], waivers: list[BundleFile]) -> None:
        self._inventory = f"{INVENTORY_DIR}/{safe_file_name(Path(inventory.name).name, fallback='inventory')}"
        self._put(self._inventory, inventory.data)
        self._rule_packs = _place(RULES_DIR, rule_packs, "rules")
        self._waivers = _place(WAIVERS_DIR, waivers, "waivers")
        for name, file in zip([*self._rule_packs, *self._waivers], [*rule_packs, *waivers], strict=True):
            self._put(name, file.data)

    def _copy_reading(self, reading: InventoryReading, mapping: BundleFile | None) -> Reading:
        path = None
        if mapping is not None:
            names = unique_names([self._inventory.split("/", 1)[1],
                                  safe_file_name(Path(mapping.name).name, fallback="sensitivity")])
            path = f"{INVENTORY_DIR}/{names[1]}"
            self._put(path, mapping.data)
        return Reading(source=reading.source, sensitivity_tags=tuple(reading.sensitivity_tags), sensitivity_map=path)

    def add(self, asset: AssetResult) -> None:
        """Record one judged asset: its evidence file now, its place in result.json at `finish`."""
        if len(self._evidence) >= self._asset_count:
            raise ValueError(f"more assets than the {self._asset_count} announced")
        name = evidence_name(len(self._evidence) + 1, asset.id, self._width)
        self._put(name, evidence_file(asset))
        self._evidence.append(name)
        self._io(lambda: self._spool.add(asset))

    def finish(self, result: ScanResult, renderings: Mapping[str, str | bytes] | None = None) -> Path:
        """Write result.json (the JSON report, byte for byte), datasets.json, the renderings and the manifest,
        then publish the bundle at the target. `result` is the scan's result; when assets were not streamed
        through `add`, its own assets are added here."""
        if self._finished:
            raise ValueError("this bundle is already finished")
        if result.assets and not self._evidence:
            for asset in result.assets:
                self.add(asset)
        if len(self._evidence) != self._asset_count:
            raise ValueError(f"{len(self._evidence)} assets were added, {self._asset_count} were announced")
        report_names = sorted(renderings or {})
        _check_rendering_names(report_names)
        self._check_inputs(result)
        self._io(lambda: self._staging.put_stream(RESULT, lambda stream: self._spool.write_document(result, stream)))
        self._put(DATASETS, dump_models(result.data_sources))
        for name in report_names:
            content = (renderings or {})[name]
            self._put(name, content.encode("utf-8") if isinstance(content, str) else content)
        created = result.model_dump(mode="json", include={"generated_at"})["generated_at"]
        contents = Contents(inventory=self._inventory, rule_packs=tuple(self._rule_packs),
                            waivers=tuple(self._waivers), evidence=tuple(self._evidence),
                            reports=tuple(report_names))
        manifest = Manifest(tool_name="residency-scan", tool_version=__version__, created=created,
                            schema_version=result.schema_version, contents=contents, files=dict(self._staging.files),
                            reading=self._reading)
        manifest_bytes = manifest.to_bytes()
        self._put(MANIFEST, manifest_bytes)
        self._put(MANIFEST_HASH, manifest_hash_line(hashlib.sha256(manifest_bytes).hexdigest()))
        self._io(self._staging.publish)
        self._finished = True
        self.close()
        return self.target

    def close(self) -> None:
        """Drop the spool and whatever is staged (after `finish`, the staging is already published)."""
        self._spool.close()
        self._staging.discard()

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------- internals

    def _io(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except OSError as exc:
            where = exc.filename or self.target
            raise ScanFailure(f"cannot write the bundle {self.target}: {where}: {exc.strerror or exc}") from None

    def _put(self, name: str, data: bytes) -> None:
        self._io(lambda: self._staging.put(name, data))

    def _check_inputs(self, result: ScanResult) -> None:
        """The files must be those the result was computed from, or the bundle would prove something else."""
        if self._staging.files[self._inventory].sha256 != result.inventory.sha256:
            raise ScanFailure(f"{result.inventory.path} is not the inventory that was scanned (its sha256 differs "
                              "from the result's); was it edited during the scan?")
        remaining = [pack.sha256 for pack in result.rule_packs]
        for name in self._rule_packs:
            digest = self._staging.files[name].sha256
            if digest not in remaining:
                raise ScanFailure(f"{name} is not one of the rule packs the scan used (sha256 {digest})")
            remaining.remove(digest)
        if remaining:
            missing = ", ".join(p.path for p in result.rule_packs if p.sha256 in remaining)
            raise ScanFailure(f"the bundle needs every rule pack the scan used; missing: {missing}")

def _check_reading(reading: InventoryReading) -> None:
    if reading.source not in INVENTORY_SOURCES:
        raise ValueError(f"unknown inventory source {reading.source!r}; one of {', '.join(INVENTORY_SOURCES)}")
    if reading.sensitivity_map is not None and reading.source != TERRAFORM_PLAN:
        raise ValueError("a sensitivity map applies to Terraform plans only")
    tags = reading.sensitivity_tags
    if not 0 < len(tags) <= MAX_SENSITIVITY_TAGS or not all(0 < len(t) <= MAX_NAME for t in tags):
        raise ValueError(f"between 1 and {MAX_SENSITIVITY_TAGS} sensitivity tags of at most {MAX_NAME} characters")


def _read_input(source: InputFile) -> BundleFile:
    if isinstance(source, BundleFile):
        return source
    try:
        return BundleFile(source.name, source.read_bytes())
    except OSError as exc:
        raise ScanFailure(f"cannot read {source} for the bundle: {exc.strerror or exc}") from None


def _place(directory: str, inputs: Sequence[BundleFile], fallback: str) -> list[str]:
    names = unique_names([safe_file_name(Path(f.name).name, fallback=fallback) for f in inputs])
    return [f"{directory}/{name}" for name in names]


def _check_rendering_names(names: Sequence[str]) -> None:
    lowered = [name.lower() for name in names]
    for name in names:
        if "/" in name or not is_safe_path(name) or name.lower() in RESERVED_NAMES or lowered.count(name.lower()) > 1:
            raise ValueError(f"{name!r} cannot name a rendering: use a distinct plain file name like 'report.html'")


def bundle_files(*, inventory: BundleFile, rule_packs: Sequence[BundleFile], result: ScanResult,
                 renderings: Mapping[str, str | bytes], waivers: Sequence[BundleFile] = ()) -> dict[str, bytes]:
    """Every file of the bundle `write_bundle` would write, by path, read back into memory (small scans)."""
    with tempfile.TemporaryDirectory(prefix="residency-scan-bundle-") as workdir:
        root = write_bundle(Path(workdir) / "bundle", inventory_path=inventory, rule_pack_paths=rule_packs,
                            result=result, renderings=renderings, waiver_paths=waivers)
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
