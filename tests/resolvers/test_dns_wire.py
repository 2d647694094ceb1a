"""The reply reader (dns_wire) against dnspython's own parser on the same bytes, then on hostile bytes:
it reads exactly what dnspython reads, and anything it cannot read whole is `Malformed`, never a crash."""

from __future__ import annotations

import contextlib
import random
import struct

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from residency_scan.resolvers.dns_names import CheckedName, answer_name, check_name, parent
from residency_scan.resolvers.dns_wire import AAAA, CNAME, MX, NS, SOA, A, Malformed, Record, parse, question, read_name

QNAME = dns.name.from_text("portail.exemple.ma")
QUESTION_LENGTH = len("portail.exemple.ma") + 2 + 4  # wire name (labels + root) + type + class


def reply(answer: list[dns.rrset.RRset], authority: list[dns.rrset.RRset] = (),  # type: ignore[assignment]
          rcode: dns.rcode.Rcode = dns.rcode.NOERROR, edns: bool = True) -> tuple[bytes, int]:
    query = dns.message.make_query(QNAME, "A", use_edns=0 if edns else None)
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    response.answer.extend(answer)
    response.authority.extend(authority)
    return response.to_wire(), QUESTION_LENGTH


def rrset(owner: str | dns.name.Name, ttl: int, rdtype: str, *rdatas: str) -> dns.rrset.RRset:
    name = owner if isinstance(owner, dns.name.Name) else dns.name.from_text(owner)
    return dns.rrset.from_text(name, ttl, "IN", rdtype, *rdatas)


def expected(rrsets: list[dns.rrset.RRset]) -> tuple[Record, ...]:
    """What the reader must give, computed from dnspython's parse of the same bytes."""
    out = []
    for rr in rrsets:
        owner = rr.name.to_text(omit_final_dot=True).lower()
        for rdata in rr:
            if rr.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                data: object = rdata.address
            elif rr.rdtype == dns.rdatatype.MX:
                data = (rdata.preference, rdata.exchange.to_text(omit_final_dot=True).lower())
            elif rr.rdtype == dns.rdatatype.SOA:
                data = (rdata.minimum, rdata.mname.to_text(omit_final_dot=True).lower())
            elif rr.rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS):
                data = rdata.target.to_text(omit_final_dot=True).lower()
            else:
                continue
            out.append(Record(owner, int(rr.rdtype), rr.ttl, data))  # type: ignore[arg-type]
    return tuple(out)


def odd_label(rng: random.Random) -> bytes:
    alphabet = b"abcXYZ019-_" + bytes([0x20, 0x22, 0x28, 0x29, 0x2E, 0x3B, 0x5C, 0x40, 0x24, 0x00, 0x7F, 0xFF, 0xE9])
    return bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 20)))


def random_name(rng: random.Random, base: dns.name.Name) -> dns.name.Name:
    labels = [odd_label(rng) for _ in range(rng.randint(0, 3))]
    return dns.name.Name(labels + list(base.labels))


def test_a_cname_chain_reads_like_dnspython() -> None:
    answer = [rrset(QNAME, 3600, "CNAME", "Portail-Exemple.AzureEdge.net."),
              rrset("portail-exemple.azureedge.net", 60, "A", "13.107.246.10", "13.107.213.10")]
    wire, qlen = reply(answer)
    parsed = parse(wire, qlen)
    assert parsed.rcode == 0 and not parsed.truncated and parsed.authority == ()
    assert sorted(parsed.answer) == sorted(expected(answer))
    assert parsed.answer[0].data == "portail-exemple.azureedge.net"  # lower case, no final dot


def test_random_replies_read_like_dnspython() -> None:
    rng = random.Random(20250301)
    base = dns.name.from_text("exemple.ma")
    for _ in range(300):
        answer, authority = [], []
        owner = QNAME
        owners = {QNAME}
        for _ in range(rng.randint(0, 4)):
            target = random_name(rng, base)
            if target in owners:
                break  # one CNAME per owner: dnspython would merge two into one RRset
            owners.add(target)
            answer.append(rrset(owner, rng.randint(0, 2**31 - 1), "CNAME", target.to_text()))
            owner = target
        kind = rng.choice(["A", "AAAA", "MX", "NS"])
        datas = []
        for _ in range(rng.randint(0, 3)):
            if kind == "A":
                datas.append(".".join(str(rng.randrange(256)) for _ in range(4)))
            elif kind == "AAAA":
                datas.append(":".join(f"{rng.randrange(65536):x}" for _ in range(8)))
            elif kind == "MX":
                datas.append(f"{rng.randrange(65536)} {random_name(rng, base).to_text()}")
            else:
                datas.append(random_name(rng, base).to_text())
        if datas:
            answer.append(rrset(owner, rng.randint(0, 86400), kind, *datas))
        if rng.random() < 0.4:
            authority.append(rrset(base, 300, "SOA", f"{random_name(rng, base).to_text()} hostmaster.exemple.ma. "
                                   f"1 2 3 4 {rng.randrange(2**32)}"))
        try:
            wire, qlen = reply(answer, authority, rcode=rng.choice([dns.rcode.NOERROR, dns.rcode.NXDOMAIN]))
        except dns.exception.DNSException:
            continue  # dnspython refuses to build it (e.g. duplicate rdata): nothing to compare
        parsed = parse(wire, qlen)
        again = dns.message.from_wire(wire)
        assert sorted(parsed.answer) == sorted(expected(again.answer))
        assert sorted(parsed.authority) == sorted(expected(again.authority))
        assert parsed.rcode == again.rcode()


def test_a_ttl_with_the_top_bit_set_is_zero() -> None:
    wire, qlen = reply([rrset(QNAME, 60, "A", "196.200.131.10")])
    ttl_at = wire.rindex(struct.pack("!HHI", 1, 1, 60)) + 4
    hostile = wire[:ttl_at] + struct.pack("!I", 2**31 + 5) + wire[ttl_at + 4:]
    assert parse(hostile, qlen).answer[0].ttl == 0


def test_extended_rcode_from_edns_is_read() -> None:
    query = dns.message.make_query(QNAME, "A", use_edns=0)
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.BADVERS)
    assert parse(response.to_wire(), QUESTION_LENGTH).rcode == 16


def test_records_of_other_classes_and_types_are_skipped() -> None:
    chaos = dns.rrset.from_text(QNAME, 60, "CH", "TXT", '"x"')
    txt = rrset(QNAME, 60, "TXT", '"v=spf1 -all"')
    a = rrset(QNAME, 60, "A", "196.200.131.10")
    wire, qlen = reply([chaos, txt, a])
    assert parse(wire, qlen).answer == (Record("portail.exemple.ma", A, 60, "196.200.131.10"),)


@pytest.mark.parametrize(("name", "why"), [
    (b"\xc0\x0c", "pointer to itself"),
    (b"\x01a\xc0\x0e", "pointer forwards, into this very name"),
    (b"\xc0\xff", "pointer past the end"),
    (b"\x41" + b"a" * 65, "label type 01"),
    (b"\x81" + b"a" * 10, "label type 10"),
    (b"\x3f" + b"a" * 10, "label running past the end"),
    (b"\x05abc", "name running past the end"),
])
def test_hostile_names_are_malformed(name: bytes, why: str) -> None:
    data = b"\x00" * 12 + name
    with pytest.raises(Malformed):
        read_name(data, 12)


def test_name_over_255_octets_through_pointers_is_malformed() -> None:
    chunk = b"\x3f" + b"a" * 63
    data = b"\x00" * 12 + chunk * 3 + b"\x00"  # 193 octets: fine
    first, _ = read_name(data, 12)
    assert len(first) == 63 * 3 + 2
    longer = data + chunk + b"\xc0\x0c"  # 64 more octets in front of it: 257
    with pytest.raises(Malformed):
        read_name(longer, len(data))


def test_escaped_octets_read_like_dnspython() -> None:
    data = b"\x00" * 12 + b"\x07a b\"(\xff\x00\x02MA\x00"
    assert read_name(data, 12) == ('a\\032b\\"\\(\\255\\000.ma', len(data))
    assert dns.name.from_wire(data, 12)[0].to_text(omit_final_dot=True).lower() == 'a\\032b\\"\\(\\255\\000.ma'


@pytest.mark.parametrize(("rdtype", "rdata"), [
    (A, b"\x01\x02\x03"), (AAAA, b"\x00" * 15), (MX, b"\x00"), (MX, b"\x00\x0a\x01a\x00\x00"),
    (CNAME, b"\x01a\x00\x00"), (NS, b"\x01a"), (SOA, b"\x00\x00" + b"\x00" * 19),
])
def test_record_data_of_the_wrong_size_is_malformed(rdtype: int, rdata: bytes) -> None:
    header = struct.pack("!HHHHHH", 1, 0x8180, 1, 1, 0, 0)
    q = question(b"\x01a\x00", A)
    record = b"\x01a\x00" + struct.pack("!HHIH", rdtype, 1, 60, len(rdata)) + rdata
    with pytest.raises(Malformed):
        parse(header + q + record, len(q))


def test_counts_beyond_the_data_are_malformed() -> None:
    wire, qlen = reply([rrset(QNAME, 60, "A", "196.200.131.10")])
    for field in (6, 8, 10):  # answer, authority, additional counts
        bumped = wire[:field] + struct.pack("!H", struct.unpack_from("!H", wire, field)[0] + 1) + wire[field + 2:]
        with pytest.raises(Malformed):
            parse(bumped, qlen)
    with pytest.raises(Malformed):
        parse(wire[:-1], qlen)


def test_random_damage_is_read_or_malformed_never_a_crash() -> None:
    rng = random.Random(7)
    answer = [rrset(QNAME, 300, "CNAME", "a.exemple.net."), rrset("a.exemple.net", 60, "MX", "10 mx.exemple.net."),
              rrset("a.exemple.net", 60, "A", "196.200.131.10"), rrset("a.exemple.net", 60, "AAAA", "2a01::1")]
    wire, qlen = reply(answer, [rrset("exemple.net", 60, "SOA", "ns. host. 1 2 3 4 5")])
    for _ in range(3000):
        damaged = bytearray(wire)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(12 + qlen, len(damaged))] = rng.randrange(256)
        cut = bytes(damaged[:rng.randint(12 + qlen, len(damaged))]) if rng.random() < 0.3 else bytes(damaged)
        with contextlib.suppress(Malformed):
            parse(cut, qlen)


def test_names_from_answers_go_back_to_the_wire_exactly() -> None:
    rng = random.Random(3)
    for _ in range(200):
        name = random_name(rng, dns.name.from_text("exemple.ma"))
        text = read_name(b"\x00" * 12 + name.to_wire(), 12)[0]  # type: ignore[operator]
        again = answer_name(text)
        assert again is not None and again.text == text
        assert dns.name.from_wire(again.wire, 0)[0] == name


def test_parent_walks_up_to_the_root() -> None:
    start = check_name("www.exemple.ma")
    assert not isinstance(start, str)
    seen = []
    current: CheckedName | None = start
    while current is not None:
        seen.append(current.text)
        current = parent(current)
    assert seen == ["www.exemple.ma", "exemple.ma", "ma", "."]
    escaped = answer_name("a\\.b.exemple.ma")  # one label holding a dot
    assert escaped is not None
    up = parent(escaped)
    assert up is not None and up.text == "exemple.ma"


@pytest.mark.parametrize("text", ["é.ma", "a" * 64 + ".ma", "a..ma", "\\999.ma"])
def test_names_that_cannot_be_asked_are_refused(text: str) -> None:
    assert answer_name(text) is None
