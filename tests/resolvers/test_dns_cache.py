"""The DNS answer cache file: freshness (TTL and max age, with an injected clock), what it refuses to trust, and
that nothing in or around the file (corruption, another version, hostile rows, threads, a read-only place)
ever raises: the cache steps aside with a warning."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from residency_scan.resolvers.dns_cache import DnsCache, default_cache_path

ANSWER = {"rcode": "NOERROR", "chain": ["www.exemple.ma"], "records": ["196.200.131.10"], "ttl": 300}


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "dns.sqlite"


def stored(path: Path, clock: Clock, *, ttl: int = 300, max_age: float = 3600) -> DnsCache:
    cache = DnsCache(path, clock=clock, max_age=max_age)
    cache.put("www.exemple.ma", "A", "127.0.0.1:53", ANSWER, ttl)
    cache.flush()
    return cache


def test_answer_comes_back_with_its_age(path: Path, clock: Clock) -> None:
    with stored(path, clock):
        pass
    clock.now += 12.5
    with DnsCache(path, clock=clock) as cache:
        hit = cache.get("www.exemple.ma", "A", "127.0.0.1:53")
        assert hit is not None
        assert hit.answer == ANSWER and hit.ttl == 300
        assert hit.fetched_at == 1_000_000.0 and hit.age == 12.5
        assert cache.take_warnings() == []


@pytest.mark.parametrize(("name", "rdtype", "server"), [
    ("autre.exemple.ma", "A", "127.0.0.1:53"),
    ("www.exemple.ma", "AAAA", "127.0.0.1:53"),
    ("www.exemple.ma", "A", "127.0.0.2:53"),  # another resolver may answer differently (split horizon)
])
def test_entries_are_keyed_by_name_type_and_server(name: str, rdtype: str, server: str, path: Path,
                                                   clock: Clock) -> None:
    with stored(path, clock) as cache:
        assert cache.get(name, rdtype, server) is None


@pytest.mark.parametrize(("ttl", "max_age", "age", "fresh"), [
    (300, 3600, 299, True),
    (300, 3600, 300, False),  # the TTL is up
    (300, 60, 59, True),
    (300, 60, 61, False),  # max age shorter than the TTL wins
    (10**9, 3600, 3601, False),  # a huge TTL does not outlive the max age
])
def test_never_trusted_past_ttl_or_max_age(ttl: int, max_age: float, age: float, fresh: bool, path: Path,
                                           clock: Clock) -> None:
    with stored(path, clock, ttl=ttl, max_age=max_age) as cache:
        clock.now += age
        assert (cache.get("www.exemple.ma", "A", "127.0.0.1:53") is not None) is fresh


def test_entry_fetched_in_the_future_is_not_trusted(path: Path, clock: Clock) -> None:
    with stored(path, clock) as cache:
        clock.now -= 100  # the clock went back (or the file was written by a machine ahead of us)
        assert cache.get("www.exemple.ma", "A", "127.0.0.1:53") is None


def test_zero_ttl_is_not_stored(path: Path, clock: Clock) -> None:
    with stored(path, clock, ttl=0) as cache:
        assert cache.get("www.exemple.ma", "A", "127.0.0.1:53") is None


def test_expired_entries_are_purged_when_the_file_is_opened(path: Path, clock: Clock) -> None:
    with stored(path, clock, ttl=5):
        pass
    clock.now += 10
    with DnsCache(path, clock=clock):
        pass
    rows = sqlite3.connect(path).execute("SELECT count(*) FROM answers").fetchone()
    assert rows == (0,)


def test_writes_are_buffered_until_flush(path: Path, clock: Clock) -> None:
    with DnsCache(path, clock=clock) as cache:
        cache.put("www.exemple.ma", "A", "s", ANSWER, 300)
        with DnsCache(path, clock=clock) as other:
            assert other.get("www.exemple.ma", "A", "s") is None
        cache.flush()
        with DnsCache(path, clock=clock) as other:
            assert other.get("www.exemple.ma", "A", "s") is not None


def test_file_is_private_to_its_owner(path: Path, clock: Clock) -> None:
    with DnsCache(path, clock=clock):
        pass
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize("content", [b"this is not a database\x00" * 200, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_corrupt_file_is_ignored_with_a_warning(content: bytes, path: Path, clock: Clock) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with DnsCache(path, clock=clock) as cache:
        assert not cache.usable
        cache.put("www.exemple.ma", "A", "s", ANSWER, 300)
        cache.flush()
        assert cache.get("www.exemple.ma", "A", "s") is None
        (warning,) = cache.take_warnings()
        assert str(path) in warning and "ignored" in warning
        assert cache.take_warnings() == []  # each warning is handed out once
    assert path.read_bytes() == content  # never overwritten: the user may want to look at it


def test_file_from_another_schema_version_is_left_alone(path: Path, clock: Clock) -> None:
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema', '99')")
    db.close()
    with DnsCache(path, clock=clock) as cache:
        assert not cache.usable
        (warning,) = cache.take_warnings()
        assert "schema '99'" in warning


@pytest.mark.parametrize(("answer", "ttl", "fetched_at", "warns"), [
    ("{not json", 300, 1_000_000.0, True),
    ("[1, 2", 300, 1_000_000.0, True),
    ('"x"', "three hundred", 1_000_000.0, True),  # a TTL that is text
    ('"x"', 300, float("inf"), True),
    (b"\x00\xff", 300, 1_000_000.0, True),  # bytes where text belongs
    ("x" * 300_000, 300, 1_000_000.0, True),  # absurdly large
    ('"x"', 300, "yesterday", False),  # purged as expired when the file is opened
])
def test_hostile_rows_are_misses_with_a_warning(answer: object, ttl: object, fetched_at: object, warns: bool,
                                                path: Path, clock: Clock) -> None:
    with DnsCache(path, clock=clock):
        pass
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO answers VALUES ('s', 'www.exemple.ma', 'A', ?, ?, ?)", (answer, ttl, fetched_at))
    db.close()
    with DnsCache(path, clock=clock) as cache:
        assert cache.get("www.exemple.ma", "A", "s") is None
        assert len(cache.take_warnings()) == warns
        assert cache.usable  # one bad row does not throw the rest away


def test_unwritable_place_means_no_cache_not_a_crash(tmp_path: Path, clock: Clock) -> None:
    if os.geteuid() == 0:
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        place = blocker / "dns.sqlite"  # a path under a regular file cannot exist, even for root
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        place = locked / "sub" / "dns.sqlite"
    with DnsCache(place, clock=clock) as cache:
        assert not cache.usable
        assert cache.get("www.exemple.ma", "A", "s") is None
        assert "cannot open the DNS cache" in cache.take_warnings()[0]


def test_threads_share_one_cache(path: Path, clock: Clock) -> None:
    errors: list[BaseException] = []
    with DnsCache(path, clock=clock) as cache:
        def work(n: int) -> None:
            try:
                for i in range(200):
                    cache.put(f"h{n}-{i}.exemple.ma", "A", "s", ANSWER, 300)
                    cache.get(f"h{n}-{i // 2}.exemple.ma", "A", "s")
                    if i % 50 == 0:
                        cache.flush()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cache.flush()
        assert errors == []
        assert all(cache.get(f"h{n}-199.exemple.ma", "A", "s") is not None for n in range(8))
        assert cache.take_warnings() == []


def test_two_caches_on_one_file_see_each_others_writes(path: Path, clock: Clock) -> None:
    with DnsCache(path, clock=clock) as first, DnsCache(path, clock=clock) as second:
        first.put("www.exemple.ma", "A", "s", ANSWER, 300)
        first.flush()
        assert second.get("www.exemple.ma", "A", "s") is not None


def test_a_missing_file_is_not_created_when_told_not_to(path: Path, clock: Clock) -> None:
    with DnsCache(path, clock=clock, create=False) as cache:
        assert not cache.usable and cache.take_warnings() == []
        assert cache.get("www.exemple.ma", "A", "s") is None
    assert not path.exists() and not path.parent.exists()
    with stored(path, clock):
        pass
    with DnsCache(path, clock=clock, create=False) as cache:  # an existing one is used
        assert cache.get("www.exemple.ma", "A", "127.0.0.1:53") is not None


def test_negative_max_age_is_refused(path: Path) -> None:
    with pytest.raises(ValueError, match="max_age"):
        DnsCache(path, max_age=-1)


def test_default_place_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_path() == tmp_path / "residency-scan" / "dns.sqlite"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # ignored, as the XDG specification says
    assert default_cache_path() == Path.home() / ".cache" / "residency-scan" / "dns.sqlite"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_path() == Path.home() / ".cache" / "residency-scan" / "dns.sqlite"
