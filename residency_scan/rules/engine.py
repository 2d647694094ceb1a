"""Judging one asset against every rule that applies to it.

Everything that can be decided before the first asset is decided at load time: conditions are compiled,
messages are split into segments, and the rules that apply to each (kind, sensitivity, entity type) triple
are indexed, so `judge` only evaluates conditions and builds the results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from residency_scan.errors import Problem, RuleFileError
from residency_scan.models import (
    AssetKind,
    Deadline,
    EntityType,
    Finding,
    LegalReference,
    Outcome,
    RuleCheck,
    RuleInfo,
    RulePackRef,
    Sensitivity,
    Severity,
)
from residency_scan.rules.conditions import Condition, RuleContext, Truth
from residency_scan.rules.schema import PackDeadline, PackText, RuleSpec, parse_template
from residency_scan.rules.shipped import display_pack_path

__all__ = [
    "AssetJudgement", "Rule", "RuleContext", "RuleEngine", "RulePack", "Template", "duplicate_problems",
]

_OUTCOME_OF_TRUTH = {
    Truth.TRUE: Outcome.COMPLIANT,
    Truth.FALSE: Outcome.VIOLATION,
    Truth.UNKNOWN: Outcome.INDETERMINATE,
}
_NO_COUNTRY = {"en": "unknown", "fr": "inconnue"}


@dataclass(frozen=True, slots=True)
class Template:
    """A message whose placeholders were checked at load time by `parse_template`: bare names from
    PLACEHOLDERS only, so `format_map` can neither reach into objects nor pad a value to gigabytes, and
    substituted values (asset ids from inventories) are never formatted again."""

    text: str

    @classmethod
    def parse(cls, text: str) -> Template:
        parse_template(text)
        return cls(text)

    def render(self, values: Mapping[str, str]) -> str:
        return self.text.format_map(values)


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """A rule ready to judge: the rule file's texts plus its compiled condition and applicability sets.
    A set of None means the rule file omitted that list: every value applies."""

    id: str
    pack: str
    title: str
    title_fr: str
    severity: Severity
    reference: LegalReference
    see_also: tuple[LegalReference, ...]
    kinds: frozenset[AssetKind] | None
    sensitivity: frozenset[Sensitivity] | None
    entity_types: frozenset[EntityType] | None
    condition: Condition
    message: Template
    message_fr: Template
    remediation: Template
    remediation_fr: Template
    line: int | None = None
    when: Condition | None = None  # applies_to.when: FALSE makes the rule not applicable to the asset

    @classmethod
    def from_spec(cls, spec: RuleSpec, condition: Condition, pack: str, line: int | None = None, *,
                  when: Condition | None = None) -> Rule:
        scope = spec.applies_to
        return cls(
            id=spec.id,
            pack=pack,
            title=spec.title.en,
            title_fr=spec.title.fr,
            severity=spec.severity,
            reference=spec.reference,
            see_also=spec.see_also,
            kinds=None if scope.kinds is None else frozenset(scope.kinds),
            sensitivity=None if scope.sensitivity is None else frozenset(scope.sensitivity),
            entity_types=None if scope.entity_types is None else frozenset(scope.entity_types),
            condition=condition,
            message=Template.parse(spec.message.en),
            message_fr=Template.parse(spec.message.fr),
            remediation=Template.parse(spec.remediation.en),
            remediation_fr=Template.parse(spec.remediation.fr),
            line=line,
            when=when,
        )

    def info(self) -> RuleInfo:
        """The rule as reports describe it."""
        def listed(values: frozenset[Any] | None) -> tuple[Any, ...] | None:
            return None if values is None else tuple(sorted(values))

        return RuleInfo(
            id=self.id, pack=self.pack, title=self.title, title_fr=self.title_fr, severity=self.severity,
            reference=self.reference, see_also=self.see_also, message=self.message.text,
            message_fr=self.message_fr.text, remediation=self.remediation.text,
            remediation_fr=self.remediation_fr.text, kinds=listed(self.kinds),
            sensitivity=listed(self.sensitivity), entity_types=listed(self.entity_types))

    def applies(self, kind: AssetKind, sensitivity: Sensitivity, entity_type: EntityType) -> bool:
        return not self.scope_misses(kind, sensitivity, entity_type)

    def scope_misses(self, kind: AssetKind, sensitivity: Sensitivity, entity_type: EntityType) -> list[str]:
        """Why such an asset is outside the rule's `applies_to` lists, in words (empty: it is inside)."""
        return [f"{what} '{value}' is not in applies_to.{field}"
                for what, field, value, allowed in (("kind", "kinds", kind, self.kinds),
                                                    ("sensitivity", "sensitivity", sensitivity, self.sensitivity),
                                                    ("entity type", "entity_types", entity_type, self.entity_types))
                if allowed is not None and value not in allowed]

    def in_scope(self, ctx: RuleContext) -> bool:
        """False only when `applies_to.when` is FALSE for the asset: an UNKNOWN fact never exempts it."""
        return self.when is None or self.when.evaluate(ctx)[0] is not Truth.FALSE

    def check(self, ctx: RuleContext) -> tuple[RuleCheck, Finding | None]:
        """The outcome of this rule for one asset; a Finding too unless it is compliant."""
        truth, reason = self.condition.evaluate(ctx)
        outcome = _OUTCOME_OF_TRUTH[truth]
        check = RuleCheck(rule=self.id, outcome=outcome, reason=reason)
        if outcome is Outcome.COMPLIANT:
            return check, None
        countries = ", ".join(ctx.location.countries)
        en = {"asset": ctx.asset.id, "countries": countries or _NO_COUNTRY["en"], "reason": reason}
        fr = {"asset": ctx.asset.id, "countries": countries or _NO_COUNTRY["fr"], "reason": reason}
        finding = Finding(
            rule=self.id, title=self.title, title_fr=self.title_fr, severity=self.severity, outcome=outcome,
            message=self.message.render(en), message_fr=self.message_fr.render(fr),
            remediation=self.remediation.render(en), remediation_fr=self.remediation_fr.render(fr),
            reference=self.reference, see_also=self.see_also, reason=reason)
        return check, finding


@dataclass(frozen=True)
class RulePack:
    """One loaded rule file. `sha256` is of the file's bytes, so a report names exactly what judged it."""

    id: str
    title: str
    title_fr: str
    version: str
    path: Path
    sha256: str
    rules: tuple[Rule, ...]
    text: PackText | None = None
    deadline: PackDeadline | None = None

    def ref(self) -> RulePackRef:
        deadline = None
        if self.deadline is not None:
            spec = self.deadline
            deadline = Deadline(date=spec.date, label=spec.label.en, label_fr=spec.label.fr,
                                reference=spec.reference, uncertain=spec.uncertain)
        return RulePackRef(id=self.id, title=self.title, title_fr=self.title_fr, version=self.version,
                           path=display_pack_path(self.path), sha256=self.sha256, deadline=deadline)



@dataclass(frozen=True)
class AssetJudgement:
    verdict: Outcome
    checks: tuple[RuleCheck, ...]
    findings: tuple[Finding, ...]


_NOT_APPLICABLE = AssetJudgement(Outcome.NOT_APPLICABLE, (), ())


def duplicate_problems(packs: Sequence[RulePack]) -> list[Problem]:
    """Pack ids and rule ids must be unique across every pack in use: reports and waivers name them."""
    problems: list[Problem] = []
    pack_paths: dict[str, Path] = {}
    rule_homes: dict[str, tuple[RulePack, Rule]] = {}
    for pack in packs:
        if pack.id in pack_paths:
            problems.append(Problem(str(pack.path), f"duplicate rule pack id '{pack.id}'", field="pack.id",
                                    hint=f"already the id of {pack_paths[pack.id]}"))
        pack_paths.setdefault(pack.id, pack.path)
        for rule in pack.rules:
            home = rule_homes.get(rule.id)
            if home is None:
                rule_homes[rule.id] = (pack, rule)
                continue
            where = f"{home[0].path}:{home[1].line}" if home[1].line else str(home[0].path)
            problems.append(Problem(str(pack.path), f"duplicate rule id '{rule.id}'", line=rule.line,
                                    field="id", hint=f"already defined in {where}"))
    return problems


class RuleEngine:
    """Judges assets against a fixed set of rule packs."""

    def __init__(self, packs: Sequence[RulePack]) -> None:
        problems = duplicate_problems(packs)
        if problems:
            raise RuleFileError(problems)
        self.packs = tuple(packs)
        self.rules = tuple(rule for pack in self.packs for rule in pack.rules)
        self._refs = tuple(pack.ref() for pack in self.packs)
        self._index = {
            (kind, sensitivity, entity_type): tuple(
                rule for rule in self.rules if rule.applies(kind, sensitivity, entity_type))
            for kind in AssetKind for sensitivity in Sensitivity for entity_type in EntityType
        }

    def refs(self) -> tuple[RulePackRef, ...]:
        return self._refs

    def infos(self) -> tuple[RuleInfo, ...]:
        """Every rule of every pack, in pack then file order."""
        return tuple(rule.info() for rule in self.rules)

    def rules_for(self, kind: AssetKind, sensitivity: Sensitivity,
                  entity_type: EntityType) -> tuple[Rule, ...]:
        """The rules that apply to such an asset, in pack then file order."""
        return self._index[(kind, sensitivity, entity_type)]

    def judge(self, ctx: RuleContext) -> AssetJudgement:
        """Every applicable rule's outcome; the verdict is the worst (violation > indeterminate > compliant),
        or not-applicable when no rule applies."""
        rules = self._index[(ctx.asset.kind, ctx.asset.sensitivity, ctx.entity.type)]
        if not rules:
            return _NOT_APPLICABLE
        if ctx.memo is None:
            ctx = replace(ctx, memo={})
        checks: list[RuleCheck] = []
        findings: list[Finding] = []
        verdict = Outcome.COMPLIANT
        for rule in rules:
            if not rule.in_scope(ctx):
                continue
            check, finding = rule.check(ctx)
            checks.append(check)
            if finding is not None:
                findings.append(finding)
            if check.outcome.rank > verdict.rank:
                verdict = check.outcome
        if not checks:
            return _NOT_APPLICABLE
        return AssetJudgement(verdict, tuple(checks), tuple(findings))
