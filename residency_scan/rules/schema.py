"""The rule-file format: what a pack may say, checked in full before any rule runs.

Rule files are data written by people, so every mistake is reported as a `Problem` with the file, the line,
the field and a fix, and all problems of a file are reported at once. The pydantic models refuse unknown
fields; `ConditionCompiler` turns the condition mapping of each rule into a `Condition` tree once, at load
time, so that judging an asset never re-validates anything.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Annotated, Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from residency_scan.errors import Problem
from residency_scan.inventory.suggest import did_you_mean
from residency_scan.models import AssetKind, EntityType, LegalReference, Sensitivity, Severity
from residency_scan.rules import leaves as _leaves  # noqa: F401  (registers the shipped leaves)
from residency_scan.rules import leaves_access as _leaves_access  # noqa: F401
from residency_scan.rules import leaves_inventory as _leaves_inventory  # noqa: F401
from residency_scan.rules import leaves_provider as _leaves_provider  # noqa: F401
from residency_scan.rules.conditions import (
    COMBINATORS,
    AllOf,
    AnyOf,
    Condition,
    Not,
    example_of,
    intern_leaf,
    non_empty,
    registered_leaves,
)
from residency_scan.safe_yaml import LocatedDict, LocatedList, line_at

MAX_CONDITION_DEPTH = 32
PLACEHOLDERS = ("asset", "countries", "reason")
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _filled(text: str) -> str:
    if not text.strip():
        raise ValueError("text is empty")
    return text


class Text(Spec):
    """A text in both report languages: a French-speaking auditor and an English one read the same pack."""

    en: str
    fr: str

    check_filled = field_validator("en", "fr")(_filled)


class TemplateText(Text):
    """A text that may name `{asset}`, `{countries}` and `{reason}` (see `parse_template`)."""

    @field_validator("en", "fr")
    @classmethod
    def _placeholders(cls, text: str) -> str:
        parse_template(text)
        return text


class PackText(Spec):
    """The legal text a pack implements."""

    name: str = Field(min_length=1)
    url: str | None = None
    published: str | None = None


class PackDeadline(Spec):
    """A date by which the text must be complied with, shown in every report with the days left."""

    date: date
    label: Text
    reference: LegalReference
    uncertain: bool = False


class PackMeta(Spec):
    id: str = Field(pattern=_ID)
    version: str = Field(min_length=1)
    title: Text
    text: PackText | None = None
    deadline: PackDeadline | None = None


_EMPTY_SCOPE = "the list is empty, so the rule would apply to nothing; omit the field to mean 'all'"


class AppliesTo(Spec):
    """Which assets a rule judges. An omitted list means "all"; an empty list is refused as a likely slip."""

    kinds: Annotated[tuple[AssetKind, ...], non_empty(_EMPTY_SCOPE)] | None = None
    sensitivity: Annotated[tuple[Sensitivity, ...], non_empty(_EMPTY_SCOPE)] | None = None
    entity_types: Annotated[tuple[EntityType, ...], non_empty(_EMPTY_SCOPE)] | None = None
    # A condition on the asset's facts: FALSE takes the asset out of the rule (not applicable); TRUE and
    # UNKNOWN keep it in, so that an unknown fact can never exempt an asset. Compiled like `condition`.
    when: Any = None


class RuleSpec(Spec):
    id: str = Field(pattern=_ID)
    title: Text
    message: TemplateText
    severity: Severity
    reference: LegalReference
    see_also: tuple[LegalReference, ...] = ()
    applies_to: AppliesTo = AppliesTo()
    condition: Any
    remediation: TemplateText


class RulePackSpec(Spec):
    pack: PackMeta
    rules: Annotated[tuple[RuleSpec, ...], non_empty("a rule pack needs at least one rule")]


# --------------------------------------------------------------------------------------------- templates

Segment = tuple[str, str | None]


def parse_template(text: str) -> tuple[Segment, ...]:
    """Split a message into literal text and placeholder names.

    Only bare names from PLACEHOLDERS are allowed: no attribute or index access (`{asset.__class__}`), no
    conversion or format spec (`{asset:>999999999}`), so that a rule file can neither reach into objects
    nor make a message huge. With those checked, `format_map` with a plain dict of texts is safe.
    """
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(f"bad placeholder syntax ({exc}); "
                         "write '{{' and '}}' for literal braces") from None
    segments: list[Segment] = []
    for literal, name, spec, conversion in parsed:
        if literal:
            segments.append((literal, None))
        if name is None:
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if conversion or spec:
            raise ValueError(f"placeholder '{shown}' has a conversion or format spec, which is not allowed")
        if name not in PLACEHOLDERS:
            if any(c in name for c in ".[]"):
                raise ValueError(f"placeholder '{shown}' uses attribute or index access, "
                                 "which is not allowed")
            hint = did_you_mean(name, PLACEHOLDERS)
            raise ValueError(f"unknown placeholder '{shown}' (allowed: {', '.join(PLACEHOLDERS)})"
                             + (f"; {hint}" if hint else ""))
        segments.append(("", name))
    return tuple(segments)


# --------------------------------------------------------------------------------------------- conditions


def _line_of(container: Any, key: str | int, default: int | None) -> int | None:
    if isinstance(container, LocatedDict) and isinstance(key, str):
        return container.line_of(key)
    if isinstance(container, LocatedList) and isinstance(key, int):
        return container.line_of(key)
    return default


class ConditionCompiler:
    """Turns the YAML of a condition into a `Condition` tree, collecting every problem with its line."""

    def __init__(self, path: str, max_depth: int = MAX_CONDITION_DEPTH) -> None:
        self.path = path
        self.max_depth = max_depth
        self.problems: list[Problem] = []

    def compile(self, raw: Any, field: str, line: int | None) -> Condition | None:
        """The compiled tree, or None when a problem was recorded."""
        return self._node(raw, field, line, 1)

    def _problem(self, message: str, line: int | None, field: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.path, message, line=line, field=field, hint=hint))

    def _node(self, raw: Any, field: str, line: int | None, depth: int) -> Condition | None:
        line = getattr(raw, "line", line)
        if depth > self.max_depth:
            self._problem(f"conditions are nested more than {self.max_depth} levels deep", line, field,
                          "flatten the tree: all/any take lists")
            return None
        if not isinstance(raw, dict) or len(raw) != 1:
            found = f"keys {', '.join(map(repr, raw))}" if isinstance(raw, dict) and raw else repr(raw)[:60]
            self._problem(f"a condition is a mapping with exactly one key; found {found}", line, field,
                          "e.g. {country-in: {countries: [MA]}}, or combine several with all: [...]")
            return None
        ((key, value),) = raw.items()
        key = str(key)
        key_line = _line_of(raw, key, line)
        where = f"{field}.{key}"
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                self._problem(f"'{key}' takes a non-empty list of conditions", key_line, where)
                return None
            children = [self._node(item, f"{where}[{i}]", _line_of(value, i, key_line), depth + 1)
                        for i, item in enumerate(value)]
            if any(child is None for child in children):
                return None
            kept = [child for child in children if child is not None]
            return AllOf(kept) if key == "all" else AnyOf(kept)
        if key == "not":
            if isinstance(value, list):
                self._problem("'not' takes one condition, not a list", key_line, where,
                              "to negate several, write not: {any: [...]} or not: {all: [...]}")
                return None
            child = self._node(value, where, key_line, depth + 1)
            return None if child is None else Not(child)
        return self._leaf(key, value, where, key_line)

    def _leaf(self, name: str, value: Any, field: str, line: int | None) -> Condition | None:
        leaf = registered_leaves().get(name)
        if leaf is None:
            known = [*COMBINATORS, *sorted(registered_leaves())]
            self._problem(f"unknown condition '{name}'", line, field,
                          did_you_mean(name, known) or f"known conditions: {', '.join(known)}")
            return None
        shorthand = leaf.shorthand if not isinstance(value, dict) else None
        if not isinstance(value, dict):
            if shorthand is None:
                self._problem(f"the parameters of '{name}' are a mapping", line, field,
                              f"e.g. {example_of(leaf).strip()}")
                return None
            value = {shorthand: value}
        try:
            params = leaf.Params.model_validate(value)
        except ValidationError as exc:
            problems = problems_from_validation(exc, self.path, value, field, line, leaf.Params)
            if shorthand:  # the user wrote `name: value`: name the field as written
                problems = [replace(p, field=field) if p.field == f"{field}.{shorthand}" else p
                            for p in problems]
            self.problems.extend(problems)
            return None
        return intern_leaf(leaf, params)


# --------------------------------------------------------------------------------------------- problems


def _join(prefix: str, loc: Sequence[str | int]) -> str:
    text = prefix
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model that validates the value at `loc`, if that value is a model."""
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int):
            continue
        # by name, or by alias (a field named `header` may be written `register`, which BaseModel reserves)
        field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None) if current else None
        current = _model_in(field.annotation) if field else None
    return current


_PLAIN = {
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "string_too_short": "must not be empty",
}


def _explain(error: Any, model: type[BaseModel], loc: Sequence[str | int]) -> tuple[str, str | None]:
    kind, value = error["type"], error.get("input")
    last = loc[-1] if loc else ""
    if kind == "missing":
        if last in ("en", "fr"):
            language = "English" if last == "en" else "French"
            return f"missing the {language} text", "write every text in English (en) and French (fr)"
        return "required field is missing", None
    if kind == "extra_forbidden":
        expected = _model_at(model, loc[:-1])
        allowed = list(expected.model_fields) if expected else []
        listed = f"allowed fields: {', '.join(allowed)}" if allowed else None
        return f"unknown field '{last}'", did_you_mean(str(last), allowed) or listed
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, "), None
    if kind == "string_type":
        scalar = isinstance(value, int | float | bool)
        return "must be a text", (f"put {value!r} in quotes" if scalar else None)
    if kind in ("model_type", "dict_type"):
        expected = _model_at(model, loc)
        example = 'e.g. {en: "...", fr: "..."}' if expected and issubclass(expected, Text) else None
        return "must be a mapping", example
    if kind in ("tuple_type", "list_type"):
        return "must be a list", (f"write [{value}]" if isinstance(value, str | int | float) else None)
    if kind == "string_pattern_mismatch":
        return (f"'{value}' is not a valid id",
                "letters, digits, '.', '_', ':' and '-' only, starting with a letter or a digit")
    if kind == "enum" and isinstance(value, str):
        choices = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        return f"'{value}' is not allowed, expected {', '.join(choices)}", did_you_mean(value, choices)
    return _PLAIN.get(kind, str(error["msg"])), None


def problems_from_validation(exc: ValidationError, path: str, root: Any, prefix: str,
                             default_line: int | None, model: type[BaseModel]) -> list[Problem]:
    """One Problem per pydantic error, with the YAML line of the offending value."""
    problems = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        message, hint = _explain(error, model, loc)
        problems.append(Problem(path, message, line=line_at(root, loc, default_line),
                                field=_join(prefix, loc) or None, hint=hint))
    return problems


Compiled = tuple[Condition | None, Condition | None]
"""A rule's compiled (condition, applies_to.when); `when` is None when the rule has none."""


def parse_pack(root: Any, path: str) -> tuple[RulePackSpec | None, list[Compiled], list[Problem]]:
    """Validate a whole pack: fields, duplicate ids, every condition. Problems are sorted by line."""
    if not isinstance(root, dict):
        return None, [], [Problem(path, "a rule pack is a mapping with 'pack' and 'rules'", line=getattr(
            root, "line", None), hint="see docs/rules.md")]
    problems: list[Problem] = []
    spec: RulePackSpec | None = None
    try:
        spec = RulePackSpec.model_validate(root)
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, path, root, "", getattr(root, "line", None),
                                                 RulePackSpec))
    raw_rules = root.get("rules")
    compiler = ConditionCompiler(path)
    conditions: list[Compiled] = []
    first_line: dict[str, int | None] = {}
    for index, raw_rule in enumerate(raw_rules if isinstance(raw_rules, list) else []):
        if not isinstance(raw_rule, dict):
            continue
        rule_line = _line_of(raw_rules, index, None)
        rule_id, id_line = raw_rule.get("id"), _line_of(raw_rule, "id", rule_line)
        if isinstance(rule_id, str) and rule_id in first_line:
            problems.append(Problem(path, f"duplicate rule id '{rule_id}'", line=id_line,
                                    field=f"rules[{index}].id",
                                    hint=f"first defined on line {first_line[rule_id]}"))
        elif isinstance(rule_id, str):
            first_line[rule_id] = id_line
        if "condition" in raw_rule:
            condition = compiler.compile(raw_rule["condition"], f"rules[{index}].condition",
                                         _line_of(raw_rule, "condition", rule_line))
            scope = raw_rule.get("applies_to")
            when = None
            if isinstance(scope, dict) and scope.get("when") is not None:
                when = compiler.compile(scope["when"], f"rules[{index}].applies_to.when",
                                        _line_of(scope, "when", rule_line))
            conditions.append((condition, when))
    problems.extend(compiler.problems)
    problems.sort(key=lambda p: p.line or 0)
    return (spec if not problems else None), conditions, problems
