"""DnsResolver over batches, against a real DNS server on 127.0.0.1: concurrency and its bound, each question
asked once, the on-disk cache (hits, expiry, offline, refresh, a corrupt file), vendors met in CNAME chains,
mail domains through their MX, and the zone's nameservers."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from residency_scan.locate import locate
from residency_scan.models import Asset, Claim, Evidence, LocationStatus, Strength
from residency_scan.resolvers.catalog import VendorCatalogResolver, match_domain
from residency_scan.resolvers.dns import DnsResolver, catalog_cname_evidence
from residency_scan.resolvers.dns_cache import DnsCache
from tests.dnsserver import DnsTestServer, Entry, serve_zone
from tests.resolvers.dnskit import AZURE_EDGE, COUNTRIES, FR_V4, MA_V4, NOW, TableLocator, asset, queries_for

T0 = 1_740_821_400.0  # 2025-03-01 09:30:00 UTC, as Unix time for the cache clock
SOA = "ns1.exemple.ma. hostmaster.exemple.ma. 1 3600 600 86400 60"

ZONE = {
    "exemple.ma": Entry(a=(FR_V4,), records={
        "SOA": (SOA,), "NS": ("ns1.exemple.ma.", "ns2.exemple.ma.", "exemple.ns.cloudflare.com."),
        "MX": ("20 exemple-ma.mail.protection.outlook.com.", "10 mx1.exemple.ma.")}),
    "www.exemple.ma": Entry(a=(MA_V4,)),
    "court.exemple.ma": Entry(a=(MA_V4,), ttl=1),
    "mx1.exemple.ma": Entry(a=(MA_V4,)),
    "exemple-ma.mail.protection.outlook.com": Entry(a=(AZURE_EDGE,)),
    "supervision.exemple.ma": Entry(cname="app.datadoghq.eu"),
    "app.datadoghq.eu": Entry(a=(FR_V4,)),
    "cdn.exemple.ma": Entry(cname="www.exemple.ma.edgekey.net"),
    "www.exemple.ma.edgekey.net": Entry(a=(MA_V4,)),
    "sansmx.exemple.org": Entry(a=(MA_V4,)),
    "nullmx.exemple.org": Entry(a=(MA_V4,), records={"MX": ("0 .",)}),
    "cassemx.exemple.org": Entry(a=(MA_V4,), rcode_by_type={"MX": "SERVFAIL"}),
    "piegemx.exemple.org": Entry(records={"MX": ("10 x\\032<b>.exemple.net.", "20 mx1.exemple.ma.")}),
    **{f"h{i:03d}.exemple.ma": Entry(a=(MA_V4 if i % 2 else FR_V4,), delay=0.04) for i in range(100)},
}


@pytest.fixture(scope="module")
def server() -> Iterator[DnsTestServer]:
    with serve_zone(ZONE) as running:
        yield running


@pytest.fixture
def locator() -> TableLocator:
    return TableLocator(dict(COUNTRIES))


class Wall:
    """The cache's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def make(server: DnsTestServer, locator: TableLocator, **options: object) -> DnsResolver:
    settings: dict[str, object] = {"timeout": 0.5, "retries": 0, "zone_nameservers": False, **options}
    return DnsResolver(locator, nameservers=[server.nameserver], clock=lambda: NOW, **settings)  # type: ignore[arg-type]


def by_source(evidence: list[Evidence], source: str) -> list[Evidence]:
    return [e for e in evidence if e.source == source]


# ------------------------------------------------------------------------------------------- concurrency


def test_batch_resolves_each_name_once_within_the_concurrency_bound(server: DnsTestServer,
                                                                    locator: TableLocator) -> None:
    assets = [asset(f"h{i:03d}.exemple.ma", asset_id=f"a{i}") for i in range(100)]
    assets += [asset("h007.exemple.ma", asset_id="again"), asset("H007.EXEMPLE.MA.", asset_id="again2")]
    before = len(server.queries)
    started = time.monotonic()
    found = make(server, locator, concurrency=10).resolve_all(assets)
    elapsed = time.monotonic() - started
    asked = Counter((q.name, q.type) for q in server.queries[before:])
    assert set(asked.values()) == {1} and len(asked) == 200  # A and AAAA of 100 names, each once
    assert 2 <= server.max_in_flight <= 10
    assert elapsed < 200 * 0.04 / 2  # concurrent: far less than one query after another
    assert len(found) == 102
    for i in range(100):
        _name, located = found[f"a{i}"]
        assert located.claim == Claim(country="MA" if i % 2 else "FR")
    assert found["again"] == found["again2"] == found["a7"]


def test_resolving_from_inside_a_running_event_loop_works(server: DnsTestServer, locator: TableLocator) -> None:
    async def caller() -> list[Evidence]:
        return make(server, locator).resolve(asset("www.exemple.ma"))

    name, located = asyncio.run(caller())
    assert name.raw["addresses"] == [MA_V4] and located.claim == Claim(country="MA")


def test_concurrency_of_one_sends_one_query_at_a_time(locator: TableLocator) -> None:
    with serve_zone({f"s{i}.exemple.ma": Entry(a=(MA_V4,), delay=0.02) for i in range(6)}) as slow:
        make(slow, locator, concurrency=1).resolve_all([asset(f"s{i}.exemple.ma", asset_id=str(i))
                                                        for i in range(6)])
        assert slow.max_in_flight == 1 and len(slow.queries) == 12


# ------------------------------------------------------------------------------------------------ cache


def test_second_run_is_answered_from_the_cache_and_says_how_old(tmp_path: Path, server: DnsTestServer,
                                                                locator: TableLocator) -> None:
    wall = Wall()
    with DnsCache(tmp_path / "dns.sqlite", clock=wall) as cache:
        first = make(server, locator, cache=cache).resolve(asset("www.exemple.ma"))
        assert not first[0].from_cache and "cached_at" not in first[0].raw
    wall.now += 42
    before = len(server.queries)
    with DnsCache(tmp_path / "dns.sqlite", clock=wall) as cache:
        name, located = make(server, locator, cache=cache).resolve(asset("www.exemple.ma"))
    assert len(server.queries) == before  # nothing asked
    assert name.from_cache and name.raw["addresses"] == [MA_V4]
    assert name.observed_at == datetime.fromtimestamp(T0, UTC)  # when the server said so, not now
    assert name.raw["cached_at"] == "2025-03-01T09:30:00Z" and name.raw["age_seconds"] == 42
    assert located.claim == Claim(country="MA") and not located.from_cache


def test_an_entry_is_not_used_past_its_ttl(tmp_path: Path, server: DnsTestServer, locator: TableLocator) -> None:
    wall = Wall()
    with DnsCache(tmp_path / "dns.sqlite", clock=wall) as cache:
        resolver = make(server, locator, cache=cache)
        resolver.resolve(asset("court.exemple.ma"))
        wall.now += 0.5
        before = len(queries_for(server, "court.exemple.ma"))
        assert make(server, locator, cache=cache).resolve(asset("court.exemple.ma"))[0].from_cache
        wall.now += 1.0  # the A record's TTL is 1 s
        name, _ = make(server, locator, cache=cache).resolve(asset("court.exemple.ma"))
        asked = queries_for(server, "court.exemple.ma")[before:]
    assert [q.type for q in asked] == ["A"]  # the negative AAAA answer keeps its own, longer TTL
    assert name.from_cache  # still partly from the cache: the AAAA part
    assert name.observed_at == datetime.fromtimestamp(T0, UTC)


def test_max_age_shorter_than_the_ttl_wins(tmp_path: Path, server: DnsTestServer, locator: TableLocator) -> None:
    wall = Wall()
    with DnsCache(tmp_path / "dns.sqlite", clock=wall, max_age=5) as cache:
        make(server, locator, cache=cache).resolve(asset("www.exemple.ma"))
        wall.now += 6
        name, _ = make(server, locator, cache=cache).resolve(asset("www.exemple.ma"))
    assert not name.from_cache


def test_offline_uses_the_cache_and_reports_what_it_lacks(tmp_path: Path, server: DnsTestServer,
                                                          locator: TableLocator) -> None:
    wall = Wall()
    with DnsCache(tmp_path / "dns.sqlite", clock=wall) as cache:
        make(server, locator, cache=cache).resolve(asset("www.exemple.ma"))
        before = len(server.queries)
        offline = make(server, locator, cache=cache, offline=True)
        found = offline.resolve_all([asset("www.exemple.ma", asset_id="seen"),
                                     asset("mx1.exemple.ma", asset_id="unseen")])
    assert len(server.queries) == before
    name, located = found["seen"]
    assert name.from_cache and located.claim == Claim(country="MA")
    (missing,) = found["unseen"]
    assert missing.failure == "offline: not in the DNS cache" and not missing.from_cache


def test_refresh_asks_again_and_still_writes(tmp_path: Path, locator: TableLocator) -> None:
    wall = Wall()
    with serve_zone({"bouge.exemple.ma": Entry(a=(FR_V4,))}) as moving, \
            DnsCache(tmp_path / "dns.sqlite", clock=wall) as cache:
        make(moving, locator, cache=cache).resolve(asset("bouge.exemple.ma"))
        moving.update({"bouge.exemple.ma": Entry(a=(MA_V4,))})  # the site moved home since
        stale, _ = make(moving, locator, cache=cache).resolve(asset("bouge.exemple.ma"))
        asked_before = len(moving.queries)
        fresh, _ = make(moving, locator, cache=cache, refresh=True).resolve(asset("bouge.exemple.ma"))
        asked = len(moving.queries) - asked_before
        reread, _ = make(moving, locator, cache=cache, offline=True).resolve(asset("bouge.exemple.ma"))
    assert stale.from_cache and stale.raw["addresses"] == [FR_V4]  # within its TTL the cache answers
    assert not fresh.from_cache and fresh.raw["addresses"] == [MA_V4] and asked == 2
    assert reread.from_cache and reread.raw["addresses"] == [MA_V4]  # --refresh wrote what it found


def test_answers_are_cached_per_nameserver_set(tmp_path: Path, locator: TableLocator) -> None:
    wall = Wall()
    with serve_zone({"vue.exemple.ma": Entry(a=(FR_V4,))}) as outside, \
            serve_zone({"vue.exemple.ma": Entry(a=(MA_V4,))}) as inside, \
            DnsCache(tmp_path / "dns.sqlite", clock=wall) as cache:
        seen_outside, _ = make(outside, locator, cache=cache).resolve(asset("vue.exemple.ma"))
        seen_inside, _ = make(inside, locator, cache=cache).resolve(asset("vue.exemple.ma"))
    assert seen_outside.raw["addresses"] == [FR_V4] and seen_inside.raw["addresses"] == [MA_V4]
    assert not seen_inside.from_cache  # a split-horizon DNS answers differently depending on who asks


def test_corrupt_cache_file_is_ignored_with_a_warning(tmp_path: Path, server: DnsTestServer,
                                                      locator: TableLocator) -> None:
    path = tmp_path / "dns.sqlite"
    path.write_bytes(b"this is not a database\x00" * 100)
    with DnsCache(path) as cache:
        name, located, warning = make(server, locator, cache=cache).resolve(asset("www.exemple.ma"))
    assert name.failure is None and located.claim == Claim(country="MA")
    assert warning.source == "dns-cache" and warning.subject == str(path)
    assert warning.claim is None and warning.failure is None  # information, not a reason for unknown
    assert "ignored" in warning.raw["warning"]
    assert path.read_bytes().startswith(b"this is not a database")  # left for the user to inspect


# ---------------------------------------------------------------------------------------------- vendors


def test_cname_into_a_vendor_domain_brings_the_catalog_location(server: DnsTestServer,
                                                                 locator: TableLocator) -> None:
    catalog = VendorCatalogResolver(clock=lambda: NOW)
    resolver = make(server, locator, match_vendor=match_domain, vendor_evidence=catalog_cname_evidence(catalog))
    name, located, vendor = resolver.resolve(asset("supervision.exemple.ma"))
    assert name.raw["chain"] == ["supervision.exemple.ma", "app.datadoghq.eu"]
    assert (vendor.source, vendor.subject, vendor.strength) == ("dns-cname", "vendor:datadog", Strength.AUTHORITATIVE)
    assert vendor.claim is not None and vendor.claim.country == "DE" and vendor.claim.region == "EU1"
    assert vendor.raw["matched"] == {"cname": "app.datadoghq.eu", "vendor": "datadog", "region": "EU1"}
    location = locate([name, located, vendor])
    assert "DE" in location.countries and location.status is not LocationStatus.CONFIRMED


def test_cname_into_a_cdn_leaves_the_location_to_the_edge(server: DnsTestServer, locator: TableLocator) -> None:
    catalog = VendorCatalogResolver(clock=lambda: NOW)
    resolver = make(server, locator, match_vendor=match_domain, vendor_evidence=catalog_cname_evidence(catalog))
    evidence = resolver.resolve(asset("cdn.exemple.ma"))
    (vendor,) = by_source(evidence, "dns-cname")
    assert vendor.subject == "vendor:akamai" and vendor.failure is not None and "edge" in vendor.failure
    # The edge address is Moroccan here, and still the asset is not confirmed: the CDN decides where it serves.
    assert locate(evidence).status is LocationStatus.UNKNOWN


def test_vendor_match_without_catalog_facts_is_recorded_not_located(server: DnsTestServer,
                                                                    locator: TableLocator) -> None:
    resolver = make(server, locator, match_vendor=lambda host: ("akamai", None) if "edgekey" in host else None)
    (vendor,) = by_source(resolver.resolve(asset("cdn.exemple.ma")), "dns-cname")
    assert vendor.claim is None and vendor.failure is None
    assert vendor.raw == {"cname": "www.exemple.ma.edgekey.net", "vendor": "akamai", "region": None}


def test_vendor_met_in_a_cached_chain_says_it_came_from_the_cache(tmp_path: Path, server: DnsTestServer,
                                                                  locator: TableLocator) -> None:
    wall = Wall()
    catalog = catalog_cname_evidence(VendorCatalogResolver(clock=lambda: NOW))
    with DnsCache(tmp_path / "dns.sqlite", clock=wall) as cache:
        first = make(server, locator, cache=cache, match_vendor=match_domain, vendor_evidence=catalog)
        (fresh,) = by_source(first.resolve(asset("supervision.exemple.ma")), "dns-cname")
        wall.now += 30
        again = make(server, locator, cache=cache, match_vendor=match_domain, vendor_evidence=catalog)
        (cached,) = by_source(again.resolve(asset("supervision.exemple.ma")), "dns-cname")
    assert not fresh.from_cache and "cached_at" not in fresh.raw
    assert cached.from_cache and cached.raw["age_seconds"] == 30
    assert cached.observed_at == datetime.fromtimestamp(T0, UTC)
    assert cached.claim == fresh.claim


def test_the_assets_own_vendor_is_not_repeated(server: DnsTestServer, locator: TableLocator) -> None:
    asked: list[tuple[str, str]] = []

    def evidence(key: str, host: str) -> list[Evidence]:
        asked.append((key, host))
        return []

    resolver = make(server, locator, match_vendor=lambda host: ("akamai", None) if "edgekey" in host else None,
                    vendor_evidence=evidence)
    resolver.resolve(asset("cdn.exemple.ma", vendor="akamai"))
    assert asked == []
    resolver.resolve(asset("cdn.exemple.ma", vendor="datadog"))
    assert asked == [("akamai", "www.exemple.ma.edgekey.net")]


# ------------------------------------------------------------------------------------------ mail and NS


def mail(host: str, asset_id: str = "courriel") -> Asset:
    return asset(host, asset_id=asset_id, tags={"service": "mail"})


def test_mail_domain_is_located_through_every_exchanger(server: DnsTestServer, locator: TableLocator) -> None:
    before = len(server.queries)
    resolver = make(server, locator, match_vendor=match_domain)
    evidence = resolver.resolve(mail("exemple.ma"))
    asked = {(q.name, q.type) for q in server.queries[before:]}
    mx = evidence[0]
    assert mx.subject == "exemple.ma" and mx.raw["mx"] == [[10, "mx1.exemple.ma"],
                                                           [20, "exemple-ma.mail.protection.outlook.com"]]
    located = {e.subject: e.claim.country for e in evidence if e.source == "geoip" and e.claim}
    assert located == {MA_V4: "MA", AZURE_EDGE: "NL"}  # the Moroccan exchanger does not hide the other one
    assert [e.subject for e in by_source(evidence, "dns-cname")] == ["vendor:microsoft-365"]
    assert ("exemple.ma", "A") not in asked  # the web site's address says nothing about mail


def test_a_domain_that_is_both_web_site_and_mail_domain_is_resolved_as_each(server: DnsTestServer,
                                                                            locator: TableLocator) -> None:
    found = make(server, locator).resolve_all([asset("exemple.ma", asset_id="web"), mail("exemple.ma")])
    assert found["web"][0].raw["addresses"] == [FR_V4]
    assert found["courriel"][0].raw["mx"][0] == [10, "mx1.exemple.ma"]
    assert FR_V4 not in {e.subject for e in found["courriel"]}


def test_mail_domain_without_mx_uses_its_own_address(server: DnsTestServer, locator: TableLocator) -> None:
    note, name, located = make(server, locator).resolve(mail("sansmx.exemple.org"))
    assert note.raw["implicit_mx"] is True and name.raw["implicit_mx"] is True
    assert located.claim == Claim(country="MA")


@pytest.mark.parametrize(("host", "reason"), [
    ("nullmx.exemple.org", "null MX: nullmx.exemple.org accepts no mail (RFC 7505)"),
    ("cassemx.exemple.org", "MX lookup failed: SERVFAIL"),
    ("absent.exemple.org", "MX lookup failed: NXDOMAIN"),
])
def test_mail_domain_that_cannot_be_followed_is_unknown(host: str, reason: str, server: DnsTestServer,
                                                        locator: TableLocator) -> None:
    evidence = make(server, locator).resolve(mail(host))
    assert evidence[0].failure is not None and evidence[0].failure.startswith(reason)
    assert locate(evidence).status is LocationStatus.UNKNOWN


def test_hostile_exchanger_name_is_a_failure_beside_the_good_one(server: DnsTestServer,
                                                                 locator: TableLocator) -> None:
    evidence = make(server, locator).resolve(mail("piegemx.exemple.org"))
    failures = [e.failure for e in evidence if e.failure]
    assert len(failures) == 1 and failures[0].startswith("mail exchanger of piegemx.exemple.org: invalid DNS name")
    assert any(e.claim == Claim(country="MA") for e in evidence)


def test_zone_nameservers_are_supporting_evidence_asked_once(server: DnsTestServer, locator: TableLocator) -> None:
    before = len(server.queries)
    resolver = make(server, locator, zone_nameservers=True, match_vendor=match_domain)
    found = resolver.resolve_all([asset("www.exemple.ma", asset_id="w"), asset("cdn.exemple.ma", asset_id="c"),
                                  asset("mx1.exemple.ma", asset_id="m")])
    for evidence in found.values():
        zone = evidence[-1]
        assert zone.subject == "exemple.ma" and zone.claim is None and zone.failure is None
        assert zone.raw["nameservers"] == ["exemple.ns.cloudflare.com", "ns1.exemple.ma", "ns2.exemple.ma"]
        assert zone.raw["vendors"] == ["cloudflare"]
    asked = server.queries[before:]
    assert [q.name for q in asked if q.type == "NS"] == ["exemple.ma"]
    # www and mx1 have no AAAA: that negative answer carried the zone's SOA, so no SOA question was needed;
    # cdn is a CNAME out of the zone, so its zone was found by asking SOA for it, then for its parent.
    assert sorted(q.name for q in asked if q.type == "SOA") == ["cdn.exemple.ma", "exemple.ma"]
    # A second batch of the same scan does not look the zone up again.
    before = len(server.queries)
    resolver.resolve(asset("cdn.exemple.ma"))
    assert sorted(q.type for q in server.queries[before:]) == ["A", "AAAA", "AAAA"]  # AAAA: CNAME, then target


def test_zone_that_cannot_be_found_is_recorded_not_fatal(server: DnsTestServer, locator: TableLocator) -> None:
    evidence = make(server, locator, zone_nameservers=True).resolve(asset("sansmx.exemple.org"))
    zone = evidence[-1]
    assert zone.failure is None and zone.raw["error"].startswith("zone not found")
    assert evidence[0].raw["addresses"] == [MA_V4]
