"""The DNS wire format, as little of it as a stub resolver needs: build a query, read the records of a reply.

NOTE: why not `dns.message.from_wire`: it builds a full object model (names, rdata classes, RRsets), about
150 µs per reply, which made parsing the largest cost of a scan of thousands of names (bench/bench_dns.py).
This reader takes what locating needs (A, AAAA, CNAME, NS, MX, the SOA of negative answers, the EDNS rcode)
in about 10 µs, and is strict: any inconsistency (a count past the end, a compression pointer that does not
point backwards, a label over 63 octets, a name over 255) makes the whole reply malformed, never half read.
Its results are checked against dnspython's own parser in tests/resolvers/test_dns_wire.py.

Names come out as inert text: presentation format with dnspython's escapes (`\\032` for a space, `\\"` for a
quote), lower case, without the final dot; the root is ".".
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from typing import NamedTuple

A, NS, CNAME, SOA, MX, AAAA, OPT = 1, 2, 5, 6, 15, 28, 41
IN = 1
TYPE_NAMES = {A: "A", NS: "NS", CNAME: "CNAME", SOA: "SOA", MX: "MX", AAAA: "AAAA"}
NOERROR, SERVFAIL, NXDOMAIN, REFUSED = 0, 2, 3, 5
RCODE_NAMES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
               7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 16: "BADVERS"}
EDNS_PAYLOAD = 1232
"""The UDP size we announce (EDNS0): the DNS Flag Day 2020 value, which avoids IP fragmentation."""

_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")
_OPT_RR = b"\x00" + struct.pack("!HHIH", OPT, EDNS_PAYLOAD, 0, 0)
_SPECIAL = frozenset(b'"().;\\@$')
_PLAIN = frozenset(range(0x21, 0x7F)) - _SPECIAL
_MAX_JUMPS = 128


class Malformed(ValueError):
    """The bytes are not a DNS reply we can read completely."""


class Record(NamedTuple):
    """One resource record: `data` is an address, a name, (preference, exchange) for MX, (minimum TTL, mname)
    for SOA, or None for types we do not read."""

    owner: str
    rdtype: int
    ttl: int
    data: str | tuple[int, str] | None


@dataclass(frozen=True)
class WireReply:
    rcode: int
    truncated: bool
    answer: tuple[Record, ...]
    authority: tuple[Record, ...]


def query(qid: int, question: bytes) -> bytes:
    """A recursive query (RD) for `question` (wire name + type + class), with an EDNS0 OPT record."""
    return _HEADER.pack(qid, 0x0100, 1, 0, 0, 1) + question + _OPT_RR


def question(wire_name: bytes, rdtype: int) -> bytes:
    return wire_name + struct.pack("!HH", rdtype, IN)


def wire_name(labels: list[bytes]) -> bytes:
    """A name's wire form from its labels (without the empty root label)."""
    return b"".join(bytes((len(label),)) + label for label in labels) + b"\x00"


def label_text(raw: bytes) -> str:
    if raw.isalnum() or all(byte in _PLAIN for byte in raw):
        return raw.decode("ascii").lower()
    out = []
    for byte in raw.lower():
        if byte in _SPECIAL:
            out.append("\\" + chr(byte))
        elif byte in _PLAIN:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03d}")
    return "".join(out)


def read_name(data: bytes, offset: int) -> tuple[str, int]:
    """The name at `offset` as text, and the offset just after it (compression pointers followed)."""
    labels: list[str] = []
    after = -1
    length = 1
    jumps = 0
    floor = offset  # a pointer must go strictly backwards from the name it appears in: no loops
    while True:
        if offset >= len(data):
            raise Malformed("name runs past the end")
        size = data[offset]
        if size == 0:
            offset += 1
            break
        if size >= 0xC0:
            if offset + 1 >= len(data):
                raise Malformed("pointer runs past the end")
            target = (size & 0x3F) << 8 | data[offset + 1]
            if after < 0:
                after = offset + 2
            jumps += 1
            if target >= floor or jumps > _MAX_JUMPS:
                raise Malformed("compression pointer does not point backwards")
            offset = floor = target
            continue
        if size > 63:
            raise Malformed("unknown label type")
        end = offset + 1 + size
        if end > len(data):
            raise Malformed("label runs past the end")
        length += size + 1
        if length > 255:
            raise Malformed("name longer than 255 octets")
        labels.append(label_text(data[offset + 1:end]))
        offset = end
    return (".".join(labels) if labels else "."), (after if after >= 0 else offset)


def parse(data: bytes, question_length: int) -> WireReply:
    """Read a reply whose question (already checked by the caller) is `question_length` octets long."""
    if len(data) < 12 + question_length:
        raise Malformed("shorter than its header")
    _qid, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(data)
    if qdcount != 1:
        raise Malformed("not exactly one question")
    offset = 12 + question_length
    answer, offset = _section(data, offset, ancount)
    authority, offset = _section(data, offset, nscount)
    rcode = flags & 0x0F
    additional, _ = _section(data, offset, arcount, keep_opt=True)
    for record in additional:
        if record.rdtype == OPT:
            rcode |= (record.ttl >> 24) << 4  # the extended rcode's upper bits ride in the OPT "TTL"
    return WireReply(rcode=rcode, truncated=bool(flags & 0x0200), answer=answer, authority=authority)


def _section(data: bytes, offset: int, count: int, keep_opt: bool = False) -> tuple[tuple[Record, ...], int]:
    records = []
    for _ in range(count):
        owner, offset = read_name(data, offset)
        if offset + 10 > len(data):
            raise Malformed("record header runs past the end")
        rdtype, rdclass, ttl, rdlength = _RR.unpack_from(data, offset)
        start = offset + 10
        offset = start + rdlength
        if offset > len(data):
            raise Malformed("record data runs past the end")
        if rdtype == OPT and keep_opt:
            records.append(Record(owner, OPT, ttl, None))
        elif rdclass == IN and rdtype in TYPE_NAMES:
            # RFC 2181 §8: a TTL with the top bit set is read as zero.
            records.append(Record(owner, rdtype, ttl if ttl < 2**31 else 0, _rdata(data, start, rdlength, rdtype)))
    return tuple(records), offset


def _rdata(data: bytes, start: int, length: int, rdtype: int) -> str | tuple[int, str]:
    end = start + length
    if rdtype == A:
        if length != 4:
            raise Malformed("A record that is not 4 octets")
        return ".".join(map(str, data[start:end]))
    if rdtype == AAAA:
        if length != 16:
            raise Malformed("AAAA record that is not 16 octets")
        return str(ipaddress.IPv6Address(data[start:end]))
    if rdtype == MX:
        if length < 3:
            raise Malformed("MX record too short")
        name, after = read_name(data, start + 2)
        _within(after, end)
        return int.from_bytes(data[start:start + 2], "big"), name
    name, after = read_name(data, start)
    if rdtype == SOA:
        _rname, after = read_name(data, after)
        if after + 20 != end:
            raise Malformed("SOA record of the wrong size")
        minimum: int = struct.unpack_from("!I", data, after + 16)[0]
        return minimum, name
    _within(after, end)
    return name


def _within(after: int, end: int) -> None:
    if after != end:
        raise Malformed("record data and its name disagree on the length")
