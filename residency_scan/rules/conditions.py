"""The condition language of rule packs: three-valued truth, `all`/`any`/`not`, and the leaf registry.

A condition never answers "yes" when the evidence does not say so. Each evaluation gives a `Truth` (Kleene's
three values) and a reason in words, so that a finding can say *why* (which address, which country, which
source). Leaves are classes registered by name with `@register("country-in")` (the cloud-custodian way);
each has a pydantic parameter model that refuses unknown fields, and a docstring whose `Example::` block is
checked by the tests and quoted in docs/rules.md. The shipped leaves live in `leaves.py`.
"""

from __future__ import annotations

import abc
import enum
import inspect
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

from residency_scan.models import AccessRecord, Asset, Entity, Location

if TYPE_CHECKING:
    from residency_scan.registers.providers import ProviderRegister


class Truth(enum.Enum):
    """Kleene's three values. UNKNOWN means "the evidence does not tell", never "probably fine"."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


Judged = tuple[Truth, str]
"""What every condition returns: its truth value and why, in words."""


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a condition may look at for one asset.

    `today` is the scan's date (qualification and waiver validity are judged on it); `providers` is the
    qualification register given with `--providers` (None: none given, so qualification is unknown);
    `access` is the administrative access seen in `--access-log` files for this asset (None: no log given).
    """

    asset: Asset
    location: Location
    entity: Entity
    today: date | None = None
    providers: ProviderRegister | None = None
    access: tuple[AccessRecord, ...] | None = None
    # Leaf answers already computed for this asset, by leaf: the same facts (sensitive-data, uses-cloud, the
    # provider's qualification) are asked by several rules' scopes and conditions. `RuleEngine.judge` sets it.
    memo: dict[int, Judged] | None = None


class Condition(abc.ABC):
    """A compiled node of a condition tree. Built once at load time, evaluated for every asset."""

    __slots__ = ()

    @abc.abstractmethod
    def evaluate(self, ctx: RuleContext) -> Judged:
        """The truth of this condition for one asset, and the reason."""


CT = TypeVar("CT", bound=type[Condition])


def remembered(cls: CT) -> CT:
    """Class decorator: the condition's `evaluate` answers from `ctx.memo` when the same condition already
    judged this asset. Conditions are pure functions of the context and compiled once, identical ones shared
    (`intern_leaf`), so this is exact — and the same facts (sensitive-data, uses-cloud, a
    provider's qualification) are asked by several rules' scopes and conditions."""
    evaluate = cls.evaluate

    def evaluate_once(self: Condition, ctx: RuleContext) -> Judged:
        memo = ctx.memo
        if memo is None:
            return evaluate(self, ctx)
        key = id(self)
        found = memo.get(key)
        if found is None:
            found = memo[key] = evaluate(self, ctx)
        return found

    cls.evaluate = evaluate_once  # type: ignore[method-assign]
    return cls


def _reasons(results: Sequence[Judged], wanted: Truth | None = None) -> str:
    """The distinct reasons of the results (of one truth value, if given), in order."""
    texts = (reason for truth, reason in results if reason and (wanted is None or truth is wanted))
    return "; ".join(dict.fromkeys(texts))


def kleene_all(results: Sequence[Judged]) -> Judged:
    """FALSE if any is FALSE, else UNKNOWN if any is UNKNOWN, else TRUE. The reason follows the winner."""
    truths = {truth for truth, _ in results}
    for verdict in (Truth.FALSE, Truth.UNKNOWN):
        if verdict in truths:
            return verdict, _reasons(results, verdict)
    return Truth.TRUE, _reasons(results)


def kleene_any(results: Sequence[Judged]) -> Judged:
    """TRUE if any is TRUE, else UNKNOWN if any is UNKNOWN, else FALSE. The reason follows the winner."""
    truths = {truth for truth, _ in results}
    for verdict in (Truth.TRUE, Truth.UNKNOWN):
        if verdict in truths:
            return verdict, _reasons(results, verdict)
    return Truth.FALSE, _reasons(results)


_NEGATION = {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE, Truth.UNKNOWN: Truth.UNKNOWN}


def kleene_not(result: Judged) -> Judged:
    """Swaps TRUE and FALSE, keeps UNKNOWN. The reason is a fact about the asset, so it stays."""
    return _NEGATION[result[0]], result[1]


class AllOf(Condition):
    __slots__ = ("children",)

    def __init__(self, children: Sequence[Condition]) -> None:
        self.children = tuple(children)

    def evaluate(self, ctx: RuleContext) -> Judged:
        return kleene_all([child.evaluate(ctx) for child in self.children])


class AnyOf(Condition):
    __slots__ = ("children",)

    def __init__(self, children: Sequence[Condition]) -> None:
        self.children = tuple(children)

    def evaluate(self, ctx: RuleContext) -> Judged:
        return kleene_any([child.evaluate(ctx) for child in self.children])


class Not(Condition):
    __slots__ = ("child",)

    def __init__(self, child: Condition) -> None:
        self.child = child

    def evaluate(self, ctx: RuleContext) -> Judged:
        return kleene_not(self.child.evaluate(ctx))


# --------------------------------------------------------------------------------------------- registry

COMBINATORS = ("all", "any", "not")

T = TypeVar("T")


def non_empty(message: str = "the list is empty; list at least one value") -> AfterValidator:
    """A validator for lists that must not be empty. An after-validator, so a list whose items are wrong
    gets only the item errors, not also a confusing "too short"."""

    def check(values: tuple[T, ...]) -> tuple[T, ...]:
        if not values:
            raise ValueError(message)
        return values

    return AfterValidator(check)



class LeafParams(BaseModel):
    """Base of every leaf's parameters: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class OnlyTrueParams(LeafParams):
    """Only `true`: the opposite reading is written `not: {<leaf>: true}`."""

    value: bool

    @field_validator("value", mode="after")
    @classmethod
    def _only_true(cls, value: bool) -> bool:
        if not value:
            raise ValueError("only 'true' is accepted; for the opposite, wrap the condition in not: {…: true}")
        return value



P = TypeVar("P", bound=LeafParams)


class Leaf(Condition, Generic[P]):
    """A registered condition. `Params` validates its YAML value; `shorthand`, when set, names the one
    parameter a scalar value stands for (`location-confirmed: true` is `{value: true}`)."""

    __slots__ = ("params",)

    name: ClassVar[str] = ""
    Params: ClassVar[type[LeafParams]]
    shorthand: ClassVar[str | None] = None

    def __init__(self, params: P) -> None:
        self.params = params


L = TypeVar("L", bound=type[Leaf[Any]])
_REGISTRY: dict[str, type[Leaf[Any]]] = {}


def register(name: str) -> Callable[[L], L]:
    """Class decorator: make a leaf available in rule files under `name`."""

    def decorate(cls: L) -> L:
        if name in COMBINATORS or name in _REGISTRY:
            raise ValueError(f"condition name '{name}' is already taken")
        if "Example::" not in (cls.__doc__ or ""):
            raise ValueError(f"condition '{name}' needs a docstring with an 'Example::' block")
        cls.name = name
        remembered(cls)
        _REGISTRY[name] = cls
        return cls

    return decorate


_INTERNED: dict[tuple[object, ...], Condition] = {}
"""Leaves by (name, parameters). Combinators are not shared: measured, memoising them gained nothing more."""


def intern_leaf(leaf: type[Leaf[Any]], params: LeafParams) -> Condition:
    """One instance per (leaf, parameters), so that a memo keyed by condition finds a fact asked by several
    rules."""
    try:
        key: tuple[object, ...] = (leaf.name, params)
        found = _INTERNED.get(key)
    except TypeError:  # unhashable parameters: no sharing, still correct
        return leaf(params)
    if found is None:
        found = _INTERNED[key] = leaf(params)
    return found


def registered_leaves() -> Mapping[str, type[Leaf[Any]]]:
    """Every registered leaf by name (read-only)."""
    return MappingProxyType(_REGISTRY)


def example_of(leaf: type[Leaf[Any]]) -> str:
    """The YAML example from a leaf's docstring (the indented block after `Example::`)."""
    doc = inspect.getdoc(leaf) or ""
    block = doc.split("Example::", 1)[1]
    return textwrap.dedent(block).strip("\n") + "\n"
