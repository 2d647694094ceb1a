"""`get_reporter`: every format the CLI offers can be built and renders a result."""

from __future__ import annotations

import pytest

from residency_scan.reports import ConsoleReporter, JsonReporter, ReportFormat, get_reporter
from tests.reports.factories import sample_scan_result


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_every_format_renders_a_result(fmt: ReportFormat) -> None:
    output = get_reporter(fmt).render(sample_scan_result())
    text = output.decode("utf-8") if isinstance(output, bytes) else output
    text = text.replace("\\", "")  # Markdown escapes punctuation: "MA\-ADM\-1"
    assert "supervision" in text
    assert "MA-ADM-1" in text


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_formats_accept_their_names_as_strings(fmt: ReportFormat) -> None:
    assert type(get_reporter(fmt.value)) is type(get_reporter(fmt))


def test_console_options_reach_the_reporter() -> None:
    reporter = get_reporter("console", color=True, width=80, lang="fr")
    assert isinstance(reporter, ConsoleReporter)
    assert (reporter.color, reporter.width, reporter.lang) == (True, 80, "fr")


def test_presentation_options_of_other_formats_are_ignored() -> None:
    assert isinstance(get_reporter(ReportFormat.JSON, color=True, width=80, lang="fr"), JsonReporter)


def test_an_option_no_format_knows_is_refused() -> None:
    with pytest.raises(TypeError, match="colour"):
        get_reporter(ReportFormat.CONSOLE, colour=True)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="yaml"):
        get_reporter("yaml")
