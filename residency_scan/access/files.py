"""Opening a log safely: size and line limits, gzip, strict UTF-8, and telling which format a file is in.

A log is evidence, so its SHA-256 is taken over the bytes on disk (compressed or not) and recorded. Every
problem with the file itself — missing, binary, not UTF-8, a gzip bomb, a format nothing recognises — is an
`InputError` naming the file (and the line when there is one), so the CLI exits 2 with a fix, not a traceback.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from residency_scan.access.interface import AUTH_LOG, CLOUDTRAIL_JSON, FORMATS, JOURNAL_JSON, Limits
from residency_scan.errors import InputError, Problem

GZIP_MAGIC = b"\x1f\x8b"
JOURNAL_KEYS = frozenset({"__REALTIME_TIMESTAMP", "__CURSOR", "MESSAGE", "_HOSTNAME", "SYSLOG_IDENTIFIER"})
FORMAT_HINT = "give --access-log-format " + ", ".join(FORMATS[:-1]) + " or " + FORMATS[-1]

# A syslog header: "Nov 25 10:00:01 host prog[pid]:" or "2026-11-25T10:00:01.123+01:00 host prog[pid]:".
SYSLOG_HEADER = re.compile(
    r"(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*) \S+ [^\s\[:]+(?:\[\d+\])?: ")
_TEXT_ERRORS = (OSError, EOFError, gzip.BadGzipFile, zlib.error)


def refuse(path: Path, message: str, line: int | None = None, hint: str | None = None) -> InputError:
    """The InputError for one problem with one log file."""
    return InputError([Problem(str(path), message, line=line, hint=hint)])


def file_sha256(path: Path) -> str:
    """SHA-256 of the file as stored (before any decompression): what an auditor can recompute."""
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except FileNotFoundError:
        raise refuse(path, "access log not found") from None
    except IsADirectoryError:
        raise refuse(path, "access log is a directory, not a file") from None
    except PermissionError:
        raise refuse(path, "access log is not readable (permission denied)") from None
    except OSError as exc:
        raise refuse(path, f"access log cannot be read ({exc.strerror or exc})") from None


@contextmanager
def open_log(path: Path) -> Iterator[BinaryIO | gzip.GzipFile]:
    """The file's bytes, decompressed when it is gzip (`auth.log.2.gz`, CloudTrail's `.json.gz`)."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise refuse(path, f"access log cannot be read ({exc.strerror or exc})") from None
    try:
        magic = raw.read(2)
        raw.seek(0)
        if magic == GZIP_MAGIC:
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped
        else:
            yield raw
    finally:
        raw.close()


def read_limited(path: Path, limit: int) -> bytes:
    """The whole (decompressed) content, refused beyond `limit` bytes."""
    try:
        with open_log(path) as stream:
            data = stream.read(limit + 1)
    except _TEXT_ERRORS as exc:
        raise _unreadable(path, exc) from None
    if len(data) > limit:
        raise refuse(path, f"access log is over the limit of {limit} bytes (after decompression)",
                     hint="split it into smaller files")
    return data


def _unreadable(path: Path, exc: BaseException) -> InputError:
    if isinstance(exc, gzip.BadGzipFile | EOFError | zlib.error):
        return refuse(path, f"corrupt or truncated gzip data ({exc})", hint="check the file with gzip -t")
    return refuse(path, f"access log cannot be read ({exc})")


def decode_line(path: Path, data: bytes, number: int) -> str:
    """One line as text: binary data (a NUL byte) and invalid UTF-8 are refused, naming the line."""
    if b"\x00" in data:
        raise refuse(path, "binary data (a NUL byte): this is not a text log", number,
                     "a log cut short by a crash can hold runs of NUL bytes: remove them with tr -d '\\000'; "
                     "otherwise " + FORMAT_HINT)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(path, f"not valid UTF-8 (byte {exc.start} of the line)", number,
                     "convert the log to UTF-8, e.g. iconv -f latin1 -t utf-8") from None


def decode_text(path: Path, data: bytes) -> str:
    """A whole document as text, refused like `decode_line` with the line of the first bad byte."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise refuse(path, "binary data (a NUL byte): this is not a text log", data.count(b"\n", 0, nul) + 1,
                     FORMAT_HINT)
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise refuse(path, f"not valid UTF-8 (byte {exc.start})", data.count(b"\n", 0, exc.start) + 1,
                     "convert the log to UTF-8") from None


def iter_lines(path: Path, limits: Limits) -> Iterator[tuple[int, str | None]]:
    """(line number, text without its end of line) for each line; text None for a line over the length limit.

    The file is streamed, so a long log costs no memory; it is refused past `limits.max_text_bytes`.
    """
    total = 0
    try:
        with open_log(path) as stream:
            number = 0
            while True:
                data = stream.readline(limits.max_line_bytes + 1)
                if not data:
                    return
                number += 1
                total += len(data)
                if len(data) > limits.max_line_bytes and not data.endswith(b"\n"):
                    total += _skip_rest_of_line(stream, limits.max_line_bytes)
                    _check_total(path, total, limits)
                    yield number, None
                    continue
                _check_total(path, total, limits)
                text = decode_line(path, data, number).rstrip("\r\n")
                yield number, text.removeprefix("\ufeff") if number == 1 else text
    except _TEXT_ERRORS as exc:
        raise _unreadable(path, exc) from None


def _skip_rest_of_line(stream: BinaryIO | gzip.GzipFile, chunk: int) -> int:
    skipped = 0
    while True:
        data = stream.readline(chunk)
        skipped += len(data)
        if not data or data.endswith(b"\n"):
            return skipped


def _check_total(path: Path, total: int, limits: Limits) -> None:
    if total > limits.max_text_bytes:
        raise refuse(path, f"access log is over the limit of {limits.max_text_bytes} bytes (after decompression)",
                     hint="split it into smaller files")


def detect_format(path: Path, limits: Limits) -> str:
    """The format of a log, from its first bytes; InputError naming the formats when nothing fits."""
    try:
        with open_log(path) as stream:
            head = stream.read(limits.sniff_bytes)
    except _TEXT_ERRORS as exc:
        raise _unreadable(path, exc) from None
    if b"\x00" in head:
        raise refuse(path, "binary data (a NUL byte): this is not a text log", head.count(b"\n", 0,
                     head.find(b"\x00")) + 1, FORMAT_HINT)
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    stripped = text.lstrip()
    if stripped.startswith("["):
        return CLOUDTRAIL_JSON
    if stripped.startswith("{"):
        first = stripped.split("\n", 1)[0]
        try:
            parsed = json.loads(first)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, dict) and JOURNAL_KEYS & parsed.keys():
            return JOURNAL_JSON
        return CLOUDTRAIL_JSON
    if any(SYSLOG_HEADER.match(line) for line in text.splitlines()):
        return AUTH_LOG
    what = "the file is empty" if not stripped else "no line looks like syslog, journal JSON or CloudTrail JSON"
    raise refuse(path, f"cannot tell the format of this access log: {what}", hint=FORMAT_HINT)
