"""Loading rule files: every mistake is a Problem with its line, never a traceback or a silent pass."""

from __future__ import annotations

import importlib.resources
import subprocess
import sys
from pathlib import Path

import pytest

from residency_scan.errors import Problem, RuleFileError
from residency_scan.rules import ConditionCompiler, load_rule_pack, load_rule_packs
from residency_scan.rules import shipped as shipped_module

ASSETS = Path(__file__).parent.parent / "assets" / "rules"
BAD = ASSETS / "bad"

# file -> every (line, field, start of message) expected, in order.
BAD_CASES: dict[str, list[tuple[int | None, str | None, str]]] = {
    "unknown-field.yaml": [
        (5, "pack.autor", "unknown field 'autor'"),
        (7, "rules[0].severity", "required field is missing"),
        (10, "rules[0].severty", "unknown field 'severty'"),
        (11, "rules[0].reference.artcle", "unknown field 'artcle'"),
    ],
    "wrong-types.yaml": [
        (3, "pack.version", "must be a text"),
        (10, "rules[0].reference.article_uncertain", "must be true or false"),
        (11, "rules[0].applies_to.kinds", "must be a list"),
        (13, "rules[0].remediation", "must be a mapping"),
    ],
    "missing-translation.yaml": [
        (4, "pack.title.fr", "missing the French text"),
        (8, "rules[0].message.en", "missing the English text"),
        (13, "rules[0].remediation.fr", "text is empty"),
    ],
    "duplicate-id.yaml": [(13, "rules[1].id", "duplicate rule id 'R-1'")],
    "bad-severity.yaml": [(9, "rules[0].severity", "'critcal' is not allowed")],
    "bad-applies-to.yaml": [
        (14, "rules[0].applies_to.kinds[1]", "'servr' is not allowed"),
        (15, "rules[0].applies_to.sensitivity[0]", "'secret' is not allowed"),
        (16, "rules[0].applies_to.entity_types", "the list is empty"),
    ],
    "bad-country.yaml": [
        (15, "rules[0].condition.country-in.countries[1]", "'UK' is not an ISO 3166-1 alpha-2 country code"),
        (16, "rules[0].condition.country-in.countries[2]", "'ZZ' is not an ISO 3166-1 alpha-2 country code"),
    ],
    "bad-conditions.yaml": [
        (13, "rules[0].condition.all[0].country_in", "unknown condition 'country_in'"),
        (14, "rules[0].condition.all[1].any", "'any' takes a non-empty list"),
        (15, "rules[0].condition.all[2]", "a condition is a mapping with exactly one key"),
        (16, "rules[0].condition.all[3].not", "'not' takes one condition, not a list"),
        (17, "rules[0].condition.all[4].location-confirmed", "only 'true' is accepted"),
        (18, "rules[0].condition.all[5].kind-in.extra", "unknown field 'extra'"),
        (19, "rules[0].condition.all[6].kind-in", "the parameters of 'kind-in' are a mapping"),
        (20, "rules[0].condition.all[7].cloud-provider-in.providers", "unknown cloud provider 'asw'"),
        (27, "rules[1].condition", "a condition is a mapping with exactly one key"),
        (29, "rules[2].condition", "required field is missing"),
    ],
    "bad-placeholders.yaml": [
        (9, "rules[0].message.en", "placeholder '{asset.__class__.__init__.__globals__}' uses attribute"),
        (10, "rules[0].message.fr", "placeholder '{countries[0]}' uses attribute or index access"),
        (15, "rules[0].remediation.en", "placeholder '{asset:>999999999}' has a conversion or format spec"),
        (16, "rules[0].remediation.fr", "bad placeholder syntax"),
        (19, "rules[1].message.en", "placeholder '{reason!r}' has a conversion or format spec"),
        (19, "rules[1].message.fr", "unknown placeholder '{}'"),
        (23, "rules[1].remediation.en", "unknown placeholder '{assett}'"),
        (23, "rules[1].remediation.fr", "bad placeholder syntax"),
    ],
    "bad-ids.yaml": [
        (2, "pack.id", "'../../etc/passwd' is not a valid id"),
        (6, "rules[0].id", "'rule with spaces' is not a valid id"),
    ],
    "no-rules.yaml": [(5, "rules", "a rule pack needs at least one rule")],
    "not-a-mapping.yaml": [(1, None, "a rule pack is a mapping with 'pack' and 'rules'")],
    "invalid-yaml.yaml": [(5, None, "invalid YAML")],
    "duplicate-key.yaml": [(5, None, "duplicate key 'id'")],
    "python-tag.yaml": [(3, None, "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'")],
}


def problems_of(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(RuleFileError) as caught:
        load_rule_pack(path)
    return caught.value.problems


def test_every_bad_file_has_a_case() -> None:
    assert sorted(p.name for p in BAD.glob("*.yaml")) == sorted(BAD_CASES)


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_rule_file_reports_every_problem_with_its_line(name: str) -> None:
    problems = problems_of(BAD / name)
    got = [(p.line, p.field, p.message) for p in problems]
    expected = BAD_CASES[name]
    assert len(got) == len(expected), got
    for (line, field, message), (want_line, want_field, want_start) in zip(got, expected, strict=True):
        assert (line, field) == (want_line, want_field), got
        assert message.startswith(want_start), message
    assert all(p.path == str(BAD / name) for p in problems)


@pytest.mark.parametrize(("name", "field", "hint"), [
    ("unknown-field.yaml", "rules[0].severty", "did you mean 'severity'?"),
    ("unknown-field.yaml", "pack.autor", "allowed fields: id, version, title, text, deadline"),
    ("bad-severity.yaml", "rules[0].severity", "did you mean 'critical'?"),
    ("bad-applies-to.yaml", "rules[0].applies_to.kinds[1]", "did you mean 'server'?"),
    ("bad-conditions.yaml", "rules[0].condition.all[0].country_in", "did you mean 'country-in'?"),
    ("duplicate-id.yaml", "rules[1].id", "first defined on line 6"),
    ("wrong-types.yaml", "pack.version", "put 2026.11 in quotes"),
    ("missing-translation.yaml", "pack.title.fr", "write every text in English (en) and French (fr)"),
])
def test_problems_suggest_the_fix(name: str, field: str, hint: str) -> None:
    by_field = {p.field: p for p in problems_of(BAD / name)}
    assert by_field[field].hint == hint


def test_uk_suggests_gb() -> None:
    (problem, _) = problems_of(BAD / "bad-country.yaml")
    assert problem.message.endswith("did you mean 'GB'?")


def test_problem_renders_file_line_field_and_hint() -> None:
    problem = next(p for p in problems_of(BAD / "bad-severity.yaml"))
    assert str(problem) == (f"{BAD / 'bad-severity.yaml'}:9: rules[0].severity: 'critcal' is not allowed, "
                            "expected critical, high, medium, low, info (did you mean 'critical'?)")


# --------------------------------------------------------------------------------------------- nesting


def write_nested(tmp_path: Path, levels: int) -> Path:
    condition = "{not: " * levels + "{location-confirmed: true}" + "}" * levels
    path = tmp_path / f"deep-{levels}.yaml"
    path.write_text(
        "pack: {id: deep, version: '1', title: {en: a, fr: b}}\n"
        "rules:\n"
        "  - id: R-1\n"
        "    title: {en: a, fr: b}\n"
        "    message: {en: a, fr: b}\n"
        "    severity: info\n"
        "    reference: {text: t}\n"
        "    remediation: {en: a, fr: b}\n"
        f"    condition: {condition}\n", encoding="utf-8")
    return path


def test_condition_nesting_over_the_limit_is_refused_with_its_line(tmp_path: Path) -> None:
    (problem,) = problems_of(write_nested(tmp_path, 40))
    assert problem.message == "conditions are nested more than 32 levels deep"
    assert problem.line == 9
    assert problem.field is not None
    assert problem.field.startswith("rules[0].condition.not.not.")


def test_condition_nesting_at_the_limit_is_accepted(tmp_path: Path) -> None:
    pack = load_rule_pack(write_nested(tmp_path, 31))  # 31 'not' + the leaf = 32 levels
    assert pack.rules[0].id == "R-1"


def test_ten_thousand_levels_of_yaml_are_refused_cleanly(tmp_path: Path) -> None:
    (problem,) = problems_of(write_nested(tmp_path, 10_000))
    assert "nested more than 64 levels deep" in problem.message
    assert problem.line == 9


def test_a_hundred_thousand_levels_do_not_crash_the_interpreter(tmp_path: Path) -> None:
    # libyaml's composer overflows the C stack (a segfault) beyond ~30,000 levels: run in a child
    # process so that a regression fails this test instead of killing the test run.
    path = write_nested(tmp_path, 100_000)
    code = ("import sys; from pathlib import Path; from residency_scan.rules import load_rule_pack\n"
            "from residency_scan.errors import RuleFileError\n"
            "try:\n    load_rule_pack(Path(sys.argv[1]))\n"
            "except RuleFileError as e:\n    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).parents[2], check=False)
    assert done.returncode == 0, done.stderr
    assert "nested more than 64 levels deep" in done.stdout


def test_compiler_refuses_ten_thousand_levels_built_in_python() -> None:
    raw: dict[str, object] = {"location-confirmed": True}
    for _ in range(10_000):
        raw = {"not": raw}
    compiler = ConditionCompiler("built-in")
    assert compiler.compile(raw, "condition", None) is None
    (problem,) = compiler.problems
    assert problem.message == "conditions are nested more than 32 levels deep"


def test_wide_conditions_are_fine() -> None:
    raw = {"any": [{"kind-in": {"kinds": ["server"]}}] * 5_000}
    compiler = ConditionCompiler("built-in")
    assert compiler.compile(raw, "condition", None) is not None
    assert compiler.problems == []


# --------------------------------------------------------------------------------------------- specs


def test_directory_loads_every_yaml_file_sorted() -> None:
    assert [p.id for p in load_rule_packs([ASSETS / "good"])] == ["test-basic", "test-second"]


def test_same_file_named_twice_is_loaded_once() -> None:
    good = ASSETS / "good" / "basic.yaml"
    packs = load_rule_packs([good, str(good), ASSETS / "good"])
    assert [p.id for p in packs] == ["test-basic", "test-second"]


def test_duplicate_ids_across_files_are_reported_by_the_loader() -> None:
    with pytest.raises(RuleFileError) as caught:
        load_rule_packs([ASSETS / "dup"])
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == (str(ASSETS / "dup" / "b.yaml"), 6)


def test_problems_of_several_files_are_reported_together() -> None:
    with pytest.raises(RuleFileError) as caught:
        load_rule_packs([BAD / "bad-severity.yaml", BAD / "duplicate-id.yaml"])
    assert {p.path for p in caught.value.problems} == {str(BAD / "bad-severity.yaml"),
                                                       str(BAD / "duplicate-id.yaml")}


def test_unknown_spec_is_named_with_a_suggestion() -> None:
    with pytest.raises(RuleFileError) as caught:
        load_rule_packs(["decree-2-24-912"])
    (problem,) = caught.value.problems
    assert problem.path == "decree-2-24-912"
    assert problem.message == "no such rule file, directory or shipped rule pack"
    assert problem.hint == "did you mean 'decree-2-24-921'?"


def test_missing_file_is_named() -> None:
    with pytest.raises(RuleFileError, match=r"no-such\.yaml"):
        load_rule_packs([ASSETS / "no-such.yaml"])


def test_empty_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a rule file")
    with pytest.raises(RuleFileError) as caught:
        load_rule_packs([tmp_path])
    assert caught.value.problems[0].message == "no *.yaml rule file in this directory"


def test_non_utf8_rule_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("pack:\n  id: d\u00e9cret\n".encode("latin-1"))
    (problem,) = problems_of(path)
    assert (problem.line, problem.message.startswith("not valid UTF-8")) == (2, True)


def test_shipped_rules_dir_prefers_the_wheel_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "_rules").mkdir()
    monkeypatch.setattr(importlib.resources, "files", lambda _package: tmp_path)
    assert shipped_module.shipped_rules_dir() == tmp_path / "_rules"


def test_shipped_rules_dir_falls_back_to_the_checkout() -> None:
    assert shipped_module.shipped_rules_dir() == Path(__file__).parents[2] / "rules"


@pytest.mark.parametrize(("written", "meant"), [("Morocco", "MA"), ("MAR", "MA"), ("Maroc", "MA"), ("EL", "GR")])
def test_country_names_and_alpha3_codes_suggest_the_code(written: str, meant: str) -> None:
    """The leaves use the inventory's country table and suggestions: one list of codes, one way to guess."""
    compiler = ConditionCompiler("test.yaml")
    assert compiler.compile({"country-in": {"countries": [written]}}, "condition", 1) is None
    assert compiler.problems[0].message.endswith(f"did you mean '{meant}'?")
