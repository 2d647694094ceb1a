"""The Markdown report: a CI summary or MR comment that no inventory, answer or rule text can take over.

Rendered to HTML with markdown-it-py set up like GitHub (GFM tables, raw HTML allowed, URL and e-mail
autolinks), then read back with the standard HTML parser: the checks are on what a reader would get.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from residency_scan.models import (
    AssetKind,
    DataSource,
    LegalReference,
    LocationStatus,
    Outcome,
    RuleCheck,
    ScanResult,
    Severity,
)
from residency_scan.reports.markdown import (
    MAX_COMMENT_CHARS,
    ZWSP,
    MarkdownReporter,
    comment_length,
    html_text,
    markdown_cell,
    markdown_escape,
    safe_link_url,
)
from residency_scan.reports.matrix import compliance_matrix
from tests.reports.builders import DECREE_ART_4, DECREE_URL, asset, finding, located, scan_result
from tests.reports.factories import hostile_scan_result, sample_scan_result
from tests.reports.factories_decree import hostile_decree_scan_result
from tests.reports.test_sarif import scan_example

ATTACKS = (
    "[click](http://evil.example)",
    "![img](http://evil.example/x.png)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "</details></summary><h1>forged</h1>",
    "<!-- hidden -->",
    "see http://evil.example/path and https://evil.example",
    "go to www.evil.example now",
    "<http://evil.example>",
    "mailto:boss@evil.example or boss@evil.example",
    "@octocat please merge",
    "fixes #123, !45, ~bug, %v1, $7, ^alert",
    "# Heading\n## another",
    "cell | injected | row",
    "line one\n| x | y |\n| --- | --- |",
    "`code` ``double``",
    "**bold** _em_ ~~strike~~",
    "&lt;b&gt; &#60;i&#62; &amp;",
    "[^1] [ref]: http://evil.example",
    "trailing backslash \\",
    "setext\n===",
    "1. ordered\n- bullet\n> quote",
    "javascript:alert(1)",
    "$x^2$ {math}",
)
ALLOWED_TAGS = {"h1", "h2", "p", "strong", "em", "code", "ul", "li", "blockquote", "table", "thead", "tbody",
                "tr", "th", "td", "details", "summary", "a"}


def markdown_renderer() -> MarkdownIt:
    md = MarkdownIt("gfm-like")  # tables, strikethrough, raw HTML on, linkify on
    assert md.linkify is not None, "linkify-it-py is needed to check that no autolink is made"
    md.linkify.set({"fuzzy_link": False})  # like GFM: links need a scheme or "www."
    return md


@dataclass
class Page(HTMLParser):
    """What a browser would show: tags, link targets, table rows and the text."""

    tags: list[str] = field(default_factory=list)
    hrefs: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)
    in_cell: bool = False

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th") and self.rows:
            self.rows[-1].append("")
            self.in_cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self.in_cell = False

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)
        if self.in_cell:
            self.rows[-1][-1] += data

    def handle_comment(self, data: str) -> None:
        self.tags.append("!--")

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def page(markdown: str) -> Page:
    parsed = Page()
    parsed.feed(markdown_renderer().render(markdown))
    parsed.close()
    return parsed


def render(result: ScanResult, **options: object) -> str:
    return MarkdownReporter(**options).render(result)  # type: ignore[arg-type]


def attacked_result() -> ScanResult:
    """Every string a reporter shows, set to one of the attacks."""
    attack = iter(ATTACKS * 4).__next__
    reference = LegalReference(text=attack(), article=attack(), url="javascript:alert(1)", quote=attack())
    assets = []
    for number in range(3):
        outcome = (Outcome.VIOLATION, Outcome.INDETERMINATE, Outcome.COMPLIANT)[number]
        rule = attack()
        findings = [] if outcome is Outcome.COMPLIANT else [
            finding(rule, outcome, Severity.HIGH, reference, title=attack(), title_fr=attack(), message=attack(),
                    message_fr=attack(), reason=attack(), remediation=attack(), remediation_fr=attack())
        ]
        assets.append(asset(f"{attack()} {number}", AssetKind.SERVER, outcome,
                            located(LocationStatus.UNKNOWN, (attack(),), attack()), [], target=attack(),
                            checks=[RuleCheck(rule=rule, outcome=outcome, reason=attack())], findings=findings))
    dataset = DataSource(id="d", name=attack(), version=attack(), date=date(2025, 1, 1), licence=attack())
    return scan_result(assets, entity_name=attack(), inventory_path=attack(), data_sources=(dataset,))


# ------------------------------------------------------------------------------------------ escaping


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_escaped_string_renders_as_exactly_its_characters(attack: str) -> None:
    shown = page(markdown_escape(attack))
    assert shown.tags == ["p"]
    assert shown.text.replace(ZWSP, "").strip() == " ".join(attack.split())


def test_every_ascii_punctuation_character_survives_escaping() -> None:
    punctuation = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum())
    for text in (punctuation, punctuation[::-1], " ".join(punctuation)):
        assert page(markdown_escape(text)).text.replace(ZWSP, "").strip() == text


def test_autolinks_mentions_and_references_are_broken_with_an_invisible_space() -> None:
    escaped = markdown_escape("http://evil.example www.evil.example @octocat #12 !3 a@b.example")
    text = page(escaped).text
    assert "://" not in text and "www." not in text
    assert not re.search(r"[@#!]\w", text)
    assert text.replace(ZWSP, "").strip() == "http://evil.example www.evil.example @octocat #12 !3 a@b.example"


def test_escaping_collapses_lines_cleans_controls_and_bounds_length() -> None:
    assert markdown_escape("a\n\n# b\r\nc") == "a \\# b c"
    assert "\x1b" not in markdown_escape("\x1b[31mred\x1b[0m")
    assert "\u202e" not in markdown_escape("MA\u202eAF")
    assert len(markdown_escape("A" * 100_000, max_len=50)) < 100
    assert markdown_escape(None) == "" and markdown_escape("", missing="-") == "-"


def test_a_cell_cannot_add_columns_or_rows() -> None:
    table = "| a | b |\n| --- | --- |\n| " + markdown_cell("x | y\n| z | w |") + " | " + markdown_cell("") + " |\n"
    shown = page(table)
    assert shown.rows == [["a", "b"], ["x | y | z | w |", "—"]]


def test_html_text_is_inert_inside_an_html_block() -> None:
    shown = page(f"<details>\n<summary>{html_text('</summary><img src=x> @me http://x.example')}</summary>\n\n"
                 "</details>\n")
    assert shown.tags == ["details", "summary"]
    assert "<img src=x>" in shown.text
    assert "@me" not in shown.text and "://" not in shown.text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (DECREE_URL, DECREE_URL),
        ("https://example.org/a (b)<c>", "https://example.org/a%20%28b%29%3Cc%3E"),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//evil.example/x", None),
        ("https:///nohost", None),
        (None, None),
    ],
)
def test_only_web_urls_become_links(url: str | None, expected: str | None) -> None:
    assert safe_link_url(url) == expected


# ------------------------------------------------------------------------------------------ hostile reports


@pytest.mark.parametrize("build", [attacked_result, hostile_scan_result, hostile_decree_scan_result])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_hostile_strings_create_no_markup(build: object, lang: str) -> None:
    result = build()  # type: ignore[operator]
    shown = page(render(result, lang=lang))
    assert set(shown.tags) <= ALLOWED_TAGS, set(shown.tags) - ALLOWED_TAGS
    assert shown.tags.count("h1") == 1
    # findings, details, data sources; the matrix when a rule was checked; waivers when there were some
    assert shown.tags.count("h2") == 3 + bool(compliance_matrix(result)) + bool(result.waivers)
    assert shown.tags.count("details") == len(result.assets)
    assert set(shown.hrefs) <= {DECREE_URL}  # only the shipped rules' own references
    assert "://" not in shown.text.replace(DECREE_URL, "")
    assert not re.search(r"(?i)www\.|[@#!~%$^&]\w", shown.text)


def test_hostile_strings_cannot_break_the_tables() -> None:
    result = attacked_result()
    shown = page(render(result))
    widths = Counter(len(row) for row in shown.rows)
    findings = sum(len(a.findings) for a in result.assets)
    articles = len(compliance_matrix(result))
    # summary 1+5, matrix 1+articles, findings 1+n, datasets 1+1
    assert widths == {2: 6, 7: articles + 1, 6: findings + 1, 4: 2}


def test_a_non_web_reference_is_text_not_a_link() -> None:
    shown = page(render(attacked_result()))
    assert shown.hrefs == []
    assert "javascript" not in " ".join(shown.hrefs)


# ------------------------------------------------------------------------------------------ content


def test_status_line_counts_violations_and_indeterminate() -> None:
    text = render(sample_scan_result())
    assert text.startswith("# Data residency report\n\n**FAILED** — 4 violations, 1 indeterminate\n")


def test_compliant_example_passes_with_its_provider_register() -> None:
    # Without a register the providers' qualification is unknown, hence indeterminate: never compliant.
    assert "**FAILED** — 0 violations" in render(scan_example("conforme-exemple.yaml"))
    text = render(scan_example("conforme-exemple.yaml", "--providers", "examples/prestataires-exemple.yaml"))
    assert "**PASSED** — 0 violations, 0 indeterminate" in text
    assert "EXAMPLE register" in page(text).text  # and the report says what the verdict rests on


def test_status_follows_fail_on() -> None:
    only_unknown = scan_result([a for a in sample_scan_result().assets if a.verdict is not Outcome.VIOLATION])
    assert "**FAILED**" in render(only_unknown)
    assert "**PASSED**" in render(only_unknown, fail_on="violation")
    assert "**PASSED**" in render(sample_scan_result(), fail_on="none")


def test_ministry_example_lists_every_finding_asset_and_dataset() -> None:
    result = scan_example("ministere-exemple.yaml")
    # NOTE: a job summary's budget: with its three packs the example's details no longer all fit a PR comment,
    # which the size tests below cover (what is left out is counted, never cut mid-row).
    text = render(result, max_chars=1_000_000)
    shown = page(text)
    summary = result.summary
    assert f"**FAILED** — {summary.violation} violations, {summary.indeterminate} indeterminate" in text
    findings_rows = [row for row in shown.rows if len(row) == 6]
    assert len(findings_rows) == 1 + sum(len(a.findings) for a in result.assets)
    assert findings_rows[1][3] == "violation"  # violations first
    assert shown.tags.count("details") == len(result.assets)
    for source in result.data_sources:
        assert [source.name, source.version, source.date.isoformat(), source.licence] in shown.rows
    assert f"sha256 `{result.inventory.sha256}`" in text
    assert "examples/ministere-exemple.yaml" in shown.text
    decree = next(rule.reference.url for rule in result.rules)
    assert decree in shown.hrefs


def test_summary_table_has_every_verdict_and_the_total() -> None:
    rows = page(render(sample_scan_result())).rows
    assert rows[:6] == [["Verdict", "Assets"], ["violation", "4"], ["indeterminate", "1"], ["compliant", "1"],
                        ["not applicable", "1"], ["Total", "7"]]


def test_details_give_reasons_reference_and_remediation() -> None:
    text = page(render(sample_scan_result())).text
    assert "MA-ADM-1 — violation: DE is not MA" in text
    assert "Management plane outside Morocco: The management tool 'supervision' runs in DE" in text
    assert "Loi n° 05-20 relative à la cybersécurité, art. 11 (article uncertain)" in text
    assert "Remediation: Move the asset to a provider qualified by DGSSI" in text
    assert "no rule applies to this asset" in text


def test_french_report_uses_french_labels_and_rule_texts() -> None:
    text = render(sample_scan_result(), lang="fr")
    shown = page(text)
    assert text.startswith("# Rapport de localisation des données\n\n**ÉCHEC** — 4 non conformes, 1 indéterminé\n")
    assert ["Verdict", "Actifs"] in shown.rows
    for label in ("Constats", "Actifs en détail", "Sources de données", "Référence juridique", "Remédiation"):
        assert label in shown.text
    assert "Plan d'administration hors du Maroc" in shown.text
    assert "non conforme" in shown.text and "violation" not in shown.text


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="language"):
        MarkdownReporter(lang="de")
    with pytest.raises(ValueError, match="fail_on"):
        MarkdownReporter(fail_on="sometimes")
    with pytest.raises(ValueError, match="max_chars"):
        MarkdownReporter(max_chars=100)


def test_same_result_gives_the_same_text() -> None:
    assert render(sample_scan_result()) == render(sample_scan_result())


# ------------------------------------------------------------------------------------------ size


def many_findings(count: int, asset_id: str = "serveur-{n}") -> ScanResult:
    assets = [
        asset(asset_id.format(n=n), AssetKind.SERVER, Outcome.VIOLATION,
              located(LocationStatus.CONFIRMED, ("FR",), "r"), [], target=f"srv{n}.exemple.ma",
              findings=[finding("MA-ADM-1", Outcome.VIOLATION, Severity.HIGH, DECREE_ART_4, title="t", title_fr="t",
                                message="m", message_fr="m", reason="FR is not MA")])
        for n in range(count)
    ]
    return scan_result(assets)


@pytest.mark.parametrize("asset_id", ["serveur-{n}", "😀{n}" + "é" * 40])
def test_a_large_scan_stays_under_the_comment_limit_and_says_what_it_left_out(asset_id: str) -> None:
    result = many_findings(3000, asset_id)
    text = render(result)
    assert comment_length(text) <= MAX_COMMENT_CHARS
    shown = page(text)
    rows = len([row for row in shown.rows if len(row) == 6]) - 1
    match = re.search(r"(\d+) more findings, see the full report\.", shown.text)
    assert match, "the truncation must be said"
    assert 0 < rows < 3000 and rows + int(match.group(1)) == 3000
    assert re.search(r"\d+ more assets, see the full report\.", shown.text)
    assert shown.text.rstrip().endswith("Generated by residency-scan 0.1.0.")  # the tail is never cut


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert comment_length("a😀") == 3
    assert comment_length("é") == 1


def test_a_larger_budget_is_used_for_job_summaries() -> None:
    result = many_findings(3000)
    text = render(result, max_chars=1_000_000)
    assert "more findings" not in text
    assert comment_length(text) <= 1_000_000
