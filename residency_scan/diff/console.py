"""The diff for people at a terminal: what got worse first, then what got better, then what moved.

Like `reports/console.py`, every untrusted string goes through `clean_line` into a `rich.text.Text`, never
through rich markup, so "[red]" stays text and no escape sequence reaches the terminal.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

# NOTE: like reports/console.py, an intended exception to the ruff ban on rich (per-file-ignores TID251).
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.text import Text

from residency_scan.diff.labels import DIFF_LABELS, DiffLabels
from residency_scan.diff.model import (
    AssetBrief,
    AssetEdit,
    FindingChange,
    FindingDelta,
    LocationDrift,
    ResultDiff,
    Trend,
    VerdictChange,
)
from residency_scan.models import Finding, Outcome, Severity
from residency_scan.reports.text import clean_line

_OUTCOME_STYLE = {
    Outcome.VIOLATION: "bold red",
    Outcome.INDETERMINATE: "yellow",
    Outcome.WAIVED: "cyan",
    Outcome.COMPLIANT: "green",
    Outcome.NOT_APPLICABLE: "dim",
}
_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
_TREND_STYLE = {Trend.WORSE: "red", Trend.BETTER: "green", Trend.NEUTRAL: ""}
_TRAILING_BLANKS = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)
_PROSE_LEN = 600


def render_console(
    diff: ResultDiff, *, color: bool = False, width: int = 120, lang: str = "en", max_items: int | None = None
) -> str:
    """The diff as terminal text; colours only when `color` (the CLI decides from the TTY and NO_COLOR).

    `max_items` bounds each section (the rest is counted, not listed): a dataset update can move thousands
    of assets at once, and a screen of them helps nobody while the JSON diff keeps them all.
    """
    labels = _labels(lang)
    if width < 20:
        raise ValueError(f"report width must be at least 20 columns, not {width}")
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        width=width,
        highlight=False,
        emoji=False,
        markup=False,
        legacy_windows=False,
        _environ={},  # NOTE: TERM, COLUMNS or FORCE_COLOR must not change the report.
    )
    for section in _ConsoleDiff(diff, labels, max_items).sections():
        console.print(section)
        console.print()
    console.print(Text(labels.summary_line(diff.summary), style="bold"))
    return _TRAILING_BLANKS.sub(r"\1", buffer.getvalue())


def _labels(lang: str) -> DiffLabels:
    if lang not in DIFF_LABELS:
        raise ValueError(f"unsupported report language {lang!r}; choose one of {', '.join(DIFF_LABELS)}")
    return DIFF_LABELS[lang]


class _ConsoleDiff:
    def __init__(self, diff: ResultDiff, labels: DiffLabels, max_items: int | None) -> None:
        self.diff = diff
        self.lab = labels
        self.max_items = max_items
        self.edited = {edit.asset for edit in diff.edited_assets}

    def sections(self) -> Iterator[RenderableType]:
        diff, lab = self.diff, self.lab
        yield self._header()
        worse = [c for c in diff.changed_findings if c.trend is Trend.WORSE]
        better = [c for c in diff.changed_findings if c.trend is Trend.BETTER]
        sections: tuple[tuple[str, Sequence[Any], Callable[[Any], RenderableType]], ...] = (
            (lab.new_findings, diff.new_findings, self._delta),
            (lab.worsened, worse, self._change),
            (lab.fixed, diff.fixed_findings, self._delta),
            (lab.improved, better, self._change),
            (lab.verdicts, diff.verdict_changes, self._verdict),
            (lab.drift, diff.drift, self._drift),
            (lab.added, diff.added_assets, self._brief),
            (lab.removed, diff.removed_assets, self._brief),
            (lab.edited, diff.edited_assets, self._edit),
        )
        shown = [(title, items, render) for title, items, render in sections if items]
        if not shown:
            yield Text(lab.no_change)
        for title, items, render in shown:
            kept = items if self.max_items is None else items[: self.max_items]
            blocks = [render(item) for item in kept]
            if len(kept) < len(items):
                blocks.append(Text(lab.more_items.format(count=len(items) - len(kept)), style="dim"))
            yield _section(f"{title} ({len(items)})", blocks)

    def _header(self) -> RenderableType:
        lab, old, new = self.lab, self.diff.old, self.diff.new
        tool = f"{clean_line(new.tool.name, max_len=60)} {clean_line(new.tool.version, max_len=40)}"
        lines: list[RenderableType] = [Text(f"{lab.title} — {tool}", style="bold")]
        lines += [_labelled(lab.old, lab.identity_line(old), lab), _labelled(lab.new, lab.identity_line(new), lab)]
        if self.diff.source_changes:
            lines.append(Text(lab.sources, style="bold"))
            lines += [_indent(Text(lab.source_line(c))) for c in self.diff.source_changes]
        if old.inventory.entity.name != new.inventory.entity.name:
            warning = lab.entity_differs.format(old=clean_line(old.inventory.entity.name),
                                                new=clean_line(new.inventory.entity.name))
            lines.append(Text(warning, style="bold yellow"))
        if old.offline != new.offline:
            lines.append(Text(lab.mode_differs, style="bold yellow"))
        return Group(*lines)

    def _finding_head(self, asset: str, finding: Finding, outcome: Text) -> Text:
        head = Text()
        severity = finding.severity
        head.append(f"[{self.lab.base.severity[severity].upper()}]", style=_SEVERITY_STYLE[severity])
        head.append(f" {clean_line(finding.rule, max_len=80)} · ")
        head.append(clean_line(asset), style="bold")
        head.append(" · ")
        head.append_text(outcome)
        return head

    def _delta(self, delta: FindingDelta) -> RenderableType:
        finding = delta.finding
        outcome = Text(self.lab.base.outcome[finding.outcome], style=_OUTCOME_STYLE[finding.outcome])
        head = self._finding_head(delta.asset, finding, outcome)
        edited = delta.asset_change is None and delta.asset in self.edited
        head.append(self.lab.asset_note(delta, edited=edited), style="dim")
        title, message, _ = self.lab.base.localised(finding)
        return Group(head, _indent(Text(clean_line(title), style="bold")),
                     _indent(Text(clean_line(message, max_len=_PROSE_LEN))))

    def _change(self, change: FindingChange) -> RenderableType:
        lab = self.lab
        words = lab.outcome_change(change.old.outcome, change.new.outcome)
        if change.old.severity is not change.new.severity:
            words += f" ({lab.base.severity[change.old.severity]} → {lab.base.severity[change.new.severity]})"
        head = self._finding_head(change.asset, change.new, Text(words, style=_TREND_STYLE[change.trend]))
        title, _, _ = lab.base.localised(change.new)
        why = Text(f"{lab.base.why}{lab.base.colon}", style="bold")
        why.append(clean_line(change.new.reason, max_len=_PROSE_LEN))
        return Group(head, _indent(Text(clean_line(title), style="bold")), _indent(why))

    def _verdict(self, change: VerdictChange) -> RenderableType:
        line = Text(clean_line(change.asset), style="bold")
        line.append(self.lab.base.colon)
        line.append(self.lab.outcome_change(change.old, change.new), style=_TREND_STYLE[change.trend])
        return line

    def _drift(self, drift: LocationDrift) -> RenderableType:
        lab = self.lab
        line = Text(clean_line(drift.asset), style="bold")
        line.append(f"{lab.base.colon}{lab.place(drift.old_status, drift.old_countries)} → "
                    f"{lab.place(drift.new_status, drift.new_countries)}")
        return Group(line, *(_indent(Text(lab.subject_line(s))) for s in drift.subjects))

    def _brief(self, asset: AssetBrief) -> RenderableType:
        lab = self.lab
        line = Text(clean_line(asset.id), style="bold")
        line.append(f"  {lab.base.kind[asset.kind]} · {clean_line(asset.target)} · "
                    f"{lab.place(asset.status, asset.countries)} · ")
        line.append(lab.base.outcome[asset.verdict], style=_OUTCOME_STYLE[asset.verdict])
        return line

    def _edit(self, edit: AssetEdit) -> RenderableType:
        lab = self.lab
        changes = [
            f"{lab.fields.get(c.field, clean_line(c.field))}{lab.base.colon}{clean_line(c.old, missing=lab.absent)} → "
            f"{clean_line(c.new, missing=lab.absent)}"
            for c in edit.changes
        ]
        return Group(Text(clean_line(edit.asset), style="bold"), *(_indent(Text(c)) for c in changes))


def _section(title: str, items: Iterable[RenderableType]) -> RenderableType:
    return Group(Text(title, style="bold underline"), *(_indent(item) for item in items))


def _indent(item: RenderableType) -> RenderableType:
    return Padding(item, (0, 0, 0, 2))


def _labelled(label: str, value: str, lab: DiffLabels) -> Text:
    text = Text(f"{label}{lab.base.colon}", style="bold")
    text.append(value)
    return text
