"""Make untrusted strings safe to show to a human.

Asset ids, targets, descriptions, DNS answers, GeoIP city names and even rule messages reach the reports from
files and networks we do not control. Printed raw to a terminal, an escape sequence can recolour or hide
lines, forge a hyperlink (OSC 8), retitle the window or, on old terminals, write to the clipboard; a bidi
override can make "MA" read as "AM". An audit report that a hostile inventory can rewrite is worthless, so
every untrusted string goes through `clean_terminal` before any reporter that writes for a terminal uses it.

What is removed is *replaced* by `REPLACEMENT` (U+FFFD) rather than dropped: the reader sees that something
was there, and "ad\\x1bmin" cannot quietly become "admin".
"""

from __future__ import annotations

import json
import re
from typing import Any

import pydantic_core
from pydantic import BaseModel

from residency_scan.text_safety import ESCAPE_SEQUENCE, UNSAFE_CHARACTERS

REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"

DEFAULT_MAX_LEN = 300
"""Longest untrusted string shown in a report cell. The JSON output always keeps the full value."""

_ESCAPE_SEQUENCE = ESCAPE_SEQUENCE
# Tab and the line breaks are handled apart, below.
_UNSAFE_CHARACTER = re.compile(f"[{UNSAFE_CHARACTERS}]")

_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")


def clean_terminal(value: str, *, max_len: int = DEFAULT_MAX_LEN, multiline: bool = False) -> str:
    """Return `value` with every escape sequence and control character replaced, and bounded in length.

    Printable Unicode (accents, Arabic, CJK, emoji) is kept as is. A tab becomes a space. Line breaks become
    a space, or "\\n" with `multiline=True` (rule messages written as YAML block scalars). Past `max_len`
    characters the rest is cut and the cut is said, so a truncated target cannot pass for a whole one.
    """
    if max_len < 1:
        raise ValueError(f"max_len must be at least 1, not {max_len}")
    # NOTE: cut before scanning so a 100 MB string costs no more than a long one. A sequence cut in
    # half leaves a lone ESC, which the character pass below replaces.
    budget = max_len * 4 + 64
    head = value[:budget]
    cleaned = _ESCAPE_SEQUENCE.sub(REPLACEMENT, head)
    cleaned = _LINE_BREAK.sub("\n" if multiline else " ", cleaned)
    cleaned = cleaned.replace("\t", " ")
    cleaned = _UNSAFE_CHARACTER.sub(REPLACEMENT, cleaned)
    if len(cleaned) > max_len or len(value) > budget:
        return f"{cleaned[:max_len]}{ELLIPSIS} (truncated)"
    return cleaned


def clean_line(value: str | None, *, max_len: int = DEFAULT_MAX_LEN, missing: str = "-") -> str:
    """`clean_terminal` for an optional single-line field, with a visible placeholder for a missing one."""
    if value is None or value == "":
        return missing
    return clean_terminal(value, max_len=max_len)


# NOTE: json.dumps and pydantic escape C0 controls and quotes; with non-ASCII output they leave everything
# else raw. These are the characters that, raw, can still act on a terminal or a browser.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def dump_json_text(document: Any) -> str:
    """`document` (plain JSON-able values) as indented, inert JSON text, serialised by pydantic-core (fast)."""
    try:
        text = pydantic_core.to_json(document, indent=2).decode("utf-8")
    except (pydantic_core.PydanticSerializationError, UnicodeDecodeError):  # a lone surrogate: the slow path
        text = json.dumps(document, indent=2, ensure_ascii=False)
    return inert_json(text)


def dump_model_text(model: BaseModel, *, exclude: set[str] | None = None) -> str:
    """A model as indented, inert JSON text, exactly as the JSON report writes models."""
    try:
        text = model.model_dump_json(indent=2, exclude=exclude)
    except pydantic_core.PydanticSerializationError:  # a lone surrogate (undecodable file name)
        text = json.dumps(model.model_dump(mode="json", exclude=exclude), indent=2, ensure_ascii=False)
    return inert_json(text)


def inert_json(text: str) -> str:
    """JSON text made safe to `cat` or paste: terminal-active characters become \\uXXXX escapes (a JSON parser
    gives back the exact string), and lone surrogates, which strict parsers refuse, become U+FFFD."""
    return _JSON_UNSAFE.sub(_escape_json_char, text)


def _escape_json_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return "\N{REPLACEMENT CHARACTER}" if 0xD800 <= code < 0xE000 else f"\\u{code:04x}"
