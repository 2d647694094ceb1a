"""Names to addresses: the DNS step that every hostname and URL target goes through before it can be located.

A name is where an asset *says* it is; the addresses it resolves to are where traffic actually goes. So the
DNS answer is kept as supporting evidence (the CNAME chain, every address, the TTL, which nameserver said
so), and each address is then handed to an `AddressLocator` (GeoIP) for the claim that matters. Every DNS
failure becomes a distinct, readable reason, because "NXDOMAIN" and "the nameserver refused us" call for
different fixes, and neither may ever look like a clean answer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver

from residency_scan.errors import UsageError
from residency_scan.models import Asset, Evidence, Strength, TargetKind
from residency_scan.resolvers.interface import Resolver

DEFAULT_PORT = 53
_QUERY_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA)


class AddressLocator(Protocol):
    """Whatever can say where one IP address is (GeoIpResolver does)."""

    def locate_address(self, address: str) -> list[Evidence]: ...


def parse_nameserver(text: str) -> tuple[str, int]:
    """Split "HOST", "HOST:PORT" or "[IPv6]:PORT" into an address and a port.

    HOST must be an IP address: resolving the nameserver's own name would need the DNS we are configuring.
    A bare IPv6 address ("::1") is accepted and uses port 53.
    """
    spec = text.strip()
    host, port_text = spec, ""
    if spec.startswith("["):
        end = spec.find("]")
        rest = spec[end + 1 :] if end > 0 else "?"
        if rest and not rest.startswith(":"):
            raise _bad_nameserver(text, "expected [IPv6]:PORT")
        host, port_text = spec[1:end], rest[1:]
    elif spec.count(":") == 1:
        host, port_text = spec.split(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise _bad_nameserver(text, "the host must be an IP address") from None
    port = DEFAULT_PORT
    if port_text or spec.endswith(":"):
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _bad_nameserver(text, "the port must be a number between 1 and 65535")
        port = int(port_text)
    return str(address), port


def _bad_nameserver(text: str, why: str) -> UsageError:
    return UsageError(f"nameserver {text!r}: {why} (use HOST, HOST:PORT or [IPv6]:PORT)")


@dataclass(frozen=True)
class _Lookup:
    """The outcome of one query type for one name: addresses, or the reason there are none."""

    rdtype: str
    addresses: tuple[str, ...] = ()
    chain: tuple[str, ...] = ()
    ttl: int | None = None
    nameserver: str | None = None
    failure: str | None = None
    no_records: bool = False  # NoAnswer: the name exists, it just has no record of this type
    nxdomain: bool = False


class DnsResolver(Resolver):
    """An implementation of `Resolver` that resolves a target's name to addresses and locates each one."""

    name = "dns"

    def __init__(
        self,
        locator: AddressLocator,
        *,
        offline: bool = False,
        nameservers: Sequence[str] = (),
        timeout: float = 3.0,
        clock: Callable[[], datetime],
    ) -> None:
        self._locator = locator
        self._offline = offline
        self._timeout = timeout
        self._clock = clock
        self._stub: dns.resolver.Resolver | None = None
        self._setup_failure: str | None = None
        # Parse before the offline check, so a bad --nameserver is reported even when it would not be used.
        servers = [dns.nameserver.Do53Nameserver(*parse_nameserver(text)) for text in nameservers]
        if offline:
            return
        try:
            stub = dns.resolver.Resolver(configure=not servers)
        except dns.exception.DNSException as error:
            # NOTE: no /etc/resolv.conf (or no nameserver in it) fails every name, each with this reason,
            # rather than the whole scan: the names that matter are still listed as unknown.
            self._setup_failure = f"no usable system DNS configuration: {error}"
            return
        if servers:
            stub.nameservers = servers
        stub.lifetime = timeout
        self._stub = stub

    def applies_to(self, asset: Asset) -> bool:
        target = asset.target
        if target is None:
            return False
        if target.kind is TargetKind.HOSTNAME:
            return True
        return target.kind is TargetKind.URL and target.network() is None

    def resolve(self, asset: Asset) -> list[Evidence]:
        assert asset.target is not None, "resolve() is only called for assets applies_to() accepted"
        host = asset.target.host
        if self._offline:
            return [self._failure(host, "offline: DNS not queried (--offline)")]
        if self._stub is None:
            return [self._failure(host, self._setup_failure or "no DNS resolver configured")]
        try:
            qname = dns.name.from_text(host)
        except (dns.exception.DNSException, UnicodeError, ValueError) as error:
            return [self._failure(host, f"invalid DNS name: {error}")]

        a = self._query(self._stub, qname, dns.rdatatype.A)
        # A name that does not exist has no record of any type (RFC 8020): no need to ask again.
        lookups = (a,) if a.nxdomain else (a, self._query(self._stub, qname, dns.rdatatype.AAAA))
        answered = [lookup for lookup in lookups if lookup.addresses]
        if not answered:
            return [self._failure(host, _reason_for_nothing(lookups), raw=_failure_raw(lookups))]

        addresses = sorted({address for lookup in answered for address in lookup.addresses}, key=_address_key)
        ttls = [lookup.ttl for lookup in answered if lookup.ttl is not None]
        evidence = [
            Evidence(
                source=self.name,
                strength=Strength.MEASURED,
                subject=host,
                observed_at=self._clock(),
                raw={
                    "chain": list(answered[0].chain),
                    "addresses": addresses,
                    "ttl": min(ttls) if ttls else None,
                    "nameserver": answered[0].nameserver,
                },
            )
        ]
        for lookup in lookups:
            if not lookup.addresses and not lookup.no_records:
                # NOTE: half an answer is not the whole set of addresses behind the name, and one address
                # abroad is enough to move the asset abroad; so the missing half stays visible as unknown.
                reason = f"{lookup.rdtype} lookup failed, addresses may be incomplete: {lookup.failure}"
                evidence.append(self._failure(host, reason, raw=_failure_raw((lookup,))))
        for address in addresses:
            evidence.extend(self._locator.locate_address(address))
        return evidence

    def _query(
        self, stub: dns.resolver.Resolver, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> _Lookup:
        kind = dns.rdatatype.to_text(rdtype)
        try:
            answer = stub.resolve(qname, rdtype, search=False)
        except dns.resolver.NXDOMAIN as error:
            chain = _chain(_nxdomain_response(error, qname), qname)
            reason = "NXDOMAIN: name does not exist"
            if len(chain) > 1:
                reason += f" ({chain[-1]}, reached through CNAME)"
            return _Lookup(kind, chain=chain, failure=reason, nxdomain=True)
        except dns.resolver.NoAnswer as error:
            chain = _chain(error.kwargs.get("response"), qname)
            return _Lookup(kind, chain=chain, failure=f"no {kind} records", no_records=True)
        except dns.exception.Timeout:
            return _Lookup(kind, failure=f"timeout after {self._timeout:g}s")
        except dns.resolver.NoNameservers as error:
            return _Lookup(kind, failure=_reason_from_nameserver_errors(error.kwargs.get("errors", [])))
        except dns.resolver.YXDOMAIN:
            return _Lookup(kind, failure="YXDOMAIN: name too long after DNAME substitution")
        except dns.exception.DNSException as error:
            return _Lookup(kind, failure=f"DNS error: {error}")
        addresses = tuple(str(ipaddress.ip_address(rdata.address)) for rdata in answer)
        return _Lookup(
            kind,
            addresses=addresses,
            chain=_chain(answer.response, qname),
            ttl=answer.chaining_result.minimum_ttl,
            nameserver=_endpoint(answer.nameserver, answer.port),
        )

    def _failure(self, host: str, reason: str, *, raw: Any = None) -> Evidence:
        return Evidence(
            source=self.name,
            strength=Strength.MEASURED,
            subject=host,
            failure=reason,
            observed_at=self._clock(),
            raw=raw,
        )


def _reason_for_nothing(lookups: Sequence[_Lookup]) -> str:
    """One reason for a name with no address: "no records" only if every query type really said so."""
    if all(lookup.no_records for lookup in lookups):
        return "no A/AAAA records"
    failed = next(lookup for lookup in lookups if not lookup.no_records)
    return failed.failure or "no address"


def _failure_raw(lookups: Sequence[_Lookup]) -> dict[str, Any]:
    raw: dict[str, Any] = {"errors": {lookup.rdtype: lookup.failure for lookup in lookups}}
    chain = next((lookup.chain for lookup in lookups if len(lookup.chain) > 1), ())
    if chain:
        raw["chain"] = list(chain)
    return raw


def _reason_from_nameserver_errors(errors: Sequence[Any]) -> str:
    """Why every nameserver gave up, from dnspython's (server, tcp, port, error-or-rcode, response) list."""
    reasons: list[str] = []
    for entry in errors:
        error, response = entry[3], entry[4]
        if isinstance(error, dns.message.ChainTooLong):
            reason = f"CNAME chain too long or looping (over {dns.message.MAX_CHAIN} links)"
        elif isinstance(error, BaseException):
            reason = f"{type(error).__name__}: {error}"
        elif isinstance(response, dns.message.Message):
            reason = _rcode_reason(response.rcode())
        else:
            reason = str(error)
        if reason not in reasons:
            reasons.append(reason)
    return "; ".join(reasons) if reasons else "no nameserver could answer"


def _rcode_reason(rcode: dns.rcode.Rcode) -> str:
    text = dns.rcode.to_text(rcode)
    if rcode == dns.rcode.SERVFAIL:
        return f"{text}: the nameserver could not resolve the name"
    if rcode == dns.rcode.REFUSED:
        return f"{text}: the nameserver refused to answer"
    return f"{text}: the nameserver answered with an error"


def _nxdomain_response(error: dns.resolver.NXDOMAIN, qname: dns.name.Name) -> dns.message.Message | None:
    responses = error.kwargs.get("responses") or {}
    response = responses.get(qname)
    return response if isinstance(response, dns.message.Message) else None


def _chain(response: dns.message.Message | None, qname: dns.name.Name) -> tuple[str, ...]:
    """The queried name followed by every CNAME target, as text (escaped by dnspython, never interpreted)."""
    names = [_text(qname)]
    if isinstance(response, dns.message.QueryMessage):
        try:
            cnames = response.resolve_chaining().cnames
        except dns.exception.DNSException:
            cnames = []
        for rrset in cnames:
            names.extend(_text(rdata.target) for rdata in rrset)
    return tuple(names)


def _text(name: dns.name.Name) -> str:
    # Lower case like Target.host, so later matching (CDN suffixes...) compares like with like.
    return name.to_text(omit_final_dot=True).lower()


def _endpoint(address: str | None, port: int | None) -> str | None:
    if address is None:
        return None
    host = f"[{address}]" if ":" in address else address
    return host if port is None else f"{host}:{port}"


def _address_key(address: str) -> tuple[int, int]:
    parsed = ipaddress.ip_address(address)
    return parsed.version, int(parsed)
