"""Several sources asked in turn about each address a hostname resolves to (GeoIP databases, then RDAP/WHOIS).

The DNS step locates every address it finds through one `AddressLocator`; this combines several, in order, so
an address gets the same evidence as an IP target would (the GeoIP databases and the live registry record).
A locator that looks addresses up over the network offers `prefetch`, which the DNS step calls once per batch
with every address it found, so those lookups run concurrently instead of one address at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from residency_scan.models import Evidence


class AddressLocator(Protocol):
    """Whatever can say where one IP address is (GeoIpResolver, RdapResolver do)."""

    def locate_address(self, address: str) -> list[Evidence]: ...


@runtime_checkable
class Prefetching(Protocol):
    """A locator that can look a batch of addresses up ahead of `locate_address` (network lookups)."""

    def prefetch(self, addresses: Iterable[str]) -> None: ...


class AddressLocators:
    """An `AddressLocator` that asks each of `locators` in turn and returns all their evidence, in that order."""

    def __init__(self, *locators: AddressLocator) -> None:
        self._locators = locators

    def locate_address(self, address: str) -> list[Evidence]:
        return [evidence for locator in self._locators for evidence in locator.locate_address(address)]

    def prefetch(self, addresses: Iterable[str]) -> None:
        wanted = list(addresses)
        for locator in self._locators:
            if isinstance(locator, Prefetching):
                locator.prefetch(wanted)
