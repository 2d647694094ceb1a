"""An implementation of `SourceLocator` that locates source addresses like any other address of the scan.

The evidence comes from the scan's `GeoIpResolver` (the embedded registry data, and the user's `--geoip-db` /
`--asn-db`), and is fused by `locate.locate_subject`, so an administrator's address gets exactly the status an
asset at that address would get: registry data alone never confirms.

A private source (a VPN pool, a bastion's LAN) has no public location. When an inventory asset of kind
`network` covers it and declares a country, that country is reported — still *unknown*, since a declaration
never confirms — so a report can say "private address in network asset vpn-rabat, declared in MA".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Protocol

from residency_scan.access.interface import SourceLocation
from residency_scan.inventory.suggest import shown
from residency_scan.locate import locate_subject
from residency_scan.models import AssetKind, Evidence, Inventory, LocationStatus, Strength
from residency_scan.resolvers.reserved import IPV4_CARRIERS

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressEvidence(Protocol):
    """What the locator needs from `GeoIpResolver`: the evidence about one address."""

    def locate_address(self, address: str) -> list[Evidence]: ...


class GeoIpSourceLocator:
    """Locates source addresses with the scan's GeoIP evidence and the inventory's declared networks."""

    def __init__(self, resolver: AddressEvidence, inventory: Inventory) -> None:
        self._resolver = resolver
        self._networks = _declared_networks(inventory)
        self._cache: dict[str, SourceLocation] = {}

    def locate(self, address: str) -> SourceLocation:
        found = self._cache.get(address)
        if found is None:
            found = self._cache[address] = self._locate(address)
        return found

    def _locate(self, address: str) -> SourceLocation:
        try:
            ip = _unmapped(ipaddress.ip_address(address))
        except ValueError:
            return SourceLocation(reason=(
                f"{shown(address)} is not an IP address (sshd logs a host name when UseDNS is on): "
                "where it was cannot be established; turn UseDNS off to log addresses"))
        part = locate_subject(address, self._resolver.locate_address(address), ())
        if part.internal:
            return self._internal(address, ip)
        country = part.countries[0] if len(part.countries) == 1 else None
        return SourceLocation(country=country, status=part.status, strongest=part.strongest, reason=part.reason)

    def _internal(self, address: str, ip: IPAddress) -> SourceLocation:
        for network, asset_id, country in self._networks:
            if ip.version == network.version and ip in network:
                return SourceLocation(country=country, internal=True, strongest=Strength.DECLARED,
                                      status=LocationStatus.UNKNOWN,
                                      reason=f"private address in network asset {asset_id}, declared in {country}")
        return SourceLocation(internal=True, reason=(
            f"{address} is a private/reserved address and no network asset of the inventory with a declared "
            "country contains it: declare the VPN or bastion network it comes from"))


def _unmapped(ip: IPAddress) -> IPAddress:
    """An IPv4-mapped or NAT64 IPv6 address stands for its IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address) and int(ip) >> 32 in IPV4_CARRIERS:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def _declared_networks(inventory: Inventory) -> Sequence[tuple[IPNetwork, str, str]]:
    """Network assets with a declared country, most specific first (then by id), for the internal lookup."""
    found: list[tuple[IPNetwork, str, str]] = []
    for asset in inventory.assets:
        if asset.kind is not AssetKind.NETWORK or asset.target is None:
            continue
        country = asset.declared.country if asset.declared is not None else None
        network = asset.target.network()
        if network is not None and country:
            found.append((network, asset.id, country))
    found.sort(key=lambda item: (-item[0].prefixlen, item[1]))
    return tuple(found)
