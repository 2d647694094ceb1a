"""Hand-built assets, locations and contexts for the rule tests (no resolvers involved)."""

from __future__ import annotations

from typing import Any

from residency_scan.models import (
    Asset,
    AssetKind,
    Entity,
    EntityType,
    Location,
    LocationStatus,
    Sensitivity,
    SourceRef,
    Strength,
    SubjectLocation,
)
from residency_scan.rules import RuleContext

CONFIRMED = LocationStatus.CONFIRMED
CONTRADICTED = LocationStatus.CONTRADICTED
UNKNOWN = LocationStatus.UNKNOWN


def asset(asset_id: str = "portail", kind: AssetKind | str = AssetKind.SERVER,
          sensitivity: Sensitivity | str = Sensitivity.SENSITIVE, **fields: Any) -> Asset:
    return Asset(id=asset_id, kind=AssetKind(kind), sensitivity=Sensitivity(sensitivity),
                 source=SourceRef(path="inventory.yaml", line=3), **fields)


def part(subject: str, status: LocationStatus, countries: tuple[str, ...] = (), *, exact: bool = True,
         internal: bool = False, strongest: Strength | None = None,
         sources: tuple[str, ...] = (), reason: str = "fused") -> SubjectLocation:
    return SubjectLocation(subject=subject, status=status, countries=countries, exact=exact,
                           internal=internal, strongest=strongest, sources=sources, reason=reason)


def location(*parts: SubjectLocation, status: LocationStatus | None = None,
             reason: str = "fused from the parts") -> Location:
    if status is None:
        statuses = {p.status for p in parts}
        status = (CONFIRMED if statuses == {CONFIRMED} else
                  CONTRADICTED if CONTRADICTED in statuses else UNKNOWN)
    countries = tuple(sorted({c for p in parts for c in p.countries}))
    return Location(status=status, countries=countries, parts=parts, reason=reason, policy="test policy")


def context(the_asset: Asset | None = None, the_location: Location | None = None,
            entity_type: EntityType | str = EntityType.EIV) -> RuleContext:
    return RuleContext(
        asset=the_asset or asset(),
        location=the_location or location(part("192.0.2.1", CONFIRMED, ("MA",), strongest=Strength.MEASURED,
                                                sources=("geoip",))),
        entity=Entity(name="Office Exemple", type=EntityType(entity_type)),
    )


# The location cases every location leaf is tested against.
IN_MA = part("196.200.1.1", CONFIRMED, ("MA",), strongest=Strength.MEASURED, sources=("geoip", "declared"))
IN_FR = part("93.184.216.34", CONFIRMED, ("FR",), strongest=Strength.MEASURED, sources=("geoip", "rdap"))
CANDIDATES_ABROAD = part("tenant.saas.example", CONFIRMED, ("DE", "FR"), exact=False,
                         strongest=Strength.AUTHORITATIVE, sources=("vendor-catalog",))
CANDIDATES_STRADDLING = part("tenant.saas.example", CONFIRMED, ("FR", "MA"), exact=False,
                             strongest=Strength.AUTHORITATIVE, sources=("vendor-catalog",))
CANDIDATES_IN_MA = part("tenant.ma.example", CONFIRMED, ("MA",), exact=False,
                        strongest=Strength.AUTHORITATIVE, sources=("vendor-catalog",))
CONTRADICTED_STRONG_ABROAD = part("203.0.113.9", CONTRADICTED, ("FR",), strongest=Strength.MEASURED,
                                  sources=("geoip", "declared"), reason="declared MA, geoip says FR")
CONTRADICTED_AUTHORITATIVE_ABROAD = part("aws:eu-west-3", CONTRADICTED, ("FR",),
                                         strongest=Strength.AUTHORITATIVE,
                                         sources=("cloud-regions", "declared"),
                                         reason="declared MA, region eu-west-3 is in FR")
CONTRADICTED_WEAK = part("198.51.100.7", CONTRADICTED, ("FR",), strongest=Strength.REGISTERED,
                         sources=("rdap", "declared"), reason="declared MA, RDAP registration FR")
UNKNOWN_PART = part("db.exemple.ma", UNKNOWN, reason="NXDOMAIN")
INTERNAL_PART = part("10.0.0.5", UNKNOWN, internal=True, reason="private address (RFC 1918)")
INTERNAL_CONFIRMED_MA = part("10.0.0.6", CONFIRMED, ("MA",), internal=True, strongest=Strength.DECLARED,
                             sources=("declared",), reason="private address, declared MA")
