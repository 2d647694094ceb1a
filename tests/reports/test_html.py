"""The HTML evidence report: escaped whatever the strings say, self-contained, complete, in EN and FR."""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from residency_scan.inventory import load_inventory
from residency_scan.models import (
    AssetKind,
    LegalReference,
    LocationStatus,
    Outcome,
    RuleCheck,
    ScanResult,
    Severity,
    Strength,
)
from residency_scan.reports.html import FIELD_LEN, HtmlReporter, environment, safe_link
from residency_scan.reports.matrix import compliance_matrix
from residency_scan.reports.text import clean_terminal
from residency_scan.rules import RuleEngine, default_rule_packs
from residency_scan.scan import ResolverSettings, ScanClock, Scanner, build_resolvers, reproducible_time
from tests.reports import hostile
from tests.reports.builders import DECREE_ART_4, asset, evidence, finding, located, scan_result
from tests.reports.factories import hostile_scan_result, sample_scan_result

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "ministere-exemple.yaml"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

ALLOWED_TAGS = frozenset(
    {
        "html", "head", "meta", "title", "style", "body", "header", "div", "p", "span", "h1", "h2", "h3", "h4",
        "nav", "a", "main", "section", "table", "colgroup", "col", "thead", "tbody", "tr", "th", "td", "strong",
        "br", "article", "dl", "dt", "dd", "ul", "li", "blockquote", "details", "summary", "pre", "footer",
    }
)
ALLOWED_ATTRIBUTES = frozenset(
    {
        "class", "id", "href", "rel", "lang", "charset", "http-equiv", "content", "name", "style", "title",
        "scope", "colspan", "aria-label", "aria-hidden",
    }
)
VOID = frozenset({"meta", "br", "col", "link", "img", "input", "hr", "base", "source", "wbr"})
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@functools.cache
def real_scan_result() -> ScanResult:
    """examples/ministere-exemple.yaml through the real pipeline, offline, with pinned timestamps."""
    clock = ScanClock()
    scanner = Scanner(build_resolvers(ResolverSettings(offline=True), clock), RuleEngine(default_rule_packs()),
                      clock=clock, offline=True)
    clock.pin(reproducible_time(scanner.data_sources()))
    return scanner.scan(load_inventory(EXAMPLE))


class Page(HTMLParser):
    """The parts of a page the tests look at: tags and attributes, text by element id or class, table rows."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.by_id: dict[str, list[str]] = {}
        self.by_class: dict[str, list[list[str]]] = {}
        self.rows: dict[str, list[list[str]]] = {}
        self.text: list[str] = []
        self._open: list[tuple[str, str | None, list[list[str]]]] = []
        self._row: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "tr":
            self._row = []
            for name in (attributes.get("class") or "").split():
                self.rows.setdefault(name, []).append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("")
        if tag in VOID:
            return
        element_id = attributes.get("id")
        if element_id is not None:
            self.by_id[element_id] = []
        buffers: list[list[str]] = []
        for name in (attributes.get("class") or "").split():
            buffers.append([])
            self.by_class.setdefault(name, []).append(buffers[-1])
        self._open.append((tag, element_id, buffers))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            name, _, _ = self._open.pop()
            if name == tag:
                break
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for _, element_id, buffers in self._open:
            if element_id is not None:
                self.by_id[element_id].append(data)
            for buffer in buffers:
                buffer.append(data)
        if self._row:
            self._row[-1] += data

    def text_of(self, element_id: str) -> str:
        return " ".join("".join(self.by_id[element_id]).split())

    def texts_of_class(self, name: str) -> list[str]:
        return [" ".join("".join(parts).split()) for parts in self.by_class.get(name, [])]

    def all_text(self) -> str:
        return "".join(self.text)

    def hrefs(self) -> list[tuple[str, str]]:
        return [(tag, attrs["href"] or "") for tag, attrs in self.tags if "href" in attrs]


def shown(value: str) -> str:
    """How a single-line value reads in the page: cleaned, bounded, whitespace collapsed."""
    return " ".join(clean_terminal(value, max_len=FIELD_LEN).split())


def render(result: ScanResult, lang: str = "en") -> str:
    return HtmlReporter(lang=lang).render(result)


def legal_urls(result: ScanResult) -> set[str]:
    """Every URL the rule data (the rules and the findings they produced) carries."""
    references = [r.reference for r in result.rules] + [ref for r in result.rules for ref in r.see_also]
    for item in result.assets:
        for found in item.findings:
            references.extend((found.reference, *found.see_also))
    return {ref.url for ref in references if ref.url}


# ------------------------------------------------------------------------------------------------ hostile input


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_hostile_strings_are_text_never_markup(lang: str) -> None:
    html = render(hostile_scan_result(), lang)
    page = Page(html)
    assert "<script" not in html.lower()
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS
    assert {name for _, attrs in page.tags for name in attrs} <= ALLOWED_ATTRIBUTES
    text = page.all_text()
    assert hostile.HTML in text  # shown to the reader, as characters
    assert hostile.MARKUP in text
    assert not UNSAFE_CHARACTERS.search(html)
    assert "\x1b" not in html and "\u202e" not in html


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_javascript_urls_are_never_links(lang: str) -> None:
    page = Page(render(hostile_scan_result(), lang))
    assert "javascript:alert(1)" in page.all_text()  # the rule's URL is still shown, as text
    for _, href in page.hrefs():
        assert not href.strip().lower().startswith(("javascript:", "data:", "vbscript:"))
        assert href.startswith(("#", "https://", "http://"))


def test_quotes_in_values_cannot_open_attributes_or_tags() -> None:
    attack = '" onmouseover="alert(1)'
    tag_attack = "'><img src=x onerror=alert(1)>"
    url_attack = 'https://example.org/"onclick="alert(1)'
    reference = LegalReference(text=tag_attack, article=attack, url=url_attack)
    item = asset(
        attack,
        AssetKind.SERVER,
        Outcome.VIOLATION,
        located(LocationStatus.CONFIRMED, ("FR",), tag_attack),
        [evidence(attack, Strength.MEASURED, tag_attack, country="FR", dataset=attack, raw={attack: tag_attack})],
        target=tag_attack,
        checks=[RuleCheck(rule=attack, outcome=Outcome.VIOLATION, reason=tag_attack)],
        findings=[finding(attack, Outcome.VIOLATION, Severity.HIGH, reference, title=attack, title_fr=attack,
                          message=tag_attack, message_fr=tag_attack, reason=attack)],
    )
    html = render(scan_result([item], entity_name=attack))
    page = Page(html)
    assert {tag for tag, _ in page.tags} <= ALLOWED_TAGS  # no <img>
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    assert ("a", url_attack) in page.hrefs()  # the quote stayed inside the attribute value
    assert tag_attack in page.all_text()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "file:///etc/passwd",
        "https://",
        "https://evil.example/\x1b]8;;x\x07",
        "https://evil.example/\u202eexe.pdf",
        "https://exa mple.org/",
        "",
        None,
    ],
)
def test_only_plain_http_urls_may_become_links(url: str | None) -> None:
    assert safe_link(url) is None


@pytest.mark.parametrize("url", ["https://www.dgssi.gov.ma/fr/reglementations/x", "http://example.org/a?b=c&d=e"])
def test_plain_http_urls_are_kept_as_they_are(url: str) -> None:
    assert safe_link(url) == url


def test_long_values_are_cut_and_say_so() -> None:
    html = render(hostile_scan_result())
    assert hostile.LONG not in html
    assert "(truncated)" in html
    assert len(html) < 1_000_000


# -------------------------------------------------------------------------------------------- self-contained


@pytest.mark.parametrize("make", [real_scan_result, hostile_scan_result], ids=["real", "hostile"])
def test_nothing_is_loaded_from_anywhere_and_links_come_from_rules_only(make: object) -> None:
    result = make()  # type: ignore[operator]
    html = render(result)
    page = Page(html)
    metas = [attrs for tag, attrs in page.tags if tag == "meta" and attrs.get("http-equiv")]
    assert metas == [{"http-equiv": "Content-Security-Policy", "content": CSP}]
    assert not any("src" in attrs for _, attrs in page.tags)
    assert "url(" not in html.lower() and "@import" not in html.lower() and "<link" not in html.lower()
    allowed = legal_urls(result)
    external = [(tag, href) for tag, href in page.hrefs() if not href.startswith("#")]
    assert all(tag == "a" for tag, _ in external)
    assert {href for _, href in external} <= allowed
    if make is real_scan_result:
        assert external, "the real report links its legal references"


def test_dataset_and_inventory_urls_are_never_links() -> None:
    page = Page(render(hostile_scan_result()))
    hrefs = {href for _, href in page.hrefs()}
    assert not any("attacker.invalid" in href or "db-ip.com" in href for href in hrefs)
    assert not any("outlook.office365.com" in href for href in hrefs)
    assert "https://db-ip.com" in page.all_text()


def test_templates_ship_in_the_package_and_never_mark_input_safe() -> None:
    folder = importlib.resources.files("residency_scan.reports") / "templates"
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".html"))
    assert "report.html" in names
    assert set(environment().list_templates()) >= set(names)
    for name in names:
        source = (folder / name).read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b|Markup\(|autoescape\s+false", source), name
        assert not re.search(r"https?://", source), name
    assert environment().autoescape("report.html") is True  # type: ignore[operator]


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="de"):
        HtmlReporter(lang="de")


# ---------------------------------------------------------------------------------------------------- language


def test_english_report_uses_english_labels_and_rule_texts() -> None:
    html = render(sample_scan_result(), "en")
    page = Page(html)
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert page.text_of("title") == "Data residency evidence report"
    text = page.all_text()
    for words in ("Executive summary", "Compliance matrix", "Legal reference", "Remediation", "Waivers"):
        assert words in text
    assert "The management tool 'supervision' runs in DE; the decree wants it in Morocco." in text
    assert "Synthèse" not in text and "Plan d'administration hors du Maroc" not in text


def test_french_report_uses_french_labels_and_rule_texts() -> None:
    html = render(sample_scan_result(), "fr")
    page = Page(html)
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"fr\">")
    assert page.text_of("title") == "Rapport de preuves de localisation des données"
    text = page.all_text()
    for words in ("Synthèse", "Matrice de conformité", "Référence juridique", "Remédiation", "Dérogations",
                  "Détail des actifs", "Force probante", "article incertain", "non conforme"):
        assert words in text
    assert "L'outil « supervision » tourne en DE ; le décret l'exige au Maroc." in text
    assert "Plan d'administration hors du Maroc" in text
    assert "Scanner en ligne, ou fournir une preuve qui fait foi (contrat)." in text
    assert "Executive summary" not in text and "Legal reference" not in text
    assert "Sur 6 actifs dans le périmètre des règles : 4 non conformes, 1 indéterminé, 1 conforme." in text


# ---------------------------------------------------------------------------------------------------- contents


def test_matrix_in_the_page_matches_a_recount_of_the_checks() -> None:
    result = real_scan_result()
    rows = Page(render(result)).rows["matrix-row"]
    matrix = compliance_matrix(result)
    assert matrix == result.matrix  # the scanner's own matrix, counted as assets streamed past
    assert len(rows) == len(matrix) >= 2
    for cells, row in zip(rows, matrix, strict=True):
        numbers = [int(cell) for cell in cells[2:7]]
        assert all(rule_id in cells[1] for rule_id in row.rules)
        assert row.article is not None and row.article in cells[0] and row.text in cells[0]
        # An asset counts once per row, with the worst outcome of the row's rules.
        worst: list[Outcome] = []
        for item in result.assets:
            applied = [c for c in item.checks if c.rule in row.rules and c.outcome is not Outcome.NOT_APPLICABLE]
            outcomes = [check.outcome for check in applied]
            if outcomes:
                worst.append(max(outcomes, key=lambda outcome: outcome.rank))
        expected = [len(worst), worst.count(Outcome.COMPLIANT), worst.count(Outcome.VIOLATION),
                    worst.count(Outcome.INDETERMINATE), 0]
        assert numbers == expected
    management = next(cells for cells, row in zip(rows, matrix, strict=True) if row.article == "art. 4")
    assert int(management[4]) > 0  # art. 4, the management plane: the example has violations there


@pytest.mark.parametrize("make", [real_scan_result, sample_scan_result, hostile_scan_result],
                         ids=["real", "sample", "hostile"])
def test_every_asset_and_every_finding_is_in_the_page(make: object) -> None:
    result: ScanResult = make()  # type: ignore[operator]
    page = Page(render(result))
    for number, item in enumerate(result.assets, start=1):
        assert page.texts_of_class("asset-id")[number - 1] == shown(item.id)
        assert f"asset-{number}" in page.by_id
    assert f"asset-{len(result.assets) + 1}" not in page.by_id
    assert len(page.rows["evidence-row"]) == sum(len(a.evidence) for a in result.assets)
    listed = Counter(zip(page.texts_of_class("rule-id"), page.texts_of_class("finding-asset"), strict=True))
    expected = Counter(
        (shown(f.rule), f"Asset: {shown(item.id)}")
        for item in result.assets
        for f in item.findings
    )
    assert listed == expected
    assert len(page.texts_of_class("finding")) == sum(expected.values())


def test_summary_counts_and_conclusion_of_a_real_scan() -> None:
    result = real_scan_result()
    page = Page(render(result))
    summary = result.summary
    assert page.text_of("count-assets") == str(summary.assets) == "13"
    assert page.text_of("count-violation") == str(summary.violation)
    assert page.text_of("count-indeterminate") == str(summary.indeterminate)
    assert page.text_of("count-waived") == str(summary.waived) == "0"
    assert page.text_of("count-compliant") == str(summary.compliant)
    assert page.text_of("count-not-applicable") == str(summary.not_applicable) == "1"
    assert page.text_of("headline").endswith("Not compliant")
    conclusion = page.text_of("conclusion")
    assert (f"Of 12 assets within the scope of the rules: {summary.violation} in violation, "
            f"{summary.indeterminate} indeterminate, {summary.compliant} compliant.") in conclusion
    assert "The scan ran offline" in conclusion
    assert page.text_of("inventory-sha256") == result.inventory.sha256


@pytest.mark.parametrize(
    ("verdicts", "headline"),
    [
        ((Outcome.COMPLIANT, Outcome.NOT_APPLICABLE), "Compliant on the evidence gathered"),
        ((Outcome.COMPLIANT, Outcome.INDETERMINATE), "Compliance not demonstrated"),
        ((Outcome.NOT_APPLICABLE,), "No asset within the scope of the rules"),
        ((), "The inventory lists no asset"),
    ],
)
def test_headline_is_the_worst_verdict(verdicts: tuple[Outcome, ...], headline: str) -> None:
    assets = [
        asset(f"a{i}", AssetKind.SERVER, v, located(LocationStatus.CONFIRMED, ("MA",), "x"), [])
        for i, v in enumerate(verdicts)
    ]
    page = Page(render(scan_result(assets, offline=False)))
    assert page.text_of("headline").endswith(headline)
    assert "offline" not in page.text_of("conclusion")


def test_evidence_is_listed_in_full_with_its_raw_answer_collapsed() -> None:
    result = real_scan_result()
    html = render(result)
    page = Page(html)
    details = [attrs for tag, attrs in page.tags if tag == "details"]
    assert details and all("open" not in attrs for attrs in details)
    raw = next(e.raw for a in result.assets for e in a.evidence if e.raw is not None)
    pretty = json.dumps(raw, indent=2, ensure_ascii=False)
    assert pretty in page.all_text()
    assert "@media print" in html and "::details-content" in html


def test_datasets_rule_packs_and_waivers_sections() -> None:
    result = real_scan_result()
    page = Page(render(result, "fr"))
    text = page.all_text()
    for source in result.data_sources:
        assert source.name in text and source.licence in text and source.version in text
    for pack in result.rule_packs:
        assert pack.sha256 in text and pack.version in text
    assert page.text_of("no-waivers").startswith("Aucune dérogation")
    assert "Maroc" in page.text_of("countries")


def test_same_result_gives_the_same_page() -> None:
    result = real_scan_result()
    first = render(result, "fr")
    assert HtmlReporter(lang="fr").render(result.model_copy(deep=True)) == first
    assert render(result, "fr") == first
    assert render(result, "en") != first


def test_findings_cite_their_legal_reference_and_flag_an_uncertain_article() -> None:
    page = Page(render(sample_scan_result()))
    sauvegardes = next(
        page.text_of(element) for element in page.by_id
        if element.startswith("finding-") and "sauvegardes" in page.text_of(element)
    )
    assert "Loi n° 05-20 relative à la cybersécurité, art. 11 article uncertain" in sauvegardes
    assert ("a", DECREE_ART_4.url) in page.hrefs()
