"""`render_diff`: one `ResultDiff` to console text, JSON or Markdown. Formats return a string; the CLI writes it.

The JSON form is the diff's contract for machines: `ResultDiff` field for field, deterministic (keys in model
order, lists in inventory order), date-times in UTC ending in "Z", and the characters that could act on a
terminal or a page written as \\uXXXX escapes, as in the scan result's JSON.
"""

from __future__ import annotations

import enum

from residency_scan.diff.console import render_console
from residency_scan.diff.labels import DIFF_LABELS
from residency_scan.diff.markdown import render_markdown
from residency_scan.diff.model import ResultDiff
from residency_scan.reports.markdown import MAX_COMMENT_CHARS
from residency_scan.reports.text import dump_model_text

__all__ = ["DEFAULT_MAX_ITEMS", "DiffFormat", "render_diff", "render_json"]

DEFAULT_MAX_ITEMS = 200
"""Entries listed per section of the console and Markdown diffs; the rest is counted. The JSON has them all."""


class DiffFormat(enum.StrEnum):
    CONSOLE = "console"
    JSON = "json"
    MARKDOWN = "markdown"


def render_diff(
    diff: ResultDiff,
    fmt: DiffFormat | str,
    *,
    color: bool = False,
    width: int = 120,
    lang: str = "en",
    max_items: int | None = DEFAULT_MAX_ITEMS,
    max_chars: int = MAX_COMMENT_CHARS,
) -> str:
    """The diff in `fmt`. `color` and `width` concern the console only, `max_chars` Markdown only (GitHub's
    comment limit by default); `lang` and `max_items` (entries listed per section, None for all) both. The JSON
    is always complete.

    An unknown format or language, a `max_items` below 1 or a `max_chars` below 8192 is a `ValueError`.
    """
    chosen = DiffFormat(fmt)
    if lang not in DIFF_LABELS:
        raise ValueError(f"unsupported report language {lang!r}; choose one of {', '.join(DIFF_LABELS)}")
    if max_items is not None and max_items < 1:
        raise ValueError(f"max_items must be at least 1 (or None for all), not {max_items}")
    if chosen is DiffFormat.CONSOLE:
        return render_console(diff, color=color, width=width, lang=lang, max_items=max_items)
    if chosen is DiffFormat.MARKDOWN:
        return render_markdown(diff, DIFF_LABELS[lang], max_items=max_items, max_chars=max_chars)
    return render_json(diff)


def render_json(diff: ResultDiff) -> str:
    return dump_model_text(diff) + "\n"
