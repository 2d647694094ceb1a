"""Special-purpose address ranges (IANA registries): addresses that no public dataset can place.

A private, loopback, CGNAT or documentation address says nothing about a country; it is located as
"internal", which only a declared site can complete, and never as compliant on its own.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable

# IANA special-purpose registries: addresses that have no public location. Ranges that are special but
# globally reachable (AS112, AMT, PCP anycast...) are left to the databases.
RESERVED_V4 = (
    ("0.0.0.0/8", "'this network' (RFC 791)"),
    ("10.0.0.0/8", "private-use (RFC 1918)"),
    ("100.64.0.0/10", "shared address space, carrier-grade NAT (RFC 6598)"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link-local (RFC 3927)"),
    ("172.16.0.0/12", "private-use (RFC 1918)"),
    ("192.0.0.0/29", "IPv4 service continuity prefix (RFC 7335)"),
    ("192.0.0.8/32", "IPv4 dummy address (RFC 7600)"),
    ("192.0.0.170/31", "NAT64/DNS64 discovery (RFC 7050)"),
    ("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
    ("192.168.0.0/16", "private-use (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
    ("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved for future use and limited broadcast (RFC 1112, RFC 919)"),
)
RESERVED_V6 = (
    ("::/128", "unspecified address (RFC 4291)"),
    ("::1/128", "loopback (RFC 4291)"),
    ("2001:2::/48", "benchmarking (RFC 5180)"),
    ("2001:10::/28", "ORCHID, deprecated (RFC 4843)"),
    ("2001:20::/28", "ORCHIDv2 (RFC 7343)"),
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("5f00::/16", "segment routing SIDs (RFC 9602)"),
    ("fc00::/7", "unique local (RFC 4193)"),
    ("fe80::/10", "link-local (RFC 4291)"),
    ("ff00::/8", "multicast (RFC 4291)"),
)
_GLOBAL_UNICAST = (0x2000 << 112, (0x4000 << 112) - 1)  # 2000::/3
IPV4_CARRIERS = (0xFFFF, 0x64FF9B << 64)
"""The /96s (>> 32) of IPv4-mapped ::ffff:0:0/96 and NAT64 64:ff9b::/96: the host is the IPv4 address."""


class _ReservedTable:
    """Sorted, disjoint special-purpose ranges, searched by bisection: one lookup per address is cheap."""

    def __init__(self, table: Iterable[tuple[str, str]]) -> None:
        rows = sorted((ipaddress.ip_network(cidr), label) for cidr, label in table)
        self._starts = [int(net.network_address) for net, _ in rows]
        self._rows = [(int(net.broadcast_address), str(net), label) for net, label in rows]

    def find(self, first: int, last: int) -> tuple[str, str] | None:
        """The (network, label) of the reserved range holding all of [first, last], if any."""
        index = bisect.bisect_right(self._starts, first) - 1
        if index < 0:
            return None
        end, network, label = self._rows[index]
        return (network, label) if last <= end else None


_RESERVED = {4: _ReservedTable(RESERVED_V4), 6: _ReservedTable(RESERVED_V6)}


def reserved_range(version: int, first: int, last: int) -> tuple[str, str] | None:
    found = _RESERVED[version].find(first, last)
    if found is None and version == 6 and (last < _GLOBAL_UNICAST[0] or first > _GLOBAL_UNICAST[1]):
        return "outside 2000::/3", "not global unicast, reserved by the IETF (RFC 4291)"
    return found
