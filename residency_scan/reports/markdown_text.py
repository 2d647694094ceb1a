"""Markdown that renders as exactly the characters given: escaping for CI comments and job summaries.

A comment is rendered by a forge (GitHub, GitLab) that turns more than Markdown into markup: raw HTML, bare URLs,
`@user` mentions, `#123` and `!12` references. Every untrusted string (asset ids, targets, reasons, dataset
names, even rule texts) therefore goes through `markdown_escape`, `markdown_cell` or `html_text`, which:
- replace escape sequences, control and bidi characters (`clean_terminal`), and bound the length;
- collapse line breaks, so no input can start a heading, a list, a table row or an HTML block;
- backslash-escape every ASCII punctuation character Markdown, GFM or GitLab give a meaning to, so no input
  can open a link, an image, emphasis, a code span, an inline HTML tag, an entity or a table cell;
- put a ZERO WIDTH SPACE after `@ # ! ~ % $ ^ &` before a word character and inside `://` and `www.`:
  mentions, references and autolinks are found by forges *after* Markdown is rendered, where a backslash no
  longer exists (the trick Renovate uses for release notes). The text still reads the same.
Links are made only from `safe_link_url`: http(s) URLs, percent-encoded.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit

from residency_scan.reports.text import clean_terminal

MAX_COMMENT_CHARS = 65_536
"""GitHub's limit for the body of an issue or pull-request comment (GitLab allows 1,000,000)."""

PROSE_LEN = 2000
CELL_LEN = 200
ZWSP = "\N{ZERO WIDTH SPACE}"

_MARKDOWN_PUNCTUATION = re.compile(r"[\\`*_\[\](){}<>#+\-.!|&~:@$%^=]")
_REFERENCE_SIGIL = re.compile(r"([@#!~%$^&])(?=\w)")
_SCHEME_SEPARATOR = re.compile("://")
_WWW = re.compile(r"(?i)(www)\.")
_BLANKS = re.compile(r"\s+")


def markdown_escape(text: str | None, *, max_len: int = PROSE_LEN, missing: str = "") -> str:
    """`text` as inert Markdown on one line: it renders as exactly these characters (see module docstring)."""
    if text is None or text == "":
        return missing
    defused = _defuse(_one_line(text, max_len))
    return _MARKDOWN_PUNCTUATION.sub(lambda m: "\\" + m.group(), defused)


def markdown_cell(text: str | None, *, max_len: int = CELL_LEN, missing: str = "—") -> str:
    """`markdown_escape` for a GFM table cell: one line, `|` escaped, a visible placeholder when empty."""
    return markdown_escape(text, max_len=max_len, missing=missing)


def html_text(text: str | None, *, max_len: int = CELL_LEN, missing: str = "") -> str:
    """`text` for an HTML block such as `<summary>`, where Markdown is not processed but forges still link."""
    if text is None or text == "":
        return missing
    return html.escape(_defuse(_one_line(text, max_len)), quote=True)


def safe_link_url(url: str | None) -> str | None:
    """An http(s) URL, percent-encoded so it cannot end the link early; None for anything else."""
    if not url or len(url) > 2000:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    # NOTE: "%" stays so an already-encoded URL is not encoded twice; "(", ")", "<", ">" and blanks are encoded.
    return quote(url.strip(), safe="/:?#=&%+,;@!$'*-._~", errors="replace")


def _one_line(text: str, max_len: int) -> str:
    return _BLANKS.sub(" ", clean_terminal(text, max_len=max_len)).strip()


def _defuse(text: str) -> str:
    text = _REFERENCE_SIGIL.sub(rf"\1{ZWSP}", text)
    text = _SCHEME_SEPARATOR.sub(f":{ZWSP}//", text)
    return _WWW.sub(rf"\1{ZWSP}.", text)


def comment_length(text: str) -> int:
    """Length as a browser counts it (UTF-16 code units), never less than the number of characters."""
    return len(text.encode("utf-16-le")) // 2
