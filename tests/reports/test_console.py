"""The console report: what the IT director reads, in English and French, whatever the strings say."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from residency_scan.models import (
    AssetKind,
    Finding,
    LocationStatus,
    Outcome,
    ScanResult,
    Severity,
    Strength,
)
from residency_scan.reports import ConsoleReporter
from residency_scan.reports.console import TABLE_MIN_WIDTH
from tests.reports import hostile
from tests.reports.builders import (
    CASABLANCA,
    CLOUD_REGIONS,
    DECREE_ART_4,
    asset,
    evidence,
    finding,
    located,
    scan_result,
)
from tests.reports.factories import hostile_scan_result, sample_scan_result
from tests.reports.factories_decree import decree_scan_result, hostile_decree_scan_result
from tests.reports.goldens import assert_matches_golden

SGR = re.compile(r"\x1b\[[0-9;]*m")
WIDE = 220  # wide enough that no cell wraps, so phrases can be searched whole


def render(result: ScanResult, *, color: bool = False, width: int = 120, lang: str = "en") -> str:
    return ConsoleReporter(color=color, width=width, lang=lang).render(result)


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def last_line(text: str) -> str:
    return text.rstrip("\n").splitlines()[-1]


def test_plain_output_has_no_escape_codes() -> None:
    assert "\x1b" not in render(sample_scan_result(), color=False)


def test_colour_output_paints_verdicts_by_outcome() -> None:
    out = render(sample_scan_result(), color=True, width=WIDE)
    assert "\x1b[1;31mviolation" in out
    assert "\x1b[33mindeterminate" in out
    assert "\x1b[32mcompliant" in out
    assert "\x1b[2mnot applicable" in out
    assert SGR.sub("", out) == render(sample_scan_result(), color=False, width=WIDE)


def test_rendering_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = render(sample_scan_result())
    environment = {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "40", "TTY_COMPATIBLE": "1"}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert render(sample_scan_result()) == expected


def test_header_names_entity_inventory_hash_mode_and_time() -> None:
    out = render(sample_scan_result(), width=WIDE)
    header = out[: out.index("Assets")]
    assert "Office Exemple (EIV)" in header
    assert "examples/office-exemple.yaml  sha256 3f5a9c0e7b21" in header
    assert "offline" in header
    assert "2025-09-15 08:30:00 UTC" in header
    assert "ma-decree-2-24-921 1.0.0" in header


def test_online_scan_says_so() -> None:
    out = render(scan_result([], offline=False), width=WIDE)
    assert "online (DNS and network lookups allowed)" in out
    assert "offline" not in out


def test_generated_at_is_shown_in_utc_whatever_its_offset() -> None:
    local = scan_result([], generated_at=datetime(2025, 9, 15, 9, 30, tzinfo=CASABLANCA))
    naive = scan_result([], generated_at=datetime(2025, 9, 15, 8, 30))
    assert "2025-09-15 08:30:00 UTC" in render(local)
    assert "2025-09-15 08:30:00 UTC" in render(naive)


def test_every_asset_has_a_row_in_inventory_order() -> None:
    result = sample_scan_result()
    table = section(render(result, width=WIDE), "Assets", "Findings")
    positions = [table.index(a.id) for a in result.assets]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    "phrase",
    [
        "MA (confirmed)",
        "DE (confirmed)",
        "? (unknown)",
        "FR, MA? (contradicted)",
        "FR, IE, NL? (unknown)",
        "internal network (confirmed)",
        "cloud-regions[authoritative]",
        "vendor-catalog[authoritative]",
        "dns[measured] (failed)",
        "declared[declared]",
        "aws:eu-west-3",
        "https://outlook.office365.com",
        "management tool · sensitive",
        "data store · internal",
    ],
)
def test_asset_table_shows_where_and_on_what_evidence(phrase: str) -> None:
    assert phrase in section(render(sample_scan_result(), width=WIDE), "Assets", "Findings")


@pytest.mark.parametrize(
    "phrase",
    [
        "? (unknown: offline: DNS not queried)",
        "FR, MA? (contradicted: declared MA, measured FR (104.16.12.3, AS13335 CDN edge))",
        "FR, IE, NL? (unknown: tenant region not revealed by the target)",
    ],
)
def test_findings_give_the_location_reason_in_full(phrase: str) -> None:
    assert phrase in section(render(sample_scan_result(), width=WIDE), "Findings", "Data sources")


def test_table_abbreviates_long_country_lists() -> None:
    countries = tuple(sorted({"AT", "DE", "FI", "FR", "IE", "NL", "US"}))
    where = located(LocationStatus.CONFIRMED, countries, "vendor regions")
    result = scan_result([asset("mail", AssetKind.SAAS, Outcome.VIOLATION, where, [])])
    table = section(render(result, width=WIDE), "Assets", "Findings")
    assert "AT, DE, FI, FR +3 (confirmed)" in table


def test_repeated_and_partly_failed_sources_are_counted() -> None:
    items = [
        evidence("geoip", Strength.MEASURED, "192.0.2.1", country="MA"),
        evidence("geoip", Strength.MEASURED, "192.0.2.2", failure="no entry"),
        evidence("geoip", Strength.MEASURED, "192.0.2.3", country="MA"),
    ]
    where = located(LocationStatus.CONFIRMED, ("MA",), "ok")
    result = scan_result([asset("web", AssetKind.SERVER, Outcome.COMPLIANT, where, items)])
    assert "geoip[measured] ×3 (1 failed)" in render(result, width=WIDE)


def test_findings_are_grouped_by_asset_with_rule_severity_and_legal_reference() -> None:
    findings = section(render(sample_scan_result(), width=WIDE), "Findings", "Data sources")
    supervision = section(findings, "supervision", "sauvegardes")
    assert "[HIGH] MA-ADM-1 · violation · Management plane outside Morocco" in supervision
    assert "The management tool 'supervision' runs in DE" in supervision
    assert "Legal reference: Décret n° 2-24-921, art. 4\n" in supervision
    assert DECREE_ART_4.url is not None and DECREE_ART_4.url in supervision
    assert "« mettre en place sur le territoire national" in supervision
    assert "Remediation: Move the asset to a provider qualified by DGSSI" in supervision
    assert "Why: location confirmed DE by vendor-catalog (authoritative)" in supervision
    assert "(examples/office-exemple.yaml:12)" in supervision
    detail = (
        "vendor-catalog[authoritative] datadog:eu1 → DE, eu1, Frankfurt, Datadog (dataset vendor-catalog)"
    )
    assert detail in supervision


def test_uncertain_article_is_flagged() -> None:
    findings = section(render(sample_scan_result(), width=WIDE), "Findings", "Data sources")
    assert "Loi n° 05-20 relative à la cybersécurité, art. 11 (article uncertain)" in findings
    assert "art. 4 (article uncertain)" not in findings


def test_indeterminate_finding_is_reported_as_such() -> None:
    findings = section(render(sample_scan_result(), width=WIDE), "Findings", "Data sources")
    assert "[HIGH] MA-ADM-1 · indeterminate · Admin interface location not proven" in findings


def test_only_assets_with_findings_appear_under_findings() -> None:
    findings = section(render(sample_scan_result(), width=WIDE), "Findings", "Data sources")
    assert "portail-citoyens" not in findings
    assert "intranet-rh" not in findings


def test_no_findings_is_said() -> None:
    out = render(scan_result([]))
    assert "No findings." in out
    assert "The inventory lists no asset." in out


def test_evidence_detail_is_capped_and_says_how_much_is_left_out() -> None:
    items = [evidence("geoip", Strength.MEASURED, f"192.0.2.{i}", country="FR") for i in range(12)]
    flagged = asset(
        "web",
        AssetKind.SERVER,
        Outcome.VIOLATION,
        located(LocationStatus.CONFIRMED, ("FR",), "abroad"),
        items,
        findings=[_finding()],
    )
    out = render(scan_result([flagged]), width=WIDE)
    assert "… and 4 more (see the JSON report)" in out
    assert "192.0.2.7 " in out
    assert "192.0.2.8 " not in out


def test_data_sources_are_listed_with_version_date_age_and_licence() -> None:
    sources = section(render(sample_scan_result(), width=WIDE), "Data sources", "7 assets")
    assert re.search(r"DB-IP IP to Country Lite\s+2025-09\s+2025-09-01\s+14\s+CC BY 4\.0\s+2\n", sources)
    # age_days not given: counted from generated_at (2025-09-15) back to the dataset date (2025-08-20)
    assert re.search(r"Cloud region table\s+2025\.08\.1\s+2025-08-20\s+26\s+Apache-2\.0\s+1\n", sources)
    assert "DB-IP IP to Country Lite: IP Geolocation by DB-IP — https://db-ip.com" in sources


def test_no_dataset_is_said() -> None:
    assert "No dataset was used." in render(scan_result([], data_sources=()))


def test_summary_is_the_last_line() -> None:
    out = render(sample_scan_result())
    assert last_line(out) == "7 assets: 4 violation, 1 indeterminate, 1 compliant, 1 not applicable"


def test_summary_counts_come_from_the_result_summary() -> None:
    result = sample_scan_result()
    one = result.model_copy(update={"summary": result.summary.model_copy(update={"assets": 1})})
    assert last_line(render(one)).startswith("1 asset: ")
    empty = "0 assets: 0 violation, 0 indeterminate, 0 compliant, 0 not applicable"
    assert last_line(render(scan_result([]))) == empty


def test_french_report_uses_french_labels_and_rule_texts() -> None:
    out = render(sample_scan_result(), lang="fr", width=WIDE)
    for label in ("Actifs", "Constats", "Sources de données", "Référence juridique : ", "Remédiation : "):
        assert label in out
    for english in ("Findings", "Data sources", "Legal reference", "Remediation"):
        assert english not in out
    assert "Plan d'administration hors du Maroc" in out
    assert "L'outil « supervision » tourne en DE" in out
    assert "art. 11 (article incertain)" in out
    assert "? (inconnue : offline: DNS not queried)" in out
    assert "cloud-regions[fait foi]" in out
    assert last_line(out) == "7 actifs : 4 non conformes, 1 indéterminé, 1 conforme, 1 non applicable"


def test_french_falls_back_to_english_when_a_rule_gives_no_french() -> None:
    untranslated = _finding().model_copy(update={"title_fr": "", "message_fr": ""})
    flagged = asset(
        "web",
        AssetKind.SERVER,
        Outcome.VIOLATION,
        located(LocationStatus.CONFIRMED, ("FR",), "abroad"),
        [],
        findings=[untranslated],
    )
    out = render(scan_result([flagged]), lang="fr", width=WIDE)
    assert "Hosted abroad" in out
    assert "The server is in FR." in out
    assert "Héberger au Maroc." in out


def test_unknown_language_and_absurd_width_are_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        ConsoleReporter(lang="de")
    with pytest.raises(ValueError, match="width"):
        ConsoleReporter(width=5)


@pytest.mark.parametrize("color", [False, True])
def test_hostile_strings_come_out_inert(color: bool) -> None:
    out = render(hostile_decree_scan_result(), color=color, width=WIDE)
    visible = SGR.sub("", out)  # the report's own colours are the only escape sequences allowed
    assert "\x1b" not in visible
    assert re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", visible) is None
    for payload in hostile.SECRET_MARKERS:
        assert payload not in visible
    assert hostile.MARKUP in visible  # shown as text, not applied
    assert "[link=https://attacker.invalid]geo[/link]" in visible
    assert hostile.HTML in visible  # a terminal does not run HTML; it is only text here
    assert "\u2028" not in visible


def test_hostile_markup_is_not_applied_as_style() -> None:
    out = render(hostile_decree_scan_result(), color=True, width=WIDE)
    assert "\x1b[1;31mx" not in out
    assert "[bold red]x[/]" in SGR.sub("", out)


def test_a_newline_cannot_forge_a_summary_line() -> None:
    lines = render(hostile_scan_result(), width=WIDE).splitlines()
    assert [line for line in lines if line.startswith("0 assets")] == []
    assert lines[-1].startswith("9 assets: ")


def test_absurdly_long_strings_are_truncated() -> None:
    out = render(hostile_scan_result())
    assert "(truncated)" in out
    assert len(out) < 80_000  # the hostile result carries several 100,000-character strings


@pytest.mark.parametrize("width", [60, 80, TABLE_MIN_WIDTH - 1, TABLE_MIN_WIDTH, 120, 200])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_line_fits_the_width(width: int, lang: str) -> None:
    for result in (sample_scan_result(), hostile_scan_result(), decree_scan_result(), hostile_decree_scan_result()):
        out = render(result, width=width, lang=lang)
        too_wide = [line for line in out.splitlines() if len(line) > width]
        assert too_wide == []


def test_narrow_terminal_lists_assets_as_cards() -> None:
    out = render(sample_scan_result(), width=60)
    assets = section(out, "Assets", "Findings")
    assert "console-admin — indeterminate" in assets
    assert "Where: ? (unknown)" in assets
    assert "Evidence: dns[measured] (failed), declared[declared]" in assets
    summary = out.rstrip("\n").split("\n\n")[-1]
    assert " ".join(summary.split()) == last_line(render(sample_scan_result()))


def test_dataset_without_url_or_attribution_has_no_credit_line() -> None:
    out = render(scan_result([], data_sources=(CLOUD_REGIONS,)), width=WIDE)
    assert "Cloud region table:" not in out
    assert CLOUD_REGIONS.date == date(2025, 8, 20)


def test_english_golden() -> None:
    assert_matches_golden("console-en.txt", render(sample_scan_result()))


def test_french_golden() -> None:
    assert_matches_golden("console-fr.txt", render(sample_scan_result(), lang="fr"))


def test_narrow_golden() -> None:
    assert_matches_golden("console-en-80.txt", render(sample_scan_result(), width=80))


def _finding() -> Finding:
    return finding(
        "MA-LOC-1",
        Outcome.VIOLATION,
        Severity.HIGH,
        DECREE_ART_4,
        title="Hosted abroad",
        title_fr="Hébergé à l'étranger",
        message="The server is in FR.",
        message_fr="Le serveur est en FR.",
        remediation="Host it in Morocco.",
        remediation_fr="Héberger au Maroc.",
        reason="FR is not MA",
    )
