"""The corroboration policy: what confirms a location, what contradicts it, and what leaves it unknown."""

from __future__ import annotations

from datetime import UTC, datetime

from residency_scan.locate import POLICY_ID, locate
from residency_scan.models import Claim, Evidence, LocationStatus, Strength

T0 = datetime(2026, 11, 25, tzinfo=UTC)


def ev(subject: str, strength: Strength, country: str | None = None, *, source: str = "geoip",
       dataset: str | None = None, candidates: tuple[str, ...] = (), failure: str | None = None,
       internal: bool = False) -> Evidence:
    claim = None
    if failure is None:
        claim = Claim(country=country, candidates=candidates, internal=internal)
    return Evidence(source=source, strength=strength, subject=subject, claim=claim, failure=failure,
                    observed_at=T0, dataset=dataset)


def declared(country: str) -> Evidence:
    return ev("asset-1", Strength.DECLARED, country, source="declared")


def test_single_authoritative_source_confirms() -> None:
    loc = locate([ev("aws:eu-west-3", Strength.AUTHORITATIVE, "FR", source="cloud-regions")])
    assert loc.status is LocationStatus.CONFIRMED
    assert loc.countries == ("FR",)
    assert loc.policy == POLICY_ID
    assert "authoritative" in loc.reason


def test_single_registered_source_is_unknown_not_confirmed() -> None:
    loc = locate([ev("41.1.1.1", Strength.REGISTERED, "MA", dataset="rir-country")])
    assert loc.status is LocationStatus.UNKNOWN
    assert loc.parts[0].countries == ("MA",)
    assert "corroboration" in loc.reason


def test_registered_and_declared_agreeing_confirm() -> None:
    loc = locate([ev("41.1.1.1", Strength.REGISTERED, "MA", dataset="rir-country"), declared("MA")])
    assert loc.status is LocationStatus.CONFIRMED
    assert loc.countries == ("MA",)
    assert "2 independent sources agree" in loc.reason


def test_declaration_alone_never_confirms() -> None:
    loc = locate([declared("MA")])
    assert loc.status is LocationStatus.UNKNOWN
    assert loc.parts == ()
    assert "declaration alone" in loc.reason


def test_declared_morocco_contradicted_by_authoritative_abroad() -> None:
    loc = locate([ev("aws:eu-west-3", Strength.AUTHORITATIVE, "FR", source="cloud-regions"), declared("MA")])
    assert loc.status is LocationStatus.CONTRADICTED
    assert loc.countries == ("FR",)
    assert loc.parts[0].strongest is Strength.AUTHORITATIVE
    assert "disagree" in loc.reason


def test_two_datasets_of_one_resolver_are_independent_sources() -> None:
    loc = locate([
        ev("8.8.8.8", Strength.REGISTERED, "US", dataset="rir-country"),
        ev("8.8.8.8", Strength.MEASURED, "US", dataset="user-geoip"),
    ])
    assert loc.status is LocationStatus.CONFIRMED


def test_measured_and_registered_disagreeing_is_contradicted() -> None:
    loc = locate([
        ev("5.5.5.5", Strength.REGISTERED, "MA", dataset="rir-country"),
        ev("5.5.5.5", Strength.MEASURED, "FR", dataset="user-geoip"),
    ])
    assert loc.status is LocationStatus.CONTRADICTED
    assert loc.countries == ("FR",), "the strongest tier gives the reported country"


def test_failure_is_unknown_with_reason() -> None:
    loc = locate([ev("portail.exemple.ma", Strength.MEASURED, source="dns", failure="NXDOMAIN: name does not exist")])
    assert loc.status is LocationStatus.UNKNOWN
    assert "NXDOMAIN" in loc.reason


def test_no_evidence_is_unknown() -> None:
    loc = locate([])
    assert loc.status is LocationStatus.UNKNOWN
    assert "no evidence" in loc.reason


def test_supporting_evidence_without_claim_is_not_a_subject() -> None:
    dns = Evidence(source="dns", strength=Strength.MEASURED, subject="x.example", observed_at=T0,
                   raw={"addresses": ["1.2.3.4"]})
    loc = locate([dns, ev("1.2.3.4", Strength.AUTHORITATIVE, "US", source="cdn-edge")])
    assert [p.subject for p in loc.parts] == ["1.2.3.4"]
    assert loc.status is LocationStatus.CONFIRMED


def test_one_subject_abroad_among_confirmed_ones_keeps_every_part() -> None:
    loc = locate([
        ev("41.1.1.1", Strength.REGISTERED, "MA", dataset="rir-country"),
        ev("93.1.1.1", Strength.REGISTERED, "FR", dataset="rir-country"),
        declared("MA"),
    ])
    by_subject = {p.subject: p for p in loc.parts}
    assert by_subject["41.1.1.1"].status is LocationStatus.CONFIRMED
    assert by_subject["93.1.1.1"].status is LocationStatus.CONTRADICTED
    assert loc.status is LocationStatus.CONTRADICTED
    assert loc.countries == ("FR", "MA")


def test_partly_uncovered_network_is_unknown_even_if_part_is_located() -> None:
    loc = locate([
        ev("41.0.0.0/23", Strength.REGISTERED, "MA", dataset="rir-country"),
        ev("41.0.0.0/23", Strength.REGISTERED, dataset="rir-country", failure="no entry for 41.0.1.0/24"),
        declared("MA"),
    ])
    assert loc.status is LocationStatus.UNKNOWN
    assert "partly located" in loc.reason


def test_network_spanning_two_countries_keeps_both() -> None:
    loc = locate([
        ev("41.0.0.0/23", Strength.REGISTERED, "MA", dataset="rir-country"),
        ev("41.0.0.0/23", Strength.REGISTERED, "FR", dataset="rir-country"),
        ev("41.0.0.0/23", Strength.MEASURED, "MA", dataset="user-geoip"),
        ev("41.0.0.0/23", Strength.MEASURED, "FR", dataset="user-geoip"),
    ])
    assert loc.status is LocationStatus.CONFIRMED
    assert loc.countries == ("FR", "MA")
    assert loc.parts[0].exact


def test_vendor_candidates_all_abroad_are_confirmed_but_not_exact() -> None:
    loc = locate([ev("vendor:datadog", Strength.AUTHORITATIVE, source="vendor-catalog",
                     candidates=("DE", "JP", "US"))])
    part = loc.parts[0]
    assert part.status is LocationStatus.CONFIRMED
    assert not part.exact
    assert part.countries == ("DE", "JP", "US")


def test_exact_claim_inside_candidates_agrees() -> None:
    loc = locate([
        ev("vendor:x", Strength.AUTHORITATIVE, source="vendor-catalog", candidates=("DE", "US")),
        ev("vendor:x", Strength.MEASURED, "DE", dataset="user-geoip"),
    ])
    assert loc.status is LocationStatus.CONFIRMED
    assert loc.countries == ("DE",)
    assert loc.parts[0].exact


def test_exact_claim_outside_candidates_is_contradicted() -> None:
    loc = locate([
        ev("vendor:x", Strength.AUTHORITATIVE, source="vendor-catalog", candidates=("DE", "US")),
        ev("vendor:x", Strength.DECLARED, "MA", source="declared"),
    ])
    assert loc.status is LocationStatus.CONTRADICTED


def test_internal_address_is_unknown_even_when_declared() -> None:
    loc = locate([ev("10.1.2.3", Strength.REGISTERED, internal=True, dataset="rir-country"), declared("MA")])
    assert loc.status is LocationStatus.UNKNOWN
    assert loc.parts[0].internal
    assert "cannot be verified" in loc.reason


def test_asn_only_claim_does_not_locate() -> None:
    asn = Evidence(source="geoip", strength=Strength.MEASURED, subject="1.2.3.4", dataset="user-asn",
                   claim=Claim(asn=64500, asn_org="Example"), observed_at=T0)
    loc = locate([asn])
    assert loc.status is LocationStatus.UNKNOWN


def test_two_registry_sources_alone_never_confirm() -> None:
    loc = locate([
        ev("41.1.1.1", Strength.REGISTERED, "MA", dataset="rir-country"),
        ev("41.1.1.1", Strength.REGISTERED, "MA", source="rdap", dataset="rdap"),
    ])
    assert loc.status is LocationStatus.UNKNOWN
    assert "only registry sources" in loc.reason


def test_registry_sources_and_a_declaration_confirm() -> None:
    loc = locate([
        ev("41.1.1.1", Strength.REGISTERED, "MA", dataset="rir-country"),
        ev("41.1.1.1", Strength.REGISTERED, "MA", source="rdap", dataset="rdap"),
        declared("MA"),
    ])
    assert loc.status is LocationStatus.CONFIRMED
