"""Every string from outside goes through every format without taking over a terminal, a page or a parser."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from markdown_it import MarkdownIt

from residency_scan.reports import ReportFormat, get_reporter
from tests.reports import hostile
from tests.reports.factories import hostile_scan_result

TERMINAL_ACTIVE = ("\x1b", "\x9b", "\x07", "\u202e", "\x00")


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_no_format_lets_a_terminal_escape_or_bidi_override_through(fmt: ReportFormat) -> None:
    output = get_reporter(fmt).render(hostile_scan_result())
    text = output.decode("utf-8") if isinstance(output, bytes) else output
    for char in TERMINAL_ACTIVE:
        assert char not in text, f"{fmt}: raw {char!r} in the output"


def test_html_never_emits_an_input_script_tag() -> None:
    text = str(get_reporter(ReportFormat.HTML).render(hostile_scan_result()))
    assert hostile.HTML not in text
    assert "<script" not in text.lower()


def test_markdown_rendered_with_raw_html_allowed_has_no_script_tag() -> None:
    source = str(get_reporter(ReportFormat.MARKDOWN).render(hostile_scan_result()))
    page = MarkdownIt("commonmark", {"html": True}).enable("table").render(source)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page, "the hostile text is shown, as text"


@pytest.mark.parametrize("fmt", [ReportFormat.JSON, ReportFormat.SARIF])
def test_json_formats_parse_and_keep_the_hostile_text_as_data(fmt: ReportFormat) -> None:
    document = json.loads(get_reporter(fmt).render(hostile_scan_result()))
    assert hostile.HTML in json.dumps(document, ensure_ascii=False)


def test_junit_parses_as_xml_with_hostile_text() -> None:
    root = ET.fromstring(str(get_reporter(ReportFormat.JUNIT).render(hostile_scan_result())))
    assert root.tag == "testsuites"
