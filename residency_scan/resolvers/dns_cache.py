"""The on-disk cache of DNS answers: one SQLite file, so repeated scans (CI) do not ask the same questions again,
and so `--offline` can still use what was really answered a short while ago.

An entry is the answer to one question (name, record type) asked of one resolver configuration ("server"),
with its TTL and the time it was fetched. It is never trusted past min(TTL, max_age): a cache that outlived
its TTL would turn an old answer into evidence about today. Evidence built from an entry says it came from
the cache and how old it is.

The cache is an optimisation, never a source of failure: a file that is not a database, a schema from another
version, a locked or read-only file, or an entry that does not decode all make the cache step aside (a miss,
or no cache at all) and leave a warning for the scan to report. Nothing in the file is executed or unpickled:
answers are JSON text, and the reader validates what it gets back.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "1"
DEFAULT_MAX_AGE = 86_400.0
"""Seconds: a day. The TTL usually expires first; this bounds the answers whose TTL is days long."""
FLUSH_EVERY = 2_000
"""Buffered writes are committed in one transaction when this many are pending (and at `flush`/`close`)."""
BUSY_TIMEOUT_MS = 2_000
MAX_ANSWER_BYTES = 262_144
"""An answer larger than this (in JSON) is neither stored nor read: no real DNS answer is that big."""

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS answers ("
    " server TEXT NOT NULL, name TEXT NOT NULL, rdtype TEXT NOT NULL,"
    " answer TEXT NOT NULL, ttl INTEGER NOT NULL, fetched_at REAL NOT NULL,"
    " PRIMARY KEY (server, name, rdtype)) WITHOUT ROWID",
)


def default_cache_path() -> Path:
    """`$XDG_CACHE_HOME/residency-scan/dns.sqlite`, else `~/.cache/residency-scan/dns.sqlite`.

    A relative XDG_CACHE_HOME is ignored, as the XDG specification asks.
    """
    base = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "residency-scan" / "dns.sqlite"


@dataclass(frozen=True)
class CachedAnswer:
    """A cache hit: the stored answer (JSON value), when it was fetched (Unix time) and its age in seconds."""

    answer: Any
    ttl: int
    fetched_at: float
    age: float


class DnsCache:
    """A thread-safe, process-safe (SQLite WAL) cache of DNS answers. Use as a context manager or `close()`.

    `clock` returns Unix time and exists for tests; the scan's own clock may be pinned (`--reproducible`),
    which must not stop entries from expiring. `create=False` (for `--offline`, which can only read) leaves a
    missing file missing: the cache is then empty, without a warning.
    """

    def __init__(self, path: Path | None = None, *, max_age: float = DEFAULT_MAX_AGE,
                 clock: Callable[[], float] = time.time, create: bool = True) -> None:
        if not max_age >= 0:  # also refuses NaN
            raise ValueError(f"max_age must be a number of seconds >= 0, not {max_age!r}")
        self.path = path if path is not None else default_cache_path()
        self.max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: list[tuple[str, str, str, str, int, float]] = []
        self._warnings: list[str] = []
        self._reported = 0
        self._db: sqlite3.Connection | None = None
        if create or self.path.exists():
            self._open()

    # ------------------------------------------------------------------------------------------ lifecycle

    def _open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                # Created by us, readable by us only: answers reveal which names an organisation looks up.
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False,
                                 isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            self._disable(f"cannot open the DNS cache {self.path}: {error}; continuing without it")
            return
        try:
            _prepare(db)
            found = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if found is None:
                db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            elif found[0] != SCHEMA_VERSION:
                db.close()
                self._disable(f"the DNS cache {self.path} has schema {str(found[0])[:20]!r}, not "
                              f"{SCHEMA_VERSION!r} (written by another version); ignored; delete it to rebuild it")
                return
            db.execute("DELETE FROM answers WHERE fetched_at + ttl < ?", (self._clock(),))
        except sqlite3.Error as error:
            db.close()
            self._disable(f"the DNS cache {self.path} is unreadable ({error}); ignored; delete it to rebuild it")
            return
        self._db = db

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> DnsCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> float:
        """The cache's clock (Unix time): the fetch time of a new answer must be read on the same clock."""
        return self._clock()

    @property
    def usable(self) -> bool:
        return self._db is not None

    def take_warnings(self) -> list[str]:
        """Warnings not yet handed out (each is reported once, by whoever asks first)."""
        with self._lock:
            new = self._warnings[self._reported:]
            self._reported = len(self._warnings)
            return new

    def note(self, warning: str) -> None:
        """Record a problem found in what the cache returned (e.g. an entry that is not an answer)."""
        with self._lock:
            self._warnings.append(warning)

    def _disable(self, warning: str) -> None:
        self._warnings.append(warning)
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    # ------------------------------------------------------------------------------------------ reading

    def get(self, name: str, rdtype: str, server: str) -> CachedAnswer | None:
        """The answer if one is stored and still fresh: younger than min(its TTL, max_age)."""
        with self._lock:
            if self._db is None:
                return None
            try:
                row = self._db.execute(
                    "SELECT answer, ttl, fetched_at FROM answers WHERE server = ? AND name = ? AND rdtype = ?",
                    (server, name, rdtype)).fetchone()
            except sqlite3.Error as error:
                self._disable(f"the DNS cache {self.path} failed while reading ({error}); ignored from now on")
                return None
            if row is None:
                return None
            return self._decode(name, rdtype, row)

    def _decode(self, name: str, rdtype: str, row: tuple[Any, ...]) -> CachedAnswer | None:
        text, ttl, fetched_at = row
        if not (isinstance(text, str) and len(text) <= MAX_ANSWER_BYTES and isinstance(ttl, int)
                and isinstance(fetched_at, int | float) and math.isfinite(fetched_at)):
            self._warnings.append(f"DNS cache entry for {name[:100]!r} {rdtype[:10]} is malformed; ignored")
            return None
        age = self._clock() - fetched_at
        if age < 0 or age >= min(ttl, self.max_age):  # expired, or fetched "in the future": not trusted
            return None
        try:
            answer = json.loads(text)
        except ValueError:
            self._warnings.append(f"DNS cache entry for {name[:100]!r} {rdtype[:10]} is not JSON; ignored")
            return None
        return CachedAnswer(answer=answer, ttl=ttl, fetched_at=float(fetched_at), age=age)

    # ------------------------------------------------------------------------------------------ writing

    def put(self, name: str, rdtype: str, server: str, answer: Mapping[str, Any], ttl: int,
            fetched_at: float | None = None) -> None:
        """Remember an answer (buffered; committed by `flush`, `close`, or every FLUSH_EVERY entries)."""
        if ttl <= 0:
            return  # a TTL of 0 means "do not cache" (RFC 1035 §3.2.1)
        text = json.dumps(answer, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
        if len(text) > MAX_ANSWER_BYTES:
            return
        when = self._clock() if fetched_at is None else fetched_at
        with self._lock:
            if self._db is None:
                return
            self._pending.append((server, name, rdtype, text, min(ttl, 2**31 - 1), when))
            full = len(self._pending) >= FLUSH_EVERY
        if full:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            if self._db is None or not pending:
                return
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)", pending)
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                self._disable(f"the DNS cache {self.path} could not be written ({error}); "
                              "continuing without it")


def _prepare(db: sqlite3.Connection) -> None:
    """Schema and pragmas; raises sqlite3.Error ("file is not a database") on a corrupt file."""
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # WAL: readers never wait for a writer, so parallel CI jobs sharing a cache do not block each other.
    # Some file systems (network shares) refuse it; the default journal still works there.
    with contextlib.suppress(sqlite3.OperationalError):
        db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    for statement in _SCHEMA:
        db.execute(statement)
