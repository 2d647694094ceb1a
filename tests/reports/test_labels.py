"""Every word a report for people shows exists in every language, for every value the models can hold."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import date

import pytest

from residency_scan.models import (
    AssetKind,
    EntityType,
    LocationStatus,
    Outcome,
    Sensitivity,
    ServiceType,
    Severity,
    Strength,
    SubcontractorRole,
    Summary,
    WaiverStatusKind,
)
from residency_scan.reports.html_labels import HTML_LABELS, HtmlLabels
from residency_scan.reports.labels import EN, FR, LABELS, Labels
from residency_scan.reports.labels_decree import DECREE_LABELS, DecreeLabels, attention_order, needs_attention
from residency_scan.reports.labels_decree import EN as DECREE_EN
from tests.reports import hostile
from tests.reports.factories_decree import DEADLINE, DECREE_PACK, LOCAL_WAIVER, WAIVERS, decree_assets

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


# ------------------------------------------------------------------------------- what schema 1.1 added

DECREE_ENUM_LABELS: dict[str, type[enum.Enum]] = {
    "waiver_status": WaiverStatusKind,
    "status_explained": WaiverStatusKind,
    "service_type": ServiceType,
    "subcontractor_role": SubcontractorRole,
}
HTML_ENUM_LABELS: dict[str, type[enum.Enum]] = {"headline": Outcome, "verdict_count": Outcome}


@pytest.mark.parametrize("labels", list(DECREE_LABELS.values()), ids=list(DECREE_LABELS))
@pytest.mark.parametrize("field", list(DECREE_ENUM_LABELS))
def test_every_decree_enum_member_has_a_label(labels: DecreeLabels, field: str) -> None:
    mapping: Mapping[enum.Enum, object] = getattr(labels, field)
    assert set(mapping) == set(DECREE_ENUM_LABELS[field])
    assert all(mapping.values())


@pytest.mark.parametrize("labels", list(HTML_LABELS.values()), ids=list(HTML_LABELS))
@pytest.mark.parametrize("field", list(HTML_ENUM_LABELS))
def test_every_outcome_has_an_html_label(labels: HtmlLabels, field: str) -> None:
    mapping: Mapping[enum.Enum, object] = getattr(labels, field)
    assert set(mapping) == set(HTML_ENUM_LABELS[field])


def test_every_language_has_the_decree_and_html_words() -> None:
    assert set(DECREE_LABELS) == set(HTML_LABELS) == set(LABELS) == {"en", "fr"}
    for field in dataclasses.fields(DecreeLabels):
        assert getattr(DECREE_LABELS["fr"], field.name) != "" and getattr(DECREE_LABELS["en"], field.name) != ""


def test_waived_is_counted_in_the_summary_line_only_when_there_is_one() -> None:
    none = Summary(assets=2, compliant=1, violation=1, indeterminate=0, not_applicable=0)
    assert EN.summary_words(none).line(EN.colon) == (
        "2 assets: 1 violation, 0 indeterminate, 1 compliant, 0 not applicable")
    some = none.model_copy(update={"assets": 3, "waived": 1})
    assert EN.summary_words(some).line(EN.colon) == (
        "3 assets: 1 violation, 0 indeterminate, 1 waived, 1 compliant, 0 not applicable")
    assert FR.summary_words(some).line(FR.colon) == (
        "3 actifs : 1 non conforme, 0 indéterminé, 1 sous dérogation, 1 conforme, 0 non applicable")


@pytest.mark.parametrize(
    ("lang", "days", "words"),
    [("en", 705, "705 days left"), ("en", 1, "1 day left"), ("en", 0, "due today"), ("en", -3, "passed 3 days ago"),
     ("fr", 705, "encore 705 jours"), ("fr", 1, "encore 1 jour"), ("fr", -1, "dépassée depuis 1 jour"),
     ("en", None, "?")],
)
def test_days_are_said_in_words(lang: str, days: int | None, words: str) -> None:
    assert DECREE_LABELS[lang].days_words(days) == words


def test_a_deadline_without_days_left_is_counted_from_the_scan_day() -> None:
    pack = DECREE_PACK.model_copy(update={"deadline": DEADLINE.model_copy(update={"days_left": None})})
    assert pack.deadline is not None
    words = DECREE_EN.deadline_words(pack, pack.deadline, date(2027, 8, 31))
    assert words == ("Decree 2-24-921: sensitive systems and data hosted in Morocco — comply by 2027-08-21 "
                     "(passed 10 days ago; date inferred)")
    assert DECREE_LABELS["fr"].deadline_words(pack, pack.deadline, date(2027, 8, 20)).endswith(
        "mise en conformité au plus tard le 2027-08-21 (encore 1 jour ; date déduite)")


def test_waiver_phrases_name_id_owner_expiry_and_clean_hostile_strings() -> None:
    assert DECREE_EN.waived_words(LOCAL_WAIVER) == "waived by W-2025-01 (DSI — Karim Benali) until 2026-03-31"
    assert DECREE_LABELS["fr"].waived_words(LOCAL_WAIVER) == (
        "dérogation W-2025-01 (DSI — Karim Benali) jusqu'au 2026-03-31")
    hostile_words = DECREE_EN.waived_words(hostile.HOSTILE_WAIVER) + DECREE_EN.waiver_reason(hostile.HOSTILE_WAIVER)
    assert "\x1b" not in hostile_words and "\n" not in hostile_words


def test_attention_lists_broken_and_stale_waivers_then_those_expiring_soon() -> None:
    today = date(2025, 9, 15)
    ordered = attention_order(WAIVERS, today)
    assert [w.id for w in ordered] == ["W-2024-07", "W-2025-04", "W-2025-03", "W-2025-02"]
    assert not needs_attention(WAIVERS[0], today)  # active, 197 days left
    unrecorded = WAIVERS[0].model_copy(update={"days_left": None})  # then counted from the day given
    assert needs_attention(unrecorded, date(2026, 3, 20))  # 11 days before it ends
    assert not needs_attention(unrecorded, today)


def test_access_summary_counts_logins_sources_and_places() -> None:
    bastion = next(a for a in decree_assets() if a.id == "bastion")
    assert DECREE_EN.access_words(bastion.access) == "9 logins or admin calls from 3 sources: MA 5, FR 3, internal 1"
