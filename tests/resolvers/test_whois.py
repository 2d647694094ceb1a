"""WhoisClient against real TCP servers on 127.0.0.1: referrals, record formats, and every hostile answer."""

from __future__ import annotations

import socket

import pytest

from residency_scan.resolvers.whois import WhoisClient, parse_whois_server
from tests.resolvers.whoiskit import ARIN_CLOUDFLARE, RIPE_MOROCCO, SILENT, WhoisServer


def client(server: WhoisServer, **options: object) -> WhoisClient:
    return WhoisClient(server=server.address, timeout=2.0, **options)  # type: ignore[arg-type]


def test_arin_record_gives_the_organisations_country_name_and_range() -> None:
    with WhoisServer(ARIN_CLOUDFLARE) as server:
        answer = client(server).lookup("104.16.1.1")
    assert server.queries == ["104.16.1.1"]
    assert answer.country == "US" and answer.failure is None
    assert (answer.first, answer.last) == ("104.16.0.0", "104.31.255.255")
    assert answer.raw["netname"] == "CLOUDFLARENET" and answer.raw["org"] == "Cloudflare, Inc."
    assert answer.raw["servers"] == [f"127.0.0.1:{server.port}"] and "NetRange" in answer.raw["text"]


def test_the_most_specific_network_gives_the_country() -> None:
    with WhoisServer(RIPE_MOROCCO) as server:
        answer = client(server).lookup("41.248.10.10")
    assert answer.country == "MA" and answer.raw["netname"] == "MT-MA-ADSL"
    assert answer.raw["range"] == "41.248.0.0 - 41.251.255.255"


def test_iana_referral_is_followed_to_the_registry() -> None:
    iana_text = b"% IANA WHOIS server\n\nrefer: whois.afrinic.net\n\ninetnum: 41.0.0.0 - 41.255.255.255\n"
    with WhoisServer(RIPE_MOROCCO) as registry, WhoisServer(iana_text + b"organisation: AFRINIC\n") as iana:
        def connect(address: tuple[str, int], timeout: float) -> socket.socket:
            # NOTE: the referral names the real registry (port 43); the test sends it to the local one.
            target = registry.address if address == ("whois.afrinic.net", 43) else address
            return socket.create_connection(target, timeout)

        answer = WhoisClient(server=iana.address, timeout=2.0, connect=connect).lookup("41.248.10.10")
    assert iana.queries == registry.queries == ["41.248.10.10"]
    assert answer.country == "MA"
    assert answer.raw["servers"] == [f"127.0.0.1:{iana.port}", "whois.afrinic.net:43"]


def test_arin_style_referral_with_a_port_and_loops_stop() -> None:
    with WhoisServer(b"NetRange: 41.0.0.0 - 41.255.255.255\n") as last, \
            WhoisServer(f"ReferralServer: whois://127.0.0.1:{last.port}\n".encode()) as first:
        answer = client(first).lookup("41.248.10.10")
        assert answer.failure == f"WHOIS: the answer from 127.0.0.1:{last.port} names no country for 41.248.10.10"
    with WhoisServer(b"") as a:
        looping = WhoisServer(f"ReferralServer: whois://127.0.0.1:{a.port}\n".encode())
        with looping:
            a._answer = lambda _q: f"ReferralServer: whois://127.0.0.1:{looping.port}\n".encode()
            answer = client(looping).lookup("41.248.10.10")
    assert answer.country is None and len(answer.raw["servers"]) == 2  # each server asked once, no loop


def test_a_referral_into_a_private_network_is_not_followed() -> None:
    with WhoisServer(b"ReferralServer: whois://10.0.0.5:6379\ninetnum: 41.0.0.0 - 41.255.255.255\n") as server:
        answer = client(server).lookup("41.248.10.10")
    assert answer.raw["servers"] == [f"127.0.0.1:{server.port}"] and answer.country is None


def test_reserved_addresses_are_never_sent() -> None:
    with WhoisServer(RIPE_MOROCCO) as server:
        answer = client(server).lookup("192.168.1.1")
    assert server.queries == [] and answer.failure == "WHOIS: 192.168.1.1 is a reserved address, not sent to a registry"


def test_no_record_is_a_failure() -> None:
    with WhoisServer(b"% No entries found for the selected source(s).\n") as server:
        answer = client(server).lookup("196.200.131.10")
    assert answer.failure == f"WHOIS: no record for 196.200.131.10 at 127.0.0.1:{server.port}"


def test_garbage_names_no_country() -> None:
    with WhoisServer(bytes(range(256)) * 4) as server:
        answer = client(server).lookup("196.200.131.10")
    assert answer.country is None and answer.failure is not None and "shows no network that holds" in answer.failure


def test_disagreeing_countries_are_a_failure_not_a_guess() -> None:
    text = (b"NetRange: 196.200.0.0 - 196.200.255.255\nNetName: PARENT\n\nOrgName: A\nCountry: US\n\n"
            b"CustName: B\nCountry: MA\n")
    with WhoisServer(text) as server:
        answer = client(server).lookup("196.200.131.10")
    assert answer.country is None
    assert answer.failure is not None and "several countries (MA, US)" in answer.failure


def test_a_country_without_a_network_holding_the_address_is_not_used() -> None:
    with WhoisServer(b"country: MA\n\ninetnum: 41.248.0.0 - 41.251.255.255\ncountry: MA\n") as server:
        answer = client(server).lookup("196.200.131.10")
    assert answer.country is None and answer.failure is not None and "no network that holds" in answer.failure


def test_huge_answer_is_cut_and_never_read_whole() -> None:
    with WhoisServer(b"% " + b"x" * 70 + b"\n" * 200_000) as server:
        answer = client(server, max_bytes=65_536).lookup("196.200.131.10")
    assert answer.failure is not None and "cut at 65536 bytes" in answer.failure
    assert answer.raw["truncated"] == "answer cut at 65536 bytes" and len(answer.raw["text"]) <= 4001


def test_escape_sequences_and_html_are_stripped() -> None:
    text = (b"inetnum: 196.200.0.0 - 196.200.255.255\nnetname: \x1b[2J\x1b]0;pwned\x07EVIL<script>x</script>\n"
            b"descr: ad\x1bmin\ncountry: MA\n")
    with WhoisServer(text) as server:
        answer = client(server).lookup("196.200.131.10")
    assert answer.country == "MA"
    assert answer.raw["netname"] == "EVIL x" and answer.raw["org"].startswith("ad ")  # never "admin"
    kept = answer.raw["text"]
    assert "\x1b" not in kept and "\x07" not in kept and "<script>" not in kept


def test_silent_server_times_out() -> None:
    with WhoisServer(SILENT) as server:
        answer = WhoisClient(server=server.address, timeout=0.3).lookup("196.200.131.10")
    assert answer.failure == f"WHOIS: no complete answer from 127.0.0.1:{server.port} within 0.3 s (timeout)"


def test_refused_connection_is_a_failure() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    answer = WhoisClient(server=("127.0.0.1", port), timeout=1.0).lookup("196.200.131.10")
    assert answer.failure == f"WHOIS: connection refused by 127.0.0.1:{port}"


def test_only_addresses_are_sent() -> None:
    with WhoisServer(RIPE_MOROCCO) as server:
        answer = client(server).lookup("evil\r\nquery")
    assert server.queries == [] and answer.failure is not None and "not an IP address" in answer.failure


@pytest.mark.parametrize(("text", "expected"), [
    ("whois.example.net", ("whois.example.net", 43)),
    ("127.0.0.1:4343", ("127.0.0.1", 4343)),
    ("[::1]:4343", ("::1", 4343)),
    ("::1", ("::1", 43)),
    ("[2001:db8::1]", ("2001:db8::1", 43)),
])
def test_parse_whois_server(text: str, expected: tuple[str, int]) -> None:
    assert parse_whois_server(text) == expected


@pytest.mark.parametrize("text", ["", "host:0", "host:70000", "host:http", "bad host", "[::1", "a_b.example:43",
                                  "whois://x"])
def test_parse_whois_server_refuses_bad_values(text: str) -> None:
    with pytest.raises(ValueError, match=r"HOST|port"):
        parse_whois_server(text)
