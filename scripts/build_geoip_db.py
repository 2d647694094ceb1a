"""Rebuild the embedded IP → registered-country database from the `iptocc` package.

The scanner must answer offline with a dataset it may redistribute. `iptocc` (MIT OR Apache-2.0) embeds the
five RIRs' delegation statistics, refreshed nightly, but exposes only point lookups. This script rebuilds the
ranges by sampling, and writes them as a MaxMind-format database that both `maxminddb` and
`geoip2.database.Reader.country()` read:

- IPv4: every /24 is sampled at .0, .64, .128, .192 and .255. When the five answers agree, the /24 is one run;
  when they differ (RIPE and APNIC do delegate below /24), all 256 addresses are looked up, so those /24s are
  exact to the address.
- IPv6: every /32 of the IANA blocks delegated to the RIRs is sampled at the start of each of its sixteen /36s
  and at its last address. A /32 whose samples differ is refined the same way down to /48. The RIRs assign
  /48s to exchange points and PI holders from dedicated pools, where a /48 can hide between samples, so
  every /29 found holding /48 delegations is then sampled exhaustively at /48. Each /48 takes the country of
  its first address: delegations smaller than a /48 are approximated.

The output is deterministic for a given `iptocc` version: the database's build epoch is the data date, not
the time of the build, and networks are inserted in sorted order.

    python scripts/build_geoip_db.py [--out DIR] [--verify N]
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import importlib.metadata
import ipaddress
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import iptocc
import maxminddb
from mmdb_writer import MMDBWriter
from netaddr import IPNetwork, IPSet

DATASET_ID = "rir-country"
DATABASE_TYPE = "residency-scan-RIR-Country"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "residency_scan" / "data" / "geoip"
IPTOCC_URL = "https://github.com/roniemartinez/IPToCC"

Run = tuple[int, int, str | None]
"""An inclusive address range [start, end] and the country registered for it (None: not delegated)."""
Range = tuple[int, int, str]
"""A run that some RIR delegated."""

V4_PROBES = (0, 64, 128, 192, 255)

# IANA's IPv6 unicast blocks delegated to the RIRs. 2001::/16 is split among all five RIRs in /23s (and holds
# special-purpose ranges), so it is sampled /32 by /32 like the rest rather than treated as one block.
V6_BLOCKS = (
    "2001::/16",
    "2003::/16",  # 2003::/18 RIPE NCC; the rest of the /16 is reserved and answers nothing
    "2400::/12",  # APNIC
    "2410::/12",  # APNIC
    "2600::/12",  # ARIN
    "2610::/23",  # ARIN
    "2620::/23",  # ARIN
    "2630::/12",  # ARIN
    "2800::/12",  # LACNIC
    "2a00::/12",  # RIPE NCC
    "2a10::/12",  # RIPE NCC
    "2c00::/12",  # AFRINIC
)
V6_LEAF_PREFIX = 48


def lookup(addresses: Sequence[str]) -> list[str | None]:
    answers: list[str | None] = iptocc.country_code(addresses)
    return answers


# --------------------------------------------------------------------------------------------- IPv4


def v4_runs() -> Iterator[Run]:
    """Runs of the whole IPv4 space, /8 by /8, in address order."""
    for first in range(256):
        slash24s = [f"{first}.{b}.{c}." for b in range(256) for c in range(256)]
        probes = [lookup([p + str(last) for p in slash24s]) for last in V4_PROBES]
        for index, prefix in enumerate(slash24s):
            start = (first << 24) | (index << 8)
            answers = {probe[index] for probe in probes}
            if len(answers) == 1:
                yield start, start + 255, probes[0][index]
            else:
                detail = lookup([prefix + str(d) for d in range(256)])
                yield from (_runs_of_points([start + d for d in range(256)], detail, start + 255))


def _runs_of_points(starts: Sequence[int], answers: Sequence[str | None], end: int) -> Iterator[Run]:
    """Runs from consecutive sampled points, each point standing for the addresses up to the next one."""
    for i, (start, country) in enumerate(zip(starts, answers, strict=True)):
        stop = starts[i + 1] - 1 if i + 1 < len(starts) else end
        yield start, stop, country


# --------------------------------------------------------------------------------------------- IPv6


def _v6_text(address: int) -> str:
    return str(ipaddress.IPv6Address(address))


def v6_runs(pools: set[int]) -> Iterator[Run]:
    """Runs of the RIR-delegated IPv6 blocks, in address order.

    Adds to `pools` the /29s (as integers: the top 29 bits) holding a /32 that had to be refined down to /48.
    """
    for block_text in V6_BLOCKS:
        block = ipaddress.IPv6Network(block_text)
        base = int(block.network_address) >> 96  # the /32 index of the block's first /32
        count = 1 << (32 - block.prefixlen)
        groups = [(f"{(base + i) >> 16:x}:{(base + i) & 0xFFFF:x}:", base + i) for i in range(count)]
        probes = [lookup([g + f"{k << 12:x}::" for g, _ in groups]) for k in range(16)]
        probes.append(lookup([g + "ffff:ffff:ffff:ffff:ffff:ffff" for g, _ in groups]))
        for index, (_, slash32) in enumerate(groups):
            start = slash32 << 96
            answers = [probe[index] for probe in probes]
            if len(set(answers)) == 1:
                yield start, start + (1 << 96) - 1, answers[0]
            else:
                yield from _refine_v6(start, 32, answers, pools)


def _refine_v6(start: int, prefix: int, answers: Sequence[str | None], pools: set[int]) -> Iterator[Run]:
    """Split a heterogeneous block in sixteen and sample each part, down to /48."""
    child_prefix = prefix + 4
    size = 1 << (128 - child_prefix)
    child_starts = [start + k * size for k in range(16)]
    if child_prefix >= V6_LEAF_PREFIX:
        pools.add(start >> (128 - 29))
        yield from _runs_of_points(child_starts, answers[:16], start + 16 * size - 1)
        return
    grandchild = size >> 4
    for child in child_starts:
        points = [child + k * grandchild for k in range(16)] + [child + size - 1]
        child_answers = lookup([_v6_text(p) for p in points])
        if len(set(child_answers)) == 1:
            yield child, child + size - 1, child_answers[0]
        else:
            yield from _refine_v6(child, child_prefix, child_answers, pools)


def v6_pool_runs(pools: set[int]) -> Iterator[Run]:
    """Every /48 of every /32 in the /48-assignment pools found by `v6_runs`, which sampling alone misses.

    Exchange-point, PI and micro-allocation pools (ARIN 2620::/23, RIPE NCC 2001:7f8::/29, AFRINIC
    2001:43f8::/29...) are full of /48s scattered where none of a /32's seventeen samples falls.
    """
    for pool in sorted(pools):
        for slash32 in range(pool << 3, (pool + 1) << 3):
            prefix = f"{slash32 >> 16:x}:{slash32 & 0xFFFF:x}:"
            answers = lookup([prefix + f"{k:x}::" for k in range(1 << 16)])
            starts = [(slash32 << 96) | (k << 80) for k in range(1 << 16)]
            yield from _runs_of_points(starts, answers, (slash32 << 96) + (1 << 96) - 1)


def v6_outside_blocks() -> list[str]:
    """/20s outside V6_BLOCKS that answer: a newly delegated IANA block this script does not sample yet."""
    blocks = [ipaddress.IPv6Network(b) for b in V6_BLOCKS]
    found = []
    for top in range(0x2000 << 4, 0x4000 << 4):  # every /20 of 2000::/3
        net = ipaddress.IPv6Network((top << 108, 20))
        if any(net.overlaps(b) for b in blocks):
            continue
        points = [_v6_text(int(net.network_address) + (k << 104)) for k in range(16)]
        if any(lookup(points)):
            found.append(str(net))
    return found


# --------------------------------------------------------------------------------------------- output


def merge(runs: Iterable[Run]) -> list[Range]:
    """Join adjacent runs of the same country and drop what no RIR delegated."""
    merged: list[list[Any]] = []
    for start, end, country in runs:
        if merged and merged[-1][2] == country and merged[-1][1] + 1 == start:
            merged[-1][1] = end
        else:
            merged.append([start, end, country])
    return [(s, e, c) for s, e, c in merged if c is not None]


def overlay(base: list[Range], holes: list[tuple[int, int]], patches: list[Range]) -> list[Range]:
    """`base` with the sorted, disjoint `holes` cut out and filled by `patches` instead."""
    pieces: list[Run] = []
    for start, end, country in base:
        cursor = start
        first = max(bisect.bisect_right(holes, (start, start)) - 1, 0)
        for hole_start, hole_end in holes[first:]:
            if hole_start > end:
                break
            if hole_end < cursor:
                continue
            if hole_start > cursor:
                pieces.append((cursor, hole_start - 1, country))
            cursor = hole_end + 1
        if cursor <= end:
            pieces.append((cursor, end, country))
    pieces.extend(patches)
    pieces.sort(key=lambda run: run[0])
    return merge(pieces)


def networks_by_country(v4: list[Range], v6: list[Range]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for cls, ranges in ((ipaddress.IPv4Address, v4), (ipaddress.IPv6Address, v6)):
        for start, end, country in ranges:
            found[country].extend(str(n) for n in ipaddress.summarize_address_range(cls(start), cls(end)))
    return found


class _ReproducibleWriter(MMDBWriter):
    """`MMDBWriter` stamps the wall clock into the metadata; the data date keeps rebuilds byte-identical."""

    def __init__(self, build_epoch: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._build_epoch = build_epoch

    def _build_meta(self) -> dict[str, Any]:
        meta = super()._build_meta()
        meta["build_epoch"] = self._build_epoch
        return meta


def write_mmdb(path: Path, networks: dict[str, list[str]], data_date: date, version: str) -> None:
    epoch = int(datetime(data_date.year, data_date.month, data_date.day, tzinfo=UTC).timestamp())
    writer = _ReproducibleWriter(
        build_epoch=epoch,
        ip_version=6,
        ipv4_compatible=True,
        database_type=DATABASE_TYPE,
        languages=["en"],
        description={"en": f"Country where each block is registered per the five RIRs (iptocc {version}, {data_date})"},
    )
    for country in sorted(networks):
        record = {"country": {"iso_code": country}, "registered_country": {"iso_code": country}}
        writer.insert_network(IPSet(IPNetwork(n) for n in networks[country]), record)
    writer.to_db_file(str(path))


def iptocc_data_date() -> date:
    """The day iptocc's nightly job fetched the RIR files: the timestamp of the wheel's SBOM.

    The job downloads the five delegated-extended files, regenerates the tables and publishes in the same run,
    so the wheel's build time is the data's date.
    """
    dist = importlib.metadata.distribution("iptocc")
    sbom = dist.read_text("sboms/iptocc-py.cyclonedx.json")
    if sbom is None:
        raise SystemExit("iptocc wheel has no SBOM to date its data; pass --date YYYY-MM-DD")
    stamp = json.loads(sbom)["metadata"]["timestamp"]
    return date.fromisoformat(stamp[:10])


def _country_of(record: object) -> str | None:
    country = record.get("country") if isinstance(record, dict) else None
    code = country.get("iso_code") if isinstance(country, dict) else None
    return code if isinstance(code, str) else None


def verify(path: Path, samples: int) -> tuple[int, int]:
    """Random addresses looked up in both iptocc and the written database: (mismatches, samples)."""
    rng = random.Random(20241)  # a fixed sample, not a secret
    blocks = [ipaddress.IPv6Network(b) for b in V6_BLOCKS]
    addresses = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(samples // 2)]
    for _ in range(samples - samples // 2):
        block = rng.choice(blocks)
        addresses.append(_v6_text(int(block.network_address) + rng.getrandbits(128 - block.prefixlen)))
    expected = lookup(addresses)
    mismatches = 0
    with maxminddb.open_database(str(path)) as reader:
        for address, country in zip(addresses, expected, strict=True):
            mismatches += _country_of(reader.get(address)) != country
    return mismatches, len(addresses)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for the .mmdb and .json")
    parser.add_argument("--date", type=date.fromisoformat, help="data date, if the iptocc wheel has no SBOM")
    parser.add_argument("--verify", type=int, default=200_000, help="random addresses to cross-check")
    args = parser.parse_args(argv)

    version = importlib.metadata.version("iptocc")
    data_date: date = args.date or iptocc_data_date()
    args.out.mkdir(parents=True, exist_ok=True)
    mmdb_path = args.out / f"{DATASET_ID}.mmdb"
    began = time.monotonic()

    v4 = merge(v4_runs())
    print(f"IPv4: {len(v4)} ranges ({time.monotonic() - began:.0f} s)", file=sys.stderr)
    pools: set[int] = set()
    v6 = merge(v6_runs(pools))
    holes = [(p << 99, ((p + 1) << 99) - 1) for p in sorted(pools)]
    v6 = overlay(v6, holes, merge(v6_pool_runs(pools)))
    print(f"IPv6: {len(v6)} ranges ({time.monotonic() - began:.0f} s)", file=sys.stderr)
    stray = v6_outside_blocks()
    if stray:
        print(f"warning: IPv6 delegations outside the sampled blocks: {stray}", file=sys.stderr)

    networks = networks_by_country(v4, v6)
    write_mmdb(mmdb_path, networks, data_date, version)
    digest = hashlib.sha256(mmdb_path.read_bytes()).hexdigest()
    total = sum(len(n) for n in networks.values())
    print(
        f"wrote {mmdb_path}: {mmdb_path.stat().st_size} bytes, {total} networks, "
        f"{len(networks)} countries ({time.monotonic() - began:.0f} s)",
        file=sys.stderr,
    )

    metadata = {
        "id": DATASET_ID,
        "name": "RIR delegation country (via iptocc)",
        "version": version,
        "date": data_date.isoformat(),
        "licence": "MIT OR Apache-2.0 (iptocc); data from the RIR statistics files of AFRINIC, APNIC, ARIN, "
        "LACNIC and RIPE NCC",
        "url": IPTOCC_URL,
        "attribution": "iptocc by Ronie Martinez; delegation statistics published by AFRINIC, APNIC, ARIN, "
        "LACNIC and RIPE NCC",
        "sha256": digest,
        "granularity": "IPv4: /24, exact to the address inside /24s whose samples at .0/.64/.128/.192/.255 "
        "differ. IPv6: /32, refined to /48 inside /32s whose samples (each /36 start and the last address) "
        "differ, and exhaustive at /48 in every /29 holding /48 delegations; smaller delegations take the "
        "country of their /48's (or undivided /32's) first address.",
        "networks": total,
        "countries": len(networks),
    }
    (args.out / f"{DATASET_ID}.json").write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")

    if args.verify:
        wrong, checked = verify(mmdb_path, args.verify)
        print(f"verify: {wrong} of {checked} random addresses differ from iptocc", file=sys.stderr)
    counts = Counter({c: len(n) for c, n in networks.items()})
    print("networks per country (top 10):", counts.most_common(10), file=sys.stderr)
    print("MA networks (first 20):", networks.get("MA", [])[:20], file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
