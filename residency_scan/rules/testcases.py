"""A rule pack's test cases: an inventory asset and its evidence, and the outcome the law says each rule must give.

Packs are law written as data, so a change to a condition can quietly stop enforcing what the text says. Each
pack therefore ships `<pack-file-stem>.tests.yaml` beside it (format: docs/rules.md, "Test cases"), and
`rules test` runs them in CI. A case goes through the real parts of a scan, not a shortcut: the asset is read by
the inventory's own `AssetBuilder` (every inventory field works, with the same errors), the evidence is fused by
`locate`, and each rule decides with `Rule.in_scope` and `Rule.check`. Nothing depends on the wall clock: `today`
defaults to a fixed date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from residency_scan.errors import InputError, Problem
from residency_scan.inventory.files import ProblemLog
from residency_scan.inventory.records import AssetBuilder
from residency_scan.inventory.suggest import describe_type, did_you_mean, one_of, shown
from residency_scan.locate import locate
from residency_scan.models import (
    AccessRecord,
    Asset,
    Entity,
    EntityType,
    Evidence,
    Outcome,
    SourceRef,
)
from residency_scan.registers.providers import ProviderRegister
from residency_scan.registers.register_file import load_provider_register, parse_provider_register
from residency_scan.rules.conditions import RuleContext
from residency_scan.rules.engine import Rule, RulePack
from residency_scan.rules.loader import TEST_CASES_SUFFIX
from residency_scan.rules.schema import problems_from_validation
from residency_scan.safe_yaml import LocatedDict, LocatedList, load_yaml_text, read_text_and_sha256

MAX_CASES_FILE_BYTES = 4 * 1024 * 1024
MAX_PROBLEMS = 100
DEFAULT_TODAY = date(2026, 1, 1)
DEFAULT_ENTITY = Entity(name="test", type=EntityType.EIV)
TOP_FIELDS = ("pack", "cases")
CASE_FIELDS = ("name", "entity", "today", "asset", "evidence", "providers", "access", "expect")
EXPECTED_OUTCOMES = (Outcome.COMPLIANT, Outcome.VIOLATION, Outcome.INDETERMINATE, Outcome.NOT_APPLICABLE)

M = TypeVar("M", bound=BaseModel)


def cases_path_for(pack_path: Path) -> Path:
    """Where a pack's test cases are: `<stem>.tests.yaml` beside the pack file."""
    return pack_path.with_name(pack_path.stem + TEST_CASES_SUFFIX)


def pack_path_for(cases_path: Path) -> Path | None:
    """The pack a `<stem>.tests.yaml` file belongs to (`<stem>.yaml`), or None for another name."""
    if not cases_path.name.endswith(TEST_CASES_SUFFIX):
        return None
    return cases_path.with_name(cases_path.name.removesuffix(TEST_CASES_SUFFIX) + ".yaml")


@dataclass(frozen=True)
class Expectation:
    rule: str
    outcome: Outcome
    line: int


@dataclass(frozen=True)
class PackCase:
    """One test case, checked and built: everything a `RuleContext` needs, and what each rule must give."""

    name: str
    line: int
    entity: Entity
    today: date
    asset: Asset
    evidence: tuple[Evidence, ...]
    providers: ProviderRegister | None
    access: tuple[AccessRecord, ...] | None
    expect: tuple[Expectation, ...]


@dataclass(frozen=True)
class PackCases:
    path: Path
    pack: str
    cases: tuple[PackCase, ...]


@dataclass(frozen=True)
class RuleResult:
    rule: str
    expected: Outcome
    got: Outcome
    reason: str
    line: int  # of the expectation in the cases file

    @property
    def passed(self) -> bool:
        return self.expected is self.got


@dataclass(frozen=True)
class CaseResult:
    case: PackCase
    results: tuple[RuleResult, ...]

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)


# ------------------------------------------------------------------------------------------------ running


def run_cases(cases: PackCases, pack: RulePack) -> list[CaseResult]:
    return [run_case(case, pack) for case in cases.cases]


def run_case(case: PackCase, pack: RulePack) -> CaseResult:
    """Judge the case's asset as a scan would, and compare each expected rule's outcome."""
    ctx = RuleContext(asset=case.asset, location=locate(case.evidence), entity=case.entity, today=case.today,
                      providers=case.providers, access=case.access)
    rules = {rule.id: rule for rule in pack.rules}
    results = []
    for expectation in case.expect:
        got, reason = judge(rules[expectation.rule], ctx)
        results.append(RuleResult(expectation.rule, expectation.outcome, got, reason, expectation.line))
    return CaseResult(case, tuple(results))


def judge(rule: Rule, ctx: RuleContext) -> tuple[Outcome, str]:
    """One rule's outcome for one asset, `not-applicable` (with why) when it is out of the rule's scope."""
    outside = rule.scope_misses(ctx.asset.kind, ctx.asset.sensitivity, ctx.entity.type)
    if outside:
        return Outcome.NOT_APPLICABLE, "; ".join(outside)
    if not rule.in_scope(ctx):
        assert rule.when is not None
        return Outcome.NOT_APPLICABLE, f"applies_to.when is false ({rule.when.evaluate(ctx)[1]})"
    check, _ = rule.check(ctx)
    return check.outcome, check.reason


# ------------------------------------------------------------------------------------------------ loading


def load_pack_cases(path: Path, pack: RulePack) -> PackCases:
    """Read and check a cases file for `pack`, or raise InputError with every problem (file, line, field)."""
    text, sha256 = read_text_and_sha256(path, max_bytes=MAX_CASES_FILE_BYTES, what="test cases file")
    root = load_yaml_text(text, str(path))
    reader = _CasesReader(path, pack, sha256)
    cases = reader.read(root)
    if reader.problems:
        problems = sorted(reader.problems, key=lambda p: p.line or 0)
        if len(problems) > MAX_PROBLEMS:
            problems = [*problems[:MAX_PROBLEMS], Problem(str(path), f"{len(problems) - MAX_PROBLEMS} more "
                                                          "problems not shown", hint="fix these first")]
        raise InputError(problems)
    return PackCases(path=path, pack=pack.id, cases=tuple(cases))


class _CasesReader:
    """Checks a cases file field by field, collecting every problem before anything is raised."""

    def __init__(self, path: Path, pack: RulePack, sha256: str) -> None:
        self.path = path
        self.display = str(path)
        self.pack = pack
        self.sha256 = sha256
        self.rule_ids = [rule.id for rule in pack.rules]
        self.problems: list[Problem] = []

    def problem(self, message: str, line: int | None, field: str | None = None, hint: str | None = None) -> None:
        self.problems.append(Problem(self.display, message, line=line, field=field, hint=hint))

    def unknown_fields(self, mapping: LocatedDict, allowed: Sequence[str], prefix: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.problem(f"unknown field {shown(key)}", mapping.line_of(key), f"{prefix}{key}",
                             did_you_mean(key, allowed) or one_of(allowed))

    def read(self, root: Any) -> list[PackCase]:
        if not isinstance(root, LocatedDict):
            self.problem("a test cases file is a mapping with 'pack' and 'cases'", getattr(root, "line", None),
                         hint="see docs/rules.md, 'Test cases'")
            return []
        self.unknown_fields(root, TOP_FIELDS, "")
        pack_id = root.get("pack")
        if pack_id != self.pack.id:
            found = "missing" if pack_id is None else f"{shown(pack_id)}"
            self.problem(f"must be the id of the pack beside it, '{self.pack.id}' ({found})", root.line_of("pack"),
                         "pack", f"write pack: {self.pack.id}")
        raw_cases = root.get("cases")
        if not isinstance(raw_cases, LocatedList) or not raw_cases:
            self.problem("must be a non-empty list of cases", root.line_of("cases"), "cases",
                         "add cases: followed by one '- name: …' per case")
            return []
        cases: list[PackCase] = []
        first: dict[str, int] = {}
        for index, raw in enumerate(raw_cases):
            line = raw_cases.line_of(index)
            case = self.case(raw, f"cases[{index}]", line)
            if case is None:
                continue
            if case.name in first:
                self.problem(f"duplicate case name {shown(case.name)}", case.line, f"cases[{index}].name",
                             f"first used on line {first[case.name]}")
            first.setdefault(case.name, case.line)
            cases.append(case)
        return cases

    def case(self, raw: Any, where: str, line: int) -> PackCase | None:
        if not isinstance(raw, LocatedDict):
            self.problem(f"each case must be a mapping (name: …, asset: …, expect: …), not {describe_type(raw)}",
                         line, where)
            return None
        before = len(self.problems)
        self.unknown_fields(raw, CASE_FIELDS, f"{where}.")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problem("a case needs a name (a text)", raw.line_of("name"), f"{where}.name",
                         'e.g. name: "sensitive server confirmed in Morocco complies"')
        today = raw.get("today", DEFAULT_TODAY)
        if not isinstance(today, date) or isinstance(today, datetime):
            self.problem(f"must be a date (YYYY-MM-DD), not {describe_type(today)}", raw.line_of("today"),
                         f"{where}.today", "e.g. today: 2026-11-25")
            today = DEFAULT_TODAY
        entity = self.entity(raw, where)
        asset = self.asset(raw, where)
        evidence = self.evidence(raw, where, today)
        providers = self.providers(raw, where)
        access = self.access(raw, where, today)
        expect = self.expect(raw, where)
        if len(self.problems) > before or asset is None or entity is None or not isinstance(name, str):
            return None
        return PackCase(name=name.strip(), line=line, entity=entity, today=today, asset=asset,
                        evidence=evidence, providers=providers, access=access, expect=expect)

    def validated(self, model: type[M], raw: LocatedDict, defaults: dict[str, Any], where: str,
                  line: int | None) -> M | None:
        """`raw` with `defaults` for the fields it leaves out, validated; problems point at `raw`'s lines."""
        try:
            return model.model_validate({**defaults, **raw})
        except ValidationError as exc:
            self.problems.extend(problems_from_validation(exc, self.display, raw, where, line, model))
            return None

    def entity(self, raw: LocatedDict, where: str) -> Entity | None:
        value = raw.get("entity")
        if value is None:
            return DEFAULT_ENTITY
        if not isinstance(value, LocatedDict):
            self.problem("must be a mapping", raw.line_of("entity"), f"{where}.entity", "e.g. entity: {type: eiv}")
            return None
        return self.validated(Entity, value, {"name": DEFAULT_ENTITY.name}, f"{where}.entity", raw.line_of("entity"))

    def asset(self, raw: LocatedDict, where: str) -> Asset | None:
        record = raw.get("asset")
        if record is None:
            self.problem("a case needs an asset", raw.line, f"{where}.asset",
                         "e.g. asset: {id: srv, kind: server, target: 41.248.30.20, sensitivity: sensitive}")
            return None
        log = ProblemLog(self.display)
        asset = AssetBuilder(log).build(record, raw.line_of("asset"))
        for problem in log.problems:  # name the field as the cases file spells it
            field = f"{where}.asset.{problem.field}" if problem.field else f"{where}.asset"
            self.problems.append(Problem(problem.path, problem.message, problem.line, field, problem.hint))
        return asset

    def items(self, raw: LocatedDict, key: str, where: str) -> list[tuple[LocatedDict, str, int]]:
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, LocatedList):
            self.problem(f"must be a list, not {describe_type(value)}", raw.line_of(key), f"{where}.{key}")
            return []
        items = []
        for index, item in enumerate(value):
            if isinstance(item, LocatedDict):
                items.append((item, f"{where}.{key}[{index}]", value.line_of(index)))
            else:
                self.problem(f"must be a mapping, not {describe_type(item)}", value.line_of(index),
                             f"{where}.{key}[{index}]")
        return items

    def evidence(self, raw: LocatedDict, where: str, today: date) -> tuple[Evidence, ...]:
        observed = datetime.combine(today, time(), UTC)
        found = (self.validated(Evidence, item, {"observed_at": observed}, field, line)
                 for item, field, line in self.items(raw, "evidence", where))
        return tuple(item for item in found if item is not None)

    def access(self, raw: LocatedDict, where: str, today: date) -> tuple[AccessRecord, ...] | None:
        if raw.get("access") is None:
            return None  # no access log given, which is not the same as a log without access
        seen = datetime.combine(today, time(), UTC)
        found = (self.validated(AccessRecord, item, {
            "first_seen": seen, "last_seen": seen, "count": 1, "reason": "given in the test case",
            "log": SourceRef(path=self.display, line=line)}, field, line)
            for item, field, line in self.items(raw, "access", where))
        return tuple(item for item in found if item is not None)

    def providers(self, raw: LocatedDict, where: str) -> ProviderRegister | None:
        value = raw.get("providers")
        if value is None:
            return None
        try:
            if isinstance(value, str):
                path = Path(value) if Path(value).is_absolute() else self.path.parent / value
                return load_provider_register(path)
            if isinstance(value, LocatedDict):
                return parse_provider_register(value, self.display, self.sha256)
        except InputError as exc:
            self.problems.extend(exc.problems)
            return None
        self.problem(f"must be a register (a mapping) or the path of a register file, not {describe_type(value)}",
                     raw.line_of("providers"), f"{where}.providers",
                     "see examples/prestataires-exemple.yaml for the format")
        return None

    def expect(self, raw: LocatedDict, where: str) -> tuple[Expectation, ...]:
        value = raw.get("expect")
        if not isinstance(value, LocatedDict) or not value:
            self.problem("a case needs expect: a mapping of rule ids to outcomes", raw.line_of("expect"),
                         f"{where}.expect", f"e.g. expect: {{{self.rule_ids[0]}: compliant}}")
            return ()
        allowed = [outcome.value for outcome in EXPECTED_OUTCOMES]
        expectations = []
        for rule_id, outcome in value.items():
            line, field = value.line_of(rule_id), f"{where}.expect.{rule_id}"
            if rule_id not in self.rule_ids:
                self.problem(f"no rule {shown(rule_id)} in pack '{self.pack.id}'", line, field,
                             did_you_mean(rule_id, self.rule_ids) or f"rules: {', '.join(self.rule_ids)}")
                continue
            if not isinstance(outcome, str) or outcome not in allowed:
                hint = did_you_mean(outcome, allowed) if isinstance(outcome, str) else None
                self.problem(f"unknown outcome {shown(outcome)}", line, field, hint or one_of(allowed))
                continue
            expectations.append(Expectation(rule_id, Outcome(outcome), line))
        return tuple(expectations)
