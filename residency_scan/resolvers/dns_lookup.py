"""What the answers mean: CNAME chains followed to the end, each question asked once, the cache consulted first.

`Answer` is one reply reduced to what a location needs (the chain of names, the records at its end, the TTL),
in a JSON form the cache stores. `Session` asks the questions of one batch: each (name, type) at most once
however many assets share it, from the cache when a fresh entry exists, and follows chains across replies
when a server returns only part of one. A loop (a → b → a) or a chain over `MAX_CHAIN` links is a failure
with the chain shown, never a hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.name

from residency_scan.resolvers.dns_cache import DnsCache
from residency_scan.resolvers.dns_names import CheckedName, answer_name, parent
from residency_scan.resolvers.dns_transport import NoReply, Transport
from residency_scan.resolvers.dns_wire import CNAME, NS, NXDOMAIN, SOA, TYPE_NAMES, Record, WireReply, question

MAX_CHAIN = 16
"""CNAME links followed before giving up (dnspython's own limit, and more than any real deployment uses)."""
NEGATIVE_TTL = 300
"""Seconds a negative answer without an SOA (RFC 2308 gives no TTL then) stays in the cache."""
MAX_RECORDS = 256
"""Records kept from one answer; a longer answer is reported as such rather than trusted in part."""


@dataclass(frozen=True)
class Answer:
    """One settled reply: `chain` is the question's name then every CNAME target, `records` the data of the
    asked type at the chain's end (addresses, "preference exchange", names) as text."""

    rcode: str  # "NOERROR" or "NXDOMAIN"
    chain: tuple[str, ...]
    records: tuple[str, ...]
    ttl: int
    nameserver: str
    zone: str | None = None  # owner of the SOA in the authority section (negative answers)
    problem: str | None = None  # "loop" or "too-long": the chain cannot be followed
    too_many: int = 0  # records beyond MAX_RECORDS that were dropped

    def to_json(self) -> dict[str, Any]:
        return {"rcode": self.rcode, "chain": list(self.chain), "records": list(self.records), "ttl": self.ttl,
                "nameserver": self.nameserver, "zone": self.zone, "problem": self.problem,
                "too_many": self.too_many}

    @classmethod
    def from_json(cls, value: Any) -> Answer | None:
        """The answer a cache entry holds, or None when the entry is not what `to_json` writes."""
        if not isinstance(value, dict):
            return None
        chain, records = value.get("chain"), value.get("records")
        fields_ok = (
            value.get("rcode") in ("NOERROR", "NXDOMAIN") and _texts(chain, 1) and _texts(records, 0)
            and isinstance(value.get("ttl"), int) and isinstance(value.get("nameserver"), str)
            and (value.get("zone") is None or isinstance(value.get("zone"), str)))
        if not fields_ok or value.get("problem") not in (None, "loop", "too-long"):
            return None
        assert isinstance(chain, list) and isinstance(records, list)
        too_many = value.get("too_many", 0)
        return cls(rcode=value["rcode"], chain=tuple(chain), records=tuple(records), ttl=value["ttl"],
                   nameserver=value["nameserver"][:300], zone=value.get("zone"), problem=value.get("problem"),
                   too_many=too_many if isinstance(too_many, int) else 0)


def _texts(value: Any, minimum: int) -> bool:
    return (isinstance(value, list) and minimum <= len(value) <= MAX_RECORDS + MAX_CHAIN + 1
            and all(isinstance(item, str) and len(item) <= 1024 for item in value))


def read_answer(reply: WireReply, qname: str, rdtype: int, nameserver: str) -> Answer:
    """Reduce a reply to an Answer, reading only records that belong to the chain from `qname`.

    Records for other owners (a hostile or sloppy server's extras) are ignored: they answer no question asked.
    """
    links: dict[str, Record] = {}
    found: dict[str, list[Record]] = {}
    for record in reply.answer:
        if record.rdtype == CNAME and rdtype != CNAME:
            links.setdefault(record.owner, record)
        elif record.rdtype == rdtype:
            found.setdefault(record.owner, []).append(record)
    chain, ttls, problem = [qname], [], None
    current = qname
    while (link := links.get(current)) is not None:
        ttls.append(link.ttl)
        current = str(link.data)
        chain.append(current)
        if chain.count(current) > 1:
            problem = "loop"
            break
        if len(chain) - 1 > MAX_CHAIN:
            problem = "too-long"
            break
    at_end = [] if problem else found.get(current, [])
    records = sorted({_record_text(record) for record in at_end})
    ttls.extend(record.ttl for record in at_end)
    zone, negative_ttl = _authority_soa(reply)
    rcode = "NXDOMAIN" if reply.rcode == NXDOMAIN else "NOERROR"
    if not records:
        ttls.append(negative_ttl if negative_ttl is not None else NEGATIVE_TTL)
    return Answer(rcode=rcode, chain=tuple(chain), records=tuple(records[:MAX_RECORDS]), ttl=max(0, min(ttls)),
                  nameserver=nameserver, zone=zone, problem=problem, too_many=max(0, len(records) - MAX_RECORDS))


def _record_text(record: Record) -> str:
    if isinstance(record.data, tuple):  # MX (preference, exchange)
        return f"{record.data[0]} {record.data[1]}"
    return str(record.data)


def _authority_soa(reply: WireReply) -> tuple[str | None, int | None]:
    for record in reply.authority:
        if record.rdtype == SOA and isinstance(record.data, tuple):
            return record.owner, min(record.ttl, record.data[0])
    return None, None


# --------------------------------------------------------------------------------------------- lookups


@dataclass(frozen=True)
class Fetched:
    """An answer and where it came from: the server just now, or the cache (fetched `age` seconds ago)."""

    answer: Answer
    fetched_at: float
    cached: bool
    age: float = 0.0


@dataclass(frozen=True)
class Failed:
    reason: str
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lookup:
    """One type asked for one name, its chain followed to the end (possibly over several questions)."""

    rdtype: str
    chain: tuple[str, ...]
    records: tuple[str, ...] = ()
    ttl: int | None = None
    nameserver: str | None = None
    failure: str | None = None
    no_records: bool = False  # the name exists and has no record of this type
    nxdomain: bool = False
    fetched: tuple[Fetched, ...] = ()


@dataclass
class Memory:
    """What outlives one batch: zones and their nameservers, asked once per scan (bounded)."""

    zones: dict[str, str | Failed | None] = field(default_factory=dict)
    nameservers: dict[str, Lookup] = field(default_factory=dict)
    limit: int = 100_000

    def remember(self, name: str, zone: str | Failed | None) -> None:
        if len(self.zones) >= self.limit:
            self.zones.clear()
        self.zones[name] = zone


class Session:
    """The questions of one batch, inside one event loop. `transport` None: nothing may be sent (offline,
    or no usable resolver), and `unavailable` says why for every answer the cache does not hold."""

    def __init__(self, transport: Transport | None, *, view: str, cache: DnsCache | None, refresh: bool,
                 unavailable: str, memory: Memory) -> None:
        self._transport = transport
        self._view = view
        self._cache = cache
        self._refresh = refresh
        self._unavailable = unavailable
        self._memory = memory
        # Per question: its outcome, or while it is being asked, the futures of those waiting for it.
        self._asked: dict[tuple[str, int], Fetched | Failed | list[asyncio.Future[Fetched | Failed]]] = {}

    async def ask(self, name: CheckedName, rdtype: int) -> Fetched | Failed:
        """One question, asked at most once per batch: the first caller asks, the others wait for it."""
        key = (name.text, rdtype)
        known = self._asked.get(key)
        if isinstance(known, list):
            waiting: asyncio.Future[Fetched | Failed] = asyncio.get_running_loop().create_future()
            known.append(waiting)
            return await waiting
        if known is not None:
            return known
        waiters: list[asyncio.Future[Fetched | Failed]] = []
        self._asked[key] = waiters
        outcome = await self._ask(name, rdtype)
        self._asked[key] = outcome
        for waiting in waiters:
            waiting.set_result(outcome)
        return outcome

    async def _ask(self, name: CheckedName, rdtype: int) -> Fetched | Failed:
        kind = TYPE_NAMES[rdtype]
        if self._cache is not None and not self._refresh:
            hit = self._cache.get(name.text, kind, self._view)
            if hit is not None:
                answer = Answer.from_json(hit.answer)
                if answer is not None and answer.chain[0] == name.text:
                    return Fetched(answer, hit.fetched_at, cached=True, age=hit.age)
                self._cache.note(f"DNS cache entry for {name.text[:100]!r} {kind} does not hold an answer; ignored")
        if self._transport is None:
            return Failed(self._unavailable)
        reply = await self._transport.ask(question(name.wire, rdtype))
        if isinstance(reply, NoReply):
            return Failed(reply.reason, reply.kinds)
        answer = read_answer(reply.wire, name.text, rdtype, reply.nameserver)
        if self._cache is None:
            return Fetched(answer, 0.0, cached=False)
        fetched_at = self._cache.now()
        self._cache.put(name.text, kind, self._view, answer.to_json(), answer.ttl, fetched_at)
        return Fetched(answer, fetched_at, cached=False)

    async def follow(self, name: CheckedName, rdtype: int) -> Lookup:
        """Ask, and ask again from the chain's end while a reply stops at a CNAME it does not answer."""
        kind = TYPE_NAMES[rdtype]
        chain = [name.text]
        fetched: list[Fetched] = []
        current: CheckedName | None = name
        while current is not None:
            got = await self.ask(current, rdtype)
            if isinstance(got, Failed):
                return Lookup(kind, tuple(chain), failure=got.reason, fetched=tuple(fetched))
            fetched.append(got)
            answer = got.answer
            chain.extend(answer.chain[1:])
            problem = answer.problem or _chain_problem(chain)
            if problem:
                return Lookup(kind, tuple(chain), failure=_problem_text(problem, chain), fetched=tuple(fetched))
            done = _settled(kind, tuple(chain), answer, tuple(fetched))
            if done is not None:
                return done
            # The reply stopped at a CNAME without saying the target has no such record: ask the target.
            current = answer_name(answer.chain[-1])
        return Lookup(kind, tuple(chain), failure=f"the CNAME target {chain[-1]} is not a name that can be asked",
                      fetched=tuple(fetched))

    async def zone_of(self, name: CheckedName, hint: str | None = None) -> str | Failed | None:
        """The zone holding `name` (the closest enclosing SOA), like dns.resolver.zone_for_name. `hint`: the
        zone an earlier negative answer about `name` itself named in its authority section."""
        if name.text in self._memory.zones:
            return self._memory.zones[name.text]
        zone: str | Failed | None = hint if hint is not None and _covers(hint, name.text) else None
        current: CheckedName | None = name if zone is None else None
        while current is not None:
            got = await self.ask(current, SOA)
            if isinstance(got, Failed):
                zone = got
                break
            answer = got.answer
            if len(answer.chain) == 1 and answer.records:
                zone = current.text
                break
            if len(answer.chain) == 1 and answer.zone is not None and answer.zone != current.text \
                    and _covers(answer.zone, current.text):
                zone = answer.zone
                break
            current = parent(current)
        self._memory.remember(name.text, zone)
        return zone

    async def nameservers(self, zone: CheckedName) -> Lookup:
        """The zone's NS set, asked once per scan."""
        known = self._memory.nameservers.get(zone.text)
        if known is None:
            known = await self.follow(zone, NS)
            if len(self._memory.nameservers) >= self._memory.limit:
                self._memory.nameservers.clear()
            self._memory.nameservers[zone.text] = known
        return known


def _settled(kind: str, chain: tuple[str, ...], answer: Answer, fetched: tuple[Fetched, ...]) -> Lookup | None:
    """The lookup's outcome from the latest answer, or None when the chain must be followed further."""
    if answer.rcode == "NXDOMAIN":
        reason = "NXDOMAIN: name does not exist"
        if len(chain) > 1:
            reason += f" ({chain[-1]}, reached through CNAME)"
        return Lookup(kind, chain, failure=reason, nxdomain=True, nameserver=answer.nameserver, fetched=fetched)
    if answer.too_many:
        reason = f"{len(answer.records) + answer.too_many} {kind} records: too many to be a real answer"
        return Lookup(kind, chain, failure=reason, nameserver=answer.nameserver, fetched=fetched)
    if answer.records:
        return Lookup(kind, chain, records=answer.records, ttl=min(f.answer.ttl for f in fetched),
                      nameserver=answer.nameserver, fetched=fetched)
    if len(answer.chain) > 1 and not _covers(answer.zone, answer.chain[-1]):
        return None
    return Lookup(kind, chain, failure=f"no {kind} records", no_records=True, nameserver=answer.nameserver,
                  fetched=fetched)


def _chain_problem(chain: list[str]) -> str | None:
    if len(set(chain)) < len(chain):
        return "loop"
    if len(chain) - 1 > MAX_CHAIN:
        return "too-long"
    return None


def _problem_text(problem: str, chain: Iterable[str]) -> str:
    names = list(chain)
    shown = " → ".join(names if len(names) <= 6 else [*names[:3], "…", *names[-2:]])
    if problem == "loop":
        return f"CNAME loop: {shown}"
    return f"CNAME chain too long: over {MAX_CHAIN} links ({shown})"


def _covers(zone: str | None, name: str) -> bool:
    """Whether `zone` is `name` or one of its parents (names as text, as answers give them)."""
    if zone is None:
        return False
    if "\\" in name or "\\" in zone:  # an escaped dot is not a label boundary: let dnspython compare labels
        try:
            return dns.name.from_text(name).is_subdomain(dns.name.from_text(zone))
        except (dns.exception.DNSException, UnicodeError, ValueError):
            return False
    return zone in (".", name) or name.endswith("." + zone)
