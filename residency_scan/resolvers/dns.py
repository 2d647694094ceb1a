"""Names to addresses: the DNS step that every hostname and URL target goes through before it can be located.

A name is where an asset *says* it is; the addresses it resolves to are where traffic actually goes. So every
CNAME chain is followed to its end, every A and AAAA address is located (one abroad makes the asset abroad),
and a chain that runs into a vendor's domain (a SaaS, a CDN) brings that vendor's location in too. Mail
domains (assets tagged `service: mail`) are located through their MX exchangers. The zone's nameservers are
recorded as supporting information about who runs the DNS.

A batch of assets is resolved concurrently (`resolve_all`): each distinct name once, at most `concurrency`
queries in flight, each try bounded by `timeout` and retried `retries` times, answers kept in an optional
on-disk cache (`DnsCache`). Every DNS failure becomes a distinct, readable reason, because "NXDOMAIN" and
"the nameserver refused us" call for different fixes, and neither may ever look like a clean answer.
The pieces: dns_names (checking names), dns_wire (the wire format), dns_transport (asking), dns_lookup
(answers, chains, cache), dns_evidence (evidence); dns_cache is the on-disk cache.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

import dns.exception
import dns.resolver

from residency_scan.models import Asset, Evidence, TargetKind
from residency_scan.resolvers.address_locators import AddressLocator, Prefetching
from residency_scan.resolvers.dns_cache import DnsCache
from residency_scan.resolvers.dns_evidence import (
    MAX_EXCHANGERS,
    EvidenceMaker,
    HostLookup,
    MailLookup,
    VendorEvidence,
    VendorMatch,
    ZoneLookup,
    catalog_cname_evidence,
    zone_failure,
)
from residency_scan.resolvers.dns_lookup import Memory, Session
from residency_scan.resolvers.dns_names import CheckedName, answer_name, check_name, parse_nameserver
from residency_scan.resolvers.dns_transport import Nameserver, Transport
from residency_scan.resolvers.dns_wire import AAAA, MX, A
from residency_scan.resolvers.interface import Resolver

DEFAULT_CONCURRENCY = 64
DEFAULT_TIMEOUT = 3.0
DEFAULT_RETRIES = 1
OFFLINE = "offline: DNS not queried (--offline)"
OFFLINE_MISS = "offline: not in the DNS cache"
MAIL_TAG = ("service", "mail")
"""An asset tagged `service: mail` is a mail domain: located through its MX exchangers (RFC 5321 §5.1)."""

_T = TypeVar("_T")

__all__ = ["AddressLocator", "DnsResolver", "VendorEvidence", "VendorMatch", "catalog_cname_evidence",
           "parse_nameserver"]


class DnsResolver(Resolver):
    """An implementation of `Resolver` that resolves a target's name to addresses and locates each one.

    `match_vendor` (e.g. `VendorCatalog.match_domain`) recognises vendor domains in CNAME chains and MX names;
    `vendor_evidence` (e.g. `catalog_cname_evidence(...)`) says where that vendor's tenant is. Fresh evidence
    is dated by `clock` (which `--reproducible` may pin); cached evidence by when it was fetched, on the
    cache's own clock, which is never pinned.
    """

    name = "dns"

    def __init__(
        self,
        locator: AddressLocator,
        *,
        offline: bool = False,
        nameservers: Sequence[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
        clock: Callable[[], datetime],
        concurrency: int = DEFAULT_CONCURRENCY,
        retries: int = DEFAULT_RETRIES,
        cache: DnsCache | None = None,
        refresh: bool = False,
        match_vendor: VendorMatch | None = None,
        vendor_evidence: VendorEvidence | None = None,
        zone_nameservers: bool = True,
    ) -> None:
        self._locator = locator
        self._timeout = timeout
        self._clock = clock
        self._concurrency = max(1, concurrency)
        self._retries = max(0, retries)
        self._cache = cache
        self._refresh = refresh
        self._match_vendor = match_vendor
        self._vendor_evidence = vendor_evidence
        self._zone_nameservers = zone_nameservers
        self._memory = Memory()
        self._cache_warnings: list[str] = []
        # Parse before the offline check, so a bad --dns-server is reported even when it would not be used.
        self._servers = [parse_nameserver(text) for text in nameservers]
        self._unavailable: str | None = OFFLINE if cache is None else OFFLINE_MISS
        self._view = ",".join(map(str, self._servers))
        if not self._servers:
            self._servers, problem = _system_nameservers()
            self._view = "system:" + ",".join(map(str, self._servers))
            if problem is not None and not offline:
                # NOTE: no /etc/resolv.conf (or no nameserver in it) fails every name, each with this reason,
                # rather than the whole scan: the names that matter are still listed as unknown.
                self._unavailable = problem
        if not offline and self._servers:
            self._unavailable = None

    def applies_to(self, asset: Asset) -> bool:
        target = asset.target
        if target is None:
            return False
        if target.kind is TargetKind.HOSTNAME:
            return True
        return target.kind is TargetKind.URL and target.network() is None

    def resolve(self, asset: Asset) -> list[Evidence]:
        return self.resolve_all([asset]).get(asset.id, [])

    def resolve_all(self, assets: Sequence[Asset]) -> dict[str, list[Evidence]]:
        """Evidence per asset, every distinct name resolved once, concurrently."""
        wanted = [asset for asset in assets if self.applies_to(asset)]
        if not wanted:
            return {}
        checked: dict[str, CheckedName | str] = {}
        plain: dict[str, CheckedName] = {}
        mail: dict[str, CheckedName] = {}
        for asset in wanted:
            host = _host_of(asset)
            name = checked.get(host)
            if name is None:
                name = checked[host] = check_name(host)
            if isinstance(name, CheckedName):
                (mail if _is_mail(asset) else plain)[name.text] = name
        maker = EvidenceMaker(clock=self._clock, locator=self._locator, match_vendor=self._match_vendor,
                              vendor_evidence=self._vendor_evidence)
        if self._unavailable is not None and self._cache is None:  # nothing to ask, nowhere to look
            return {asset.id: [self._unavailable_evidence(maker, _host_of(asset), checked)] for asset in wanted}

        hosts, mails, zones = _run(self._gather(plain, mail))
        if isinstance(self._locator, Prefetching):  # e.g. RDAP: look every address up at once, not one by one
            self._locator.prefetch(sorted({a for found in hosts.values() for a in (*found.a.records,
                                                                                   *found.aaaa.records)}))
        if self._cache is not None:
            self._cache.flush()
            self._cache_warnings.extend(self._cache.take_warnings())
        warnings = maker.cache_warnings(str(self._cache.path), self._cache_warnings) if self._cache else []
        out: dict[str, list[Evidence]] = {}
        for asset in wanted:
            name = checked[_host_of(asset)]
            if isinstance(name, str):
                out[asset.id] = [maker.failure(_host_of(asset), name)]
                continue
            if _is_mail(asset):
                evidence = maker.mail(name, mails[name.text], hosts.get(name.text), vendor=asset.vendor)
            else:
                evidence = maker.host(hosts[name.text], vendor=asset.vendor)
            if name.text in zones:
                evidence.append(maker.zone(name.text, zones[name.text]))
            out[asset.id] = evidence + warnings
        return out

    def _unavailable_evidence(self, maker: EvidenceMaker, host: str, checked: dict[str, CheckedName | str]
                              ) -> Evidence:
        name = checked[host]
        return maker.failure(host, name if isinstance(name, str) else self._unavailable or OFFLINE)

    # ------------------------------------------------------------------------------------------ asking

    async def _gather(self, plain: dict[str, CheckedName], mail: dict[str, CheckedName]
                      ) -> tuple[dict[str, HostLookup], dict[str, MailLookup], dict[str, ZoneLookup]]:
        """Every lookup of the batch: A/AAAA of plain names, MX (then exchangers) of mail domains, zones."""
        transport = None
        if self._unavailable is None:
            transport = Transport(self._servers, timeout=self._timeout, retries=self._retries,
                                  concurrency=self._concurrency)
        session = Session(transport, view=self._view, cache=self._cache, refresh=self._refresh,
                          unavailable=self._unavailable or "", memory=self._memory)
        hosts: dict[str, asyncio.Future[HostLookup]] = {}
        mails: dict[str, MailLookup] = {}
        zones: dict[str, ZoneLookup] = {}
        with_zones = self._zone_nameservers and (transport is not None or self._cache is not None)

        async def host(name: CheckedName) -> HostLookup:
            """A and AAAA of a name, once per batch (mail exchangers are often shared)."""
            pending = hosts.get(name.text)
            if pending is not None:
                return await pending
            pending = hosts[name.text] = asyncio.get_running_loop().create_future()
            a = asyncio.ensure_future(session.follow(name, A))
            aaaa = await session.follow(name, AAAA)
            found = HostLookup(name, await a, aaaa)
            pending.set_result(found)
            return found

        async def one(name: CheckedName) -> None:
            hint = None
            if name.text in mail:
                mails[name.text] = found = await _mail(session, name, host)
                if found.mx.no_records:
                    await host(name)  # no MX: mail goes to the domain's own addresses (implicit MX)
            if name.text in plain:
                hint = _zone_hint(await host(name))
            if with_zones:
                zones[name.text] = await _zone(session, name, hint)

        try:
            await asyncio.gather(*(one(name) for name in {**plain, **mail}.values()))
        finally:
            if transport is not None:
                transport.close()
        return {text: future.result() for text, future in hosts.items()}, mails, zones


async def _mail(session: Session, name: CheckedName,
                host: Callable[[CheckedName], Coroutine[Any, Any, HostLookup]]) -> MailLookup:
    mx = await session.follow(name, MX)
    exchangers = _exchangers(mx.records)

    async def located(pref: int, exchange: str) -> tuple[int, str, HostLookup | str]:
        checked = check_name(exchange) if exchange != "." else "null MX (RFC 7505)"
        return pref, exchange, checked if isinstance(checked, str) else await host(checked)

    found = await asyncio.gather(*(located(pref, exchange) for pref, exchange in exchangers[:MAX_EXCHANGERS]))
    return MailLookup(mx, tuple(found), skipped=max(0, len(exchangers) - MAX_EXCHANGERS))


def _exchangers(records: Sequence[str]) -> list[tuple[int, str]]:
    """MX records ("preference exchange") by preference; anything else (a damaged cache entry) is dropped."""
    parsed = []
    for record in records:
        pref, _, exchange = record.partition(" ")
        if pref.isdigit() and exchange:
            parsed.append((int(pref), exchange))
    return sorted(parsed)


async def _zone(session: Session, name: CheckedName, hint: str | None) -> ZoneLookup:
    zone = await session.zone_of(name, hint)
    failure = zone_failure(zone)
    if failure is not None or not isinstance(zone, str):
        return ZoneLookup(zone=None, failure=failure)
    apex = answer_name(zone)
    if apex is None:
        return ZoneLookup(zone=None, failure=f"zone not found: {zone!r} is not a name")
    return ZoneLookup(zone=zone, ns=await session.nameservers(apex))


def _zone_hint(found: HostLookup) -> str | None:
    """The zone named by a negative answer about the name itself (a real resolver's NODATA carries its SOA)."""
    for lookup in (found.a, found.aaaa):
        for fetched in lookup.fetched:
            if len(fetched.answer.chain) == 1 and fetched.answer.zone is not None:
                return fetched.answer.zone
    return None


def _run(work: Coroutine[Any, Any, _T]) -> _T:
    """Run the batch in its own event loop; in a thread when the caller is itself inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


def _host_of(asset: Asset) -> str:
    assert asset.target is not None
    return asset.target.host


def _is_mail(asset: Asset) -> bool:
    key, value = MAIL_TAG
    return any(k.strip().lower() == key and v.strip().lower() == value for k, v in asset.tags.items())


def _system_nameservers() -> tuple[list[Nameserver], str | None]:
    """The system's nameservers (/etc/resolv.conf), or the reason there are none."""
    try:
        stub = dns.resolver.Resolver(configure=True)
    except dns.exception.DNSException as error:
        return [], f"no usable system DNS configuration: {error}"
    servers = []
    for server in stub.nameservers:
        try:
            servers.append(Nameserver(str(ipaddress.ip_address(str(server))), stub.port))
        except ValueError:
            continue  # not a plain address (a DNS-over-HTTPS URL set by someone else): not ours to use
    if not servers:
        return [], "no usable system DNS configuration: no nameserver"
    return servers, None
