"""The shipped pack rules/decree-2-24-921.yaml: it loads, it is complete in both languages, and it judges
the cases the decree is about the way docs/rules.md says."""

from __future__ import annotations

import re

import pytest

from residency_scan.models import AssetKind, EntityType, Outcome, Sensitivity, Severity
from residency_scan.rules import RuleEngine, RulePack, default_rule_packs, load_rule_packs, shipped_pack_names

from .builders import (
    CANDIDATES_ABROAD,
    CONTRADICTED_AUTHORITATIVE_ABROAD,
    IN_FR,
    IN_MA,
    INTERNAL_PART,
    UNKNOWN_PART,
    asset,
    context,
    location,
)

DECREE_URL = "https://www.dgssi.gov.ma/fr/reglementations/decret-ndeg-2-24-921"


@pytest.fixture(scope="module")
def pack() -> RulePack:
    (only,) = load_rule_packs(["decree-2-24-921"])
    return only


@pytest.fixture(scope="module")
def engine(pack: RulePack) -> RuleEngine:
    return RuleEngine([pack])


def test_shipped_pack_is_found_by_name_and_by_default(pack: RulePack) -> None:
    assert "decree-2-24-921" in shipped_pack_names()
    assert pack.id == "decree-2-24-921" == pack.path.stem
    assert [p.id for p in default_rule_packs()] == shipped_pack_names()
    assert pack.text is not None
    assert pack.text.published == "BO n° 7352 du 14 novembre 2024"


DECREE_RULES = ["MA-DECREE-LOC-1", "MA-DECREE-ADM-1", "MA-DECREE-ADM-2", "MA-DECREE-QUAL-1", "MA-DECREE-QUAL-2",
                "MA-DECREE-QUAL-3", "MA-DECREE-SUB-1", "MA-DECREE-SUB-2"]
DECREE_ARTICLES = {"MA-DECREE-LOC-1": "art. 5 §3", "MA-DECREE-ADM-1": "art. 4", "MA-DECREE-ADM-2": "art. 5 §4",
                   "MA-DECREE-QUAL-1": "art. 1 et 2", "MA-DECREE-QUAL-2": "art. 2",
                   "MA-DECREE-QUAL-3": "art. 9 et 10", "MA-DECREE-SUB-1": "art. 6", "MA-DECREE-SUB-2": "art. 5 §5"}


def test_the_three_texts_are_shipped() -> None:
    assert shipped_pack_names() == ["decree-2-24-921", "law-05-20", "law-09-08"]


@pytest.mark.parametrize("name", ["decree-2-24-921", "law-05-20", "law-09-08"])
def test_every_rule_has_both_languages_and_a_sourced_reference(name: str) -> None:
    (shipped,) = load_rule_packs([name])
    for rule in shipped.rules:
        for text in (rule.title, rule.title_fr, rule.message.render(_values()),
                     rule.message_fr.render(_values()), rule.remediation.render(_values()),
                     rule.remediation_fr.render(_values())):
            assert len(text.strip()) > 10
        assert rule.title != rule.title_fr
        french = rule.title_fr + rule.message_fr.render(_values())
        assert re.search(r"[éèàêç]", french), "French without accents"
        ref = rule.reference
        assert ref.article, f"{rule.id} names no article"
        assert ref.url is not None and ref.url.startswith("https://")
        if ref.quote is not None:
            assert ref.quote.strip() and not ref.quote.startswith("«"), "quotes are the text; reports add «»"
            assert not ref.quote.endswith("»")


def test_decree_rules_cite_their_articles(pack: RulePack) -> None:
    assert [rule.id for rule in pack.rules] == DECREE_RULES
    for rule in pack.rules:
        assert rule.reference.text.startswith("Décret n° 2-24-921")
        assert rule.reference.url is not None and rule.reference.url.startswith(DECREE_URL)
        assert rule.reference.article == DECREE_ARTICLES[rule.id]
        assert not rule.reference.article_uncertain
    location_rules = [rule for rule in pack.rules if rule.id in ("MA-DECREE-LOC-1", "MA-DECREE-ADM-1",
                                                                "MA-DECREE-ADM-2")]
    assert all(rule.severity is Severity.CRITICAL for rule in location_rules)


def test_decree_deadline_is_24_months_after_the_arrete_and_marked_inferred(pack: RulePack) -> None:
    ref = pack.ref()
    assert ref.deadline is not None
    assert ref.deadline.date.isoformat() == "2027-08-21"
    assert ref.deadline.uncertain
    assert ref.deadline.reference.article == "art. 18"


def test_loi_05_20_article_is_marked_uncertain() -> None:
    (loi,) = load_rule_packs(["law-05-20"])
    (rule,) = loi.rules
    assert rule.reference.text.startswith("Loi n° 05-20")
    assert rule.reference.article_uncertain
    assert rule.reference.quote == ("Les données sensibles doivent être exclusivement hébergées "
                                    "sur le territoire national")


def test_loi_09_08_cites_article_43() -> None:
    (loi,) = load_rule_packs(["law-09-08"])
    (rule,) = loi.rules
    assert rule.reference.text.startswith("Loi n° 09-08")
    assert rule.reference.article == "art. 43"
    assert not rule.reference.article_uncertain


def _values() -> dict[str, str]:
    return {"asset": "a", "countries": "FR", "reason": "r"}


@pytest.mark.parametrize(("kind", "rule"), [
    ("server", "MA-DECREE-LOC-1"), ("data-store", "MA-DECREE-LOC-1"), ("backup", "MA-DECREE-LOC-1"),
    ("saas", "MA-DECREE-LOC-1"), ("network", "MA-DECREE-LOC-1"),
    ("management-tool", "MA-DECREE-ADM-1"), ("admin-interface", "MA-DECREE-ADM-1"),
])
@pytest.mark.parametrize("entity_type", ["eiv", "administration"])
def test_each_sensitive_kind_gets_exactly_one_location_rule(engine: RuleEngine, kind: str, rule: str,
                                                            entity_type: str) -> None:
    rules = engine.rules_for(AssetKind(kind), Sensitivity.SENSITIVE, EntityType(entity_type))
    placed = [r.id for r in rules if r.id in ("MA-DECREE-LOC-1", "MA-DECREE-ADM-1")]
    assert placed == [rule]


@pytest.mark.parametrize("sensitivity", ["internal", "public"])
def test_non_sensitive_assets_are_not_applicable(engine: RuleEngine, sensitivity: str) -> None:
    judgement = engine.judge(context(asset(sensitivity=sensitivity), location(IN_FR)))
    assert judgement.verdict is Outcome.NOT_APPLICABLE


def test_private_entities_are_not_applicable(engine: RuleEngine) -> None:
    judgement = engine.judge(context(asset(), location(IN_FR), entity_type="private"))
    assert judgement.verdict is Outcome.NOT_APPLICABLE


@pytest.mark.parametrize(("parts", "verdict"), [
    ((IN_MA,), Outcome.COMPLIANT),
    ((IN_FR,), Outcome.VIOLATION),
    ((CANDIDATES_ABROAD,), Outcome.VIOLATION),
    ((CONTRADICTED_AUTHORITATIVE_ABROAD,), Outcome.VIOLATION),
    ((IN_MA, IN_FR), Outcome.VIOLATION),
    ((UNKNOWN_PART,), Outcome.INDETERMINATE),
    ((INTERNAL_PART,), Outcome.INDETERMINATE),
    ((IN_MA, UNKNOWN_PART), Outcome.INDETERMINATE),
])
@pytest.mark.parametrize("kind", ["server", "management-tool"])
def test_sensitive_asset_verdicts(engine: RuleEngine, kind: str, parts: tuple, verdict: Outcome) -> None:  # type: ignore[type-arg]
    judgement = engine.judge(context(asset("portail", kind=kind), location(*parts)))
    assert judgement.verdict is verdict
    placed = [f for f in judgement.findings if f.rule in ("MA-DECREE-LOC-1", "MA-DECREE-ADM-1")]
    assert len(placed) == (0 if verdict is Outcome.COMPLIANT else 1)
    # evidence of a vendor's service keeps the cloud rules in scope even though nothing was declared
    cloud_rules = {c.rule for c in judgement.checks if c.rule.startswith(("MA-DECREE-QUAL", "MA-DECREE-SUB"))}
    assert bool(cloud_rules) is any("vendor-catalog" in p.sources for p in parts)


def test_violation_finding_reads_well_in_both_languages(engine: RuleEngine) -> None:
    (finding,) = engine.judge(context(asset("portail-citoyens"), location(IN_FR))).findings
    assert finding.message == ("portail-citoyens holds or processes sensitive data, which must be stored and "
                               "processed exclusively in Morocco; observed location: FR.")
    assert finding.message_fr.startswith("portail-citoyens héberge ou traite des données sensibles")
    assert finding.message_fr.endswith("localisation observée : FR.")
    assert "portail-citoyens" in finding.remediation_fr
    assert finding.reason == "93.184.216.34 is in FR, outside MA (confirmed: geoip + rdap)"
