"""Reading the files of a bundle, directory or zip, without trusting it.

Nothing is ever extracted: zip members are read into memory under `BundleLimits`, counting the bytes that
actually come out (a member's declared size can lie), and a directory is walked without following links.
What a hostile bundle does wrong (`../evil`, an absolute name, a symlink, a duplicate name, a member that
inflates to a gigabyte) becomes a problem message for the verifier, never an exception or a file on disk.
"""

from __future__ import annotations

import abc
import contextlib
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from residency_scan.bundle.layout import MANIFEST, BundleLimits, shown

_CHUNK = 1024 * 1024
_S_IFLNK = 0o120000
_SUPPORTED_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


class MemberError(Exception):
    """One member could not be read (too large, corrupt): the verifier turns the message into a problem."""


class BundleSource(abc.ABC):
    """The regular files of a bundle, by relative POSIX path, and the problems found while listing them."""

    def __init__(self, limits: BundleLimits) -> None:
        self.limits = limits
        self.files: dict[str, int] = {}  # relative path -> size as listed
        self.problems: list[tuple[str | None, str]] = []  # (member or None, message)
        self.unreadable = False  # True when the container itself was refused: nothing else is worth saying

    @abc.abstractmethod
    def _open(self, name: str) -> Iterator[bytes]:
        """The member's bytes, in chunks. Raises MemberError."""

    def read(self, name: str, max_bytes: int | None = None) -> bytes:
        return b"".join(self.chunks(name, max_bytes))

    def chunks(self, name: str, max_bytes: int | None = None) -> Iterator[bytes]:
        """The member's bytes, refused as soon as more than `max_bytes` have come out."""
        cap = self.limits.max_file_bytes if max_bytes is None else max_bytes
        total = 0
        for chunk in self._open(name):
            total += len(chunk)
            if total > cap:
                raise MemberError(f"holds more than {cap} bytes, over the limit")
            yield chunk

    def close(self) -> None:  # noqa: B027 - nothing to close for a directory
        pass

    def __enter__(self) -> BundleSource:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def open_source(path: Path, limits: BundleLimits) -> BundleSource:
    """A directory bundle, or a zip bundle for any regular file. Raises FileNotFoundError/NotADirectoryError."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        info = path.stat()  # a link named on the command line is the user's choice; links inside are not
    if stat.S_ISDIR(info.st_mode):
        return DirectorySource(path, limits)
    if stat.S_ISREG(info.st_mode):
        return ZipSource(path, limits)
    raise NotADirectoryError(f"{path} is neither a directory nor a zip file")


class DirectorySource(BundleSource):
    """A bundle directory. Links and special files are reported, never followed or opened."""

    def __init__(self, root: Path, limits: BundleLimits) -> None:
        super().__init__(limits)
        self.root = root
        self._walk()

    def _walk(self) -> None:
        pending: list[tuple[str, int]] = [("", 0)]
        while pending:
            prefix, depth = pending.pop()
            try:
                with os.scandir(self.root / prefix if prefix else self.root) as entries:
                    listed = sorted(entries, key=lambda e: e.name)
            except OSError as exc:
                self.problems.append((prefix or ".", f"cannot be listed ({exc.strerror or exc})"))
                continue
            for entry in listed:
                relative = f"{prefix}{entry.name}"
                if entry.is_symlink():
                    self.problems.append((relative, "is a symbolic link; a bundle holds only files"))
                elif entry.is_dir(follow_symlinks=False):
                    if depth >= 1:
                        self.problems.append((f"{relative}/", "unexpected directory, not in the manifest"))
                    else:
                        pending.append((f"{relative}/", depth + 1))
                elif entry.is_file(follow_symlinks=False):
                    if len(self.files) >= self.limits.max_files:
                        self.problems.append((None, f"more than {self.limits.max_files} files; refused"))
                        self.unreadable = True
                        return
                    self.files[relative] = entry.stat(follow_symlinks=False).st_size
                else:
                    self.problems.append((relative, "is not a regular file"))

    def _open(self, name: str) -> Iterator[bytes]:
        path = self.root / name
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(
            os, "O_BINARY", 0)
        try:
            if "/" in name and (self.root / name.split("/", 1)[0]).is_symlink():  # swapped since the walk
                raise MemberError("its directory became a symbolic link")
            fd = os.open(path, flags)
        except OSError as exc:
            raise MemberError(f"cannot be read ({exc.strerror or exc})") from None
        with os.fdopen(fd, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise MemberError("is no longer a regular file")
            try:
                while chunk := stream.read(_CHUNK):
                    yield chunk
            except OSError as exc:
                raise MemberError(f"cannot be read ({exc.strerror or exc})") from None


class ZipSource(BundleSource):
    """A bundle zip, read in memory. A single top-level folder (`zip -r b.zip bundle/`) is looked through."""

    def __init__(self, path: Path, limits: BundleLimits) -> None:
        super().__init__(limits)
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, zipfile.ZipInfo] = {}
        try:
            if path.stat().st_size > limits.max_total_bytes:
                self._refuse(f"the zip is over the limit of {limits.max_total_bytes} bytes")
                return
            self._zip = zipfile.ZipFile(path)  # closed by close()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
            self._refuse(f"not a readable zip file ({shown(str(exc))})")
            return
        self._list(self._zip.infolist())

    def _list(self, infos: list[zipfile.ZipInfo]) -> None:
        limits = self.limits
        if len(infos) > limits.max_files:
            self._refuse(f"holds {len(infos)} entries, over the limit of {limits.max_files}")
            return
        prefix = _common_folder(infos)
        total = 0
        for info in infos:
            name = info.filename
            problem = _unsafe_member(info)
            if problem:
                self.problems.append((name, problem))
                continue
            if info.is_dir():
                continue
            relative = name[len(prefix):]
            if relative in self._members:
                self.problems.append((relative, "appears more than once in the zip"))
                continue
            if info.file_size > limits.max_file_bytes:
                self.problems.append((relative, f"declares {info.file_size} bytes uncompressed, over the "
                                                f"limit of {limits.max_file_bytes}"))
                continue
            if info.file_size > limits.ratio_from_bytes and info.file_size > limits.max_ratio * info.compress_size:
                self.problems.append((relative, f"declares {info.file_size} bytes uncompressed from "
                                                f"{info.compress_size} (over {limits.max_ratio} to 1): a zip bomb"))
                continue
            total += info.file_size
            self._members[relative] = info
            self.files[relative] = info.file_size
        if total > limits.max_total_bytes:
            self._refuse(f"declares {total} bytes uncompressed in all, over the limit of {limits.max_total_bytes}")

    def _refuse(self, message: str) -> None:
        self.problems.append((None, message))
        self.unreadable = True
        self._members.clear()
        self.files.clear()

    def _open(self, name: str) -> Iterator[bytes]:
        if self._zip is None:
            raise MemberError("the zip is not readable")
        info = self._members[name]
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise MemberError(f"cannot be read from the zip ({shown(str(exc))})") from None

    def close(self) -> None:
        if self._zip is not None:
            with contextlib.suppress(OSError):
                self._zip.close()
            self._zip = None


def _unsafe_member(info: zipfile.ZipInfo) -> str | None:
    """Why a zip entry must not be read at all, or None. Extraction tools would write these outside."""
    name = info.filename
    parts = name.rstrip("/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "absolute path in the zip; refused"
    if "\\" in name:
        return "backslash in a zip entry name; refused (some tools read it as a directory separator)"
    if any(part in ("..", ".", "") for part in parts):
        return "'..', '.' or an empty part in a zip entry name; refused"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        return "control character in a zip entry name; refused"
    if (info.external_attr >> 16) & 0o170000 == _S_IFLNK:  # whatever create_system claims
        return "symbolic link in the zip; a bundle holds only files"
    if info.flag_bits & 0x1:
        return "encrypted zip entry; refused"
    if not info.is_dir() and info.compress_type not in _SUPPORTED_COMPRESSION:
        return f"compression method {info.compress_type} is not supported (stored or deflated only)"
    return None


def _common_folder(infos: list[zipfile.ZipInfo]) -> str:
    """`bundle/` when every entry sits in that one folder and the manifest is there, else ``."""
    names = [i.filename for i in infos]
    if MANIFEST in names:
        return ""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1:
        top = tops.pop()
        if f"{top}/{MANIFEST}" in names:
            return f"{top}/"
    return ""
