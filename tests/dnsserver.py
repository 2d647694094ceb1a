"""A real DNS server on 127.0.0.1 serving a zone written as a dict, for tests of anything that resolves names.

Why a real server rather than a mocked resolver: what we must get right is how dnspython reports NXDOMAIN,
SERVFAIL, REFUSED, empty answers, timeouts and CNAME chains *on the wire*, and a mock would only repeat our
own assumptions back to us. The server is dnslib's, in-process, on an OS-chosen free port (UDP, plus TCP on
the same port so truncated answers can fall back to TCP), and it answers like a recursive resolver would:
CNAME chains are followed inside the zone and returned whole in one answer.

Usage::

    zone = {
        "portail.exemple.ma": Entry(cname="portail.azureedge.net"),
        "portail.azureedge.net": Entry(a=("13.107.246.10",), ttl=60),
        "casse.exemple.ma": Entry(rcode="SERVFAIL"),
        "lent.exemple.ma": Entry(a=("196.200.1.1",), delay=1.5),
    }
    with serve_zone(zone) as server:
        resolver = DnsResolver(locator, nameservers=[server.nameserver], timeout=0.5, clock=...)
        ...
        assert server.queries == [Query("portail.exemple.ma", "A", "udp"), ...]

What each entry can express (names are case-insensitive, written without the final dot):

- a name absent from the zone → NXDOMAIN (also when reached through a CNAME: the CNAMEs are in the answer);
- ``Entry()`` → NOERROR with no data, for every type;
- ``Entry(a=..., aaaa=...)`` → the addresses; ``records={"MX": ("10 mx.exemple.ma.",)}`` → any other type,
  written as zone-file rdata (parsed by dnslib), for the NS/MX work to come;
- ``Entry(cname=...)`` → a CNAME, followed through the zone. Loops stop at the first repeated name and
  chains stop after ``max_chain`` links, so a test can serve a loop (a→b→a) or a chain longer than the
  client accepts (dnspython gives up after 16 links) without the server itself looping;
- ``Entry(rcode="SERVFAIL" | "REFUSED" | ...)`` → that rcode and no answer, for every type, or only for
  some with ``rcode_by_type={"AAAA": "SERVFAIL"}``;
- ``Entry(delay=1.5)`` → the answer is sent after 1.5 s (capped at ``MAX_DELAY``), so a client with a
  shorter timeout gives up first. Each request is handled in its own thread, so a slow name does not hold
  up the others, and stopping the server wakes every sleeping handler at once: shutdown never waits for a
  delay and never sends after the sockets are closed.

- ``records={"SOA": ("ns1.exemple.ma. hostmaster.exemple.ma. 1 3600 600 86400 60",)}`` makes the name a
  zone apex: negative answers (NXDOMAIN, no data) for names under it carry that SOA in the authority
  section, as a real recursive resolver's do (RFC 2308), which is how clients learn the zone of a name;
- ``"*.exemple.ma": Entry(...)`` → a wildcard: answers for any name under exemple.ma that the zone does not
  hold, with the queried name as owner (RFC 4592, simplified: the closest wildcard wins);
- ``Entry(junk=("autre.exemple.net. 60 IN A 203.0.113.9",))`` → extra records, for names nobody asked
  about, appended to the answer section (a sloppy or hostile server);
- ``Entry(mangle=fn)`` → the packed reply is replaced by ``fn(reply_bytes)`` (garbage, a wrong ID, another
  question...), to test what a client does with bytes that are not a proper answer.

``udp_limit`` (bytes) truncates larger UDP answers (TC flag), which makes dnspython retry over TCP.
``queries`` lists every query received, in order, so a test can prove that nothing was asked (offline
mode, invalid names) or that a cache saved a query; ``update(zone)`` changes answers while the server runs.
``max_in_flight`` is the largest number of queries the
server was handling at once, to check a client's concurrency bound (give the names a delay).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, NamedTuple

from dnslib import AAAA, CNAME, QTYPE, RCODE, RR, A, DNSError, DNSLabel, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer

MAX_DELAY = 5.0
"""No handler ever sleeps longer than this, whatever a test asks: a forgotten delay cannot hang a run."""


@dataclass(frozen=True)
class Entry:
    """What the server knows about one name."""

    a: tuple[str, ...] = ()
    aaaa: tuple[str, ...] = ()
    cname: str | None = None
    records: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rcode: str = "NOERROR"
    rcode_by_type: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    ttl: int = 300
    junk: tuple[str, ...] = ()
    mangle: Callable[[bytes], bytes] | None = None


class Query(NamedTuple):
    name: str
    type: str
    protocol: str


class _DroppedError(DNSError):  # type: ignore[misc]
    """Raised by a delayed handler woken by shutdown: dnslib's handler catches DNSError and sends nothing."""


def _normalise(name: str) -> str:
    # Through DNSLabel, so a zone key with a space or a quote matches the escaped form of the same name
    # that dnslib gives for a query (`\\032` for a space).
    return str(DNSLabel(name)).rstrip(".").lower()


class _ZoneResolver(BaseResolver):  # type: ignore[misc]
    """Answers from the zone. One instance serves every handler thread, hence the lock on the query log."""

    def __init__(self, zone: Mapping[str, Entry], max_chain: int) -> None:
        self.zone = {_normalise(name): entry for name, entry in zone.items()}
        self.max_chain = max_chain
        self.stopping = threading.Event()
        self.errors: list[str] = []
        self._queries: list[Query] = []
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def queries(self) -> list[Query]:
        with self._lock:
            return list(self._queries)

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:
        qname = _normalise(str(request.q.qname))
        qtype = QTYPE.get(request.q.qtype, str(request.q.qtype))
        with self._lock:
            self._queries.append(Query(qname, qtype, handler.protocol))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            entry = self.lookup(qname)
            if entry is not None and entry.delay > 0:
                self.stopping.wait(min(entry.delay, MAX_DELAY))
            if self.stopping.is_set():
                raise _DroppedError("server stopping")
            return self._answer(request, qname, qtype)
        finally:
            with self._lock:
                self.in_flight -= 1

    def lookup(self, name: str) -> Entry | None:
        """The entry for a name: its own, else the closest wildcard above it."""
        entry = self.zone.get(name)
        if entry is not None:
            return entry
        labels = name.split(".")
        for start in range(1, len(labels)):
            wildcard = self.zone.get("*." + ".".join(labels[start:]))
            if wildcard is not None:
                return wildcard
        return None

    def apex_soa(self, name: str) -> Any | None:
        """The SOA record of the closest apex at or above `name`, for the authority section."""
        labels = name.split(".")
        for start in range(len(labels)):
            apex = ".".join(labels[start:])
            entry = self.zone.get(apex)
            if entry is not None and entry.records.get("SOA"):
                return RR.fromZone(f"{DNSLabel(apex)} {entry.ttl} IN SOA {entry.records['SOA'][0]}")[0]
        return None

    def _answer(self, request: DNSRecord, qname: str, qtype: str) -> DNSRecord:
        reply = request.reply()
        name, entry, seen = qname, self.lookup(qname), {qname}
        while entry is not None and entry.cname is not None and qtype != "CNAME":
            if len(seen) > self.max_chain:
                return reply
            reply.add_answer(RR(name, QTYPE.CNAME, ttl=entry.ttl, rdata=CNAME(entry.cname)))
            for line in entry.junk:
                reply.add_answer(*RR.fromZone(line))
            name = _normalise(entry.cname)
            if name in seen:
                return reply
            seen.add(name)
            entry = self.lookup(name)
        if entry is None:
            reply.header.rcode = RCODE.NXDOMAIN
            self._add_soa(reply, name)
            return reply
        rcode = entry.rcode_by_type.get(qtype, entry.rcode)
        if rcode != "NOERROR":
            failed = request.reply()
            failed.header.rcode = getattr(RCODE, rcode)
            return failed
        records = _records(name, qtype, entry)
        for rr in records:
            reply.add_answer(rr)
        for line in entry.junk:
            reply.add_answer(*RR.fromZone(line))
        if not records:
            self._add_soa(reply, name)
        return reply

    def _add_soa(self, reply: DNSRecord, name: str) -> None:
        soa = self.apex_soa(name)
        if soa is not None:
            reply.add_auth(soa)


def _records(name: str, qtype: str, entry: Entry) -> list[Any]:
    if qtype == "A":
        return [RR(name, QTYPE.A, ttl=entry.ttl, rdata=A(address)) for address in entry.a]
    if qtype == "AAAA":
        return [RR(name, QTYPE.AAAA, ttl=entry.ttl, rdata=AAAA(address)) for address in entry.aaaa]
    if qtype == "CNAME" and entry.cname is not None:
        return [RR(name, QTYPE.CNAME, ttl=entry.ttl, rdata=CNAME(entry.cname))]
    rrs: list[Any] = []
    for rdata in entry.records.get(qtype, ()):
        rrs.extend(RR.fromZone(f"{DNSLabel(name)} {entry.ttl} IN {qtype} {rdata}"))
    return rrs


class _Logger(DNSLogger):  # type: ignore[misc]
    """Silent, except that decoding errors are kept for the test to inspect."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(log="error", prefix=False, logf=lambda _text: None)
        self._errors = errors

    def log_error(self, handler: DNSHandler, error: Exception) -> None:
        if not isinstance(error, _DroppedError):
            self._errors.append(f"{type(error).__name__}: {error}")


def _handler_class(udp_limit: int) -> type[DNSHandler]:
    class Handler(DNSHandler):  # type: ignore[misc]
        def get_reply(self, data: bytes) -> bytes:
            request = DNSRecord.parse(data)
            resolver = self.server.resolver
            reply = resolver.resolve(request, self)
            packed: bytes = reply.pack()
            entry = resolver.lookup(_normalise(str(request.q.qname)))
            if entry is not None and entry.mangle is not None:
                mangled: bytes = entry.mangle(packed)
                return mangled
            if self.protocol == "udp" and udp_limit and len(packed) > udp_limit:
                # NOTE: dnslib's own truncate() drops the question section, and dnspython rightly ignores
                # a reply that does not echo its question; so truncate by hand, keeping the question.
                truncated = request.reply()
                truncated.header.tc = 1
                truncated.header.rcode = reply.header.rcode
                packed = truncated.pack()
            return packed

        def handle(self) -> None:
            try:
                super().handle()
            except OSError:
                # A late answer racing with shutdown: the socket is gone and nobody is listening.
                if not self.server.resolver.stopping.is_set():
                    raise

    return Handler


class DnsTestServer:
    """The running server; use `serve_zone` (or `with DnsTestServer(zone) as server`)."""

    host = "127.0.0.1"

    def __init__(
        self, zone: Mapping[str, Entry], *, tcp: bool = True, udp_limit: int = 0, max_chain: int = 32
    ) -> None:
        self._resolver = _ZoneResolver(zone, max_chain)
        self._tcp = tcp
        self._handler = _handler_class(udp_limit)
        self._servers: list[DNSServer] = []
        self.port = 0

    @property
    def nameserver(self) -> str:
        """The "HOST:PORT" to give to the resolver under test."""
        return f"{self.host}:{self.port}"

    @property
    def queries(self) -> list[Query]:
        return self._resolver.queries()

    def update(self, zone: Mapping[str, Entry]) -> None:
        """Change or add entries while the server runs (an answer that changed since it was cached)."""
        with self._resolver._lock:
            self._resolver.zone = {**self._resolver.zone, **{_normalise(n): e for n, e in zone.items()}}

    @property
    def max_in_flight(self) -> int:
        return self._resolver.max_in_flight

    @property
    def errors(self) -> list[str]:
        return list(self._resolver.errors)

    def start(self) -> None:
        logger = _Logger(self._resolver.errors)
        for _attempt in range(10):
            udp = DNSServer(self._resolver, address=self.host, port=0, logger=logger, handler=self._handler)
            port = udp.server.server_address[1]
            servers = [udp]
            if self._tcp:
                try:
                    servers.append(
                        DNSServer(self._resolver, address=self.host, port=port, tcp=True, logger=logger,
                                  handler=self._handler)
                    )
                except OSError:  # the TCP port is taken by someone else: try another UDP port
                    udp.server.server_close()
                    continue
            break
        else:
            raise RuntimeError("no free port with both UDP and TCP on 127.0.0.1")
        self.port = port
        self._servers = servers
        for server in servers:
            # A short poll interval: shutdown() waits for the serving loop to notice, 0.5 s by default.
            server.thread = threading.Thread(
                target=server.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
            )
            server.thread.start()

    def stop(self) -> None:
        self._resolver.stopping.set()  # wakes delayed handlers first, so shutdown never waits on them
        for server in self._servers:
            server.server.shutdown()
            server.server.server_close()
            server.thread.join(timeout=MAX_DELAY)
        self._servers = []

    def __enter__(self) -> DnsTestServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def serve_zone(
    zone: Mapping[str, Entry], *, tcp: bool = True, udp_limit: int = 0, max_chain: int = 32
) -> Iterator[DnsTestServer]:
    """Serve `zone` on 127.0.0.1 for the duration of the block."""
    with DnsTestServer(zone, tcp=tcp, udp_limit=udp_limit, max_chain=max_chain) as server:
        yield server


__all__ = ["MAX_DELAY", "DnsTestServer", "Entry", "Query", "serve_zone"]
