"""The HTML evidence report: one self-contained page an auditor can read, archive and print.

The page carries everything a reviewer needs to check a verdict without the tool: the inventory's hash, the
rule packs and their hashes, the corroboration policy, every piece of evidence with its raw answer, the legal
text behind every finding and the datasets with their licences. It loads nothing: no script, font, image or
stylesheet from anywhere, and a Content-Security-Policy that forbids them, so opening the report years later,
offline or in a locked-down browser, shows exactly what was generated.

Everything inside comes from files and networks we do not control, so three safeguards stack up:
- Jinja autoescaping, with no `|safe` anywhere: `<script>` from an inventory stays text;
- `finalize` passes every printed value through `clean_terminal`, so control characters, escape sequences
  and bidi overrides (which reorder text in a browser as in a terminal) never reach the page, and every
  value is bounded in length;
- the only links are legal references from rule packs, and only when they are plain http(s) URLs.

Since schema 1.1 the page also shows each pack's compliance deadline in the executive summary, every waiver
with what became of it, a waived finding marked with its waiver, and per asset the inventory facts the rules
read and the administrative access records (decree 2-24-921 art. 5 §4).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from residency_scan.gate import is_broken, waiver_outcomes
from residency_scan.models import (
    Deadline,
    Finding,
    LegalReference,
    LocationStatus,
    Outcome,
    RulePackRef,
    ScanResult,
    Sensitivity,
    Severity,
    WaiverStatusKind,
)
from residency_scan.reports.html_labels import HTML_LABELS, HtmlLabels, country_name
from residency_scan.reports.labels import LABELS, Labels, age_days, utc_text
from residency_scan.reports.labels_decree import (
    DECREE_LABELS,
    DecreeLabels,
    deadline_days_left,
    needs_attention,
    scan_day,
    waiver_days_left,
)
from residency_scan.reports.matrix import compliance_matrix, country_table
from residency_scan.reports.text import clean_terminal

TEMPLATE = "report.html"

FIELD_LEN = 1000
"""Longest single-line value printed (asset ids, targets, subjects); the JSON report keeps them whole."""

PROSE_LEN = 4000
"""Longest multi-line text printed (messages, remediations, the policy)."""

RAW_LEN = 20_000
"""Longest raw answer printed, as indented JSON."""

MISSING = "—"

SAFE_SCHEMES = frozenset({"http", "https"})

_SEVERITY_ORDER = {severity: position for position, severity in enumerate(Severity)}


class CleanText(str):
    """Text that already went through `clean_terminal` (with line breaks kept): `finalize` lets it through
    unchanged, and autoescaping still applies to it, since it is a plain `str` and not `Markup`."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Reference:
    """A legal reference and the link it may carry: `link` is None unless the URL is a plain http(s) one."""

    reference: LegalReference
    link: str | None


@dataclass(frozen=True, slots=True)
class DeadlineView:
    """A pack's deadline as the summary shows it: the pack, the date, the days left in words."""

    pack: RulePackRef
    deadline: Deadline
    days: int
    when: str
    label: str
    link: str | None


@dataclass(frozen=True, slots=True)
class FindingView:
    """A finding placed in the document: its number (for cross-references) and its texts in the report language."""

    number: int
    asset_number: int
    asset_id: str
    finding: Finding
    title: str
    message: CleanText
    remediation: CleanText
    references: tuple[Reference, ...]


class HtmlReporter:
    """An implementation of `Reporter` that writes the evidence report as one self-contained HTML page.

    The output depends on the result and the language only: the same result gives the same bytes.
    """

    def __init__(self, *, lang: str = "en") -> None:
        if lang not in LABELS or lang not in HTML_LABELS:
            raise ValueError(f"unsupported report language {lang!r}; choose one of {', '.join(HTML_LABELS)}")
        self.lang = lang
        self.labels: Labels = LABELS[lang]
        self.html_labels: HtmlLabels = HTML_LABELS[lang]
        self.decree: DecreeLabels = DECREE_LABELS[lang]

    def render(self, result: ScanResult) -> str:
        return environment().get_template(TEMPLATE).render(self.context(result))

    def context(self, result: ScanResult) -> dict[str, Any]:
        """What the template sees: the result itself, the tables counted from it, and the words."""
        findings = self.findings(result)
        today = scan_day(result.generated_at)
        return {
            "result": result,
            "lab": self.labels,
            "h": self.html_labels,
            "conclusion": self.conclusion(result),
            "overall": overall_verdict(result),
            "matrix": compliance_matrix(result),
            "countries": country_table(result),
            "findings": findings,
            "finding_number": {(f.asset_number, f.finding.rule): f.number for f in findings},
            "rule_titles": self.rule_titles(result),
            "dec": self.decree,
            "deadlines": self.deadlines(result),
            "waivers": result.waivers,
            "waiver_days": lambda status: waiver_days_left(status, today),
            "urgent": lambda status: needs_attention(status, today),
            "waiver_kinds": WaiverStatusKind,
            "sensitive": Sensitivity.SENSITIVE,
            "missing": MISSING,
            "outcomes": Outcome,
            "statuses": tuple(LocationStatus),
            "country_name": lambda code: country_name(code, self.lang),
            "utc": utc_text,
            "age": lambda source: age_days(source, result.generated_at),
            "prose": prose,
            "raw_json": raw_json,
            "link": safe_link,
        }

    def findings(self, result: ScanResult) -> list[FindingView]:
        """Open findings before waived ones; violations before indeterminate ones, then by severity, then in
        inventory order."""
        placed = [
            (number, asset, item)
            for number, asset in enumerate(result.assets, start=1)
            for item in asset.findings
        ]
        placed.sort(key=lambda p: (p[2].waiver is not None, -p[2].outcome.rank, _SEVERITY_ORDER[p[2].severity], p[0]))
        views = []
        for position, (asset_number, asset, item) in enumerate(placed, start=1):
            title, message, remediation = self.labels.localised(item)
            views.append(
                FindingView(
                    number=position,
                    asset_number=asset_number,
                    asset_id=asset.id,
                    finding=item,
                    title=title,
                    message=prose(message),
                    remediation=prose(remediation),
                    references=tuple(Reference(ref, safe_link(ref.url)) for ref in (item.reference, *item.see_also)),
                )
            )
        return views

    def deadlines(self, result: ScanResult) -> list[DeadlineView]:
        """Each pack's deadline, in pack order."""
        today = scan_day(result.generated_at)
        views = []
        for pack in result.rule_packs:
            if pack.deadline is None:
                continue
            days = deadline_days_left(pack.deadline, today)
            when = self.decree.days_words(days)  # "date inferred" is a badge beside the date
            views.append(DeadlineView(pack, pack.deadline, days, when, self.decree.deadline_label(pack.deadline),
                                      safe_link(pack.deadline.reference.url)))
        return views

    def rule_titles(self, result: ScanResult) -> Mapping[str, str]:
        """Each rule id's title in the report language, from the rules or, failing that, from a finding."""
        french = self.lang == "fr"
        titles = {rule.id: (rule.title_fr or rule.title) if french else rule.title for rule in result.rules}
        for asset in result.assets:
            for item in asset.findings:
                titles.setdefault(item.rule, self.labels.localised(item)[0])
        return titles

    def conclusion(self, result: ScanResult) -> list[str]:
        """The executive summary's paragraph, sentence by sentence: counts, what they mean, caveats."""
        lab, h, summary = self.labels, self.html_labels, result.summary
        in_scope = summary.violation + summary.indeterminate + summary.waived + summary.compliant
        counts = {
            Outcome.VIOLATION: summary.violation,
            Outcome.INDETERMINATE: summary.indeterminate,
            Outcome.WAIVED: summary.waived,
            Outcome.COMPLIANT: summary.compliant,
        }
        parts = ", ".join(
            lab.count(number, h.verdict_count[outcome])
            for outcome, number in counts.items()
            if number or outcome is not Outcome.WAIVED
        )
        sentences = [f"{h.in_scope.format(total=lab.count(in_scope, lab.asset_count))} {parts}."]
        broken = sum(1 for s in result.waivers if is_broken(s))
        if summary.violation:
            sentences.append(h.verdict_violation)
        elif summary.indeterminate:
            sentences.append(h.verdict_indeterminate)
        elif not in_scope:
            sentences.append(h.verdict_nothing)
        elif not summary.waived and not broken:  # otherwise the waiver sentences below say what it rests on
            sentences.append(h.verdict_compliant)
        if summary.violation and summary.indeterminate:
            sentences.append(h.verdict_indeterminate)
        if summary.waived:
            sentences.append(h.waived_sentence.format(count=lab.count(summary.waived, lab.asset_count)))
        if broken:
            sentences.append(h.broken_waivers_sentence.format(count=self.decree.count(broken,
                                                                                      self.decree.broken_count)))
        if summary.not_applicable:
            sentences.append(h.outside_scope.format(count=lab.count(summary.not_applicable, lab.asset_count)))
        if result.offline:
            sentences.append(h.offline_note)
        return sentences


@functools.cache
def environment() -> Environment:
    """The one Jinja environment: templates shipped in the package, autoescaped, strict about names."""
    return Environment(
        loader=PackageLoader("residency_scan.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True, default=True),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _finalize(value: object) -> object:
    """Every value printed by the template: cleaned and bounded, unless it is markup the template built."""
    if value is None:
        return MISSING
    if isinstance(value, Markup | CleanText):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return clean_terminal(str(value), max_len=FIELD_LEN)


def prose(value: str | None) -> CleanText:
    """Multi-line text from a rule pack or a resolver, cleaned with its line breaks kept."""
    if not value:
        return CleanText(MISSING)
    return CleanText(clean_terminal(value, max_len=PROSE_LEN, multiline=True))


def raw_json(value: object) -> CleanText:
    """A raw answer as indented JSON; values JSON cannot represent (a datetime) are written as text."""
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return CleanText(clean_terminal(text, max_len=RAW_LEN, multiline=True))


def safe_link(url: str | None) -> str | None:
    """`url` if it may become an href: http or https, a host, and nothing `clean_terminal` would change."""
    if not url or len(url) > FIELD_LEN or any(c.isspace() for c in url):
        return None
    if clean_terminal(url, max_len=FIELD_LEN) != url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.hostname:
        return None
    return url


def overall_verdict(result: ScanResult) -> Outcome | None:
    """The scan's verdict for the headline: the worst asset verdict, a broken waiver counting as a violation
    (gate.py: it fails the scan); None when there is nothing at all."""
    outcomes = [*(asset.verdict for asset in result.assets), *waiver_outcomes(result)]
    return max(outcomes, key=lambda outcome: outcome.rank, default=None)
