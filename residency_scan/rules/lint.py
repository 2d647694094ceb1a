"""`rules lint`: what the loader accepts but a reviewer should not — rules that can never apply, conditions that
can never fire, references an auditor cannot follow, packs without test cases.

The loader already refuses what cannot run (unknown conditions, duplicate ids, missing translations...); lint
runs it first and reports its problems as they are. Then, per rule:

- errors: a `reference` without `article` (unless `article_uncertain: true` says the sources do not give one) or
  without `url`; a rule that applies to no asset at all;
- warnings: a condition that is TRUE for every asset (it can never report anything), a message (en or fr) that
  does not name `{asset}`, a pack without its `<stem>.tests.yaml` cases beside it.

"Applies to no asset" and "TRUE for every asset" are decided on a grid of synthetic assets and contexts (every
kind × sensitivity × entity type × service type × boolean fact × other facts × location × access log), explored
as `lint_grid` explains. The grid errs towards "applies" and "may fire" (it also holds combinations an inventory
would refuse), so a finding is never a false alarm of the grid's making: the rule really is dead, or really
cannot fire, for every combination of those facts. When the exploration is too large to finish, lint says nothing
about that rule rather than guess.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from residency_scan.errors import Problem
from residency_scan.rules.engine import Rule, RulePack
from residency_scan.rules.lint_grid import can_apply, can_fire
from residency_scan.rules.loader import load_packs_separately
from residency_scan.rules.schema import parse_template
from residency_scan.rules.testcases import cases_path_for


class LintLevel(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class LintFinding:
    """One thing lint says about one rule (or one pack): `file:line: rule-id: level: message`."""

    path: str
    line: int | None
    subject: str  # rule id, or pack id for pack-level findings
    level: LintLevel
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.subject}: {self.level.value}: {self.message}"


@dataclass(frozen=True)
class LintReport:
    """What `rules lint` found: the loader's problems (files it refused) and the lint findings of the others."""

    packs: tuple[RulePack, ...]
    problems: tuple[Problem, ...]
    findings: tuple[LintFinding, ...]

    @property
    def errors(self) -> tuple[LintFinding, ...]:
        return tuple(f for f in self.findings if f.level is LintLevel.ERROR)

    @property
    def warnings(self) -> tuple[LintFinding, ...]:
        return tuple(f for f in self.findings if f.level is LintLevel.WARNING)

    def exit_code(self, *, strict: bool = False) -> int:
        """2 for load problems or lint errors; 1 for warnings under --strict; else 0."""
        if self.problems or self.errors:
            return 2
        return 1 if strict and self.warnings else 0


def lint_paths(specs: Sequence[str | Path]) -> LintReport:
    """Load every pack named (files, directories, shipped names) and lint the packs that loaded."""
    packs, problems = load_packs_separately(specs)
    findings = [finding for pack in packs for finding in lint_pack(pack)]
    return LintReport(tuple(packs), tuple(problems), tuple(findings))


def lint_pack(pack: RulePack) -> list[LintFinding]:
    findings = [finding for rule in pack.rules for finding in lint_rule(rule, str(pack.path))]
    if not cases_path_for(pack.path).is_file():
        findings.append(LintFinding(
            str(pack.path), None, pack.id, LintLevel.WARNING,
            f"no test cases: add {cases_path_for(pack.path).name} beside the pack (docs/rules.md, 'Test cases'), "
            "so that a change that breaks the law's intent fails `rules test`"))
    return findings


def lint_rule(rule: Rule, path: str) -> list[LintFinding]:
    def finding(level: LintLevel, message: str) -> LintFinding:
        return LintFinding(path, rule.line, rule.id, level, message)

    found: list[LintFinding] = []
    ref = rule.reference
    if ref.article is None and not ref.article_uncertain:
        found.append(finding(LintLevel.ERROR, "reference has no article: give reference.article, or set "
                                              "article_uncertain: true when the sources do not confirm one"))
    if not ref.url:
        found.append(finding(LintLevel.ERROR, "reference has no url: give the address where the text is "
                                              "published, so an auditor can check the quote"))
    for language, template in (("en", rule.message.text), ("fr", rule.message_fr.text)):
        if "asset" not in {name for _, name in parse_template(template)}:
            found.append(finding(LintLevel.WARNING, f"message.{language} does not name {{asset}}: a finding "
                                                    "would not say which asset it is about"))
    applies = can_apply(rule)
    if applies is False:
        found.append(finding(LintLevel.ERROR, _unreachable(rule)))
    elif applies and can_fire(rule) is False:
        found.append(finding(LintLevel.WARNING, "the condition is TRUE for every asset in scope and every "
                                                "location: the rule can never report a violation or an "
                                                "indeterminate outcome"))
    return found


def _unreachable(rule: Rule) -> str:
    if rule.when is None:  # cannot happen with non-empty applies_to lists; kept for a clear message
        return "applies_to admits no asset: the rule can never apply"
    return ("applies_to.when is FALSE for every asset that applies_to's lists admit (every kind, sensitivity, "
            "entity type, service type, inventory fact, location and access log): the rule can never apply")
