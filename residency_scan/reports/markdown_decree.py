"""The Markdown report's parts for what schema 1.1 added: deadlines, the compliance matrix, waivers, and per
asset the administrative access and the inventory facts the rules read.

Kept apart from `markdown.py`, which lays the report out and budgets its length: these parts are small and
bounded (one row per article), except the waivers table, whose rows the reporter budgets like the findings.
Every untrusted string goes through `markdown_escape` / `markdown_cell`, like everywhere in the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from residency_scan.gate import is_broken
from residency_scan.models import (
    AssetResult,
    Finding,
    LegalReference,
    MatrixRow,
    Outcome,
    ScanResult,
    WaiverStatusKind,
)
from residency_scan.reports.labels import Labels
from residency_scan.reports.labels_decree import DecreeLabels, attention_order, scan_day
from residency_scan.reports.markdown_text import CELL_LEN, markdown_cell, markdown_escape, safe_link_url
from residency_scan.reports.matrix import compliance_matrix

LISTED_PER_CELL = 3
"""Covered findings and problems named per waiver (a waiver for `*` may cover thousands); then "+N"."""


@dataclass(frozen=True)
class MatrixWords:
    matrix: str
    col_rules: str
    col_assessed: str
    unknown_pack: str
    more_waivers: str  # {count}


MATRIX_WORDS = {
    "en": MatrixWords(matrix="Compliance matrix", col_rules="Rules", col_assessed="Assessed",
                      unknown_pack="pack not recorded", more_waivers="{count} more waivers, see the full report."),
    "fr": MatrixWords(matrix="Matrice de conformité", col_rules="Règles", col_assessed="Évalués",
                      unknown_pack="référentiel non enregistré",
                      more_waivers="{count} dérogations de plus : voir le rapport complet."),
}


class DecreeMarkdown:
    """Renders the parts above in one language; `MarkdownReporter` places them."""

    def __init__(self, labels: Labels, decree: DecreeLabels) -> None:
        self.lab = labels
        self.dec = decree
        self.words = MATRIX_WORDS[labels.lang]

    def reference_link(self, reference: LegalReference) -> str:
        text = markdown_escape(reference.text, max_len=CELL_LEN)
        if reference.article:
            text += ", " + markdown_escape(reference.article, max_len=80)
        if reference.article_uncertain:
            text += f" ({self.lab.article_uncertain})"
        url = safe_link_url(reference.url)
        return f"[{text}]({url})" if url else text

    # -------------------------------------------------------------------------------------- header

    def deadline_lines(self, result: ScanResult) -> Iterator[str]:
        """A header bullet per pack with a deadline: the date, how far, and the legal reference."""
        today = scan_day(result.generated_at)
        for pack in result.rule_packs:
            if pack.deadline is None:
                continue
            words = markdown_escape(self.dec.deadline_words(pack, pack.deadline, today))
            reference = self.reference_link(pack.deadline.reference)
            yield f"- **{self.dec.deadlines}**{self.lab.colon}{words} — {reference}"

    def waiver_status_words(self, result: ScanResult) -> str:
        """ ", 2 waivers expired or invalid" for the status line (they fail the scan); empty when none is."""
        broken = [s for s in result.waivers if is_broken(s)]
        if not broken:
            return ""
        return f", {self.dec.count(len(broken), self.dec.broken_count)}"

    # -------------------------------------------------------------------------------------- matrix

    def matrix(self, result: ScanResult) -> Iterator[str]:
        """The matrix as a table: one row per article, counts of assets; nothing when no rule was checked."""
        rows = compliance_matrix(result)
        if not rows:
            return
        lab, words = self.lab, self.words
        outcomes = (Outcome.COMPLIANT, Outcome.VIOLATION, Outcome.INDETERMINATE, Outcome.WAIVED)
        yield f"## {words.matrix}"
        yield ""
        yield (f"| {lab.legal_reference} | {words.col_rules} | {words.col_assessed} | "
               + " | ".join(lab.outcome[o] for o in outcomes) + " |")
        yield "| --- | --- " + "| ---: " * 5 + "|"
        for row in rows:
            yield self._matrix_row(row)
        yield ""

    def _matrix_row(self, row: MatrixRow) -> str:
        reference = self.reference_link(LegalReference(text=row.text or self.lab.none, article=row.article,
                                                       article_uncertain=row.article_uncertain, url=row.url))
        pack = markdown_escape(row.pack, max_len=80) if row.pack is not None else self.words.unknown_pack
        rules = ", ".join(markdown_cell(rule, max_len=80) for rule in row.rules) or "—"
        counts = (row.assessed, row.compliant, row.violation, row.indeterminate, row.waived)
        return f"| {reference} ({pack}) | {rules} | " + " | ".join(str(n) for n in counts) + " |"

    # -------------------------------------------------------------------------------------- waivers

    def waivers(self, result: ScanResult) -> Iterator[str]:
        """Blocks for `MarkdownReporter`'s budget: the heading, the counts by status and the table's header as one
        block, then one row per waiver, those needing attention first (an expired one fails the scan)."""
        lab, dec = self.lab, self.dec
        today = scan_day(result.generated_at)
        urgent = attention_order(result.waivers, today)
        columns = (dec.col_id, dec.col_status, f"{dec.col_asset} / {dec.col_rule}", dec.col_owner, dec.col_expires,
                   dec.col_covered, dec.col_problems)
        fine = f"\n\n{dec.waivers_fine}" if not urgent else ""
        yield (f"## {dec.waivers}\n\n{markdown_escape(dec.status_counts(result.waivers))}{fine}\n\n| "
               + " | ".join(columns) + " |\n" + "| --- " * len(columns) + "|")
        for status in [*urgent, *(s for s in result.waivers if s not in urgent)]:
            kind = dec.waiver_status[status.status]
            if status in urgent and status.status is WaiverStatusKind.ACTIVE:
                kind += f" ({dec.expiring_soon})"
            owner = markdown_cell(status.owner, max_len=120, missing=dec.not_stated)
            reason = markdown_escape(status.reason, max_len=CELL_LEN)
            line = f":{status.source.line}" if status.source.line is not None else ""
            cells = (
                f"{markdown_cell(status.id, max_len=80)} ({markdown_cell(status.source.path + line, max_len=120)})",
                kind,
                " / ".join(markdown_cell(value, missing=dec.any_value) for value in (status.asset, status.rule)),
                f"{owner}{lab.colon}{reason}" if reason else owner,
                markdown_escape(dec.expiry_words(status, today)),
                _first(status.covered, 120),
                _first(status.problems, CELL_LEN),
            )
            yield "| " + " | ".join(cells) + " |"

    def waived_mark(self, finding: Finding) -> str:
        """ ", waived by W-1 (owner) until 2026-03-31" after an outcome; empty for a finding not waived."""
        if finding.waiver is None:
            return ""
        return f", {markdown_escape(self.dec.waived_words(finding.waiver), max_len=CELL_LEN)}"

    def waiver_line(self, finding: Finding) -> Iterator[str]:
        if finding.waiver is not None:
            yield (f"  - **{self.dec.waiver}**{self.lab.colon}{markdown_escape(self.dec.waived_words(finding.waiver))}"
                   f"{self.lab.colon}{markdown_escape(self.dec.waiver_reason(finding.waiver))}")

    # -------------------------------------------------------------------------------------- assets

    def asset_lines(self, asset: AssetResult) -> Iterator[str]:
        """The stated inventory facts, then a summary of the administrative access, as detail bullets."""
        facts = self.fact_words(asset)
        if facts:
            yield f"- **{self.dec.facts}**{self.lab.colon}{markdown_escape('; '.join(facts))}"
        if asset.access:
            yield f"- **{self.dec.access}**{self.lab.colon}{markdown_escape(self.dec.access_words(asset.access))}"

    def fact_words(self, asset: AssetResult) -> list[str]:
        """The facts the inventory stated (an unstated one is left out here; the HTML report shows all)."""
        dec, colon = self.dec, self.lab.colon
        facts = [
            f"{label}{colon}{dec.flag_words(value)}"
            for label, value in ((dec.sensitive_data, asset.sensitive_data), (dec.sensitive_system,
                                 asset.sensitive_system), (dec.personal_data, asset.personal_data))
            if value is not None
        ]
        if asset.service_type is not None:
            facts.append(f"{dec.service_type_label}{colon}{dec.service_type[asset.service_type]}")
        if asset.cndp_authorisation:
            facts.append(f"{dec.cndp_authorisation}{colon}{asset.cndp_authorisation}")
        if asset.subcontractors is not None:
            named = ", ".join(dec.subcontractor_words(sub) for sub in asset.subcontractors) or dec.none_declared
            facts.append(f"{dec.subcontractors}{colon}{named}")
        return facts

    # -------------------------------------------------------------------------------------- data

    def notes(self, result: ScanResult) -> Iterator[str]:
        """A line per dataset that carries a note (an EXAMPLE register must not pass for an official one)."""
        for source in result.data_sources:
            if source.note:
                yield (f"- **{self.dec.note}** — {markdown_escape(source.name, max_len=CELL_LEN)}{self.lab.colon}"
                       f"{markdown_escape(source.note)}")


def _first(items: tuple[str, ...], max_len: int) -> str:
    """The first `LISTED_PER_CELL` items of a cell, then how many more: "a; b; c +12"."""
    shown = "; ".join(markdown_cell(item, max_len=max_len) for item in items[:LISTED_PER_CELL]) or "—"
    hidden = len(items) - LISTED_PER_CELL
    return f"{shown} +{hidden}" if hidden > 0 else shown
