"""GeoIpResolver against real .mmdb files written in tmp_path, and against the shipped database."""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path

import geoip2.database
import maxminddb
import pytest

from residency_scan.errors import DatasetError
from residency_scan.models import (
    Asset,
    AssetKind,
    Evidence,
    Sensitivity,
    SourceRef,
    Strength,
    Target,
    TargetKind,
)
from residency_scan.resolvers import geoip, reserved
from residency_scan.resolvers.geoip import EMBEDDED_DB, GeoIpResolver
from tests.mmdb_factory import (
    write_asn_mmdb,
    write_city_mmdb,
    write_country_mmdb,
    write_embedded_db,
    write_mmdb,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

REGISTRY = {
    "41.248.0.0/14": "MA",
    "41.252.0.0/15": "FR",  # adjacent to the MA block: a range can straddle both
    "81.192.0.0/16": "MA",
    "8.8.8.0/24": "US",
    "2c0f:fa00::/32": "MA",
    "2a01:cb00::/32": "FR",
}

# Real blocks registered in Morocco per the RIRs (AFRINIC), found in the shipped database.
SHIPPED_MA = ("41.248.10.10", "81.192.1.1", "196.200.131.1", "105.128.0.1")


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    return write_embedded_db(tmp_path, REGISTRY)


@pytest.fixture
def resolver(registry: Path) -> Iterator[GeoIpResolver]:
    with GeoIpResolver(embedded_db=registry, clock=lambda: T0) as resolver:
        yield resolver


def open_resolver(registry: Path, **user_dbs: Path) -> GeoIpResolver:
    return GeoIpResolver(embedded_db=registry, clock=lambda: T0, **user_dbs)


def asset(host: str, kind: TargetKind) -> Asset:
    return Asset(
        id="a",
        kind=AssetKind.SERVER,
        sensitivity=Sensitivity.SENSITIVE,
        target=Target(raw=host, kind=kind, host=host),
        source=SourceRef(path="inventory.yaml", line=3),
    )


def by_dataset(evidence: list[Evidence]) -> Mapping[str | None, list[Evidence]]:
    grouped: dict[str | None, list[Evidence]] = {}
    for ev in evidence:
        grouped.setdefault(ev.dataset, []).append(ev)
    return grouped


# --------------------------------------------------------------------------------------------- addresses


def test_ipv4_address_in_registry_is_registered_in_that_country(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_address("41.248.10.10")
    assert ev.claim is not None and ev.claim.country == "MA"
    assert ev.failure is None
    assert ev.strength is Strength.REGISTERED
    assert (ev.source, ev.subject, ev.dataset) == ("geoip", "41.248.10.10", "test-rir")
    assert ev.observed_at == T0
    assert ev.raw == {"network": "41.248.0.0/14"}


def test_ipv6_address_in_registry(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_address("2a01:cb00:1234::1")
    assert ev.claim is not None and ev.claim.country == "FR"
    assert ev.raw == {"network": "2a01:cb00::/32"}


def test_ipv4_mapped_ipv6_address_is_located_as_its_ipv4(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_address("::ffff:81.192.3.4")
    assert ev.subject == "::ffff:81.192.3.4"
    assert ev.claim is not None and ev.claim.country == "MA"


def test_address_with_no_entry_is_a_failure_naming_the_dataset(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_address("9.9.9.9")
    assert ev.claim is None
    assert ev.failure == "no entry for 9.9.9.9 in test-rir"


def test_text_that_is_not_an_address_is_a_failure_not_an_exception(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_address("41.248.0.1; DROP TABLE")
    assert ev.claim is None
    assert ev.failure is not None and "not an IP address" in ev.failure


@pytest.mark.parametrize(
    ("address", "reserved"),
    [
        ("10.1.2.3", "10.0.0.0/8"),
        ("172.20.0.1", "172.16.0.0/12"),
        ("192.168.1.10", "192.168.0.0/16"),
        ("100.64.12.1", "100.64.0.0/10"),
        ("127.0.0.1", "127.0.0.0/8"),
        ("169.254.1.1", "169.254.0.0/16"),
        ("192.0.2.7", "192.0.2.0/24"),
        ("224.0.0.251", "224.0.0.0/4"),
        ("::1", "::1/128"),
        ("fd12:3456::1", "fc00::/7"),
        ("fe80::1", "fe80::/10"),
        ("2001:db8::1", "2001:db8::/32"),
        ("::ffff:10.0.0.1", "10.0.0.0/8"),
    ],
)
def test_reserved_address_is_one_internal_evidence(tmp_path: Path, address: str, reserved: str) -> None:
    # The user database even has an entry for private space: it must not be consulted.
    user = write_country_mmdb(tmp_path / "user.mmdb", {"10.0.0.0/8": "FR", "fc00::/7": "FR"})
    with open_resolver(write_embedded_db(tmp_path, REGISTRY), geoip_db=user) as resolver:
        [ev] = resolver.locate_address(address)
    assert ev.claim is not None
    assert ev.claim.internal
    assert ev.claim.country is None
    assert ev.failure is None
    assert ev.strength is Strength.REGISTERED
    assert ev.raw["reserved"] == reserved
    assert "RFC" in ev.raw["range"]


def test_every_reserved_range_is_one_python_does_not_call_global() -> None:
    newer_than_this_python = {"3fff::/20", "192.0.0.8/32"}  # only later ipaddress releases list them
    for cidr, _label in reserved.RESERVED_V4 + reserved.RESERVED_V6:
        network = ipaddress.ip_network(cidr)
        if cidr in newer_than_this_python:
            continue
        for address in (network.network_address, network.broadcast_address):
            assert not address.is_global or address.is_multicast or address.is_reserved, cidr


def test_globally_reachable_special_addresses_are_left_to_the_databases(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_address("192.0.0.9")  # PCP anycast: special-purpose but global
    assert ev.failure == "no entry for 192.0.0.9 in test-rir"


def test_address_outside_global_unicast_is_internal(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_address("::2")
    assert ev.claim is not None and ev.claim.internal


def test_tunnel_address_names_the_ipv4_to_locate_instead(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_address("2002:5138:0101::1")  # 6to4 for 81.56.1.1
    assert ev.claim is None
    assert ev.failure is not None and "6to4" in ev.failure and "81.56.1.1" in ev.failure


# --------------------------------------------------------------------------------------------- user databases


def test_user_city_db_adds_measured_evidence_with_city(registry: Path, tmp_path: Path) -> None:
    city = write_city_mmdb(tmp_path / "city.mmdb", {"41.248.0.0/16": ("FR", "Paris")})
    with open_resolver(registry, geoip_db=city) as resolver:
        grouped = by_dataset(resolver.locate_address("41.248.10.10"))
    [registered] = grouped["test-rir"]
    [measured] = grouped["user-geoip"]
    assert registered.claim is not None and registered.claim.country == "MA"
    assert registered.strength is Strength.REGISTERED
    assert measured.strength is Strength.MEASURED
    assert measured.claim is not None
    assert (measured.claim.country, measured.claim.city) == ("FR", "Paris")
    assert measured.raw == {
        "network": "41.248.0.0/16",
        "country": "FR",
        "city": "Paris",
        "registered_country": "FR",
    }


def test_user_country_db_gives_country_without_city(registry: Path, tmp_path: Path) -> None:
    country = write_country_mmdb(tmp_path / "country.mmdb", {"8.8.8.0/24": "US"})
    with open_resolver(registry, geoip_db=country) as resolver:
        [measured] = by_dataset(resolver.locate_address("8.8.8.8"))["user-geoip"]
    assert measured.claim is not None
    assert (measured.claim.country, measured.claim.city) == ("US", None)


def test_user_db_without_entry_is_a_failure_beside_the_registry_claim(registry: Path, tmp_path: Path) -> None:
    country = write_country_mmdb(tmp_path / "country.mmdb", {"8.8.8.0/24": "US"})
    with open_resolver(registry, geoip_db=country) as resolver:
        grouped = by_dataset(resolver.locate_address("81.192.1.1"))
    assert grouped["test-rir"][0].claim is not None
    assert grouped["user-geoip"][0].failure == "no entry for 81.192.1.1 in user-geoip"


def test_user_record_with_only_a_continent_names_no_location(registry: Path, tmp_path: Path) -> None:
    path = write_mmdb(
        tmp_path / "c.mmdb",
        {"81.192.0.0/16": {"continent": {"code": "AF"}, "registered_country": {"iso_code": "MA"}}},
        database_type="GeoLite2-Country",
    )
    with open_resolver(registry, geoip_db=path) as resolver:
        [ev] = by_dataset(resolver.locate_address("81.192.1.1"))["user-geoip"]
    assert ev.claim is None
    assert ev.failure is not None and "names no location" in ev.failure
    assert ev.raw["registered_country"] == "MA"


def test_hostile_record_shapes_are_no_location_not_crashes(registry: Path, tmp_path: Path) -> None:
    path = write_mmdb(
        tmp_path / "c.mmdb",
        {
            "81.192.0.0/24": {"country": {"iso_code": 42}},
            "81.192.1.0/24": {"country": "MA"},
            "81.192.2.0/24": ["MA"],
            "81.192.3.0/24": {"country": {"iso_code": "MAR"}},
        },
        database_type="GeoIP2-Country",
    )
    with open_resolver(registry, geoip_db=path) as resolver:
        for third in range(4):
            [ev] = by_dataset(resolver.locate_address(f"81.192.{third}.1"))["user-geoip"]
            assert ev.claim is None and ev.failure is not None


def test_ipv6_lookup_in_ipv4_only_user_db_is_a_failure(registry: Path, tmp_path: Path) -> None:
    v4 = write_country_mmdb(tmp_path / "v4.mmdb", {"8.8.8.0/24": "US"}, ip_version=4)
    with open_resolver(registry, geoip_db=v4) as resolver:
        [ev] = by_dataset(resolver.locate_address("2a01:cb00::1"))["user-geoip"]
    assert ev.failure == "user-geoip has no IPv6 data"


def test_asn_db_gives_asn_and_no_country(registry: Path, tmp_path: Path) -> None:
    asn = write_asn_mmdb(tmp_path / "asn.mmdb", {"41.248.0.0/14": (36903, "MT-MPLS")})
    with open_resolver(registry, asn_db=asn) as resolver:
        [ev] = by_dataset(resolver.locate_address("41.248.10.10"))["user-asn"]
    assert ev.strength is Strength.MEASURED
    assert ev.claim is not None
    assert (ev.claim.asn, ev.claim.asn_org, ev.claim.country) == (36903, "MT-MPLS", None)
    assert ev.raw == {"network": "41.248.0.0/14", "asn": 36903, "asn_org": "MT-MPLS"}


def test_all_three_databases_answer_in_order(registry: Path, tmp_path: Path) -> None:
    city = write_city_mmdb(tmp_path / "city.mmdb", {"41.248.0.0/14": ("MA", "Casablanca")})
    asn = write_asn_mmdb(tmp_path / "asn.mmdb", {"41.248.0.0/14": (36903, "MT-MPLS")})
    with open_resolver(registry, geoip_db=city, asn_db=asn) as resolver:
        evidence = resolver.locate_address("41.248.10.10")
    assert [ev.dataset for ev in evidence] == ["test-rir", "user-geoip", "user-asn"]


def test_data_sources_describe_every_database(registry: Path, tmp_path: Path) -> None:
    city = write_city_mmdb(tmp_path / "city.mmdb", {"41.248.0.0/14": ("MA", "Rabat")})
    asn = write_asn_mmdb(tmp_path / "asn.mmdb", {"41.248.0.0/14": (36903, "MT-MPLS")})
    with open_resolver(registry, geoip_db=city, asn_db=asn) as resolver:
        sources = {s.id: s for s in resolver.data_sources()}
    assert set(sources) == {"test-rir", "user-geoip", "user-asn"}
    assert sources["test-rir"].version == "0.0.1"
    assert sources["user-geoip"].name == "GeoLite2-City"
    assert sources["user-geoip"].date == date(2024, 6, 1)
    assert sources["user-geoip"].licence == "user-supplied (see vendor terms)"
    assert sources["user-geoip"].sha256 == hashlib.sha256(city.read_bytes()).hexdigest()
    assert sources["user-asn"].name == "GeoLite2-ASN"


# --------------------------------------------------------------------------------------------- ranges


def test_cidr_inside_one_country_is_one_evidence(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_network("41.249.0.0/16")
    assert ev.subject == "41.249.0.0/16"
    assert ev.claim is not None and ev.claim.country == "MA"
    assert ev.raw == {"networks": ["41.249.0.0/16"], "networks_total": 1}


def test_cidr_straddling_two_countries_gives_one_evidence_per_country(resolver: GeoIpResolver) -> None:
    evidence = resolver.locate_network("41.248.0.0/13")  # 41.248/14 MA + 41.252/15 FR + 41.254/15 nothing
    claims = {ev.claim.country: ev for ev in evidence if ev.claim is not None}
    assert set(claims) == {"MA", "FR"}
    assert claims["MA"].raw["networks"] == ["41.248.0.0/14"]
    assert claims["FR"].raw["networks"] == ["41.252.0.0/15"]
    [failure] = [ev for ev in evidence if ev.failure is not None]
    assert failure.raw == {"uncovered": ["41.254.0.0/15"], "uncovered_total": 1}


def test_cidr_partly_uncovered_is_a_failure_naming_the_part(resolver: GeoIpResolver) -> None:
    evidence = resolver.locate_network("8.8.8.0/23")
    [located] = [ev for ev in evidence if ev.claim is not None]
    [failure] = [ev for ev in evidence if ev.failure is not None]
    assert located.claim is not None and located.claim.country == "US"
    assert failure.failure is not None and "8.8.9.0/24" in failure.failure
    assert failure.raw["uncovered"] == ["8.8.9.0/24"]


def test_ipv6_cidr_walk(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_network("2c0f:fa00:10::/48")
    assert ev.claim is not None and ev.claim.country == "MA"
    assert ev.raw["networks"] == ["2c0f:fa00:10::/48"]


def test_reserved_cidr_is_internal(resolver: GeoIpResolver) -> None:
    [ev] = resolver.locate_network("192.168.0.0/24")
    assert ev.claim is not None and ev.claim.internal


def test_fragmented_range_stops_at_the_bound_with_a_failure(
    registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(geoip, "MAX_WALK_STEPS", 3)
    user = write_country_mmdb(tmp_path / "u.mmdb", {f"81.192.{i}.0/24": "MA" if i % 2 else "FR" for i in range(8)})
    with open_resolver(registry, geoip_db=user) as resolver:
        evidence = by_dataset(resolver.locate_network("81.192.0.0/21"))["user-geoip"]
    failures = [ev.failure for ev in evidence if ev.failure]
    assert any(f.startswith("range too fragmented") for f in failures)
    assert {ev.claim.country for ev in evidence if ev.claim} == {"FR", "MA"}


def test_user_db_ranges_are_walked_too(registry: Path, tmp_path: Path) -> None:
    user = write_country_mmdb(tmp_path / "u.mmdb", {"81.192.0.0/17": "MA", "81.192.128.0/17": "ES"})
    with open_resolver(registry, geoip_db=user) as resolver:
        grouped = by_dataset(resolver.locate_network("81.192.0.0/16"))
    assert {ev.claim.country for ev in grouped["test-rir"] if ev.claim} == {"MA"}
    assert {ev.claim.country for ev in grouped["user-geoip"] if ev.claim} == {"MA", "ES"}


def test_listed_networks_are_capped_with_a_total(registry: Path, tmp_path: Path) -> None:
    user = write_country_mmdb(tmp_path / "u.mmdb", {f"81.192.{i}.0/24": "MA" if i % 2 else "FR" for i in range(256)})
    with open_resolver(registry, geoip_db=user) as resolver:
        grouped = by_dataset(resolver.locate_network("81.192.0.0/16"))
    [ma] = [ev for ev in grouped["user-geoip"] if ev.claim and ev.claim.country == "MA"]
    assert len(ma.raw["networks"]) == geoip.MAX_LISTED
    assert ma.raw["networks_total"] == 128


# --------------------------------------------------------------------------------------------- assets


@pytest.mark.parametrize(
    ("host", "kind", "applies"),
    [
        ("41.248.10.10", TargetKind.IP, True),
        ("41.248.0.0/14", TargetKind.CIDR, True),
        ("41.248.10.10", TargetKind.URL, True),
        ("2c0f:fa00::1", TargetKind.URL, True),
        ("portail.exemple.ma", TargetKind.URL, False),
        ("portail.exemple.ma", TargetKind.HOSTNAME, False),
    ],
)
def test_applies_to_addresses_ranges_and_ip_urls(
    resolver: GeoIpResolver, host: str, kind: TargetKind, applies: bool
) -> None:
    assert resolver.applies_to(asset(host, kind)) is applies


def test_asset_without_target_does_not_apply(resolver: GeoIpResolver) -> None:
    bare = Asset(id="b", kind=AssetKind.SAAS, sensitivity=Sensitivity.SENSITIVE, source=SourceRef(path="i"))
    assert not resolver.applies_to(bare)


def test_resolve_dispatches_on_target_kind(resolver: GeoIpResolver) -> None:
    [address] = resolver.resolve(asset("81.192.1.1", TargetKind.URL))
    assert address.subject == "81.192.1.1"
    assert address.claim is not None and address.claim.country == "MA"
    [network] = resolver.resolve(asset("81.192.0.0/17", TargetKind.CIDR))
    assert network.raw["networks"] == ["81.192.0.0/17"]


def test_resolve_all_matches_resolve(resolver: GeoIpResolver) -> None:
    assets = [asset("81.192.1.1", TargetKind.IP), asset("41.248.0.0/13", TargetKind.CIDR)]
    assets = [a.model_copy(update={"id": f"a{i}"}) for i, a in enumerate(assets)]
    assert resolver.resolve_all(assets) == {a.id: resolver.resolve(a) for a in assets}


# ------------------------------------------------------------------------------------------ broken datasets


@pytest.mark.parametrize("content", [b"", b"not a maxmind database at all" * 10, None])
def test_unreadable_user_db_is_a_dataset_error_naming_it(registry: Path, tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "broken.mmdb"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DatasetError, match=r"broken\.mmdb"):
        open_resolver(registry, geoip_db=path)


def test_truncated_user_db_is_a_dataset_error(registry: Path, tmp_path: Path) -> None:
    good = write_country_mmdb(tmp_path / "good.mmdb", REGISTRY)
    cut = tmp_path / "cut.mmdb"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DatasetError, match=r"cut\.mmdb"):
        open_resolver(registry, geoip_db=cut)


def test_asn_db_given_as_geoip_db_is_refused(registry: Path, tmp_path: Path) -> None:
    asn = write_asn_mmdb(tmp_path / "asn.mmdb", {"41.248.0.0/14": (36903, "MT-MPLS")})
    with pytest.raises(DatasetError, match="--asn-db"):
        open_resolver(registry, geoip_db=asn)


def test_embedded_db_not_matching_its_metadata_is_a_dataset_error(registry: Path) -> None:
    meta = json.loads(registry.with_suffix(".json").read_text())
    meta["sha256"] = "0" * 64
    registry.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(DatasetError, match="does not match"):
        open_resolver(registry)


def test_embedded_db_without_metadata_is_a_dataset_error(registry: Path) -> None:
    registry.with_suffix(".json").unlink()
    with pytest.raises(DatasetError, match="metadata"):
        open_resolver(registry)


# --------------------------------------------------------------------------------------------- shipped data


def test_shipped_database_matches_its_metadata_and_locates_moroccan_blocks() -> None:
    meta = json.loads(EMBEDDED_DB.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["id"] == "rir-country"
    assert meta["sha256"] == hashlib.sha256(EMBEDDED_DB.read_bytes()).hexdigest()
    assert EMBEDDED_DB.stat().st_size < 8_000_000
    with GeoIpResolver(clock=lambda: T0) as resolver:
        [source] = resolver.data_sources()
        assert source.id == "rir-country" and source.sha256 == meta["sha256"]
        for address in SHIPPED_MA:
            [ev] = resolver.locate_address(address)
            assert ev.claim is not None and ev.claim.country == "MA", address
            assert ev.dataset == "rir-country"
        [us] = resolver.locate_address("8.8.8.8")
        assert us.claim is not None and us.claim.country == "US"


def test_shipped_database_is_readable_by_geoip2_and_maxminddb() -> None:
    with geoip2.database.Reader(str(EMBEDDED_DB)) as reader:
        answer = reader.country("81.192.1.1")
        assert answer.country.iso_code == "MA"
        assert answer.registered_country.iso_code == "MA"
    with maxminddb.open_database(str(EMBEDDED_DB)) as raw:
        assert raw.metadata().database_type == "residency-scan-RIR-Country"
        assert raw.get("2001:43f8:650::1") == {
            "country": {"iso_code": "MA"},
            "registered_country": {"iso_code": "MA"},
        }


def test_walking_a_shipped_slash8_covers_every_address_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(geoip, "MAX_LISTED", 1_000_000)
    with GeoIpResolver(clock=lambda: T0) as resolver:
        evidence = resolver.locate_network("41.0.0.0/8")
    pieces = [n for ev in evidence if ev.claim for n in ev.raw["networks"]]
    pieces += [n for ev in evidence if ev.failure for n in ev.raw["uncovered"]]
    networks = sorted(ipaddress.IPv4Network(p) for p in pieces)
    assert sum(n.num_addresses for n in networks) == 1 << 24
    assert all(a.broadcast_address < b.network_address for a, b in itertools.pairwise(networks))
    countries = {ev.claim.country for ev in evidence if ev.claim}
    assert {"MA", "ZA", "EG"} <= countries
