"""Applicability, verdicts and findings: what the scanner gets back from `RuleEngine.judge`."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_scan.errors import RuleFileError
from residency_scan.models import (
    AssetKind,
    DeclaredLocation,
    EntityType,
    Finding,
    Location,
    Outcome,
    RuleCheck,
    Sensitivity,
    Severity,
)
from residency_scan.rules import RuleEngine, RulePack, load_rule_pack, load_rule_packs

from .builders import IN_FR, IN_MA, UNKNOWN, UNKNOWN_PART, asset, context, location

ASSETS = Path(__file__).parent.parent / "assets" / "rules"


@pytest.fixture(scope="module")
def basic() -> RulePack:
    return load_rule_pack(ASSETS / "good" / "basic.yaml")


@pytest.fixture(scope="module")
def engine(basic: RulePack) -> RuleEngine:
    return RuleEngine([basic])


def rule_ids(engine: RuleEngine, **ctx_args: object) -> list[str]:
    ctx = context(**ctx_args)  # type: ignore[arg-type]
    return [check.rule for check in engine.judge(ctx).checks]


QUALIFIED = DeclaredLocation(qualification=2)


# --------------------------------------------------------------------------------------------- applies_to


def test_rule_applies_when_kind_sensitivity_and_entity_type_all_match(engine: RuleEngine) -> None:
    assert rule_ids(engine, the_asset=asset(kind="server", sensitivity="sensitive")) == ["T-LOC", "T-QUAL"]


@pytest.mark.parametrize(("kind", "sensitivity", "entity_type"), [
    ("backup", "sensitive", "eiv"),         # kind not listed
    ("server", "internal", "eiv"),          # sensitivity not listed
    ("server", "sensitive", "private"),     # entity type not listed
])
def test_rule_does_not_apply_when_one_criterion_misses(engine: RuleEngine, kind: str, sensitivity: str,
                                                       entity_type: str) -> None:
    ids = rule_ids(engine, the_asset=asset(kind=kind, sensitivity=sensitivity), entity_type=entity_type)
    assert "T-LOC" not in ids
    assert "T-QUAL" in ids  # no applies_to at all: every asset


def test_omitted_lists_mean_all(engine: RuleEngine) -> None:
    # T-ADM lists kinds only: any sensitivity, any entity type.
    admin = asset(kind="admin-interface", sensitivity="public")
    ids = rule_ids(engine, the_asset=admin, entity_type="private")
    assert ids == ["T-ADM", "T-QUAL"]


def test_rules_for_matches_judge(engine: RuleEngine) -> None:
    rules = engine.rules_for(AssetKind.DATA_STORE, Sensitivity.SENSITIVE, EntityType.ADMINISTRATION)
    assert [rule.id for rule in rules] == ["T-LOC", "T-QUAL"]


# --------------------------------------------------------------------------------------------- verdicts


def test_all_compliant_gives_compliant_and_no_finding(engine: RuleEngine) -> None:
    judgement = engine.judge(context(asset(declared=QUALIFIED), location(IN_MA)))
    assert judgement.verdict is Outcome.COMPLIANT
    assert [c.outcome for c in judgement.checks] == [Outcome.COMPLIANT, Outcome.COMPLIANT]
    assert judgement.findings == ()


def test_verdict_is_the_worst_outcome_violation(engine: RuleEngine) -> None:
    # T-LOC: violation (FR); T-QUAL: indeterminate (no qualification declared).
    judgement = engine.judge(context(asset(), location(IN_FR)))
    assert [(c.rule, c.outcome) for c in judgement.checks] == [
        ("T-LOC", Outcome.VIOLATION), ("T-QUAL", Outcome.INDETERMINATE)]
    assert judgement.verdict is Outcome.VIOLATION
    assert [f.rule for f in judgement.findings] == ["T-LOC", "T-QUAL"]


def test_verdict_indeterminate_beats_compliant(engine: RuleEngine) -> None:
    judgement = engine.judge(context(asset(), location(IN_MA)))
    assert [c.outcome for c in judgement.checks] == [Outcome.COMPLIANT, Outcome.INDETERMINATE]
    assert judgement.verdict is Outcome.INDETERMINATE
    assert [f.rule for f in judgement.findings] == ["T-QUAL"]


def test_violation_beats_indeterminate_whatever_the_order(engine: RuleEngine) -> None:
    # T-LOC: indeterminate (unknown location); T-QUAL: violation (declared level 1 < 2, no waiver tag).
    level_1 = asset(declared=DeclaredLocation(qualification=1))
    judgement = engine.judge(context(level_1, location(UNKNOWN_PART)))
    assert [c.outcome for c in judgement.checks] == [Outcome.INDETERMINATE, Outcome.VIOLATION]
    assert judgement.verdict is Outcome.VIOLATION


def test_unknown_location_is_never_compliant(engine: RuleEngine) -> None:
    nothing = Location(status=UNKNOWN, reason="no evidence", policy="p")
    judgement = engine.judge(context(asset(declared=QUALIFIED), nothing))
    assert judgement.verdict is Outcome.INDETERMINATE


def test_not_applicable_when_no_rule_applies() -> None:
    engine = RuleEngine([load_rule_pack(ASSETS / "good" / "second.yaml")])  # saas only
    judgement = engine.judge(context(asset(kind="server")))
    assert judgement.verdict is Outcome.NOT_APPLICABLE
    assert judgement.checks == ()
    assert judgement.findings == ()


def test_engine_without_packs_finds_nothing_applicable() -> None:
    assert RuleEngine([]).judge(context()).verdict is Outcome.NOT_APPLICABLE


# --------------------------------------------------------------------------------------------- findings


def test_finding_carries_the_rule_texts_and_the_reason(engine: RuleEngine, basic: RulePack) -> None:
    judgement = engine.judge(context(asset("portail-citoyens", declared=QUALIFIED), location(IN_FR)))
    (finding,) = judgement.findings
    reason = "93.184.216.34 is in FR, outside MA (confirmed: geoip + rdap)"
    assert finding == Finding(
        rule="T-LOC",
        title="Sensitive servers in Morocco",
        title_fr="Serveurs sensibles au Maroc",
        severity=Severity.CRITICAL,
        outcome=Outcome.VIOLATION,
        message=f"portail-citoyens is in FR: {reason}",
        message_fr=f"portail-citoyens est situé : FR ({reason})",
        remediation="Move portail-citoyens to Morocco.",
        remediation_fr="Déplacer portail-citoyens au Maroc. Accolades : {ok}",
        reference=basic.rules[0].reference,
        reason=reason,
    )
    assert finding.reference.article == "art. 5 §3"
    assert judgement.checks[0] == RuleCheck(rule="T-LOC", outcome=Outcome.VIOLATION, reason=reason)


def test_finding_json_round_trips(engine: RuleEngine) -> None:
    (finding, _) = engine.judge(context(asset(), location(IN_FR))).findings
    assert Finding.model_validate_json(finding.model_dump_json()) == finding


def test_unknown_countries_are_named_in_each_language(engine: RuleEngine) -> None:
    (finding, _) = engine.judge(context(asset("db"), location(UNKNOWN_PART))).findings
    assert finding.outcome is Outcome.INDETERMINATE
    assert finding.message == "db is in unknown: db.exemple.ma: location unknown (NXDOMAIN)"
    assert finding.message_fr.startswith("db est situé : inconnue (")


def test_placeholder_values_are_not_formatted_again(engine: RuleEngine) -> None:
    hostile = "{reason}{asset.__class__}{0}%s"
    (finding, _) = engine.judge(context(asset(hostile), location(IN_FR))).findings
    assert finding.message.startswith(hostile + " is in FR: ")
    assert finding.remediation == f"Move {hostile} to Morocco."


def test_compliant_checks_are_kept_for_auditors(engine: RuleEngine) -> None:
    judgement = engine.judge(context(asset(), location(IN_MA)))
    assert judgement.checks[0] == RuleCheck(rule="T-LOC", outcome=Outcome.COMPLIANT,
                                            reason="196.200.1.1 is in MA (confirmed: geoip + declared)")


# --------------------------------------------------------------------------------------------- packs


def test_refs_name_each_pack_with_its_hash(basic: RulePack) -> None:
    import hashlib
    second = load_rule_pack(ASSETS / "good" / "second.yaml")
    refs = RuleEngine([basic, second]).refs()
    assert [(r.id, r.version, r.title) for r in refs] == [("test-basic", "1.0", "Test pack"),
                                                         ("test-second", "1.0", "Second pack")]
    assert refs[0].sha256 == hashlib.sha256((ASSETS / "good" / "basic.yaml").read_bytes()).hexdigest()
    assert refs[0].path == str(ASSETS / "good" / "basic.yaml")


def test_duplicate_rule_ids_across_packs_are_refused_by_the_engine() -> None:
    a = load_rule_pack(ASSETS / "dup" / "a.yaml")
    b = load_rule_pack(ASSETS / "dup" / "b.yaml")
    with pytest.raises(RuleFileError) as caught:
        RuleEngine([a, b])
    (problem,) = caught.value.problems
    assert problem.path == str(ASSETS / "dup" / "b.yaml")
    assert problem.line == 6
    assert "duplicate rule id 'DUP-1'" in problem.message
    assert problem.hint == f"already defined in {ASSETS / 'dup' / 'a.yaml'}:6"


def test_the_same_pack_twice_is_refused_by_the_engine(basic: RulePack) -> None:
    with pytest.raises(RuleFileError, match="duplicate rule pack id 'test-basic'"):
        RuleEngine([basic, basic])


def test_packs_from_a_directory_judge_together() -> None:
    engine = RuleEngine(load_rule_packs([ASSETS / "good"]))
    judgement = engine.judge(context(asset(kind="saas", vendor="datadog"), location(IN_MA)))
    assert [c.rule for c in judgement.checks] == ["T-QUAL", "T-SECOND-1"]
    assert judgement.checks[1].outcome is Outcome.VIOLATION


def test_identical_leaves_are_one_instance_and_answer_once_per_asset() -> None:
    """Several rules ask the same fact (uses-cloud, sensitive-data): compiled once, judged once per asset."""
    from dataclasses import replace as with_memo

    from residency_scan.rules import ConditionCompiler, Truth

    first = ConditionCompiler("a.yaml").compile({"uses-cloud": True}, "c", 1)
    second = ConditionCompiler("b.yaml").compile({"all": [{"uses-cloud": True}]}, "c", 1)
    assert first is not None and second is not None
    assert second.children[0] is first  # type: ignore[attr-defined]
    ctx = with_memo(context(), memo={})
    answer = first.evaluate(ctx)
    assert ctx.memo == {id(first): answer}
    ctx.memo[id(first)] = (Truth.UNKNOWN, "from the memo")
    assert first.evaluate(ctx) == (Truth.UNKNOWN, "from the memo")
    assert first.evaluate(context()) == answer  # without a memo: evaluated afresh
