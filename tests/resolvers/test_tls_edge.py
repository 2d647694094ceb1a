"""TlsEdgeResolver against real HTTPS servers on 127.0.0.1 with a trustme test CA: the CDN headers a server
sends must become authoritative edge countries, and every way a connection can go wrong must be a failure."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import trustme

from residency_scan.errors import DatasetError
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
from residency_scan.resolvers.tls_edge import TlsEdgeResolver, clean, load_iata_table, parse_head

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
Headers = list[tuple[str, str]]
Serve = Callable[..., "Server"]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


class Server:
    """An HTTPS server in a thread whose every response carries `headers`."""

    def __init__(self, ca: trustme.CA, headers: Headers, head_status: int = 200) -> None:
        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_HEAD(self) -> None:
                Server.methods.append("HEAD")
                self._answer(head_status)

            def do_GET(self) -> None:
                Server.methods.append("GET")
                self._answer(200)

            def log_message(self, *args: object) -> None:
                pass

        Server.methods = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    methods: ClassVar[list[str]] = []

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def https_asset(port: int, host: str = "127.0.0.1") -> Asset:
    url = f"https://{host}:{port}/"
    return Asset(id="console", kind=AssetKind.ADMIN_INTERFACE, sensitivity=Sensitivity.SENSITIVE,
                 target=Target(raw=url, kind=TargetKind.URL, host=host, port=port, scheme="https"),
                 source=SourceRef(path="inv.yaml", line=4))


@pytest.fixture
def serve(ca: trustme.CA) -> Iterator[Serve]:
    servers: list[Server] = []

    def start(headers: Headers, head_status: int = 200, issuer: trustme.CA | None = None) -> Server:
        servers.append(Server(issuer or ca, headers, head_status))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def scan(port: int, ca_file: Path, timeout: float = 5.0) -> list[Evidence]:
    resolver = TlsEdgeResolver(clock=lambda: NOW, ca_file=ca_file, timeout=timeout)
    asset = https_asset(port)
    assert resolver.applies_to(asset)
    return resolver.resolve(asset)


def claims(evidence: list[Evidence]) -> list[Evidence]:
    return [e for e in evidence if e.claim is not None]


def failures(evidence: list[Evidence]) -> list[str]:
    return [e.failure for e in evidence if e.failure is not None]


@pytest.mark.parametrize(("header", "value", "code", "country", "cdn"), [
    ("cf-ray", "8c1e2f3a4b5c6d7e-CDG", "CDG", "FR", "Cloudflare"),
    ("x-amz-cf-pop", "CMN50-C1", "CMN", "MA", "CloudFront"),
    ("x-served-by", "cache-mad22027-MAD", "MAD", "ES", "Fastly"),
])
def test_edge_header_gives_authoritative_country(serve: Serve, ca_file: Path, header: str, value: str,
                                                 code: str, country: str, cdn: str) -> None:
    evidence = scan(serve([(header, value)]).port, ca_file)
    [edge] = claims(evidence)
    assert edge.claim == Claim(country=country, provider=cdn)
    assert edge.strength is Strength.AUTHORITATIVE and edge.source == "tls-edge"
    assert edge.subject == "edge:127.0.0.1" and edge.dataset == "iata-airports"
    assert edge.raw["code"] == code and edge.raw["header"] == header and edge.raw["validates"] is True
    assert edge.raw["certificate"]["sans"] == ["localhost", "127.0.0.1"]
    assert failures(evidence) == []


def test_fastly_shielding_lists_every_pop(serve: Serve, ca_file: Path) -> None:
    evidence = scan(serve([("X-Served-By", "cache-cdg20732-CDG, cache-mad22027-MAD")]).port, ca_file)
    assert sorted(str(e.claim.country) for e in claims(evidence) if e.claim) == ["ES", "FR"]


def test_no_cdn_headers_gives_only_supporting_evidence(serve: Serve, ca_file: Path) -> None:
    [support] = scan(serve([("Server", "nginx")]).port, ca_file)
    assert support.claim is None and support.failure is None and support.subject == "127.0.0.1"
    assert support.raw["status"] == 200 and support.raw["validates"] is True
    assert ["server", "nginx"] in support.raw["headers"]
    cert = support.raw["certificate"]
    assert cert["sans"] == ["localhost", "127.0.0.1"] and "trustme" in cert["issuer"]
    assert cert["not_before"] < cert["not_after"] and len(cert["sha256"]) == 64


def test_head_refused_falls_back_to_get(serve: Serve, ca_file: Path) -> None:
    server = serve([("cf-ray", "8c1e2f3a4b5c6d7e-CDG")], head_status=405)
    evidence = scan(server.port, ca_file)
    assert Server.methods == ["HEAD", "GET"]
    assert [e.claim.country for e in claims(evidence) if e.claim] == ["FR"]


def test_unknown_code_is_a_failure(serve: Serve, ca_file: Path) -> None:
    evidence = scan(serve([("cf-ray", "8c1e2f3a4b5c6d7e-QQQ")]).port, ca_file)
    assert claims(evidence) == []
    assert failures(evidence) == ["edge code 'QQQ' not in the shipped IATA table"]
    assert locate(evidence).status is LocationStatus.UNKNOWN


@pytest.mark.parametrize(("header", "value", "cdn"), [
    ("cf-ray", "garbage", "Cloudflare"),
    ("server", "cloudflare", "Cloudflare"),
    ("via", "1.1 abc.cloudfront.net (CloudFront)", "CloudFront"),
    ("x-served-by", "cache-???", "Fastly"),
    ("server", "AkamaiGHost", "Akamai"),
])
def test_cdn_without_readable_edge_makes_location_unknown(serve: Serve, ca_file: Path, header: str,
                                                          value: str, cdn: str) -> None:
    evidence = scan(serve([(header, value)]).port, ca_file)
    assert failures(evidence) == [f"CDN {cdn} terminates TLS; its edge location is not shown"]
    assert locate(evidence).status is LocationStatus.UNKNOWN


def test_hostile_header_values_are_sanitised(serve: Serve, ca_file: Path) -> None:
    hostile = "\x1b[31mred\x1b[0m\x9b2J\x07" + "A" * 5000
    evidence = scan(serve([("X-Evil", hostile), ("cf-ray", "\x1b[2Jdeadbeef-CDG")]).port, ca_file)
    [support] = [e for e in evidence if e.subject == "127.0.0.1"]
    [evil] = [v for k, v in support.raw["headers"] if k == "x-evil"]
    assert not any(ch in evil for ch in "\x1b\x9b\x07") and evil.startswith("[31mred") and len(evil) <= 256
    [failure] = [e for e in evidence if e.failure]  # the escape makes the cf-ray unreadable: never a guess
    assert "\x1b" not in failure.raw["value"]
    assert clean("a\x00b\x7fc\u2028d\u202ee") == "abcde"


def test_untrusted_certificate_is_still_evidence(serve: Serve, ca_file: Path) -> None:
    other = trustme.CA()
    evidence = scan(serve([("cf-ray", "8c1e2f3a4b5c6d7e-CDG")], issuer=other).port, ca_file)
    [edge] = claims(evidence)
    assert edge.claim is not None and edge.claim.country == "FR"
    assert edge.raw["validates"] is False and "certificate" in (edge.raw["verify_error"] or "")


def test_connection_refused_is_a_failure(ca_file: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    [failure] = scan(port, ca_file)
    assert failure.failure == f"connection refused by 127.0.0.1 port {port}"
    assert failure.claim is None and locate([failure]).status is LocationStatus.UNKNOWN


def test_silent_server_times_out(ca_file: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        [failure] = scan(listener.getsockname()[1], ca_file, timeout=0.5)
    assert failure.failure is not None and "timeout" in failure.failure and "0.5 s" in failure.failure


def test_plain_http_on_the_port_is_a_tls_failure(ca_file: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def answer_in_clear() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

        thread = threading.Thread(target=answer_in_clear, daemon=True)
        thread.start()
        [failure] = scan(listener.getsockname()[1], ca_file, timeout=2.0)
        thread.join(2)
    assert failure.failure is not None and failure.failure.startswith("TLS handshake with 127.0.0.1")


def test_offline_does_not_apply(serve: Serve) -> None:
    server = serve([("cf-ray", "8c1e2f3a4b5c6d7e-CDG")])
    resolver = TlsEdgeResolver(clock=lambda: NOW, offline=True)
    assert not resolver.applies_to(https_asset(server.port))
    assert resolver.resolve_all([https_asset(server.port)]) == {}
    assert Server.methods == []


def test_applies_only_to_https_urls() -> None:
    resolver = TlsEdgeResolver(clock=lambda: NOW)
    http = Asset(id="h", kind=AssetKind.ADMIN_INTERFACE, sensitivity=Sensitivity.SENSITIVE,
                 target=Target(raw="http://x.ma/", kind=TargetKind.URL, host="x.ma", scheme="http"),
                 source=SourceRef(path="i"))
    name = Asset(id="n", kind=AssetKind.SERVER, sensitivity=Sensitivity.SENSITIVE,
                 target=Target(raw="x.ma", kind=TargetKind.HOSTNAME, host="x.ma"), source=SourceRef(path="i"))
    assert not resolver.applies_to(http) and not resolver.applies_to(name)


def test_edge_abroad_contradicts_a_moroccan_declaration(serve: Serve, ca_file: Path) -> None:
    evidence = scan(serve([("cf-ray", "8c1e2f3a4b5c6d7e-CDG")]).port, ca_file)
    declared = Evidence(source="declared", strength=Strength.DECLARED, subject="console",
                        claim=Claim(country="MA"), observed_at=NOW)
    location = locate([*evidence, declared])
    assert location.status is LocationStatus.CONTRADICTED and location.countries == ("FR",)


def test_shipped_table_and_data_source() -> None:
    table = load_iata_table()
    assert table.countries["CMN"] == "MA" and table.countries["CDG"] == "FR" and len(table.countries) > 7000
    source = TlsEdgeResolver(clock=lambda: NOW).data_sources()
    [ds] = list(source)
    assert ds.id == "iata-airports" and ds.licence == "MIT" and ds.sha256 == table.sha256


@pytest.mark.parametrize("text", ["CMN,MA\n", "# version: 1\n# date: 2026-01-01\niata,country\nCMN,ZZ\n",
                                  "# version: 1\n# date: 2026-01-01\niata,country\nCMN,MA\nCMN,FR\n",
                                  "# date: 2026-01-01\niata,country\nCMN,MA\n"])
def test_malformed_table_is_a_dataset_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(DatasetError):
        load_iata_table(path)


def test_parse_head_tolerates_garbage() -> None:
    assert parse_head(b"\x00\xff garbage") == (None, [])
    assert parse_head(b"HTTP/1.1 204 No\r\nBad Header\r\nA: b\r\n\r\nbody: x") == (204, [("a", "b")])
