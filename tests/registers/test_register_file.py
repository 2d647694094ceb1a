"""Loading a provider qualification register: what it builds, and every mistake it refuses with a fix."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from residency_scan.errors import InputError
from residency_scan.models import ServiceType
from residency_scan.registers.register_file import (
    add_years,
    load_provider_register,
    parse_provider_register,
    register_data_source,
)
from residency_scan.safe_yaml import load_yaml_text

from .helpers import EXAMPLE, VALID, load, only_problem, problems, write

# ------------------------------------------------------------------------------------------- what it builds


def test_valid_register_builds_providers_with_their_lines_and_qualifications(tmp_path: Path) -> None:
    register = load(tmp_path, VALID)
    assert register.title == "Registre de test"
    assert register.updated == date(2026, 11, 1)
    assert register.example is False
    assert register.source == "tests"
    national, atlas = register.providers
    assert (national.id, national.line, atlas.line) == ("hebergeur-national", 6, 16)
    assert national.aliases == ("Hébergeur national", "HN")
    (qualification,) = national.qualifications
    assert qualification.level == 2
    assert qualification.service_types == (ServiceType.IAAS, ServiceType.PAAS)
    assert (qualification.decided, qualification.valid_until) == (date(2026, 3, 1), date(2031, 2, 28))


def test_path_is_kept_as_given_and_sha256_is_of_the_bytes_bom_included(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    data = b"\xef\xbb\xbf" + VALID.encode("utf-8")
    path.write_bytes(data)
    register = load_provider_register(path)
    assert register.path == str(path)
    assert register.sha256 == hashlib.sha256(data).hexdigest()


def test_find_matches_id_name_and_aliases_ignoring_case_spaces_and_punctuation(tmp_path: Path) -> None:
    register = load(tmp_path, VALID)
    for spelling in ("hebergeur-national", "HÉBERGEUR NATIONAL SA", "hébergeur national", "h.n."):
        found = register.find(spelling)
        assert found is not None and found.id == "hebergeur-national", spelling
    assert register.find("Atlas") is None  # no partial matches: "Atlas Cloud SARL" is the name
    assert register.find("---") is None


def test_shipped_example_is_flagged_as_an_example_and_shows_an_expired_qualification() -> None:
    register = load_provider_register(EXAMPLE)
    assert register.example is True
    assert [p.id for p in register.providers] == ["hebergeur-national", "atlas-cloud", "oasis-saas"]
    atlas = register.find("Atlas Cloud")
    assert atlas is not None
    assert [(q.level, q.service_types) for q in atlas.qualifications] == [(1, (ServiceType.IAAS,))]
    oasis = register.find("oasis-saas")
    assert oasis is not None
    assert all(q.valid_until < register.updated for q in oasis.qualifications)
    assert "EXAMPLE register" in register.describe()


def test_data_source_names_the_register_and_flags_an_example() -> None:
    register = load_provider_register(EXAMPLE)
    source = register_data_source(register)
    assert source.id == "provider-register"
    assert source.name == register.title
    assert (source.version, source.date) == ("2026-11-01", date(2026, 11, 1))
    assert source.licence == "as stated by the register's maintainer"
    assert source.url is None
    assert source.sha256 == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert source.note == "EXAMPLE register: not an official list of qualified providers"


def test_data_source_of_a_real_register_has_no_note(tmp_path: Path) -> None:
    assert register_data_source(load(tmp_path, VALID)).note is None


def test_quoted_iso_dates_and_upper_case_service_types_are_accepted(tmp_path: Path) -> None:
    text = VALID.replace("decided: 2026-03-01", 'decided: "2026-03-01"').replace("[iaas, paas]", "[IaaS, PaaS]")
    (qualification,) = load(tmp_path, text).providers[0].qualifications
    assert qualification.decided == date(2026, 3, 1)
    assert qualification.service_types == (ServiceType.IAAS, ServiceType.PAAS)


def test_provider_with_no_qualification_is_allowed(tmp_path: Path) -> None:
    text = VALID + '  - {id: retire, name: "Retiré SA", qualifications: []}\n'
    assert load(tmp_path, text).providers[2].qualifications == ()


def test_inline_mapping_is_parsed_with_lines_of_the_enclosing_file() -> None:
    cases = "cases:\n  - providers:\n" + "".join(f"      {line}\n" for line in VALID.splitlines())
    root = load_yaml_text(cases, "cases.yaml")
    register = parse_provider_register(root["cases"][0]["providers"], "cases.yaml", "0" * 64)
    assert register.providers[0].line == 8
    broken = load_yaml_text(cases.replace("level: 2", "level: 3"), "cases.yaml")
    with pytest.raises(InputError) as caught:
        parse_provider_register(broken["cases"][0]["providers"], "cases.yaml", "0" * 64)
    assert [(p.path, p.line) for p in caught.value.problems] == [("cases.yaml", 12)]


# ------------------------------------------------------------------------------------- fields refused


def test_unknown_fields_are_refused_with_did_you_mean_at_every_level(tmp_path: Path) -> None:
    text = (VALID.replace("  updated:", "  updatd:")
            .replace("    aliases:", "    alias:")
            .replace("        decision:", "        decison:"))
    found = {p.field: p for p in problems(tmp_path, text)}
    assert found["register.updatd"].hint == "did you mean 'updated'?"
    assert found["register.updatd"].line == 3
    assert found["register.updated"].message == "required field is missing"
    assert found["providers[0].alias"].hint == "did you mean 'aliases'?"
    assert found["providers[0].qualifications[0].decison"].hint == "did you mean 'decision'?"
    assert found["providers[0].qualifications[0].decison"].line == 12
    assert found["providers[0].qualifications[0].decision"].message == "required field is missing"


def test_unknown_top_level_field_is_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID + "providrs: []\n")
    assert (problem.field, problem.line) == ("providrs", 21)
    assert "unknown field 'providrs'" in problem.message


@pytest.mark.parametrize("missing", ["title", "updated", "source"])
def test_header_fields_are_required(tmp_path: Path, missing: str) -> None:
    lines = [line for line in VALID.splitlines(keepends=True) if not line.startswith(f"  {missing}:")]
    problem = only_problem(tmp_path, "".join(lines))
    assert (problem.field, problem.message, problem.line) == (f"register.{missing}", "required field is missing", 1)


@pytest.mark.parametrize("value", ["3", "0", "true", "1.0", '"2"'])
def test_level_other_than_1_or_2_is_refused(tmp_path: Path, value: str) -> None:
    problem = only_problem(tmp_path, VALID.replace("level: 2", f"level: {value}"))
    assert problem.field == "providers[0].qualifications[0].level"
    assert problem.line == 10
    assert "does not exist: decree 2-24-921 qualifies at level 1" in problem.message


def test_service_type_must_be_a_cloud_type_with_a_suggestion(tmp_path: Path) -> None:
    found = problems(tmp_path, VALID.replace("[iaas, paas]", "[iass, on-premises]"))
    assert [(p.field, p.line) for p in found] == [
        ("providers[0].qualifications[0].service_types[0]", 11),
        ("providers[0].qualifications[0].service_types[1]", 11),
    ]
    assert "'iass' is not a cloud service type" in found[0].message
    assert found[0].message.endswith("did you mean 'iaas'?")
    assert "'on-premises' is not a cloud service" in found[1].message


def test_empty_service_type_list_is_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID.replace("[iaas, paas]", "[]"))
    assert problem.field == "providers[0].qualifications[0].service_types"
    assert "list the service types" in problem.message


@pytest.mark.parametrize(("value", "says"), [
    ("20260301", "is not a date: write it as YYYY-MM-DD"),
    ("2026-03-01 10:00:00", "has a time of day"),
    ('"01/03/2026"', "is not a date"),
    ('"2026-02-30"', "is not a valid date"),
    ("[2026-03-01]", "is not a date"),
])
def test_dates_that_are_not_dates_are_refused(tmp_path: Path, value: str, says: str) -> None:
    problem = only_problem(tmp_path, VALID.replace("decided: 2026-03-01", f"decided: {value}"))
    assert (problem.field, problem.line) == ("providers[0].qualifications[0].decided", 13)
    assert says in problem.message


@pytest.mark.parametrize(("escaped", "shown"), [("\\e[31m", "\\x1b"), ("\\u202e", "\\u202e"), ("\\x07", "\\x07")])
def test_control_characters_in_texts_are_refused_and_shown_escaped(tmp_path: Path, escaped: str,
                                                                   shown: str) -> None:
    problem = only_problem(tmp_path, VALID.replace('"Atlas Cloud SARL"', f'"Atlas{escaped} Cloud"'))
    assert (problem.field, problem.line) == ("providers[1].name", 17)
    assert f"contains the control character '{shown}'" in problem.message
    assert problem.message.isprintable()


def test_line_break_in_a_name_is_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID.replace('"Atlas Cloud SARL"', '"Atlas\\nCloud"'))
    assert "line break is not allowed" in problem.message


def test_escape_sequence_in_an_unknown_key_is_not_echoed_raw(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID.replace("  updated: 2026-11-01\n", "  updated: 2026-11-01\n"
                                                   '  "x\\e[2J": 1\n'))
    assert problem.field is not None and problem.field.isprintable()
    assert problem.message.isprintable() and "\\x1b" in problem.message


def test_blank_and_over_long_texts_are_refused(tmp_path: Path) -> None:
    text = VALID.replace('"Registre de test"', '"   "').replace('"tests"', '"' + "x" * 1001 + '"')
    found = {p.field: p.message for p in problems(tmp_path, text)}
    assert found["register.title"] == "must not be empty"
    assert "1000" in found["register.source"]


def test_id_must_be_a_plain_identifier(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID.replace("id: atlas-cloud", 'id: "atlas cloud"'))
    assert problem.field == "providers[1].id"
    assert "not a valid id" in problem.message


def test_example_flag_must_be_true_or_false(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID.replace("  updated:", '  example: "no"\n  updated:'))
    assert (problem.field, problem.message) == ("register.example", "must be true or false")


# ------------------------------------------------------------------------------- checks across fields


def test_valid_until_must_be_after_decided(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID.replace("valid_until: 2031-02-28", "valid_until: 2026-03-01"))
    assert (problem.field, problem.line) == ("providers[0].qualifications[0].valid_until", 14)
    assert problem.message == "valid_until 2026-03-01 is not after decided 2026-03-01"


def test_validity_over_five_years_is_refused_naming_the_latest_date(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID.replace("valid_until: 2031-02-28", "valid_until: 2031-03-02"))
    assert problem.line == 14
    assert "at most 5 years (decree 2-24-921 art. 9)" in problem.message
    assert problem.hint is not None and problem.hint.startswith("at the latest 2031-03-01")


def test_validity_of_exactly_five_years_is_accepted(tmp_path: Path) -> None:
    register = load(tmp_path, VALID.replace("valid_until: 2031-02-28", "valid_until: 2031-03-01"))
    assert register.providers[0].qualifications[0].valid_until == date(2031, 3, 1)


def test_five_years_from_29_february_end_on_28_february() -> None:
    assert add_years(date(2028, 2, 29), 5) == date(2033, 2, 28)
    assert add_years(date(2026, 3, 1), 5) == date(2031, 3, 1)


def test_duplicate_ids_are_refused_naming_the_first_line(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID.replace("id: atlas-cloud", "id: hebergeur-national"))
    assert (problem.field, problem.line) == ("providers[1].id", 16)
    assert problem.message == "duplicate id 'hebergeur-national'"
    assert problem.hint is not None and problem.hint.startswith("first on line 6")


def test_a_name_two_providers_share_is_refused_even_spelled_differently(tmp_path: Path) -> None:
    text = VALID.replace('name: "Atlas Cloud SARL"', 'name: "Atlas Cloud SARL"\n    aliases: ["h n"]')
    problem = only_problem(tmp_path, text)
    assert (problem.field, problem.line) == ("providers[1].aliases[0]", 18)
    assert "alias 'h n' is the same as the alias 'HN' of provider 'hebergeur-national'" in problem.message
    assert problem.hint is not None and "line 8" in problem.hint


def test_a_provider_repeating_its_own_name_as_alias_is_fine(tmp_path: Path) -> None:
    register = load(tmp_path, VALID.replace('"HN"]', '"HN", "hébergeur national sa"]'))
    assert len(register.providers[0].aliases) == 3


def test_a_name_without_letters_or_digits_is_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID.replace('"HN"]', '"---"]'))
    assert problem.field == "providers[0].aliases[1]"
    assert "no letter or digit" in problem.message


def test_cross_checks_run_even_when_the_provider_has_field_errors(tmp_path: Path) -> None:
    text = (VALID.replace("level: 2", "level: 7")
            .replace("id: atlas-cloud", "id: hebergeur-national")
            .replace("valid_until: 2031-02-28", "valid_until: 2036-01-01"))
    found = problems(tmp_path, text)
    assert [p.line for p in found] == [10, 14, 16]  # level, five years, duplicate id: in file order
    assert [p.field for p in found] == ["providers[0].qualifications[0].level",
                                        "providers[0].qualifications[0].valid_until", "providers[1].id"]


# ------------------------------------------------------------------------------------ whole-file problems


def test_empty_provider_list_is_refused(tmp_path: Path) -> None:
    text = VALID.split("providers:")[0] + "providers: []\n"
    problem = only_problem(tmp_path, text)
    assert (problem.field, problem.message) == ("providers", "a register lists at least one provider")


def test_missing_providers_is_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID.split("providers:")[0])
    assert (problem.field, problem.message) == ("providers", "required field is missing")


@pytest.mark.parametrize(("text", "says"), [("", "is empty"), ("- a\n- b\n", "is a mapping")])
def test_file_that_is_not_a_register_is_refused(tmp_path: Path, text: str, says: str) -> None:
    assert says in only_problem(tmp_path, text).message


def test_missing_file_too_big_file_and_bad_utf8_are_refused_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="provider register not found"):
        load_provider_register(tmp_path / "absent.yaml")
    with pytest.raises(InputError, match="over the limit of 100 bytes"):
        load_provider_register(write(tmp_path, VALID), max_bytes=100)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(VALID.encode("utf-8").replace("é".encode(), b"\xe9"))
    with pytest.raises(InputError) as caught:
        load_provider_register(latin1)
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == (str(latin1), 7)
    assert "not valid UTF-8" in problem.message
    with pytest.raises(InputError, match="is a directory"):
        load_provider_register(tmp_path)


def test_yaml_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    with pytest.raises(InputError, match="aliases are expanded"):
        load(tmp_path, "\n".join(lines) + "\n")


def test_many_problems_are_capped_with_a_count(tmp_path: Path) -> None:
    bad = "".join(f'  - {{id: p{i}, name: "P{i}", qualifications: [], bad: 1}}\n' for i in range(150))
    found = problems(tmp_path, VALID.split("providers:")[0] + "providers:\n" + bad)
    assert len(found) == 101
    assert found[-1].message == "50 more problems not shown"


def test_plain_mappings_without_lines_are_checked_too() -> None:
    provider = {"id": "a", "name": "A", "qualifications": [
        {"level": 1, "service_types": ["iaas"], "decision": "D", "decided": "2026-01-01",
         "valid_until": "2032-01-01", "source": "s"}]}
    root = {"register": {"title": "T", "updated": "2026-01-01", "source": "s"},
            "providers": [provider, {**provider, "qualifications": []}]}
    with pytest.raises(InputError) as caught:
        parse_provider_register(root, "inline", "0" * 64)
    assert [(p.field, p.line) for p in caught.value.problems] == [
        ("providers[0].qualifications[0].valid_until", None), ("providers[1].id", None)]
