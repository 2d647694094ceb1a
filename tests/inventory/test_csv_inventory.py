"""CSV inventories: spreadsheet exports give the same Assets as YAML, and errors name the physical line."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from residency_scan.errors import InventoryError
from residency_scan.inventory import CsvInventory, load_inventory
from residency_scan.inventory.csv_file import canonical_column, detect_delimiter
from residency_scan.models import (
    Asset,
    AssetKind,
    CloudRef,
    DeclaredLocation,
    Entity,
    EntityType,
    Sensitivity,
    SourceRef,
    Target,
    TargetKind,
)
from tests.inventory.helpers import ASSETS, load_text, problem, problems

HEADER = "id,kind,target,declared_country,tags\n"


def test_good_csv_becomes_the_expected_assets() -> None:
    path = ASSETS / "good.csv"
    inventory = load_inventory(path)
    source = str(path)
    assert inventory.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert inventory.entity == Entity(name="good", type=EntityType.EIV)
    assert inventory.assets == (
        Asset(
            id="portail-citoyens",
            kind=AssetKind.SERVER,
            sensitivity=Sensitivity.SENSITIVE,
            target=Target(raw="portail.exemple.ma", kind=TargetKind.HOSTNAME, host="portail.exemple.ma"),
            declared=DeclaredLocation(country="MA", city="Rabat", qualification=1),
            description="Portail des services aux citoyens",
            owner="DSI",
            tags={"env": "prod", "tier": "1"},
            source=SourceRef(path=source, line=4),
        ),
        Asset(
            id="supervision",
            kind=AssetKind.MANAGEMENT_TOOL,
            sensitivity=Sensitivity.SENSITIVE,
            target=Target(
                raw="https://app.datadoghq.eu",
                kind=TargetKind.URL,
                host="app.datadoghq.eu",
                port=443,
                scheme="https",
            ),
            vendor="datadog",
            source=SourceRef(path=source, line=5),
        ),
        Asset(
            id="sauvegardes",
            kind=AssetKind.BACKUP,
            sensitivity=Sensitivity.PUBLIC,
            cloud=CloudRef(provider="aws", region="eu-west-3"),
            description="Sauvegardes, quotidiennes\nsur deux lignes",
            tags={"residency:sensitivity": "public"},
            source=SourceRef(path=source, line=6),
        ),
        Asset(
            id="reseau-dc",
            kind=AssetKind.NETWORK,
            sensitivity=Sensitivity.INTERNAL,
            target=Target(raw="196.200.128.0/20", kind=TargetKind.CIDR, host="196.200.128.0/20"),
            declared=DeclaredLocation(country="MA"),
            source=SourceRef(path=source, line=8),
        ),
    )


def test_semicolon_csv_from_french_excel() -> None:
    inventory = load_inventory(ASSETS / "semicolon.csv")
    assert [(a.id, a.source.line, a.declared, a.description) for a in inventory.assets] == [
        ("portail", 2, DeclaredLocation(country="MA", city="Casablanca"), "Portail, services aux citoyens"),
        ("supervision", 4, DeclaredLocation(country="IE", city="Dublin"), "Supervision; SaaS"),
    ]


def test_csv_and_yaml_give_the_same_asset(tmp_path: Path) -> None:
    csv_asset = load_text(
        tmp_path,
        "id,kind,target,sensitivity,cloud.provider,cloud.region\n"
        "a,server,a.exemple.ma,internal,azure,westeurope\n",
        "inv.csv",
    ).assets[0]
    yaml_asset = load_text(
        tmp_path,
        "version: 1\nentity: {name: E}\nassets:\n  - {id: a, kind: server, "
        "target: a.exemple.ma, sensitivity: internal, "
        "cloud: {provider: azure, region: westeurope}}\n",
    ).assets[0]
    assert csv_asset.model_dump(exclude={"source"}) == yaml_asset.model_dump(exclude={"source"})


def test_entity_comes_from_the_caller_or_the_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "cmdb-export.csv"
    path.write_text("id,kind,vendor\na,saas,microsoft\n", encoding="utf-8")
    assert CsvInventory(path).load().entity == Entity(name="cmdb-export", type=EntityType.EIV)
    supplied = Entity(name="Agence", type=EntityType.ADMINISTRATION)
    assert load_inventory(path, entity=supplied).entity == supplied


def test_utf8_bom_from_excel_is_ignored(tmp_path: Path) -> None:
    inventory = load_text(tmp_path, "\ufeffid,kind,vendor\na,saas,microsoft\n".encode(), "bom.csv")
    assert inventory.assets[0].id == "a"


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("id,kind,target", ","),
        ("id;kind;target", ";"),
        ("id\tkind\ttarget", "\t"),
        ("id;kind;description,with comma", ";"),
        ("id", ","),
    ],
)
def test_delimiter_is_detected_from_the_header(header: str, delimiter: str) -> None:
    assert detect_delimiter(header + "\n") == delimiter


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("Cloud_Provider", "cloud.provider"),
        (" declared.country ", "declared.country"),
        ("ID", "id"),
        ("cloud_colour", "cloud_colour"),
    ],
)
def test_column_names_are_read_case_insensitively(written: str, name: str) -> None:
    assert canonical_column(written) == name


def test_unknown_column_is_refused_on_the_header_line(tmp_path: Path) -> None:
    found = problem(tmp_path, "# export\n\nid,kind,target,declared_contry\na,server,a.ma,MA\n", "inv.csv")
    assert (found.line, found.field, found.message) == (
        3,
        "declared_contry",
        "unknown column 'declared_contry'",
    )
    assert found.hint == "did you mean 'declared_country'?"


def test_same_column_twice_is_refused(tmp_path: Path) -> None:
    found = problem(tmp_path, "id,kind,cloud_provider,cloud.provider\na,server,aws,aws\n", "inv.csv")
    assert (found.line, found.field, found.message) == (
        1,
        "cloud.provider",
        "column 'cloud.provider' appears twice",
    )


def test_missing_id_column_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, "name,kind,target\na,server,a.ma\n", "inv.csv")
    assert [(p.line, p.field, p.message) for p in found] == [
        (1, "name", "unknown column 'name'"),
        (1, "id", "there is no 'id' column"),
    ]
    assert found[1].hint is not None and "at least id, kind" in found[1].hint


def test_row_with_the_wrong_number_of_cells_names_its_line(tmp_path: Path) -> None:
    found = problem(tmp_path, HEADER + "a,server,a.ma,MA,\nb,server,b.ma,MA,env=x,extra\n", "inv.csv")
    assert (found.line, found.message) == (3, "this row has 6 cells but the header has 5")
    assert found.hint == "a value holding the delimiter must be in double quotes"


def test_line_numbers_are_physical_after_a_multi_line_cell(tmp_path: Path) -> None:
    text = 'id,kind,target,description\na,server,a.ma,"one\ntwo\nthree"\nb,server,300.0.0.1,x\n'
    found = problem(tmp_path, text, "inv.csv")
    assert (found.line, found.field) == (5, "target")


def test_errors_name_the_column_as_written(tmp_path: Path) -> None:
    found = problem(tmp_path, "ID,Kind,Target,Declared_Country\na,server,a.ma,Morocco\n", "inv.csv")
    assert (found.line, found.field, found.hint) == (2, "Declared_Country", "did you mean 'MA'?")


def test_cloud_columns_without_provider(tmp_path: Path) -> None:
    found = problem(tmp_path, "id,kind,cloud_provider,cloud_region\na,backup,,eu-west-3\n", "inv.csv")
    assert (found.line, found.field, found.message) == (
        2,
        "cloud_provider",
        "a cloud resource needs a provider",
    )


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ("env", "tag 'env' is not key=value"),
        ("=prod", "tag '=prod' is not key=value"),
        ("env=a;env=b", "tag 'env' is given twice"),
    ],
)
def test_malformed_tags_cell(tmp_path: Path, tags: str, message: str) -> None:
    found = problem(tmp_path, HEADER + f"a,server,a.ma,MA,{tags}\n", "inv.csv")
    assert (found.line, found.field, found.message) == (2, "tags", message)


def test_tags_cell_is_split_and_stripped(tmp_path: Path) -> None:
    inventory = load_text(tmp_path, HEADER + "a,server,a.ma,MA, env = prod ; owner=x=y ;\n", "inv.csv")
    assert inventory.assets[0].tags == {"env": "prod", "owner": "x=y"}


def test_blank_rows_are_skipped_and_empty_cells_are_absent(tmp_path: Path) -> None:
    inventory = load_text(tmp_path, HEADER + "\n,,,,\na,server,a.ma,,\n", "inv.csv")
    assert [(a.id, a.source.line, a.declared, a.tags) for a in inventory.assets] == [("a", 4, None, {})]


def test_unnamed_empty_column_is_ignored_but_not_its_values(tmp_path: Path) -> None:
    assert load_text(tmp_path, "id,kind,target,\na,server,a.ma,\n", "inv.csv").assets[0].id == "a"
    found = problem(tmp_path, "id,kind,target,\na,server,a.ma,oops\n", "inv.csv")
    assert (found.line, found.message) == (2, "a value ('oops') is in a column without a name")


def test_broken_quoting_names_the_line(tmp_path: Path) -> None:
    found = problem(tmp_path, 'id,kind,target\na,server,a.ma\nb,server,"b.ma"x\n', "inv.csv")
    assert found.line == 3
    assert found.message.startswith("not valid CSV")


@pytest.mark.parametrize("text", ["", "# only a comment\n\n"])
def test_empty_csv_is_refused(tmp_path: Path, text: str) -> None:
    assert problem(tmp_path, text, "inv.csv").message == "the inventory is empty"


def test_header_only_csv_lists_no_assets(tmp_path: Path) -> None:
    found = problem(tmp_path, "id,kind,target\n", "inv.csv")
    assert (found.line, found.message) == (1, "the inventory lists no assets")


def test_duplicate_ids_across_rows(tmp_path: Path) -> None:
    found = problem(tmp_path, "id;kind;target\na;server;a.ma\na;server;b.ma\n", "inv.csv")
    assert (found.line, found.field, found.hint) == (3, "id", "first defined on line 2")


def test_non_utf8_csv_is_refused_with_its_line() -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(ASSETS / "latin1.csv")
    (found,) = caught.value.problems
    assert found.line == 3
    assert found.message.startswith("not valid UTF-8")
    assert "UTF-8" in (found.hint or "")


def test_hostile_column_name_is_escaped(tmp_path: Path) -> None:
    found = problem(tmp_path, "id,kind,target,\x1b[2Jcolour\na,server,a.ma,red\n", "inv.csv")
    assert (found.line, found.field) == (1, "\\x1b[2Jcolour")
    assert str(found).isprintable()


def test_broken_quoting_in_the_header_names_its_line(tmp_path: Path) -> None:
    found = problem(tmp_path, '# export\nid,"kind,target\na,server,a.ma\n', "inv.csv")
    assert found.line == 2
    assert found.message.startswith("the header is not valid CSV")
