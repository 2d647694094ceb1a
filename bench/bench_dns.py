"""Benchmark: resolving N names against a fast local DNS server, the full scan against bare resolver loops.

A dnsmasq on 127.0.0.x:53 serves N generated names from a hosts file (2/3 Moroccan addresses, 1/3 abroad, one
in five with an AAAA too, one in ten a CNAME to another name of the list). Measured in the same run, on the
same names, several times each (min and median), every one in a child process timed from outside (wall time,
peak RSS from `wait4`):
- (a) the full scan: `residency-scan scan INV --dns-server ADDR --format json -o OUT`: load the inventory,
  resolve (A and AAAA, chains, zone NS), locate, judge, write the JSON contract;
- (b) a bare dnspython loop: `dns.asyncresolver.Resolver.resolve` for A and AAAA of every name, at most
  `--concurrency` queries in flight (asyncio.Semaphore);
- (c) `adnshost --pipe` (GNU adns, C), type `addr` (A and AAAA), fed so that at most `--concurrency` names
  are outstanding.
Each reports its lost answers: names the server knows that came back without an address.
Also measured once: the same inventory scanned `--offline` (no DNS), to show what the DNS step adds to memory.
Target (issue 4): (a) at >= 0.8x the names/s of (b), no lost answers, memory flat.

Needs dnsmasq and adnshost (Debian: apt-get install dnsmasq adns-tools) and port 53 free on the address,
hence root (or CAP_NET_BIND_SERVICE): adns cannot be told another port.

Usage: python bench/bench_dns.py [--names 10000] [--runs 3] [--concurrency 64] [--address 127.0.0.54]
                                [--threads]   (also time (b') dnspython's blocking resolver in a thread pool)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DOMAIN = "bench-dns.ma"
MA_BLOCKS = ("196.200.", "41.248.", "105.128.")
ABROAD_BLOCKS = ("51.15.", "185.60.", "13.107.")


@dataclass
class Run:
    seconds: float
    peak_kib: int
    answered: int
    lost: int


# ------------------------------------------------------------------------------------------------ data


def generate(count: int, out: Path, seed: int = 1) -> tuple[Path, Path, Path, Path]:
    """Hosts file, dnsmasq CNAME config, names list and inventory for `count` names."""
    rng = random.Random(seed)
    hosts, cnames, names = [], [], []
    for i in range(count):
        name = f"h{i:05d}.{DOMAIN}"
        names.append(name)
        if i % 10 == 9:
            cnames.append(f"cname={name},h{rng.randrange(0, count - 1, 10):05d}.{DOMAIN}")
            continue
        block = rng.choice(ABROAD_BLOCKS if i % 3 == 0 else MA_BLOCKS)
        hosts.append(f"{block}{rng.randrange(256)}.{rng.randrange(1, 255)} {name}")
        if i % 5 == 0:
            hosts.append(f"2a01:111:f100::{i:x} {name}")
    paths = out / "dns-hosts", out / "dns-cnames.conf", out / "dns-names.txt", out / f"dns-inventory-{count}.yaml"
    paths[0].write_text("\n".join(hosts) + "\n")
    paths[1].write_text("\n".join(cnames) + "\n")
    paths[2].write_text("\n".join(names) + "\n")
    lines = ["version: 1", "entity: {name: Benchmark entity, type: eiv}", "defaults: {sensitivity: sensitive}",
             "assets:"]
    for i, name in enumerate(names):
        lines += [f"  - id: asset-{i:05d}", "    kind: server", f"    target: {name}", "    declared: {country: MA}"]
    paths[3].write_text("\n".join(lines) + "\n")
    return paths


def start_dnsmasq(address: str, hosts: Path, cnames: Path, count: int) -> subprocess.Popen[bytes]:
    dnsmasq = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    process = subprocess.Popen(
        [dnsmasq, "--no-daemon", "--no-resolv", "--no-hosts", f"--addn-hosts={hosts}", f"--conf-file={cnames}",
         f"--listen-address={address}", "--port=53", "--bind-interfaces", f"--local=/{DOMAIN}/",
         "--local-ttl=300", f"--cache-size={max(10_000, 2 * count)}", "--dns-forward-max=1000",
         "--log-facility=/dev/null", "--user=root", "--group=root"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import dns.resolver

    probe = dns.resolver.Resolver(configure=False)
    probe.nameservers = [address]
    for _ in range(50):
        if process.poll() is not None:
            raise SystemExit(f"dnsmasq exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            probe.resolve(f"h00000.{DOMAIN}", "A", lifetime=0.2)
            return process
        except Exception:  # not up yet
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("dnsmasq did not answer")


# ------------------------------------------------------------------------------------------------ runs


def timed_child(command: list[str]) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss, out


def scan(inventory: Path, output: Path, address: str, extra: list[str], offline: bool = False) -> Run:
    command = [sys.executable, "-m", "residency_scan", "scan", str(inventory), "--format", "json", "-o",
               str(output), "--fail-on", "none", *extra]
    command += ["--offline"] if offline else ["--dns-server", address]
    output.unlink(missing_ok=True)
    seconds, peak, _ = timed_child(command)
    if not output.exists():
        raise SystemExit(f"the scan wrote no result: {' '.join(command)}")
    # Counted in a child: reading a large JSON here would grow this process, and a child's peak RSS starts
    # from its parent's size at fork (Linux keeps ru_maxrss across execve).
    _, _, out = timed_child([sys.executable, __file__, "--count", str(output)])
    answered, lost = json.loads(out)
    return Run(seconds, peak, answered, lost)


def count_answers(output: Path) -> tuple[int, int]:
    """(assets whose name resolved to addresses with no DNS failure, the others) in a JSON result."""
    answered = lost = 0
    for result in json.loads(output.read_text())["assets"]:
        addresses = [e for e in result["evidence"] if e["source"] == "dns" and isinstance(e.get("raw"), dict)
                     and e["raw"].get("addresses")]
        failed = [e for e in result["evidence"] if e["source"] == "dns" and e.get("failure")]
        answered += bool(addresses and not failed)
        lost += not (addresses and not failed)
    return answered, lost


def bare(names: Path, address: str, concurrency: int, mode: str = "asyncio") -> Run:
    seconds, peak, out = timed_child([sys.executable, __file__, "--bare", str(names), "--address", address,
                                      "--concurrency", str(concurrency), "--mode", mode])
    answered, lost = json.loads(out)
    return Run(seconds, peak, answered, lost)


def thread_loop(names: list[str], address: str, concurrency: int) -> tuple[int, int]:
    """(b'): the other design a script could take: dnspython's blocking resolver in a thread pool."""
    from concurrent.futures import ThreadPoolExecutor

    import dns.resolver

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [address]
    resolver.lifetime = 3.0

    def one(name: str) -> bool:
        found = 0
        for rdtype in ("A", "AAAA"):
            try:
                found += len(resolver.resolve(name, rdtype, search=False))
            except Exception:  # NoAnswer, NXDOMAIN, or a lost answer (counted)
                continue
        return found > 0

    with ThreadPoolExecutor(concurrency) as pool:
        found = sum(pool.map(one, names))
    return found, len(names) - found


def bare_loop(names: list[str], address: str, concurrency: int) -> tuple[int, int]:
    """(b): what a careful script would write with dnspython alone."""
    import dns.asyncresolver
    import dns.resolver

    async def main() -> tuple[int, int]:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [address]
        resolver.lifetime = 3.0
        slots = asyncio.Semaphore(concurrency)

        async def one(name: str, rdtype: str) -> int:
            async with slots:
                try:
                    answer = await resolver.resolve(name, rdtype, search=False)
                except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
                    return 0
                except Exception:
                    return 0
                return len(answer)

        async def both(name: str) -> bool:
            a, aaaa = await asyncio.gather(one(name, "A"), one(name, "AAAA"))
            return a + aaaa > 0

        found = await asyncio.gather(*(both(name) for name in names))
        return sum(found), len(found) - sum(found)

    return asyncio.run(main())


def adns(names: list[str], address: str, concurrency: int) -> Run:
    """(c): adnshost in pipe mode, at most `concurrency` names outstanding."""
    command = ["adnshost", "--config", f"nameserver {address}", "--asynch", "--pipe", "--type", "addr",
               "--fmt-asynch"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    assert process.stdin is not None and process.stdout is not None
    queue = iter(names)

    def send(count: int) -> None:
        batch = [name for _, name in zip(range(count), queue, strict=False)]
        if batch:
            process.stdin.write(("\n".join(batch) + "\n").encode())  # type: ignore[union-attr]

    send(concurrency)
    done = answered = rrs_left = 0
    rest = b""
    while done < len(names):
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            break
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        finished = 0
        for line in lines:
            if rrs_left:
                rrs_left -= 1
                continue
            fields = line.split(b" ", 3)  # id, RR count, status type, ...
            rrs_left = int(fields[1])
            finished += 1
            answered += fields[2] == b"ok" and rrs_left > 0
        done += finished
        send(finished)
    process.stdin.close()
    _, _status, usage = os.wait4(process.pid, 0)
    return Run(time.perf_counter() - started, usage.ru_maxrss, answered, len(names) - answered)


# ------------------------------------------------------------------------------------------------ report


def own_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def describe(label: str, runs: list[Run], count: int) -> str:
    times = [r.seconds for r in runs]
    return (f"{label:<44} min {min(times):6.2f} s  median {statistics.median(times):6.2f} s  "
            f"{count / min(times):7,.0f} names/s  lost {max(r.lost for r in runs)}  "
            f"peak RSS {max(r.peak_kib for r in runs) / 1024:5.0f} MiB")


def scan_options(wanted: list[str]) -> list[str]:
    """The options of `wanted` that this version of the CLI has (the benchmark runs before and after wiring)."""
    helptext = subprocess.run([sys.executable, "-m", "residency_scan", "scan", "--help"], capture_output=True,
                              text=True, check=False, env={**os.environ, "COLUMNS": "300"}).stdout
    kept: list[str] = []
    for i, option in enumerate(wanted):
        if option.startswith("--") and option.split("=")[0] in helptext:
            kept.append(option)
            if i + 1 < len(wanted) and not wanted[i + 1].startswith("--"):
                kept.append(wanted[i + 1])
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--address", default="127.0.0.54")
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent / "out")
    parser.add_argument("--threads", action="store_true", help="also time dnspython in a thread pool")
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="asyncio", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare is not None:
        run = thread_loop if args.mode == "threads" else bare_loop
        print(json.dumps(run(args.bare.read_text().split(), args.address, args.concurrency)))
        return
    if args.count is not None:
        print(json.dumps(count_answers(args.count)))
        return

    args.out_dir.mkdir(parents=True, exist_ok=True)
    hosts, cnames, names_file, inventory = generate(args.names, args.out_dir)
    names = names_file.read_text().split()
    output = args.out_dir / "dns-result.json"
    extra = scan_options(["--concurrency", str(args.concurrency), "--no-dns-cache"])
    dnsmasq = start_dnsmasq(args.address, hosts, cnames, args.names)
    try:
        full: list[Run] = []
        loop: list[Run] = []
        c_runs: list[Run] = []
        threads: list[Run] = []
        for _ in range(args.runs):  # interleaved, so that noise from other jobs hits all three alike
            loop.append(bare(names_file, args.address, args.concurrency))
            if args.threads:
                threads.append(bare(names_file, args.address, args.concurrency, "threads"))
            c_runs.append(adns(names, args.address, args.concurrency))
            full.append(scan(inventory, output, args.address, extra))
        offline = scan(inventory, output, args.address, [], offline=True)
    finally:
        dnsmasq.terminate()
        dnsmasq.wait()

    print(f"{args.names} names ({len(names) // 10} CNAMEs) on dnsmasq {args.address}:53; concurrency "
          f"{args.concurrency}; runs {args.runs}; python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"scan options: {' '.join(extra) or '(defaults)'}")
    print(describe("(a) full scan to JSON (CLI)", full, args.names))
    print(describe("(b) bare dnspython asyncio loop (A+AAAA)", loop, args.names))
    if threads:
        print(describe("(b') dnspython Resolver in a thread pool", threads, args.names))
    print(describe("(c) adnshost --pipe (addr)", c_runs, args.names))
    print(f"{'    same inventory scanned --offline':<44} {offline.seconds:6.2f} s  "
          f"peak RSS {offline.peak_kib / 1024:5.0f} MiB")
    print(f"(peak RSS of a child includes this process's {own_kib() / 1024:.0f} MiB at fork)")
    best = min(r.seconds for r in loop) / min(r.seconds for r in full)
    typical = statistics.median(r.seconds for r in loop) / statistics.median(r.seconds for r in full)
    print(f"ratio (a)/(b) in names/s: min-to-min {best:.2f}x, median-to-median {typical:.2f}x (target >= 0.8x)")


if __name__ == "__main__":
    main()
