"""RDAP on the addresses a hostname resolves to, the WHOIS fallback, and the registry record of a CDN address:
real HTTP (pytest-httpserver), DNS (dnslib) and WHOIS (TCP) servers on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from residency_scan.locate import locate
from residency_scan.models import Claim, Evidence, LocationStatus, Strength, TargetKind
from residency_scan.resolvers.address_locators import AddressLocators
from residency_scan.resolvers.cdn_ranges import load_cdn_ranges
from residency_scan.resolvers.dns import DnsResolver
from residency_scan.resolvers.geoip import GeoIpResolver
from residency_scan.resolvers.rdap import RdapResolver
from residency_scan.resolvers.whois import WhoisClient
from tests.dnsserver import Entry, serve_zone
from tests.mmdb_factory import write_embedded_db
from tests.resolvers.dnskit import TableLocator, asset
from tests.resolvers.test_rdap import RDAP_JSON, recorded
from tests.resolvers.whoiskit import ARIN_CLOUDFLARE, RIPE_MOROCCO, WhoisServer

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MA = "41.248.10.10"
MA_BIS = "41.248.20.20"
CLOUDFLARE = "104.16.1.1"
CLOUDFLARE_RECORD = {"objectClassName": "ip network", "handle": "NET-104-16-0-0-1", "name": "CLOUDFLARENET",
                     "startAddress": "104.16.0.0", "endAddress": "104.31.255.255", "country": "US"}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    yield httpserver
    httpserver.clear()


def rdap(server: HTTPServer, **options: Any) -> RdapResolver:
    base = server.url_for("/rdap")
    return RdapResolver(clock=lambda: T0, base_urls={"ip": base, "domain": base}, **options)


def serve_ma(server: HTTPServer, address: str = MA) -> None:
    server.expect_request(f"/rdap/ip/{address}").respond_with_json(recorded("ip-afrinic-ma.json"),
                                                                  content_type=RDAP_JSON)


# --------------------------------------------------------------------------------------------- addresses


def test_a_resolved_address_gets_its_registry_record(server: HTTPServer) -> None:
    serve_ma(server)
    [ev] = rdap(server).locate_address(MA)
    assert ev.subject == MA and ev.claim == Claim(country="MA") and ev.strength is Strength.REGISTERED
    assert ev.source == "rdap" and ev.raw["name"] == "IAM-ADSL-MA"


def test_reserved_addresses_and_offline_scans_send_nothing(server: HTTPServer) -> None:
    assert rdap(server).locate_address("10.1.2.3") == [] and rdap(server).locate_address("::1") == []
    assert rdap(server).locate_address("not an address") == []
    offline = rdap(server, offline=True)
    offline.prefetch([MA])
    assert offline.locate_address(MA) == [] and list(offline.data_sources()) == []
    assert server.log == []


def test_prefetch_asks_each_address_once_and_locate_reuses_it(server: HTTPServer) -> None:
    serve_ma(server)
    serve_ma(server, MA_BIS)
    resolver = rdap(server)
    resolver.prefetch([MA, MA_BIS, MA, "192.168.1.1"])
    assert len(server.log) == 2
    assert [ev.claim for ev in resolver.locate_address(MA_BIS)] == [Claim(country="MA")]
    assert len(server.log) == 2


def test_dns_step_sends_every_resolved_address_through_rdap(server: HTTPServer) -> None:
    serve_ma(server)
    zone = {"portail.exemple.ma": Entry(a=(MA,)), "intranet.exemple.ma": Entry(a=("10.0.0.5",))}
    table = TableLocator({MA: "MA"})
    registry = rdap(server)
    with serve_zone(zone) as dns_server:
        resolver = DnsResolver(AddressLocators(table, registry), nameservers=[dns_server.nameserver], timeout=1.0,
                               clock=lambda: T0, zone_nameservers=False)
        found = resolver.resolve_all([asset("portail.exemple.ma"), asset("intranet.exemple.ma", asset_id="a2")])
    located = [ev for ev in found["a1"] if ev.subject == MA]
    assert [(ev.source, ev.claim) for ev in located] == [("geoip", Claim(country="MA")), ("rdap", Claim(country="MA"))]
    assert [ev.source for ev in found["a2"] if ev.subject == "10.0.0.5"] == ["geoip"]  # never sent to a registry
    assert len(server.log) == 1
    location = locate(found["a1"])
    assert location.status is LocationStatus.CONFIRMED  # measured + registered agree (TableLocator is measured)


def test_offline_dns_step_keeps_rdap_silent(server: HTTPServer) -> None:
    registry = rdap(server, offline=True)
    resolver = DnsResolver(AddressLocators(TableLocator({}), registry), offline=True, clock=lambda: T0)
    found = resolver.resolve_all([asset("portail.exemple.ma")])
    assert [ev.source for ev in found["a1"]] == ["dns"] and server.log == []


# --------------------------------------------------------------------------------------------- CDN


def test_a_cdn_address_gets_no_country_from_its_registry_record(server: HTTPServer, tmp_path: Path) -> None:
    server.expect_request(f"/rdap/ip/{CLOUDFLARE}").respond_with_json(CLOUDFLARE_RECORD, content_type=RDAP_JSON)
    serve_ma(server)
    registry_db = write_embedded_db(tmp_path, {"104.16.0.0/13": "US", "41.248.0.0/14": "MA"})
    with GeoIpResolver(embedded_db=registry_db, clock=lambda: T0, cdn=load_cdn_ranges()) as geoip:
        resolver = rdap(server, cdn=geoip.cdn_match)
        [cdn] = resolver.locate_address(CLOUDFLARE)
        [plain] = resolver.locate_address(MA)
    assert cdn.claim is None and cdn.raw["withheld_claim"] == {"country": "US"}
    assert cdn.failure is not None and "Cloudflare's published anycast ranges" in cdn.failure
    assert plain.claim == Claim(country="MA")


# --------------------------------------------------------------------------------------------- WHOIS


def test_no_rdap_record_falls_back_to_whois(server: HTTPServer) -> None:
    server.expect_request(f"/rdap/ip/{MA}").respond_with_data("", status=404)
    with WhoisServer(RIPE_MOROCCO) as whois:
        resolver = rdap(server, whois=WhoisClient(server=whois.address, timeout=2.0))
        [ev] = resolver.locate_address(MA)
    assert whois.queries == [MA]
    assert ev.source == "whois" and ev.dataset == "whois" and ev.strength is Strength.REGISTERED
    assert ev.claim == Claim(country="MA") and ev.failure is None
    assert ev.raw["rdap_failure"] == f"RDAP: no record for {MA}" and ev.raw["netname"] == "MT-MA-ADSL"
    assert {ds.id for ds in resolver.data_sources()} == {"rdap", "whois"}
    [whois_source] = [ds for ds in resolver.data_sources() if ds.id == "whois"]
    assert whois_source.live and whois_source.url == f"whois://127.0.0.1:{whois.port}"


def test_unreachable_rdap_falls_back_to_whois() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with WhoisServer(ARIN_CLOUDFLARE) as whois:
        resolver = RdapResolver(clock=lambda: T0, base_urls={"ip": f"http://127.0.0.1:{port}/rdap"}, timeout=1.0,
                                whois=WhoisClient(server=whois.address, timeout=2.0))
        [ev] = resolver.locate_address(CLOUDFLARE)
    assert ev.source == "whois" and ev.claim == Claim(country="US")
    assert "cannot reach the registry" in ev.raw["rdap_failure"]


def test_rate_limiting_is_never_worked_around_with_whois(server: HTTPServer) -> None:
    server.expect_request(f"/rdap/ip/{MA}").respond_with_data("", status=429)
    with WhoisServer(RIPE_MOROCCO) as whois:
        resolver = rdap(server, whois=WhoisClient(server=whois.address, timeout=2.0))
        [first] = resolver.locate_address(MA)
        [second] = resolver.locate_address(MA_BIS)
    assert whois.queries == []
    assert first.source == "rdap" and first.failure == "RDAP: rate limited (429), retry later"
    assert second.failure == (f"RDAP: not asked about {MA_BIS}: RDAP: rate limited (429), retry later earlier "
                              "in this scan")
    assert len(server.log) == 1  # after a 429 the registry is left alone for the rest of the scan


def test_both_failing_give_one_failure_with_both_reasons(server: HTTPServer) -> None:
    server.expect_request(f"/rdap/ip/{MA}").respond_with_data("", status=404)
    with WhoisServer(b"% No entries found\n") as whois:
        [ev] = rdap(server, whois=WhoisClient(server=whois.address, timeout=2.0)).locate_address(MA)
    assert ev.claim is None
    assert ev.failure == f"RDAP: no record for {MA}; WHOIS: no record for {MA} at 127.0.0.1:{whois.port}"


@pytest.mark.parametrize(("cidr", "covered"), [("41.248.0.0/16", True), ("41.248.0.0/13", False)])
def test_whois_must_cover_a_whole_range(server: HTTPServer, cidr: str, covered: bool) -> None:
    server.expect_request(f"/rdap/ip/{cidr}").respond_with_data("", status=404)
    with WhoisServer(RIPE_MOROCCO) as whois:
        resolver = rdap(server, whois=WhoisClient(server=whois.address, timeout=2.0))
        [ev] = resolver.resolve(asset(cidr, TargetKind.CIDR))
    assert whois.queries == [cidr.split("/")[0]]
    if covered:
        assert ev.claim == Claim(country="MA") and ev.subject == cidr
    else:
        assert ev.claim is None and ev.failure is not None and f"only part of {cidr}" in ev.failure


def test_whois_and_the_embedded_registry_alone_never_confirm(server: HTTPServer) -> None:
    server.expect_request(f"/rdap/ip/{MA}").respond_with_data("", status=404)
    with WhoisServer(RIPE_MOROCCO) as whois:
        [ev] = rdap(server, whois=WhoisClient(server=whois.address, timeout=2.0)).locate_address(MA)
    embedded = Evidence(source="geoip", strength=Strength.REGISTERED, subject=MA, claim=Claim(country="MA"),
                        observed_at=T0, dataset="rir-country")
    assert locate([embedded, ev]).status is LocationStatus.UNKNOWN


def test_a_name_behind_a_cdn_stays_unknown_through_every_registry_source(server: HTTPServer,
                                                                          tmp_path: Path) -> None:
    """The scan's assembly: DNS → GeoIP (with the CDN table) and RDAP (told by GeoIP which addresses are CDN's)."""
    server.expect_request(f"/rdap/ip/{CLOUDFLARE}").respond_with_json(CLOUDFLARE_RECORD, content_type=RDAP_JSON)
    registry_db = write_embedded_db(tmp_path, {"104.16.0.0/13": "US"})
    with GeoIpResolver(embedded_db=registry_db, clock=lambda: T0, cdn=load_cdn_ranges()) as geoip, \
            serve_zone({"www.exemple.ma": Entry(cname="www.exemple.ma.cdn.cloudflare.net"),
                        "www.exemple.ma.cdn.cloudflare.net": Entry(a=(CLOUDFLARE,))}) as dns_server:
        locators = AddressLocators(geoip, rdap(server, cdn=geoip.cdn_match))
        resolver = DnsResolver(locators, nameservers=[dns_server.nameserver], timeout=1.0, clock=lambda: T0,
                               zone_nameservers=False)
        evidence = resolver.resolve_all([asset("www.exemple.ma")])["a1"]
    about = [ev for ev in evidence if ev.subject == CLOUDFLARE]
    assert [(ev.source, ev.claim) for ev in about] == [("geoip", None), ("rdap", None)]
    assert all(ev.raw["withheld_claim"] == {"country": "US"} for ev in about)
    declared = Evidence(source="declared", strength=Strength.DECLARED, subject="a1", claim=Claim(country="MA"),
                        observed_at=T0)
    location = locate([*evidence, declared])
    assert location.status is LocationStatus.UNKNOWN and "GeoIP cannot tell which edge serves it" in location.reason
