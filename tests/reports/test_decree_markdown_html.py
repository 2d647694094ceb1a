"""Markdown and HTML show waivers, the compliance matrix with its waived column, deadlines, the inventory facts,
admin access and dataset notes — escaped, whatever the strings say."""

from __future__ import annotations

import re

import pytest

from residency_scan.models import Outcome, WaiverStatusKind
from residency_scan.reports import HtmlReporter, MarkdownReporter
from residency_scan.reports.markdown import MAX_COMMENT_CHARS, comment_length
from residency_scan.scan import summarise
from tests.reports import hostile
from tests.reports.factories_decree import WAIVERS, decree_scan_result, hostile_decree_scan_result
from tests.reports.test_html import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, UNSAFE_CHARACTERS, Page
from tests.reports.test_markdown import Page as MarkdownPage
from tests.reports.test_markdown import page

# ------------------------------------------------------------------------------------------------ Markdown


def table(shown: MarkdownPage, first_header: str) -> list[list[str]]:
    """The rows of the table whose first header cell is `first_header`, its header row first."""
    start = next(index for index, row in enumerate(shown.rows) if row and row[0] == first_header)
    rows = [shown.rows[start]]
    for row in shown.rows[start + 1:]:
        if len(row) != len(rows[0]):
            break
        rows.append(row)
    return rows


def cells(row: list[str]) -> list[str]:
    return [" ".join(cell.split()) for cell in row]


def markdown(lang: str = "en", **options: object) -> str:
    return MarkdownReporter(lang=lang, **options).render(decree_scan_result())  # type: ignore[arg-type]


def test_markdown_status_line_counts_waived_assets_and_broken_waivers() -> None:
    assert markdown().startswith(
        "# Data residency report\n\n**FAILED** — 5 violations, 1 indeterminate, 1 waived, 2 waivers expired or "
        "invalid\n")
    assert markdown("fr").startswith(
        "# Rapport de localisation des données\n\n**ÉCHEC** — 5 non conformes, 1 indéterminé, 1 sous dérogation, "
        "2 dérogations expirées ou invalides\n")


def test_an_expired_waiver_fails_the_status_like_the_exit_code() -> None:
    """Every asset passes (waived or compliant), but an expired waiver is a violation of its own."""
    result = decree_scan_result()
    passing = tuple(a for a in result.assets if a.verdict in (Outcome.WAIVED, Outcome.COMPLIANT))
    only_passing = result.model_copy(update={"assets": passing, "summary": summarise(passing)})
    assert "**FAILED**" in MarkdownReporter().render(only_passing)
    assert "**PASSED**" in MarkdownReporter(fail_on="none").render(only_passing)
    healthy = only_passing.model_copy(update={"waivers": WAIVERS[:2]})
    assert "**PASSED**" in MarkdownReporter().render(healthy)


def test_markdown_findings_mark_waived_ones_and_list_them_last() -> None:
    rows = [row for row in page(markdown()).rows if len(row) == 6][1:]
    outcomes = [row[3] for row in rows]
    assert outcomes[-2:] == [
        "violation, waived by W-2025-01 (DSI — Karim Benali) until 2026-03-31",
        "indeterminate, waived by W-2025-02 (RSSI) until 2025-10-01",
    ]
    assert not any("waived" in outcome for outcome in outcomes[:-2])


def test_markdown_has_the_matrix_with_its_waived_column_and_the_deadline() -> None:
    shown = page(markdown())
    matrix = table(shown, "Legal reference")
    assert matrix[0] == ["Legal reference", "Rules", "Assessed", "compliant", "violation", "indeterminate", "waived"]
    art4 = next(row for row in matrix if "art. 4" in row[0])
    assert art4[1:] == ["MA-ADM-1", "3", "0", "1", "1", "1"]
    assert ("Deadlines: Decree 2-24-921: sensitive systems and data hosted in Morocco — comply by 2027-08-21 "
            "(705 days left; date inferred)") in shown.text


def test_markdown_waivers_table_puts_those_to_act_on_first() -> None:
    shown = page(markdown())
    waivers = table(shown, "Waiver")
    assert waivers[0][:2] == ["Waiver", "Status"]
    assert [row[0].split(" ")[0] for row in waivers[1:]] == ["W-2024-07", "W-2025-04", "W-2025-03", "W-2025-02",
                                                             "W-2025-01"]
    assert waivers[4][1] == "active (expiring soon)"
    assert "no 'expires' date: a waiver must end" in waivers[2][6]
    assert "5 waivers: 2 active, 1 stale, 1 expired, 1 invalid" in shown.text


def test_markdown_details_show_facts_access_waiver_and_the_dataset_note() -> None:
    text = page(markdown()).text
    assert ("Inventory facts: Sensitive data: yes; Sensitive system: yes; Personal data: yes; Service type: IaaS; "
            "CNDP authorisation: A-GC-123/2024; Subcontractors: Atlas Ops (operation, MA, data access: no), "
            "CloudCare Europe (support, FR, data access: not stated)") in text
    assert "Administrative access: 9 logins or admin calls from 3 sources: MA 5, FR 3, internal 1" in text
    assert "Waiver: waived by W-2025-02 (RSSI) until 2025-10-01: Vendor support session" in text
    assert "Note — Qualified cloud providers: EXAMPLE register, not an official list" in text


def test_markdown_of_the_hostile_waivers_creates_no_markup() -> None:
    for lang in ("en", "fr"):
        shown = page(MarkdownReporter(lang=lang).render(hostile_decree_scan_result()))
        assert "script" not in shown.tags
        assert "<script>alert(1)</script>" in shown.text  # shown, as text


# ------------------------------------------------------------------------------------------------ HTML


def html_page(lang: str = "en") -> Page:
    return Page(HtmlReporter(lang=lang).render(decree_scan_result()))


def test_the_html_headline_does_not_say_compliant_while_a_broken_waiver_fails_the_scan() -> None:
    result = decree_scan_result()
    passing = tuple(a for a in result.assets if a.verdict is Outcome.COMPLIANT)
    clean = result.model_copy(update={"assets": passing, "summary": summarise(passing)})
    healthy = clean.model_copy(update={"waivers": WAIVERS[:2]})
    assert "Compliant on the evidence gathered" in HtmlReporter().render(healthy)
    assert any(w.status is WaiverStatusKind.EXPIRED for w in result.waivers)
    broken = HtmlReporter().render(clean)
    assert "Not compliant" in broken
    assert "Compliant on the evidence gathered" not in broken


def test_html_waivers_section_lists_every_waiver_with_what_became_of_it() -> None:
    page_ = html_page()
    rows = [cells(row) for row in page_.rows["waiver-row"]]
    assert len(rows) == len(WAIVERS)
    assert all(row[0].startswith(waiver.id) for row, waiver in zip(rows, WAIVERS, strict=True))  # file order
    assert page_.text_of("waiver-counts") == "5 waivers: 2 active, 1 stale, 1 expired, 1 invalid"
    first, soon, stale, expired, invalid = rows
    assert "derogations.yaml:3" in first[0] and "active" in first[1]
    assert "DSI — Karim Benali" in first[3] and "AR-2025-014" in first[3]
    assert "2025-06-01" in first[4] and "2026-03-31" in first[4] and "197 days left" in first[4]
    assert first[5] == "hebergement-cloud MA-LOC-1"
    assert "expiring soon" in soon[1] and "16 days left" in soon[4]
    assert "stale" in stale[1] and "covers no finding of this scan" in stale[6]
    assert "expired" in expired[1] and "passed 45 days ago" in expired[4]
    assert "invalid" in invalid[1] and "no expiry date" in invalid[4] and "not stated" in invalid[3]
    assert "no 'expires' date: a waiver must end" in invalid[6]
    assert "no-waivers" not in page_.by_id


def test_html_matrix_comes_from_the_result_with_the_waived_column() -> None:
    result = decree_scan_result()
    rows = html_page().rows["matrix-row"]
    assert [[int(cell) for cell in row[2:7]] for row in rows] == [
        [m.assessed, m.compliant, m.violation, m.indeterminate, m.waived] for m in result.matrix
    ]
    assert sum(int(row[6]) for row in rows) == 2


def test_html_summary_has_the_waived_card_the_deadline_and_says_what_waivers_mean() -> None:
    page_ = html_page()
    assert page_.text_of("count-waived") == "1"
    [deadline] = [cells(row) for row in page_.rows["deadline-row"]]
    assert deadline[0].startswith("ma-decree-2-24-921")
    assert deadline[2] == "2027-08-21 date inferred" and deadline[3] == "705 days left"
    assert "art. 18" in deadline[4]
    conclusion = page_.text_of("conclusion")
    assert "Of 8 assets within the scope of the rules: 5 in violation, 1 indeterminate, 1 waived, 1 compliant." in (
        conclusion)
    assert "1 asset under a waiver: their findings stand" in conclusion
    assert "2 waivers expired or invalid: they cover nothing" in conclusion


def test_html_headline_when_every_asset_passes_only_thanks_to_waivers() -> None:
    result = decree_scan_result()
    kept = tuple(a for a in result.assets if a.verdict in (Outcome.WAIVED, Outcome.COMPLIANT))
    page_ = Page(HtmlReporter().render(result.model_copy(update={"assets": kept, "waivers": WAIVERS[:2]})))
    assert page_.text_of("headline").endswith("Compliant only under waivers")
    assert "complies with them" not in page_.text_of("conclusion")


def test_html_findings_and_checks_mark_their_waiver() -> None:
    page_ = html_page()
    marks = page_.texts_of_class("waived-mark")
    assert marks.count("waived by W-2025-01 (DSI — Karim Benali) until 2026-03-31") == 2  # head and body
    assert "Waiver: W-2025-02" in marks  # the check in the asset's rules table
    finding_ids = page_.texts_of_class("rule-id")
    assert len(finding_ids) == 8


def test_html_asset_shows_inventory_facts_and_access_records() -> None:
    page_ = html_page()
    facts = [cells(row) for row in page_.rows["fact"]]
    assert len(facts) == 6 * 9  # six facts for every asset, stated or not
    waived = dict(facts[7 * 6: 8 * 6])  # hebergement-cloud, the 8th asset
    assert waived == {
        "Sensitive data": "yes", "Sensitive system": "yes", "Personal data": "yes", "Service type": "IaaS",
        "CNDP authorisation": "A-GC-123/2024",
        "Subcontractors": "Atlas Ops (operation, MA, data access: no)CloudCare Europe (support, FR, data access: "
                          "not stated)",
    }
    first = dict(facts[:6])  # portail-citoyens: nothing stated, sensitive
    assert first["Sensitive data"] == "yes (from the sensitivity)" and first["Personal data"] == "not stated"
    assert dict(facts[8 * 6:])["Subcontractors"] == "none declared"  # bastion: declared as none
    records = [cells(row) for row in page_.rows["access-row"]]
    assert [row[0] for row in records] == ["admin", "ext-support", "ops"]
    assert records[1][1:4] == ["51.15.0.10", "FR ✓ confirmed", "measured"]
    assert records[1][6:] == ["3", "logs/auth.log:57"]
    assert records[2][2] == "internal ? unknown"


def test_html_datasets_show_the_note_and_the_access_logs_read() -> None:
    page_ = html_page()
    assert page_.texts_of_class("dataset-note") == ["Note: EXAMPLE register, not an official list"]
    [log] = [cells(row) for row in page_.rows["access-log-row"]]
    assert log[0].startswith("logs/auth.log") and log[1:] == ["auth-log", "9", "8", "2", "old-host"]


def test_html_french_labels_for_everything_new() -> None:
    text = html_page("fr").all_text()
    for words in ("Échéances", "Exigence", "Jours restants", "Dérogations", "en vigueur", "sans objet", "expirée",
                  "invalide", "expire bientôt", "Données à caractère personnel", "Autorisation CNDP", "Sous-traitants",
                  "Accès d'administration", "Adresse source", "Remarque", "Journaux d'accès d'administration lus",
                  "sous dérogation", "date déduite"):
        assert words in text, words
    for english in ("Waivers", "Deadlines", "expiring soon", "Subcontractors", "Source address"):
        assert english not in text, english


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_html_hostile_strings_in_waivers_access_and_facts_stay_text(lang: str) -> None:
    html = HtmlReporter(lang=lang).render(hostile_decree_scan_result())
    page_ = Page(html)
    assert "<script" not in html.lower()
    assert {tag for tag, _ in page_.tags} <= ALLOWED_TAGS
    assert {name for _, attrs in page_.tags for name in attrs} <= ALLOWED_ATTRIBUTES
    assert not UNSAFE_CHARACTERS.search(html)
    waivers = page_.text_of("waivers")
    assert hostile.HTML in waivers and hostile.MARKUP in waivers  # owner, asset, problems: shown as text
    assert any(hostile.HTML in row[0] for row in page_.rows["access-row"])  # the access record's user
    assert hostile.HTML in " ".join(page_.texts_of_class("subcontractors"))
    assert all(href.startswith(("#", "https://", "http://")) for _, href in page_.hrefs())


@pytest.mark.parametrize("status", list(WaiverStatusKind))
def test_html_renders_a_waiver_of_each_status(status: WaiverStatusKind) -> None:
    one = WAIVERS[0].model_copy(update={"status": status})
    page_ = Page(HtmlReporter().render(decree_scan_result().model_copy(update={"waivers": (one,)})))
    [row] = page_.rows["waiver-row"]
    assert row[1].split()[-1] == status.value


def test_thousands_of_waivers_stay_under_the_comment_limit_expired_ones_first() -> None:
    result = decree_scan_result()
    many = tuple(
        WAIVERS[0].model_copy(update={"id": f"W-{n:05d}", "covered": tuple(f"asset-{k} MA-LOC-1" for k in range(40))})
        for n in range(3000)
    )
    expired = WAIVERS[3].model_copy(update={"id": "W-LAST-EXPIRED"})
    text = MarkdownReporter().render(result.model_copy(update={"waivers": (*many, expired)}))
    assert comment_length(text) <= MAX_COMMENT_CHARS
    shown = page(text)
    waivers = table(shown, "Waiver")
    assert waivers[1][0].startswith("W-LAST-EXPIRED")  # the one that fails the scan is never cut
    assert waivers[2][5] == "asset-0 MA-LOC-1; asset-1 MA-LOC-1; asset-2 MA-LOC-1 +37"
    match = re.search(r"(\d+) more waivers, see the full report\.", shown.text)
    assert match and len(waivers) - 1 + int(match.group(1)) == 3001
    assert shown.text.rstrip().endswith("Generated by residency-scan 0.1.0.")
