"""Wording for inventory errors: "did you mean …?" and showing a user's value without trusting it.

A typo must be answered with the fix, not just refused. And since error messages end up on terminals, in
HTML and in XML, a value quoted back to the user is escaped and shortened first: an inventory line holding
ANSI escapes or a megabyte of text must not repaint the terminal or flood the report.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

#: How much of a user's value is quoted back in a message.
SHOWN_LENGTH = 60


def normalise_choice(value: str) -> str:
    """The spelling under which choices are compared: case-insensitive, '_' and ' ' read as '-'."""
    return value.strip().lower().replace("_", "-").replace(" ", "-")


def closest(value: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The choice closest to a mistyped `value`, compared case-insensitively, or None if none is close.

    A choice that starts with what the user wrote ('mgmt' → nothing, 'manage' → 'management-tool') or
    shares its first letters wins over fuzzy ratios, which undervalue abbreviations.
    """
    wanted = normalise_choice(value)
    if not wanted:
        return None
    by_key = {normalise_choice(choice): choice for choice in choices}
    if wanted in by_key:
        return by_key[wanted]
    prefixed = [key for key in by_key if len(wanted) >= 3 and key.startswith(wanted)]
    if len(prefixed) == 1:
        return by_key[prefixed[0]]
    matches = difflib.get_close_matches(wanted, list(by_key), n=1, cutoff=cutoff)
    if matches:
        return by_key[matches[0]]
    initials = [key for key in by_key if _abbreviates(wanted, key)]
    if len(initials) == 1:
        return by_key[initials[0]]
    return None


def did_you_mean(value: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """A hint such as "did you mean 'sensitivity'?", or None when nothing is close enough to suggest."""
    match = closest(value, choices, cutoff=cutoff)
    return None if match is None else f"did you mean '{match}'?"


def one_of(choices: Iterable[str]) -> str:
    """'one of: a, b, c' — the list that follows a refusal when no suggestion is close."""
    return "one of: " + ", ".join(choices)


def shown(value: object, limit: int = SHOWN_LENGTH) -> str:
    """`value` quoted for an error message: non-printable characters escaped, long values cut."""
    return f"'{printable(value, limit)}'"


def printable(value: object, limit: int = SHOWN_LENGTH) -> str:
    """`value` as text safe to print: non-printable characters escaped, cut after `limit` characters."""
    text = value if isinstance(value, str) else repr(value)
    cut = len(text) > limit
    if cut:
        text = text[:limit]
    if not text.isprintable():
        text = "".join(char if char.isprintable() else _escape(char) for char in text)
    return f"{text}…" if cut else text


def describe_type(value: object) -> str:
    """What a YAML value is, in the words a user knows: 'a list', 'a number', 'true/false'."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bytes):
        return "binary data"
    if value is None:
        return "empty"
    return "a date" if type(value).__name__ in {"date", "datetime"} else type(value).__name__


_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _abbreviates(short: str, long: str) -> bool:
    """Whether `short` is an abbreviation of `long` word by word: 'mgmt-tool' of 'management-tool'."""
    short_words, long_words = short.split("-"), long.split("-")
    if len(short_words) != len(long_words):
        return False
    return all(
        word and _is_subsequence(word, full) and word[0] == full[0]
        for word, full in zip(short_words, long_words, strict=True)
    )


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(char in letters for char in short)
