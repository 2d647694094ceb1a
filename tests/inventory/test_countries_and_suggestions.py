"""The embedded country table and the wording helpers behind every "did you mean …?"."""

from __future__ import annotations

import pytest

from residency_scan.inventory.countries import (
    ALPHA3_TO_ALPHA2,
    COUNTRY_CODES,
    ISO_3166_ALPHA2,
    suggest_country,
)
from residency_scan.inventory.suggest import closest, did_you_mean, one_of, shown
from residency_scan.models import AssetKind


def test_iso_table_has_every_assigned_code_once() -> None:
    assert len(ISO_3166_ALPHA2) == 249
    assert all(len(code) == 2 and code.isupper() and code.isascii() for code in ISO_3166_ALPHA2)
    assert {"MA", "FR", "IE", "DE", "US", "GB", "EH", "SS"} <= ISO_3166_ALPHA2
    assert not {"UK", "EU", "XK", "EL"} & ISO_3166_ALPHA2
    assert ISO_3166_ALPHA2 | {"XK"} == COUNTRY_CODES


def test_alpha3_table_maps_onto_the_alpha2_set() -> None:
    assert set(ALPHA3_TO_ALPHA2.values()) == COUNTRY_CODES
    assert ALPHA3_TO_ALPHA2["MAR"] == "MA"
    assert ALPHA3_TO_ALPHA2["IRL"] == "IE"
    assert ALPHA3_TO_ALPHA2["DEU"] == "DE"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Morocco", "MA"),
        ("maroc", "MA"),
        ("MAR", "MA"),
        ("Royaume du Maroc", "MA"),
        ("Moroco", "MA"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("États-Unis", "US"),
        ("Pays-Bas", "NL"),
        ("fr", "FR"),
        ("Côte d'Ivoire", "CI"),
        ("Allemagne", "DE"),
    ],
)
def test_country_names_and_codes_are_recognised(written: str, code: str) -> None:
    assert suggest_country(written) == code


@pytest.mark.parametrize("written", ["ZZ", "EU", "QQQ", "Atlantis", ""])
def test_no_guess_for_what_is_no_country(written: str) -> None:
    assert suggest_country(written) is None


def test_did_you_mean_on_kinds() -> None:
    kinds = [kind.value for kind in AssetKind]
    assert did_you_mean("mgmt-tool", kinds) == "did you mean 'management-tool'?"
    assert did_you_mean("MANAGEMENT_TOOL", kinds) == "did you mean 'management-tool'?"
    assert did_you_mean("admin", kinds) == "did you mean 'admin-interface'?"
    assert did_you_mean("printer", kinds) is None
    assert closest("", kinds) is None


def test_one_of_lists_the_choices() -> None:
    assert one_of(["a", "b"]) == "one of: a, b"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "'plain'"),
        ("\x1b[31mred", "'\\x1b[31mred'"),
        ("nul\x00", "'nul\\x00'"),
        ("a\nb\tc", "'a\\nb\\tc'"),
        ("rtl\u202e", "'rtl\\u202e'"),
        ("x" * 100, "'" + "x" * 60 + "…'"),
        (42, "'42'"),
    ],
)
def test_shown_escapes_and_cuts_user_values(value: object, expected: str) -> None:
    assert shown(value) == expected
