"""RdapResolver against a real HTTP server on 127.0.0.1 (pytest-httpserver) serving recorded-style RDAP JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from residency_scan.locate import locate
from residency_scan.models import (
    Asset,
    AssetKind,
    Claim,
    Evidence,
    LocationStatus,
    Sensitivity,
    SourceRef,
    Strength,
    Target,
    TargetKind,
)
from residency_scan.resolvers.rdap import RdapResolver, parse_rdap_url, registrable_domain, sanitise

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
ASSETS = Path(__file__).resolve().parent.parent / "assets" / "rdap"
RDAP_JSON = "application/rdap+json"


def recorded(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ASSETS / name).read_text(encoding="utf-8"))
    return loaded


def asset(raw: str, kind: TargetKind, host: str, asset_id: str = "a1") -> Asset:
    return Asset(id=asset_id, kind=AssetKind.SERVER, sensitivity=Sensitivity.SENSITIVE,
                 target=Target(raw=raw, kind=kind, host=host), source=SourceRef(path="inv.yaml", line=1))


def ip_asset(address: str, asset_id: str = "a1") -> Asset:
    return asset(address, TargetKind.IP, address, asset_id)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy from the environment must not intercept requests to the loopback server."""
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    yield httpserver
    httpserver.clear()


def resolver_for(server: HTTPServer, **options: Any) -> RdapResolver:
    base = server.url_for("/rdap")
    return RdapResolver(clock=lambda: T0, base_urls={"ip": base, "domain": base}, **options)


def only(evidence: list[Evidence]) -> Evidence:
    assert len(evidence) == 1
    return evidence[0]


def test_afrinic_network_gives_registered_ma_with_handle_and_name(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_json(recorded("ip-afrinic-ma.json"),
                                                                     content_type=RDAP_JSON)
    resolver = resolver_for(server)
    target = ip_asset("41.248.10.10")
    assert resolver.applies_to(target)
    ev = only(resolver.resolve(target))
    assert ev.source == "rdap" and ev.dataset == "rdap"
    assert ev.strength is Strength.REGISTERED
    assert ev.subject == "41.248.10.10"
    assert ev.claim == Claim(country="MA")
    assert ev.failure is None
    assert ev.raw["handle"] == "41.248.0.0 - 41.251.255.255"
    assert ev.raw["name"] == "IAM-ADSL-MA"
    assert ev.raw["port43"] == "whois.afrinic.net"
    assert ev.raw["registrant_country"] == "MA"
    assert ev.raw["status"] == ["active"]
    assert server.log[0][0].headers["Accept"].startswith("application/rdap+json")


def test_ripe_network_for_a_cidr_gives_fr(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/2.1.0.0/16").respond_with_json(recorded("ip-ripe-fr.json"),
                                                                   content_type=RDAP_JSON)
    ev = only(resolver_for(server).resolve(asset("2.1.0.0/16", TargetKind.CIDR, "2.1.0.0/16")))
    assert ev.claim == Claim(country="FR")
    assert ev.subject == "2.1.0.0/16"
    assert ev.raw["startAddress"] == "2.0.0.0"


def test_record_covering_only_part_of_the_range_is_a_failure(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/2.0.0.0/8").respond_with_json(recorded("ip-ripe-fr.json"))
    ev = only(resolver_for(server).resolve(asset("2.0.0.0/8", TargetKind.CIDR, "2.0.0.0/8")))
    assert ev.claim is None
    assert ev.failure is not None and "only part of 2.0.0.0/8" in ev.failure


def test_redirect_to_the_registry_is_followed(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_response(
        Response(status=303, headers={"Location": server.url_for("/afrinic/ip/41.248.10.10")}))
    server.expect_request("/afrinic/ip/41.248.10.10").respond_with_json(recorded("ip-afrinic-ma.json"),
                                                                        content_type=RDAP_JSON)
    ev = only(resolver_for(server).resolve(ip_asset("41.248.10.10")))
    assert ev.claim == Claim(country="MA")
    assert ev.raw["url"].endswith("/afrinic/ip/41.248.10.10")


def test_redirect_loop_is_a_failure(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_response(
        Response(status=302, headers={"Location": server.url_for("/rdap/ip/41.248.10.10")}))
    ev = only(resolver_for(server).resolve(ip_asset("41.248.10.10")))
    assert ev.claim is None
    assert ev.failure is not None and "redirect" in ev.failure


def test_redirect_to_a_non_web_scheme_is_refused(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_response(
        Response(status=302, headers={"Location": "file:///etc/passwd"}))
    ev = only(resolver_for(server).resolve(ip_asset("41.248.10.10")))
    assert ev.claim is None
    assert ev.failure is not None and "redirect" in ev.failure


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, "RDAP: no record for 41.248.10.10"),
        (429, "RDAP: rate limited (429), retry later"),
        (500, "RDAP: registry server error (HTTP 500) for 41.248.10.10"),
        (403, "RDAP: registry refused the query (HTTP 403) for 41.248.10.10"),
    ],
)
def test_http_errors_are_distinct_failures(server: HTTPServer, status: int, expected: str) -> None:
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_data("nope", status=status)
    ev = only(resolver_for(server).resolve(ip_asset("41.248.10.10")))
    assert ev.claim is None
    assert ev.failure is not None and ev.failure.startswith(expected)
    assert ev.strength is Strength.REGISTERED and ev.dataset == "rdap"


def test_rate_limit_reports_retry_after_without_retrying(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_data("", status=429, headers={"Retry-After": "30"})
    ev = only(resolver_for(server).resolve(ip_asset("41.248.10.10")))
    assert ev.failure == "RDAP: rate limited (429), retry later (Retry-After: 30)"
    assert len(server.log) == 1


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ('{"objectClassName": "ip network", "country": "MA"', RDAP_JSON, "malformed JSON"),
        ("[" * 100_000 + "]" * 100_000, RDAP_JSON, "malformed JSON"),
        ("<html><body>Service unavailable</body></html>", "text/html", "is not JSON (content type text/html)"),
        ('{"objectClassName": "entity", "country": "MA"}', RDAP_JSON, "is not an RDAP ip network object"),
        ('["MA"]', RDAP_JSON, "is not an RDAP ip network object"),
    ],
)
def test_unusable_bodies_are_distinct_failures(server: HTTPServer, body: str, content_type: str,
                                               expected: str) -> None:
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_data(body, content_type=content_type)
    ev = only(resolver_for(server, max_bytes=1_000_000).resolve(ip_asset("41.248.10.10")))
    assert ev.claim is None
    assert ev.failure is not None and expected in ev.failure


def test_oversized_body_is_refused(server: HTTPServer) -> None:
    record = recorded("ip-afrinic-ma.json") | {"remarks": [{"description": ["x" * 5000]}]}
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_json(record, content_type=RDAP_JSON)
    ev = only(resolver_for(server, max_bytes=1000).resolve(ip_asset("41.248.10.10")))
    assert ev.claim is None
    assert ev.failure == "RDAP: answer for 41.248.10.10 larger than 1000 bytes, not read"


def test_invalid_country_is_ignored(server: HTTPServer) -> None:
    record = recorded("ip-afrinic-ma.json") | {"country": "M\x1b[31mA"}
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_json(record, content_type=RDAP_JSON)
    ev = only(resolver_for(server).resolve(ip_asset("41.248.10.10")))
    assert ev.claim is None
    assert ev.failure == "RDAP: the registry record for 41.248.10.10 names no ISO 3166 country"


@pytest.mark.parametrize("code", ["EU", "AP", "ZZ"])
def test_a_region_code_is_not_a_country(server: HTTPServer, code: str) -> None:
    """Registries write EU or AP for a region; like WHOIS, RDAP places nothing with them."""
    record = recorded("ip-afrinic-ma.json") | {"country": code}
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_json(record, content_type=RDAP_JSON)
    ev = only(resolver_for(server).resolve(ip_asset("41.248.10.10")))
    assert ev.claim is None and ev.raw["country"] == code


def test_a_network_record_without_a_range_does_not_claim_the_whole_network(server: HTTPServer) -> None:
    record = {k: v for k, v in recorded("ip-ripe-fr.json").items() if k not in ("startAddress", "endAddress")}
    server.expect_request("/rdap/ip/2.1.0.0/16").respond_with_json(record, content_type=RDAP_JSON)
    ev = only(resolver_for(server).resolve(asset("2.1.0.0/16", TargetKind.CIDR, "2.1.0.0/16")))
    assert ev.claim is None
    assert ev.failure is not None and "whether it covers all of 2.1.0.0/16 is unknown" in ev.failure


def test_escape_sequences_and_html_in_names_and_remarks_are_sanitised(server: HTTPServer) -> None:
    record = recorded("ip-afrinic-ma.json") | {
        "name": "\x1b]8;;https://evil.example\x07IAM\x1b]8;;\x07-\x1b[31mNET<script>alert(1)</script>",
        "remarks": [{"description": ["ok \x1b[2J\x1b[Hcleared", "<b>bold</b>\u202eAM"]}],
        "port43": "whois\x00\x9b31m.afrinic.net" + "x" * 1000,
    }
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_json(record, content_type=RDAP_JSON)
    ev = only(resolver_for(server).resolve(ip_asset("41.248.10.10")))
    dumped = ev.model_dump_json()
    for bad in ("\\u001b", "\\u009b", "\\u0000", "\\u202e", "<script>", "evil.example", "<b>"):
        assert bad not in dumped
    assert ev.raw["name"].startswith("IAM") and "NET" in ev.raw["name"]
    assert "cleared" in ev.raw["remarks"][0]
    assert len(ev.raw["port43"]) <= 201
    assert ev.claim == Claim(country="MA")


def test_timeout_is_a_failure(server: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.5)
        return Response(json.dumps(recorded("ip-afrinic-ma.json")), content_type=RDAP_JSON)

    server.expect_request("/rdap/ip/41.248.10.10").respond_with_handler(slow)
    started = time.monotonic()
    ev = only(resolver_for(server, timeout=0.5).resolve(ip_asset("41.248.10.10")))
    assert time.monotonic() - started < 1.4
    assert ev.failure == "RDAP: no answer within 0.5 s for 41.248.10.10"
    time.sleep(1.2)  # let the server finish the slow handler before the next test uses it


def test_answer_dripping_slowly_is_cut_at_the_total_deadline(server: HTTPServer) -> None:
    def drip(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(10):
                time.sleep(0.2)
                yield b" "
            yield json.dumps(recorded("ip-afrinic-ma.json")).encode()

        return Response(body(), content_type=RDAP_JSON)

    server.expect_request("/rdap/ip/41.248.10.10").respond_with_handler(drip)
    started = time.monotonic()
    ev = only(resolver_for(server, timeout=0.25).resolve(ip_asset("41.248.10.10")))
    elapsed = time.monotonic() - started
    assert ev.failure == "RDAP: no answer within 0.25 s for 41.248.10.10"
    assert elapsed < 1.8  # each byte came within the timeout: only the total deadline (4 x 0.25 s) stops it
    time.sleep(max(0.0, 2.3 - elapsed))  # let the server finish dripping


@pytest.mark.parametrize(
    ("option", "expected"),
    [("ip=http://127.0.0.1:8080/rdap", ("ip", "http://127.0.0.1:8080/rdap")),
     ("DOMAIN=https://rdap.nic.ma", ("domain", "https://rdap.nic.ma"))],
)
def test_parse_rdap_url(option: str, expected: tuple[str, str]) -> None:
    assert parse_rdap_url(option) == expected


@pytest.mark.parametrize("option", ["http://x", "asn=https://rdap.arin.net", "ip=file:///etc/passwd", "ip="])
def test_parse_rdap_url_refuses_bad_options(option: str) -> None:
    with pytest.raises(ValueError, match="expected ip=URL or domain=URL"):
        parse_rdap_url(option)


def test_unreachable_registry_is_a_failure() -> None:
    resolver = RdapResolver(clock=lambda: T0, base_urls={"ip": "http://127.0.0.1:9/rdap"}, timeout=2)
    ev = only(resolver.resolve(ip_asset("41.248.10.10")))
    assert ev.failure is not None and ev.failure.startswith("RDAP: cannot reach the registry for 41.248.10.10")


def test_offline_applies_to_nothing_and_sends_nothing(server: HTTPServer) -> None:
    resolver = resolver_for(server, offline=True)
    assets = [ip_asset("41.248.10.10"), asset("www.exemple.gov.ma", TargetKind.HOSTNAME, "www.exemple.gov.ma", "a2")]
    assert not any(resolver.applies_to(a) for a in assets)
    assert resolver.resolve_all(assets) == {}
    assert list(resolver.data_sources()) == []
    assert server.log == []


def test_reserved_addresses_and_internal_names_are_never_sent(server: HTTPServer) -> None:
    resolver = resolver_for(server)
    assert not resolver.applies_to(ip_asset("10.1.2.3"))
    assert not resolver.applies_to(asset("192.168.0.0/16", TargetKind.CIDR, "192.168.0.0/16"))
    assert not resolver.applies_to(asset("git.corp.local", TargetKind.HOSTNAME, "git.corp.local"))
    assert not resolver.applies_to(asset("intranet", TargetKind.HOSTNAME, "intranet"))
    assert server.log == []


def test_domain_lookup_is_supporting_evidence_only(server: HTTPServer) -> None:
    server.expect_request("/rdap/domain/exemple.gov.ma").respond_with_json(recorded("domain-ma.json"),
                                                                          content_type=RDAP_JSON)
    target = asset("https://portail.exemple.gov.ma/login", TargetKind.URL, "portail.exemple.gov.ma")
    ev = only(resolver_for(server).resolve(target))
    assert ev.subject == "exemple.gov.ma"
    assert ev.claim is None and ev.failure is None
    assert ev.raw["registrar"] == "Registrar Exemple SARL"
    assert ev.raw["registrant_country"] == "MA"
    assert ev.raw["ldhName"] == "exemple.gov.ma"
    assert locate([ev]).status is LocationStatus.UNKNOWN
    assert locate([ev]).parts == ()


def test_failed_domain_lookup_does_not_become_a_subject(server: HTTPServer) -> None:
    server.expect_request("/rdap/domain/exemple.ma").respond_with_data("", status=500)
    ev = only(resolver_for(server).resolve(asset("www.exemple.ma", TargetKind.HOSTNAME, "www.exemple.ma")))
    assert ev.failure is None and ev.claim is None
    assert ev.raw["failure"] == "RDAP: registry server error (HTTP 500) for exemple.ma"


def test_resolve_all_looks_each_network_up_once(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_json(recorded("ip-afrinic-ma.json"),
                                                                     content_type=RDAP_JSON)
    server.expect_request("/rdap/ip/2.1.0.0/16").respond_with_json(recorded("ip-ripe-fr.json"),
                                                                   content_type=RDAP_JSON)
    assets = [ip_asset("41.248.10.10", "a1"), ip_asset("41.248.10.10", "a2"),
              asset("2.1.0.0/16", TargetKind.CIDR, "2.1.0.0/16", "a3"), ip_asset("10.0.0.1", "a4")]
    resolver = resolver_for(server)
    found = resolver.resolve_all(assets)
    assert sorted(found) == ["a1", "a2", "a3"]
    assert [e.claim for e in found["a2"]] == [Claim(country="MA")]
    assert [e.claim for e in found["a3"]] == [Claim(country="FR")]
    assert len(server.log) == 2
    resolver.resolve(assets[0])
    assert len(server.log) == 2  # cached for the run
    (source,) = resolver.data_sources()
    assert source.id == "rdap" and source.date == T0.date() and source.version == "RFC 9083"


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("www.exemple.gov.ma", "exemple.gov.ma"),
        ("a.b.co.ma", "b.co.ma"),
        ("mail.google.com", "google.com"),
        ("portal.azure.com", "azure.com"),
        ("x.org.com", "org.com"),  # the rule only applies under a two-letter ccTLD
        ("localhost", None),
        ("printer.lan", None),
        ("srv.home.arpa", None),
    ],
)
def test_registrable_domain(host: str, expected: str | None) -> None:
    assert registrable_domain(host) == expected


def test_sanitise_replaces_controls_and_bounds_length() -> None:
    assert sanitise("ad\x00min") == "ad min"
    assert sanitise("ad\x1b[1mmin") == "ad min"
    assert sanitise(42) is None
    assert sanitise("\x1b[31m") is None
    long = sanitise("x" * 10_000)
    assert long is not None and len(long) == 201


def test_bad_base_url_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="http"):
        RdapResolver(clock=lambda: T0, base_urls={"ip": "file:///etc"})


# ----------------------------------------------------------------------------------- fusion with locate


def _geoip_registered(subject: str, country: str) -> Evidence:
    return Evidence(source="geoip", strength=Strength.REGISTERED, subject=subject, claim=Claim(country=country),
                    observed_at=T0, dataset="rir-country")


def _declared(country: str) -> Evidence:
    return Evidence(source="declared", strength=Strength.DECLARED, subject="a1", claim=Claim(country=country),
                    observed_at=T0)


def test_registry_ma_rdap_ma_and_declared_ma_are_confirmed(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_json(recorded("ip-afrinic-ma.json"),
                                                                     content_type=RDAP_JSON)
    rdap = only(resolver_for(server).resolve(ip_asset("41.248.10.10")))
    location = locate([_geoip_registered("41.248.10.10", "MA"), rdap, _declared("MA")])
    assert location.status is LocationStatus.CONFIRMED
    assert location.countries == ("MA",)
    assert location.parts[0].sources == ("geoip/rir-country", "rdap")


def test_rdap_fr_against_declared_ma_is_contradicted(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/2.1.2.3").respond_with_json(recorded("ip-ripe-fr.json"), content_type=RDAP_JSON)
    rdap = only(resolver_for(server).resolve(ip_asset("2.1.2.3")))
    location = locate([rdap, _declared("MA")])
    assert location.status is LocationStatus.CONTRADICTED
    assert "rdap vs declared" in location.reason


def test_rdap_alone_never_confirms(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_json(recorded("ip-afrinic-ma.json"),
                                                                     content_type=RDAP_JSON)
    rdap = only(resolver_for(server).resolve(ip_asset("41.248.10.10")))
    assert locate([rdap]).status is LocationStatus.UNKNOWN


def test_rdap_failure_does_not_block_other_sources(server: HTTPServer) -> None:
    server.expect_request("/rdap/ip/41.248.10.10").respond_with_data("", status=429)
    rdap = only(resolver_for(server).resolve(ip_asset("41.248.10.10")))
    location = locate([_geoip_registered("41.248.10.10", "MA"), rdap, _declared("MA")])
    assert location.status is LocationStatus.CONFIRMED


def test_prefetch_asks_about_cdn_addresses_last(server: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry that starts rate limiting stops every later query: spend its answers where they count."""
    import residency_scan.resolvers.rdap as rdap_module
    from residency_scan.resolvers.cdn_ranges import anycast_flag

    monkeypatch.setattr(rdap_module, "WORKERS", 1)  # one query at a time, so the server sees the order
    for address in ("104.16.1.1", "41.248.10.10", "41.248.10.11"):
        server.expect_request(f"/rdap/ip/{address}").respond_with_json(recorded("ip-afrinic-ma.json"),
                                                                        content_type=RDAP_JSON)
    cdn = {"104.16.1.1": anycast_flag("test")}
    resolver = resolver_for(server, cdn=cdn.get)
    resolver.prefetch(["104.16.1.1", "41.248.10.10", "41.248.10.11"])
    asked = [request.path.rsplit("/", 1)[1] for request, _ in server.log]
    assert asked == ["41.248.10.10", "41.248.10.11", "104.16.1.1"]
