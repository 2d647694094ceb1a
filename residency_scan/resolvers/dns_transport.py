"""Asking nameservers many questions at once: UDP, TCP when an answer is truncated, bounded concurrency.

NOTE: why not `dns.asyncresolver.Resolver`: on loopback it opens (and closes) one socket per query and keeps
bookkeeping we do not use (search lists, its own cache, lifetimes); with its parser that was most of the time
of a scan of thousands of names (bench/bench_dns.py). This client keeps one *connected* UDP socket per
nameserver for at most `CHANNEL_USES` queries, then opens a fresh one, so the source port keeps changing; the
kernel drops datagrams from any other address; a reply must echo a random 16-bit ID *and* the exact question
or it is ignored (it may be spoofed, or a late answer to an abandoned try). What answers mean (CNAME chains,
NXDOMAIN...) is decided by the caller.

Every outcome is a value: `Reply` (the server answered NOERROR or NXDOMAIN) or `NoReply` (why not: timeout,
SERVFAIL, REFUSED, nothing listening, malformed reply), never an exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from residency_scan.resolvers.dns_wire import NOERROR, NXDOMAIN, RCODE_NAMES, REFUSED, SERVFAIL, Malformed, WireReply
from residency_scan.resolvers.dns_wire import parse as parse_reply
from residency_scan.resolvers.dns_wire import query as make_query

CHANNEL_USES = 512
"""Queries sent through one UDP socket before a new one (new source port) takes over."""

Waiting = asyncio.Future[bytes | OSError | None]


class Nameserver(NamedTuple):
    address: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Reply:
    """A settled answer (NOERROR or NXDOMAIN) and who gave it."""

    wire: WireReply
    nameserver: str


@dataclass(frozen=True)
class NoReply:
    """No settled answer from any nameserver. `reason` is what a report shows; `kinds` lists each server's
    failure kind (timeout, SERVFAIL, REFUSED, unreachable, malformed, or another rcode)."""

    reason: str
    kinds: tuple[str, ...]


class _Channel(asyncio.DatagramProtocol):
    """One connected UDP socket to one nameserver; replies are handed to whoever waits for their ID."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.waiting: dict[int, tuple[Waiting, bytes]] = {}
        self.uses = 0
        self.retired = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram endpoint's transport

    def datagram_received(self, data: bytes, addr: object) -> None:
        if len(data) < 12:
            return
        qid, flags = struct.unpack_from("!HH", data)
        entry = self.waiting.get(qid)
        if entry is None or not flags & 0x8000:
            return
        future, question = entry
        if data[12:12 + len(question)].lower() == question.lower() and not future.done():
            future.set_result(data)

    def error_received(self, exc: Exception) -> None:
        # NOTE: on a connected socket, an ICMP "port unreachable" arrives here, not tied to any query:
        # every query waiting on this socket went to the same place, so they all learn it at once.
        if isinstance(exc, OSError):
            for future, _question in self.waiting.values():
                if not future.done():
                    future.set_result(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.retired = True
        for future, _question in self.waiting.values():
            if not future.done():
                future.set_result(exc if isinstance(exc, OSError) else ConnectionError("socket closed"))

    def close_if_idle(self) -> None:
        if self.retired and not self.waiting and self.transport is not None:
            self.transport.close()


class Transport:
    """Sends questions to the nameservers in order, with a per-try timeout, retries and a bound on the number
    of queries in flight. Create it inside the event loop that uses it; `close()` when done."""

    def __init__(self, nameservers: Sequence[Nameserver], *, timeout: float, retries: int,
                 concurrency: int) -> None:
        if not nameservers:
            raise ValueError("at least one nameserver is needed")
        self.nameservers = tuple(nameservers)
        self.timeout = timeout
        self.retries = max(0, retries)
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._channels: dict[Nameserver, _Channel] = {}
        self._opening: dict[Nameserver, asyncio.Lock] = {ns: asyncio.Lock() for ns in nameservers}
        self._open: list[_Channel] = []

    def close(self) -> None:
        for channel in self._open:
            if channel.transport is not None:
                channel.transport.close()
        self._open.clear()
        self._channels.clear()

    async def ask(self, question: bytes) -> Reply | NoReply:
        """Ask each nameserver in turn (`question`: wire name, type, class); a timeout is retried in the next
        round, other failures are final for that server (a server that said REFUSED will say it again)."""
        failures: dict[Nameserver, tuple[str, str]] = {}
        finished: set[Nameserver] = set()
        tries: dict[Nameserver, int] = {}
        for _round in range(self.retries + 1):
            for server in self.nameservers:
                if server in finished:
                    continue
                tries[server] = tries.get(server, 0) + 1
                async with self._slots:
                    outcome = await self._exchange(server, question)
                if isinstance(outcome, Reply):
                    return outcome
                failures[server] = outcome
                if outcome[0] != "timeout":
                    finished.add(server)
            if len(finished) == len(self.nameservers):
                break
        return self._no_reply(failures, tries)

    def _no_reply(self, failures: dict[Nameserver, tuple[str, str]], tries: dict[Nameserver, int]) -> NoReply:
        def text(server: Nameserver) -> str:
            kind, reason = failures[server]
            if kind == "timeout":
                count = tries[server]
                return f"timeout: no answer within {self.timeout:g}s ({count} {'try' if count == 1 else 'tries'})"
            return reason

        kinds = tuple(failures[s][0] for s in self.nameservers if s in failures)
        if len(failures) == 1:
            return NoReply(text(next(iter(failures))), kinds)
        return NoReply("every nameserver failed: " + "; ".join(f"{s}: {text(s)}" for s in failures), kinds)

    async def _exchange(self, server: Nameserver, question: bytes) -> Reply | tuple[str, str]:
        """One try against one server: a settled Reply, or (failure kind, reason)."""
        try:
            channel = await self._channel(server)
        except OSError as error:
            return "unreachable", f"cannot reach {server}: {error.strerror or error}"
        data = await self._send(channel, question)
        if data is None:
            return "timeout", "timeout"
        if isinstance(data, OSError):
            if isinstance(data, ConnectionRefusedError):
                return "unreachable", f"connection refused: no DNS server listening at {server}"
            return "unreachable", f"cannot reach {server}: {data.strerror or data}"
        try:
            wire = parse_reply(data, len(question))
        except Malformed:
            return "malformed", f"malformed reply from {server}"
        if wire.truncated:
            return await self._tcp(server, question)
        return _settle(wire, server)

    async def _send(self, channel: _Channel, question: bytes) -> bytes | OSError | None:
        loop = asyncio.get_running_loop()
        qid = secrets.randbits(16)
        while qid in channel.waiting:
            qid = secrets.randbits(16)
        future: Waiting = loop.create_future()
        channel.waiting[qid] = (future, question)
        channel.uses += 1
        timer = loop.call_later(self.timeout, _expire, future)
        try:
            assert channel.transport is not None
            channel.transport.sendto(make_query(qid, question))
            return await future
        finally:
            timer.cancel()
            del channel.waiting[qid]
            channel.close_if_idle()

    async def _channel(self, server: Nameserver) -> _Channel:
        channel = self._channels.get(server)
        if channel is not None and not channel.retired and channel.uses < CHANNEL_USES:
            return channel
        async with self._opening[server]:
            channel = self._channels.get(server)
            if channel is None or channel.retired or channel.uses >= CHANNEL_USES:
                if channel is not None:
                    channel.retired = True
                    channel.close_if_idle()
                loop = asyncio.get_running_loop()
                _transport, channel = await loop.create_datagram_endpoint(
                    _Channel, remote_addr=(server.address, server.port))
                self._channels[server] = channel
                self._open = [c for c in self._open if not (c.retired and not c.waiting)] + [channel]
        return channel

    async def _tcp(self, server: Nameserver, question: bytes) -> Reply | tuple[str, str]:
        """The same question over TCP (RFC 7766), for an answer too large for UDP."""
        try:
            data = await asyncio.wait_for(self._tcp_exchange(server, question), self.timeout)
        except TimeoutError:
            return "timeout", "timeout"
        except ConnectionRefusedError:
            return "unreachable", f"the answer was truncated and {server} refused a TCP connection"
        except (OSError, asyncio.IncompleteReadError) as error:
            return "unreachable", f"the answer was truncated and TCP to {server} failed: {error}"
        try:
            return _settle(parse_reply(data, len(question)), server)
        except Malformed:
            return "malformed", f"malformed reply from {server} over TCP"

    async def _tcp_exchange(self, server: Nameserver, question: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(server.address, server.port)
        try:
            qid = secrets.randbits(16)
            message = make_query(qid, question)
            writer.write(struct.pack("!H", len(message)) + message)
            await writer.drain()
            while True:
                size = struct.unpack("!H", await reader.readexactly(2))[0]
                data = await reader.readexactly(size)
                if len(data) >= 12 and struct.unpack_from("!H", data)[0] == qid \
                        and data[12:12 + len(question)].lower() == question.lower():
                    return data
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def _expire(future: Waiting) -> None:
    if not future.done():
        future.set_result(None)


def _settle(wire: WireReply, server: Nameserver) -> Reply | tuple[str, str]:
    if wire.rcode in (NOERROR, NXDOMAIN):
        return Reply(wire, str(server))
    text = RCODE_NAMES.get(wire.rcode, f"RCODE{wire.rcode}")
    if wire.rcode == SERVFAIL:
        return text, f"{text}: the nameserver could not resolve the name"
    if wire.rcode == REFUSED:
        return text, f"{text}: the nameserver refused to answer"
    return text, f"{text}: the nameserver answered with an error"
