"""Evidence bundles: a scan's inputs, evidence and reports with a manifest of hashes, to verify and replay.

`write_bundle` writes one (a directory or a deterministic zip), `verify_bundle` checks every file of one,
`load_bundle` / `render_from_bundle` read and re-render one offline, and `replay_bundle` judges the recorded
evidence again with current or updated rules, without the network. The layout is described in `layout`.
"""

from residency_scan.bundle.layout import DEFAULT_LIMITS, FORMAT, BundleFile, BundleLimits, InventoryReading
from residency_scan.bundle.manifest import Contents, FileEntry, Manifest
from residency_scan.bundle.reader import LoadedBundle, load_bundle, render_from_bundle
from residency_scan.bundle.replay import RecordedEvidenceResolver, replay_bundle, replay_inventory, replay_loaded
from residency_scan.bundle.verify import VerificationReport, verify_bundle
from residency_scan.bundle.writer import (
    BundleWriter,
    InputFile,
    bundle_files,
    check_bundle_target,
    write_bundle,
)

__all__ = [
    "DEFAULT_LIMITS",
    "FORMAT",
    "BundleFile",
    "BundleLimits",
    "BundleWriter",
    "Contents",
    "FileEntry",
    "InputFile",
    "InventoryReading",
    "LoadedBundle",
    "Manifest",
    "RecordedEvidenceResolver",
    "VerificationReport",
    "bundle_files",
    "check_bundle_target",
    "load_bundle",
    "render_from_bundle",
    "replay_bundle",
    "replay_inventory",
    "replay_loaded",
    "verify_bundle",
    "write_bundle",
]
