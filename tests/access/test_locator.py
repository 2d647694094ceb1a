"""GeoIpSourceLocator: source addresses located by the scan's policy, private ones through declared networks."""

from __future__ import annotations

from pathlib import Path

from residency_scan.access import GeoIpSourceLocator
from residency_scan.models import AssetKind, Evidence, LocationStatus, Strength
from tests.access.helpers import (
    FR_CONFIRMED,
    FR_REGISTERED_ONLY,
    FR_V6,
    LAB_ADDRESS,
    MA_CONFIRMED,
    MA_REGISTERED_ONLY,
    MA_V6,
    UNLISTED,
    VPN_ADDRESS,
    asset,
    inventory,
    locator_for,
    make_resolver,
    standard_inventory,
)

CONFIRMED, UNKNOWN = LocationStatus.CONFIRMED, LocationStatus.UNKNOWN


def test_public_sources_follow_the_corroboration_policy(tmp_path: Path) -> None:
    locator = locator_for(tmp_path, standard_inventory())
    seen = {ip: locator.locate(ip) for ip in (MA_CONFIRMED, FR_CONFIRMED, MA_V6, FR_V6, MA_REGISTERED_ONLY,
                                              FR_REGISTERED_ONLY, UNLISTED)}
    assert {ip: (s.country, s.status, s.strongest) for ip, s in seen.items()} == {
        MA_CONFIRMED: ("MA", CONFIRMED, Strength.MEASURED),
        FR_CONFIRMED: ("FR", CONFIRMED, Strength.MEASURED),
        MA_V6: ("MA", CONFIRMED, Strength.MEASURED),
        FR_V6: ("FR", CONFIRMED, Strength.MEASURED),
        MA_REGISTERED_ONLY: ("MA", UNKNOWN, Strength.REGISTERED),  # registry data alone never confirms
        FR_REGISTERED_ONLY: ("FR", UNKNOWN, Strength.REGISTERED),
        UNLISTED: (None, UNKNOWN, None),
    }
    assert "corroboration needed" in seen[MA_REGISTERED_ONLY].reason


def test_without_a_user_database_nothing_is_confirmed(tmp_path: Path) -> None:
    located = locator_for(tmp_path, standard_inventory(), measured=False).locate(MA_CONFIRMED)
    assert (located.country, located.status, located.strongest) == ("MA", UNKNOWN, Strength.REGISTERED)


def test_private_sources_take_the_country_of_the_most_specific_declared_network(tmp_path: Path) -> None:
    inv = inventory(
        asset("corp-lan", "10.0.0.0/8", kind=AssetKind.NETWORK, declared="FR"),
        asset("vpn-rabat", "10.8.0.0/16", kind=AssetKind.NETWORK, declared="MA"),
        asset("undeclared", "172.20.0.0/16", kind=AssetKind.NETWORK),
        asset("server-in-range", "10.8.0.14", declared="ES"),  # not a network asset: ignored
    )
    locator = locator_for(tmp_path, inv)
    vpn = locator.locate(VPN_ADDRESS)
    assert (vpn.country, vpn.status, vpn.internal, vpn.strongest) == ("MA", UNKNOWN, True, Strength.DECLARED)
    assert vpn.reason == "private address in network asset vpn-rabat, declared in MA"
    assert locator.locate("10.200.0.1").country == "FR"
    mapped = locator.locate(f"::ffff:{VPN_ADDRESS}")
    assert (mapped.country, mapped.internal) == ("MA", True)
    lab = locator.locate(LAB_ADDRESS)
    assert (lab.country, lab.status, lab.internal) == (None, UNKNOWN, True)
    assert "no network asset" in lab.reason


def test_a_host_name_source_is_unknown_with_the_fix(tmp_path: Path) -> None:
    located = locator_for(tmp_path, standard_inventory()).locate("admin-pc.example.fr\x1b[2J")
    assert (located.country, located.status) == (None, UNKNOWN)
    assert "UseDNS" in located.reason and "\x1b" not in located.reason


class _Counting:
    def __init__(self, tmp_path: Path) -> None:
        self.resolver = make_resolver(tmp_path)
        self.calls = 0

    def locate_address(self, address: str) -> list[Evidence]:
        self.calls += 1
        return self.resolver.locate_address(address)


def test_each_address_is_looked_up_once(tmp_path: Path) -> None:
    counting = _Counting(tmp_path)
    locator = GeoIpSourceLocator(counting, standard_inventory())
    first = locator.locate(FR_CONFIRMED)
    assert locator.locate(FR_CONFIRMED) is first
    locator.locate(MA_CONFIRMED)
    assert counting.calls == 2
