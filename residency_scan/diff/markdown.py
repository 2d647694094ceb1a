"""The diff as GitHub-flavoured Markdown, for a pull-request comment or a CI job summary.

Every string from outside (asset ids, targets, rule texts, subjects, dataset names) goes through the scan
report's `markdown_escape`/`markdown_cell` (reports/markdown.py): one line, no control character, every
Markdown-significant character escaped, mentions, references and autolinks defused.

A comment must fit in `max_chars` (GitHub takes 65,536). Sections come in the order a reviewer needs them
(new and worsened findings first); rows that do not fit are counted in a note, never cut mid-row, and rows
past the budget are never built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from residency_scan.diff.labels import DiffLabels
from residency_scan.diff.model import (
    AssetBrief,
    AssetEdit,
    FindingChange,
    FindingDelta,
    LocationDrift,
    ResultDiff,
    ResultIdentity,
    Trend,
    VerdictChange,
)
from residency_scan.reports.labels import utc_text
from residency_scan.reports.markdown import MAX_COMMENT_CHARS, comment_length, markdown_cell, markdown_escape

_PROSE_LEN = 300
_NOTES_RESERVE = 2000
"""Room kept for the section headings and "… and N more" notes that the budgeted sections may add."""


@dataclass(frozen=True)
class _Section:
    title: str
    items: Sequence[Any]
    headers: tuple[str, ...]
    rows: Callable[[Any], list[list[str]]]  # one item → its table rows (an edit may have several)


def render_markdown(
    diff: ResultDiff, labels: DiffLabels, *, max_items: int | None = None, max_chars: int = MAX_COMMENT_CHARS
) -> str:
    """The diff as Markdown within `max_chars`; `max_items` also bounds each section (None: only the budget)."""
    if max_chars < 8192:
        raise ValueError(f"max_chars must be at least 8192, not {max_chars}")
    page = _MarkdownDiff(diff, labels)
    head = "\n".join(page.head())
    budget = max_chars - comment_length(head) - _NOTES_RESERVE
    return head + "\n".join(page.sections(budget, max_items)) + "\n"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


class _MarkdownDiff:
    def __init__(self, diff: ResultDiff, labels: DiffLabels) -> None:
        self.diff = diff
        self.lab = labels
        self.edited = {edit.asset for edit in diff.edited_assets}

    def head(self) -> Iterator[str]:
        lab, diff = self.lab, self.diff
        tool = f"{diff.new.tool.name} {diff.new.tool.version}"
        yield f"## {markdown_escape(lab.title)} — {markdown_escape(tool, max_len=120)}"
        yield ""
        base = lab.base
        yield _row(["", base.inventory, "sha256", base.generated_at, base.mode, lab.col_tool])
        yield _row(["---"] * 6)
        yield _row(self._identity(lab.old, diff.old))
        yield _row(self._identity(lab.new, diff.new))
        yield ""
        if diff.source_changes:
            yield f"**{markdown_escape(lab.sources)}**"
            yield ""
            yield from (f"- {markdown_escape(lab.source_line(c))}" for c in diff.source_changes)
            yield ""
        old, new = diff.old.inventory.entity.name, diff.new.inventory.entity.name
        if old != new:
            yield f"> **{markdown_escape(lab.entity_differs.format(old=old, new=new))}**"
            yield ""
        if diff.old.offline != diff.new.offline:
            yield f"> **{markdown_escape(lab.mode_differs)}**"
            yield ""
        yield f"**{markdown_escape(lab.summary)}**{base.colon}{markdown_escape(lab.summary_counts(diff.summary))}"
        yield ""
        yield ""

    def _identity(self, side: str, identity: ResultIdentity) -> list[str]:
        tool = f"{identity.tool.name} {identity.tool.version}"
        mode = self.lab.offline if identity.offline else self.lab.online
        return [f"**{markdown_escape(side)}**", markdown_cell(identity.inventory.path),
                markdown_cell(identity.inventory.sha256[:12]), markdown_cell(utc_text(identity.generated_at)),
                markdown_cell(mode), markdown_cell(tool, max_len=120)]

    def sections(self, budget: int, max_items: int | None) -> Iterator[str]:
        shown = [section for section in self._plan() if section.items]
        if not shown:
            yield markdown_escape(self.lab.no_change)
            return
        for section in shown:
            heading = [f"### {markdown_escape(section.title)} ({len(section.items)})", ""]
            table = [_row(section.headers), _row(["---"] * len(section.headers))]
            budget -= sum(comment_length(line) + 1 for line in (*heading, *table))
            kept = 0
            for item in section.items[:max_items]:
                rows = [_row(cells) for cells in section.rows(item)]
                cost = sum(comment_length(row) + 1 for row in rows)
                if cost > budget:
                    break
                table += rows
                budget -= cost
                kept += 1
            yield from heading
            if kept:
                yield from table
                yield ""
            if kept < len(section.items):
                yield f"*{markdown_escape(self.lab.more_items.format(count=len(section.items) - kept))}*"
                yield ""

    def _plan(self) -> list[_Section]:
        lab, base, diff = self.lab, self.lab.base, self.diff
        finding_headers = (lab.col_severity, lab.col_rule, base.col_asset, base.col_verdict, lab.col_finding)
        change_headers = (lab.col_severity, lab.col_rule, base.col_asset, lab.col_change, base.why)
        asset_headers = (base.col_asset, base.col_kind, base.col_target, base.col_where, base.col_verdict)
        return [
            _Section(lab.new_findings, diff.new_findings, finding_headers, self._delta),
            _Section(lab.worsened, [c for c in diff.changed_findings if c.trend is Trend.WORSE], change_headers,
                     self._change),
            _Section(lab.fixed, diff.fixed_findings, finding_headers, self._delta),
            _Section(lab.improved, [c for c in diff.changed_findings if c.trend is Trend.BETTER], change_headers,
                     self._change),
            _Section(lab.verdicts, diff.verdict_changes, (base.col_asset, lab.old, lab.new), self._verdict),
            _Section(lab.drift, diff.drift, (base.col_asset, lab.old, lab.new, lab.col_subjects), self._drift),
            _Section(lab.added, diff.added_assets, asset_headers, self._brief),
            _Section(lab.removed, diff.removed_assets, asset_headers, self._brief),
            _Section(lab.edited, diff.edited_assets, (base.col_asset, lab.col_field, lab.old, lab.new), self._edit),
        ]

    def _delta(self, delta: FindingDelta) -> list[list[str]]:
        base, finding = self.lab.base, delta.finding
        title, message, _ = base.localised(finding)
        edited = delta.asset_change is None and delta.asset in self.edited
        note = self.lab.asset_note(delta, edited=edited)  # " (asset added)" or ""
        return [[
            markdown_cell(base.severity[finding.severity]), markdown_cell(finding.rule, max_len=80),
            markdown_cell(delta.asset) + (f" {markdown_escape(note)}" if note else ""),
            markdown_cell(base.outcome[finding.outcome]),
            f"**{markdown_cell(title)}** — {markdown_cell(message, max_len=_PROSE_LEN)}",
        ]]

    def _change(self, change: FindingChange) -> list[list[str]]:
        lab, base = self.lab, self.lab.base
        words = lab.outcome_change(change.old.outcome, change.new.outcome)
        if change.old.severity is not change.new.severity:
            words += f" ({base.severity[change.old.severity]} → {base.severity[change.new.severity]})"
        title, _, _ = base.localised(change.new)
        return [[
            markdown_cell(base.severity[change.new.severity]), markdown_cell(change.rule, max_len=80),
            markdown_cell(change.asset), markdown_cell(words),
            f"**{markdown_cell(title)}** — {markdown_cell(change.new.reason, max_len=_PROSE_LEN)}",
        ]]

    def _verdict(self, change: VerdictChange) -> list[list[str]]:
        outcome = self.lab.base.outcome
        return [[markdown_cell(change.asset), markdown_cell(outcome[change.old]), markdown_cell(outcome[change.new])]]

    def _drift(self, drift: LocationDrift) -> list[list[str]]:
        lab = self.lab
        subjects = "; ".join(lab.subject_line(s) for s in drift.subjects)
        return [[markdown_cell(drift.asset), markdown_cell(lab.place(drift.old_status, drift.old_countries)),
                 markdown_cell(lab.place(drift.new_status, drift.new_countries)),
                 markdown_cell(subjects, max_len=_PROSE_LEN)]]

    def _brief(self, asset: AssetBrief) -> list[list[str]]:
        lab, base = self.lab, self.lab.base
        return [[markdown_cell(asset.id), markdown_cell(base.kind[asset.kind]), markdown_cell(asset.target),
                 markdown_cell(lab.place(asset.status, asset.countries)), markdown_cell(base.outcome[asset.verdict])]]

    def _edit(self, edit: AssetEdit) -> list[list[str]]:
        lab = self.lab
        return [
            [markdown_cell(edit.asset), markdown_cell(lab.fields.get(change.field, change.field)),
             markdown_cell(change.old, missing=lab.absent), markdown_cell(change.new, missing=lab.absent)]
            for change in edit.changes
        ]
