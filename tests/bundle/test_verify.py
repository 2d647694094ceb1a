"""Verifying bundles: every altered, missing or extra file is named; hostile zips are problems, not crashes."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
import zipfile
from pathlib import Path

import pytest

from residency_scan.bundle import BundleLimits, verify_bundle
from residency_scan.bundle.layout import manifest_hash_line
from residency_scan.errors import InputError
from tests.bundle.helpers import Scanned, flip_byte, forge, write_dir, write_zip

INVENTORY = "inventory/ministere-exemple.yaml"


def messages(path: Path, **kwargs: BundleLimits) -> list[str]:
    return [str(p) for p in verify_bundle(path, **kwargs).problems]


def test_fresh_bundles_verify(bundle_dir: Path, bundle_zip: Path, ministere: Scanned) -> None:
    for bundle in (bundle_dir, bundle_zip):
        report = verify_bundle(bundle)
        assert report.ok, report.problems
        # + result, datasets, inventory, txt and each rule pack
        assert report.files_checked == len(ministere.result.assets) + 4 + len(ministere.pack_paths)
        manifest = (bundle_dir / "manifest.json").read_bytes()
        assert report.manifest_sha256 == hashlib.sha256(manifest).hexdigest()


@pytest.mark.parametrize("member", ["result.json", INVENTORY, "rules/decree-2-24-921.yaml",
                                    "evidence/0006-sauvegardes-s3.json", "datasets.json", "report.txt"])
def test_one_changed_byte_names_that_file(bundle_dir: Path, member: str) -> None:
    flip_byte(bundle_dir / member)
    report = verify_bundle(bundle_dir)
    assert not report.ok
    assert report.files_named() == {member}
    assert "altered" in str(report.problems[0])


def test_deleted_file_is_named_missing(bundle_dir: Path) -> None:
    (bundle_dir / "evidence/0002-base-etat-civil.json").unlink()
    report = verify_bundle(bundle_dir)
    assert report.files_named() == {"evidence/0002-base-etat-civil.json"}
    assert "missing" in str(report.problems[0])


def test_added_file_is_named_unexpected(bundle_dir: Path) -> None:
    (bundle_dir / "evidence" / "0014-extra.json").write_text("{}")
    (bundle_dir / "notes.txt").write_text("hi")
    report = verify_bundle(bundle_dir)
    assert report.files_named() == {"evidence/0014-extra.json", "notes.txt"}
    assert all("unexpected" in str(p) for p in report.problems)


def test_added_directory_is_named(bundle_dir: Path) -> None:
    (bundle_dir / "rules" / "more").mkdir()
    assert [p.field for p in verify_bundle(bundle_dir).problems] == ["rules/more/"]


def test_edited_manifest_is_a_self_hash_mismatch(bundle_dir: Path) -> None:
    manifest = bundle_dir / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b'"residency-scan"', b'"residency-scan "', 1))
    problems = messages(bundle_dir)
    assert len(problems) == 1
    assert "manifest.json: self-hash mismatch" in problems[0]


def test_edited_manifest_hiding_an_altered_file_is_still_caught(bundle_dir: Path) -> None:
    """Re-hashing a changed file in the manifest without fixing manifest.sha256 does not hide it."""
    flip_byte(bundle_dir / "result.json")
    files = {p.relative_to(bundle_dir).as_posix(): p.read_bytes() for p in bundle_dir.rglob("*") if p.is_file()}
    forged = forge(files)
    (bundle_dir / "manifest.json").write_bytes(forged["manifest.json"])
    assert [p.field for p in verify_bundle(bundle_dir).problems] == ["manifest.json"]


def test_missing_manifest_or_hash_is_named(bundle_dir: Path, tmp_path: Path) -> None:
    other = shutil.copytree(bundle_dir, tmp_path / "other")
    (bundle_dir / "manifest.sha256").unlink()
    assert verify_bundle(bundle_dir).files_named() == {"manifest.sha256"}
    (other / "manifest.json").unlink()
    report = verify_bundle(other)
    assert report.files_named() == {"manifest.json"} and "missing" in str(report.problems[0])


def test_garbled_manifest_hash_file_is_named(bundle_dir: Path) -> None:
    (bundle_dir / "manifest.sha256").write_text("not a hash\n")
    assert verify_bundle(bundle_dir).files_named() == {"manifest.sha256"}


def test_unknown_format_is_refused_by_name(bundle_dir: Path, ministere: Scanned) -> None:
    files = forge(ministere.files())
    files["manifest.json"] = files["manifest.json"].replace(b"residency-scan-bundle/1", b"residency-scan-bundle/9")
    files["manifest.sha256"] = manifest_hash_line(hashlib.sha256(files["manifest.json"]).hexdigest())
    target = write_dir(bundle_dir.parent / "future", files)
    problems = messages(target)
    assert any("residency-scan-bundle/9" in p and "is not one this residency-scan reads" in p for p in problems)


def test_forged_bundle_with_another_inventory_is_incoherent(tmp_path: Path, ministere: Scanned) -> None:
    """A forger who recomputes every hash still cannot swap the inventory: result.json names it by hash."""
    files = ministere.files()
    files[INVENTORY] = files[INVENTORY].replace(b"eu-west-3", b"me-south-1")
    files["evidence/0001-portail-citoyens.json"] = files["evidence/0002-base-etat-civil.json"]
    report = verify_bundle(write_dir(tmp_path / "forged", forge(files)))
    by_file = {p.field: p.message for p in report.problems}
    assert set(by_file) == {INVENTORY, "evidence/0001-portail-citoyens.json"}
    assert "not the inventory result.json was computed from" in by_file[INVENTORY]
    assert "differs from the evidence result.json records" in by_file["evidence/0001-portail-citoyens.json"]


def test_forged_rule_pack_is_incoherent(tmp_path: Path, ministere: Scanned) -> None:
    files = ministere.files()
    files["rules/decree-2-24-921.yaml"] += b"\n# relaxed\n"
    report = verify_bundle(write_dir(tmp_path / "forged", forge(files)))
    assert report.files_named() == {"rules/decree-2-24-921.yaml", "result.json"}


def test_symlink_in_a_directory_bundle_is_refused_not_followed(bundle_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the bundle")
    target = bundle_dir / "report.txt"
    target.unlink()
    target.symlink_to(secret)
    report = verify_bundle(bundle_dir)
    assert report.files_named() == {"report.txt"}
    assert any("symbolic link" in str(p) for p in report.problems)


def test_nothing_there_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="bundle not found"):
        verify_bundle(tmp_path / "nope.zip")


def test_a_file_that_is_not_a_zip_is_a_problem(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 truncated")
    assert any("not a readable zip" in p for p in messages(junk))


# --------------------------------------------------------------------------------------------- zips


def zip_entries(bundle_dir: Path) -> list[tuple[str | zipfile.ZipInfo, bytes]]:
    return [(p.relative_to(bundle_dir).as_posix(), p.read_bytes())
            for p in sorted(bundle_dir.rglob("*")) if p.is_file()]


def assert_nothing_written_outside(workdir: Path, before: set[Path]) -> None:
    assert set(workdir.rglob("*")) == before
    assert not (workdir.parent / "evil").exists()
    assert not Path("/tmp/evil-residency-scan").exists()


def test_altered_zip_member_is_named(tmp_path: Path, bundle_dir: Path) -> None:
    entries = [(n, d + b" " if n == INVENTORY else d) for n, d in zip_entries(bundle_dir)]
    report = verify_bundle(write_zip(tmp_path / "altered.zip", entries))
    assert report.files_named() == {INVENTORY}


def test_zip_of_the_bundle_folder_verifies(tmp_path: Path, bundle_dir: Path) -> None:
    """`zip -r bundle.zip bundle/` puts everything under one folder, with directory entries."""
    entries: list[tuple[str | zipfile.ZipInfo, bytes]] = [("bundle/", b""), ("bundle/evidence/", b"")]
    entries += [(f"bundle/{n}", d) for n, d in zip_entries(bundle_dir)]
    assert verify_bundle(write_zip(tmp_path / "rezipped.zip", entries)).ok


@pytest.mark.parametrize(("name", "why"), [
    ("../evil", "'..'"),
    ("evidence/../../evil", "'..'"),
    ("/tmp/evil-residency-scan", "absolute path"),
    ("C:/evil", "absolute path"),
    ("evidence\\..\\..\\evil", "backslash"),
    ("evil\x1b[2J", "control character"),
])
def test_hostile_names_in_a_zip_are_problems(tmp_path: Path, bundle_dir: Path, name: str, why: str) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    evil = write_zip(workdir / "evil.zip", [*zip_entries(bundle_dir), (name, b"pwned")])
    before = set(workdir.rglob("*"))
    problems = messages(evil)
    assert len(problems) == 1 and why in problems[0], problems
    assert "\x1b" not in problems[0]  # shown escaped, harmless on a terminal
    assert_nothing_written_outside(workdir, before)


def test_symlink_entry_in_a_zip_is_a_problem(tmp_path: Path, bundle_dir: Path) -> None:
    link = zipfile.ZipInfo("report.txt")
    link.create_system = 3
    link.external_attr = 0o120777 << 16
    entries = [e for e in zip_entries(bundle_dir) if e[0] != "report.txt"] + [(link, b"/etc/passwd")]
    report = verify_bundle(write_zip(tmp_path / "link.zip", entries))
    assert any(p.field == "report.txt" and "symbolic link" in p.message for p in report.problems)
    assert not report.ok


def test_duplicate_names_in_a_zip_are_a_problem(tmp_path: Path, bundle_dir: Path) -> None:
    entries = [*zip_entries(bundle_dir), ("result.json", b'{"forged": true}')]
    with pytest.warns(UserWarning, match="Duplicate name"):
        duplicated = write_zip(tmp_path / "dup.zip", entries)
    report = verify_bundle(duplicated)
    assert any(p.field == "result.json" and "more than once" in p.message for p in report.problems)


def test_gigabyte_bomb_is_refused_without_inflating_it(tmp_path: Path, bundle_dir: Path) -> None:
    """1 GB of zeros deflates to about 1 MB; its declared size alone is enough to refuse it."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    bomb = workdir / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in zip_entries(bundle_dir):
            assert isinstance(name, str)
            archive.writestr(name, data)
        with archive.open("evidence/0099-bomb.json", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(1000):
                member.write(chunk)
    assert bomb.stat().st_size < 10 * 1024 * 1024
    before = set(workdir.rglob("*"))
    report = verify_bundle(bomb)
    assert [p.field for p in report.problems] == ["evidence/0099-bomb.json"]
    assert "1048576000 bytes uncompressed from" in report.problems[0].message
    assert "a zip bomb" in report.problems[0].message
    assert_nothing_written_outside(workdir, before)
    size_capped = verify_bundle(bomb, limits=BundleLimits(max_file_bytes=10**9, max_ratio=10**6))
    assert [p.field for p in size_capped.problems] == ["evidence/0099-bomb.json"]
    assert "1048576000 bytes uncompressed, over the limit of 1000000000" in size_capped.problems[0].message


def test_total_size_over_the_limit_is_refused(bundle_zip: Path) -> None:
    compressed = bundle_zip.stat().st_size
    with zipfile.ZipFile(bundle_zip) as archive:
        inflated = sum(i.file_size for i in archive.infolist())
    assert inflated > 2 * compressed
    limits = BundleLimits(max_total_bytes=compressed + 1)
    problems = messages(bundle_zip, limits=limits)
    assert problems == [f"{bundle_zip}: declares {inflated} bytes uncompressed in all, over the limit of "
                        f"{compressed + 1}"]


def test_too_many_entries_is_refused(bundle_zip: Path, bundle_dir: Path) -> None:
    limits = BundleLimits(max_files=5)
    assert any("over the limit of 5" in p for p in messages(bundle_zip, limits=limits))
    assert messages(bundle_dir, limits=limits) == [f"{bundle_dir}: more than 5 files; refused"]


def test_member_whose_header_lies_about_its_size_is_a_problem(tmp_path: Path, bundle_dir: Path) -> None:
    """Declared 100 bytes, inflates to 10 MB: reading stops at what was declared and the damage is reported."""
    entries = [e for e in zip_entries(bundle_dir) if e[0] != "report.txt"] + [("report.txt", bytes(10_000_000))]
    data = bytearray(write_zip(tmp_path / "liar.zip", entries).read_bytes())
    _patch_uncompressed_size(data, b"report.txt", 100)
    liar = tmp_path / "liar.zip"
    liar.write_bytes(bytes(data))
    report = verify_bundle(liar)
    assert report.files_named() == {"report.txt"}
    assert "Bad CRC-32" in report.problems[0].message


def _patch_uncompressed_size(data: bytearray, name: bytes, size: int) -> None:
    """Rewrite a member's uncompressed size in its local header and its central directory record."""
    local = data.index(b"PK\x03\x04")
    while True:
        name_length = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30: local + 30 + name_length] == name:
            struct.pack_into("<I", data, local + 22, size)
            break
        local = data.index(b"PK\x03\x04", local + 4)
    central = data.index(b"PK\x01\x02")
    while True:
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46: central + 46 + name_length] == name:
            struct.pack_into("<I", data, central + 24, size)
            return
        central = data.index(b"PK\x01\x02", central + 4)


def test_encrypted_or_exotic_members_are_problems(tmp_path: Path, bundle_dir: Path) -> None:
    exotic = zipfile.ZipInfo("report.txt")
    exotic.compress_type = zipfile.ZIP_BZIP2
    entries = [e for e in zip_entries(bundle_dir) if e[0] != "report.txt"] + [(exotic, b"x")]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    path = tmp_path / "exotic.zip"
    path.write_bytes(buffer.getvalue())
    assert any("compression method 12" in p for p in messages(path))


def test_fifo_in_a_directory_bundle_is_not_opened(bundle_dir: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    (bundle_dir / "report.txt").unlink()
    os.mkfifo(bundle_dir / "report.txt")
    report = verify_bundle(bundle_dir)  # would block forever if it opened the FIFO for reading
    assert any(p.field == "report.txt" and "not a regular file" in p.message for p in report.problems)
