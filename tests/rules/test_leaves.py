"""Every shipped leaf against hand-built assets and locations."""

from __future__ import annotations

from typing import Any

import pytest

from residency_scan.models import CloudRef, DeclaredLocation, EntityType, Location, Strength, SubjectLocation
from residency_scan.rules import ConditionCompiler, Truth
from residency_scan.rules.conditions import Condition

from .builders import (
    CANDIDATES_ABROAD,
    CANDIDATES_IN_MA,
    CANDIDATES_STRADDLING,
    CONFIRMED,
    CONTRADICTED,
    CONTRADICTED_AUTHORITATIVE_ABROAD,
    CONTRADICTED_STRONG_ABROAD,
    CONTRADICTED_WEAK,
    IN_FR,
    IN_MA,
    INTERNAL_CONFIRMED_MA,
    INTERNAL_PART,
    UNKNOWN,
    UNKNOWN_PART,
    asset,
    context,
    location,
    part,
)

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN


def compiled(raw: dict[str, Any]) -> Condition:
    compiler = ConditionCompiler("test.yaml")
    condition = compiler.compile(raw, "condition", 1)
    assert compiler.problems == []
    assert condition is not None
    return condition


IN_MOROCCO = compiled({"country-in": {"countries": ["MA"]}})


def country_in_ma(*parts: SubjectLocation) -> tuple[Truth, str]:
    return IN_MOROCCO.evaluate(context(the_location=location(*parts)))


# --------------------------------------------------------------------------------------------- country-in


def test_country_in_confirmed_morocco_is_true_and_says_where_and_by_whom() -> None:
    assert country_in_ma(IN_MA) == (T, "196.200.1.1 is in MA (confirmed: geoip + declared)")


def test_country_in_confirmed_france_is_false_and_names_the_address() -> None:
    truth, reason = country_in_ma(IN_FR)
    assert truth is F
    assert reason == "93.184.216.34 is in FR, outside MA (confirmed: geoip + rdap)"


def test_country_in_candidates_all_abroad_is_false() -> None:
    truth, reason = country_in_ma(CANDIDATES_ABROAD)
    assert truth is F
    assert "tenant.saas.example is in one of DE, FR, outside MA" in reason


def test_country_in_candidates_on_both_sides_is_unknown() -> None:
    truth, reason = country_in_ma(CANDIDATES_STRADDLING)
    assert truth is U
    assert "may be outside MA" in reason


def test_country_in_candidates_all_inside_is_true() -> None:
    assert country_in_ma(CANDIDATES_IN_MA)[0] is T


def test_country_in_exact_part_in_two_countries_one_abroad_is_false() -> None:
    both = part("anycast.example", CONFIRMED, ("FR", "MA"), exact=True, sources=("geoip",))
    assert country_in_ma(both)[0] is F


@pytest.mark.parametrize("contradicted", [CONTRADICTED_STRONG_ABROAD, CONTRADICTED_AUTHORITATIVE_ABROAD])
def test_country_in_contradicted_by_strong_evidence_abroad_is_false(contradicted: SubjectLocation) -> None:
    truth, reason = country_in_ma(contradicted)
    assert truth is F
    assert contradicted.subject in reason
    assert contradicted.strongest is not None
    assert f"per {contradicted.strongest.value} evidence" in reason
    assert contradicted.reason in reason


def test_country_in_contradicted_by_weak_evidence_is_unknown() -> None:
    truth, reason = country_in_ma(CONTRADICTED_WEAK)
    assert truth is U
    assert reason == "198.51.100.7: the evidence conflicts (declared MA, RDAP registration FR)"


def test_country_in_contradicted_strong_but_inexact_is_unknown() -> None:
    vague = part("x.example", CONTRADICTED, ("FR", "MA"), exact=False, strongest=Strength.MEASURED)
    assert country_in_ma(vague)[0] is U


def test_country_in_contradicted_strong_inside_morocco_is_unknown() -> None:
    # Measured MA contradicting a declaration of FR: not abroad, but not confirmed either.
    inside = part("192.0.2.8", CONTRADICTED, ("MA",), strongest=Strength.MEASURED, reason="declared FR")
    assert country_in_ma(inside)[0] is U


def test_country_in_unknown_part_is_unknown_with_its_reason() -> None:
    assert country_in_ma(UNKNOWN_PART) == (U, "db.exemple.ma: location unknown (NXDOMAIN)")


def test_country_in_internal_part_is_unknown() -> None:
    truth, reason = country_in_ma(INTERNAL_PART)
    assert truth is U
    assert "10.0.0.5 is an internal address" in reason


def test_country_in_internal_part_confirmed_in_morocco_is_still_unknown() -> None:
    assert country_in_ma(INTERNAL_CONFIRMED_MA)[0] is U


def test_country_in_internal_part_confirmed_abroad_is_false() -> None:
    internal_fr = part("10.1.2.3", CONFIRMED, ("FR",), internal=True, strongest=Strength.AUTHORITATIVE,
                       sources=("cloud-regions",))
    assert country_in_ma(internal_fr)[0] is F


def test_country_in_confirmed_part_without_country_is_unknown() -> None:
    empty = part("odd.example", CONFIRMED, (), reason="confirmed but no country")
    assert country_in_ma(empty) == (U, "odd.example: location confirmed (confirmed but no country)")


def test_country_in_no_parts_is_unknown() -> None:
    empty = Location(status=UNKNOWN, reason="no evidence at all", policy="p")
    assert IN_MOROCCO.evaluate(context(the_location=empty)) == (U, "no located part (no evidence at all)")


def test_country_in_one_part_abroad_among_many_is_false_and_names_only_it() -> None:
    truth, reason = country_in_ma(IN_MA, UNKNOWN_PART, IN_FR, INTERNAL_PART)
    assert truth is F
    assert reason == "93.184.216.34 is in FR, outside MA (confirmed: geoip + rdap)"


def test_country_in_all_confirmed_inside_but_one_unknown_is_unknown() -> None:
    truth, reason = country_in_ma(IN_MA, UNKNOWN_PART)
    assert truth is U
    assert reason == "db.exemple.ma: location unknown (NXDOMAIN)"


def test_country_in_every_part_inside_is_true() -> None:
    assert country_in_ma(IN_MA, CANDIDATES_IN_MA)[0] is T


def test_country_in_with_several_allowed_countries() -> None:
    europe = compiled({"country-in": {"countries": ["fr", "DE"]}})
    assert europe.evaluate(context(the_location=location(IN_FR)))[0] is T
    assert europe.evaluate(context(the_location=location(CANDIDATES_ABROAD)))[0] is T
    assert europe.evaluate(context(the_location=location(IN_MA)))[0] is F


def test_country_in_is_not_fooled_by_the_location_summary() -> None:
    # The summary says confirmed MA, but a part says FR: the parts decide.
    lying = Location(status=CONFIRMED, countries=("MA",), parts=(IN_FR,), reason="r", policy="p")
    assert IN_MOROCCO.evaluate(context(the_location=lying))[0] is F


def test_negated_country_in_keeps_unknown_unknown() -> None:
    outside = compiled({"not": {"country-in": {"countries": ["MA"]}}})
    assert outside.evaluate(context(the_location=location(IN_FR)))[0] is T
    assert outside.evaluate(context(the_location=location(IN_MA)))[0] is F
    assert outside.evaluate(context(the_location=location(UNKNOWN_PART)))[0] is U
    assert outside.evaluate(context(the_location=location(CONTRADICTED_WEAK)))[0] is U


# ------------------------------------------------------------------------------------ location-confirmed


@pytest.mark.parametrize("raw", [{"location-confirmed": True}, {"location-confirmed": {"value": True}}])
def test_location_confirmed_true_when_confirmed(raw: dict[str, Any]) -> None:
    truth, reason = compiled(raw).evaluate(context(the_location=location(IN_FR)))
    assert truth is T
    assert reason.startswith("location confirmed")


@pytest.mark.parametrize("parts", [(UNKNOWN_PART,), (CONTRADICTED_STRONG_ABROAD,), (INTERNAL_PART,), ()])
def test_location_confirmed_is_never_false(parts: tuple[SubjectLocation, ...]) -> None:
    the_location = location(*parts) if parts else Location(status=UNKNOWN, reason="nothing", policy="p")
    truth, reason = compiled({"location-confirmed": True}).evaluate(context(the_location=the_location))
    assert truth is U
    assert the_location.reason in reason


# --------------------------------------------------------------------------------------- inventory facts


def test_kind_in() -> None:
    leaf = compiled({"kind-in": {"kinds": ["management-tool", "admin-interface"]}})
    assert leaf.evaluate(context(asset(kind="admin-interface")))[0] is T
    truth, reason = leaf.evaluate(context(asset(kind="server")))
    assert truth is F
    assert reason == "kind 'server' is not one of management-tool, admin-interface"


def test_sensitivity_in() -> None:
    leaf = compiled({"sensitivity-in": {"sensitivity": ["sensitive"]}})
    assert leaf.evaluate(context(asset(sensitivity="sensitive")))[0] is T
    assert leaf.evaluate(context(asset(sensitivity="public")))[0] is F


def test_entity_type_in() -> None:
    leaf = compiled({"entity-type-in": {"entity_types": ["eiv", "administration"]}})
    assert leaf.evaluate(context(entity_type=EntityType.ADMINISTRATION))[0] is T
    assert leaf.evaluate(context(entity_type=EntityType.PRIVATE)) == (
        F, "entity type 'private' is not one of eiv, administration")


def test_vendor_in_ignores_case_and_treats_no_vendor_as_false() -> None:
    leaf = compiled({"vendor-in": {"vendors": ["DataDog"]}})
    assert leaf.evaluate(context(asset(vendor="datadog")))[0] is T
    assert leaf.evaluate(context(asset(vendor="Datadog")))[0] is T
    assert leaf.evaluate(context(asset(vendor="splunk")))[0] is F
    assert leaf.evaluate(context(asset())) == (F, "no vendor declared")


def test_cloud_provider_in() -> None:
    leaf = compiled({"cloud-provider-in": {"providers": ["aws", "OCI"]}})
    assert leaf.evaluate(context(asset(cloud=CloudRef(provider="oci", region="ma-casablanca-1"))))[0] is T
    assert leaf.evaluate(context(asset(cloud=CloudRef(provider="azure"))))[0] is F
    assert leaf.evaluate(context(asset())) == (F, "not a cloud resource")


def test_has_tag_with_and_without_value() -> None:
    tagged = context(asset(tags={"sis": "true", "owner": "dsi"}))
    assert compiled({"has-tag": {"key": "sis"}}).evaluate(tagged)[0] is T
    assert compiled({"has-tag": {"key": "sis", "value": "true"}}).evaluate(tagged)[0] is T
    assert compiled({"has-tag": {"key": "sis", "value": "false"}}).evaluate(tagged) == (
        F, "tag 'sis' is 'true', not 'false'")
    assert compiled({"has-tag": {"key": "SIS"}}).evaluate(tagged) == (F, "no tag 'SIS'")


@pytest.mark.parametrize(("declared", "level", "expected"), [
    (None, 1, U),
    (DeclaredLocation(country="MA"), 1, U),
    (DeclaredLocation(qualification=1), 1, T),
    (DeclaredLocation(qualification=2), 1, T),
    (DeclaredLocation(qualification=2), 2, T),
    (DeclaredLocation(qualification=1), 2, F),
])
def test_declared_qualification_at_least(declared: DeclaredLocation | None, level: int,
                                         expected: Truth) -> None:
    leaf = compiled({"declared-qualification-at-least": {"level": level}})
    assert leaf.evaluate(context(asset(declared=declared)))[0] is expected


def test_declared_qualification_reason_says_it_is_not_verified() -> None:
    leaf = compiled({"declared-qualification-at-least": {"level": 1}})
    reason = leaf.evaluate(context(asset(declared=DeclaredLocation(qualification=2))))[1]
    assert "not verified" in reason


def test_hostile_strings_end_up_in_reasons_verbatim() -> None:
    hostile = "{asset.__class__}\x00\u202e<script>"
    leaf = compiled({"has-tag": {"key": hostile}})
    assert leaf.evaluate(context(asset(tags={hostile: hostile}))) == (T, f"tag '{hostile}' is '{hostile}'")
