"""Build residency_scan/data/cdn_networks.yaml from the CDNs' own published IP lists.

Why a build step: the scanner never downloads anything at run time, so the lists are copied here, with the
day they were copied, and the result is checked by the same loader the scanner uses. Inputs, in the form
each operator publishes them (download them, then pass the files):

  --cloudflare-v4 ips-v4 --cloudflare-v6 ips-v6   https://www.cloudflare.com/ips-v4 and /ips-v6 (one CIDR a line)
  --fastly public-ip-list.json                     https://api.fastly.com/public-ip-list (JSON)
  --aws ip-ranges.json                             https://ip-ranges.amazonaws.com/ip-ranges.json (service CLOUDFRONT)
  --akamai akamai_ipv4_ipv6_CIDRs.txt              Akamai Origin IP ACL list (one CIDR a line)
  --retrieved NETWORK=YYYY-MM-DD[=WHERE]           when (and, if not from the URL itself, from which copy) each
                                                   list was taken; one per network

Usage: python3 scripts/build_cdn_networks.py --cloudflare-v4 … --retrieved cloudflare=2026-06-27 … [--out PATH]
The output is deterministic: the same inputs give the same bytes (prefixes sorted, no build timestamp).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from residency_scan.resolvers.cdn_ranges import DATASET_ID, load_cdn_ranges

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "residency_scan" / "data" / "cdn_networks.yaml"

# What is known about each network beyond its prefixes. ASNs are listed only where the operator (or its routing
# commitments) names them: AS16509 is all of Amazon, not CloudFront, so CloudFront has none.
NETWORKS: dict[str, dict[str, Any]] = {
    "cloudflare": {
        "name": "Cloudflare",
        "kind": "anycast",
        "asns": [13335, 209242],
        "asn_sources": ["https://developers.cloudflare.com/byoip/concepts/loa/"],
        "prefix_sources": ["https://www.cloudflare.com/ips-v4", "https://www.cloudflare.com/ips-v6"],
        "terms": "published by Cloudflare for allow-listing its proxies; no licence stated (facts, copied as is)",
        "note": "Cloudflare calls these ranges the backbone of its anycast network "
                "(https://developers.cloudflare.com/fundamentals/get-started/setup/allow-cloudflare-ip-addresses). "
                "AS209242 is the ASN older BYOIP customers' prefixes are announced under (same LOA page).",
    },
    "fastly": {
        "name": "Fastly",
        "kind": "anycast",
        "asns": [54113],
        "asn_sources": ["https://fastly.com/fr/peering"],
        "prefix_sources": ["https://api.fastly.com/public-ip-list"],
        "terms": "published by Fastly for firewall rules (\"exhaustive and includes all Fastly-owned IP ranges\"); "
                 "no licence stated (facts, copied as is)",
    },
    "cloudfront": {
        "name": "Amazon CloudFront",
        "kind": "edge",
        "prefix_sources": ["https://ip-ranges.amazonaws.com/ip-ranges.json"],
        "terms": "AWS publishes ip-ranges.json for anyone to use; no licence stated (facts, copied as is)",
        "note": "service CLOUDFRONT only (edge and regional edge caches); CLOUDFRONT_ORIGIN_FACING, the addresses "
                "CloudFront uses towards origins, is left out. No ASN: AS16509 announces all of Amazon.",
    },
    "akamai": {
        "name": "Akamai",
        "kind": "edge",
        "asns": [20940],
        "asn_sources": ["https://manrs.org/participant/146/"],
        "prefix_sources": ["https://techdocs.akamai.com/origin-ip-acl/docs/update-your-origin-server"],
        "terms": "published by Akamai for origin firewalls (Origin IP ACL); no licence stated (facts, copied as is)",
        "note": "the Origin IP ACL list: the blocks Akamai edge servers use. Akamai also serves from servers inside "
                "ISPs and from other blocks that are not listed; those are only caught through the ASN "
                "(--asn-db). Other Akamai ASNs seen in public code (16625 ...) were not found on a primary "
                "source and are left out.",
    },
}


def _cidrs(lines: list[str], where: str) -> list[str]:
    out = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            out.append(str(ipaddress.ip_network(text, strict=True)))
        except ValueError as exc:
            raise SystemExit(f"{where}: {text!r} is not a CIDR ({exc})") from None
    return out


def _text_list(path: Path) -> list[str]:
    return _cidrs(path.read_text(encoding="utf-8").splitlines(), str(path))


def _fastly(path: Path) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return _cidrs(list(data["addresses"]) + list(data["ipv6_addresses"]), str(path))


def _cloudfront(path: Path) -> tuple[list[str], str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    v4 = [p["ip_prefix"] for p in data["prefixes"] if p["service"] == "CLOUDFRONT"]
    v6 = [p["ipv6_prefix"] for p in data["ipv6_prefixes"] if p["service"] == "CLOUDFRONT"]
    return _cidrs(v4 + v6, str(path)), f"createDate {data['createDate']}, syncToken {data['syncToken']}"


def _sorted(prefixes: list[str]) -> list[str]:
    networks = sorted({ipaddress.ip_network(p) for p in prefixes},
                      key=lambda n: (n.version, int(n.network_address), n.prefixlen))
    return [str(n) for n in networks]


def build(args: argparse.Namespace) -> str:
    retrieved: dict[str, tuple[str, str]] = {}
    for option in args.retrieved:
        key, _, rest = option.partition("=")
        when, _, where = rest.partition("=")
        date.fromisoformat(when)
        retrieved[key] = (when, where)
    prefixes = {
        "cloudflare": _text_list(args.cloudflare_v4) + _text_list(args.cloudflare_v6),
        "fastly": _fastly(args.fastly),
        "akamai": _text_list(args.akamai),
    }
    prefixes["cloudfront"], aws_version = _cloudfront(args.aws)
    networks: dict[str, Any] = {}
    for key, meta in NETWORKS.items():
        if key not in retrieved:
            raise SystemExit(f"--retrieved {key}=YYYY-MM-DD is required")
        when, where = retrieved[key]
        entry = {**meta, "retrieved": when,
                 "retrieved_from": where or ", ".join(meta["prefix_sources"]),
                 "prefixes": _sorted(prefixes[key])}
        if key == "cloudfront":
            entry["retrieved_from"] += f" ({aws_version})"
        networks[key] = entry
    newest = max(when for when, _ in retrieved.values())
    header = {
        "id": DATASET_ID,
        "name": "CDN and anycast networks (published edge ranges and AS numbers)",
        "version": newest,
        "date": newest,
        "licence": "facts published by each network for firewall allow-listing; no licence stated by any of them "
                   "(see each network's terms)",
        "sources": list(dict.fromkeys(url for meta in NETWORKS.values() for url in meta["prefix_sources"])),
    }
    body = yaml.safe_dump({"dataset": header, "networks": networks}, sort_keys=False, width=110,
                          allow_unicode=True)
    counts = ", ".join(f"{key} {len(entry['prefixes'])}" for key, entry in networks.items())
    banner = (
        "# Known CDN and anycast networks: published prefixes and AS numbers, with where and when each was copied.\n"
        "# Generated by scripts/build_cdn_networks.py; do not edit by hand (see data/SOURCES.md).\n"
        "# Read by residency_scan/resolvers/cdn_ranges.py: an address inside one of these networks gets no\n"
        "# country from GeoIP or the registries, only from the edge that served it.\n"
        f"# Prefixes: {counts}.\n"
    )
    return banner + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloudflare-v4", type=Path, required=True)
    parser.add_argument("--cloudflare-v6", type=Path, required=True)
    parser.add_argument("--fastly", type=Path, required=True)
    parser.add_argument("--aws", type=Path, required=True)
    parser.add_argument("--akamai", type=Path, required=True)
    parser.add_argument("--retrieved", action="append", default=[], metavar="NETWORK=DATE[=WHERE]")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    args.out.write_text(build(args), encoding="utf-8")
    ranges = load_cdn_ranges(args.out)  # the scanner's own loader must accept it
    total = sum(len(n.prefixes) for n in ranges.networks.values())
    sys.stderr.write(f"wrote {args.out}: {len(ranges.networks)} networks, {total} prefixes\n")


if __name__ == "__main__":
    main()
