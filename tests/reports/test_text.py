"""`clean_terminal`: what a hostile string can and cannot do to the terminal that shows a report."""

from __future__ import annotations

import re

import pytest

from residency_scan.reports.text import ELLIPSIS, REPLACEMENT, clean_line, clean_terminal
from tests.reports import hostile

# Every character a terminal may act on: C0 (minus the whitespace handled apart), DEL, C1, bidi controls.
ACTIVE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def test_printable_unicode_is_kept_as_is() -> None:
    text = "Rabat – الرباط – 東京 – Décret n° 2-24-921 – 👩‍💻 – \u200e"
    assert clean_terminal(text) == text


def test_osc8_hyperlink_loses_its_target_and_stays_visible_as_replaced() -> None:
    assert clean_terminal(hostile.OSC8_LINK) == f"{REPLACEMENT}click{REPLACEMENT}"


def test_colour_and_clear_screen_sequences_are_replaced_whole() -> None:
    assert clean_terminal(hostile.CLEAR_SCREEN) == f"{REPLACEMENT}{REPLACEMENT}red{REPLACEMENT}"


def test_eight_bit_c1_introducers_are_replaced_with_their_payload() -> None:
    cleaned = clean_terminal(hostile.C1_CSI)
    assert cleaned == f"{REPLACEMENT}C1{REPLACEMENT}"
    assert "title" not in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "\x1b]8;;http://x.example",  # OSC never terminated
        "\x1b[31",  # CSI cut before its final byte
        "\x1b",
        "a\x1bPqpayload",  # DCS never terminated
        "\x1b\x1b[[",
    ],
)
def test_unterminated_sequences_leave_no_escape_behind(text: str) -> None:
    cleaned = clean_terminal(text)
    assert "\x1b" not in cleaned
    assert REPLACEMENT in cleaned


def test_dcs_and_apc_strings_are_replaced_with_their_payload() -> None:
    assert clean_terminal("a\x1bPq#0;2;0;0;0\x1b\\b\x1b_secret\x1b\\c") == f"a{REPLACEMENT}b{REPLACEMENT}c"


def test_every_control_character_is_neutralised() -> None:
    bidi = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    every = "".join(chr(code) for code in range(0xA0)) + bidi
    cleaned = clean_terminal(every, max_len=1000)
    assert ACTIVE.search(cleaned) is None
    assert "ABCDEFGHIJKLMNOPQRSTUVWXYZ" in cleaned  # printable ASCII survives, in order


def test_bidi_override_cannot_reorder_a_country_code() -> None:
    assert clean_terminal(hostile.BIDI_OVERRIDE) == f"MA{REPLACEMENT}AF"


def test_nul_and_del_are_replaced() -> None:
    assert clean_terminal(hostile.NUL) == f"nul{REPLACEMENT}byte{REPLACEMENT}"


def test_lone_surrogate_from_an_undecodable_file_name_is_replaced() -> None:
    cleaned = clean_terminal("inventaire-\udcff.yaml")
    assert cleaned == f"inventaire-{REPLACEMENT}.yaml"
    cleaned.encode("utf-8")  # would raise on a surrogate


def test_line_breaks_become_spaces_on_a_single_line() -> None:
    assert clean_terminal("a\nb\r\nc\rd\u2028e\x0bf\tg") == "a b c d e f g"


def test_line_breaks_are_kept_in_multiline_prose() -> None:
    assert clean_terminal("a\nb\r\nc\u2029d", multiline=True) == "a\nb\nc\nd"


def test_long_strings_are_cut_and_say_so() -> None:
    cleaned = clean_terminal("x" * 1000, max_len=50)
    assert cleaned == "x" * 50 + f"{ELLIPSIS} (truncated)"


def test_a_string_exactly_at_the_limit_is_not_cut() -> None:
    assert clean_terminal("x" * 50, max_len=50) == "x" * 50


def test_huge_string_costs_only_its_bounded_head() -> None:
    cleaned = clean_terminal("\x1b[31m" * 2_000_000, max_len=10)
    assert cleaned.endswith("(truncated)")
    assert len(cleaned) < 40


def test_sequences_removed_first_do_not_count_against_the_limit() -> None:
    assert clean_terminal("\x1b[31m" * 5 + "abc", max_len=8) == REPLACEMENT * 5 + "abc"


def test_max_len_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_len"):
        clean_terminal("x", max_len=0)


def test_clean_line_shows_a_placeholder_for_missing_values() -> None:
    assert clean_line(None) == "-"
    assert clean_line("") == "-"
    assert clean_line(None, missing="?") == "?"
    assert clean_line("a\x1b[1mb") == f"a{REPLACEMENT}b"
