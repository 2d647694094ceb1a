"""Benchmark: AWS discovery of 5,000 resources across 10 regions, bounded thread pool against a sequential loop.

A moto server runs in a child process on 127.0.0.1 (its own interpreter, so its CPU work does not compete for
this process's GIL), filled with `--resources` resources spread evenly over 10 regions: DynamoDB tables, CloudWatch
log groups, Secrets Manager secrets, KMS keys and S3 buckets, a third of them tagged with a sensitivity. Then the
same discovery (every service, every region, one account, CloudTrail lookups off: moto does not implement them) is
run with `--concurrency` workers and with one worker (the sequential loop), alternately, `--runs` times each;
min and median wall time, this process's CPU time, API calls and HTTP requests are printed, and the ratio.

moto answers in a fraction of a millisecond of network time, where AWS answers in tens of milliseconds: with no
network latency the work is CPU-bound on a 2-core machine and threads cannot gain much. `--latency-ms` adds that
round trip to every HTTP request (a `before-send` hook that sleeps, as a socket wait would), which is the situation
the thread pool is for; the default runs both (0 and 50 ms).

Usage: python bench/bench_discovery.py [--resources 5000] [--runs 3] [--concurrency 8] [--latency-ms 0 50]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # type: ignore[import-untyped,unused-ignore]

from residency_scan.discovery.aws import AwsDiscoveryOptions, discover_aws
from residency_scan.discovery.aws_session import AwsSessions, SessionSettings
from residency_scan.discovery.result import DiscoveryResult

REGIONS = ("eu-west-3", "eu-west-1", "eu-west-2", "eu-central-1", "eu-north-1", "eu-south-1", "us-east-1",
           "us-east-2", "us-west-2", "ap-south-1")
# Per region, out of 500: what each service gets (S3 buckets are created in their region, listed globally).
MIX = {"dynamodb": 0.6, "logs": 0.3, "secretsmanager": 0.06, "kms": 0.02, "s3": 0.02}
SENSITIVITY = "residency:sensitivity"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the moto server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def populate(total: int) -> dict[str, int]:
    """Create `total` resources across REGIONS in parallel; returns how many of each kind."""
    per_region = total // len(REGIONS)
    counts = {service: int(per_region * share) for service, share in MIX.items()}
    counts["dynamodb"] += per_region - sum(counts.values())
    jobs: list[Callable[[], object]] = []
    for region in REGIONS:
        for service, count in counts.items():
            jobs += [partial(create, service, region, number) for number in range(count)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in pool.map(lambda job: job(), jobs):
            pass
    return {service: count * len(REGIONS) for service, count in counts.items()}


_local = threading.local()


def client(service: str, region: str) -> Any:
    """Clients for the set-up, one session per thread (sessions are not thread-safe)."""
    if not hasattr(_local, "session"):
        _local.session, _local.clients = boto3.session.Session(), {}
    if (service, region) not in _local.clients:
        _local.clients[(service, region)] = _local.session.client(service, region_name=region)
    return _local.clients[(service, region)]


def create(service: str, region: str, number: int) -> None:
    name = f"bench-{region}-{number:04d}"
    level = ("sensitive", "internal", "public")[number % 3]
    tags = [{"Key": SENSITIVITY, "Value": level}] if number % 3 == 0 else []
    if service == "dynamodb":
        client("dynamodb", region).create_table(
            TableName=name, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
            **({"Tags": tags} if tags else {}))
    elif service == "logs":
        client("logs", region).create_log_group(logGroupName=f"/bench/{name}",
                                                **({"tags": {SENSITIVITY: level}} if tags else {}))
    elif service == "secretsmanager":
        client("secretsmanager", region).create_secret(Name=name, SecretString="x", **({"Tags": tags} if tags else {}))
    elif service == "kms":
        client("kms", region).create_key(Description=name, **(
            {"Tags": [{"TagKey": SENSITIVITY, "TagValue": level}]} if tags else {}))
    else:
        s3 = client("s3", region)
        s3.create_bucket(Bucket=name, **({} if region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": region}}))
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})


def discover(concurrency: int, latency_ms: float) -> tuple[float, float, DiscoveryResult]:
    def network(**_: Any) -> None:
        time.sleep(latency_ms / 1000)

    handlers = [("before-send", network)] if latency_ms else []
    sessions = AwsSessions(SessionSettings(max_pool_connections=max(10, concurrency)), event_handlers=handlers)
    started, cpu = time.perf_counter(), time.process_time()
    result = discover_aws(AwsDiscoveryOptions(regions=REGIONS, concurrency=concurrency, access_events=False),
                          sessions=sessions)
    return time.perf_counter() - started, time.process_time() - cpu, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 50.0])
    args = parser.parse_args()
    os.environ.update({"AWS_ACCESS_KEY_ID": "AKIABENCHBENCHBENCH0", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"})
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    with moto_server() as endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        started = time.perf_counter()
        created = populate(args.resources)
        print(f"created {sum(created.values())} resources in {len(REGIONS)} regions in "
              f"{time.perf_counter() - started:.1f} s: {created}")
        started = time.perf_counter()
        discover(args.concurrency, 0.0)  # moto builds each region's backends on first use: not ours to time
        print(f"warm-up discovery (moto initialises its backends): {time.perf_counter() - started:.1f} s")
        for latency in args.latency_ms:
            report(latency, args.runs, args.concurrency, sum(created.values()))
    return 0


def report(latency: float, runs: int, concurrency: int, expected: int) -> None:
    times: dict[int, list[float]] = {concurrency: [], 1: []}
    cpu: dict[int, list[float]] = {concurrency: [], 1: []}
    last: dict[int, DiscoveryResult] = {}
    for _ in range(runs):
        for workers in (concurrency, 1):
            elapsed, used, result = discover(workers, latency)
            times[workers].append(elapsed)
            cpu[workers].append(used)
            last[workers] = result
    print(f"\nsimulated network round trip: {latency:g} ms per HTTP request; {runs} runs each")
    print(f"{'workers':>8} {'min s':>8} {'median s':>9} {'CPU s':>6} {'assets':>7} {'gaps':>5} {'API calls':>10} "
          f"{'HTTP requests':>14}")
    for workers in (1, concurrency):
        result = last[workers]
        print(f"{workers:>8} {min(times[workers]):>8.2f} {statistics.median(times[workers]):>9.2f} "
              f"{statistics.median(cpu[workers]):>6.2f} "
              f"{len(result.assets):>7} {len(result.gaps):>5} {sum(result.api_calls.values()):>10} "
              f"{sum(result.http_requests.values()):>14}")
        assert not result.gaps, result.gap_lines()[:5]
        assert len(result.assets) >= expected, (len(result.assets), expected)
    assert last[1].assets == last[concurrency].assets, "the same assets whatever the concurrency"
    print(f"speed-up (sequential / {concurrency} workers): min {min(times[1]) / min(times[concurrency]):.2f}x, "
          f"median {statistics.median(times[1]) / statistics.median(times[concurrency]):.2f}x")
    calls = sorted(last[concurrency].api_calls.items(), key=lambda item: -item[1])
    print("API calls per service:", ", ".join(f"{name} {count}" for name, count in calls))


if __name__ == "__main__":
    sys.exit(main())
