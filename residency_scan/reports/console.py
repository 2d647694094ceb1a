"""The console report: what an IT director reads before an audit, in English or French.

It answers, in this order: whose inventory, scanned how (offline or not, when), and by when each rule pack's
text must be complied with; for each asset where it is, on what evidence, and the verdict; what is wrong and
which text says so (a waived finding stays listed, marked with its waiver); which waivers need attention
(expired, invalid, covering nothing, or expiring within 30 days); which datasets the answer rests on and under
which licence; and one line to remember.

Every string that comes from an inventory, a resolver or a rule pack is untrusted: it goes through
`clean_terminal` and into a `rich.text.Text`, never through rich markup, so "[red]" stays text and an escape
sequence never reaches the terminal.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import date

# NOTE: the ruff ban on rich has two intended exceptions, this module and cli.py.
from rich import box
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from residency_scan.models import (
    AssetResult,
    Finding,
    Location,
    LocationStatus,
    Outcome,
    ScanResult,
    Severity,
    WaiverStatus,
    WaiverStatusKind,
)
from residency_scan.reports.labels import LABELS, Labels, age_days, utc_text
from residency_scan.reports.labels_decree import DECREE_LABELS, DecreeLabels, attention_order, scan_day
from residency_scan.reports.text import clean_line, clean_terminal

OUTCOME_STYLE = {
    Outcome.VIOLATION: "bold red",
    Outcome.INDETERMINATE: "yellow",
    Outcome.WAIVED: "cyan",
    Outcome.COMPLIANT: "green",
    Outcome.NOT_APPLICABLE: "dim",
}
SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
WAIVER_STYLE = {
    WaiverStatusKind.EXPIRED: "bold red",
    WaiverStatusKind.INVALID: "bold red",
    WaiverStatusKind.STALE: "yellow",
    WaiverStatusKind.ACTIVE: "cyan",
}
STATUS_STYLE = {
    LocationStatus.CONFIRMED: "",
    LocationStatus.CONTRADICTED: "bold yellow",
    LocationStatus.UNKNOWN: "yellow",
}

_Row = tuple[Text, Text, Text, Text, Text]

_TRAILING_BLANKS = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)

TABLE_MIN_WIDTH = 110
"""Below this many columns the assets are listed as cards rather than a six-column table."""

EVIDENCE_DETAIL_LIMIT = 8
"""Evidence lines shown per asset with findings; the JSON report has them all."""

COVERED_LIMIT = 5
"""Findings named per waiver needing attention; the JSON report lists them all."""

_PROSE_LEN = 2000


class ConsoleReporter:
    """An implementation of `Reporter` for people: rich tables rendered into a string.

    The CLI decides `color` (off when stdout is not a TTY or NO_COLOR is set) and `width`; the reporter
    reads no environment variable, so the same result gives the same text everywhere.
    """

    def __init__(self, *, color: bool = False, width: int = 120, lang: str = "en") -> None:
        if lang not in LABELS:
            raise ValueError(f"unsupported report language {lang!r}; choose one of {', '.join(LABELS)}")
        if width < 20:
            raise ValueError(f"report width must be at least 20 columns, not {width}")
        self.color = color
        self.width = width
        self.lang = lang
        self.labels: Labels = LABELS[lang]
        self.decree: DecreeLabels = DECREE_LABELS[lang]

    def render(self, result: ScanResult) -> str:
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            force_terminal=self.color,
            no_color=not self.color,
            color_system="standard" if self.color else None,
            width=self.width,
            highlight=False,
            emoji=False,
            markup=False,
            legacy_windows=False,
            # NOTE: an empty environment, so TERM, COLUMNS or FORCE_COLOR cannot change the report.
            _environ={},
        )
        for section in self._sections(result):
            console.print(section)
            console.print()
        console.print(self._summary(result))
        # NOTE: rich pads blocks to the full width; trailing blanks only make diffs and golden files noisy.
        return _TRAILING_BLANKS.sub(r"\1", buffer.getvalue())

    def _sections(self, result: ScanResult) -> Iterable[RenderableType]:
        yield self._header(result)
        yield self._assets(result)
        yield self._findings(result)
        if result.waivers:
            yield self._waivers(result)
        yield self._data_sources(result)

    # ------------------------------------------------------------------------------------------ header

    def _header(self, result: ScanResult) -> RenderableType:
        lab = self.labels
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        entity = result.inventory.entity
        grid.add_row(lab.entity, Text(f"{clean_line(entity.name)} ({lab.entity_type[entity.type]})"))
        grid.add_row(
            lab.inventory,
            Text(f"{clean_line(result.inventory.path)}  sha256 {clean_line(result.inventory.sha256[:12])}"),
        )
        grid.add_row(lab.mode, Text(lab.offline if result.offline else lab.online))
        grid.add_row(lab.generated_at, Text(utc_text(result.generated_at)))
        packs = ", ".join(f"{clean_line(p.id)} {clean_line(p.version)}" for p in result.rule_packs)
        grid.add_row(lab.rule_packs, Text(packs or lab.none))
        deadlines = self._deadlines(result)
        if deadlines.plain:
            grid.add_row(self.decree.deadlines, deadlines)
        grid.add_row(lab.policy, Text(clean_line(result.policy, max_len=_PROSE_LEN)))
        tool = f"{clean_line(result.tool.name)} {clean_line(result.tool.version)}"
        title = Text(f"{lab.title} — {tool}", style="bold")
        return Group(title, grid)

    # ------------------------------------------------------------------------------------------ assets

    def _assets(self, result: ScanResult) -> RenderableType:
        lab = self.labels
        if not result.assets:
            return Group(Text(lab.assets, style="bold underline"), Text(lab.no_assets))
        rows = [self._asset_row(asset) for asset in result.assets]
        if self.width < TABLE_MIN_WIDTH:
            return Group(Text(lab.assets, style="bold underline"), *(self._asset_card(row) for row in rows))
        headers = (lab.col_asset, lab.col_target, lab.col_where, lab.col_evidence, lab.col_verdict)
        table = Table(
            title=lab.assets,
            title_justify="left",
            title_style="bold underline",
            box=box.HORIZONTALS,
            show_lines=True,
            show_edge=False,
            pad_edge=False,
        )
        for header, width in zip(headers, self._column_widths(headers, rows), strict=True):
            table.add_column(header, overflow="fold", width=width)
        for row in rows:
            table.add_row(*row)
        return table

    def _asset_row(self, asset: AssetResult) -> _Row:
        """Asset (id, then kind and sensitivity), target, where, evidence, verdict."""
        lab = self.labels
        return (
            Text.assemble(
                (clean_line(asset.id), "bold"),
                "\n",
                (f"{lab.kind[asset.kind]} · {lab.sensitivity[asset.sensitivity]}", "dim"),
            ),
            Text(_target_text(asset)),
            self._where(asset.location, detailed=False),
            Text("\n".join(self.labels.evidence_summary(asset.evidence)) or lab.none),
            self._verdict(asset.verdict),
        )

    def _asset_card(self, row: _Row) -> RenderableType:
        """The narrow-terminal form of a table row: five columns of ten characters help nobody."""
        asset, target, where, evidence, verdict = row
        lab = self.labels
        first, _, kind = asset.plain.partition("\n")
        lines = [
            Text.assemble(kind, " · ", target),
            Text.assemble((f"{lab.where}{lab.colon}", "bold"), where),
            Text.assemble((f"{lab.col_evidence}{lab.colon}", "bold"), evidence.plain.replace("\n", ", ")),
        ]
        heading = Text.assemble((first, "bold"), " — ", verdict)
        return Padding(Group(heading, Padding(Group(*lines), (0, 0, 0, 2), expand=False)), (1, 0, 0, 0))

    def _column_widths(self, headers: Iterable[str], rows: list[_Row]) -> list[int]:
        """Widths that fit `self.width`, squeezing the free text (target, location reason) first.

        NOTE: rich's own fitting cuts every column evenly, which splits "cloud-regions[authoritative]" and
        "indeterminate" mid-word while a long reason had room to wrap; its min_width overflows the page.
        """
        natural = [_cell_width(header) for header in headers]
        for row in rows:
            natural = [max(width, _cell_width(cell.plain)) for width, cell in zip(natural, row, strict=True)]
        # Kept whole up to these widths: asset ids (the kind line under them wraps at its spaces), evidence
        # tokens and verdicts ("sous dérogation" is the longest). The target and the location reason share the
        # rest, the reason getting more.
        ids = max(_cell_width(row[0].plain.partition("\n")[0]) for row in rows)
        floors = [min(max(ids, 12), 24), 4, 4, min(natural[3], 30), min(natural[4], 16)]
        weights = [1.0, 1.0, 1.5, 0.0, 0.0]
        room = self.width - 3 * (len(natural) - 1)  # a blank, a rule, a blank between columns

        def widths_at(level: float) -> list[int]:
            return [
                max(floor, min(most, int(level * weight)))
                for floor, most, weight in zip(floors, natural, weights, strict=True)
            ]

        level = float(max(natural))
        while level > 0 and sum(widths_at(level)) > room:
            level -= 0.5
        return widths_at(level)

    def _where(self, location: Location, *, detailed: bool = True) -> Text:
        return Text(self.labels.where_words(location, detailed=detailed), style=STATUS_STYLE[location.status])

    def _verdict(self, outcome: Outcome) -> Text:
        return Text(self.labels.outcome[outcome], style=OUTCOME_STYLE[outcome])

    # ---------------------------------------------------------------------------------------- findings

    def _findings(self, result: ScanResult) -> RenderableType:
        lab = self.labels
        blocks: list[RenderableType] = [Text(lab.findings, style="bold underline")]
        flagged = [asset for asset in result.assets if asset.findings]
        if not flagged:
            blocks.append(Text(lab.no_findings))
        for asset in flagged:
            blocks.append(Padding(self._asset_heading(asset), (1, 0, 0, 0)))
            blocks.append(Padding(self._asset_detail(asset), (0, 0, 0, 2)))
        return Group(*blocks)

    def _asset_heading(self, asset: AssetResult) -> Text:
        heading = Text()
        heading.append(clean_line(asset.id), style="bold")
        target = _target_text(asset)
        heading.append(f"  {self.labels.kind[asset.kind]} · {target}  ")
        heading.append_text(self._verdict(asset.verdict))
        line = f":{asset.source.line}" if asset.source.line is not None else ""
        heading.append(f"  ({clean_line(asset.source.path)}{line})", style="dim")
        return heading

    def _asset_detail(self, asset: AssetResult) -> RenderableType:
        lab = self.labels
        where = Text(f"{lab.where}{lab.colon}", style="bold")
        where.append_text(self._where(asset.location))
        parts: list[RenderableType] = [where, Text(f"{lab.col_evidence}{lab.colon.rstrip()}", style="bold")]
        shown = asset.evidence[:EVIDENCE_DETAIL_LIMIT]
        parts.extend(Padding(Text(self.labels.evidence_line(item)), (0, 0, 0, 2)) for item in shown)
        if len(asset.evidence) > len(shown):
            more = lab.more_evidence.format(count=len(asset.evidence) - len(shown))
            parts.append(Padding(Text(more, style="dim"), (0, 0, 0, 2)))
        if asset.access:
            access = Text(f"{self.decree.access}{lab.colon}", style="bold")
            access.append(self.decree.access_words(asset.access))
            parts.append(access)
        parts.extend(self._finding(finding) for finding in asset.findings)
        return Group(*parts)

    def _finding(self, finding: Finding) -> RenderableType:
        lab = self.labels
        title, message, remediation = self.labels.localised(finding)
        severity = finding.severity
        head = Text()
        head.append(f"[{lab.severity[severity].upper()}]", style=SEVERITY_STYLE[severity])
        head.append(f" {clean_line(finding.rule, max_len=80)} · ")
        head.append(lab.outcome[finding.outcome], style=OUTCOME_STYLE[finding.outcome])
        head.append(f" · {clean_line(title)}", style="bold")
        if finding.waiver is not None:
            head.append(" · ")
            head.append(self.decree.waived_words(finding.waiver), style=OUTCOME_STYLE[Outcome.WAIVED])
        body: list[RenderableType] = [Text(_prose(message))]
        body.append(self._labelled(lab.legal_reference, self.labels.reference_words(finding.reference)))
        if finding.reference.quote:
            quote = _prose(finding.reference.quote)
            body.append(Padding(Text(f"« {quote} »", style="italic"), (0, 0, 0, 2)))
        body.append(self._labelled(lab.remediation, _prose(remediation)))
        body.append(self._labelled(lab.why, _prose(finding.reason)))
        if finding.waiver is not None:
            body.append(self._labelled(self.decree.waiver, self.decree.waiver_reason(finding.waiver)))
        return Padding(Group(head, Padding(Group(*body), (0, 0, 0, 2))), (1, 0, 0, 0))

    def _labelled(self, label: str, value: str) -> Text:
        text = Text(f"{label}{self.labels.colon}", style="bold")
        text.append(value)
        return text

    # ---------------------------------------------------------------------------------- data, summary

    def _data_sources(self, result: ScanResult) -> RenderableType:
        lab = self.labels
        if not result.data_sources:
            return Group(Text(lab.data_sources, style="bold underline"), Text(lab.no_data_sources))
        table = Table(
            title=lab.data_sources,
            title_justify="left",
            title_style="bold underline",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
        )
        table.add_column(lab.col_dataset, overflow="fold")
        table.add_column(lab.col_version, overflow="fold")
        table.add_column(lab.col_date, no_wrap=True)
        table.add_column(lab.col_age, justify="right", no_wrap=True)
        table.add_column(lab.col_licence, overflow="fold")
        table.add_column(lab.col_uses, justify="right", no_wrap=True)
        notes: list[RenderableType] = []
        for source in result.data_sources:
            table.add_row(
                Text(clean_line(source.name)),
                Text(clean_line(source.version, max_len=80)),
                Text(source.date.isoformat()),
                Text(str(age_days(source, result.generated_at))),
                Text(clean_line(source.licence)),
                Text(str(source.evidence_count)),
            )
            if source.note:
                note = f"{clean_line(source.name)}{lab.colon}{self.decree.note}{lab.colon}{clean_line(source.note)}"
                notes.append(Text(note, style="bold yellow"))
            credits = [clean_line(v, max_len=500) for v in (source.attribution, source.url) if v]
            if credits:
                notes.append(Text(f"{clean_line(source.name)}: {' — '.join(credits)}", style="dim"))
        return Group(table, *notes)

    # ------------------------------------------------------------------------------ deadlines, waivers

    def _deadlines(self, result: ScanResult) -> Text:
        """One line per pack with a deadline: the pack, the date and how far it is, then what it requires."""
        today = scan_day(result.generated_at)
        text = Text()
        for pack in result.rule_packs:
            if pack.deadline is None:
                continue
            if text.plain:
                text.append("\n")
            text.append(self.decree.deadline_words(pack, pack.deadline, today))
            text.append(f"\n{self.decree.deadline_label(pack.deadline)}", style="dim")
        return text

    def _waivers(self, result: ScanResult) -> RenderableType:
        """The counts by status, then each waiver someone must act on; the JSON report lists every one."""
        dec = self.decree
        today = scan_day(result.generated_at)
        blocks: list[RenderableType] = [
            Text(dec.waivers, style="bold underline"),
            Text(dec.status_counts(result.waivers)),
        ]
        attention = attention_order(result.waivers, today)
        if not attention:
            blocks.append(Text(dec.waivers_fine))
        blocks.extend(Padding(self._waiver(status, today), (1, 0, 0, 2)) for status in attention)
        return Group(*blocks)

    def _waiver(self, status: WaiverStatus, today: date) -> RenderableType:
        dec = self.decree
        kind = dec.waiver_status[status.status]
        if status.status is WaiverStatusKind.ACTIVE:
            kind = dec.expiring_soon
        head = Text()
        head.append(f"[{kind.upper()}]", style=WAIVER_STYLE[status.status])
        head.append(f" {clean_line(status.id, max_len=80)}", style="bold")
        head.append(f" · {dec.scope_words(status)} · {dec.expiry_words(status, today)}")
        line = f":{status.source.line}" if status.source.line is not None else ""
        head.append(f"  ({clean_line(status.source.path)}{line})", style="dim")
        body: list[RenderableType] = [Text(dec.status_explained[status.status])]
        who = clean_line(status.owner, missing="?", max_len=120)
        body.append(self._labelled(dec.col_owner, f"{who} — {clean_line(status.reason, missing='?')}"))
        if status.covered:
            covered = ", ".join(clean_line(item, max_len=200) for item in status.covered[:COVERED_LIMIT])
            if len(status.covered) > COVERED_LIMIT:
                covered += f" +{len(status.covered) - COVERED_LIMIT}"
            body.append(self._labelled(dec.col_covered, covered))
        body.extend(Text(f"- {clean_line(problem)}", style="red") for problem in status.problems)
        return Group(head, Padding(Group(*body), (0, 0, 0, 2)))

    def _summary(self, result: ScanResult) -> Text:
        words = self.labels.summary_words(result.summary)
        line = Text(f"{words.total}{self.labels.colon}", style="bold")
        for index, (outcome, count, part) in enumerate(words.parts):
            if index:
                line.append(", ")
            line.append(part, style=OUTCOME_STYLE[outcome] if count else "")
        return line


def _cell_width(value: str) -> int:
    return max((cell_len(line) for line in value.split("\n")), default=0)


def _prose(value: str) -> str:
    """Rule messages and reasons may span lines (YAML block scalars); every line is indented by the caller."""
    return clean_terminal(value, max_len=_PROSE_LEN, multiline=True)


def _target_text(asset: AssetResult) -> str:
    """What was looked up: the target, else the vendor key, else the cloud provider and region."""
    if asset.target or asset.vendor:
        return clean_line(asset.target or asset.vendor)
    if asset.cloud is None:
        return "-"
    return clean_line(":".join(part for part in (asset.cloud.provider, asset.cloud.region) if part))
