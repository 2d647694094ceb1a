"""A pack's test cases: read with the real inventory, evidence and register code, judged like a scan, and every
mistake in a cases file reported with its line and field."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from residency_scan.errors import InputError, Problem
from residency_scan.models import Outcome
from residency_scan.rules import RulePack, load_rule_pack, load_rule_packs, shipped_pack_names, shipped_rules_dir
from residency_scan.rules.testcases import (
    DEFAULT_TODAY,
    cases_path_for,
    load_pack_cases,
    pack_path_for,
    run_cases,
)

REPO = Path(__file__).resolve().parents[2]
REGISTER = REPO / "examples" / "prestataires-exemple.yaml"

PACK = """\
pack: {id: t, version: "1", title: {en: "T", fr: "T"}}
rules:
  - id: T-LOC
    title: {en: "T", fr: "T"}
    message: {en: "{asset}", fr: "{asset}"}
    severity: high
    reference: {text: "Décret", article: "art. 5", url: "https://example.org"}
    applies_to: {kinds: [server, backup], sensitivity: [sensitive], entity_types: [eiv, administration]}
    condition: {country-in: {countries: [MA]}}
    remediation: {en: "{asset}", fr: "{asset}"}
  - id: T-QUAL
    title: {en: "T", fr: "T"}
    message: {en: "{asset}", fr: "{asset}"}
    severity: high
    reference: {text: "Décret", article: "art. 2", url: "https://example.org"}
    applies_to: {kinds: [server]}
    condition: {provider-qualified: {level: 2}}
    remediation: {en: "{asset}", fr: "{asset}"}
  - id: T-ADM
    title: {en: "T", fr: "T"}
    message: {en: "{asset}", fr: "{asset}"}
    severity: high
    reference: {text: "Décret", article: "art. 5 §4", url: "https://example.org"}
    applies_to: {when: {has-access-events: true}}
    condition: {access-from: {countries: [MA]}}
    remediation: {en: "{asset}", fr: "{asset}"}
"""

SERVER_IN_MA = """\
    asset: {id: srv, kind: server, target: 41.248.30.20, sensitivity: sensitive, declared: {country: MA}}
    evidence:
      - {source: geoip, strength: measured, subject: 41.248.30.20, claim: {country: MA}}
      - {source: declared, strength: declared, subject: srv, claim: {country: MA}}
"""


@pytest.fixture
def pack(tmp_path: Path) -> RulePack:
    path = tmp_path / "t.yaml"
    path.write_text(PACK, encoding="utf-8")
    return load_rule_pack(path)


def write_cases(pack: RulePack, body: str, header: str = "pack: t\n") -> Path:
    path = cases_path_for(pack.path)
    path.write_text(header + "cases:\n" + body, encoding="utf-8")
    return path


def outcomes(pack: RulePack, body: str) -> list[dict[str, tuple[Outcome, Outcome]]]:
    cases = load_pack_cases(write_cases(pack, body), pack)
    return [{r.rule: (r.expected, r.got) for r in result.results} for result in run_cases(cases, pack)]


def problems(pack: RulePack, body: str, header: str = "pack: t\n") -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_pack_cases(write_cases(pack, body, header), pack)
    return list(caught.value.problems)


# --------------------------------------------------------------------------------------------- shipped


@pytest.mark.parametrize("name", [n for n in shipped_pack_names()
                                  if cases_path_for(shipped_rules_dir() / f"{n}.yaml").is_file()])
def test_every_shipped_case_passes(name: str) -> None:
    (pack,) = load_rule_packs([name])
    results = run_cases(load_pack_cases(cases_path_for(pack.path), pack), pack)
    failed = [(r.case.name, [x for x in r.results if not x.passed]) for r in results if not r.passed]
    assert failed == []


def test_the_decree_pack_has_cases_for_every_outcome_of_its_location_rules() -> None:
    (pack,) = load_rule_packs(["decree-2-24-921"])
    cases = load_pack_cases(cases_path_for(pack.path), pack)
    assert len(cases.cases) >= 8
    for rule_id in ("MA-DECREE-LOC-1", "MA-DECREE-ADM-1"):
        expected = {e.outcome for case in cases.cases for e in case.expect if e.rule == rule_id}
        assert expected == {Outcome.COMPLIANT, Outcome.VIOLATION, Outcome.INDETERMINATE, Outcome.NOT_APPLICABLE}


def test_cases_files_live_beside_their_pack() -> None:
    pack = shipped_rules_dir() / "decree-2-24-921.yaml"
    assert cases_path_for(pack).name == "decree-2-24-921.tests.yaml"
    assert pack_path_for(cases_path_for(pack)) == pack
    assert pack_path_for(pack) is None


# --------------------------------------------------------------------------------------------- running


def test_a_case_runs_every_expected_rule_like_a_scan(pack: RulePack) -> None:
    assert outcomes(pack, "  - name: confirmed in Morocco\n"
                          "    expect: {T-LOC: compliant, T-QUAL: indeterminate, T-ADM: not-applicable}\n"
                    + SERVER_IN_MA) == [{"T-LOC": (Outcome.COMPLIANT, Outcome.COMPLIANT),
                                "T-QUAL": (Outcome.INDETERMINATE, Outcome.INDETERMINATE),
                                "T-ADM": (Outcome.NOT_APPLICABLE, Outcome.NOT_APPLICABLE)}]


def test_a_wrong_expectation_fails_with_the_outcome_and_the_reason(pack: RulePack) -> None:
    cases = load_pack_cases(write_cases(pack, textwrap.dedent("""\
          - name: nothing known
            asset: {id: srv, kind: server, target: db.exemple.ma}
            expect: {T-LOC: compliant}
        """)), pack)
    (result,) = run_cases(cases, pack)
    (rule,) = result.results
    assert not result.passed
    assert (rule.expected, rule.got) == (Outcome.COMPLIANT, Outcome.INDETERMINATE)
    assert "no located part" in rule.reason
    assert result.case.today == DEFAULT_TODAY
    assert result.case.entity.type.value == "eiv"


def test_out_of_scope_rules_are_not_applicable_with_why(pack: RulePack, tmp_path: Path) -> None:
    cases = load_pack_cases(write_cases(pack, textwrap.dedent("""\
          - name: private entity
            entity: {name: "Société", type: private}
            asset: {id: srv, kind: server, target: 192.0.2.1}
            expect: {T-LOC: not-applicable}
        """)), pack)
    (result,) = run_cases(cases, pack)
    assert result.passed
    assert result.results[0].reason == "entity type 'private' is not in applies_to.entity_types"


def test_providers_from_a_relative_path_or_inline(pack: RulePack, tmp_path: Path) -> None:
    shutil.copy(REGISTER, tmp_path / "register.yaml")
    inline = textwrap.indent(REGISTER.read_text(encoding="utf-8"), " " * 6)
    qualified = ("    today: 2026-11-25\n"
                 "    asset: {id: srv, kind: server, target: 192.0.2.1, service_type: iaas,\n"
                 '            declared: {provider: "Hébergeur National SA"}}\n')
    assert outcomes(pack, "  - name: by path\n    providers: register.yaml\n" + qualified
                    + "    expect: {T-QUAL: compliant}\n"
                    + "  - name: inline\n    providers:\n" + inline + qualified
                    + "    expect: {T-QUAL: compliant}\n"
                    + "  - name: without a register\n" + qualified
                    + "    expect: {T-QUAL: indeterminate}\n") == [
        {"T-QUAL": (Outcome.COMPLIANT, Outcome.COMPLIANT)}, {"T-QUAL": (Outcome.COMPLIANT, Outcome.COMPLIANT)},
        {"T-QUAL": (Outcome.INDETERMINATE, Outcome.INDETERMINATE)}]


def test_access_records_feed_the_access_rules(pack: RulePack) -> None:
    assert outcomes(pack, "  - name: administered from France\n"
                          "    access:\n"
                          "      - {user: root, source_ip: 203.0.113.5, method: ssh publickey, country: FR,\n"
                          "         status: confirmed, strongest: measured}\n"
                          "    expect: {T-ADM: violation}\n" + SERVER_IN_MA
                    + "  - name: a log without access\n"
                      "    access: []\n"
                      "    expect: {T-ADM: not-applicable}\n" + SERVER_IN_MA) == [
        {"T-ADM": (Outcome.VIOLATION, Outcome.VIOLATION)},
        {"T-ADM": (Outcome.NOT_APPLICABLE, Outcome.NOT_APPLICABLE)}]


# --------------------------------------------------------------------------------------------- problems


def test_every_problem_of_a_cases_file_is_reported_with_line_and_field(pack: RulePack) -> None:
    found = problems(pack, textwrap.dedent("""\
          - name: one
            asset: {id: srv, kind: servr, target: 192.0.2.1}
            evidence:
              - {source: geoip, strength: strong, subject: 192.0.2.1}
            expect: {T-LOC: compliant, T-LCO: violation, T-QUAL: passed}
            expcet: {}
          - name: one
            today: tomorrow
            asset: {id: srv, kind: server, target: 192.0.2.1}
            expect: {T-LOC: compliant}
          - asset: {id: x, kind: server, target: 192.0.2.1}
        """), header="pack: other\n")
    seen = [(p.line, p.field, p.message, p.hint) for p in found]
    assert (1, "pack", "must be the id of the pack beside it, 't' ('other')", "write pack: t") in seen
    assert any(line == 4 and field == "cases[0].asset.kind" and "servr" in message and hint and "server" in hint
               for line, field, message, hint in seen)
    assert any(line == 6 and field == "cases[0].evidence[0].strength" for line, field, _, _ in seen)
    assert (7, "cases[0].expect.T-LCO", "no rule 'T-LCO' in pack 't'", "did you mean 'T-LOC'?") in seen
    assert any(line == 7 and field == "cases[0].expect.T-QUAL" and "unknown outcome" in message
               for line, field, message, _ in seen)
    assert (8, "cases[0].expcet", "unknown field 'expcet'", "did you mean 'expect'?") in seen
    assert any(line == 10 and field == "cases[1].today" for line, field, _, _ in seen)
    assert any(field == "cases[2].name" and "needs a name" in message for _, field, message, _ in seen)
    assert any(field == "cases[2].expect" for _, field, _, _ in seen)
    assert [p.line for p in found] == sorted(p.line or 0 for p in found)
    assert all(p.path == str(cases_path_for(pack.path)) for p in found)


def test_duplicate_case_names_are_refused(pack: RulePack) -> None:
    body = "  - name: same\n    expect: {T-LOC: compliant}\n" + SERVER_IN_MA
    (problem,) = problems(pack, body + body)
    assert (problem.line, problem.field, problem.message) == (9, "cases[1].name", "duplicate case name 'same'")


@pytest.mark.parametrize(("content", "message"), [
    (b"pack: t\ncases:\n  - name: caf\xe9\n", "not valid UTF-8"),
    (b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n".encode()
        for i in range(9)), "once aliases are expanded"),
    (b"pack: t\ncases: !!python/object:os.system {}\n", "not allowed"),
    (b"pack: t\ncases: []\n", "must be a non-empty list of cases"),
    (b"- a list\n", "a test cases file is a mapping"),
])
def test_hostile_or_empty_cases_files_are_refused(pack: RulePack, content: bytes, message: str) -> None:
    path = cases_path_for(pack.path)
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        load_pack_cases(path, pack)
    assert any(message in p.message for p in caught.value.problems), caught.value.problems


def test_a_bad_register_is_reported_in_the_register_file(pack: RulePack, tmp_path: Path) -> None:
    (tmp_path / "register.yaml").write_text("register: {title: x}\nproviders: []\n", encoding="utf-8")
    found = problems(pack, "  - name: bad register\n    providers: register.yaml\n"
                           "    expect: {T-LOC: compliant}\n" + SERVER_IN_MA)
    assert found and all(p.path == str(tmp_path / "register.yaml") for p in found)


def test_a_bad_evidence_field_is_reported_on_its_own_line(pack: RulePack) -> None:
    (problem,) = problems(pack, textwrap.dedent("""\
          - name: block style
            asset: {id: srv, kind: server, target: 192.0.2.1}
            evidence:
              - source: geoip
                subject: 192.0.2.1
                strength: strong
                claim: {country: MA}
            expect: {T-LOC: compliant}
        """))
    assert (problem.line, problem.field) == (8, "cases[0].evidence[0].strength")
    assert "'strong' is not allowed" in problem.message
