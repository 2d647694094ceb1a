"""DnsResolver against a real DNS server on 127.0.0.1 (tests/dnsserver.py): what dnspython really reports
for each answer and each failure, turned into evidence. Only the address locator is a small table."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dns.resolver
import pytest

from residency_scan.errors import UsageError
from residency_scan.models import (
    Asset,
    AssetKind,
    Claim,
    Evidence,
    Sensitivity,
    SourceRef,
    Strength,
    Target,
    TargetKind,
)
from residency_scan.resolvers.dns import DnsResolver, parse_nameserver
from tests.dnsserver import DnsTestServer, Entry, Query, serve_zone

NOW = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)

MA_V4 = "196.200.131.10"  # the table below decides the countries, not the real registries
MA_V4_BIS = "41.248.1.20"
FR_V4 = "51.15.4.4"
IE_V6 = "2a01:111:f100::10"
AZURE_EDGE = "13.107.246.10"

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
}


class TableLocator:
    """An AddressLocator backed by a dict, that remembers what it was asked."""

    def __init__(self, countries: dict[str, str]) -> None:
        self.countries = countries
        self.asked: list[str] = []

    def locate_address(self, address: str) -> list[Evidence]:
        self.asked.append(address)
        country = self.countries.get(address)
        if country is None:
            return [Evidence(source="geoip", strength=Strength.MEASURED, subject=address,
                             failure="address not in the table", observed_at=NOW)]
        return [Evidence(source="geoip", strength=Strength.MEASURED, subject=address,
                         claim=Claim(country=country), observed_at=NOW)]


@pytest.fixture(scope="module")
def server() -> Iterator[DnsTestServer]:
    with serve_zone(ZONE) as running:
        yield running


@pytest.fixture
def locator() -> TableLocator:
    return TableLocator({MA_V4: "MA", MA_V4_BIS: "MA", FR_V4: "FR", IE_V6: "IE", AZURE_EDGE: "NL"})


@pytest.fixture
def resolver(server: DnsTestServer, locator: TableLocator) -> DnsResolver:
    return DnsResolver(locator, nameservers=[server.nameserver], timeout=0.5, clock=lambda: NOW)


def asset(raw: str, kind: TargetKind = TargetKind.HOSTNAME, host: str | None = None) -> Asset:
    target = Target(raw=raw, kind=kind, host=host if host is not None else raw)
    return Asset(id="a1", kind=AssetKind.SERVER, sensitivity=Sensitivity.SENSITIVE, target=target,
                 source=SourceRef(path="inventory.yaml", line=3))


def queries_for(server: DnsTestServer, name: str) -> list[Query]:
    return [query for query in server.queries if query.name == name]


def only_failure(evidence: list[Evidence]) -> str:
    assert len(evidence) == 1, evidence
    (single,) = evidence
    assert single.source == "dns" and single.claim is None and single.failure is not None
    assert single.observed_at == NOW
    return single.failure


# ------------------------------------------------------------------------------------------------ answers


def test_a_record_only_gives_one_located_address(resolver: DnsResolver, server: DnsTestServer) -> None:
    name, located = resolver.resolve(asset("v4.exemple.ma"))
    assert (name.source, name.strength, name.subject) == ("dns", Strength.MEASURED, "v4.exemple.ma")
    assert name.failure is None and name.claim is None
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


def test_cname_chain_is_recorded_and_its_end_located(resolver: DnsResolver) -> None:
    name, located = resolver.resolve(asset("portail.exemple.ma"))
    assert name.raw["chain"] == [
        "portail.exemple.ma",
        "portail-exemple.azureedge.net",
        "portail-exemple.afd.azureedge.net",
    ]
    assert name.raw["ttl"] == 60  # the smallest TTL along the chain
    assert located.subject == AZURE_EDGE and located.claim == Claim(country="NL")


def test_cname_targets_with_hostile_text_are_kept_as_inert_text(resolver: DnsResolver) -> None:
    name, located = resolver.resolve(asset("piege.exemple.ma"))
    # DNS presentation format: quote, parentheses and space escaped as in a zone file; the markup itself is
    # kept as plain text for the reporters to escape, never interpreted here.
    assert name.raw["chain"][1] == 'x\\"<script>alert\\(1\\)</script>\\032.exemple.net'
    assert located.claim == Claim(country="FR")


def test_missing_aaaa_beside_an_a_answer_is_not_a_failure(resolver: DnsResolver) -> None:
    evidence = resolver.resolve(asset("v4.exemple.ma"))
    assert [e.failure for e in evidence] == [None, None]


def test_failed_aaaa_beside_an_a_answer_leaves_the_name_partly_unknown(resolver: DnsResolver) -> None:
    name, partial, located = resolver.resolve(asset("moitie.exemple.ma"))
    assert name.failure is None and name.raw["addresses"] == [MA_V4]
    assert partial.subject == "moitie.exemple.ma"
    assert partial.failure is not None
    assert partial.failure.startswith("AAAA lookup failed, addresses may be incomplete: SERVFAIL")
    assert located.claim == Claim(country="MA")


# ----------------------------------------------------------------------------------------------- failures


def test_nxdomain_is_a_failure_and_nothing_is_located(resolver: DnsResolver, locator: TableLocator,
                                                      server: DnsTestServer) -> None:
    failure = only_failure(resolver.resolve(asset("absent.exemple.ma")))
    assert failure == "NXDOMAIN: name does not exist"
    assert locator.asked == []
    assert queries_for(server, "absent.exemple.ma") == [Query("absent.exemple.ma", "A", "udp")]


def test_cname_to_a_missing_name_is_nxdomain_naming_the_target(resolver: DnsResolver) -> None:
    (evidence,) = resolver.resolve(asset("pendant.exemple.ma"))
    assert evidence.failure == "NXDOMAIN: name does not exist (disparu.exemple.net, reached through CNAME)"
    assert evidence.raw["chain"] == ["pendant.exemple.ma", "disparu.exemple.net"]


def test_servfail_and_refused_are_told_apart(resolver: DnsResolver) -> None:
    servfail = only_failure(resolver.resolve(asset("casse.exemple.ma")))
    refused = only_failure(resolver.resolve(asset("ferme.exemple.ma")))
    assert servfail.startswith("SERVFAIL:")
    assert refused.startswith("REFUSED:")


def test_name_without_addresses_is_a_failure_not_an_empty_success(resolver: DnsResolver) -> None:
    assert only_failure(resolver.resolve(asset("vide.exemple.ma"))) == "no A/AAAA records"


def test_slow_nameserver_times_out_with_the_configured_timeout(resolver: DnsResolver) -> None:
    started = time.monotonic()
    failure = only_failure(resolver.resolve(asset("lent.exemple.ma")))
    elapsed = time.monotonic() - started
    assert failure == "timeout after 0.5s"
    # Behaviour, not a benchmark: A then AAAA at 0.5 s each end long before the 4 s answer would arrive.
    assert elapsed < 3.0


def test_cname_loop_is_a_failure_not_a_hang(resolver: DnsResolver) -> None:
    failure = only_failure(resolver.resolve(asset("boucle.exemple.ma")))
    assert "CNAME chain too long or looping" in failure


@pytest.mark.parametrize(
    "host",
    [
        "x" * 64 + ".exemple.ma",  # label over 63 octets
        ".".join(["abcdefghi"] * 26) + ".ma",  # name over 255 octets
        "a..exemple.ma",  # empty label
    ],
)
def test_invalid_name_is_a_failure_and_is_never_sent(host: str, resolver: DnsResolver,
                                                     server: DnsTestServer) -> None:
    failure = only_failure(resolver.resolve(asset(host)))
    assert failure.startswith("invalid DNS name:")
    assert queries_for(server, host) == []


def test_missing_system_configuration_fails_each_name_without_crashing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locator: TableLocator
) -> None:
    empty = tmp_path / "resolv.conf"
    empty.write_text("# no nameserver line\n")
    read = dns.resolver.Resolver.read_resolv_conf
    monkeypatch.setattr(dns.resolver.Resolver, "read_resolv_conf", lambda self, _f: read(self, str(empty)))
    failure = only_failure(DnsResolver(locator, clock=lambda: NOW).resolve(asset("v4.exemple.ma")))
    assert failure.startswith("no usable system DNS configuration")


# -------------------------------------------------------------------------------------- offline and scope


def test_offline_opens_no_socket(server: DnsTestServer, locator: TableLocator,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def no_socket(*_args: object, **_kwargs: object) -> socket.socket:
        raise AssertionError("offline mode opened a socket")

    asked_before = len(server.queries)
    monkeypatch.setattr(socket, "socket", no_socket)
    offline = DnsResolver(locator, offline=True, nameservers=[server.nameserver], clock=lambda: NOW)
    evidence = offline.resolve(asset("v4.exemple.ma"))
    monkeypatch.undo()
    assert only_failure(evidence) == "offline: DNS not queried (--offline)"
    assert evidence[0].subject == "v4.exemple.ma"
    assert len(server.queries) == asked_before
    assert locator.asked == []


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


def test_asset_without_target_is_not_for_dns(resolver: DnsResolver) -> None:
    bare = Asset(id="saas", kind=AssetKind.SAAS, sensitivity=Sensitivity.SENSITIVE, vendor="datadog",
                 source=SourceRef(path="inventory.yaml"))
    assert not resolver.applies_to(bare)
    assert resolver.applies_to(asset("v4.exemple.ma"))


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
                           clock=lambda: NOW)
        name, located = both.resolve(asset("v4.exemple.ma"))
    assert name.raw["nameserver"] == server.nameserver
    assert located.claim == Claim(country="MA")


def test_answer_too_large_for_udp_is_fetched_over_tcp(locator: TableLocator) -> None:
    many = tuple(f"196.200.{i}.1" for i in range(1, 61))
    with serve_zone({"ferme-web.exemple.ma": Entry(a=many)}, udp_limit=512) as truncating:
        big = DnsResolver(locator, nameservers=[truncating.nameserver], timeout=0.5, clock=lambda: NOW)
        name, *located = big.resolve(asset("ferme-web.exemple.ma"))
        protocols = {query.protocol for query in truncating.queries}
    assert len(name.raw["addresses"]) == len(located) == 60
    assert protocols == {"udp", "tcp"}
