"""DnsResolver against a real DNS server on 127.0.0.1 (tests/dnsserver.py): what comes back on the wire for
each answer and each failure, turned into evidence. Only the address locator is a small table.

Batches, the cache, vendors, MX and NS are in test_dns_batch.py; the cache file itself in test_dns_cache.py.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import dns.resolver
import pytest

from residency_scan.errors import UsageError
from residency_scan.locate import locate
from residency_scan.models import Claim, LocationStatus, Strength, TargetKind
from residency_scan.resolvers.dns import DnsResolver, parse_nameserver
from residency_scan.resolvers.dns_lookup import MAX_CHAIN
from residency_scan.resolvers.geoip import GeoIpResolver
from tests.dnsserver import DnsTestServer, Entry, Query, serve_zone
from tests.resolvers.dnskit import (
    AZURE_EDGE,
    COUNTRIES,
    FR_V4,
    IE_V6,
    MA_V4,
    MA_V4_BIS,
    NOW,
    TableLocator,
    asset,
    only_failure,
    queries_for,
)


def _chain(prefix: str, links: int, end: Entry) -> dict[str, Entry]:
    """`prefix`0 → `prefix`1 → ... → `prefix`<links>, the last one holding `end`."""
    zone = {f"{prefix}{i}.exemple.ma": Entry(cname=f"{prefix}{i + 1}.exemple.ma") for i in range(links)}
    zone[f"{prefix}{links}.exemple.ma"] = end
    return zone


def _other_id(reply: bytes) -> bytes:
    return struct.pack("!H", (struct.unpack_from("!H", reply)[0] + 1) % 65536) + reply[2:]


def _other_question(reply: bytes) -> bytes:
    return reply.replace(b"\x08mauvais2", b"\x08mauvaix2", 1)


ZONE = {
    "v4.exemple.ma": Entry(a=(MA_V4,)),
    "v6.exemple.ma": Entry(aaaa=(IE_V6,)),
    "dual.exemple.ma": Entry(a=(FR_V4, MA_V4, MA_V4_BIS, MA_V4), aaaa=(IE_V6,)),
    "portail.exemple.ma": Entry(cname="portail-exemple.azureedge.net", ttl=3600),
    "portail-exemple.azureedge.net": Entry(cname="portail-exemple.afd.azureedge.net", ttl=120),
    "portail-exemple.afd.azureedge.net": Entry(a=(AZURE_EDGE,), ttl=60),
    "casse.exemple.ma": Entry(rcode="SERVFAIL"),
    "ferme.exemple.ma": Entry(rcode="REFUSED"),
    "vide.exemple.ma": Entry(),
    "lent.exemple.ma": Entry(a=(MA_V4,), delay=4.0),
    "moitie.exemple.ma": Entry(a=(MA_V4,), rcode_by_type={"AAAA": "SERVFAIL"}),
    "pendant.exemple.ma": Entry(cname="disparu.exemple.net"),
    "boucle.exemple.ma": Entry(cname="boucle2.exemple.ma"),
    "boucle2.exemple.ma": Entry(cname="boucle.exemple.ma"),
    "piege.exemple.ma": Entry(cname='x"<script>alert(1)</script> .exemple.net'),
    'x"<script>alert(1)</script> .exemple.net': Entry(a=(FR_V4,)),
    "*.joker.exemple.ma": Entry(a=(FR_V4,)),
    "interne.exemple.ma": Entry(a=("10.20.30.40",), aaaa=("fd00::1",)),
    "xn--exmple-cva.ma": Entry(a=(MA_V4,)),
    "bavard.exemple.ma": Entry(a=(MA_V4,), junk=("autre.exemple.net. 60 IN A 51.15.9.9",
                                                  "bavard.exemple.net. 60 IN AAAA 2a01::9")),
    "bruit.exemple.ma": Entry(a=(MA_V4,), mangle=lambda reply: reply[:2] + b"\xff" * 40),
    "tronque.exemple.ma": Entry(a=(MA_V4,), mangle=lambda reply: reply[:-3]),
    "mauvais.exemple.ma": Entry(a=(MA_V4,), mangle=_other_id),
    "mauvais2.exemple.ma": Entry(a=(MA_V4,), mangle=_other_question),
    **_chain("long", 12, Entry(a=(FR_V4,))),
    **_chain("trop", MAX_CHAIN + 3, Entry(a=(FR_V4,))),
}


@pytest.fixture(scope="module")
def server() -> Iterator[DnsTestServer]:
    with serve_zone(ZONE) as running:
        yield running


@pytest.fixture
def locator() -> TableLocator:
    return TableLocator(dict(COUNTRIES))


@pytest.fixture
def resolver(server: DnsTestServer, locator: TableLocator) -> DnsResolver:
    return DnsResolver(locator, nameservers=[server.nameserver], timeout=0.5, retries=0, clock=lambda: NOW,
                       zone_nameservers=False)


# ------------------------------------------------------------------------------------------------ answers


def test_a_record_only_gives_one_located_address(resolver: DnsResolver, server: DnsTestServer) -> None:
    name, located = resolver.resolve(asset("v4.exemple.ma"))
    assert (name.source, name.strength, name.subject) == ("dns", Strength.MEASURED, "v4.exemple.ma")
    assert name.failure is None and name.claim is None and not name.from_cache
    assert name.observed_at == NOW
    assert name.raw == {"chain": ["v4.exemple.ma"], "addresses": [MA_V4], "ttl": 300,
                        "nameserver": server.nameserver}
    assert located.subject == MA_V4 and located.claim == Claim(country="MA")


def test_aaaa_record_only_is_enough(resolver: DnsResolver) -> None:
    name, located = resolver.resolve(asset("v6.exemple.ma"))
    assert name.failure is None
    assert name.raw["addresses"] == [IE_V6]
    assert located.subject == IE_V6 and located.claim == Claim(country="IE")


def test_every_address_behind_a_name_is_located_once_in_order(
    resolver: DnsResolver, locator: TableLocator
) -> None:
    name, *located = resolver.resolve(asset("dual.exemple.ma"))
    expected = [MA_V4_BIS, FR_V4, MA_V4, IE_V6]  # IPv4 by value, then IPv6; the duplicate A counted once
    assert name.raw["addresses"] == expected
    assert locator.asked == expected
    countries = [e.claim.country for e in located if e.claim is not None]
    assert countries == ["MA", "FR", "MA", "IE"]  # the addresses abroad are not hidden by the Moroccan ones


def test_one_address_abroad_puts_the_asset_abroad(resolver: DnsResolver) -> None:
    location = locate(resolver.resolve(asset("dual.exemple.ma")))
    assert location.status is not LocationStatus.CONFIRMED
    assert set(location.countries) == {"MA", "FR", "IE"}


def test_cname_chain_is_recorded_and_its_end_located(resolver: DnsResolver) -> None:
    name, located = resolver.resolve(asset("portail.exemple.ma"))
    assert name.raw["chain"] == [
        "portail.exemple.ma",
        "portail-exemple.azureedge.net",
        "portail-exemple.afd.azureedge.net",
    ]
    assert name.raw["ttl"] == 60  # the smallest TTL along the chain
    assert located.subject == AZURE_EDGE and located.claim == Claim(country="NL")


def test_long_chain_within_the_limit_is_followed_to_the_end(resolver: DnsResolver) -> None:
    name, located = resolver.resolve(asset("long0.exemple.ma"))
    assert name.raw["chain"] == [f"long{i}.exemple.ma" for i in range(13)]
    assert located.claim == Claim(country="FR")


def test_chain_over_the_limit_is_a_failure_showing_its_ends(resolver: DnsResolver, locator: TableLocator) -> None:
    failure = only_failure(resolver.resolve(asset("trop0.exemple.ma")))
    assert failure.startswith(f"CNAME chain too long: over {MAX_CHAIN} links (trop0.exemple.ma → ")
    assert locator.asked == []


def test_chain_cut_short_by_the_server_is_continued_from_its_end(locator: TableLocator) -> None:
    # A server that returns at most 3 links per answer, like an authoritative server for part of the chain.
    with serve_zone(_chain("etape", 7, Entry(a=(MA_V4,))), max_chain=3) as cutting:
        resolver = DnsResolver(locator, nameservers=[cutting.nameserver], timeout=0.5, clock=lambda: NOW,
                               zone_nameservers=False)
        name, located = resolver.resolve(asset("etape0.exemple.ma"))
        asked = [q.name for q in cutting.queries if q.type == "A"]
    assert name.raw["chain"] == [f"etape{i}.exemple.ma" for i in range(8)]
    assert located.claim == Claim(country="MA")
    assert asked[0] == "etape0.exemple.ma" and len(asked) == 3  # asked again from where each answer stopped


def test_cname_loop_is_a_failure_naming_the_loop(resolver: DnsResolver) -> None:
    failure = only_failure(resolver.resolve(asset("boucle.exemple.ma")))
    assert failure == "CNAME loop: boucle.exemple.ma → boucle2.exemple.ma → boucle.exemple.ma"


def test_loop_spread_over_several_answers_is_still_found(locator: TableLocator) -> None:
    zone = {"a.exemple.ma": Entry(cname="b.exemple.ma"), "b.exemple.ma": Entry(cname="c.exemple.ma"),
            "c.exemple.ma": Entry(cname="a.exemple.ma")}
    with serve_zone(zone, max_chain=1) as cutting:
        resolver = DnsResolver(locator, nameservers=[cutting.nameserver], timeout=0.5, clock=lambda: NOW,
                               zone_nameservers=False)
        failure = only_failure(resolver.resolve(asset("a.exemple.ma")))
    assert failure.startswith("CNAME loop: a.exemple.ma → b.exemple.ma → c.exemple.ma → a.exemple.ma")


def test_cname_targets_with_hostile_text_are_kept_as_inert_text(resolver: DnsResolver) -> None:
    name, located = resolver.resolve(asset("piege.exemple.ma"))
    # DNS presentation format: quote, parentheses and space escaped as in a zone file; the markup itself is
    # kept as plain text for the reporters to escape, never interpreted here.
    assert name.raw["chain"][1] == 'x\\"<script>alert\\(1\\)</script>\\032.exemple.net'
    assert located.claim == Claim(country="FR")


def test_records_for_names_nobody_asked_about_are_ignored(resolver: DnsResolver, locator: TableLocator) -> None:
    name, _located = resolver.resolve(asset("bavard.exemple.ma"))
    assert name.raw["addresses"] == [MA_V4]
    assert locator.asked == [MA_V4]


def test_wildcard_answers_are_answers(resolver: DnsResolver) -> None:
    name, located = resolver.resolve(asset("nimporte.joker.exemple.ma"))
    assert name.raw["chain"] == ["nimporte.joker.exemple.ma"] and name.raw["addresses"] == [FR_V4]
    assert located.claim == Claim(country="FR")


def test_private_addresses_are_located_as_internal(resolver: DnsResolver, server: DnsTestServer) -> None:
    with GeoIpResolver(clock=lambda: NOW) as geoip:
        real = DnsResolver(geoip, nameservers=[server.nameserver], timeout=0.5, clock=lambda: NOW,
                           zone_nameservers=False)
        name, *located = real.resolve(asset("interne.exemple.ma"))
    assert name.raw["addresses"] == ["10.20.30.40", "fd00::1"]
    assert [e.subject for e in located] == ["10.20.30.40", "fd00::1"]
    assert all(e.claim is not None and e.claim.internal for e in located)
    assert locate([name, *located]).status is LocationStatus.UNKNOWN


def test_missing_aaaa_beside_an_a_answer_is_not_a_failure(resolver: DnsResolver) -> None:
    evidence = resolver.resolve(asset("v4.exemple.ma"))
    assert [e.failure for e in evidence] == [None, None]


def test_failed_aaaa_beside_an_a_answer_leaves_the_name_partly_unknown(resolver: DnsResolver) -> None:
    name, partial, located = resolver.resolve(asset("moitie.exemple.ma"))
    assert name.failure is None and name.raw["addresses"] == [MA_V4]
    assert partial.subject == "moitie.exemple.ma"
    assert partial.failure == ("AAAA lookup failed, addresses may be incomplete: SERVFAIL: the nameserver could "
                               "not resolve the name")
    assert located.claim == Claim(country="MA")
    assert locate([name, partial, located]).status is LocationStatus.UNKNOWN


# ----------------------------------------------------------------------------------------------- failures


def test_nxdomain_is_a_failure_and_nothing_is_located(resolver: DnsResolver, locator: TableLocator,
                                                      server: DnsTestServer) -> None:
    failure = only_failure(resolver.resolve(asset("absent.exemple.ma")))
    assert failure == "NXDOMAIN: name does not exist"
    assert locator.asked == []
    assert sorted(queries_for(server, "absent.exemple.ma")) == [Query("absent.exemple.ma", "A", "udp"),
                                                                Query("absent.exemple.ma", "AAAA", "udp")]


def test_cname_to_a_missing_name_is_nxdomain_naming_the_target(resolver: DnsResolver) -> None:
    (evidence,) = resolver.resolve(asset("pendant.exemple.ma"))
    assert evidence.failure == "NXDOMAIN: name does not exist (disparu.exemple.net, reached through CNAME)"
    assert evidence.raw["chain"] == ["pendant.exemple.ma", "disparu.exemple.net"]


def test_servfail_and_refused_are_told_apart(resolver: DnsResolver) -> None:
    assert only_failure(resolver.resolve(asset("casse.exemple.ma"))) == (
        "SERVFAIL: the nameserver could not resolve the name")
    assert only_failure(resolver.resolve(asset("ferme.exemple.ma"))) == "REFUSED: the nameserver refused to answer"


def test_name_without_addresses_is_a_failure_not_an_empty_success(resolver: DnsResolver) -> None:
    assert only_failure(resolver.resolve(asset("vide.exemple.ma"))) == "no A/AAAA records"


def test_slow_nameserver_times_out_after_each_retry(locator: TableLocator, server: DnsTestServer) -> None:
    patient = DnsResolver(locator, nameservers=[server.nameserver], timeout=0.3, retries=2, clock=lambda: NOW,
                          zone_nameservers=False)
    started = time.monotonic()
    failure = only_failure(patient.resolve(asset("lent.exemple.ma")))
    elapsed = time.monotonic() - started
    assert failure == "timeout: no answer within 0.3s (3 tries)"
    assert sorted(q.type for q in queries_for(server, "lent.exemple.ma")) == ["A"] * 3 + ["AAAA"] * 3
    # A and AAAA are asked side by side: three 0.3 s tries each, long before the 4 s answer would come.
    assert 0.85 < elapsed < 2.5


def test_slow_answer_within_the_timeout_is_an_answer(locator: TableLocator) -> None:
    with serve_zone({"posé.exemple.ma".encode("idna").decode(): Entry(a=(MA_V4,), delay=0.3)}) as slow:
        resolver = DnsResolver(locator, nameservers=[slow.nameserver], timeout=1.5, retries=0, clock=lambda: NOW,
                               zone_nameservers=False)
        name, located = resolver.resolve(asset("posé.exemple.ma"))
    assert name.raw["addresses"] == [MA_V4] and located.claim == Claim(country="MA")


def test_nothing_listening_is_reported_as_such(locator: TableLocator) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    deaf = DnsResolver(locator, nameservers=[f"127.0.0.1:{port}"], timeout=1.0, retries=0, clock=lambda: NOW,
                       zone_nameservers=False)
    failure = only_failure(deaf.resolve(asset("v4.exemple.ma")))
    assert failure == f"connection refused: no DNS server listening at 127.0.0.1:{port}"


def test_cut_reply_is_malformed_not_a_crash(resolver: DnsResolver, server: DnsTestServer) -> None:
    failure = only_failure(resolver.resolve(asset("tronque.exemple.ma")))
    assert failure == f"malformed reply from {server.nameserver}"


@pytest.mark.parametrize("host", ["bruit.exemple.ma", "mauvais.exemple.ma", "mauvais2.exemple.ma"])
def test_reply_for_another_query_is_ignored(host: str, resolver: DnsResolver) -> None:
    # Garbage, a reply with the wrong ID, or one echoing another question answers nothing we asked: it is
    # ignored (it may be spoofed) and we keep waiting for the real answer, which here never comes.
    assert only_failure(resolver.resolve(asset(host))) == "timeout: no answer within 0.5s (1 try)"


# -------------------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("x" * 64 + ".exemple.ma", "over the limit of 63"),
        (".".join(["abcdefghi"] * 26) + ".ma", "262 characters long, over the limit of 253"),
        ("a..exemple.ma", "empty label"),
        ("-a.exemple.ma", "starts or ends with '-'"),
        ("a b.exemple.ma", "holds a character a hostname cannot have"),
        ("*.exemple.ma", "holds a character a hostname cannot have"),
        ("xn--zz.exemple.ma", "not valid punycode"),
        ("straße.ma", "IDNA 2003 and IDNA 2008 encode differently"),
        ("\u202eevil.ma", "not a valid internationalised name"),
    ],
)
def test_invalid_name_is_a_failure_and_is_never_sent(host: str, reason: str, resolver: DnsResolver,
                                                     server: DnsTestServer) -> None:
    before = len(server.queries)
    failure = only_failure(resolver.resolve(asset(host)))
    assert failure.startswith("invalid DNS name:") and reason in failure
    assert len(server.queries) == before


def test_internationalised_name_is_asked_as_punycode_and_shown_in_unicode(resolver: DnsResolver,
                                                                         server: DnsTestServer) -> None:
    for host in ("exémple.ma", "xn--exmple-cva.ma", "XN--EXMPLE-CVA.MA."):
        name, located = resolver.resolve(asset(host))
        assert name.subject == "xn--exmple-cva.ma"
        assert name.raw["name_unicode"] == "exémple.ma"
        assert located.claim == Claim(country="MA")
    assert {q.name for q in server.queries if "exmple" in q.name} == {"xn--exmple-cva.ma"}


def test_trailing_dot_and_case_name_the_same_host_asked_once(resolver: DnsResolver, server: DnsTestServer) -> None:
    before = len(queries_for(server, "dual.exemple.ma"))
    found = resolver.resolve_all([asset("dual.exemple.ma.", asset_id="a"), asset("DUAL.exemple.ma", asset_id="b"),
                                  asset("dual.exemple.ma", asset_id="c")])
    assert {ev[0].subject for ev in found.values()} == {"dual.exemple.ma"}
    assert len(queries_for(server, "dual.exemple.ma")) - before == 2  # A and AAAA, once for the three


# -------------------------------------------------------------------------------------- offline and scope


def test_offline_opens_no_network_socket(server: DnsTestServer, locator: TableLocator,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    class NoNetwork(socket.socket):
        def __init__(self, family: int = -1, *args: object, **kwargs: object) -> None:
            if family in (socket.AF_INET, socket.AF_INET6):
                raise AssertionError("offline mode opened a network socket")
            super().__init__(family, *args, **kwargs)  # type: ignore[arg-type]

    asked_before = len(server.queries)
    monkeypatch.setattr(socket, "socket", NoNetwork)
    offline = DnsResolver(locator, offline=True, nameservers=[server.nameserver], clock=lambda: NOW)
    evidence = offline.resolve(asset("v4.exemple.ma"))
    monkeypatch.undo()
    assert only_failure(evidence) == "offline: DNS not queried (--offline)"
    assert evidence[0].subject == "v4.exemple.ma"
    assert len(server.queries) == asked_before
    assert locator.asked == []


def test_missing_system_configuration_fails_each_name_without_crashing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locator: TableLocator
) -> None:
    empty = tmp_path / "resolv.conf"
    empty.write_text("# no nameserver line\n")
    read = dns.resolver.Resolver.read_resolv_conf
    monkeypatch.setattr(dns.resolver.Resolver, "read_resolv_conf", lambda self, _f: read(self, str(empty)))
    failure = only_failure(DnsResolver(locator, clock=lambda: NOW).resolve(asset("v4.exemple.ma")))
    assert failure.startswith("no usable system DNS configuration")


def test_url_target_is_resolved_by_its_host(resolver: DnsResolver) -> None:
    url = asset("https://v4.exemple.ma:8443/admin", TargetKind.URL, host="v4.exemple.ma")
    assert resolver.applies_to(url)
    name, located = resolver.resolve(url)
    assert name.subject == "v4.exemple.ma"
    assert located.subject == MA_V4


@pytest.mark.parametrize(
    ("raw", "kind", "host"),
    [
        ("https://196.200.131.10/admin", TargetKind.URL, "196.200.131.10"),
        ("https://[2a01:111:f100::10]/", TargetKind.URL, "2a01:111:f100::10"),
        ("196.200.131.10", TargetKind.IP, "196.200.131.10"),
        ("196.200.131.0/24", TargetKind.CIDR, "196.200.131.0/24"),
    ],
)
def test_address_targets_are_not_for_dns(raw: str, kind: TargetKind, host: str,
                                         resolver: DnsResolver) -> None:
    assert not resolver.applies_to(asset(raw, kind, host))
    assert resolver.resolve_all([asset(raw, kind, host)]) == {}


# ----------------------------------------------------------------------------------------- nameservers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("[::1]:5353", ("::1", 5353)),
        ("[::1]", ("::1", 53)),
        ("::1", ("::1", 53)),
        (" 2001:DB8::53 ", ("2001:db8::53", 53)),
    ],
)
def test_nameserver_forms(text: str, expected: tuple[str, int]) -> None:
    assert parse_nameserver(text) == expected


@pytest.mark.parametrize(
    "text", ["", "dns.google", "dns.google:53", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
             "127.0.0.1:dns", "[::1", "[::1]5353", "::1:5353:x"]
)
def test_bad_nameserver_is_a_usage_error(text: str, locator: TableLocator) -> None:
    with pytest.raises(UsageError, match="nameserver"):
        parse_nameserver(text)
    with pytest.raises(UsageError):
        DnsResolver(locator, offline=True, nameservers=[text], clock=lambda: NOW)


def test_first_nameserver_failing_falls_back_to_the_next(
    locator: TableLocator, server: DnsTestServer
) -> None:
    with serve_zone({"v4.exemple.ma": Entry(rcode="REFUSED")}) as refusing:
        both = DnsResolver(locator, nameservers=[refusing.nameserver, server.nameserver], timeout=0.5,
                           clock=lambda: NOW, zone_nameservers=False)
        name, located = both.resolve(asset("v4.exemple.ma"))
    assert name.raw["nameserver"] == server.nameserver
    assert located.claim == Claim(country="MA")


def test_every_nameserver_failing_names_each_reason(locator: TableLocator) -> None:
    with serve_zone({"v4.exemple.ma": Entry(rcode="REFUSED")}) as refusing, \
            serve_zone({"v4.exemple.ma": Entry(rcode="SERVFAIL")}) as broken:
        both = DnsResolver(locator, nameservers=[refusing.nameserver, broken.nameserver], timeout=0.5,
                           clock=lambda: NOW, zone_nameservers=False)
        failure = only_failure(both.resolve(asset("v4.exemple.ma")))
        asked = len(refusing.queries), len(broken.queries)
    assert failure == (f"every nameserver failed: {refusing.nameserver}: REFUSED: the nameserver refused to "
                       f"answer; {broken.nameserver}: SERVFAIL: the nameserver could not resolve the name")
    assert asked == (2, 2)  # A and AAAA once each: a definite refusal is not retried


def test_answer_too_large_for_udp_is_fetched_over_tcp(locator: TableLocator) -> None:
    many = tuple(f"196.200.{i}.1" for i in range(1, 61))
    with serve_zone({"ferme-web.exemple.ma": Entry(a=many)}, udp_limit=512) as truncating:
        big = DnsResolver(locator, nameservers=[truncating.nameserver], timeout=0.5, clock=lambda: NOW,
                          zone_nameservers=False)
        name, *located = big.resolve(asset("ferme-web.exemple.ma"))
        protocols = {query.protocol for query in truncating.queries}
    assert len(name.raw["addresses"]) == len(located) == 60
    assert protocols == {"udp", "tcp"}
