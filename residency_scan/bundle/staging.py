"""Where a bundle is assembled before it is published, so that a half-written bundle never exists at the target.

A directory bundle is staged as a hidden directory next to the target and renamed into place. A zip bundle
is staged in one spool file (a 100,000-asset bundle is 100,000 evidence files: creating, reopening and
deleting that many small files cost more than zipping them), then zipped in sorted order to a hidden file
next to the target and renamed. Both hash every file as it is written, for the manifest.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

from residency_scan.bundle.manifest import FileEntry

ZIP_SUFFIX = ".zip"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ZIP_MODE = 0o100644 << 16  # a regular file, rw-r--r--
_ZIP_UNIX = 3
_CHUNK = 1024 * 1024


def is_zip_target(target: Path) -> bool:
    return target.suffix.lower() == ZIP_SUFFIX


class Staging(abc.ABC):
    """Files being assembled for `target`. Raises OSError; the writer turns it into ScanFailure."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.files: dict[str, FileEntry] = {}
        target.parent.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def for_target(target: Path) -> Staging:
        return ZipStaging(target) if is_zip_target(target) else DirectoryStaging(target)

    def put(self, name: str, data: bytes) -> None:
        self.put_stream(name, lambda stream: stream.write(data))

    def put_stream(self, name: str, produce: Callable[[BinaryIO], object]) -> None:
        """Stage `name` with what `produce` writes to the stream it is given."""
        with self._open(name) as raw:
            stream = _HashingStream(raw)
            produce(cast(BinaryIO, stream))  # it only ever writes
        self.files[name] = FileEntry(stream.digest.hexdigest(), stream.size)

    @abc.abstractmethod
    def _open(self, name: str) -> contextlib.AbstractContextManager[BinaryIO]: ...

    @abc.abstractmethod
    def publish(self) -> None:
        """Move the staged files to the target, all at once."""

    @abc.abstractmethod
    def discard(self) -> None:
        """Remove what is staged (nothing is left after `publish`)."""


class DirectoryStaging(Staging):
    def __init__(self, target: Path) -> None:
        super().__init__(target)
        self.root = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        self._directories: set[str] = set()

    @contextlib.contextmanager
    def _open(self, name: str) -> Iterator[BinaryIO]:
        directory = name.rpartition("/")[0]
        if directory and directory not in self._directories:
            (self.root / directory).mkdir()
            self._directories.add(directory)
        with (self.root / name).open("wb") as stream:
            yield stream

    def publish(self) -> None:
        self.root.chmod(0o777 & ~_current_umask())  # mkdtemp made it 0700
        if self.target.is_dir():
            self.target.rmdir()  # empty (checked); rename() cannot replace a directory everywhere
        self.root.rename(self.target)

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class ZipStaging(Staging):
    """Every file in one spool, then a deterministic zip: sorted entries, fixed time and permissions."""

    def __init__(self, target: Path) -> None:
        super().__init__(target)
        self._spool = tempfile.TemporaryFile(dir=target.parent, prefix=f".{target.name}.")  # noqa: SIM115
        self._spans: dict[str, tuple[int, int]] = {}  # name -> (offset, size) in the spool

    @contextlib.contextmanager
    def _open(self, name: str) -> Iterator[BinaryIO]:
        start = self._spool.seek(0, os.SEEK_END)
        yield cast(BinaryIO, self._spool)
        self._spans[name] = (start, self._spool.tell() - start)

    def publish(self) -> None:
        handle, temporary_name = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp",
                                                  dir=self.target.parent)
        temporary = Path(temporary_name)
        try:
            with os.fdopen(handle, "wb") as stream, zipfile.ZipFile(stream, "w") as archive:
                for name in sorted(self._spans):
                    self._add(archive, name)
            temporary.chmod(0o666 & ~_current_umask())  # mkstemp made it 0600
            temporary.replace(self.target)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        finally:
            self.discard()

    def _add(self, archive: zipfile.ZipFile, name: str) -> None:
        start, size = self._spans[name]
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = _ZIP_UNIX
        info.external_attr = _ZIP_MODE
        info.file_size = size  # decides zip64 up front, the same way every time
        self._spool.seek(start)
        with archive.open(info, "w") as member:
            left = size
            while left:
                chunk = self._spool.read(min(_CHUNK, left))
                if not chunk:
                    raise OSError(f"the staging spool lost part of {name}")
                member.write(chunk)
                left -= len(chunk)

    def discard(self) -> None:
        self._spool.close()


class _HashingStream:
    """A binary stream that hashes and counts what goes through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
