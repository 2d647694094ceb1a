"""Making text from remote servers (registries, WHOIS) safe to keep as evidence and to show.

Whatever a registry returns may carry terminal escape sequences, control characters, bidi overrides or HTML;
evidence is shown on terminals and in HTML reports, so every string is cleaned and cut to a fixed length
before it is stored. What is removed is replaced by a space rather than dropped, so "ad\\x1bmin" cannot
become "admin".
"""

from __future__ import annotations

import re

from residency_scan.inventory.countries import ISO_3166_ALPHA2
from residency_scan.text_safety import ESCAPE_SEQUENCE, UNSAFE_CHARACTERS

MAX_TEXT = 200
"""Longest single registry string kept in evidence."""

_ESCAPE_SEQUENCE = ESCAPE_SEQUENCE
_HTML_TAG = re.compile(r"<[^<>]{0,200}>")
_UNSAFE_CHARACTER = re.compile(f"[{UNSAFE_CHARACTERS}\x09-\x0d]")  # one-line values: breaks go too
_UNSAFE_IN_TEXT = re.compile(f"[{UNSAFE_CHARACTERS}\x09\x0b-\x0d]")  # multi-line answers keep \n
_COUNTRY = re.compile(r"[A-Z]{2}")


def sanitise(value: object, max_len: int = MAX_TEXT) -> str | None:
    """One registry string made safe to store and show: no escape sequence, control character or HTML tag."""
    if not isinstance(value, str):
        return None
    text = value[: max_len * 4 + 64]
    text = _ESCAPE_SEQUENCE.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    text = _UNSAFE_CHARACTER.sub(" ", text)
    text = " ".join(text.split())
    if len(text) > max_len:
        text = text[:max_len] + "\N{HORIZONTAL ELLIPSIS}"
    return text or None


def sanitise_text(value: str, max_len: int) -> str:
    """A multi-line answer (a WHOIS record) made safe, keeping its lines: newlines stay, nothing else does."""
    text = value[: max_len * 2 + 64].replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPE_SEQUENCE.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    text = _UNSAFE_IN_TEXT.sub(" ", text)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    if len(text) > max_len:
        text = text[:max_len] + "\N{HORIZONTAL ELLIPSIS}"
    return text


def country_code(value: object) -> str | None:
    """A two-letter code in upper case, or None: a registry field is not trusted to be one."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if _COUNTRY.fullmatch(code) else None


def iso_country(value: object) -> str | None:
    """An officially assigned ISO 3166-1 code, or None (a WHOIS "EU" or "ZZ" places nothing)."""
    code = country_code(value)
    return code if code in ISO_3166_ALPHA2 else None
