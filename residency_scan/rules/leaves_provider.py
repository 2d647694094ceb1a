"""Leaf conditions on provider qualification: is the asset's cloud provider qualified, and for how long.

Both read the register given with `--providers` (`RuleContext.providers`) and the scan date (`ctx.today`),
never the inventory's own claim (`declared.qualification`), which is quoted only to point out a mismatch. They
share one assessment, so that a provider-qualified rule and a renewal rule always agree on which qualification
they talk about: among those of the required level or higher that cover the asset's service type, the ones in
force on the scan date, the one valid the longest first (ties: higher level, later decision, decision text), so
that reasons are stable whatever the order of the register file.

Unknown is never compliant: no register, no provider, no service type or no scan date gives UNKNOWN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from pydantic import Field

from residency_scan.models import Asset, ServiceType
from residency_scan.registers.providers import (
    ProviderRegister,
    Qualification,
    QualifiedProvider,
    provider_key,
)
from residency_scan.registers.register_spec import QualificationLevel
from residency_scan.rules.conditions import Judged, Leaf, LeafParams, RuleContext, Truth, register

MAX_DAYS = 5 * 366  # a qualification lasts at most five years (art. 9): a longer requirement can never hold


@dataclass(frozen=True, slots=True)
class Qualified:
    """A provider found qualified for the asset on the scan date, and the facts the reasons name."""

    who: str  # how reasons name the provider
    provider: QualifiedProvider
    qualification: Qualification
    covering: tuple[Qualification, ...]  # every qualification of the level that covers the service type
    service_type: ServiceType
    today: date
    register: ProviderRegister


def _by_validity(q: Qualification) -> tuple[date, int, date, str]:
    return q.valid_until, q.level, q.decided, q.decision


def _types(qualifications: tuple[Qualification, ...] | list[Qualification]) -> str:
    found = {t for q in qualifications for t in q.service_types}
    return ", ".join(t.value for t in ServiceType if t in found)


def _example(register: ProviderRegister) -> str:
    return " (per an EXAMPLE register, not an official list)" if register.example else ""


def _who(declared: str, provider: QualifiedProvider) -> str:
    if provider_key(declared) == provider_key(provider.name):
        return f"'{provider.name}'"
    return f"'{declared}' ('{provider.name}' in the register)"


def assess(ctx: RuleContext, level: int) -> Qualified | Judged:
    """The qualification that makes the asset's provider qualified at `level`, or why there is none."""
    register = ctx.providers
    if register is None:
        return Truth.UNKNOWN, "no provider qualification register was given (--providers FILE)"
    declared = ctx.asset.provider_name()
    if not declared:
        return Truth.UNKNOWN, "no provider declared (declared.provider)"
    provider = register.find(declared)
    if provider is None:
        return Truth.FALSE, f"provider '{declared}' is not in the register {register.describe()}"
    who = _who(declared, provider)
    candidates = sorted((q for q in provider.qualifications if q.meets(level)), key=_by_validity, reverse=True)
    if not candidates:
        return Truth.FALSE, _below_level(ctx.asset, who, provider, level, register)
    service_type = ctx.asset.stated_service_type()
    if service_type is None:
        plural = len(candidates) > 1
        return Truth.UNKNOWN, (f"service type not declared (service_type): the level-{level} "
                               f"qualification{'s' if plural else ''} of {who} cover{'' if plural else 's'} "
                               f"{_types(candidates)}")
    covering = tuple(q for q in candidates if q.covers(service_type))
    if not covering:
        return Truth.FALSE, "; ".join(
            f"the qualification of {who} ({q.decision}) covers {q.types_text()}, not {service_type.value}"
            for q in candidates) + _example(register)
    today = ctx.today
    if today is None:
        return Truth.UNKNOWN, (f"the scan date is not known, so whether the qualification of {who} for "
                               f"{service_type.value} is in force cannot be told")
    in_force = [q for q in covering if q.in_force(today)]
    if not in_force:
        return Truth.FALSE, _not_in_force(who, covering, service_type, today) + _example(register)
    return Qualified(who, provider, in_force[0], covering, service_type, today, register)


def _below_level(asset: Asset, who: str, provider: QualifiedProvider, level: int,
                 register: ProviderRegister) -> str:
    levels = provider.levels()
    held = ("holds no qualification" if not levels else
            "holds only level " + " and ".join(str(n) for n in levels))
    reason = f"{who} {held} in the register {register.describe()}, and level {level} is required"
    claimed = asset.declared.qualification if asset.declared is not None else None
    if claimed is not None and claimed > max(levels, default=0):
        reason += f"; the inventory declares level {claimed}, which the register does not show"
    return reason


def _not_in_force(who: str, covering: tuple[Qualification, ...], service_type: ServiceType, today: date) -> str:
    """Why no covering qualification is in force: the next one to start, and the last one that ended."""
    parts = []
    upcoming = sorted((q for q in covering if q.decided > today), key=lambda q: (q.decided, q.decision))
    if upcoming:
        q = upcoming[0]
        parts.append(f"the qualification of {who} for {service_type.value} ({q.decision}) is not yet in force: "
                     f"it starts on {q.decided.isoformat()}")
    ended = [q for q in covering if q.valid_until < today]  # already sorted, longest validity first
    if ended:
        q = ended[0]
        parts.append(f"the qualification of {who} for {service_type.value} ({q.decision}) expired on "
                     f"{q.valid_until.isoformat()}")
    return "; ".join(parts)


def covered_until(qualified: Qualified) -> tuple[date, Qualification]:
    """The last day of uninterrupted coverage from the scan date, and the decision that ends it: a renewal
    decided before (or the day after) the current qualification ends carries the coverage on."""
    end, last = qualified.qualification.valid_until, qualified.qualification
    extended = True
    while extended:
        extended = False
        for q in sorted(qualified.covering, key=_by_validity, reverse=True):
            if q.decided <= end + timedelta(days=1) and q.valid_until > end:
                end, last, extended = q.valid_until, q, True
                break
    return end, last


class ProviderQualifiedParams(LeafParams):
    level: QualificationLevel


@register("provider-qualified")
class ProviderQualified(Leaf[ProviderQualifiedParams]):
    """Whether the asset's provider (`declared.provider`, else the `cloud:` provider) holds, in the register
    given with `--providers`, a qualification of at least `level` (decree 2-24-921: 1 for sensitive information
    systems, 2 for sensitive data; a level-2 qualification meets level 1, art. 5) that covers the asset's
    service type (art. 3) and is in force on the scan date (art. 9).

    FALSE when the provider is not in the register, holds no qualification of that level, none that covers the
    service type, or none in force (not yet, or expired). UNKNOWN without a register, a provider, a service
    type (`service_type`; a `saas` asset is SaaS) or a scan date.

    Example::

        provider-qualified: {level: 2}
    """

    Params = ProviderQualifiedParams
    shorthand = "level"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        level = self.params.level
        found = assess(ctx, level)
        if not isinstance(found, Qualified):
            return found
        q = found.qualification
        includes = f" (level {q.level} includes level {level}, decree art. 5)" if q.level > level else ""
        return Truth.TRUE, (f"{found.who} qualified at level {q.level} for {found.service_type.value} by "
                            f"{q.decision}, valid until {q.valid_until.isoformat()}{includes}"
                            f"{_example(found.register)}")


class QualificationValidForParams(LeafParams):
    days: Annotated[int, Field(strict=True, ge=1, le=MAX_DAYS)]
    level: QualificationLevel = 1


@register("qualification-valid-for")
class QualificationValidFor(Leaf[QualificationValidForParams]):
    """Whether the qualification that `provider-qualified` finds (at `level`, default 1) stays valid for at
    least `days` more days after the scan date, counting a renewal already in the register. Decree 2-24-921
    art. 10 has the renewal filed at least six months (183 days) before expiry, so a qualification closer to
    its end than that, with no renewal recorded, is FALSE.

    UNKNOWN whenever `provider-qualified` would not be TRUE: that rule reports the reason, this one cannot
    judge a validity that does not exist.

    Example::

        qualification-valid-for: {days: 183}
    """

    Params = QualificationValidForParams
    shorthand = "days"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        days = self.params.days
        found = assess(ctx, self.params.level)
        if not isinstance(found, Qualified):
            return Truth.UNKNOWN, f"validity not assessed: {found[1]}"
        end, last = covered_until(found)
        left = (end - found.today).days
        kind = found.service_type.value
        if left >= days:
            return Truth.TRUE, (f"the qualification of {found.who} for {kind} stays valid until {end.isoformat()} "
                                f"({last.decision}), {left} days after {found.today.isoformat()}: at least "
                                f"{days} days{_example(found.register)}")
        when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
        return Truth.FALSE, (f"the qualification of {found.who} for {kind} ({last.decision}) expires on "
                             f"{end.isoformat()}, {when} (fewer than {days}): renewal must be filed at least "
                             f"6 months before expiry (decree art. 10){_example(found.register)}")
