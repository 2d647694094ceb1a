"""`render_diff` in its three formats: what a reader sees, hostile strings made inert, and stable output."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from residency_scan.diff import DiffFormat, ResultDiff, diff_results, render_diff
from residency_scan.models import AssetKind, LocationStatus, Outcome, Severity
from residency_scan.reports.markdown import ZWSP, comment_length
from tests.diff.goldens import assert_matches_golden
from tests.diff.scans import MINISTERE, edit, ministere, scan_file, scan_text
from tests.reports import hostile
from tests.reports.builders import DECREE_ART_4, GEOIP, asset, finding, located, part, scan_result
from tests.reports.factories import hostile_scan_result, sample_assets, sample_scan_result

# ------------------------------------------------------------------------------------------------- inputs


def sample_diff() -> ResultDiff:
    """Every section of a diff at once, from hand-built results (stable, for the golden files)."""
    old_assets = list(sample_assets())
    new_assets = list(sample_assets())
    by_id = {a.id: i for i, a in enumerate(new_assets)}
    console = new_assets[by_id["console-admin"]]
    new_assets[by_id["console-admin"]] = console.model_copy(update={
        "verdict": Outcome.VIOLATION,
        "findings": (console.findings[0].model_copy(update={"outcome": Outcome.VIOLATION}),),
        "location": located(LocationStatus.CONFIRMED, ("FR",), "measured FR",
                            part("admin.exemple.ma", LocationStatus.CONFIRMED, ("FR",), "geoip says FR")),
    })
    backups = new_assets[by_id["sauvegardes"]]
    new_assets[by_id["sauvegardes"]] = backups.model_copy(update={
        "verdict": Outcome.COMPLIANT, "findings": (), "cloud": backups.cloud and backups.cloud.model_copy(
            update={"provider": "oci", "region": "af-casablanca-1"}),
        "location": located(LocationStatus.CONFIRMED, ("MA",), "oci:af-casablanca-1 is in MA",
                            part("oci:af-casablanca-1", LocationStatus.CONFIRMED, ("MA",), "cloud region")),
    })
    del new_assets[by_id["messagerie"]]
    new_assets.append(asset(
        "crm", AssetKind.SAAS, Outcome.VIOLATION,
        located(LocationStatus.CONFIRMED, ("DE",), "aws:eu-central-1 is in DE"), [], target="https://crm.example",
        findings=[finding("MA-ADM-1", Outcome.VIOLATION, Severity.HIGH, DECREE_ART_4, title="Management plane "
                          "outside Morocco", title_fr="Plan d'administration hors du Maroc",
                          message="crm runs in DE.", message_fr="crm tourne en DE.", reason="DE is not MA")],
    ))
    return diff_results(scan_result(old_assets), scan_result(new_assets))


def hostile_diff() -> ResultDiff:
    """Hostile strings in every place a diff shows one: ids, rules, titles, subjects, targets, datasets, entity."""
    new = hostile_scan_result()
    target = new.assets[-2]  # the OSC 8 asset, a violation with a hostile finding
    before = target.model_copy(update={
        "verdict": Outcome.INDETERMINATE,
        "target": hostile.HTML,
        "vendor": hostile.BIDI_OVERRIDE,
        "findings": (target.findings[0].model_copy(update={"outcome": Outcome.INDETERMINATE}),),
        "location": located(LocationStatus.UNKNOWN, (), hostile.NUL,
                            part(hostile.C1_CSI, LocationStatus.UNKNOWN, (hostile.MARKUP,), hostile.OSC8_LINK)),
    })
    gone = asset(hostile.BIDI_OVERRIDE, AssetKind.SERVER, Outcome.VIOLATION,
                 located(LocationStatus.CONFIRMED, (hostile.CLEAR_SCREEN,), hostile.LONG), [],
                 target=hostile.OSC8_LINK, findings=[target.findings[0].model_copy(update={"rule": hostile.HTML})])
    old = scan_result((*sample_assets(), before, gone), offline=False, data_sources=(GEOIP,))
    return diff_results(old, new)


def diffs_with_hostile_strings() -> list[ResultDiff]:
    return [hostile_diff(), diff_results(sample_scan_result(), hostile_scan_result())]


# ------------------------------------------------------------------------------------------------- checks

_SGR = re.compile(r"\x1b\[[0-9;]*m")
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def assert_inert_for_a_terminal(text: str) -> None:
    assert not _UNSAFE.search(_SGR.sub("", text)), repr(_UNSAFE.search(_SGR.sub("", text)))
    for marker in hostile.SECRET_MARKERS:
        assert marker not in text
    assert not any(line.lstrip().startswith("0 assets") for line in text.splitlines()), "a forged line"


class _Tags(HTMLParser):
    """Tag names, attributes and table cells (as text) of rendered HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []
        self.rows: list[list[str]] = []
        self._in_cell = False

    @property
    def row_cells(self) -> list[int]:
        return [len(row) for row in self.rows]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += attrs
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.rows[-1].append("")
            self._in_cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.rows[-1][-1] += data


def markdown_html(text: str) -> str:
    """CommonMark with raw HTML allowed (the strictest test of our escaping) and GFM tables."""
    return str(MarkdownIt("commonmark").enable("table").render(text))


def tables(html: str) -> list[_Tags]:
    parsed = []
    for table in re.findall(r"<table>.*?</table>", html, re.DOTALL):
        tags = _Tags()
        tags.feed(table)
        parsed.append(tags)
    return parsed


# ------------------------------------------------------------------------------------------------- tests


def test_an_empty_diff_says_no_change_in_every_format() -> None:
    same = sample_scan_result()
    diff = diff_results(same, same)
    assert "No change." in render_diff(diff, "console")
    assert "Aucun changement." in render_diff(diff, "console", lang="fr")
    assert "No change\\." in render_diff(diff, "markdown")
    document = json.loads(render_diff(diff, "json"))
    assert document["new_findings"] == document["drift"] == []
    assert document["summary"]["unchanged_findings"] == 5


def test_every_section_reaches_the_console_in_order() -> None:
    text = render_diff(sample_diff(), DiffFormat.CONSOLE)
    titles = ["New findings (1)", "Worsened findings (1)", "Fixed findings (2)", "Verdict changes (2)",
              "Location drift (2)", "Added assets (1)", "Removed assets (1)", "Edited assets (1)"]
    positions = [text.index(title) for title in titles]
    assert positions == sorted(positions)
    assert "console-admin · indeterminate → violation" in text
    assert "admin.exemple.ma: ? (unknown) → FR (confirmed)" in text
    assert "messagerie · violation (asset removed)" in text
    assert "sauvegardes · violation (asset edited, see below)" in text
    assert "cloud resource: aws:eu-west-3 arn:aws:s3:::exemple-backups → oci:af-casablanca-1" in text
    assert text.rstrip().splitlines()[-1].startswith("Changes: new 1, worsened 1, fixed 2, unchanged 2")


@pytest.mark.parametrize(("fmt", "lang", "width", "golden"), [
    ("console", "en", 120, "console-en.txt"),
    ("console", "fr", 80, "console-fr-80.txt"),
    ("markdown", "en", 120, "markdown-en.md"),
    ("markdown", "fr", 120, "markdown-fr.md"),
    ("json", "en", 120, "diff.json"),
])
def test_rendering_matches_the_golden_files(fmt: str, lang: str, width: int, golden: str) -> None:
    assert_matches_golden(golden, render_diff(sample_diff(), fmt, lang=lang, width=width))


def test_colours_only_when_asked() -> None:
    plain = render_diff(sample_diff(), "console")
    coloured = render_diff(sample_diff(), "console", color=True)
    assert "\x1b[" not in plain
    assert "\x1b[" in coloured
    assert _SGR.sub("", coloured) == plain


@pytest.mark.parametrize("diff", diffs_with_hostile_strings())
@pytest.mark.parametrize("color", [False, True])
def test_hostile_strings_cannot_act_on_the_terminal(diff: ResultDiff, color: bool) -> None:
    for lang, width in (("en", 120), ("fr", 40)):
        text = render_diff(diff, "console", color=color, lang=lang, width=width)
        assert_inert_for_a_terminal(text)
        assert hostile.MARKUP in text.replace("\n", "")  # shown as characters, never applied as markup


def test_the_hostile_diff_reaches_every_section() -> None:
    diff = hostile_diff()
    summary = diff.summary
    # New findings with hostile strings come from the other diff (sample → hostile), whose assets are all new.
    assert (summary.new_findings, summary.fixed_findings, summary.worsened_findings) == (0, 1, 1)
    assert (summary.drifted_assets, summary.verdict_changes, summary.added_assets) == (1, 1, 1)
    assert (summary.removed_assets, summary.edited_assets) == (1, 1)
    assert [c.id for c in diff.source_changes] == ["hostile"]
    text = render_diff(diff, "console")
    assert "different entities" in text
    assert "different modes" in text


@pytest.mark.parametrize("diff", diffs_with_hostile_strings())
def test_hostile_strings_stay_text_in_markdown(diff: ResultDiff) -> None:
    text = render_diff(diff, "markdown")
    assert_inert_for_a_terminal(text)
    html = markdown_html(text)
    tags = _Tags()
    tags.feed(html)
    assert tags.tags <= {"h2", "h3", "p", "strong", "code", "table", "thead", "tbody", "tr", "th", "td", "ul", "li",
                         "blockquote"}, tags.tags
    assert tags.attributes == []  # no link, no image, no style: nothing from the input became markup
    assert "&lt;script&gt;" in html
    for table in tables(html):
        assert len(set(table.row_cells)) == 1, table.row_cells  # no injected "|" added a column


@pytest.mark.parametrize("name", ["`tick``s`", "a | b", "  spaced  out ", "<b>x</b>", "*x*", "x\\|y", "@team #12"])
def test_names_read_the_same_in_rendered_markdown(name: str) -> None:
    old = scan_result(())
    new = scan_result((asset(name, AssetKind.SERVER, Outcome.COMPLIANT,
                             located(LocationStatus.CONFIRMED, ("MA",), "ok"), []),))
    html = markdown_html(render_diff(diff_results(old, new), "markdown"))
    (added,) = tables(html)[1:]  # the first table says which scans are compared
    assert added.row_cells == [5, 5]
    assert added.rows[1][0].replace(ZWSP, "") == " ".join(name.split())


def test_json_round_trips_to_the_same_diff_and_is_inert() -> None:
    for diff in (sample_diff(), *diffs_with_hostile_strings()):
        text = render_diff(diff, "json")
        assert ResultDiff.model_validate_json(text) == diff
        assert not _UNSAFE.search(text.replace("\n", " ")), "raw control or bidi character in the JSON"
        assert text == render_diff(diff, "json")


def test_json_times_are_utc_with_z() -> None:
    document = json.loads(render_diff(sample_diff(), "json"))
    assert document["schema_version"] == "1.0"
    assert document["old"]["generated_at"] == "2025-09-15T08:30:00Z"


def test_real_scans_render_the_same_bytes_twice(tmp_path: Path) -> None:
    old = scan_file(MINISTERE, tmp_path / "old.json")
    text = edit(ministere(), "provider: oci, region: af-casablanca-1", "provider: aws, region: eu-west-3")
    new = scan_text(tmp_path, "new", text)
    for fmt in DiffFormat:
        first = render_diff(diff_results(old, new), fmt)
        assert first == render_diff(diff_results(old, new), fmt)
        assert "entrepot" in first


def many_added(count: int) -> ResultDiff:
    assets = tuple(asset(f"asset-{i:03d}", AssetKind.SERVER, Outcome.COMPLIANT,
                         located(LocationStatus.CONFIRMED, ("MA",), "ok"), [], target=f"10.0.{i // 250}.{i % 250}")
                   for i in range(count))
    return diff_results(scan_result(()), scan_result(assets))


def test_long_sections_are_counted_not_listed_on_the_console() -> None:
    text = render_diff(many_added(300), "console", max_items=10)
    assert "Added assets (300)" in text
    assert "asset-009" in text
    assert "asset-010" not in text
    assert "… and 290 more (the JSON diff lists them all)" in text
    assert len(json.loads(render_diff(many_added(300), "json"))["added_assets"]) == 300
    assert "asset-299" in render_diff(many_added(300), "console", max_items=None)


def test_markdown_fits_the_comment_budget_and_counts_what_it_left_out() -> None:
    text = render_diff(many_added(300), "markdown", max_items=None, max_chars=8192)
    assert comment_length(text) <= 8192
    (added,) = tables(markdown_html(text))[1:]
    listed = len(added.rows) - 1
    assert 10 < listed < 300
    assert f"… and {300 - listed} more \\(the JSON diff lists them all\\)" in text
    whole = render_diff(many_added(300), "markdown", max_items=None, max_chars=1_000_000)
    assert len(tables(markdown_html(whole))[1].rows) == 301
    assert "more" not in whole


def test_unknown_format_language_or_width_is_refused() -> None:
    diff = sample_diff()
    with pytest.raises(ValueError, match="html"):
        render_diff(diff, "html")
    with pytest.raises(ValueError, match="unsupported report language"):
        render_diff(diff, "markdown", lang="de")
    with pytest.raises(ValueError, match="width"):
        render_diff(diff, "console", width=10)
    with pytest.raises(ValueError, match="max_items"):
        render_diff(diff, "console", max_items=0)
    with pytest.raises(ValueError, match="max_chars"):
        render_diff(diff, "markdown", max_chars=1000)

