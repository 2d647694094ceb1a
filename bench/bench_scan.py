"""Benchmark: an offline scan of N IP assets to JSON, against the raw work it cannot avoid.

Measured in the same run, on the same generated inventory, several times each (min and median reported):
- baseline "raw YAML": PyYAML's C loader (`yaml.load(..., CSafeLoader)`) reading the inventory file;
- baseline "raw mmdb": a bare `maxminddb` lookup loop over the same addresses in the embedded database;
- the full scan: `residency-scan scan INV --offline --format json -o OUT` in a child process (wall time and
  peak RSS from `wait4`), which loads, validates, resolves, locates, judges and writes the JSON contract.
Target (issue 3): full scan <= 3 x (raw YAML + raw mmdb), peak RSS < 1 GiB.

Usage: python bench/bench_scan.py [--assets 100000] [--runs 3] [--out-dir bench/out]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import maxminddb
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_inventory import generate, write_yaml

from residency_scan.resolvers.geoip import EMBEDDED_DB


def timed(action: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def raw_yaml(path: Path) -> None:
    with path.open(encoding="utf-8") as stream:
        yaml.load(stream, Loader=yaml.CSafeLoader)


def raw_mmdb(addresses: list[str]) -> None:
    with maxminddb.open_database(str(EMBEDDED_DB)) as reader:
        for address in addresses:
            reader.get(address)


def full_scan(inventory: Path, output: Path) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in KiB and exit code of one CLI scan in a child process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "residency_scan", "scan", str(inventory), "--offline", "--format", "json",
         "-o", str(output)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, process.returncode


def describe(name: str, times: list[float]) -> str:
    return f"{name:<34} min {min(times):7.2f} s   median {statistics.median(times):7.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent / "out")
    args = parser.parse_args()

    args.out_dir.mkdir(parents=True, exist_ok=True)
    rows = generate(args.assets, seed=1)
    inventory = args.out_dir / f"inventory-{args.assets}.yaml"
    write_yaml(rows, inventory)
    addresses = [ip for _, _, ip, _ in rows]
    output = args.out_dir / "result.json"

    yaml_times = timed(lambda: raw_yaml(inventory), args.runs)
    mmdb_times = timed(lambda: raw_mmdb(addresses), args.runs)
    scans = [full_scan(inventory, output) for _ in range(args.runs)]
    scan_times = [elapsed for elapsed, _, _ in scans]
    peak_kib = max(rss for _, rss, _ in scans)
    codes = {code for _, _, code in scans}

    baseline = [y + m for y, m in zip(yaml_times, mmdb_times, strict=True)]
    ratio_min = min(scan_times) / min(baseline)
    ratio_median = statistics.median(scan_times) / statistics.median(baseline)
    print(f"inventory: {args.assets} IP assets, {inventory.stat().st_size / 1e6:.1f} MB; runs: {args.runs}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(describe("raw YAML (CSafeLoader)", yaml_times))
    print(describe("raw maxminddb loop", mmdb_times))
    print(describe("baseline (raw YAML + raw mmdb)", baseline))
    print(describe("full scan to JSON (CLI)", scan_times))
    print(f"full scan throughput: {args.assets / min(scan_times):,.0f} assets/s (best run)")
    print(f"ratio full / baseline: min {ratio_min:.2f}x, median {ratio_median:.2f}x (target <= 3x)")
    print(f"peak RSS of the scan: {peak_kib / 1024:.0f} MiB (target < 1024 MiB)")
    print(f"scan exit codes: {sorted(codes)}; JSON result {output.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
