"""Strings an attacker could plant in an inventory, a DNS or RDAP answer, a dataset or a rule pack."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from residency_scan.models import (
    AccessLogRef,
    AccessRecord,
    AssetKind,
    AssetResult,
    DataSource,
    Deadline,
    LegalReference,
    LocationStatus,
    Outcome,
    RuleCheck,
    RulePackRef,
    Severity,
    SourceRef,
    Strength,
    Subcontractor,
    SubcontractorRole,
    WaiverRef,
    WaiverStatus,
    WaiverStatusKind,
)
from tests.reports.builders import GEOIP, RULE_PACK, asset, evidence, finding, located

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


# ------------------------------------------------------------------------------- what schema 1.1 added

HOSTILE_WAIVER = WaiverRef(id=MARKUP, owner=HTML, reason=OSC8_LINK + FAKE_SUMMARY,
                           reference=CLEAR_SCREEN, expires=date(2026, 1, 1))


def hostile_decree_assets() -> tuple[AssetResult, ...]:
    """An asset whose waiver, access records, facts and subcontractors all carry hostile strings."""
    return (
        asset(
            HTML + "-waived",
            AssetKind.SAAS,
            Outcome.WAIVED,
            located(LocationStatus.UNKNOWN, (), BIDI_OVERRIDE),
            [],
            target=HTML,
            line=60,
            checks=[RuleCheck(rule=MARKUP, outcome=Outcome.VIOLATION, reason=C1_CSI,
                              waiver=HOSTILE_WAIVER.id)],
            findings=[
                finding(MARKUP, Outcome.VIOLATION, Severity.HIGH,
                        LegalReference(text=HTML, url="javascript:alert(1)"),
                        title=HTML, title_fr=HTML, message=FAKE_SUMMARY,
                        message_fr=FAKE_SUMMARY, reason=OSC8_LINK, waiver=HOSTILE_WAIVER),
            ],
            access=(
                AccessRecord(user=HTML + OSC8_LINK, source_ip=C1_CSI, method=MARKUP,
                             first_seen=datetime(2025, 9, 1), last_seen=datetime(2025, 9, 2), count=2,
                             log=SourceRef(path=CLEAR_SCREEN, line=1), country=BIDI_OVERRIDE,
                             reason=FAKE_SUMMARY),
            ),
            personal_data=True,
            cndp_authorisation=HTML + CLEAR_SCREEN,
            subcontractors=(Subcontractor(name=HTML + OSC8_LINK, country=NUL,
                                          role=SubcontractorRole.OTHER, data_access=True),),
        ),
    )


class DecreeExtras(NamedTuple):
    waivers: tuple[WaiverStatus, ...]
    rule_packs: tuple[RulePackRef, ...]
    data_sources: tuple[DataSource, ...]
    access_logs: tuple[AccessLogRef, ...]


def hostile_decree_extras() -> DecreeExtras:
    """Hostile waiver statuses (one per status), a deadline, a dataset note and an access log."""
    statuses = tuple(
        WaiverStatus(id=f"{MARKUP}-{kind.value}", asset=HTML, rule=OSC8_LINK,
                     owner=HTML, reason=FAKE_SUMMARY + C1_CSI, reference=CLEAR_SCREEN,
                     created=date(2025, 1, 1), expires=date(2025, 12, 1), status=kind,
                     problems=(HTML, OSC8_LINK), covered=(HTML + " " + MARKUP,),
                     days_left=5, source=SourceRef(path=CLEAR_SCREEN + BIDI_OVERRIDE, line=2))
        for kind in WaiverStatusKind
    )
    deadline = Deadline(date=date(2027, 8, 21), label=HTML + OSC8_LINK, label_fr=C1_CSI,
                        reference=LegalReference(text=HTML, article=CLEAR_SCREEN, url="javascript:alert(1)"),
                        uncertain=True)
    pack = RulePackRef(id=MARKUP, title=HTML, title_fr=CLEAR_SCREEN, version="1",
                       path=NUL, sha256="0" * 64, deadline=deadline)
    note = DATASET.model_copy(update={"note": HTML + OSC8_LINK})
    log = AccessLogRef(path=CLEAR_SCREEN, sha256=HTML, format=MARKUP, events=1,
                       attributed=1, unmatched=(HTML, OSC8_LINK))
    return DecreeExtras(waivers=statuses, rule_packs=(RULE_PACK, pack), data_sources=(GEOIP, note),
                        access_logs=(log,))
