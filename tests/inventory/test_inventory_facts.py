"""The legal facts of an asset (sensitive data and systems, personal data, service type, CNDP authorisation,
subcontractors) in YAML and CSV: read, defaulted, checked against each other, every problem with line, field
and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_scan.models import Asset, Sensitivity, ServiceType, Subcontractor, SubcontractorRole
from tests.inventory.helpers import asset_yaml, load_text, problem, problems

SERVER = ("  - id: portail", "    kind: server", "    target: portail.exemple.ma")  # lines 4-6


def one_asset(tmp_path: Path, *lines: str) -> Asset:
    return load_text(tmp_path, asset_yaml(*SERVER, *lines)).assets[0]


def with_defaults(defaults: str, *assets: str) -> str:
    """An inventory with `defaults: {…}` on line 3 and the assets from line 5 on, one per line."""
    return "version: 1\nentity: {name: E}\ndefaults: {" + defaults + "}\nassets:\n" + "\n".join(assets) + "\n"


# ------------------------------------------------------------------------------------------- yes/no


def test_facts_are_none_when_not_stated(tmp_path: Path) -> None:
    asset = one_asset(tmp_path)
    assert (asset.sensitive_data, asset.sensitive_system, asset.personal_data, asset.service_type,
            asset.cndp_authorisation, asset.subcontractors) == (None, None, None, None, None, None)


@pytest.mark.parametrize(
    ("written", "value"),
    [("true", True), ("false", False), ("yes", True), ("no", False), ('"oui"', True), ("Non", False),
     ("1", True), ("0", False), ('"TRUE"', True), ('""', None)],
)
def test_yes_no_fields_take_yaml_booleans_and_their_spellings(tmp_path: Path, written: str,
                                                              value: bool | None) -> None:
    asset = one_asset(tmp_path, f"    personal_data: {written}", f"    sensitive_system: {written}")
    assert (asset.personal_data, asset.sensitive_system) == (value, value)


@pytest.mark.parametrize(
    ("written", "message"),
    [("peut-etre", "'peut-etre' is not true or false"), ("2", "must be true or false, not a number"),
     ("[true]", "must be true or false, not a list")],
)
def test_a_yes_no_field_that_is_neither_is_refused(tmp_path: Path, written: str, message: str) -> None:
    found = problem(tmp_path, asset_yaml(*SERVER, "    sensitive_data: no", f"    personal_data: {written}"))
    assert (found.line, found.field, found.message) == (8, "personal_data", message)
    assert found.hint is not None and found.hint.startswith("write true or false")


@pytest.mark.parametrize(
    ("written", "hint"),
    [("sensitve_data", "did you mean 'sensitive_data'?"), ("sensitive-system", "did you mean 'sensitive_system'?"),
     ("subcontractor", "did you mean 'subcontractors'?"), ("cndp_authorization", "did you mean 'cndp_authorisation'?"),
     ("servicetype", "did you mean 'service_type'?")],
)
def test_misspelt_fact_names_get_a_suggestion(tmp_path: Path, written: str, hint: str) -> None:
    found = problem(tmp_path, asset_yaml(*SERVER, f"    {written}: x"))
    assert (found.line, found.field, found.message, found.hint) == (7, written, f"unknown field '{written}'", hint)


# ------------------------------------------------------------------------------------- service type


@pytest.mark.parametrize(
    ("written", "value"),
    [("iaas", ServiceType.IAAS), ("PaaS", ServiceType.PAAS), ("SAAS", ServiceType.SAAS),
     ("on-premises", ServiceType.ON_PREMISES), ("on_premises", ServiceType.ON_PREMISES),
     ("On Premises", ServiceType.ON_PREMISES), ("on-prem", ServiceType.ON_PREMISES),
     ("onprem", ServiceType.ON_PREMISES), ("on_prem", ServiceType.ON_PREMISES)],
)
def test_service_type_spellings(tmp_path: Path, written: str, value: ServiceType) -> None:
    assert one_asset(tmp_path, f"    service_type: {written}").service_type is value


def test_unknown_service_type_suggests_the_closest(tmp_path: Path) -> None:
    found = problem(tmp_path, asset_yaml(*SERVER, "    service_type: iaaas"))
    assert (found.line, found.field, found.message, found.hint) == (
        7, "service_type", "unknown service type 'iaaas'", "did you mean 'iaas'?")


def test_on_premises_with_a_cloud_resource_is_a_contradiction(tmp_path: Path) -> None:
    found = problem(tmp_path, asset_yaml(*SERVER, "    cloud: {provider: aws, region: eu-west-3}",
                                         "    service_type: on-premises"))
    assert (found.line, found.field) == (8, "service_type")
    assert found.message.startswith("contradiction: the service type is 'on-premises', but the asset is a cloud")
    assert found.hint is not None and found.hint.startswith("remove cloud:, or set service_type:")


def test_on_premises_saas_is_a_contradiction(tmp_path: Path) -> None:
    found = problem(tmp_path, asset_yaml("  - {id: visio, kind: saas, vendor: zoom, service_type: on-prem}"))
    assert (found.line, found.field) == (4, "service_type")
    assert "the asset's kind is 'saas'" in found.message


# ---------------------------------------------------------------------------------------------- CNDP


def test_cndp_authorisation_is_kept_as_written(tmp_path: Path) -> None:
    asset = one_asset(tmp_path, '    cndp_authorisation: " A-123/2024 (formulaire F118) "')
    assert asset.cndp_authorisation == "A-123/2024 (formulaire F118)"


@pytest.mark.parametrize(
    ("written", "message"),
    [('"' + "x" * 257 + '"', "is 257 characters long, over the limit of 256"),
     ('"A-1\\e[31m"', "contains the control character '\\x1b' at position 4"),
     # a bidi override would show "A-1" and reorder the rest for whoever reads the report (Trojan Source)
     ('"A-1\\u202e42-B"', "contains the control character '\\u202e' at position 4"),
     ("2024", "must be text, not a number")],
)
def test_bad_cndp_authorisation_is_refused(tmp_path: Path, written: str, message: str) -> None:
    found = problem(tmp_path, asset_yaml(*SERVER, f"    cndp_authorisation: {written}"))
    assert (found.line, found.field, found.message) == (7, "cndp_authorisation", message)


# ------------------------------------------------------------------------------------- subcontractors


def test_subcontractors_are_read_with_every_field(tmp_path: Path) -> None:
    asset = one_asset(tmp_path, "    subcontractors:",
                      "      - {name: Acme Support, role: support, country: fr, data_access: no}",
                      "      - name: Datacentre X", "        role: Hosting", "        country: MA")
    assert asset.subcontractors == (
        Subcontractor(name="Acme Support", role=SubcontractorRole.SUPPORT, country="FR", data_access=False),
        Subcontractor(name="Datacentre X", role=SubcontractorRole.HOSTING, country="MA"),
    )


def test_an_empty_list_declares_none_and_absence_declares_nothing(tmp_path: Path) -> None:
    assert one_asset(tmp_path, "    subcontractors: []").subcontractors == ()
    assert one_asset(tmp_path, "    subcontractors:").subcontractors is None


def test_every_subcontractor_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    found = problems(tmp_path, asset_yaml(
        *SERVER, "    subcontractors:",                                               # line 7
        "      - Acme",                                                                 # 8
        "      - {role: support}",                                                      # 9
        "      - {name: B, role: hostng, country: France, data_access: maybe}",          # 10
        "      - {name: C, contry: MA}",                                                # 11
        '      - {name: "D\\e[2J"}',                                                    # 12
    ))
    assert [(p.line, p.field, p.hint) for p in found] == [
        (8, "subcontractors[0]", 'write - {name: "Acme"}'),
        (9, "subcontractors[1].name", 'add name: "<company>"'),
        (10, "subcontractors[2].role", "did you mean 'hosting'?"),
        (10, "subcontractors[2].country", "did you mean 'FR'?"),
        (10, "subcontractors[2].data_access", "write true or false; yes/no, oui/non and 1/0 are accepted too"),
        (11, "subcontractors[3].contry", "did you mean 'country'?"),
        (12, "subcontractors[4].name", "control characters (ANSI escapes, NUL, line breaks…) are not allowed here"),
    ]


@pytest.mark.parametrize("written", ["none", "{name: Acme}", "3"])
def test_subcontractors_must_be_a_list(tmp_path: Path, written: str) -> None:
    found = problem(tmp_path, asset_yaml(*SERVER, f"    subcontractors: {written}"))
    assert (found.line, found.field) == (7, "subcontractors")
    assert found.message.startswith("must be a list")
    assert found.hint is not None and "subcontractors: [] declares none" in found.hint


def test_more_than_100_subcontractors_are_refused(tmp_path: Path) -> None:
    names = ", ".join(f"{{name: s{index}}}" for index in range(101))
    found = problem(tmp_path, asset_yaml(*SERVER, f"    subcontractors: [{names}]"))
    assert (found.line, found.field, found.message) == (
        7, "subcontractors", "lists 101 subcontractors, over the limit of 100")


# --------------------------------------------------------------------------- consistency with sensitivity


@pytest.mark.parametrize("fact", ["sensitive_data", "sensitive_system"])
@pytest.mark.parametrize("sensitivity", ["internal", "public"])
def test_a_sensitive_fact_on_an_asset_classified_lower_is_a_contradiction(tmp_path: Path, fact: str,
                                                                          sensitivity: str) -> None:
    found = problem(tmp_path, asset_yaml(*SERVER, f"    sensitivity: {sensitivity}", f"    {fact}: true"))
    assert (found.line, found.field, found.message, found.hint) == (
        8, fact, f"contradiction: {fact} is true, but sensitivity is '{sensitivity}'",
        f"set sensitivity: sensitive, or remove {fact}: true")


def test_the_sensitivity_tag_counts_as_the_assets_own_classification(tmp_path: Path) -> None:
    found = problem(tmp_path, asset_yaml(*SERVER, "    tags: {residency:sensitivity: public}",
                                         "    sensitive_data: oui"))
    assert (found.line, found.field) == (8, "sensitive_data")
    assert found.message == "contradiction: sensitive_data is true, but its tag 'residency:sensitivity' says 'public'"


def test_a_sensitive_fact_overrides_a_default_sensitivity(tmp_path: Path) -> None:
    inventory = load_text(tmp_path, with_defaults(
        "sensitivity: internal",
        "  - {id: a, kind: server, target: a.ma, sensitive_system: true}",
        "  - {id: b, kind: server, target: b.ma, sensitive_data: false}",
        "  - {id: c, kind: server, target: c.ma}",
    ))
    assert [(a.sensitivity, a.is_sensitive_system(), a.holds_sensitive_data()) for a in inventory.assets] == [
        (Sensitivity.SENSITIVE, True, True),
        (Sensitivity.INTERNAL, False, False),
        (Sensitivity.INTERNAL, False, False),
    ]


def test_a_false_sensitive_fact_on_a_sensitive_asset_is_kept(tmp_path: Path) -> None:
    asset = one_asset(tmp_path, "    sensitivity: sensitive", "    sensitive_data: false",
                      "    sensitive_system: true")
    assert (asset.sensitivity, asset.holds_sensitive_data(), asset.is_sensitive_system()) == (
        Sensitivity.SENSITIVE, False, True)


# ------------------------------------------------------------------------------------------- defaults


def test_defaults_give_the_facts_and_assets_override_them(tmp_path: Path) -> None:
    inventory = load_text(tmp_path, with_defaults(
        "personal_data: yes, sensitive_data: true, service_type: paas",
        "  - {id: a, kind: server, target: a.ma}",
        "  - {id: b, kind: server, target: b.ma, personal_data: no, service_type: iaas, sensitive_data: false}",
    ))
    first, second = inventory.assets
    assert (first.personal_data, first.sensitive_data, first.service_type) == (True, True, ServiceType.PAAS)
    assert (second.personal_data, second.sensitive_data, second.service_type) == (False, False, ServiceType.IAAS)


def test_a_default_yields_to_what_the_asset_says_otherwise(tmp_path: Path) -> None:
    inventory = load_text(tmp_path, with_defaults(
        "service_type: on-premises, sensitive_data: true, sensitive_system: true",
        "  - {id: cloud, kind: backup, cloud: {provider: aws, region: eu-west-3}}",
        "  - {id: visio, kind: saas, vendor: zoom}",
        "  - {id: site, kind: server, target: a.ma, sensitivity: public}",
        "  - {id: local, kind: server, target: b.ma}",
    ))
    assert [(a.id, a.service_type, a.sensitive_data, a.sensitive_system) for a in inventory.assets] == [
        ("cloud", None, True, True),
        ("visio", None, True, True),
        ("site", ServiceType.ON_PREMISES, None, None),
        ("local", ServiceType.ON_PREMISES, True, True),
    ]


def test_a_default_false_yields_to_an_asset_classified_sensitive(tmp_path: Path) -> None:
    """Fail-closed both ways: a default may not declassify what the asset itself calls sensitive."""
    inventory = load_text(tmp_path, with_defaults(
        "sensitivity: internal, sensitive_data: false, sensitive_system: false",
        "  - {id: crm, kind: server, target: a.ma, sensitivity: sensitive}",
        "  - {id: wiki, kind: server, target: b.ma}",
    ))
    crm, wiki = inventory.assets
    assert (crm.sensitive_data, crm.sensitive_system) == (None, None)
    assert crm.holds_sensitive_data() and crm.is_sensitive_system()
    assert (wiki.sensitive_data, wiki.sensitive_system) == (False, False)


def test_default_sensitive_fact_beside_a_lower_default_sensitivity_is_refused_once(tmp_path: Path) -> None:
    found = problem(tmp_path, with_defaults(
        "sensitivity: public, sensitive_data: true",
        "  - {id: a, kind: server, target: a.ma}",
        "  - {id: b, kind: server, target: b.ma}",
    ))
    assert (found.line, found.field, found.message) == (
        3, "defaults.sensitive_data", "contradiction: defaults.sensitive_data is true, but defaults.sensitivity "
                                      "is 'public'")


def test_defaults_refuse_the_facts_that_are_per_asset(tmp_path: Path) -> None:
    found = problems(tmp_path, with_defaults("subcontractors: [], cndp_authorisation: x",
                                             "  - {id: a, kind: server, target: a.ma}"))
    assert [(p.line, p.field, p.message) for p in found] == [
        (3, "defaults.subcontractors", "unknown field 'subcontractors'"),
        (3, "defaults.cndp_authorisation", "unknown field 'cndp_authorisation'"),
    ]


def test_bad_default_facts_are_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, with_defaults("personal_data: peut-etre, service_type: cloud",
                                             "  - {id: a, kind: server, target: a.ma}"))
    assert [(p.field, p.message) for p in found] == [
        ("defaults.personal_data", "'peut-etre' is not true or false"),
        ("defaults.service_type", "unknown service type 'cloud'"),
    ]


# ------------------------------------------------------------------------------------------------ CSV

CSV_HEADER = "id,kind,target,sensitive_data,personal_data,service_type,cndp_authorisation,Subcontractors\n"


def csv_assets(tmp_path: Path, *rows: str, header: str = CSV_HEADER) -> tuple[Asset, ...]:
    return load_text(tmp_path, header + "".join(row + "\n" for row in rows), "inv.csv").assets


def test_csv_gives_the_same_facts_as_yaml(tmp_path: Path) -> None:
    csv_asset = csv_assets(
        tmp_path, "a,server,a.ma,oui,NON,on_prem,F118-2024-17,Acme Support:support:FR:no|Datacentre X:hosting:MA")[0]
    yaml_asset = load_text(tmp_path, asset_yaml(
        "  - {id: a, kind: server, target: a.ma, sensitive_data: true, personal_data: false,",
        "     service_type: on-premises, cndp_authorisation: F118-2024-17, subcontractors: [",
        "       {name: Acme Support, role: support, country: FR, data_access: false},",
        "       {name: Datacentre X, role: hosting, country: MA}]}",
    )).assets[0]
    assert csv_asset.model_dump(exclude={"source"}) == yaml_asset.model_dump(exclude={"source"})


@pytest.mark.parametrize(
    ("cell", "subcontractors"),
    [
        ("", None),
        ("none", ()),
        ("Aucun", ()),
        ("Acme", (Subcontractor(name="Acme"),)),
        ("Acme::US", (Subcontractor(name="Acme", country="US"),)),
        ("Acme:::yes| |B:other:", (Subcontractor(name="Acme", data_access=True),
                                     Subcontractor(name="B", role=SubcontractorRole.OTHER))),
    ],
)
def test_csv_subcontractors_cell(tmp_path: Path, cell: str, subcontractors: tuple[Subcontractor, ...] | None) -> None:
    assert csv_assets(tmp_path, f"a,server,a.ma,,,,,{cell}")[0].subcontractors == subcontractors


@pytest.mark.parametrize(
    ("cell", "field", "message", "hint"),
    [
        ("A:support:FR:no:extra", "Subcontractors", "subcontractor 'A:support:FR:no:extra' has 5 parts separated "
         "by ':'", "write name:role:country:data_access; a name cannot hold ':' or '|'"),
        ("|", "Subcontractors", "no subcontractor in '|'", "write name:role:country:data_access entries "
         "separated by '|', or none"),
        ("A:support|B:hostin", "Subcontractors[1].role", "unknown subcontractor role 'hostin'",
         "did you mean 'hosting'?"),
        (":support:FR", "Subcontractors[0].name", "a subcontractor needs a name", 'add name: "<company>"'),
        ("A::Maroc", "Subcontractors[0].country", "'Maroc' is not an ISO 3166-1 alpha-2 country code",
         "did you mean 'MA'?"),
    ],
)
def test_malformed_csv_subcontractors_cell(tmp_path: Path, cell: str, field: str, message: str, hint: str) -> None:
    found = problem(tmp_path, CSV_HEADER + f"a,server,a.ma,,,,,{cell}\n", "inv.csv")
    assert (found.line, found.field, found.message, found.hint) == (2, field, message, hint)


def test_csv_row_problems_are_all_reported_with_a_bad_subcontractors_cell(tmp_path: Path) -> None:
    found = problems(tmp_path, CSV_HEADER + "a,server,a.ma,peut-etre,,cloud,,A:b:c:d:e\n", "inv.csv")
    assert sorted(p.field or "" for p in found) == ["Subcontractors", "sensitive_data", "service_type"]


def test_csv_contradiction_names_the_column(tmp_path: Path) -> None:
    found = problem(tmp_path, "id,kind,target,Sensitivity,Sensitive_System\na,server,a.ma,internal,1\n",
                    "inv.csv")
    assert (found.line, found.field, found.message) == (
        2, "Sensitive_System", "contradiction: Sensitive_System is true, but Sensitivity is 'internal'")


def test_semicolon_csv_with_subcontractors_is_detected(tmp_path: Path) -> None:
    header = CSV_HEADER.replace(",", ";")
    assets = csv_assets(tmp_path, "a;server;a.ma;yes;;saas;;Acme:support:FR:oui", header=header)
    assert assets[0].subcontractors == (
        Subcontractor(name="Acme", role=SubcontractorRole.SUPPORT, country="FR", data_access=True),)
    assert assets[0].service_type is ServiceType.SAAS
