"""The console report shows waivers, deadlines, admin access and dataset notes, in English and French."""

from __future__ import annotations

import re

import pytest

from residency_scan.models import ScanResult, WaiverStatusKind
from residency_scan.reports import ConsoleReporter
from tests.reports.factories import sample_scan_result
from tests.reports.factories_decree import WAIVERS, decree_scan_result
from tests.reports.goldens import assert_matches_golden

WIDE = 220
SGR = re.compile(r"\x1b\[[0-9;]*m")


def render(result: ScanResult, *, lang: str = "en", width: int = WIDE, color: bool = False) -> str:
    return ConsoleReporter(lang=lang, width=width, color=color).render(result)


def block(text: str, start: str, end: str) -> str:
    begin = text.index(start)
    return text[begin : text.index(end, begin + len(start))]


def test_a_waived_finding_stays_listed_and_says_who_accepted_it_until_when() -> None:
    out = render(decree_scan_result())
    findings = block(out, "\nFindings\n", "\nWaivers\n")
    assert ("[CRITICAL] MA-LOC-1 · violation · Sensitive data stored outside Morocco · waived by W-2025-01 "
            "(DSI — Karim Benali) until 2026-03-31") in findings
    assert ("Waiver: Migration to a qualified Moroccan provider under way (art. 17 risk analysis) (AR-2025-014)"
            in findings)
    # the open finding of the same asset is not marked
    assert re.search(r"MA-ADM-2 · violation · Administered from abroad\n", findings)


def test_the_verdict_of_an_asset_whose_findings_are_all_waived_is_waived() -> None:
    out = render(decree_scan_result())
    row = next(line for line in out.splitlines() if line.startswith("hebergement-cloud "))
    assert row.rstrip().endswith("waived")
    assert "\x1b[36mwaived" in render(decree_scan_result(), color=True)


def test_the_waivers_block_lists_what_needs_acting_on_worst_first() -> None:
    out = render(decree_scan_result())
    waivers = block(out, "\nWaivers\n", "\nData sources\n")
    assert "5 waivers: 2 active, 1 stale, 1 expired, 1 invalid" in waivers
    heads = re.findall(r"^  \[([A-Z ]+)\] (\S+)", waivers, re.MULTILINE)
    assert heads == [("EXPIRED", "W-2024-07"), ("INVALID", "W-2025-04"), ("STALE", "W-2025-03"),
                     ("EXPIRING SOON", "W-2025-02")]
    assert "W-2025-01" not in waivers  # active, 197 days left: nothing to do
    assert "expired on 2025-08-01 (45 days ago)  (derogations.yaml:22)" in waivers
    assert "- no 'expires' date: a waiver must end" in waivers
    assert "- rule 'MA-XYZ' is not a rule of the loaded packs" in waivers
    assert "expires on 2025-10-01 (16 days left)" in waivers
    assert "Findings covered: bastion MA-ADM-1" in waivers


def test_waivers_that_need_nothing_are_only_counted() -> None:
    fine = decree_scan_result().model_copy(update={"waivers": WAIVERS[:1]})
    waivers = block(render(fine), "\nWaivers\n", "\nData sources\n")
    assert "1 waiver: 1 active, 0 stale, 0 expired, 0 invalid" in waivers
    assert "Every waiver is active and none expires within 30 days." in waivers
    assert "\nWaivers\n" not in render(sample_scan_result())  # no waivers file, no block


def test_each_pack_deadline_is_in_the_header_with_the_days_left() -> None:
    header = block(render(decree_scan_result()), "Data residency report", "\nAssets\n")
    assert ("Deadlines             Decree 2-24-921: sensitive systems and data hosted in Morocco — comply by "
            "2027-08-21 (705 days left; date inferred)") in header
    assert "Existing cloud uses of sensitive systems and data must comply" in header
    passed = decree_scan_result()
    pack = passed.rule_packs[0]
    assert pack.deadline is not None
    late = pack.model_copy(update={"deadline": pack.deadline.model_copy(update={"days_left": -12, "uncertain": False})})
    out = render(passed.model_copy(update={"rule_packs": (late,)}))
    assert "comply by 2027-08-21 (passed 12 days ago)" in out


def test_admin_access_is_summed_up_under_the_asset() -> None:
    out = render(decree_scan_result())
    bastion = block(out, "\nbastion  admin interface", "[HIGH]")
    assert "Administrative access: 9 logins or admin calls from 3 sources: MA 5, FR 3, internal 1" in bastion


def test_a_dataset_note_is_shown() -> None:
    out = render(decree_scan_result())
    assert "Qualified cloud providers: Note: EXAMPLE register, not an official list" in out


def test_the_summary_line_counts_waived_assets() -> None:
    assert render(decree_scan_result()).rstrip().splitlines()[-1] == (
        "9 assets: 5 violation, 1 indeterminate, 1 waived, 1 compliant, 1 not applicable")
    assert render(decree_scan_result(), lang="fr").rstrip().splitlines()[-1] == (
        "9 actifs : 5 non conformes, 1 indéterminé, 1 sous dérogation, 1 conforme, 1 non applicable")


def test_french_words_for_waivers_deadlines_and_access() -> None:
    out = render(decree_scan_result(), lang="fr")
    for words in ("Échéances", "mise en conformité au plus tard le 2027-08-21 (encore 705 jours ; date déduite)",
                  "dérogation W-2025-01 (DSI — Karim Benali) jusqu'au 2026-03-31", "Dérogations",
                  "5 dérogations : 2 en vigueur, 1 sans objet, 1 expirée, 1 invalide", "[EXPIRE BIENTÔT] W-2025-02",
                  "Accès d'administration : 9 connexions ou appels d'administration depuis 3 sources",
                  "Remarque : EXAMPLE register, not an official list"):
        assert words in out, words
    for english in ("waived by", "Deadlines", "days left", "Administrative access"):
        assert english not in out


@pytest.mark.parametrize("status", list(WaiverStatusKind))
def test_every_waiver_status_has_a_style_and_renders(status: WaiverStatusKind) -> None:
    one = WAIVERS[0].model_copy(update={"status": status, "days_left": 3})
    out = render(decree_scan_result().model_copy(update={"waivers": (one,)}), color=True)
    assert "W-2025-01" in SGR.sub("", block(out, "Waivers", "Data sources"))


def test_decree_goldens() -> None:
    assert_matches_golden("console-en-decree.txt", render(decree_scan_result(), width=120))
    assert_matches_golden("console-fr-decree.txt", render(decree_scan_result(), lang="fr", width=120))
