"""Reporters: turn one `ScanResult` into one output format. They never resolve, judge or print.

`get_reporter(ReportFormat.CONSOLE, color=..., width=..., lang=...)` is how the CLI builds one. Presentation
options are given uniformly: each format takes the ones it understands and ignores the other formats'
ones, but an option no format knows is a `TypeError`, so a typo cannot pass silently.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

from residency_scan.reports.console import ConsoleReporter
from residency_scan.reports.html import HtmlReporter
from residency_scan.reports.interface import Reporter
from residency_scan.reports.json import JsonReporter
from residency_scan.reports.junit import JUnitReporter
from residency_scan.reports.markdown import MarkdownReporter
from residency_scan.reports.sarif import SarifReporter

__all__ = ["ConsoleReporter", "HtmlReporter", "JUnitReporter", "JsonReporter", "MarkdownReporter", "ReportFormat",
           "Reporter", "SarifReporter", "get_reporter"]


class ReportFormat(enum.StrEnum):
    CONSOLE = "console"
    JSON = "json"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    HTML = "html"


# format -> (factory, the options it accepts)
_REPORTERS: Mapping[ReportFormat, tuple[Callable[..., Reporter], frozenset[str]]] = {
    ReportFormat.CONSOLE: (ConsoleReporter, frozenset({"color", "width", "lang"})),
    ReportFormat.JSON: (JsonReporter, frozenset()),
    ReportFormat.SARIF: (SarifReporter, frozenset()),
    ReportFormat.JUNIT: (JUnitReporter, frozenset()),
    ReportFormat.MARKDOWN: (MarkdownReporter, frozenset({"lang", "fail_on", "failed"})),
    ReportFormat.HTML: (HtmlReporter, frozenset({"lang"})),
}


def get_reporter(fmt: ReportFormat | str, **options: Any) -> Reporter:
    """The reporter for `fmt`, built with the options it accepts. Unknown format: `ValueError`."""
    factory, accepted = _REPORTERS[ReportFormat(fmt)]
    known = frozenset().union(*(names for _, names in _REPORTERS.values()))
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"unknown reporter option(s): {', '.join(unknown)}")
    return factory(**{name: value for name, value in options.items() if name in accepted})
