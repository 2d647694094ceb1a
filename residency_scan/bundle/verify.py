"""Checking a bundle: every file against the manifest, the manifest against its own hash, the parts together.

Three layers, each reported file by file so an auditor knows *what* changed:
1. the container: names, links, duplicates, sizes (see `source`);
2. integrity: every file listed is present with its size and SHA-256, nothing else is there, and
   `manifest.json` matches `manifest.sha256`;
3. coherence, once the files are intact: the inventory and rule files are the ones `result.json` names by
   hash, `datasets.json` and every evidence file say what `result.json` says.

NOTE: hashes make accidental and naive changes evident, not deliberate forgery: whoever can edit a file can
recompute the manifest and its hash. A bundle meant to resist forgery must also be signed, or its
`manifest.sha256` line recorded somewhere the forger cannot reach (a ticket, a signed e-mail, a registry).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from residency_scan.bundle.coherence import check_coherence
from residency_scan.bundle.layout import (
    DEFAULT_LIMITS,
    MANIFEST,
    MANIFEST_HASH,
    RESULT,
    BundleLimits,
    parse_manifest_hash_line,
    shown,
)
from residency_scan.bundle.manifest import Manifest, parse_manifest
from residency_scan.bundle.source import BundleSource, MemberError, open_source
from residency_scan.errors import InputError, Problem

MAX_PROBLEMS = 100
"""Problems listed in full; past it they are counted (a bundle whose every evidence file changed)."""


@dataclass(frozen=True)
class VerificationReport:
    """What `verify_bundle` found. Each problem's `field` is the file it is about (None: the whole bundle)."""

    bundle: Path
    problems: tuple[Problem, ...]
    files_checked: int = 0
    manifest_sha256: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def files_named(self) -> set[str]:
        """The files some problem is about."""
        return {p.field for p in self.problems if p.field is not None}


@dataclass
class VerifiedFiles:
    """The manifest and the bytes of the files asked for, exactly the bytes whose hashes were checked."""

    manifest: Manifest | None = None
    result_header: dict[str, Any] | None = None  # result.json's members but "assets", once found coherent
    data: dict[str, bytes] = field(default_factory=dict)


def verify_bundle(path: Path, *, limits: BundleLimits = DEFAULT_LIMITS) -> VerificationReport:
    """Check every file of the bundle at `path` (a directory or a zip). Raises InputError only when there is
    nothing at `path` that could be a bundle; everything wrong with a bundle is a problem in the report."""
    report, _ = check_bundle(path, limits=limits, keep_roles=())
    return report


def check_bundle(path: Path, *, limits: BundleLimits = DEFAULT_LIMITS,
                 keep_roles: Collection[str] = ()) -> tuple[VerificationReport, VerifiedFiles]:
    """`verify_bundle`, also keeping the verified bytes of the files in `keep_roles` ("result", "inventory",
    "rule_packs", "waivers", "reports", "sensitivity_map"), so that a reader uses what was checked, not a later
    read."""
    try:
        source = open_source(path, limits)
    except FileNotFoundError:
        raise InputError([Problem(str(path), "bundle not found")]) from None
    except OSError as exc:
        raise InputError([Problem(str(path), f"not a bundle: {exc.strerror or exc}",
                                  hint="give the bundle directory or its .zip")]) from None
    with source:
        checker = _Checker(path, source, keep_roles)
        checker.run()
    report = VerificationReport(bundle=path, problems=tuple(checker.summary()), files_checked=checker.checked,
                                manifest_sha256=checker.manifest_digest)
    return report, checker.verified


class _Checker:
    def __init__(self, bundle: Path, source: BundleSource, keep_roles: Collection[str]) -> None:
        self.bundle = bundle
        self.source = source
        self.keep_roles = keep_roles
        self.problems: list[Problem] = []
        self.found = 0
        self.checked = 0
        self.manifest_digest: str | None = None
        self.verified = VerifiedFiles()
        self.digests: dict[str, str] = {}  # path -> sha256, for files whose hash matched

    def problem(self, member: str | None, message: str, hint: str | None = None) -> None:
        self.found += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(str(self.bundle), message,
                                         field=None if member is None else shown(member), hint=hint))

    def summary(self) -> list[Problem]:
        hidden = self.found - len(self.problems)
        more = [Problem(str(self.bundle), f"{hidden} more problems not shown")] if hidden else []
        return self.problems + more

    def run(self) -> None:
        for member, message in self.source.problems:
            self.problem(member, message)
        if self.source.unreadable:
            return
        manifest = self._manifest()
        if manifest is None:
            return
        if len(manifest.files) > self.source.limits.max_files:
            self.problem(MANIFEST, f"lists {len(manifest.files)} files, over the limit of "
                                   f"{self.source.limits.max_files}")
            return
        self.verified.manifest = manifest
        self._integrity(manifest)
        if not self.found:
            header = check_coherence(self, manifest)
            self.verified.result_header = header if not self.found else None

    def _manifest(self) -> Manifest | None:
        if MANIFEST not in self.source.files:
            self.problem(MANIFEST, "missing: this is not a residency-scan bundle, or its manifest was removed")
            return None
        try:
            data = self.source.read(MANIFEST, self.source.limits.max_manifest_bytes)
        except MemberError as exc:
            self.problem(MANIFEST, str(exc))
            return None
        self.manifest_digest = hashlib.sha256(data).hexdigest()
        self._manifest_self_hash(self.manifest_digest)
        manifest, problems = parse_manifest(data)
        for message in problems:
            self.problem(MANIFEST, message)
        return manifest

    def _manifest_self_hash(self, digest: str) -> None:
        if MANIFEST_HASH not in self.source.files:
            self.problem(MANIFEST_HASH, "missing: the manifest's own hash cannot be checked")
            return
        try:
            recorded = parse_manifest_hash_line(self.source.read(MANIFEST_HASH, 4096))
        except MemberError as exc:
            self.problem(MANIFEST_HASH, str(exc))
            return
        if recorded is None:
            self.problem(MANIFEST_HASH, f"not a '<sha256>  {MANIFEST}' line")
        elif recorded != digest:
            self.problem(MANIFEST, f"self-hash mismatch: its sha256 is {digest}, {MANIFEST_HASH} says {recorded} "
                                   "(the manifest was altered after it was written)")

    def _integrity(self, manifest: Manifest) -> None:
        keep = _paths_of_roles(manifest, {*self.keep_roles, "result", "datasets"})  # coherence reads them
        for path, entry in sorted(manifest.files.items(), key=lambda item: (item[0] != RESULT, item[0])):
            if path not in self.source.files:
                self.problem(path, "missing: listed in the manifest but not in the bundle")
                continue
            digest = hashlib.sha256()
            size = 0
            kept: list[bytes] = []
            try:
                for chunk in self.source.chunks(path):
                    digest.update(chunk)
                    size += len(chunk)
                    if path in keep:
                        kept.append(chunk)
            except MemberError as exc:
                self.problem(path, str(exc))
                continue
            self.checked += 1
            if size != entry.size or digest.hexdigest() != entry.sha256:
                self.problem(path, f"altered: {size} bytes with sha256 {digest.hexdigest()}, the manifest says "
                                   f"{entry.size} bytes with sha256 {entry.sha256}")
                continue
            self.digests[path] = entry.sha256
            if path in keep:
                self.verified.data[path] = b"".join(kept)
        for path in sorted(set(self.source.files) - set(manifest.files) - {MANIFEST, MANIFEST_HASH}):
            self.problem(path, "unexpected file, not in the manifest")

    def read_checked(self, path: str) -> bytes | None:
        """A file's bytes, read again and compared with its checked hash (used for the coherence checks)."""
        if path in self.verified.data:
            return self.verified.data[path]
        try:
            data = self.source.read(path)
        except MemberError as exc:
            self.problem(path, str(exc))
            return None
        if hashlib.sha256(data).hexdigest() != self.digests.get(path):
            self.problem(path, "changed while the bundle was being verified")
            return None
        return data


def _paths_of_roles(manifest: Manifest, roles: Collection[str]) -> set[str]:
    c = manifest.contents
    by_role: dict[str, tuple[str, ...]] = {
        "result": (c.result,), "datasets": (c.datasets,), "inventory": (c.inventory,),
        "rule_packs": c.rule_packs, "waivers": c.waivers, "evidence": c.evidence, "reports": c.reports,
        "sensitivity_map": (manifest.reading.sensitivity_map,) if manifest.reading.sensitivity_map else (),
    }
    return {path for role in roles for path in by_role[role]}
