"""The grid of synthetic assets `rules lint` judges a rule on: can it ever apply, and can its condition ever be
anything but TRUE?

The grid is the product of these dimensions, each with a few values:

- the asset's kind, sensitivity and the entity's type (only the values the rule's applies_to lists admit);
- `service_type` (unset, iaas, paas, saas, on-premises) and the boolean facts `sensitive_data`,
  `sensitive_system`, `personal_data` (unset, true, false);
- the other inventory facts: vendor, cloud resource, declared location (country, provider, qualification), tags,
  CNDP reference, subcontractors (unset, none, with and without data access) — with, for tags, vendors and cloud
  providers, the values the rule's own leaves name, so that `has-tag: {key: x}` can be TRUE somewhere;
- the fused location (unknown, confirmed in Morocco or abroad, contradicted, internal, candidates on both sides);
- the access log (none given, no access to the asset, access confirmed from Morocco, from abroad).

There is no provider register (provider leaves answer UNKNOWN without one) and `today` is GRID_TODAY.

That product has millions of points, but a condition reads only a few of them. So the grid is not built: it is
*explored*. A context's attributes are chosen when a condition first reads them, and each value of a dimension
that was read is tried in turn (a depth-first search over the decision tree of the evaluation; `explore`). The
paths visited stand for every point of the grid — a condition that reads only the kind is evaluated seven times,
not millions — under one assumption every leaf already meets: its answer depends only on what it reads.
"""

from __future__ import annotations

import itertools
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar, cast

from residency_scan.models import (
    AccessRecord,
    Asset,
    AssetKind,
    CloudRef,
    DeclaredLocation,
    Entity,
    EntityType,
    Location,
    LocationStatus,
    Sensitivity,
    ServiceType,
    SourceRef,
    Strength,
    Subcontractor,
    SubcontractorRole,
    SubjectLocation,
    Target,
    TargetKind,
)
from residency_scan.rules.conditions import AllOf, AnyOf, Condition, Leaf, Not, RuleContext, Truth
from residency_scan.rules.engine import Rule
from residency_scan.rules.leaves import CloudProviderIn, HasTag, VendorIn

GRID_TODAY = date(2026, 1, 1)
MAX_PATHS = 200_000
"""Evaluations one question may take; past it the answer is "undecided" and lint says nothing."""

T = TypeVar("T")


class Undecided(Exception):
    """The exploration went past MAX_PATHS: lint makes no claim about the rule."""


# ------------------------------------------------------------------------------------------------ explore


class Chooser:
    """Picks the value of each dimension an evaluation reads, replaying `prefix` first, then the first values."""

    def __init__(self, prefix: Sequence[int]) -> None:
        self.prefix = prefix
        self.choices: list[int] = []
        self.sizes: list[int] = []

    def choose(self, values: Sequence[T]) -> T:
        position = len(self.choices)
        index = self.prefix[position] if position < len(self.prefix) else 0
        self.choices.append(index)
        self.sizes.append(len(values))
        return values[index]


def explore(run: Callable[[Chooser], T], *, limit: int = MAX_PATHS) -> Iterator[T]:
    """`run` once per distinct path through the dimensions it reads: every combination, none twice."""
    pending: list[list[int]] = [[]]
    runs = 0
    while pending:
        runs += 1
        if runs > limit:
            raise Undecided
        chooser = Chooser(pending.pop())
        yield run(chooser)
        for position in range(len(chooser.prefix), len(chooser.choices)):
            for other in range(chooser.sizes[position] - 1, 0, -1):
                pending.append([*chooser.choices[:position], other])


# ------------------------------------------------------------------------------------------------ the grid


def leaves_of(condition: Condition | None) -> Iterator[Leaf[Any]]:
    """Every leaf of a compiled condition tree, depth first."""
    if condition is None:
        return
    if isinstance(condition, AllOf | AnyOf):
        for child in condition.children:
            yield from leaves_of(child)
    elif isinstance(condition, Not):
        yield from leaves_of(condition.child)
    elif isinstance(condition, Leaf):
        yield condition


_SOURCE = SourceRef(path="<lint: synthetic asset>")
_BASE = Asset(id="synthetic", kind=AssetKind.SERVER, sensitivity=Sensitivity.SENSITIVE, source=_SOURCE,
              target=Target(raw="192.0.2.10", kind=TargetKind.IP, host="192.0.2.10"))
_BOOLEANS: tuple[bool | None, ...] = (None, True, False)


def asset_domains(rule: Rule) -> dict[str, tuple[Any, ...]]:
    """The values each asset field takes in the grid of `rule`."""
    tags: dict[tuple[str, str], None] = {}
    vendors: dict[str, None] = {}
    clouds: dict[str, None] = {}
    for leaf in itertools.chain(leaves_of(rule.when), leaves_of(rule.condition)):
        if isinstance(leaf, HasTag):
            tags[(leaf.params.key, leaf.params.value if leaf.params.value is not None else "true")] = None
        elif isinstance(leaf, VendorIn):
            vendors.update(dict.fromkeys(leaf.params.vendors))
        elif isinstance(leaf, CloudProviderIn):
            clouds.update(dict.fromkeys(leaf.params.providers))
    return {
        "kind": tuple(sorted(rule.kinds) if rule.kinds is not None else AssetKind),
        "sensitivity": tuple(sorted(rule.sensitivity) if rule.sensitivity is not None else Sensitivity),
        "service_type": (None, *ServiceType),
        "sensitive_data": _BOOLEANS,
        "sensitive_system": _BOOLEANS,
        "personal_data": _BOOLEANS,
        "vendor": (None, *vendors, "synthetic-vendor"),
        "cloud": (None, *(CloudRef(provider=p, region="synthetic-1") for p in dict.fromkeys([*clouds, "aws"]))),
        "declared": (None, DeclaredLocation(country="MA", provider="Synthetic Host SA", qualification=2),
                     DeclaredLocation(country="FR", provider="Other Host", qualification=1)),
        "tags": ({}, *({key: value} for key, value in tags), dict(reversed(tags))),
        "cndp_authorisation": (None, "F118-0000"),
        "subcontractors": (
            None, (),
            (Subcontractor(name="Synthetic Support", role=SubcontractorRole.SUPPORT, country="FR", data_access=True),),
            (Subcontractor(name="Unstated Access"),),
            (Subcontractor(name="Local Hosting", role=SubcontractorRole.HOSTING, country="MA", data_access=False),),
        ),
    }


def _part(status: LocationStatus, countries: tuple[str, ...], strongest: Strength | None, *,
          exact: bool = True, internal: bool = False, subject: str = "192.0.2.10") -> SubjectLocation:
    return SubjectLocation(subject=subject, status=status, countries=countries, exact=exact, internal=internal,
                           strongest=strongest, sources=("synthetic",), reason=f"synthetic {status.value}")


def _located(part: SubjectLocation, status: LocationStatus | None = None) -> Location:
    return Location(status=status or part.status, countries=part.countries, parts=(part,),
                    reason="synthetic location", policy="lint grid")


_CONFIRMED, _CONTRADICTED, _UNKNOWN = LocationStatus.CONFIRMED, LocationStatus.CONTRADICTED, LocationStatus.UNKNOWN
LOCATIONS = (
    Location(status=_UNKNOWN, reason="no evidence about this asset's location", policy="lint grid"),
    _located(_part(_CONFIRMED, ("MA",), Strength.MEASURED)),
    _located(_part(_CONFIRMED, ("FR",), Strength.AUTHORITATIVE)),
    _located(_part(_CONTRADICTED, ("FR",), Strength.MEASURED)),
    _located(_part(_CONTRADICTED, ("FR",), Strength.REGISTERED)),
    _located(_part(_UNKNOWN, (), None, internal=True, subject="10.0.0.5")),
    _located(_part(_CONFIRMED, ("FR", "MA"), Strength.AUTHORITATIVE, exact=False, subject="tenant.example")),
    _located(_part(_UNKNOWN, (), None, subject="db.example")),
)


def _access(country: str) -> AccessRecord:
    seen = datetime.combine(GRID_TODAY, time(), UTC)
    return AccessRecord(user="admin", source_ip="192.0.2.20", method="ssh publickey", first_seen=seen,
                        last_seen=seen, count=1, log=_SOURCE, country=country, status=_CONFIRMED,
                        strongest=Strength.MEASURED, reason="synthetic access")


ACCESS: tuple[tuple[AccessRecord, ...] | None, ...] = (None, (), (_access("MA"),), (_access("FR"),))


class _LazyAsset:
    """An `Asset` whose grid fields are chosen when first read; other attributes are the base asset's."""

    def __init__(self, chooser: Chooser, domains: Mapping[str, tuple[Any, ...]]) -> None:
        self._chooser = chooser
        self._domains = domains
        self._chosen: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name in self._domains:
            if name not in self._chosen:
                self._chosen[name] = self._chooser.choose(self._domains[name])
            return self._chosen[name]
        method = Asset.__dict__.get(name)
        if isinstance(method, types.FunctionType):  # holds_sensitive_data() & co. read the chosen fields
            return types.MethodType(method, self)
        return getattr(_BASE, name)


class _LazyContext:
    """A `RuleContext` whose location, entity and access are chosen when first read."""

    def __init__(self, chooser: Chooser, rule: Rule, domains: Mapping[str, tuple[Any, ...]]) -> None:
        self.asset = _LazyAsset(chooser, domains)
        self.today = GRID_TODAY
        self.providers = None
        self.memo = None  # no memo: each path of the grid chooses its facts afresh
        self._chooser = chooser
        self._domains: dict[str, tuple[Any, ...]] = {
            "location": LOCATIONS,
            "entity": tuple(Entity(name="synthetic entity", type=t)
                            for t in (sorted(rule.entity_types) if rule.entity_types is not None else EntityType)),
            "access": ACCESS,
        }
        self._chosen: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name not in self._domains:
            raise AttributeError(name)
        if name not in self._chosen:
            self._chosen[name] = self._chooser.choose(self._domains[name])
        return self._chosen[name]


def outcomes(rule: Rule, judge: Callable[[RuleContext], T]) -> Iterator[T]:
    """`judge` over the whole grid of `rule` (see the module docstring); raises Undecided past MAX_PATHS."""
    domains = asset_domains(rule)
    return explore(lambda chooser: judge(cast(RuleContext, _LazyContext(chooser, rule, domains))))


def can_apply(rule: Rule) -> bool | None:
    """Whether some asset of the grid is in the rule's scope (None: undecided)."""
    try:
        return any(outcomes(rule, rule.in_scope))
    except Undecided:
        return None


def can_fire(rule: Rule) -> bool | None:
    """Whether the condition is other than TRUE for some in-scope asset of the grid (None: undecided)."""
    def fires(ctx: RuleContext) -> bool:
        return rule.in_scope(ctx) and rule.condition.evaluate(ctx)[0] is not Truth.TRUE

    try:
        return any(outcomes(rule, fires))
    except Undecided:
        return None

