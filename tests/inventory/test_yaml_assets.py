"""Asset fields in YAML: each bad value is refused with its line, its field and, where one exists, the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_scan.errors import InventoryError
from residency_scan.inventory import load_inventory
from residency_scan.models import AssetKind, DeclaredLocation
from tests.inventory.helpers import ASSETS, asset_yaml, load_text, problem, problems

SERVER = ("  - id: portail", "    kind: server")  # lines 4 and 5


def bad_field(tmp_path: Path, *lines: str) -> tuple[int | None, str | None, str, str | None]:
    found = problem(tmp_path, asset_yaml(*lines))
    return found.line, found.field, found.message, found.hint


# ------------------------------------------------------------------------------------------ fields


@pytest.mark.parametrize(
    ("line", "field", "hint"),
    [
        ("    sensitivty: public", "sensitivty", "did you mean 'sensitivity'?"),
        ("    taget: a.ma", "taget", "did you mean 'target'?"),
        ("    declared: {contry: MA}", "declared.contry", "did you mean 'country'?"),
        ("    cloud: {provider: aws, regin: eu-west-3}", "cloud.regin", "did you mean 'region'?"),
        ("    location: Rabat", "location", "one of: id, kind, target"),
    ],
)
def test_unknown_fields_are_refused_with_a_suggestion(
    tmp_path: Path, line: str, field: str, hint: str
) -> None:
    found = problems(tmp_path, asset_yaml(*SERVER, "    vendor: x", line))
    assert [(p.line, p.field) for p in found] == [(7, field)]
    assert found[0].message == f"unknown field '{field.rsplit('.', 1)[-1]}'"
    assert found[0].hint is not None and found[0].hint.startswith(hint)


def test_duplicate_id_points_at_the_first(tmp_path: Path) -> None:
    line, field, message, hint = bad_field(
        tmp_path, *SERVER, "    target: a.ma", "  - id: portail", "    kind: backup", "    target: b.ma"
    )
    assert (line, field, message, hint) == (
        7,
        "id",
        "duplicate asset id 'portail'",
        "first defined on line 4",
    )


def test_duplicate_id_on_one_line_is_still_found(tmp_path: Path) -> None:
    found = problem(
        tmp_path,
        asset_yaml("  - {id: a, kind: server, target: a.ma}", "  - {id: a, kind: server, target: b.ma}"),
    )
    assert (found.line, found.field, found.hint) == (5, "id", "first defined on line 4")


@pytest.mark.parametrize(
    ("id_line", "line", "message", "hint"),
    [
        (None, 4, "an asset needs an id", "add id:"),
        ('id: ""', 4, "an asset needs an id", "add id:"),
        ("id: 2024", 4, "must be text, not a number", 'quote it: id: "2024"'),
        ("id: [a, b]", 4, "must be text, not a list", None),
        ("id: portail citoyens", 4, "contains a space at position 8", "use '-' instead of spaces"),
        ('id: "portail\\e[31m"', 4, "control or invisible character '\\x1b'", None),
        ('id: "portail\\0"', 4, "control or invisible character '\\x00'", None),
        ("id: " + "x" * 200, 4, "200 characters long, over the limit of 128", None),
    ],
)
def test_bad_ids(tmp_path: Path, id_line: str | None, line: int, message: str, hint: str | None) -> None:
    first = "  - kind: server" if id_line is None else f"  - {id_line}\n    kind: server"
    found = problem(tmp_path, asset_yaml(first, "    target: a.ma"))
    assert (found.line, found.field) == (line, "id")
    assert message in found.message
    assert hint is None or hint in (found.hint or "")
    assert found.message.isprintable()


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("server", AssetKind.SERVER),
        ("Server", AssetKind.SERVER),
        ("management_tool", AssetKind.MANAGEMENT_TOOL),
        ("Admin-Interface", AssetKind.ADMIN_INTERFACE),
        ("DATA_STORE", AssetKind.DATA_STORE),
    ],
)
def test_kind_is_case_insensitive_and_accepts_underscores(
    tmp_path: Path, written: str, kind: AssetKind
) -> None:
    inventory = load_text(tmp_path, asset_yaml("  - id: a", f"    kind: {written}", "    target: a.ma"))
    assert inventory.assets[0].kind is kind


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("mgmt-tool", "did you mean 'management-tool'?"),
        ("serveur", "did you mean 'server'?"),
        ("database", "did you mean 'data-store'?"),
        ("printer", "one of: server, management-tool, admin-interface, data-store, backup, network, saas"),
    ],
)
def test_unknown_kind_suggests_one(tmp_path: Path, written: str, hint: str) -> None:
    line, field, message, found_hint = bad_field(
        tmp_path, "  - id: a", f"    kind: {written}", "    target: a.ma"
    )
    assert (line, field, message, found_hint) == (5, "kind", f"unknown asset kind '{written}'", hint)


def test_missing_kind_lists_the_kinds(tmp_path: Path) -> None:
    line, field, message, hint = bad_field(tmp_path, "  - id: a", "    target: a.ma")
    assert (line, field, message) == (4, "kind", "an asset needs a kind")
    assert hint is not None and "management-tool" in hint


def test_asset_without_target_vendor_or_cloud(tmp_path: Path) -> None:
    line, field, message, hint = bad_field(tmp_path, *SERVER, "    description: orphan")
    assert (line, field, message) == (4, "target", "an asset needs a target, a vendor or a cloud resource")
    assert hint is not None and "vendor:" in hint


# ------------------------------------------------------------------------------------------ targets


@pytest.mark.parametrize(
    ("target", "message", "hint"),
    [
        ("10.0.0.0/33", "invalid prefix length '33'", "from 0 to 32"),
        ("10.0.0.1/24", "host bits set", "write the network 10.0.0.0/24 or the single address 10.0.0.1"),
        ("300.1.1.1", "not a valid IPv4 address", "0 to 255"),
        ("https://", "has no host", None),
        (
            "gopher://a.ma",
            "scheme 'gopher' is not supported",
            "use one of: http, https, ssh, sftp, rdp, ldap, ldaps, ftp, ftps, tcp",
        ),
        ("a_b!.ma", "invalid character '!'", None),
        ("a" * 64 + ".ma", "over the DNS limit of 63", None),
        (".".join(["abcdefghij"] * 24), "over the DNS limit of 253", None),
    ],
)
def test_invalid_target_names_line_and_field(
    tmp_path: Path, target: str, message: str, hint: str | None
) -> None:
    line, field, found_message, found_hint = bad_field(tmp_path, *SERVER, f"    target: '{target}'")
    assert (line, field) == (6, "target")
    assert message in found_message
    assert hint is None or (found_hint is not None and hint in found_hint)


@pytest.mark.parametrize(("value", "described"), [("[a.ma, b.ma]", "a list"), ("{host: a.ma}", "a mapping")])
def test_target_of_the_wrong_type(tmp_path: Path, value: str, described: str) -> None:
    line, field, message, _ = bad_field(tmp_path, *SERVER, f"    target: {value}")
    assert (line, field, message) == (6, "target", f"must be text, not {described}")


def test_idn_target_is_stored_as_punycode(tmp_path: Path) -> None:
    inventory = load_text(tmp_path, asset_yaml(*SERVER, "    target: https://bücher.exemple.ma/"))
    target = inventory.assets[0].target
    assert target is not None
    assert (target.host, target.raw) == ("xn--bcher-kva.exemple.ma", "https://bücher.exemple.ma/")


# ------------------------------------------------------------------------------------------ declared


@pytest.mark.parametrize(
    ("country", "hint"),
    [
        ("Morocco", "did you mean 'MA'?"),
        ("MAR", "did you mean 'MA'?"),
        ("Maroc", "did you mean 'MA'?"),
        ("UK", "did you mean 'GB'?"),
        ("Irlande", "did you mean 'IE'?"),
        ("ZZ", "use an ISO 3166-1 alpha-2 code such as MA, FR or IE"),
    ],
)
def test_declared_country_must_be_an_iso_code(tmp_path: Path, country: str, hint: str) -> None:
    line, field, message, found_hint = bad_field(
        tmp_path, *SERVER, "    target: a.ma", "    declared:", f"      country: {country}"
    )
    assert (line, field) == (8, "declared.country")
    assert message == f"'{country}' is not an ISO 3166-1 alpha-2 country code"
    assert found_hint == hint


def test_declared_country_is_upper_cased_and_qualification_read(tmp_path: Path) -> None:
    inventory = load_text(
        tmp_path,
        asset_yaml(
            *SERVER, "    target: a.ma", "    declared: {country: ma, qualification: '2', city: Rabat}"
        ),
    )
    assert inventory.assets[0].declared == DeclaredLocation(country="MA", city="Rabat", qualification=2)


def test_kosovo_is_accepted_though_user_assigned(tmp_path: Path) -> None:
    inventory = load_text(tmp_path, asset_yaml(*SERVER, "    target: a.ma", "    declared: {country: XK}"))
    assert inventory.assets[0].declared == DeclaredLocation(country="XK")


@pytest.mark.parametrize("value", ["3", "0", "true", "'level 1'", "1.5"])
def test_qualification_must_be_1_or_2(tmp_path: Path, value: str) -> None:
    line, field, message, hint = bad_field(
        tmp_path, *SERVER, "    target: a.ma", f"    declared: {{country: MA, qualification: {value}}}"
    )
    assert (line, field) == (7, "declared.qualification")
    assert message.startswith("must be 1 or 2")
    assert hint is not None and "DGSSI" in hint


def test_declared_must_be_a_mapping(tmp_path: Path) -> None:
    line, field, message, _ = bad_field(tmp_path, *SERVER, "    target: a.ma", "    declared: MA")
    assert (line, field, message) == (7, "declared", "must be a mapping (key: value), not text")


# ------------------------------------------------------------------------------------------ cloud


def test_cloud_without_provider(tmp_path: Path) -> None:
    line, field, message, hint = bad_field(tmp_path, *SERVER, "    cloud: {region: eu-west-3}")
    assert (line, field, message) == (6, "cloud.provider", "a cloud resource needs a provider")
    assert hint == "add provider: one of: aws, azure, gcp, oci"


@pytest.mark.parametrize(
    ("provider", "hint"),
    [
        ("asw", "did you mean 'aws'?"),
        ("Amazon", "did you mean 'aws'?"),
        ("ovh", "use one of: aws, azure, gcp, oci"),
    ],
)
def test_unknown_cloud_provider(tmp_path: Path, provider: str, hint: str) -> None:
    line, field, message, found_hint = bad_field(tmp_path, *SERVER, f"    cloud: {{provider: {provider}}}")
    assert (line, field, message) == (6, "cloud.provider", f"unknown cloud provider '{provider}'")
    assert found_hint is not None and found_hint.startswith(hint)


def test_cloud_account_given_as_a_number_must_be_quoted(tmp_path: Path) -> None:
    line, field, message, hint = bad_field(
        tmp_path, *SERVER, "    cloud: {provider: aws, account: 123456789012}"
    )
    assert (line, field, message) == (6, "cloud.account", "must be text, not a number")
    assert hint is not None and "quotes" in hint


# ------------------------------------------------------------------------------------------ tags and text


def test_tags_must_be_a_mapping(tmp_path: Path) -> None:
    line, field, message, _ = bad_field(tmp_path, *SERVER, "    target: a.ma", "    tags: [prod, web]")
    assert (line, field, message) == (7, "tags", "must be a mapping (key: value), not a list")


def test_tag_values_must_be_scalars(tmp_path: Path) -> None:
    line, field, message, _ = bad_field(
        tmp_path, *SERVER, "    target: a.ma", "    tags:", "      env: [a, b]"
    )
    assert (line, field, message) == (8, "tags.env", "must be text, a number or true/false, not a list")


def test_tag_numbers_booleans_dates_and_nulls_become_text(tmp_path: Path) -> None:
    inventory = load_text(
        tmp_path,
        asset_yaml(
            *SERVER,
            "    target: a.ma",
            "    tags: {tier: 1, ratio: 0.5, public: false, since: 2024-01-31, note: }",
        ),
    )
    assert inventory.assets[0].tags == {
        "tier": "1",
        "ratio": "0.5",
        "public": "false",
        "since": "2024-01-31",
        "note": "",
    }


def test_hostile_text_in_description_and_owner(tmp_path: Path) -> None:
    html = "<script>alert('x')</script> &amp; \"quotes\""
    inventory = load_text(
        tmp_path,
        asset_yaml(
            *SERVER,
            "    target: a.ma",
            "    description: |-",
            f"      {html}",
            "      second line",
            "    owner: >-",
            f"      {html}",
        ),
    )
    assert inventory.assets[0].description == html + "\nsecond line"
    assert inventory.assets[0].owner == html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", '"red \\e[31m text"', "contains the control character '\\x1b' at position 5"),
        ("description", '"nul \\0 here"', "contains the control character '\\x00' at position 5"),
        ("owner", '"two\\nlines"', "contains the control character '\\n' at position 4"),
        ("description", "x" * 5000, "is 5000 characters long, over the limit of 4096"),
        ("owner", "x" * 300, "is 300 characters long, over the limit of 256"),
        ("description", "[a, b]", "must be text, not a list"),
    ],
)
def test_bad_free_text_is_refused_and_shown_escaped(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    found = problem(tmp_path, asset_yaml(*SERVER, "    target: a.ma", f"    {field}: {value}"))
    assert (found.line, found.field, found.message) == (7, field, message)
    assert str(found).isprintable()


# ------------------------------------------------------------------------------------------ many problems


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(ASSETS / "many-problems.yaml")
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (3, "entity.typ"),
        (6, "kind"),
        (10, "target"),
        (13, "sensitivty"),
        (15, "id"),
        (21, "declared.country"),
    ]


def test_problems_are_capped_and_the_rest_counted(tmp_path: Path) -> None:
    lines = [f"  - {{id: a{i}, kind: printer, target: a.ma}}" for i in range(150)]
    found = problems(tmp_path, asset_yaml(*lines))
    assert len(found) == 101
    assert [p.line for p in found[:100]] == list(range(4, 104))
    assert found[100].message == "50 more problems not shown"
