"""Synthetic inventories for benchmarks: N assets with public IPv4 targets, deterministic for a given seed.

Usage: python bench/generate_inventory.py --assets 100000 --out /tmp/inv.yaml [--csv] [--seed 1]
"""

from __future__ import annotations

import argparse
import ipaddress
import random
from pathlib import Path

KINDS = ("server", "data-store", "backup", "admin-interface", "network")
SENSITIVITIES = ("sensitive", "internal", "public")


def public_ipv4(rng: random.Random) -> str:
    """A random global unicast IPv4 address (reserved and private ranges excluded)."""
    while True:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if address.is_global and not address.is_multicast:
            return str(address)


def generate(count: int, seed: int) -> list[tuple[str, str, str, str]]:
    rng = random.Random(seed)
    return [(f"asset-{i:06d}", rng.choice(KINDS), public_ipv4(rng), rng.choice(SENSITIVITIES)) for i in range(count)]


def write_yaml(rows: list[tuple[str, str, str, str]], out: Path) -> None:
    lines = ["version: 1", "entity: {name: Benchmark entity, type: eiv}", "defaults: {sensitivity: sensitive}",
             "assets:"]
    for asset_id, kind, ip, sensitivity in rows:
        lines.append(f"  - id: {asset_id}")
        lines.append(f"    kind: {kind}")
        lines.append(f"    target: {ip}")
        lines.append(f"    sensitivity: {sensitivity}")
        lines.append("    declared: {country: MA}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_csv(rows: list[tuple[str, str, str, str]], out: Path) -> None:
    lines = ["id,kind,target,sensitivity,declared_country"]
    lines += [f"{a},{k},{ip},{s},MA" for a, k, ip, s in rows]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--csv", action="store_true")
    args = parser.parse_args()
    rows = generate(args.assets, args.seed)
    (write_csv if args.csv else write_yaml)(rows, args.out)
    print(f"wrote {args.out}: {len(rows)} assets")


if __name__ == "__main__":
    main()
