"""The access leaves, judged on records read from real logs and located through real .mmdb databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from residency_scan.access import AccessLogSpec, read_access_logs
from residency_scan.models import AccessRecord, Entity, Location, LocationStatus
from residency_scan.rules import ConditionCompiler, RuleContext, Truth
from residency_scan.rules.conditions import Condition
from tests.access.helpers import (
    CONTRADICTED_FR,
    FR_CONFIRMED,
    FR_REGISTERED_ONLY,
    LAB_ADDRESS,
    MA_CONFIRMED,
    MA_REGISTERED_ONLY,
    MA_V6,
    UNLISTED,
    VPN_ADDRESS,
    locator_for,
    sshd_line,
    standard_inventory,
    write_text,
)

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
INVENTORY = standard_inventory()
DB01 = next(a for a in INVENTORY.assets if a.id == "db01")


def compiled(raw: dict[str, Any]) -> Condition:
    compiler = ConditionCompiler("rules.yaml")
    condition = compiler.compile(raw, "condition", 1)
    assert compiler.problems == [] and condition is not None
    return condition


FROM_MOROCCO = compiled({"access-from": {"countries": ["MA"]}})
HAS_EVENTS = compiled({"has-access-events": True})


def records(tmp_path: Path, *logins: tuple[str, str], measured: bool = True) -> tuple[AccessRecord, ...]:
    """The records of db01 after logins (user, source address) on successive minutes of one day."""
    lines = [sshd_line(f"Nov 25 10:{minute:02d}:00", "db01", user, source)
             for minute, (user, source) in enumerate(logins)]
    log = write_text(tmp_path, "auth.log", "\n".join(lines) + "\n")
    reading = read_access_logs([AccessLogSpec(log)], INVENTORY, locator_for(tmp_path, INVENTORY, measured=measured),
                               year=2026)
    return reading.for_asset("db01")


def judge(condition: Condition, access: tuple[AccessRecord, ...] | None) -> tuple[Truth, str]:
    ctx = RuleContext(asset=DB01, location=Location(status=LocationStatus.UNKNOWN, reason="-", policy="test"),
                      entity=Entity(name="Office Exemple"), access=access)
    return condition.evaluate(ctx)


def test_logins_all_confirmed_in_morocco_are_compliant(tmp_path: Path) -> None:
    truth, reason = judge(FROM_MOROCCO, records(tmp_path, ("root", MA_CONFIRMED), ("ops", MA_V6),
                                                ("root", MA_CONFIRMED)))
    assert truth is T
    assert reason.startswith("all 2 administrative access record(s) confirmed in MA: ")
    assert "root from 196.200.131.10 (ssh publickey) in MA 2026-11-25T10:00:00Z to 2026-11-25T10:02:00Z, 2 times" \
        in reason


def test_a_login_from_abroad_is_false_naming_user_time_country_and_line(tmp_path: Path) -> None:
    truth, reason = judge(FROM_MOROCCO, records(tmp_path, ("root", MA_CONFIRMED), ("mallory", FR_CONFIRMED)))
    assert truth is F
    log = tmp_path / "auth.log"
    assert reason == ("administrative access from outside MA: mallory from 93.184.216.34 (ssh publickey) in FR "
                      f"(measured, confirmed) 2026-11-25T10:01:00Z, once, {log}:2")


@pytest.mark.parametrize(("source", "why"), [
    (FR_REGISTERED_ONLY, "registered, unknown"),  # a registry entry abroad is evidence enough
    (CONTRADICTED_FR, "measured, contradicted"),
])
def test_abroad_whatever_the_status_is_false(tmp_path: Path, source: str, why: str) -> None:
    truth, reason = judge(FROM_MOROCCO, records(tmp_path, ("root", source)))
    assert truth is F and f"in FR ({why})" in reason


def test_a_private_source_in_a_network_declared_abroad_is_false(tmp_path: Path) -> None:
    truth, reason = judge(FROM_MOROCCO, records(tmp_path, ("root", "10.9.1.1")))
    assert truth is F and "in FR (declared, unknown, internal address)" in reason


def test_offenders_beyond_five_are_counted(tmp_path: Path) -> None:
    logins = [(f"user{n}", FR_CONFIRMED) for n in range(8)]
    truth, reason = judge(FROM_MOROCCO, records(tmp_path, *logins))
    assert truth is F and reason.count(" in FR ") == 5 and reason.endswith("; +3 more")


def test_registered_only_in_morocco_is_unknown_and_asks_for_a_geoip_database(tmp_path: Path) -> None:
    truth, reason = judge(FROM_MOROCCO, records(tmp_path, ("root", MA_CONFIRMED), ("ops", MA_REGISTERED_ONLY)))
    assert truth is U
    assert "ops from 41.248.10.10" in reason and "registered in MA only: give --geoip-db" in reason
    assert "root from" not in reason  # the confirmed one is not what is in doubt


def test_without_a_measured_database_nothing_is_compliant(tmp_path: Path) -> None:
    truth, reason = judge(FROM_MOROCCO, records(tmp_path, ("root", MA_CONFIRMED), measured=False))
    assert truth is U and "registered in MA only" in reason


@pytest.mark.parametrize(("source", "expected"), [
    (VPN_ADDRESS, "internal address (private address in network asset vpn-rabat, declared in MA)"),
    (LAB_ADDRESS, "internal address (172.20.0.3 is a private/reserved address"),
    (UNLISTED, "location unknown (45.1.1.1: "),
    ("admin-pc.exemple.ma", "UseDNS"),
])
def test_internal_and_unknown_sources_are_unknown(tmp_path: Path, source: str, expected: str) -> None:
    truth, reason = judge(FROM_MOROCCO, records(tmp_path, ("root", source)))
    assert truth is U and expected in reason


def test_abroad_outweighs_unknown(tmp_path: Path) -> None:
    truth, _ = judge(FROM_MOROCCO, records(tmp_path, ("a", UNLISTED), ("b", FR_CONFIRMED)))
    assert truth is F


def test_no_log_or_no_access_is_unknown_for_access_from() -> None:
    assert judge(FROM_MOROCCO, None)[0] is U and "no access log given" in judge(FROM_MOROCCO, None)[1]
    assert judge(FROM_MOROCCO, ()) == (U, "no administrative access to db01 recorded in the logs given")


def test_other_allowed_countries_are_honoured(tmp_path: Path) -> None:
    both = compiled({"access-from": {"countries": ["MA", "FR"]}})
    assert judge(both, records(tmp_path, ("a", MA_CONFIRMED), ("b", FR_CONFIRMED)))[0] is T


def test_has_access_events() -> None:
    assert judge(HAS_EVENTS, None) == (F, "no access log given")
    assert judge(HAS_EVENTS, ()) == (F, "no administrative access to db01 in the logs given")


def test_has_access_events_true_counts_events_and_sources(tmp_path: Path) -> None:
    found = records(tmp_path, ("a", MA_CONFIRMED), ("a", MA_CONFIRMED), ("b", FR_CONFIRMED))
    assert judge(HAS_EVENTS, found) == (T, "3 administrative access event(s) to db01 from 2 source address(es)")


def test_has_access_events_shorthand_and_refusals() -> None:
    assert isinstance(compiled({"has-access-events": {"value": True}}), type(HAS_EVENTS))
    refused: list[dict[str, Any]] = [{"has-access-events": False}, {"access-from": {"countries": ["Maroc"]}},
                                     {"access-from": {"countries": []}}, {"access-from": {"country": ["MA"]}}]
    for raw in refused:
        compiler = ConditionCompiler("rules.yaml")
        assert compiler.compile(raw, "condition", 1) is None and compiler.problems, raw
