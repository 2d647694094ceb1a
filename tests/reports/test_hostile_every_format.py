"""Every string from outside goes through every format without taking over a terminal, a page or a parser."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from markdown_it import MarkdownIt

from residency_scan.reports import ReportFormat, get_reporter
from tests.reports import hostile
from tests.reports.factories import hostile_scan_result
from tests.reports.factories_decree import hostile_decree_scan_result

HOSTILE = [hostile_scan_result, hostile_decree_scan_result]
"""The hostile sample, and the same with hostile waivers, access records, facts, deadline and notes (1.1)."""

TERMINAL_ACTIVE = ("\x1b", "\x9b", "\x07", "\u202e", "\x00")


@pytest.mark.parametrize("make", HOSTILE)
@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_no_format_lets_a_terminal_escape_or_bidi_override_through(fmt: ReportFormat, make: Any) -> None:
    output = get_reporter(fmt).render(make())
    text = output.decode("utf-8") if isinstance(output, bytes) else output
    for char in TERMINAL_ACTIVE:
        assert char not in text, f"{fmt}: raw {char!r} in the output"


@pytest.mark.parametrize("make", HOSTILE)
def test_html_never_emits_an_input_script_tag(make: Any) -> None:
    text = str(get_reporter(ReportFormat.HTML).render(make()))
    assert hostile.HTML not in text
    assert "<script" not in text.lower()


@pytest.mark.parametrize("make", HOSTILE)
def test_markdown_rendered_with_raw_html_allowed_has_no_script_tag(make: Any) -> None:
    source = str(get_reporter(ReportFormat.MARKDOWN).render(make()))
    page = MarkdownIt("commonmark", {"html": True}).enable("table").render(source)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page, "the hostile text is shown, as text"


@pytest.mark.parametrize("make", HOSTILE)
@pytest.mark.parametrize("fmt", [ReportFormat.JSON, ReportFormat.SARIF])
def test_json_formats_parse_and_keep_the_hostile_text_as_data(fmt: ReportFormat, make: Any) -> None:
    document = json.loads(get_reporter(fmt).render(make()))
    assert hostile.HTML in json.dumps(document, ensure_ascii=False)


@pytest.mark.parametrize("make", HOSTILE)
def test_junit_parses_as_xml_with_hostile_text(make: Any) -> None:
    root = ET.fromstring(str(get_reporter(ReportFormat.JUNIT).render(make())))
    assert root.tag == "testsuites"
