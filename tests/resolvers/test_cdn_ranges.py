"""The shipped CDN/anycast table and what it does to GeoIP: an address a CDN's edges answer for gets no country
from a database (the answer is kept in `raw`), so it stays unknown unless the serving edge is shown."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from residency_scan.errors import DatasetError
from residency_scan.locate import locate
from residency_scan.models import Claim, Evidence, LocationStatus, Strength
from residency_scan.resolvers.cdn_ranges import CdnRanges, load_cdn_ranges, withhold
from residency_scan.resolvers.geoip import GeoIpResolver
from tests.mmdb_factory import country_record, write_asn_mmdb, write_embedded_db, write_mmdb

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent.parent

CLOUDFLARE_V4 = "104.16.132.229"
CLOUDFLARE_V6 = "2606:4700::6810:84e5"
FASTLY_V4 = "151.101.1.69"
AKAMAI_V4 = "23.45.67.89"  # inside 23.32.0.0/11
PLAIN_MA = "41.248.10.10"
AKAMAI_BY_ASN = "88.221.1.1"  # not in the published Akamai list: only the ASN database can tell

REGISTRY = {
    "104.16.0.0/13": "US", "2606:4700::/32": "US", "151.101.0.0/16": "US", "23.32.0.0/11": "US",
    "41.248.0.0/14": "MA", "88.221.0.0/16": "NL", "8.8.8.0/24": "US",
}


@pytest.fixture(scope="module")
def shipped() -> CdnRanges:
    return load_cdn_ranges()


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return write_embedded_db(tmp_path, REGISTRY)


@pytest.fixture
def resolver(registry: Path, shipped: CdnRanges) -> Iterator[GeoIpResolver]:
    with GeoIpResolver(embedded_db=registry, clock=lambda: T0, cdn=shipped) as resolver:
        yield resolver


# --------------------------------------------------------------------------------------------- the table


def test_shipped_table_names_each_network_with_sources_and_dates(shipped: CdnRanges) -> None:
    assert set(shipped.networks) == {"cloudflare", "fastly", "cloudfront", "akamai"}
    for network in shipped.networks.values():
        assert network.prefix_sources and all(url.startswith("https://") for url in network.prefix_sources)
        assert network.retrieved >= date(2025, 1, 1) and network.terms and network.retrieved_from
    assert shipped.networks["cloudflare"].asns == [13335, 209242]
    assert shipped.networks["fastly"].asns == [54113]
    assert shipped.networks["cloudfront"].asns == []  # AS16509 is all of Amazon, never listed as a CDN
    source = shipped.data_source()
    assert source.id == "cdn-networks" and source.date == date(2026, 8, 22) and len(source.sha256 or "") == 64


@pytest.mark.parametrize(("address", "network", "prefix"), [
    (CLOUDFLARE_V4, "cloudflare", "104.16.0.0/13"),
    (CLOUDFLARE_V6, "cloudflare", "2606:4700::/32"),
    (FASTLY_V4, "fastly", "151.101.0.0/16"),
    (AKAMAI_V4, "akamai", "23.32.0.0/11"),
    ("13.32.0.1", "cloudfront", "13.32.0.0/15"),
])
def test_published_prefixes_match(shipped: CdnRanges, address: str, network: str, prefix: str) -> None:
    match = shipped.match_address(ipaddress.ip_address(address))
    assert match is not None and match.key == network and match.via == "prefix" and match.detail == prefix


@pytest.mark.parametrize("address", [PLAIN_MA, "8.8.8.8", "2a01:cb00::1", "104.15.255.255", "104.32.0.0"])
def test_other_addresses_do_not_match(shipped: CdnRanges, address: str) -> None:
    assert shipped.match_address(ipaddress.ip_address(address)) is None


def test_asn_and_network_matches(shipped: CdnRanges) -> None:
    asn = shipped.match_asn(13335)
    assert asn is not None and asn.key == "cloudflare" and asn.detail == "AS13335"
    assert shipped.match_asn(16509) is None and shipped.match_asn(36903) is None
    partly = shipped.match_network(ipaddress.ip_network("104.16.0.0/12"))  # holds 104.16.0.0/13
    assert partly is not None and partly.key == "cloudflare"
    assert shipped.match_network(ipaddress.ip_network("41.248.0.0/14")) is None


def _table(tmp_path: Path, **changes: object) -> Path:
    data: dict[str, Any] = {
        "dataset": {"id": "cdn-networks", "name": "t", "version": "1", "date": "2026-01-01", "licence": "x",
                    "sources": ["https://example.org/list"]},
        "networks": {
            "a": {"name": "A", "kind": "anycast", "asns": [64500], "asn_sources": ["https://example.org/asn"],
                  "prefix_sources": ["https://example.org/a"], "retrieved": "2026-01-01", "retrieved_from": "x",
                  "terms": "x", "prefixes": ["1.0.0.0/24"]},
            "b": {"name": "B", "kind": "edge", "prefix_sources": ["https://example.org/b"], "retrieved": "2026-01-01",
                  "retrieved_from": "x", "terms": "x", "prefixes": ["2.0.0.0/24"]},
        },
    }
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = data
        for part in parents:
            node = node[part]
        node[leaf] = value
    path = tmp_path / "cdn.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_a_valid_small_table_loads(tmp_path: Path) -> None:
    table = load_cdn_ranges(_table(tmp_path))
    assert table.match_address(ipaddress.ip_address("1.0.0.9")) is not None
    assert table.match_asn(64500) is not None


@pytest.mark.parametrize(("changes", "expected"), [
    ({"networks__b__prefixes": ["1.0.0.128/25"]}, "overlap"),
    ({"networks__b__prefixes": ["10.0.0.0/8"]}, "reserved"),
    ({"networks__b__prefixes": ["2.0.0.1/24"]}, "CIDR"),
    ({"networks__b__prefixes": []}, "at least one"),
    ({"networks__b__asns": [64501]}, "asn_sources"),
    ({"networks__b__asns": [64500], "networks__b__asn_sources": ["https://example.org/x"]}, "both"),
    ({"networks__a__asns": [0]}, "public AS"),
    ({"networks__a__kind": "magic"}, "kind"),
    ({"networks__a__prefix_sources": ["ftp://example.org/a"]}, "https"),
    ({"dataset__id": "other"}, "expected 'cdn-networks'"),
])
def test_a_broken_table_is_a_dataset_error(tmp_path: Path, changes: dict[str, object], expected: str) -> None:
    with pytest.raises(DatasetError, match=expected):
        load_cdn_ranges(_table(tmp_path, **changes))


def test_build_script_is_deterministic_and_reads_each_format(tmp_path: Path) -> None:
    (tmp_path / "v4").write_text("# comment\n104.16.0.0/13\n\n", encoding="utf-8")
    (tmp_path / "v6").write_text("2606:4700::/32\n", encoding="utf-8")
    (tmp_path / "fastly.json").write_text('{"addresses": ["151.101.0.0/16"], "ipv6_addresses": []}')
    (tmp_path / "aws.json").write_text(
        '{"syncToken": "1", "createDate": "2026-01-02-00-00-00", "prefixes": ['
        '{"ip_prefix": "13.32.0.0/15", "service": "CLOUDFRONT"}, {"ip_prefix": "3.0.0.0/15", "service": "AMAZON"},'
        '{"ip_prefix": "13.34.0.0/24", "service": "CLOUDFRONT_ORIGIN_FACING"}], "ipv6_prefixes": []}')
    (tmp_path / "akamai.txt").write_text("23.32.0.0/11\n", encoding="utf-8")
    outputs = []
    for name in ("one.yaml", "two.yaml"):
        args = [sys.executable, str(ROOT / "scripts" / "build_cdn_networks.py"), "--out", str(tmp_path / name),
                "--cloudflare-v4", str(tmp_path / "v4"), "--cloudflare-v6", str(tmp_path / "v6"),
                "--fastly", str(tmp_path / "fastly.json"), "--aws", str(tmp_path / "aws.json"),
                "--akamai", str(tmp_path / "akamai.txt")]
        args += [f"--retrieved={key}=2026-01-0{i + 1}" for i, key in enumerate(
            ("cloudflare", "fastly", "cloudfront", "akamai"))]
        subprocess.run(args, check=True, capture_output=True, timeout=60)
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    table = load_cdn_ranges(tmp_path / "one.yaml")
    assert table.networks["cloudfront"].prefixes == ["13.32.0.0/15"]  # AMAZON and ORIGIN_FACING left out
    assert table.data_source().date == date(2026, 1, 4)


# --------------------------------------------------------------------------------------------- GeoIP


def test_cdn_address_gets_no_country_from_geoip(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_address(CLOUDFLARE_V4)
    assert ev.claim is None and ev.strength is Strength.REGISTERED
    assert ev.failure == (f"{CLOUDFLARE_V4} is in Cloudflare's published anycast ranges (104.16.0.0/13): "
                          "GeoIP cannot tell which edge serves it")
    assert ev.raw["withheld_claim"] == {"country": "US"} and ev.raw["cdn"]["network"] == "cloudflare"
    location = locate([ev])
    assert location.status is LocationStatus.UNKNOWN and location.countries == ()


def test_cdn_ipv6_and_edge_networks_too(resolver: GeoIpResolver) -> None:
    [v6] = resolver.locate_address(CLOUDFLARE_V6)
    [akamai] = resolver.locate_address(AKAMAI_V4)
    assert v6.failure is not None and "Cloudflare" in v6.failure
    assert akamai.failure is not None and "Akamai's published edge ranges (23.32.0.0/11)" in akamai.failure


def test_ordinary_address_is_still_located(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_address(PLAIN_MA)
    assert ev.claim == Claim(country="MA") and ev.failure is None and "cdn" not in (ev.raw or {})


def test_a_declaration_cannot_place_a_cdn_address(resolver: GeoIpResolver) -> None:
    declared = Evidence(source="declared", strength=Strength.DECLARED, subject="a", claim=Claim(country="MA"),
                        observed_at=T0)
    location = locate([*resolver.locate_address(FASTLY_V4), declared])
    assert location.status is LocationStatus.UNKNOWN


def test_a_cdn_asn_from_the_users_database_withholds_every_country(registry: Path, shipped: CdnRanges,
                                                                    tmp_path: Path) -> None:
    asn = write_asn_mmdb(tmp_path / "asn.mmdb", {"88.221.0.0/16": (20940, "Akamai International B.V.")})
    city = write_mmdb(tmp_path / "city.mmdb", {"88.221.0.0/16": country_record("NL")}, database_type="GeoIP2-City")
    with GeoIpResolver(embedded_db=registry, clock=lambda: T0, cdn=shipped, asn_db=asn, geoip_db=city) as resolver:
        evidence = resolver.locate_address(AKAMAI_BY_ASN)
        assert resolver.cdn_match(AKAMAI_BY_ASN) is not None
    registered, measured, announced = evidence
    assert registered.claim is None and measured.claim is None
    assert measured.failure == (f"{AKAMAI_BY_ASN} is announced by AS20940, an AS of Akamai (edge network): "
                                "GeoIP cannot tell which edge serves it")
    assert announced.claim is not None and announced.claim.asn == 20940  # an AS number places nothing: kept
    assert locate(evidence).status is LocationStatus.UNKNOWN


def test_a_network_inside_a_cdn_asn_is_a_cdn_network_for_every_source(registry: Path, shipped: CdnRanges,
                                                                      tmp_path: Path) -> None:
    """RDAP and WHOIS ask `cdn_match` before keeping a country: for a network it must say what
    `locate_network` says, or a registry country plus a declaration would confirm an edge network."""
    asn = write_asn_mmdb(tmp_path / "asn.mmdb", {"88.221.0.0/16": (20940, "Akamai International B.V.")})
    with GeoIpResolver(embedded_db=registry, clock=lambda: T0, cdn=shipped, asn_db=asn) as resolver:
        located = resolver.locate_network("88.221.1.0/24")
        match = resolver.cdn_match("88.221.1.0/24")
    assert all(ev.claim is None or ev.claim.country is None for ev in located)
    assert match is not None and (match.name, match.detail) == ("Akamai", "AS20940")


def test_the_users_anycast_flag_withholds_without_the_table(registry: Path, tmp_path: Path) -> None:
    record = {**country_record("US"), "traits": {"is_anycast": True}}
    city = write_mmdb(tmp_path / "city.mmdb", {"8.8.8.0/24": record}, database_type="GeoIP2-City")
    with GeoIpResolver(embedded_db=registry, clock=lambda: T0, geoip_db=city) as resolver:
        evidence = resolver.locate_address("8.8.8.8")
    assert all(ev.claim is None for ev in evidence)
    assert evidence[1].failure == "8.8.8.8 is marked anycast in user-geoip: GeoIP cannot tell which edge serves it"


def test_a_range_overlapping_a_cdn_is_withheld(resolver: GeoIpResolver) -> None:
    evidence = resolver.locate_network("104.16.0.0/12")
    assert evidence and all(ev.claim is None and ev.failure for ev in evidence)
    assert resolver.cdn_match("104.16.0.0/12") is not None and resolver.cdn_match("41.248.0.0/14") is None


def test_cdn_match_ignores_reserved_and_garbage(resolver: GeoIpResolver) -> None:
    assert resolver.cdn_match("10.0.0.1") is None and resolver.cdn_match("not an address") is None
    assert resolver.cdn_match("::ffff:104.16.1.1") is not None  # IPv4-mapped: the IPv4 address is located


def test_the_table_is_a_data_source_only_when_used(registry: Path, shipped: CdnRanges) -> None:
    with GeoIpResolver(embedded_db=registry, clock=lambda: T0, cdn=shipped) as resolver:
        assert "cdn-networks" in {ds.id for ds in resolver.data_sources()}
    with GeoIpResolver(embedded_db=registry, clock=lambda: T0) as resolver:
        assert "cdn-networks" not in {ds.id for ds in resolver.data_sources()}
        [ev] = resolver.locate_address(CLOUDFLARE_V4)
        assert ev.claim == Claim(country="US")  # without the table GeoIP answers (the lead's scan passes it)


def test_withhold_keeps_failures_and_notes_the_match(shipped: CdnRanges) -> None:
    match = shipped.match_asn(13335)
    assert match is not None
    failed = Evidence(source="rdap", strength=Strength.REGISTERED, subject="x", failure="RDAP: no record",
                      observed_at=T0, raw={"url": "u"})
    kept = withhold(failed, match)
    assert kept.failure == "RDAP: no record" and kept.raw == {"url": "u", "cdn": match.raw()}


def test_the_table_can_be_given_as_a_path(registry: Path, tmp_path: Path) -> None:
    path = _table(tmp_path, networks__a__prefixes=["104.16.0.0/13"])
    with GeoIpResolver(embedded_db=registry, clock=lambda: T0, cdn=path) as resolver:
        [ev] = resolver.locate_address(CLOUDFLARE_V4)
    assert ev.claim is None and ev.failure is not None and "A's published anycast ranges" in ev.failure
