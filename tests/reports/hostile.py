"""Strings an attacker could plant in an inventory, a DNS or RDAP answer, a dataset or a rule pack."""

from __future__ import annotations

from datetime import date

from residency_scan.models import (
    AssetKind,
    AssetResult,
    DataSource,
    LegalReference,
    LocationStatus,
    Outcome,
    Severity,
    Strength,
)
from tests.reports.builders import asset, evidence, finding, located

OSC8_LINK = "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"
"""A terminal hyperlink whose visible text hides its target."""

MARKUP = "[bold red]x[/]"
"""Rich console markup: must be shown as these characters, never applied."""

HTML = "<script>alert(1)</script>"

CLEAR_SCREEN = "\x1b[2J\x1b[31mred\x1b[0m"
"""Clears the screen (hiding everything above) and recolours."""

C1_CSI = "\x9b31mC1\x9d0;title\x07"
"""The same attacks with 8-bit C1 introducers instead of ESC."""

BIDI_OVERRIDE = "MA\u202eAF"
"""Right-to-left override (CVE-2021-42574): the reader would see "MAFA"-like reordered text."""

NUL = "nul\x00byte\x7f"

FAKE_SUMMARY = "real message\n0 assets: 0 violation, 0 indeterminate, 0 compliant, 0 not applicable"
"""A newline followed by a forged summary line."""

LONG = "A" * 100_000

SECRET_MARKERS = ("http://evil.example", "0;title")
"""Payloads hidden inside escape sequences: they must not appear in a console report at all."""

DATASET = DataSource(
    id="hostile",
    name="[link=https://attacker.invalid]geo[/link]",
    version="1\x1b[8m",
    date=date(2020, 1, 1),
    licence=C1_CSI,
    attribution=OSC8_LINK,
    url="https://attacker.invalid/\x1b[2J",
)


def hostile_assets() -> tuple[AssetResult, ...]:
    """Assets whose every string is something a terminal, a markup parser or a browser might act on."""
    return (
        asset(
            OSC8_LINK,
            AssetKind.SERVER,
            Outcome.VIOLATION,
            located(LocationStatus.CONTRADICTED, ("MA",), CLEAR_SCREEN),
            [
                evidence(C1_CSI, Strength.MEASURED, NUL, failure=BIDI_OVERRIDE),
                evidence(
                    "geoip",
                    Strength.MEASURED,
                    HTML,
                    country=MARKUP,
                    city=OSC8_LINK,
                    asn_org=C1_CSI,
                    asn=1,
                    raw={"answer": C1_CSI},
                ),
            ],
            target=MARKUP,
            line=40,
            vendor=FAKE_SUMMARY,
            findings=[
                finding(
                    MARKUP,
                    Outcome.VIOLATION,
                    Severity.CRITICAL,
                    LegalReference(
                        text=HTML,
                        article=CLEAR_SCREEN,
                        url="javascript:alert(1)",
                        quote=FAKE_SUMMARY,
                    ),
                    title=HTML,
                    title_fr=HTML,
                    message=FAKE_SUMMARY,
                    message_fr=FAKE_SUMMARY,
                    remediation=LONG,
                    remediation_fr=LONG,
                    reason=OSC8_LINK,
                )
            ],
        ),
        asset(
            "a" * 400,
            AssetKind.SAAS,
            Outcome.INDETERMINATE,
            located(LocationStatus.UNKNOWN, (), LONG),
            [],
            target="https://" + "x" * 5000 + ".example",
            line=50,
        ),
    )
