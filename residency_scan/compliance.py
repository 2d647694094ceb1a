"""The compliance matrix, counted as assets stream past: per pack and per article, how the assets came out.

The scanner judges 100,000 assets one at a time and never holds them all, yet the matrix is part of the
result's header. So `MatrixCounter` keeps counters, never asset lists: each `add` folds one asset's checks into
the rows it touches. An asset counts once per row (one article of one pack), with its worst outcome among the
rules of that row, a non-compliant check covered by a waiver counting as *waived*: violation > indeterminate >
waived > compliant. A not-applicable check is not an assessment.

A rule the counter was not told about (a result written by hand, or by a scanner that did not describe its
rules) has no pack, and its legal reference is known only from a finding, which may come with a later asset.
Such checks are kept as counted *patterns* (which undescribed rule gave what, for one asset) and placed in
their rows only by `rows()`: the count of distinct patterns is bounded by the rules and outcomes, not by the
number of assets.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from residency_scan.models import AssetResult, LegalReference, MatrixRow, Outcome, RuleCheck, RuleInfo

__all__ = ["MatrixCounter", "counted_outcome"]

_COUNTED = (Outcome.VIOLATION, Outcome.INDETERMINATE, Outcome.WAIVED, Outcome.COMPLIANT)


@dataclass(frozen=True, slots=True)
class _Article:
    """The identity of a row: one article of one legal text, within one pack (None: rules not described)."""

    pack: str | None
    text: str
    article: str | None


@dataclass(slots=True)
class _Row:
    """A row being counted: its rules, what their references say, and one counter per outcome."""

    rules: set[str] = field(default_factory=set)
    uncertain: bool = False
    url: str | None = None
    counts: Counter[Outcome] = field(default_factory=Counter)

    def place(self, rule_id: str, reference: LegalReference | None) -> None:
        self.rules.add(rule_id)
        self.uncertain = self.uncertain or (reference is not None and reference.article_uncertain)
        if self.url is None and reference is not None:
            self.url = reference.url

    def copy(self) -> _Row:
        return _Row(set(self.rules), self.uncertain, self.url, Counter(self.counts))


_Pattern = tuple[tuple[str, Outcome], ...]
"""What the undescribed rules gave one asset, sorted by rule id (not-applicable checks left out)."""


def counted_outcome(check: RuleCheck, waived_rules: frozenset[str] = frozenset()) -> Outcome:
    """The outcome a check counts as: `waived` for a non-compliant check covered by a waiver.

    `waived_rules` are the rules whose finding on the same asset carries a waiver, for results that mark the
    finding but not the check (both are set by the scanner).
    """
    if check.outcome in (Outcome.VIOLATION, Outcome.INDETERMINATE) and (
        check.waiver is not None or check.rule in waived_rules
    ):
        return Outcome.WAIVED
    return check.outcome


class MatrixCounter:
    """Counts the compliance matrix one asset at a time (see the module docstring).

    `rules` are the rules of the scan, in pack order: rows follow the packs in the order their first rule
    comes, unless `packs` gives that order (packs it does not list come after, by name).
    """

    def __init__(self, rules: Sequence[RuleInfo], *, packs: Sequence[str] | None = None) -> None:
        self._rows: dict[_Article, _Row] = {}
        self._article_of: dict[str, _Article] = {}
        for rule in rules:
            if rule.id in self._article_of:
                continue
            key = _Article(rule.pack, rule.reference.text, rule.reference.article)
            self._rows.setdefault(key, _Row()).place(rule.id, rule.reference)
            self._article_of[rule.id] = key
        order = list(packs) if packs is not None else list(dict.fromkeys(rule.pack for rule in rules))
        self._pack_index: Mapping[str, int] = {pack: position for position, pack in enumerate(order)}
        self._listed_packs = packs is not None
        self._undescribed: dict[str, LegalReference | None] = {}  # rule id -> reference of its first finding
        self._patterns: Counter[_Pattern] = Counter()

    def add(self, asset: AssetResult) -> None:
        """Fold one asset's checks into the rows they belong to."""
        waived_rules = frozenset(f.rule for f in asset.findings if f.waiver is not None)
        worst: dict[_Article, Outcome] = {}
        pattern: dict[str, Outcome] = {}
        for check in asset.checks:
            article = self._article_of.get(check.rule)
            if article is None:
                self._undescribed.setdefault(check.rule, None)
            if check.outcome is Outcome.NOT_APPLICABLE:
                continue
            outcome = counted_outcome(check, waived_rules)
            if article is None:
                previous = pattern.get(check.rule)
                pattern[check.rule] = outcome if previous is None else _worse(previous, outcome)
                continue
            previous = worst.get(article)
            worst[article] = outcome if previous is None else _worse(previous, outcome)
        for article, outcome in worst.items():
            self._rows[article].counts[outcome] += 1
        if pattern:
            self._patterns[tuple(sorted(pattern.items()))] += 1
        for item in asset.findings:
            if item.rule in self._undescribed and self._undescribed[item.rule] is None:
                self._undescribed[item.rule] = item.reference

    def rows(self) -> tuple[MatrixRow, ...]:
        """One row per (pack, legal text, article): in pack order, then text, then natural article order."""
        rows = {key: row.copy() for key, row in self._rows.items()}
        placed: dict[str, _Article] = {}
        for rule_id, reference in self._undescribed.items():
            key = _Article(None, reference.text if reference else "", reference.article if reference else None)
            rows.setdefault(key, _Row()).place(rule_id, reference)
            placed[rule_id] = key
        for pattern, times in self._patterns.items():
            worst: dict[_Article, Outcome] = {}
            for rule_id, outcome in pattern:
                key = placed[rule_id]
                previous = worst.get(key)
                worst[key] = outcome if previous is None else _worse(previous, outcome)
            for key, outcome in worst.items():
                rows[key].counts[outcome] += times
        ordered = sorted(rows, key=lambda k: (self._pack_key(k.pack), k.text, _article_key(k.article)))
        return tuple(_matrix_row(key, rows[key]) for key in ordered)

    def _pack_key(self, pack: str | None) -> tuple[int, int, str]:
        if pack is None:
            return (2, 0, "")
        if pack in self._pack_index:
            return (0, self._pack_index[pack], "")
        return (1, 0, pack)


def _matrix_row(key: _Article, row: _Row) -> MatrixRow:
    counts = row.counts
    return MatrixRow(
        pack=key.pack,
        text=key.text,
        article=key.article,
        article_uncertain=row.uncertain,
        url=row.url,
        rules=tuple(sorted(row.rules)),
        assessed=sum(counts[outcome] for outcome in _COUNTED),
        compliant=counts[Outcome.COMPLIANT],
        violation=counts[Outcome.VIOLATION],
        indeterminate=counts[Outcome.INDETERMINATE],
        waived=counts[Outcome.WAIVED],
    )


def _worse(first: Outcome, second: Outcome) -> Outcome:
    return second if second.rank > first.rank else first


_NUMBER = re.compile(r"(\d+)")


def _article_key(article: str | None) -> tuple[int, tuple[tuple[int, str], ...]]:
    """Natural order ("art. 4" < "art. 5 §3" < "art. 11"); a missing article after every numbered one."""
    if article is None:
        return (1, ())
    pieces = _NUMBER.split(article)
    return (0, tuple((int(piece), "") if piece.isdigit() else (-1, piece) for piece in pieces if piece))
