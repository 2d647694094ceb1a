"""The leaves on inventory facts (decree 2-24-921, laws 05-20 and 09-08) against hand-built assets."""

from __future__ import annotations

from typing import Any

import pytest

from residency_scan.models import (
    AssetKind,
    CloudRef,
    DeclaredLocation,
    ServiceType,
    Strength,
    Subcontractor,
    SubcontractorRole,
)
from residency_scan.resolvers.catalog import VendorCatalogResolver
from residency_scan.rules import ConditionCompiler, Truth
from residency_scan.rules.conditions import Condition
from residency_scan.rules.leaves_inventory import VENDOR_CATALOG

from .builders import CONFIRMED, asset, context, location, part

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN


def compiled(raw: Any) -> Condition:
    compiler = ConditionCompiler("test.yaml")
    condition = compiler.compile(raw, "condition", 1)
    assert compiler.problems == []
    assert condition is not None
    return condition


def judge(raw: Any, **fields: Any) -> tuple[Truth, str]:
    return compiled(raw).evaluate(context(asset(**fields)))


def refusal(raw: Any) -> str:
    """The message and hint of the one problem a condition causes at load time."""
    compiler = ConditionCompiler("test.yaml")
    assert compiler.compile(raw, "condition", 1) is None
    assert len(compiler.problems) == 1
    return f"{compiler.problems[0].message} ({compiler.problems[0].hint})"


ACME_FR = Subcontractor(name="Acme Support", role=SubcontractorRole.SUPPORT, country="FR", data_access=True)
DC_MA = Subcontractor(name="Datacentre X", role=SubcontractorRole.HOSTING, country="MA", data_access=False)
UNSTATED = Subcontractor(name="Infogerance Y", role=SubcontractorRole.OPERATION)


# --------------------------------------------------------------------------- sensitive-data / -system


@pytest.mark.parametrize(
    ("fields", "holds", "why"),
    [
        ({"sensitive_data": True, "sensitivity": "internal"}, True, "(sensitive_data: true)"),
        ({"sensitive_data": False}, False, "(sensitive_data: false)"),
        ({}, True, "(implied by sensitivity: sensitive, fail-closed; sensitive_data not stated)"),
        ({"sensitivity": "public"}, False, "(implied by sensitivity: public; sensitive_data not stated)"),
    ],
)
def test_sensitive_data_says_whether_it_was_stated_or_implied(fields: dict[str, Any], holds: bool,
                                                                why: str) -> None:
    what = "holds sensitive data" if holds else "holds no sensitive data"
    assert judge({"sensitive-data": True}, **fields) == (T if holds else F, f"portail {what} {why}")
    assert judge({"sensitive-data": False}, **fields) == (F if holds else T, f"portail {what} {why}")


@pytest.mark.parametrize(
    ("fields", "holds", "why"),
    [
        ({"sensitive_system": True, "sensitivity": "internal"}, True, "(sensitive_system: true)"),
        ({"sensitive_system": False, "sensitive_data": True}, False, "(sensitive_system: false)"),
        ({}, True, "(implied by sensitivity: sensitive, fail-closed; sensitive_system not stated)"),
        ({"sensitivity": "internal", "sensitive_data": True}, False,
         "(implied by sensitivity: internal; sensitive_system not stated)"),
    ],
)
def test_sensitive_system_reads_its_own_field_then_the_sensitivity(fields: dict[str, Any], holds: bool,
                                                                   why: str) -> None:
    what = "is a sensitive system" if holds else "is not a sensitive system"
    assert judge({"sensitive-system": {"value": True}}, **fields) == (T if holds else F, f"portail {what} {why}")
    assert judge({"sensitive-system": False}, **fields)[0] is (F if holds else T)


# ------------------------------------------------------------------------------------ personal-data


@pytest.mark.parametrize(
    ("stated", "wanted", "truth"),
    [(True, True, T), (False, True, F), (True, False, F), (False, False, T), (None, True, U), (None, False, U)],
)
def test_personal_data_three_outcomes(stated: bool | None, wanted: bool, truth: Truth) -> None:
    verdict, reason = judge({"personal-data": wanted}, personal_data=stated)
    assert verdict is truth
    if stated is None:
        assert reason == "the inventory does not say whether portail holds personal data: set personal_data"
    else:
        assert f"(personal_data: {str(stated).lower()})" in reason


# --------------------------------------------------------------------------------------- uses-cloud


@pytest.mark.parametrize(
    ("fields", "truth", "reason"),
    [
        ({"service_type": ServiceType.PAAS}, T, "portail uses a cloud service (service_type: paas)"),
        ({"cloud": CloudRef(provider="aws", region="eu-west-3")}, T,
         "portail is a cloud resource (cloud provider: aws)"),
        ({"kind": AssetKind.SAAS, "vendor": "zoom"}, T, "portail is a SaaS (kind: saas)"),
        ({"kind": AssetKind.SAAS, "vendor": "zoom", "service_type": ServiceType.ON_PREMISES}, T,
         "portail is a SaaS (kind: saas)"),
        ({"service_type": ServiceType.ON_PREMISES, "declared": DeclaredLocation(provider="N+ONE")}, F,
         "portail runs on premises (service_type: on-premises)"),
        ({"declared": DeclaredLocation(provider="N+ONE", qualification=2)}, U,
         "portail: a provider is declared (declared.provider: N+ONE, declared.qualification: 2) but not the "
         "service type: set service_type"),
        ({"vendor": "gitlab-self-managed", "kind": AssetKind.MANAGEMENT_TOOL}, U,
         "portail: a provider is declared (vendor: gitlab-self-managed) but not the service type: "
         "set service_type"),
        ({"declared": DeclaredLocation(country="MA")}, F,
         "portail: no cloud service declared: no cloud reference, service_type or saas kind"),
    ],
)
def test_uses_cloud(fields: dict[str, Any], truth: Truth, reason: str) -> None:
    assert judge({"uses-cloud": True}, **fields) == (truth, reason)
    negated = {T: F, F: T, U: U}[truth]
    assert judge({"uses-cloud": False}, **fields) == (negated, reason)


def test_uses_cloud_is_unknown_when_the_evidence_shows_a_vendor_service() -> None:
    """A name that CNAMEs into a SaaS vendor: nothing declared cannot take it out of the cloud rules."""
    tenant = part("acme.datadoghq.eu", CONFIRMED, ("DE",), strongest=Strength.AUTHORITATIVE,
                  sources=("vendor-catalog",))
    ctx = context(asset(declared=DeclaredLocation(country="MA")), location(tenant))
    truth, reason = compiled({"uses-cloud": True}).evaluate(ctx)
    assert truth is U
    assert reason == ("portail: the evidence places acme.datadoghq.eu with a vendor's service but no service type "
                      "is declared: set service_type")


def test_the_vendor_catalog_source_name_is_the_resolver_s() -> None:
    assert VendorCatalogResolver.name == VENDOR_CATALOG


# ---------------------------------------------------------------------------------- service-type-in

CLOUD_TYPES = {"service-type-in": {"types": ["iaas", "paas", "saas"]}}


def test_service_type_in_reads_the_stated_type() -> None:
    assert judge(CLOUD_TYPES, service_type=ServiceType.IAAS) == (
        T, "portail: service type 'iaas' (service_type) is one of iaas, paas, saas")
    assert judge(CLOUD_TYPES, service_type=ServiceType.ON_PREMISES) == (
        F, "portail: service type 'on-premises' (service_type) is not one of iaas, paas, saas")


def test_service_type_in_takes_saas_from_the_kind() -> None:
    assert judge({"service-type-in": {"types": ["saas"]}}, kind=AssetKind.SAAS) == (
        T, "portail: service type 'saas' (kind saas) is one of saas")
    assert judge({"service-type-in": {"types": ["on-premises"]}}, kind=AssetKind.SAAS)[0] is F


def test_service_type_in_is_unknown_when_nothing_says() -> None:
    truth, reason = judge(CLOUD_TYPES, cloud=CloudRef(provider="aws"))
    assert truth is U
    assert reason.startswith("the inventory does not state the service type of portail: set service_type")


def test_service_type_in_refuses_unknown_types_and_empty_lists() -> None:
    assert "did you mean 'iaas'?" in refusal({"service-type-in": {"types": ["iaaas"]}})
    assert "empty" in refusal({"service-type-in": {"types": []}})


# ------------------------------------------------------------------------ cndp-authorisation-recorded


def test_cndp_authorisation_recorded_quotes_the_reference() -> None:
    assert judge({"cndp-authorisation-recorded": True}, cndp_authorisation="A-123/2024") == (
        T, "portail: CNDP authorisation recorded ('A-123/2024', not verified)")


def test_cndp_authorisation_quote_is_cut_at_80_characters() -> None:
    truth, reason = judge({"cndp-authorisation-recorded": True}, cndp_authorisation="x" * 81 + "SECRET")
    assert truth is T
    assert "'" + "x" * 80 + "…'" in reason
    assert "SECRET" not in reason


def test_cndp_authorisation_missing_is_false() -> None:
    assert judge({"cndp-authorisation-recorded": True}) == (
        F, "portail: no CNDP authorisation recorded: set cndp_authorisation")


# ------------------------------------------------------------------------------ subcontractors-declared


@pytest.mark.parametrize(
    ("subcontractors", "truth", "reason"),
    [
        ((ACME_FR, DC_MA), T, "portail: 2 subcontractors declared"),
        ((DC_MA,), T, "portail: 1 subcontractor declared"),
        ((), T, "portail: declared: none"),
        (None, U, "portail: subcontractors not declared: set subcontractors ([] for none)"),
    ],
)
def test_subcontractors_declared(subcontractors: tuple[Subcontractor, ...] | None, truth: Truth,
                                 reason: str) -> None:
    assert judge({"subcontractors-declared": True}, subcontractors=subcontractors) == (truth, reason)


# ------------------------------------------------------------------------- no-subcontractor-data-access

NO_ACCESS = {"no-subcontractor-data-access": True}


def test_a_subcontractor_with_data_access_is_false_and_named_with_its_country() -> None:
    assert judge(NO_ACCESS, subcontractors=(DC_MA, ACME_FR, UNSTATED)) == (
        F, "portail: subcontractors with access to data: Acme Support (FR)")


def test_a_subcontractor_whose_access_is_not_stated_is_unknown() -> None:
    assert judge(NO_ACCESS, subcontractors=(DC_MA, UNSTATED)) == (
        U, "portail: access to data not stated for subcontractors Infogerance Y (country not stated): "
           "set data_access")


def test_undeclared_subcontractors_are_unknown() -> None:
    truth, reason = judge(NO_ACCESS)
    assert truth is U
    assert "subcontractors not declared" in reason


@pytest.mark.parametrize(
    ("subcontractors", "reason"),
    [
        ((DC_MA,), "portail: none of the 1 subcontractors has access to data"),
        ((), "portail: no subcontractor (declared: none)"),
    ],
)
def test_no_subcontractor_with_access_is_true(subcontractors: tuple[Subcontractor, ...], reason: str) -> None:
    assert judge(NO_ACCESS, subcontractors=subcontractors) == (T, reason)


# ------------------------------------------------------------------------------------ parameter forms


@pytest.mark.parametrize("name", ["cndp-authorisation-recorded", "subcontractors-declared",
                                  "no-subcontractor-data-access"])
def test_leaves_that_only_make_sense_one_way_refuse_false(name: str) -> None:
    assert refusal({name: False}).startswith("only 'true' is accepted")
    assert refusal({name: {"value": False}}).startswith("only 'true' is accepted")


@pytest.mark.parametrize("name", ["sensitive-data", "sensitive-system", "personal-data", "uses-cloud"])
def test_yes_no_leaves_refuse_what_is_not_a_boolean(name: str) -> None:
    assert "true or false" in refusal({name: "maybe"})
    assert "unknown field" in refusal({name: {"value": True, "extra": 1}})


def test_not_keeps_an_unknown_fact_unknown() -> None:
    assert judge({"not": {"subcontractors-declared": True}})[0] is U
    assert judge({"not": {"personal-data": True}}, personal_data=False)[0] is T
