"""The provider-qualification leaves against hand-built registers: every branch, with its exact reason."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from residency_scan.models import AssetKind, CloudRef, DeclaredLocation, ServiceType
from residency_scan.registers.providers import ProviderRegister, Qualification, QualifiedProvider
from residency_scan.registers.register_file import load_provider_register
from residency_scan.rules import ConditionCompiler, RuleContext, Truth
from residency_scan.rules.conditions import Condition

from .builders import asset, context

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
EXAMPLE = Path(__file__).parents[2] / "examples" / "prestataires-exemple.yaml"
TODAY = date(2027, 1, 15)
IAAS, PAAS, SAAS = ServiceType.IAAS, ServiceType.PAAS, ServiceType.SAAS


def qualification(level: int = 2, types: tuple[ServiceType, ...] = (IAAS, PAAS), decision: str = "D-1",
                  decided: date = date(2026, 3, 1), valid_until: date = date(2031, 2, 28)) -> Qualification:
    return Qualification(level=level, service_types=types, decision=decision, decided=decided,
                         valid_until=valid_until, source="test")


def register(*qualifications: Qualification, example: bool = False) -> ProviderRegister:
    provider = QualifiedProvider(id="hebergeur-national", name="Hébergeur National SA",
                                 aliases=("HN",), qualifications=qualifications)
    return ProviderRegister(path="register.yaml", sha256="0" * 64, title="Registre", example=example,
                            updated=date(2026, 11, 1), providers=(provider,))


DEFAULT = register(qualification())


def ctx(providers: ProviderRegister | None = DEFAULT, today: date | None = TODAY, *,
        provider: str | None = "Hébergeur National SA", service_type: ServiceType | None = IAAS,
        qualification_claim: int | None = None, **fields: Any) -> RuleContext:
    declared = None
    if provider is not None or qualification_claim is not None:
        declared = DeclaredLocation(provider=provider, qualification=qualification_claim)
    the_asset = asset(declared=declared, service_type=service_type, **fields)
    return dataclasses.replace(context(the_asset), today=today, providers=providers)


def compiled(raw: dict[str, Any]) -> Condition:
    compiler = ConditionCompiler("test.yaml")
    condition = compiler.compile(raw, "condition", 1)
    assert compiler.problems == []
    assert condition is not None
    return condition


LEVEL_1 = compiled({"provider-qualified": {"level": 1}})
LEVEL_2 = compiled({"provider-qualified": 2})  # shorthand
SIX_MONTHS = compiled({"qualification-valid-for": {"days": 183}})


# ------------------------------------------------------------------------------------ provider-qualified


def test_no_register_is_unknown() -> None:
    assert LEVEL_2.evaluate(ctx(providers=None)) == (
        U, "no provider qualification register was given (--providers FILE)")


def test_no_provider_is_unknown() -> None:
    assert LEVEL_2.evaluate(ctx(provider=None)) == (U, "no provider declared (declared.provider)")


def test_cloud_provider_key_is_looked_up_and_absent_is_false_naming_the_register() -> None:
    context = ctx(provider=None, cloud=CloudRef(provider="aws", region="eu-west-3"))
    assert LEVEL_2.evaluate(context) == (F, "provider 'aws' is not in the register 'Registre' (updated 2026-11-01)")


def test_absent_from_an_example_register_says_it_is_an_example() -> None:
    truth, reason = LEVEL_2.evaluate(ctx(register(qualification(), example=True), provider="Nulle Part SA"))
    assert truth is F
    assert reason == ("provider 'Nulle Part SA' is not in the register 'Registre' (updated 2026-11-01; "
                      "an EXAMPLE register, not an official list)")


def test_qualified_provider_is_true_with_level_type_decision_and_date() -> None:
    assert LEVEL_2.evaluate(ctx()) == (
        T, "'Hébergeur National SA' qualified at level 2 for iaas by D-1, valid until 2031-02-28")


def test_provider_found_by_alias_is_named_both_ways() -> None:
    truth, reason = LEVEL_2.evaluate(ctx(provider="hn"))
    assert truth is T
    assert reason.startswith("'hn' ('Hébergeur National SA' in the register) qualified at level 2")


def test_level_2_meets_a_level_1_requirement_and_says_why() -> None:
    truth, reason = LEVEL_1.evaluate(ctx())
    assert truth is T
    assert reason.endswith("valid until 2031-02-28 (level 2 includes level 1, decree art. 5)")


def test_level_1_does_not_meet_level_2_and_names_the_levels_held() -> None:
    context = ctx(register(qualification(level=1)))
    assert LEVEL_2.evaluate(context) == (
        F, "'Hébergeur National SA' holds only level 1 in the register 'Registre' (updated 2026-11-01), "
           "and level 2 is required")


def test_inventory_claiming_more_than_the_register_shows_is_pointed_out() -> None:
    truth, reason = LEVEL_2.evaluate(ctx(register(qualification(level=1)), qualification_claim=2))
    assert truth is F
    assert reason.endswith("; the inventory declares level 2, which the register does not show")
    _, modest = LEVEL_2.evaluate(ctx(register(qualification(level=1)), qualification_claim=1))
    assert "inventory declares" not in modest


def test_provider_listed_without_qualification_is_false() -> None:
    truth, reason = LEVEL_1.evaluate(ctx(register()))
    assert truth is F
    assert reason.startswith("'Hébergeur National SA' holds no qualification in the register 'Registre'")


def test_service_type_not_declared_is_unknown_naming_what_the_qualification_covers() -> None:
    assert LEVEL_2.evaluate(ctx(service_type=None)) == (
        U, "service type not declared (service_type): the level-2 qualification of 'Hébergeur National SA' "
           "covers iaas, paas")


def test_service_type_not_declared_lists_what_several_qualifications_cover() -> None:
    several = register(qualification(types=(SAAS,)), qualification(decision="D-2", types=(IAAS,)))
    assert LEVEL_2.evaluate(ctx(several, service_type=None)) == (
        U, "service type not declared (service_type): the level-2 qualifications of 'Hébergeur National SA' "
           "cover iaas, saas")


def test_saas_kind_without_service_type_is_judged_as_saas() -> None:
    context = ctx(service_type=None, kind=AssetKind.SAAS)
    assert LEVEL_2.evaluate(context) == (
        F, "the qualification of 'Hébergeur National SA' (D-1) covers iaas, paas, not saas")


def test_service_type_not_covered_is_false() -> None:
    truth, reason = LEVEL_2.evaluate(ctx(service_type=SAAS))
    assert truth is F
    assert reason == "the qualification of 'Hébergeur National SA' (D-1) covers iaas, paas, not saas"


def test_on_premises_is_covered_by_no_qualification() -> None:
    truth, reason = LEVEL_2.evaluate(ctx(service_type=ServiceType.ON_PREMISES))
    assert truth is F
    assert reason.endswith("not on-premises")


def test_unknown_scan_date_is_unknown() -> None:
    assert LEVEL_2.evaluate(ctx(today=None)) == (
        U, "the scan date is not known, so whether the qualification of 'Hébergeur National SA' for iaas is "
           "in force cannot be told")


def test_qualification_not_yet_in_force_is_false() -> None:
    assert LEVEL_2.evaluate(ctx(today=date(2026, 2, 28))) == (
        F, "the qualification of 'Hébergeur National SA' for iaas (D-1) is not yet in force: it starts on "
           "2026-03-01")


def test_expired_qualification_is_false_with_its_end_date() -> None:
    assert LEVEL_2.evaluate(ctx(today=date(2031, 3, 1))) == (
        F, "the qualification of 'Hébergeur National SA' for iaas (D-1) expired on 2031-02-28")


def test_expired_and_upcoming_are_both_named() -> None:
    old = qualification(decision="OLD", decided=date(2020, 1, 1), valid_until=date(2024, 12, 31))
    new = qualification(decision="NEW", decided=date(2025, 6, 1), valid_until=date(2030, 5, 31))
    truth, reason = LEVEL_2.evaluate(ctx(register(old, new), today=date(2025, 3, 1)))
    assert truth is F
    assert reason == ("the qualification of 'Hébergeur National SA' for iaas (NEW) is not yet in force: it starts "
                      "on 2025-06-01; the qualification of 'Hébergeur National SA' for iaas (OLD) expired on "
                      "2024-12-31")


@pytest.mark.parametrize("today", [date(2026, 3, 1), date(2031, 2, 28)])
def test_first_and_last_days_are_in_force(today: date) -> None:
    assert LEVEL_2.evaluate(ctx(today=today))[0] is T


def test_example_register_is_named_in_a_true_reason() -> None:
    truth, reason = LEVEL_2.evaluate(ctx(register(qualification(), example=True)))
    assert truth is T
    assert reason.endswith("(per an EXAMPLE register, not an official list)")


def test_best_qualification_is_chosen_whatever_the_order_of_the_register() -> None:
    candidates = [
        qualification(decision="EXPIRED", decided=date(2020, 1, 1), valid_until=date(2024, 12, 31)),
        qualification(decision="SHORT", decided=date(2026, 1, 1), valid_until=date(2028, 1, 1)),
        qualification(decision="LONG", decided=date(2026, 6, 1), valid_until=date(2031, 5, 31)),
        qualification(decision="OTHER-TYPE", types=(SAAS,), valid_until=date(2031, 2, 28)),
        qualification(level=1, decision="LEVEL-1", valid_until=date(2031, 2, 28)),
    ]
    reasons = {LEVEL_2.evaluate(ctx(register(*order)))
               for order in itertools.permutations(candidates)}
    assert reasons == {(T, "'Hébergeur National SA' qualified at level 2 for iaas by LONG, valid until 2031-05-31")}


# ------------------------------------------------------------------------------- qualification-valid-for


def test_long_enough_validity_is_true() -> None:
    assert SIX_MONTHS.evaluate(ctx()) == (
        T, "the qualification of 'Hébergeur National SA' for iaas stays valid until 2031-02-28 (D-1), 1505 days "
           "after 2027-01-15: at least 183 days")


def test_validity_shorter_than_required_is_false_citing_article_10() -> None:
    assert SIX_MONTHS.evaluate(ctx(today=date(2030, 11, 1))) == (
        F, "the qualification of 'Hébergeur National SA' for iaas (D-1) expires on 2031-02-28, in 119 days "
           "(fewer than 183): renewal must be filed at least 6 months before expiry (decree art. 10)")


def test_validity_boundary_is_inclusive() -> None:
    assert SIX_MONTHS.evaluate(ctx(today=date(2030, 8, 29)))[0] is T  # 183 days left
    assert SIX_MONTHS.evaluate(ctx(today=date(2030, 8, 30)))[0] is F  # 182 days left


def test_expiring_today_says_today() -> None:
    truth, reason = SIX_MONTHS.evaluate(ctx(today=date(2031, 2, 28)))
    assert truth is F
    assert "expires on 2031-02-28, today (fewer than 183)" in reason


def test_renewal_recorded_in_the_register_carries_the_validity_on() -> None:
    renewal = qualification(decision="D-2", decided=date(2031, 3, 1), valid_until=date(2036, 2, 28))
    truth, reason = SIX_MONTHS.evaluate(ctx(register(qualification(), renewal), today=date(2030, 11, 1)))
    assert truth is T
    assert "stays valid until 2036-02-28 (D-2)" in reason


def test_renewal_after_a_gap_does_not_count() -> None:
    late = qualification(decision="D-2", decided=date(2031, 4, 1), valid_until=date(2036, 3, 31))
    truth, reason = SIX_MONTHS.evaluate(ctx(register(qualification(), late), today=date(2030, 11, 1)))
    assert truth is F
    assert reason.startswith("the qualification of 'Hébergeur National SA' for iaas (D-1) expires on 2031-02-28")


@pytest.mark.parametrize("context", [
    ctx(providers=None),
    ctx(provider="Nulle Part SA"),
    ctx(service_type=SAAS),
    ctx(today=date(2032, 1, 1)),
    ctx(today=None),
], ids=["no-register", "not-in-register", "type-not-covered", "expired", "no-date"])
def test_anything_provider_qualified_does_not_find_is_unknown_here(context: RuleContext) -> None:
    qualified_truth, qualified_reason = LEVEL_1.evaluate(context)
    truth, reason = SIX_MONTHS.evaluate(context)
    assert qualified_truth is not T
    assert truth is U
    assert reason == f"validity not assessed: {qualified_reason}"


def test_validity_respects_the_level_asked_for() -> None:
    level_2 = compiled({"qualification-valid-for": {"days": 30, "level": 2}})
    assert level_2.evaluate(ctx(register(qualification(level=1))))[0] is U
    assert compiled({"qualification-valid-for": 30}).evaluate(ctx(register(qualification(level=1))))[0] is T


# ------------------------------------------------------------------------------------------ parameters


@pytest.mark.parametrize(("raw", "says"), [
    ({"provider-qualified": {"level": 3}}, "level 3 does not exist"),
    ({"provider-qualified": {"level": True}}, "level true does not exist"),
    ({"provider-qualified": {"levle": 2}}, "unknown field 'levle'"),
    ({"qualification-valid-for": {"days": 0}}, "greater than or equal to 1"),
    ({"qualification-valid-for": {"days": 5000}}, "less than or equal to 1830"),
    ({"qualification-valid-for": {"days": "183"}}, "must be a whole number"),
])
def test_bad_parameters_are_refused_at_load_time(raw: dict[str, Any], says: str) -> None:
    compiler = ConditionCompiler("test.yaml")
    assert compiler.compile(raw, "condition", 1) is None
    assert any(says in problem.message for problem in compiler.problems), compiler.problems


# --------------------------------------------------------------------------------- with the shipped example


def test_shipped_example_register_gives_each_kind_of_answer() -> None:
    example = load_provider_register(EXAMPLE)
    atlas = ctx(example, provider="Atlas Cloud", today=date(2026, 12, 1))
    assert LEVEL_1.evaluate(atlas)[0] is T
    assert LEVEL_2.evaluate(atlas)[0] is F
    oasis = ctx(example, provider="Oasis Logiciels SARL", service_type=SAAS, today=date(2026, 12, 1))
    truth, reason = LEVEL_1.evaluate(oasis)
    assert truth is F
    assert "expired on 2026-05-31" in reason and "EXAMPLE register" in reason
