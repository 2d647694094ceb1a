"""`rules lint`: load problems as the loader reports them, then the review checks — references, reachability on
the synthetic grid, conditions that can never fire, messages, test cases."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import pytest

from residency_scan.models import AssetKind, Sensitivity
from residency_scan.rules import load_rule_pack, shipped_pack_names
from residency_scan.rules.lint import LintFinding, LintLevel, lint_paths
from residency_scan.rules.lint_grid import Chooser, Undecided, asset_domains, explore, outcomes

RULE = """\
  - id: {id}
    title: {{en: "T", fr: "T"}}
    message: {{en: "{message}", fr: "{message}"}}
    severity: high
    reference: {reference}
    applies_to: {applies_to}
    condition: {condition}
    remediation: {{en: "Fix {{asset}}.", fr: "Corriger {{asset}}."}}
"""
GOOD_REFERENCE = '{text: "Décret n° 2-24-921", article: "art. 4", url: "https://example.org/decret"}'
IN_MA = "{country-in: {countries: [MA]}}"


def rule(rule_id: str = "R-1", *, reference: str = GOOD_REFERENCE, message: str = "{asset} is abroad",
         applies_to: str = "{kinds: [server], sensitivity: [sensitive]}", condition: str = IN_MA) -> str:
    return RULE.format(id=rule_id, reference=reference, message=message, applies_to=applies_to,
                       condition=condition)


def write_pack(directory: Path, *rules: str, pack_id: str = "p", cases: bool = True) -> Path:
    path = directory / f"{pack_id}.yaml"
    header = f'pack: {{id: {pack_id}, version: "1", title: {{en: "P", fr: "P"}}}}\nrules:\n'
    path.write_text(header + "".join(rules or (rule(),)), encoding="utf-8")
    if cases:
        (directory / f"{pack_id}.tests.yaml").write_text(f"pack: {pack_id}\ncases: []\n", encoding="utf-8")
    return path


def findings(path: Path) -> list[LintFinding]:
    report = lint_paths([path])
    assert report.problems == ()
    return list(report.findings)


def messages(path: Path) -> list[tuple[str, LintLevel, str]]:
    return [(f.subject, f.level, f.message) for f in findings(path)]


# --------------------------------------------------------------------------------------------- shipped packs


def test_shipped_packs_have_no_lint_error() -> None:
    report = lint_paths(shipped_pack_names())
    assert report.problems == ()
    assert report.errors == ()
    assert {pack.id for pack in report.packs} == set(shipped_pack_names())
    assert report.exit_code() == 0


def test_a_clean_pack_with_cases_has_no_finding(tmp_path: Path) -> None:
    assert findings(write_pack(tmp_path)) == []
    assert lint_paths([tmp_path]).exit_code(strict=True) == 0


# --------------------------------------------------------------------------------------------- references


def test_a_reference_without_article_or_url_is_an_error(tmp_path: Path) -> None:
    path = write_pack(tmp_path, rule(reference='{text: "Loi n° 05-20"}'))
    found = findings(path)
    assert [(f.level, f.message.split(":")[0]) for f in found] == [
        (LintLevel.ERROR, "reference has no article"), (LintLevel.ERROR, "reference has no url")]
    assert str(found[0]).startswith(f"{path}:3: R-1: error: reference has no article")
    assert lint_paths([path]).exit_code() == 2


def test_an_uncertain_article_may_be_missing(tmp_path: Path) -> None:
    path = write_pack(tmp_path, rule(reference='{text: "Loi n° 05-20", article_uncertain: true, '
                                               'url: "https://example.org/loi"}'))
    assert findings(path) == []


def test_a_message_without_asset_is_a_warning(tmp_path: Path) -> None:
    path = write_pack(tmp_path, rule(message="something is abroad"))
    assert messages(path) == [
        ("R-1", LintLevel.WARNING, "message.en does not name {asset}: a finding would not say which asset it is "
                                   "about"),
        ("R-1", LintLevel.WARNING, "message.fr does not name {asset}: a finding would not say which asset it is "
                                   "about")]
    report = lint_paths([path])
    assert (report.exit_code(), report.exit_code(strict=True)) == (0, 1)


def test_a_pack_without_test_cases_is_a_warning(tmp_path: Path) -> None:
    path = write_pack(tmp_path, cases=False)
    (finding,) = findings(path)
    assert (finding.subject, finding.level, finding.line) == ("p", LintLevel.WARNING, None)
    assert str(finding).startswith(f"{path}: p: warning: no test cases: add p.tests.yaml beside the pack")


# --------------------------------------------------------------------------------------------- reachability


@pytest.mark.parametrize("when", [
    "{kind-in: {kinds: [backup]}}",  # the lists say server only
    "{all: [{sensitivity-in: {sensitivity: [sensitive]}}, {not: {sensitivity-in: {sensitivity: [sensitive]}}}]}",
    "{entity-type-in: {entity_types: [private]}}",
    "{all: [{sensitive-data: true}, {sensitive-data: false}]}",
])
def test_a_when_that_excludes_every_asset_is_an_error(tmp_path: Path, when: str) -> None:
    path = write_pack(tmp_path, rule(applies_to="{kinds: [server], entity_types: [eiv, administration], "
                                                f"when: {when}}}"))
    (finding,) = findings(path)
    assert (finding.level, finding.line) == (LintLevel.ERROR, 3)
    assert "applies_to.when is FALSE for every asset" in finding.message
    assert "the rule can never apply" in finding.message


@pytest.mark.parametrize("when", [
    "{has-tag: {key: sis, value: 'oui'}}",  # only an asset with that very tag
    "{all: [{vendor-in: {vendors: [splunk]}}, {cloud-provider-in: {providers: [gcp]}}]}",
    "{has-access-events: true}",  # only when an access log shows access
    "{all: [{sensitive-data: false}, {service-type-in: {types: [paas]}}, {personal-data: true}]}",
    "{all: [{subcontractors-declared: true}, {not: {no-subcontractor-data-access: true}}]}",
    "{all: [{stated: cndp_authorisation}, {not: {uses-cloud: true}}]}",
    "{country-in: {countries: [FR]}}",  # a location condition in a when: true somewhere
])
def test_a_when_true_for_some_asset_of_the_grid_is_reachable(tmp_path: Path, when: str) -> None:
    path = write_pack(tmp_path, rule(applies_to=f"{{kinds: [server, saas], when: {when}}}"))
    assert findings(path) == []


@pytest.mark.parametrize("condition", [
    "{kind-in: {kinds: [server]}}",  # what applies_to already says
    "{any: [{has-tag: {key: x}}, {not: {has-tag: {key: x}}}]}",
    "{sensitivity-in: {sensitivity: [sensitive, internal]}}",
])
def test_a_condition_true_for_every_asset_in_scope_is_a_warning(tmp_path: Path, condition: str) -> None:
    path = write_pack(tmp_path, rule(condition=condition))
    (finding,) = findings(path)
    assert finding.level is LintLevel.WARNING
    assert "the condition is TRUE for every asset in scope and every location" in finding.message


@pytest.mark.parametrize("condition", [
    IN_MA,
    "{not: {country-in: {countries: [FR]}}}",  # UNKNOWN when nothing is known
    "{any: [{kind-in: {kinds: [server]}}, {sensitive-data: true}]}",  # can be FALSE for a backup
    "{access-from: {countries: [MA]}}",
    "{has-tag: {key: sis}}",
])
def test_conditions_that_can_fail_are_not_flagged(tmp_path: Path, condition: str) -> None:
    path = write_pack(tmp_path, rule(applies_to="{kinds: [server, backup]}", condition=condition))
    assert findings(path) == []


# --------------------------------------------------------------------------------------------- the grid


def test_explore_visits_every_combination_of_what_is_read_once() -> None:
    def run(chooser: Chooser) -> tuple[object, ...]:
        first = chooser.choose("abc")
        if first == "b":  # a second dimension read only on one branch
            return (first, chooser.choose((1, 2)), chooser.choose((True, False)))
        return (first,)

    visited = list(explore(run))
    assert sorted(visited, key=str) == sorted(
        [("a",), ("c",), *(("b", n, flag) for n, flag in itertools.product((1, 2), (True, False)))], key=str)


def test_explore_gives_up_past_its_limit() -> None:
    def run(chooser: Chooser) -> int:
        return sum(chooser.choose(range(10)) for _ in range(4))

    assert len(list(explore(run))) == 10_000
    with pytest.raises(Undecided):
        list(explore(run, limit=999))


def test_the_grid_reads_lazily_and_covers_the_applies_to_lists(tmp_path: Path) -> None:
    pack = load_rule_pack(write_pack(tmp_path, rule(applies_to="{kinds: [server, backup], "
                                                               "sensitivity: [sensitive, internal]}")))
    (only,) = pack.rules
    seen = list(outcomes(only, lambda ctx: (ctx.asset.kind, ctx.asset.sensitivity)))
    assert sorted(seen) == sorted(itertools.product((AssetKind.BACKUP, AssetKind.SERVER),
                                                    (Sensitivity.INTERNAL, Sensitivity.SENSITIVE)))
    facts = list(outcomes(only, lambda ctx: ctx.asset.holds_sensitive_data()))
    # stated true, stated false, and unset × the two sensitivities: a stated fact never reads the sensitivity
    assert sorted(facts) == [False, False, True, True]
    domains = asset_domains(only)
    assert domains["kind"] == (AssetKind.BACKUP, AssetKind.SERVER)


# --------------------------------------------------------------------------------------------- load problems


def test_load_problems_are_reported_and_good_packs_still_linted(tmp_path: Path) -> None:
    good = write_pack(tmp_path, rule(reference='{text: "Loi", article: "art. 1"}'), pack_id="good")
    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent("""\
        pack: {id: bad, version: "1", title: {en: "B", fr: "B"}}
        rules:
          - id: B-1
            condition: {country_in: {countries: [MA]}}
        """), encoding="utf-8")
    report = lint_paths([tmp_path])
    assert [pack.id for pack in report.packs] == ["good"]
    assert any(p.line == 4 and "unknown condition 'country_in'" in p.message for p in report.problems)
    assert [(f.path, f.subject, f.message.split(":")[0]) for f in report.findings] == [
        (str(good), "R-1", "reference has no url")]
    assert report.exit_code() == 2


def test_ids_duplicated_across_packs_are_load_problems(tmp_path: Path) -> None:
    write_pack(tmp_path, rule("SAME"), pack_id="a")
    write_pack(tmp_path, rule("SAME"), pack_id="b")
    report = lint_paths([tmp_path])
    assert [p.message for p in report.problems] == ["duplicate rule id 'SAME'"]


def test_a_test_cases_file_is_not_linted_as_a_pack(tmp_path: Path) -> None:
    write_pack(tmp_path)
    report = lint_paths([tmp_path])
    assert [pack.id for pack in report.packs] == ["p"]
    assert report.problems == ()
