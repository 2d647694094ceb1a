"""The YAML inventory: a good file becomes the expected Assets; bad top-level input names line, field, fix."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from residency_scan.errors import InventoryError
from residency_scan.inventory import YamlInventory, load_inventory
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
from tests.inventory.helpers import ASSETS, asset_yaml, load_text, problem, problems


def test_good_yaml_becomes_the_expected_assets() -> None:
    path = ASSETS / "good.yaml"
    inventory = load_inventory(path)
    assert inventory.path == str(path)
    assert inventory.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert inventory.entity == Entity(name="Office Exemple", type=EntityType.EIV)
    source = str(path)
    assert inventory.assets == (
        Asset(
            id="portail-citoyens",
            kind=AssetKind.SERVER,
            sensitivity=Sensitivity.SENSITIVE,
            target=Target(raw="portail.exemple.ma", kind=TargetKind.HOSTNAME, host="portail.exemple.ma"),
            declared=DeclaredLocation(country="MA", city="Rabat", provider="N+ONE", qualification=1),
            description="Portail des services aux citoyens",
            owner="Équipe portail",
            tags={"programme": "souverainete", "env": "prod", "tier": "1", "public": "true"},
            source=SourceRef(path=source, line=9),
        ),
        Asset(
            id="supervision",
            kind=AssetKind.MANAGEMENT_TOOL,
            sensitivity=Sensitivity.INTERNAL,
            target=Target(
                raw="https://app.datadoghq.eu",
                kind=TargetKind.URL,
                host="app.datadoghq.eu",
                port=443,
                scheme="https",
            ),
            vendor="datadog",
            owner="DSI",
            tags={"programme": "souverainete"},
            source=SourceRef(path=source, line=17),
        ),
        Asset(
            id="sauvegardes",
            kind=AssetKind.BACKUP,
            sensitivity=Sensitivity.PUBLIC,
            cloud=CloudRef(
                provider="aws",
                region="eu-west-3",
                account="012345670123",
                service="s3",
                resource="arn:aws:s3:::exemple-backups",
            ),
            owner="DSI",
            tags={"programme": "souverainete", "residency:sensitivity": "public"},
            source=SourceRef(path=source, line=21),
        ),
        Asset(
            id="reseau-dc",
            kind=AssetKind.NETWORK,
            sensitivity=Sensitivity.INTERNAL,
            target=Target(raw="196.200.128.0/20", kind=TargetKind.CIDR, host="196.200.128.0/20"),
            owner="DSI",
            tags={"programme": "souverainete"},
            source=SourceRef(path=source, line=25),
        ),
        Asset(
            id="bastion",
            kind=AssetKind.ADMIN_INTERFACE,
            sensitivity=Sensitivity.INTERNAL,
            target=Target(raw="[2001:db8::10]:22", kind=TargetKind.IP, host="2001:db8::10", port=22),
            owner="DSI",
            tags={"programme": "souverainete"},
            source=SourceRef(path=source, line=28),
        ),
        Asset(
            id="messagerie",
            kind=AssetKind.SAAS,
            sensitivity=Sensitivity.INTERNAL,
            target=Target(raw="بريد.المغرب", kind=TargetKind.HOSTNAME, host="xn--ngbof4h.xn--mgbc0a9azcg"),
            owner="DSI",
            tags={"programme": "souverainete"},
            source=SourceRef(path=source, line=31),
        ),
    )


def test_yaml_inventory_class_loads_like_load_inventory() -> None:
    assert YamlInventory(ASSETS / "good.yaml").load() == load_inventory(ASSETS / "good.yaml")


# ------------------------------------------------------------------------------------------ sensitivity


def test_sensitivity_falls_back_to_sensitive_when_nobody_says(tmp_path: Path) -> None:
    inventory = load_text(tmp_path, asset_yaml("  - {id: a, kind: server, target: a.exemple.ma}"))
    assert inventory.assets[0].sensitivity is Sensitivity.SENSITIVE


def test_sensitivity_field_beats_tag_which_beats_defaults(tmp_path: Path) -> None:
    inventory = load_text(
        tmp_path,
        """
        version: 1
        entity: {name: Exemple}
        defaults: {sensitivity: public}
        assets:
          - id: field
            kind: server
            target: a.ma
            sensitivity: internal
            tags: {residency:sensitivity: public}
          - {id: tag, kind: server, target: a.ma, tags: {"residency:sensitivity": internal}}
          - {id: gcp-label, kind: server, target: a.ma, tags: {residency_sensitivity: Sensitive}}
          - {id: default, kind: server, target: a.ma}
    """,
    )
    assert [a.sensitivity for a in inventory.assets] == [
        Sensitivity.INTERNAL,
        Sensitivity.INTERNAL,
        Sensitivity.SENSITIVE,
        Sensitivity.PUBLIC,
    ]


def test_unknown_sensitivity_in_tag_is_refused(tmp_path: Path) -> None:
    found = problem(
        tmp_path,
        asset_yaml(
            "  - id: a", "    kind: server", "    target: a.ma", "    tags: {residency:sensitivity: secret}"
        ),
    )
    assert (found.line, found.field) == (7, "tags.residency:sensitivity")
    assert "unknown sensitivity 'secret'" in found.message


def test_unknown_sensitivity_suggests_the_english_word(tmp_path: Path) -> None:
    found = problem(
        tmp_path, asset_yaml("  - id: a", "    kind: server", "    target: a.ma", "    sensitivity: sensible")
    )
    assert (found.line, found.field) == (7, "sensitivity")
    assert found.hint == "did you mean 'sensitive'?"


def test_defaults_give_owner_and_tags_that_assets_override(tmp_path: Path) -> None:
    inventory = load_text(
        tmp_path,
        """
        version: 1
        entity: {name: Exemple}
        defaults: {owner: DSI, tags: {env: prod, team: infra}}
        assets:
          - {id: a, kind: server, target: a.ma, owner: Réseau, tags: {env: test}}
    """,
    )
    asset = inventory.assets[0]
    assert (asset.owner, asset.tags) == ("Réseau", {"env": "test", "team": "infra"})


def test_unknown_defaults_field_is_refused(tmp_path: Path) -> None:
    found = problem(
        tmp_path,
        """
        version: 1
        entity: {name: Exemple}
        defaults:
          declared: {country: MA}
        assets:
          - {id: a, kind: server, target: a.ma}
    """,
    )
    assert (found.line, found.field) == (4, "defaults.declared")
    assert "sensitivity" in (found.hint or "")


# ------------------------------------------------------------------------------------------ top level


def test_unknown_top_level_field_suggests_the_right_one(tmp_path: Path) -> None:
    found = problems(
        tmp_path, "version: 1\nentity: {name: E}\nasets:\n  - {id: a, kind: server, target: a.ma}\n"
    )
    assert [(p.line, p.field, p.hint) for p in found] == [
        (1, "assets", "add 'assets:' followed by one '- id: …' per asset"),
        (3, "asets", "did you mean 'assets'?"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "message", "hint"),
    [
        (
            "entity: {name: E}\nassets: [{id: a, kind: server, target: a.ma}]\n",
            1,
            "has no version",
            "add 'version: 1'",
        ),
        (
            "version: 2\nentity: {name: E}\nassets: [{id: a, kind: server, target: a.ma}]\n",
            1,
            "unsupported inventory version 2",
            "'version: 1'",
        ),
        (
            "version: '1'\nentity: {name: E}\nassets: [{id: a, kind: server, target: a.ma}]\n",
            1,
            "unsupported inventory version '1'",
            "'version: 1'",
        ),
    ],
)
def test_version_is_required_and_must_be_1(
    tmp_path: Path, text: str, line: int, message: str, hint: str
) -> None:
    found = problem(tmp_path, text)
    assert (found.line, found.field) == (line, "version")
    assert message in found.message
    assert hint in (found.hint or "")


def test_missing_entity_is_refused_unless_supplied(tmp_path: Path) -> None:
    text = "version: 1\nassets:\n  - {id: a, kind: server, target: a.ma}\n"
    found = problem(tmp_path, text)
    assert (found.line, found.field, found.message) == (1, "entity", "the inventory names no entity")
    supplied = Entity(name="Agence", type=EntityType.ADMINISTRATION)
    assert load_inventory(tmp_path / "inventory.yaml", entity=supplied).entity == supplied


def test_supplied_entity_replaces_the_files(tmp_path: Path) -> None:
    supplied = Entity(name="Agence", type=EntityType.PRIVATE)
    path = tmp_path / "inventory.yaml"
    path.write_text(asset_yaml("  - {id: a, kind: server, target: a.ma}"), encoding="utf-8")
    assert load_inventory(path, entity=supplied).entity == supplied


@pytest.mark.parametrize(
    ("entity", "field", "message", "hint"),
    [
        ("{name: E, typ: eiv}", "entity.typ", "unknown field 'typ'", "did you mean 'type'?"),
        ("{name: E, type: privé}", "entity.type", "unknown entity type 'privé'", "did you mean 'private'?"),
        ("{name: E, type: ngo}", "entity.type", "unknown entity type 'ngo'", "one of: eiv, administration"),
        ("{type: eiv}", "entity.name", "the entity has no name", "add name:"),
        ("Office Exemple", "entity", "must be a mapping (key: value), not text", None),
        ("{name: [a, b]}", "entity.name", "must be text, not a list", None),
    ],
)
def test_entity_problems(tmp_path: Path, entity: str, field: str, message: str, hint: str | None) -> None:
    found = problem(
        tmp_path, f"version: 1\nentity: {entity}\nassets: [{{id: a, kind: server, target: a.ma}}]\n"
    )
    assert (found.line, found.field) == (2, field)
    assert message in found.message
    assert hint is None or hint in (found.hint or "")


def test_entity_type_defaults_to_eiv_and_is_case_insensitive(tmp_path: Path) -> None:
    text = "version: 1\nentity: {name: E, type: Administration}\nassets: [{id: a, kind: saas, vendor: x}]\n"
    assert load_text(tmp_path, text).entity == Entity(name="E", type=EntityType.ADMINISTRATION)
    text = "version: 1\nentity: {name: E}\nassets: [{id: a, kind: saas, vendor: x}]\n"
    assert load_text(tmp_path, text).entity.type is EntityType.EIV


@pytest.mark.parametrize(
    ("assets", "message", "hint"),
    [
        ("assets: {id: a}", "must be a list of assets", None),
        ("assets: []", "the inventory lists no assets", "empty inventory would pass every check"),
        ("assets:", "the inventory has no assets", "add 'assets:'"),
    ],
)
def test_assets_must_be_a_non_empty_list(tmp_path: Path, assets: str, message: str, hint: str | None) -> None:
    found = problem(tmp_path, f"version: 1\nentity: {{name: E}}\n{assets}\n")
    assert (found.line, found.field) == (3, "assets")
    assert message in found.message
    assert hint is None or hint in (found.hint or "")


def test_an_asset_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    found = problem(tmp_path, asset_yaml("  - portail.exemple.ma"))
    assert found.line == 4
    assert found.message == "each asset must be a mapping (id: …, kind: …), not text"


@pytest.mark.parametrize("text", ["", "# nothing but a comment\n", "~\n"])
def test_empty_file_is_refused(tmp_path: Path, text: str) -> None:
    found = problem(tmp_path, text)
    assert found.message == "the inventory is empty"
    assert "version: 1" in (found.hint or "")


def test_a_list_at_the_top_is_refused(tmp_path: Path) -> None:
    found = problem(tmp_path, "- id: a\n  kind: server\n")
    assert found.line == 1
    assert "must be a mapping with version, entity and assets" in found.message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    found = problem(tmp_path, asset_yaml("  - id: a", "    kind: server", "    target: [a.ma"))
    assert found.line is not None and found.line >= 6
    assert found.message.startswith("invalid YAML")


def test_duplicate_yaml_keys_are_refused() -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(ASSETS / "duplicate-key.yaml")
    (found,) = caught.value.problems
    assert found.line == 7
    assert found.message == "duplicate key 'kind'"
    assert found.hint == "first written on line 5"


def test_yaml_bomb_is_refused() -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(ASSETS / "bomb.yaml")
    assert "once aliases are expanded" in caught.value.problems[0].message


def test_python_object_tags_are_refused(tmp_path: Path) -> None:
    found = problem(
        tmp_path, asset_yaml("  - id: !!python/object/apply:os.system ['true']", "    kind: server")
    )
    assert found.line == 4


def test_sensitivity_tag_in_defaults_is_refused(tmp_path: Path) -> None:
    found = problem(
        tmp_path,
        """
        version: 1
        entity: {name: Exemple}
        defaults:
          tags: {env: prod, "residency:sensitivity": public}
        assets:
          - {id: a, kind: server, target: a.ma}
        """,
    )
    assert (found.line, found.field, found.message) == (
        4, "defaults.tags.residency:sensitivity", "a default sensitivity is not a tag")


def test_hostile_field_names_are_escaped_in_problems(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        asset_yaml('  - {id: a, kind: server, target: a.ma, "\\e[2J\\0": x, tags: {"k\\e": v}}'),
    )
    assert [p.field for p in found] == ["\\x1b[2J\\x00", "tags.k\\x1b"]
    assert all(str(p).isprintable() for p in found)
