"""The Markdown report: a CI job summary or a merge-request comment, in English or French.

It answers, in the order a reviewer reads a comment: passed or failed, and how badly; which findings, on which
asset, under which legal text; why, asset by asset; which data the answer rests on.

A comment is rendered by a forge (GitHub, GitLab) that turns more than Markdown into markup: raw HTML, bare URLs,
`@user` mentions, `#123` and `!12` references. Every untrusted string (asset ids, targets, reasons, dataset
names, even rule texts) therefore goes through `markdown_escape`, `markdown_cell` or `html_text`, which:
- replace escape sequences, control and bidi characters (`clean_terminal`), and bound the length;
- collapse line breaks, so no input can start a heading, a list, a table row or an HTML block;
- backslash-escape every ASCII punctuation character Markdown, GFM or GitLab give a meaning to, so no input
  can open a link, an image, emphasis, a code span, an inline HTML tag, an entity or a table cell;
- put a ZERO WIDTH SPACE after `@ # ! ~ % $ ^ &` before a word character and inside `://` and `www.`:
  mentions, references and autolinks are found by forges *after* Markdown is rendered, where a backslash no
  longer exists (the trick Renovate uses for release notes). The text still reads the same.
The only links in the report are legal-reference URLs with an http(s) scheme, percent-encoded.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from residency_scan.models import AssetResult, Finding, LegalReference, Outcome, RuleCheck, ScanResult, Severity
from residency_scan.reports.labels import LABELS, Labels, utc_text
from residency_scan.reports.text import clean_terminal

MAX_COMMENT_CHARS = 65_536
"""GitHub's limit for the body of an issue or pull-request comment (GitLab allows 1,000,000)."""

PROSE_LEN = 2000
CELL_LEN = 200
ZWSP = "\N{ZERO WIDTH SPACE}"

_MARKDOWN_PUNCTUATION = re.compile(r"[\\`*_\[\](){}<>#+\-.!|&~:@$%^=]")
_REFERENCE_SIGIL = re.compile(r"([@#!~%$^&])(?=\w)")
_SCHEME_SEPARATOR = re.compile("://")
_WWW = re.compile(r"(?i)(www)\.")
_BLANKS = re.compile(r"\s+")
_SEVERITY_ORDER = tuple(Severity)


def markdown_escape(text: str | None, *, max_len: int = PROSE_LEN, missing: str = "") -> str:
    """`text` as inert Markdown on one line: it renders as exactly these characters (see module docstring)."""
    if text is None or text == "":
        return missing
    defused = _defuse(_one_line(text, max_len))
    return _MARKDOWN_PUNCTUATION.sub(lambda m: "\\" + m.group(), defused)


def markdown_cell(text: str | None, *, max_len: int = CELL_LEN, missing: str = "—") -> str:
    """`markdown_escape` for a GFM table cell: one line, `|` escaped, a visible placeholder when empty."""
    return markdown_escape(text, max_len=max_len, missing=missing)


def html_text(text: str | None, *, max_len: int = CELL_LEN, missing: str = "") -> str:
    """`text` for an HTML block such as `<summary>`, where Markdown is not processed but forges still link."""
    if text is None or text == "":
        return missing
    return html.escape(_defuse(_one_line(text, max_len)), quote=True)


def safe_link_url(url: str | None) -> str | None:
    """An http(s) URL, percent-encoded so it cannot end the link early; None for anything else."""
    if not url or len(url) > 2000:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    # NOTE: "%" stays so an already-encoded URL is not encoded twice; "(", ")", "<", ">" and blanks are encoded.
    return quote(url.strip(), safe="/:?#=&%+,;@!$'*-._~", errors="replace")


def _one_line(text: str, max_len: int) -> str:
    return _BLANKS.sub(" ", clean_terminal(text, max_len=max_len)).strip()


def _defuse(text: str) -> str:
    text = _REFERENCE_SIGIL.sub(rf"\1{ZWSP}", text)
    text = _SCHEME_SEPARATOR.sub(f":{ZWSP}//", text)
    return _WWW.sub(rf"\1{ZWSP}.", text)


def comment_length(text: str) -> int:
    """Length as a browser counts it (UTF-16 code units), never less than the number of characters."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class MarkdownWords:
    """Words of the Markdown report that the console report does not use."""

    failed: str
    passed: str
    violations: tuple[str, str]
    indeterminate: tuple[str, str]
    col_rule: str
    col_severity: str
    col_outcome: str
    col_reference: str
    col_count: str
    total: str
    more_findings: str  # {count}
    more_assets: str  # {count}
    more_datasets: str  # {count}
    details: str
    kind: str
    target: str
    checks: str
    no_rule: str
    generated_by: str  # {tool}


WORDS = {
    "en": MarkdownWords(
        failed="FAILED",
        passed="PASSED",
        violations=("violation", "violations"),
        indeterminate=("indeterminate", "indeterminate"),
        col_rule="Rule",
        col_severity="Severity",
        col_outcome="Outcome",
        col_reference="Legal reference",
        col_count="Assets",
        total="Total",
        more_findings="{count} more findings, see the full report.",
        more_assets="{count} more assets, see the full report.",
        more_datasets="{count} more datasets, see the full report.",
        details="Assets in detail",
        kind="Kind",
        target="Target",
        checks="Rules",
        no_rule="no rule applies to this asset",
        generated_by="Generated by {tool}.",
    ),
    "fr": MarkdownWords(
        failed="ÉCHEC",
        passed="RÉUSSI",
        violations=("non conforme", "non conformes"),
        indeterminate=("indéterminé", "indéterminés"),
        col_rule="Règle",
        col_severity="Gravité",
        col_outcome="Résultat",
        col_reference="Référence juridique",
        col_count="Actifs",
        total="Total",
        more_findings="{count} constats de plus : voir le rapport complet.",
        more_assets="{count} actifs de plus : voir le rapport complet.",
        more_datasets="{count} jeux de données de plus : voir le rapport complet.",
        details="Actifs en détail",
        kind="Type",
        target="Cible",
        checks="Règles",
        no_rule="aucune règle ne s'applique à cet actif",
        generated_by="Généré par {tool}.",
    ),
}

_FAIL_ON = {"violation": Outcome.VIOLATION, "indeterminate": Outcome.INDETERMINATE, "none": None}
_DATASET_ROWS = 50
_NOTES_RESERVE = 600  # the truncation notes and section headings that budgeted sections may add


class MarkdownReporter:
    """An implementation of `Reporter` for CI job summaries and merge-request comments.

    `fail_on` is the CLI's `--fail-on`, so the status line says what the exit code says. `max_chars` bounds
    the whole text: findings and asset details beyond it are counted in a note, never cut mid-row.
    """

    def __init__(self, *, lang: str = "en", fail_on: str = "indeterminate", max_chars: int = MAX_COMMENT_CHARS):
        if lang not in LABELS or lang not in WORDS:
            raise ValueError(f"unsupported report language {lang!r}; choose one of {', '.join(WORDS)}")
        if fail_on not in _FAIL_ON:
            raise ValueError(f"fail_on must be one of {', '.join(_FAIL_ON)}, not {fail_on!r}")
        if max_chars < 8192:
            raise ValueError(f"max_chars must be at least 8192, not {max_chars}")
        self.lang = lang
        self.fail_on = fail_on
        self.max_chars = max_chars
        self.labels: Labels = LABELS[lang]
        self.words = WORDS[lang]

    def render(self, result: ScanResult) -> str:
        head = "\n".join([*self._header(result), *self._summary_table(result), ""])
        tail = "\n".join([*self._data_sources(result), ""])
        budget = self.max_chars - comment_length(head) - comment_length(tail) - _NOTES_RESERVE
        finding_count = sum(len(asset.findings) for asset in result.assets)
        findings, budget = _fill(self._findings(result), finding_count, budget, self.words.more_findings)
        details, _ = _fill(self._details(result), len(result.assets), budget, self.words.more_assets)
        return head + "\n".join([*findings, *details, ""]) + tail

    # -------------------------------------------------------------------------------------- header

    def failed(self, result: ScanResult) -> bool:
        threshold = _FAIL_ON[self.fail_on]
        return threshold is not None and any(a.verdict.rank >= threshold.rank for a in result.assets)

    def _header(self, result: ScanResult) -> Iterator[str]:
        lab, words = self.labels, self.words
        status = words.failed if self.failed(result) else words.passed
        counts = (
            f"{lab.count(result.summary.violation, words.violations)}, "
            f"{lab.count(result.summary.indeterminate, words.indeterminate)}"
        )
        entity = result.inventory.entity
        yield f"# {lab.title}"
        yield ""
        yield f"**{status}** — {counts}"
        yield ""
        yield f"- **{lab.entity}**{lab.colon}{markdown_escape(entity.name)} ({lab.entity_type[entity.type]})"
        yield (
            f"- **{lab.inventory}**{lab.colon}{markdown_escape(result.inventory.path)}, "
            f"sha256 `{_hex(result.inventory.sha256)}`"
        )
        yield f"- **{lab.mode}**{lab.colon}{lab.offline if result.offline else lab.online}"
        yield f"- **{lab.generated_at}**{lab.colon}{utc_text(result.generated_at)}"
        packs = ", ".join(f"{markdown_escape(p.id)} {markdown_escape(p.version)}" for p in result.rule_packs)
        yield f"- **{lab.rule_packs}**{lab.colon}{packs or lab.none}"
        yield ""

    def _summary_table(self, result: ScanResult) -> Iterator[str]:
        lab, summary = self.labels, result.summary
        counts = {
            Outcome.VIOLATION: summary.violation,
            Outcome.INDETERMINATE: summary.indeterminate,
            Outcome.COMPLIANT: summary.compliant,
            Outcome.NOT_APPLICABLE: summary.not_applicable,
        }
        yield f"| {lab.col_verdict} | {self.words.col_count} |"
        yield "| --- | ---: |"
        for outcome, count in counts.items():
            yield f"| {lab.outcome[outcome]} | {count} |"
        yield f"| **{self.words.total}** | **{summary.assets}** |"
        yield ""

    # -------------------------------------------------------------------------------------- findings

    def _findings(self, result: ScanResult) -> Iterator[str]:
        """The section heading, then one row per finding: violations first, then by severity."""
        lab, words = self.labels, self.words
        ranked = sorted(
            ((asset, finding) for asset in result.assets for finding in asset.findings),
            key=lambda pair: (-pair[1].outcome.rank, _SEVERITY_ORDER.index(pair[1].severity)),
        )
        if not ranked:
            yield f"## {lab.findings}\n\n{lab.no_findings}"
            return
        columns = (lab.col_asset, words.col_rule, words.col_severity, words.col_outcome, lab.col_where,
                   words.col_reference)
        # NOTE: the heading and the table's header rows are one block, so a budget cut never orphans rows.
        yield f"## {lab.findings}\n\n| " + " | ".join(columns) + " |\n" + "| --- " * len(columns) + "|"
        for asset, finding in ranked:
            cells = (
                markdown_cell(asset.id),
                markdown_cell(finding.rule),
                lab.severity[finding.severity],
                lab.outcome[finding.outcome],
                markdown_cell(lab.where_words(asset.location, detailed=False)),
                self._reference_link(finding.reference),
            )
            yield "| " + " | ".join(cells) + " |"

    def _reference_link(self, reference: LegalReference) -> str:
        text = markdown_escape(reference.text, max_len=CELL_LEN)
        if reference.article:
            text += ", " + markdown_escape(reference.article, max_len=80)
        if reference.article_uncertain:
            text += f" ({self.labels.article_uncertain})"
        url = safe_link_url(reference.url)
        return f"[{text}]({url})" if url else text

    # -------------------------------------------------------------------------------------- details

    def _details(self, result: ScanResult) -> Iterator[str]:
        """The section heading, then one <details> block per asset, worst verdict first."""
        yield f"## {self.words.details}\n"
        for asset in sorted(result.assets, key=lambda a: -a.verdict.rank):
            yield self._asset_details(asset)

    def _asset_details(self, asset: AssetResult) -> str:
        lab, words = self.labels, self.words
        summary = f"{html_text(asset.id)} — {html.escape(lab.outcome[asset.verdict])}"
        lines = [
            "<details>",
            f"<summary>{summary}</summary>",
            "",
            f"- **{words.kind}**{lab.colon}{lab.kind[asset.kind]}, {lab.sensitivity[asset.sensitivity]}",
            f"- **{words.target}**{lab.colon}{markdown_escape(_target(asset), missing='—')}",
            f"- **{lab.where}**{lab.colon}{markdown_escape(lab.where_words(asset.location))}",
        ]
        findings = {finding.rule: finding for finding in asset.findings}
        checks = _checks(asset)
        if not checks:
            lines.append(f"- **{words.checks}**{lab.colon}{words.no_rule}")
        for check in checks:
            lines.append(f"- **{markdown_escape(check.rule)}** — {lab.outcome[check.outcome]}{lab.colon}"
                         f"{markdown_escape(check.reason)}")
            finding = findings.get(check.rule)
            if finding is not None:
                lines.extend(self._finding_lines(finding))
        lines += ["", "</details>\n"]
        return "\n".join(lines)

    def _finding_lines(self, finding: Finding) -> Iterator[str]:
        lab = self.labels
        title, message, remediation = lab.localised(finding)
        yield f"  - {markdown_escape(title)}{lab.colon}{markdown_escape(message)}"
        yield f"  - **{lab.legal_reference}**{lab.colon}{self._reference_link(finding.reference)}"
        if finding.reference.quote:
            yield f"    > {markdown_escape(finding.reference.quote)}"
        yield f"  - **{lab.remediation}**{lab.colon}{markdown_escape(remediation)}"

    # -------------------------------------------------------------------------------------- data

    def _data_sources(self, result: ScanResult) -> Iterator[str]:
        lab = self.labels
        yield f"## {lab.data_sources}"
        yield ""
        if not result.data_sources:
            yield lab.no_data_sources
        else:
            yield f"| {lab.col_dataset} | {lab.col_version} | {lab.col_date} | {lab.col_licence} |"
            yield "| --- | --- | --- | --- |"
            for source in result.data_sources[:_DATASET_ROWS]:
                cells = (markdown_cell(source.name), markdown_cell(source.version, max_len=60),
                         source.date.isoformat(), markdown_cell(source.licence))
                yield "| " + " | ".join(cells) + " |"
            hidden = len(result.data_sources) - _DATASET_ROWS
            if hidden > 0:
                yield ""
                yield f"*{self.words.more_datasets.format(count=hidden)}*"
        tool = f"{markdown_escape(result.tool.name, max_len=80)} {markdown_escape(result.tool.version, max_len=80)}"
        yield ""
        yield f"*{self.words.generated_by.format(tool=tool)}*"


def _fill(blocks: Iterator[str], count: int, budget: int, note: str) -> tuple[list[str], int]:
    """The first block (a heading) and as many of the `count` following blocks as fit, then a note counting
    the rest. Blocks are rendered lazily: the ones left out of a 100,000-finding scan are never built."""
    kept = [next(blocks)]
    budget -= comment_length(kept[0]) + 1
    shown = 0
    for block in blocks:
        cost = comment_length(block) + 1
        if cost > budget:
            break
        kept.append(block)
        budget -= cost
        shown += 1
    if shown < count:
        kept += ["", f"*{note.format(count=count - shown)}*"]
    kept.append("")
    return kept, budget


def _checks(asset: AssetResult) -> list[RuleCheck]:
    """The asset's rule checks, plus a check for any finding whose rule has none (hand-built results)."""
    checks = list(asset.checks)
    seen = {check.rule for check in checks}
    checks += [RuleCheck(rule=f.rule, outcome=f.outcome, reason=f.reason) for f in asset.findings if f.rule not in seen]
    return checks


def _target(asset: AssetResult) -> str | None:
    if asset.target or asset.vendor:
        return asset.target or asset.vendor
    if asset.cloud is None:
        return None
    return ":".join(part for part in (asset.cloud.provider, asset.cloud.region) if part)


def _hex(value: str) -> str:
    """A digest for a code span: only hex digits survive, so nothing can close the span."""
    return "".join(c for c in value[:128] if c in "0123456789abcdefABCDEF") or "—"
