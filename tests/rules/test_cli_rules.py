"""`residency-scan rules list | show | lint | test` through Typer's CliRunner on the real app: outputs, exit codes,
and bad or hostile packs refused with file and line, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from residency_scan.cli import app
from residency_scan.rules import shipped_pack_names, shipped_rules_dir

REPO = Path(__file__).resolve().parents[2]
RULES_ASSETS = REPO / "tests" / "assets" / "rules"
DECREE = shipped_rules_dir() / "decree-2-24-921.yaml"

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["rules", *args])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


PACK = """\
pack: {{id: {pack_id}, version: "1", title: {{en: "P", fr: "P"}}}}
rules:
  - id: {rule_id}
    title: {{en: "Title", fr: "Titre"}}
    message: {{en: "{message}", fr: "{message}"}}
    severity: high
    reference: {{text: "Loi n° 05-20 relative à la cybersécurité", article: "art. 11", article_uncertain: true,
                url: "https://example.org/loi"}}
    applies_to: {{kinds: [server], when: {{not: {{kind-in: {{kinds: [backup]}}}}}}}}
    condition: {{any: [{{country-in: {{countries: [MA]}}}}, {{location-confirmed: true}}]}}
    remediation: {{en: "Fix {{asset}}.", fr: "Corriger {{asset}}."}}
"""


def write_pack(directory: Path, *, pack_id: str = "mine", rule_id: str = "MINE-1",
               message: str = "{asset} is abroad") -> Path:
    path = directory / f"{pack_id}.yaml"
    path.write_text(PACK.format(pack_id=pack_id, rule_id=rule_id, message=message), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------------- list


def test_list_shows_every_shipped_rule_with_its_reference() -> None:
    code, out, _ = invoke("list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["RULE", "PACK", "SEVERITY", "REFERENCE", "TITLE"]
    row = next(line for line in lines if line.startswith("MA-DECREE-LOC-1 "))
    assert "decree-2-24-921" in row and "critical" in row and "Décret n° 2-24-921 art. 5 §3" in row
    assert "Sensitive data and systems are stored and processed in Morocco" in row
    assert len(lines) - 1 == sum(1 for _ in _all_rule_ids())


def _all_rule_ids() -> list[str]:
    code, out, _ = invoke("list", "--format", "json")
    assert code == 0
    return [rule["id"] for rule in json.loads(out)]


def test_list_in_json_and_in_french_with_a_user_pack(tmp_path: Path) -> None:
    code, out, _ = invoke("list", "--rules", str(write_pack(tmp_path)), "--format", "json", "--lang", "fr")
    assert code == 0
    (rule,) = json.loads(out)
    assert (rule["id"], rule["pack"], rule["title"], rule["reference_short"]) == (
        "MINE-1", "mine", "Titre", "Loi n° 05-20 art. 11?")
    assert rule["reference"]["article_uncertain"] is True


def test_list_refuses_an_unknown_pack_name() -> None:
    code, _, err = invoke("list", "--rules", "decree-2-24-92")
    assert code == 2
    assert "did you mean 'decree-2-24-921'?" in err


# --------------------------------------------------------------------------------------------------- show


def test_show_renders_everything_about_a_rule(tmp_path: Path) -> None:
    code, out, _ = invoke("show", "MINE-1", "--rules", str(write_pack(tmp_path)))
    assert code == 0
    assert out.splitlines()[0] == "MINE-1: Title"
    for expected in ("pack: mine 1 (", "severity: high", "title (fr): Titre",
                     "Loi n° 05-20 relative à la cybersécurité, art. 11 (article number uncertain)",
                     "url: https://example.org/loi", "kinds: server", "sensitivity: all",
                     "  when:\n    not:\n      kind-in:\n        kinds: [backup]",
                     "condition:\n  any:\n  - country-in:\n      countries: [MA]\n  - {location-confirmed: true}",
                     "message (fr): {asset} is abroad", "remediation (fr): Corriger {asset}."):
        assert expected in out, expected


def test_show_a_shipped_rule_in_json_with_its_pack_deadline() -> None:
    code, out, _ = invoke("show", "MA-DECREE-LOC-1", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["id"] == "MA-DECREE-LOC-1"
    assert document["pack"]["id"] == "decree-2-24-921"
    assert document["condition"] == {"country-in": {"countries": ["MA"]}}
    assert document["applies_to"]["kinds"] == ["backup", "data-store", "network", "saas", "server"]
    assert document["reference"]["article"] == "art. 5 §3"
    assert document["message_fr"].startswith("{asset}")
    assert "kinds" not in document


def test_show_an_unknown_rule_suggests_the_closest() -> None:
    code, out, err = invoke("show", "MA-DECREE-LOC-2")
    assert (code, out) == (2, "")
    assert "no rule 'MA-DECREE-LOC-2'" in err and "did you mean 'MA-DECREE-LOC-1'?" in err


def test_show_cleans_terminal_escapes_from_pack_texts(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, message="{asset} \\e]8;;https://evil.example\\a click \\e[31mred")
    code, out, _ = invoke("show", "MINE-1", "--rules", str(pack))
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert "evil.example" not in out


# --------------------------------------------------------------------------------------------------- lint


def test_lint_of_the_shipped_packs_has_no_error() -> None:
    code, out, err = invoke("lint", *shipped_pack_names())
    assert code == 0, out
    assert " error: " not in out
    assert "0 error(s)" in err


def test_lint_reports_findings_as_file_line_rule_lines(tmp_path: Path) -> None:
    pack = write_pack(tmp_path, message="abroad")
    code, out, err = invoke("lint", str(tmp_path))
    assert code == 0
    assert out.splitlines() == [
        f"{pack}:3: MINE-1: warning: message.en does not name {{asset}}: a finding would not say which asset it "
        "is about",
        f"{pack}:3: MINE-1: warning: message.fr does not name {{asset}}: a finding would not say which asset it "
        "is about",
        f"{pack}: mine: warning: no test cases: add mine.tests.yaml beside the pack (docs/rules.md, 'Test "
        "cases'), so that a change that breaks the law's intent fails `rules test`"]
    assert "1 pack(s) checked: 0 error(s), 3 warning(s)" in err
    assert invoke("lint", "--strict", str(pack))[0] == 1


@pytest.mark.parametrize(("name", "expected"), [
    ("unknown-field.yaml", "unknown-field.yaml:10: rules[0].severty: unknown field 'severty' "
                           "(did you mean 'severity'?)"),
    ("bad-conditions.yaml", "bad-conditions.yaml:13: rules[0].condition.all[0].country_in: unknown condition "
                            "'country_in' (did you mean 'country-in'?)"),
    ("missing-translation.yaml", "missing-translation.yaml:4: pack.title.fr: missing the French text"),
    ("duplicate-id.yaml", "duplicate-id.yaml:13: rules[1].id: duplicate rule id 'R-1'"),
    ("python-tag.yaml", "python-tag.yaml:"),
    ("wrong-types.yaml", "wrong-types.yaml:3: pack.version: must be a text"),
])
def test_lint_reports_load_problems_and_exits_2(name: str, expected: str) -> None:
    code, out, _ = invoke("lint", str(RULES_ASSETS / "bad" / name))
    assert code == 2
    assert any(line.startswith(str(RULES_ASSETS / "bad")) and expected in line for line in out.splitlines()), out


def test_lint_refuses_hostile_packs_with_file_and_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("pack: {id: d, version: '1', title: {en: D, fr: D}}\nrules:\n  - id: D-1\n    condition: "
                    + "{not: " * 10_000 + "{location-confirmed: true}" + "}" * 10_000 + "\n", encoding="utf-8")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9)),
        encoding="utf-8")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("pack: {id: l, version: '1', title: {en: café, fr: café}}\n".encode("latin-1"))
    escape = tmp_path / "escape.yaml"
    escape.write_text("pack: {id: e, version: '1', title: {en: E, fr: E}, \"\\e[2Jautor\": x}\nrules: []\n",
                      encoding="utf-8")
    code, out, _ = invoke("lint", str(deep), str(bomb), str(latin1), str(escape))
    assert code == 2
    assert f"{deep}:4: nested more than 64 levels deep" in out
    assert f"{bomb}:" in out and "once aliases are expanded" in out
    assert f"{latin1}:1: not valid UTF-8" in out
    assert f"{escape}:1: pack.\ufffd" in out and "\x1b" not in out


def test_lint_names_shipped_packs_and_directories_once(tmp_path: Path) -> None:
    code, _, err = invoke("lint", "decree-2-24-921", str(DECREE), str(shipped_rules_dir()))
    assert code == 0
    assert f"{len(shipped_pack_names())} pack(s) checked" in err


# --------------------------------------------------------------------------------------------------- test


def test_rules_test_passes_for_every_shipped_pack() -> None:
    """The CI guard: a change to a shipped rule that breaks one of its cases fails here."""
    code, out, err = invoke("test", *shipped_pack_names())
    assert code == 0, out + err
    assert "FAIL" not in out
    assert out.count("PASS decree-2-24-921: ") >= 8
    assert " 0 failed" in err


def test_rules_test_fails_a_broken_rule_and_names_expected_and_got(tmp_path: Path) -> None:
    pack = tmp_path / DECREE.name
    shutil.copy(DECREE, pack)
    shutil.copy(DECREE.with_name("decree-2-24-921.tests.yaml"), tmp_path)
    text = pack.read_text(encoding="utf-8")
    pack.write_text(text.replace("country-in: {countries: [MA]}", "country-in: {countries: [MA, FR]}", 1),
                    encoding="utf-8")
    code, out, err = invoke("test", str(pack))
    assert code == 1
    fail = next(line for line in out.splitlines() if line.startswith("FAIL"))
    assert "sensitive backups in a cloud region in France are a violation" in fail
    assert "MA-DECREE-LOC-1 expected violation, got compliant" in fail
    assert f"[{tmp_path / 'decree-2-24-921.tests.yaml'}:" in fail
    assert "failed" in err
    # the cases file itself names its pack
    assert invoke("test", str(tmp_path / "decree-2-24-921.tests.yaml"))[0] == 1


def test_rules_test_without_cases_warns_or_fails_with_require_cases(tmp_path: Path) -> None:
    pack = write_pack(tmp_path)
    code, out, err = invoke("test", str(pack))
    assert (code, out) == (0, "")
    assert f"warning: mine: no test cases ({tmp_path / 'mine.tests.yaml'} does not exist)" in err
    code, _, err = invoke("test", "--require-cases", str(pack))
    assert code == 1
    assert "error: mine: no test cases" in err


def test_rules_test_exits_2_for_a_bad_cases_file(tmp_path: Path) -> None:
    write_pack(tmp_path)
    (tmp_path / "mine.tests.yaml").write_text("pack: mine\ncases:\n  - name: x\n    asset: {id: a, kind: servr, "
                                              "target: 192.0.2.1}\n    expect: {MINE-1: complient}\n",
                                              encoding="utf-8")
    code, _, err = invoke("test", str(tmp_path))
    assert code == 2
    assert f"{tmp_path / 'mine.tests.yaml'}:4: cases[0].asset.kind: unknown asset kind 'servr'" in err
    assert "cases[0].expect.MINE-1: unknown outcome 'complient' (did you mean 'compliant'?)" in err
