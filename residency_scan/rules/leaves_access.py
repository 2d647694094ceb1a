"""Leaf conditions on where an asset is administered from, read from the `--access-log` files of the scan.

Decree 2-24-921 art. 5 §4: «la gestion et la supervision des services … exclusivement depuis et sur le
territoire national». `ctx.access` holds the asset's `AccessRecord`s (one per user, source address and method),
or None when the scan was given no access log at all. A login from abroad is a violation whatever the strength
of the evidence, since even a registry entry abroad says the session came from abroad; a login is compliant
only when its source is *confirmed* inside. Registered-only, internal or unknown sources stay UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated

from residency_scan.models import AccessRecord, LocationStatus, Strength
from residency_scan.rules.conditions import (
    Judged,
    Leaf,
    LeafParams,
    OnlyTrueParams,
    RuleContext,
    Truth,
    non_empty,
    register,
)
from residency_scan.rules.leaves import CountryCode

MAX_NAMED = 5
"""Records named in a reason; the rest are counted ("+3 more")."""
_STAMP = "%Y-%m-%dT%H:%M:%SZ"


def _when(record: AccessRecord) -> str:
    first, last = record.first_seen.strftime(_STAMP), record.last_seen.strftime(_STAMP)
    return first if first == last else f"{first} to {last}"


def _log(record: AccessRecord) -> str:
    return record.log.path if record.log.line is None else f"{record.log.path}:{record.log.line}"


def _times(record: AccessRecord) -> str:
    return "once" if record.count == 1 else f"{record.count} times"


def _who(record: AccessRecord) -> str:
    return f"{record.user} from {record.source_ip} ({record.method})"


def _listed(records: Sequence[AccessRecord], describe: Callable[[AccessRecord], str]) -> str:
    named = "; ".join(describe(record) for record in records[:MAX_NAMED])
    more = len(records) - MAX_NAMED
    return named + (f"; +{more} more" if more > 0 else "")


@register("has-access-events")
class HasAccessEvents(Leaf[OnlyTrueParams]):
    """Whether the access logs given with `--access-log` show administrative access to the asset (an accepted
    SSH login, a console sign-in, a mutating cloud API call). FALSE when no log was given, or when the logs
    given show none for this asset. Only `true` is accepted.

    Example::

        has-access-events: true
    """

    Params = OnlyTrueParams
    shorthand = "value"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        records = ctx.access
        if records is None:
            return Truth.FALSE, "no access log given"
        if not records:
            return Truth.FALSE, f"no administrative access to {ctx.asset.id} in the logs given"
        events = sum(record.count for record in records)
        return Truth.TRUE, (f"{events} administrative access event(s) to {ctx.asset.id} from "
                            f"{len({r.source_ip for r in records})} source address(es)")


class AccessFromParams(LeafParams):
    countries: Annotated[tuple[CountryCode, ...], non_empty()]


@register("access-from")
class AccessFrom(Leaf[AccessFromParams]):
    """Whether every administrative access to the asset in the `--access-log` files came from one of
    `countries`.

    FALSE when any source address is located outside `countries`, whatever the status of that location: a
    registry entry abroad is already evidence of a session from abroad. TRUE only when every source is
    confirmed inside. UNKNOWN when no log was given, when the logs show no access to the asset, or when a
    source is internal, unknown, contradicted, or registered inside without a measured location.

    Example::

        access-from: {countries: [MA]}
    """

    Params = AccessFromParams
    __slots__ = ("allowed", "allowed_text")

    def __init__(self, params: AccessFromParams) -> None:
        super().__init__(params)
        self.allowed = frozenset(params.countries)
        self.allowed_text = ", ".join(dict.fromkeys(params.countries))

    def evaluate(self, ctx: RuleContext) -> Judged:
        records = ctx.access
        if records is None:
            return Truth.UNKNOWN, (f"no access log given: where {ctx.asset.id} is administered from is unknown "
                                   "(give --access-log)")
        if not records:
            return Truth.UNKNOWN, f"no administrative access to {ctx.asset.id} recorded in the logs given"
        abroad = [r for r in records if r.country is not None and r.country not in self.allowed]
        if abroad:
            return Truth.FALSE, (f"administrative access from outside {self.allowed_text}: "
                                 + _listed(abroad, self._abroad))
        unclear = [r for r in records if not self._confirmed_inside(r)]
        if unclear:
            return Truth.UNKNOWN, (f"the origin of {len(unclear)} of {len(records)} administrative access "
                                   "record(s) cannot be confirmed: " + _listed(unclear, self._unclear))
        return Truth.TRUE, (f"all {len(records)} administrative access record(s) confirmed in {self.allowed_text}: "
                            + _listed(records, self._inside))

    def _confirmed_inside(self, record: AccessRecord) -> bool:
        return (record.status is LocationStatus.CONFIRMED and not record.internal
                and record.country is not None and record.country in self.allowed)

    @staticmethod
    def _abroad(record: AccessRecord) -> str:
        strength = record.strongest.value if record.strongest is not None else "no source"
        internal = ", internal address" if record.internal else ""
        return (f"{_who(record)} in {record.country} ({strength}, {record.status.value}{internal}) "
                f"{_when(record)}, {_times(record)}, {_log(record)}")

    def _unclear(self, record: AccessRecord) -> str:
        where = f"{_who(record)} {_when(record)}, {_log(record)}"
        if record.internal:
            return f"{where}: internal address ({record.reason})"
        inside = record.country is not None and record.country in self.allowed
        if inside and record.strongest is Strength.REGISTERED and record.status is LocationStatus.UNKNOWN:
            return f"{where}: registered in {record.country} only: give --geoip-db for a measured location"
        if record.status is LocationStatus.CONTRADICTED:
            return f"{where}: the evidence conflicts ({record.reason})"
        return f"{where}: location {record.status.value} ({record.reason})"

    @staticmethod
    def _inside(record: AccessRecord) -> str:
        return f"{_who(record)} in {record.country} {_when(record)}, {_times(record)}"
