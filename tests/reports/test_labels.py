"""Every word a report for people shows exists in every language, for every value the models can hold."""

from __future__ import annotations

import enum
from collections.abc import Mapping

import pytest

from residency_scan.models import (
    AssetKind,
    EntityType,
    LocationStatus,
    Outcome,
    Sensitivity,
    Severity,
    Strength,
    Summary,
)
from residency_scan.reports.labels import EN, FR, LABELS, Labels

ENUM_LABELS: dict[str, type[enum.Enum]] = {
    "outcome": Outcome,
    "outcome_count": Outcome,
    "kind": AssetKind,
    "sensitivity": Sensitivity,
    "severity": Severity,
    "strength": Strength,
    "status": LocationStatus,
    "entity_type": EntityType,
}


@pytest.mark.parametrize("labels", list(LABELS.values()), ids=list(LABELS))
@pytest.mark.parametrize("field", list(ENUM_LABELS))
def test_every_enum_member_has_a_label(labels: Labels, field: str) -> None:
    mapping: Mapping[enum.Enum, object] = getattr(labels, field)
    assert set(mapping) == set(ENUM_LABELS[field])
    assert all(mapping.values())


def test_languages_are_registered_under_their_own_code() -> None:
    assert dict(LABELS) == {"en": EN, "fr": FR}


def test_french_plural_counts_zero_and_one_as_singular() -> None:
    words = FR.summary_words(Summary(assets=1, compliant=0, violation=2, indeterminate=1, not_applicable=0))
    assert words.line(FR.colon) == "1 actif : 2 non conformes, 1 indéterminé, 0 conforme, 0 non applicable"


def test_english_plural_counts_zero_as_plural() -> None:
    words = EN.summary_words(Summary(assets=0, compliant=0, violation=0, indeterminate=0, not_applicable=0))
    assert words.total == "0 assets"
    assert EN.count(1, EN.asset_count) == "1 asset"
