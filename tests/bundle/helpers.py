"""Real scan results for the bundle tests, built by the real pipeline offline, and a forger's toolkit."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from residency_scan.bundle import BundleFile, bundle_files
from residency_scan.bundle.layout import MANIFEST, MANIFEST_HASH, manifest_hash_line
from residency_scan.bundle.manifest import FileEntry, parse_manifest
from residency_scan.inventory import load_inventory
from residency_scan.models import Entity, EntityType, ScanResult
from residency_scan.rules import RuleEngine, RulePack, default_rule_packs, load_rule_packs
from residency_scan.scan import ResolverSettings, ScanClock, Scanner, build_resolvers, reproducible_time

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
MINISTERE = EXAMPLES / "ministere-exemple.yaml"
HOPITAL_CSV = EXAMPLES / "hopital-exemple.csv"


@dataclass(frozen=True)
class Scanned:
    """A scan and the files it was computed from, as the CLI would hand them to `write_bundle`."""

    result: ScanResult
    inventory: Path
    packs: tuple[RulePack, ...]

    @property
    def pack_paths(self) -> list[Path]:
        return [pack.path for pack in self.packs]

    def files(self, renderings: dict[str, str | bytes] | None = None) -> dict[str, bytes]:
        return bundle_files(inventory=BundleFile(self.inventory.name, self.inventory.read_bytes()),
                            rule_packs=[BundleFile(p.name, p.read_bytes()) for p in self.pack_paths],
                            result=self.result, renderings=renderings or {})


def scan_offline(inventory: Path, *, rules: list[Path] | None = None, entity: Entity | None = None) -> Scanned:
    """What `residency-scan scan INVENTORY --offline --reproducible` computes."""
    packs = load_rule_packs(rules) if rules else default_rule_packs()
    clock = ScanClock()
    scanner = Scanner(build_resolvers(ResolverSettings(offline=True), clock), RuleEngine(packs), clock=clock,
                      offline=True)
    clock.pin(reproducible_time(scanner.data_sources()))
    return Scanned(scanner.scan(load_inventory(inventory, entity=entity)), inventory, tuple(packs))


def scan_hospital_csv() -> Scanned:
    return scan_offline(HOPITAL_CSV, entity=Entity(name="CHU Exemple", type=EntityType.EIV))


def write_dir(root: Path, files: dict[str, bytes]) -> Path:
    """Lay `files` out under `root`, as an auditor who unzipped or edited a bundle would have them."""
    root.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def write_zip(path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    """A zip holding exactly `entries`, in order, duplicates included (no sanitising: a hostile zip)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def forge(files: dict[str, bytes]) -> dict[str, bytes]:
    """`files` with the manifest and its hash recomputed: what someone who edits a bundle on purpose does."""
    manifest, problems = parse_manifest(files[MANIFEST])
    assert manifest is not None, problems
    entries = {path: FileEntry(hashlib.sha256(data).hexdigest(), len(data))
               for path, data in files.items() if path not in (MANIFEST, MANIFEST_HASH)}
    forged = dict(files)
    forged[MANIFEST] = dataclasses.replace(manifest, files=entries).to_bytes()
    forged[MANIFEST_HASH] = manifest_hash_line(hashlib.sha256(forged[MANIFEST]).hexdigest())
    return forged


def flip_byte(path: Path, offset: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
