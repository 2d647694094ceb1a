"""TlsEdgeResolver with several https targets at once, names resolved through the scan's DNS server, and the
edge that answered at a CDN address placing that address: real HTTPS servers (trustme) and a real DNS server
(dnslib) on the loopback interface."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

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
from residency_scan.resolvers.cdn_ranges import CdnMatch, withhold
from residency_scan.resolvers.tls_edge import TlsEdgeResolver
from tests.dnsserver import Entry, serve_zone

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
NAME = "console.exemple.test"
Headers = list[tuple[str, str]]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


class _V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class EdgeServer:
    """An HTTPS server in a thread; `gate` is called before each answer (a barrier, a counter...)."""

    def __init__(self, ca: trustme.CA, headers: Headers, *, gate: Callable[[], bool] | None = None,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                passed = gate() if gate is not None else True
                self.send_response(200 if passed else 503)
                for name, value in headers if passed else []:
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        server_class = _V6Server if ":" in host else ThreadingHTTPServer
        self.httpd = server_class((host, port), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost", "127.0.0.1", "::1", NAME).configure_cert(context)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port: int = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[list[EdgeServer]]:
    started: list[EdgeServer] = []
    yield started
    for server in started:
        server.close()


def https_asset(asset_id: str, port: int, host: str = "127.0.0.1") -> Asset:
    return Asset(id=asset_id, kind=AssetKind.ADMIN_INTERFACE, sensitivity=Sensitivity.SENSITIVE,
                 target=Target(raw=f"https://{host}:{port}/", kind=TargetKind.URL, host=host, port=port,
                               scheme="https"),
                 source=SourceRef(path="inv.yaml", line=4))


def edge_countries(evidence: list[Evidence]) -> list[str]:
    return [str(e.claim.country) for e in evidence if e.claim is not None and e.subject.startswith("edge:")]


def test_targets_are_probed_concurrently(ca: trustme.CA, ca_file: Path, servers: list[EdgeServer]) -> None:
    barrier = threading.Barrier(3, timeout=5)

    def together() -> bool:
        # NOTE: each server answers only once all three requests are in flight: a resolver connecting one
        # target at a time would break the barrier and get no edge header at all.
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            return False
        return True

    codes = ("CMN", "CDG", "MAD")
    servers += [EdgeServer(ca, [("cf-ray", f"8c1e2f3a4b5c6d7e-{code}")], gate=together) for code in codes]
    assets = [https_asset(f"a{i}", server.port) for i, server in enumerate(servers)]
    found = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, concurrency=3).resolve_all(assets)
    assert {aid: edge_countries(ev) for aid, ev in found.items()} == {"a0": ["MA"], "a1": ["FR"], "a2": ["ES"]}


def test_concurrency_is_bounded(ca: trustme.CA, ca_file: Path, servers: list[EdgeServer]) -> None:
    lock = threading.Lock()
    state = {"now": 0, "most": 0}
    release = threading.Event()

    def counted() -> bool:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        release.wait(0.2)  # hold the connection a moment so that overlapping requests can be seen
        with lock:
            state["now"] -= 1
        return True

    servers += [EdgeServer(ca, [("cf-ray", "8c1e2f3a4b5c6d7e-CMN")], gate=counted) for _ in range(5)]
    assets = [https_asset(f"a{i}", server.port) for i, server in enumerate(servers)]
    found = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, concurrency=2).resolve_all(assets)
    assert all(edge_countries(ev) == ["MA"] for ev in found.values()) and len(found) == 5
    assert 1 <= state["most"] <= 2


def test_a_slow_target_fails_alone(ca: trustme.CA, ca_file: Path, servers: list[EdgeServer]) -> None:
    servers += [EdgeServer(ca, [("x-amz-cf-pop", "CMN50-C1")]), EdgeServer(ca, [("cf-ray", "0a-CDG")])]
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)  # accepts the TCP connection, never answers the TLS handshake
        assets = [https_asset("fast1", servers[0].port), https_asset("slow", silent.getsockname()[1]),
                  https_asset("fast2", servers[1].port)]
        found = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, timeout=0.5, concurrency=4).resolve_all(assets)
    assert edge_countries(found["fast1"]) == ["MA"] and edge_countries(found["fast2"]) == ["FR"]
    [slow] = found["slow"]
    assert slow.failure is not None and "timeout" in slow.failure and slow.subject == "edge:127.0.0.1"


def test_the_scans_dns_server_resolves_the_name_and_sni_is_the_name(ca: trustme.CA, ca_file: Path,
                                                                    servers: list[EdgeServer]) -> None:
    servers.append(EdgeServer(ca, [("cf-ray", "8c1e2f3a4b5c6d7e-CMN")]))
    with serve_zone({NAME: Entry(a=("127.0.0.1",))}) as dns:
        resolver = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, nameservers=[dns.nameserver],
                                   dns_timeout=1.0)
        evidence = resolver.resolve(https_asset("c", servers[0].port, NAME))
        asked = [(q.name, q.type) for q in dns.queries]
    assert (NAME, "A") in asked and (NAME, "AAAA") in asked
    [support] = [e for e in evidence if e.subject == NAME]
    assert support.raw["validates"] is True  # the certificate names NAME: SNI and Host carried the name
    assert support.raw["address"] == "127.0.0.1" and support.raw["resolver"] == dns.nameserver
    [edge] = [e for e in evidence if e.claim is not None]
    assert edge.subject == f"edge:{NAME}" and edge.claim == Claim(country="MA", provider="Cloudflare")
    assert edge.raw["addresses"] == ["127.0.0.1"]


def test_a_name_that_does_not_resolve_is_a_failure(ca_file: Path) -> None:
    with serve_zone({}) as dns:
        resolver = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, nameservers=[dns.nameserver],
                                   dns_timeout=1.0)
        [failure] = resolver.resolve(https_asset("c", 443, "absent.exemple.test"))
    assert failure.subject == "edge:absent.exemple.test"
    assert failure.failure == "absent.exemple.test does not resolve (NXDOMAIN)"


def test_an_unreachable_address_among_several_is_recorded_not_fatal(ca: trustme.CA, ca_file: Path,
                                                                    servers: list[EdgeServer]) -> None:
    servers.append(EdgeServer(ca, [("Server", "nginx")]))
    port = servers[0].port
    with serve_zone({NAME: Entry(a=("127.0.0.1",), aaaa=("::1",))}) as dns:
        resolver = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, nameservers=[dns.nameserver],
                                   dns_timeout=1.0, timeout=1.0)
        evidence = resolver.resolve(https_asset("c", port, NAME))
    assert [e.failure for e in evidence if e.failure] == []
    [support] = evidence
    assert support.raw["address"] == "127.0.0.1"
    [(address, reason)] = support.raw["unreachable"].items()
    assert address == "::1" and f"{NAME} (::1) port {port}" in reason


def test_every_address_down_is_one_failure_naming_them(ca_file: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with serve_zone({NAME: Entry(a=("127.0.0.1",), aaaa=("::1",))}) as dns:
        resolver = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, nameservers=[dns.nameserver],
                                   dns_timeout=1.0, timeout=1.0)
        [failure] = resolver.resolve(https_asset("c", port, NAME))
    assert failure.failure is not None and failure.failure.startswith(f"none of the 2 addresses of {NAME} answered")
    assert set(failure.raw["errors"]) == {"127.0.0.1", "::1"}


def _cloudflare(address: str) -> CdnMatch | None:
    return CdnMatch("cloudflare", "Cloudflare", "anycast", "prefix", "127.0.0.0/8") if address == "127.0.0.1" else None


def test_the_edge_at_a_cdn_address_places_that_address(ca: trustme.CA, ca_file: Path,
                                                       servers: list[EdgeServer]) -> None:
    servers.append(EdgeServer(ca, [("cf-ray", "8c1e2f3a4b5c6d7e-CMN")]))
    resolver = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, cdn=_cloudflare)
    evidence = resolver.resolve(https_asset("c", servers[0].port))
    [placed] = [e for e in evidence if e.subject == "127.0.0.1" and e.claim is not None]
    assert placed.claim == Claim(country="MA", provider="Cloudflare") and placed.strength is Strength.AUTHORITATIVE
    assert placed.raw["cdn"]["network"] == "cloudflare" and placed.raw["edge_of"] == "127.0.0.1"
    geoip = Evidence(source="geoip", strength=Strength.REGISTERED, subject="127.0.0.1", claim=Claim(country="US"),
                     observed_at=NOW, dataset="rir-country")
    match = _cloudflare("127.0.0.1")
    assert match is not None
    location = locate([withhold(geoip, match), *evidence])
    assert location.status is LocationStatus.CONFIRMED and location.countries == ("MA",)
    assert locate([withhold(geoip, match)]).status is LocationStatus.UNKNOWN  # without the edge: unknown


def test_another_cdns_edge_does_not_place_the_address(ca: trustme.CA, ca_file: Path,
                                                      servers: list[EdgeServer]) -> None:
    servers.append(EdgeServer(ca, [("x-served-by", "cache-cmn1-CMN")]))  # Fastly headers at a Cloudflare address
    evidence = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, cdn=_cloudflare).resolve(
        https_asset("c", servers[0].port))
    assert [e.subject for e in evidence if e.claim is not None] == ["edge:127.0.0.1"]


def test_the_same_edge_behind_two_addresses_is_one_evidence(ca: trustme.CA, ca_file: Path,
                                                            servers: list[EdgeServer]) -> None:
    servers.append(EdgeServer(ca, [("cf-ray", "8c1e2f3a4b5c6d7e-CDG")]))
    try:
        servers.append(EdgeServer(ca, [("cf-ray", "9d2f-CDG")], host="::1", port=servers[0].port))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with serve_zone({NAME: Entry(a=("127.0.0.1",), aaaa=("::1",))}) as dns:
        evidence = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, nameservers=[dns.nameserver],
                                   dns_timeout=1.0).resolve(https_asset("c", servers[0].port, NAME))
    [edge] = [e for e in evidence if e.claim is not None]
    assert edge.claim == Claim(country="FR", provider="Cloudflare") and edge.raw["addresses"] == ["127.0.0.1", "::1"]
    assert sorted(e.raw["address"] for e in evidence if e.subject == NAME) == ["127.0.0.1", "::1"]


def test_without_dns_servers_the_system_resolves_the_name(ca: trustme.CA, ca_file: Path,
                                                          servers: list[EdgeServer]) -> None:
    try:
        system = {info[4][0] for info in socket.getaddrinfo("localhost", 443, type=socket.SOCK_STREAM)}
    except socket.gaierror:
        pytest.skip("localhost does not resolve here")
    if "127.0.0.1" not in system:
        pytest.skip("localhost is not 127.0.0.1 here")
    servers.append(EdgeServer(ca, [("cf-ray", "8c1e2f3a4b5c6d7e-CMN")]))
    evidence = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, timeout=1.0).resolve(
        https_asset("c", servers[0].port, "localhost"))
    [support] = [e for e in evidence if e.subject == "localhost" and e.raw.get("address") == "127.0.0.1"]
    assert support.raw["resolver"] == "system" and support.raw["validates"] is True
    assert edge_countries(evidence) == ["MA"]
