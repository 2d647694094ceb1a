"""The leaf conditions shipped with residency-scan, each registered under the name rule files use.

Location leaves read the fused `Location` (never raw evidence) and answer UNKNOWN rather than guess;
inventory leaves read what the inventory declares and answer TRUE or FALSE. The docstring of each leaf is
its documentation: keep the `Example::` block valid, the tests compile it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from residency_scan.inventory.countries import COUNTRY_CODES, suggest_country
from residency_scan.inventory.suggest import did_you_mean
from residency_scan.models import (
    AssetKind,
    EntityType,
    LocationStatus,
    Sensitivity,
    Strength,
    SubjectLocation,
)
from residency_scan.rules.conditions import (
    Judged,
    Leaf,
    LeafParams,
    RuleContext,
    Truth,
    kleene_all,
    non_empty,
    register,
)

# The providers an inventory's `cloud.provider` can name (models.CloudRef).
CLOUD_PROVIDERS = ("aws", "azure", "gcp", "oci")


# ------------------------------------------------------------------------------------------- location


def _where(part: SubjectLocation) -> str:
    if not part.countries:
        return "no country"
    if part.exact or len(part.countries) == 1:
        return " and ".join(part.countries)
    return "one of " + ", ".join(part.countries)


def _by(part: SubjectLocation) -> str:
    return " + ".join(part.sources) if part.sources else "no source named"


def _country_code(code: str) -> str:
    normal = code.strip().upper()
    if normal not in COUNTRY_CODES:
        meant = suggest_country(code)
        hint = f"; did you mean '{meant}'?" if meant else ""
        raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code{hint}")
    return normal


CountryCode = Annotated[str, AfterValidator(_country_code)]


class CountryInParams(LeafParams):
    countries: Annotated[tuple[CountryCode, ...], non_empty()]


@register("country-in")
class CountryIn(Leaf[CountryInParams]):
    """Whether every located part of the asset (each address, region or tenant) is in one of `countries`.

    FALSE when a part is confirmed abroad (exactly, or all its candidate countries are abroad), and when a
    part is contradicted by authoritative or measured evidence abroad: strong evidence beats a declaration.
    TRUE only when there is at least one part and every part is confirmed inside. Anything else (an unknown
    or internal part, a weak contradiction, candidates on both sides, no parts at all) is UNKNOWN.

    Example::

        country-in: {countries: [MA]}
    """

    Params = CountryInParams
    __slots__ = ("allowed", "allowed_text")

    def __init__(self, params: CountryInParams) -> None:
        super().__init__(params)
        self.allowed = frozenset(params.countries)
        self.allowed_text = ", ".join(dict.fromkeys(params.countries))

    def evaluate(self, ctx: RuleContext) -> Judged:
        parts = ctx.location.parts
        if not parts:
            return Truth.UNKNOWN, f"no located part ({ctx.location.reason})"
        return kleene_all([self._judge_part(part) for part in parts])  # one part abroad makes the asset abroad

    def _judge_part(self, part: SubjectLocation) -> Judged:
        subject, status, where = part.subject, part.status, _where(part)
        abroad = [c for c in part.countries if c not in self.allowed]
        surely_abroad = abroad and (part.exact or len(abroad) == len(part.countries))
        if status is LocationStatus.CONFIRMED and surely_abroad:
            return Truth.FALSE, (f"{subject} is in {where}, outside {self.allowed_text} "
                                 f"(confirmed: {_by(part)})")
        strong = part.strongest is not None and part.strongest.rank >= Strength.MEASURED.rank
        if status is LocationStatus.CONTRADICTED and abroad and part.exact and strong:
            return Truth.FALSE, (f"{subject} is in {where}, outside {self.allowed_text}, per "
                                 f"{part.strongest} evidence (contradicted: {part.reason})")
        if part.internal:
            return Truth.UNKNOWN, (
                f"{subject} is an internal address, its location cannot be verified ({part.reason})")
        if status is LocationStatus.CONFIRMED and part.countries and not abroad:
            return Truth.TRUE, f"{subject} is in {where} (confirmed: {_by(part)})"
        if status is LocationStatus.CONFIRMED and abroad:
            return Truth.UNKNOWN, (f"{subject} is in {where}, which may be outside {self.allowed_text} "
                                   f"(confirmed: {_by(part)})")
        if status is LocationStatus.CONTRADICTED:
            return Truth.UNKNOWN, f"{subject}: the evidence conflicts ({part.reason})"
        return Truth.UNKNOWN, f"{subject}: location {status.value} ({part.reason})"


class LocationConfirmedParams(LeafParams):
    value: bool

    @field_validator("value", mode="after")
    @classmethod
    def _only_true(cls, value: bool) -> bool:
        if not value:
            raise ValueError("only 'true' is accepted: an unconfirmed location is UNKNOWN, and unknown is "
                             "never something a rule can require")
        return value


@register("location-confirmed")
class LocationConfirmed(Leaf[LocationConfirmedParams]):
    """Whether the fused location of the asset is confirmed. Never FALSE: an unconfirmed location means
    "we don't know", which is UNKNOWN. Only `true` is accepted.

    Example::

        location-confirmed: true
    """

    Params = LocationConfirmedParams
    shorthand = "value"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        location = ctx.location
        if location.status is LocationStatus.CONFIRMED:
            return Truth.TRUE, f"location confirmed ({location.reason})"
        return Truth.UNKNOWN, f"location {location.status.value} ({location.reason})"


# ------------------------------------------------------------------------------------- inventory facts


def _member(what: str, value: str, allowed: frozenset[str], listed: str) -> Judged:
    if value in allowed:
        return Truth.TRUE, f"{what} '{value}' is one of {listed}"
    return Truth.FALSE, f"{what} '{value}' is not one of {listed}"


class KindInParams(LeafParams):
    kinds: Annotated[tuple[AssetKind, ...], non_empty()]


@register("kind-in")
class KindIn(Leaf[KindInParams]):
    """Whether the asset's kind is one of `kinds`.

    Example::

        kind-in: {kinds: [management-tool, admin-interface]}
    """

    Params = KindInParams
    __slots__ = ("allowed", "listed")

    def __init__(self, params: KindInParams) -> None:
        super().__init__(params)
        self.allowed = frozenset(k.value for k in params.kinds)
        self.listed = ", ".join(k.value for k in params.kinds)

    def evaluate(self, ctx: RuleContext) -> Judged:
        return _member("kind", ctx.asset.kind.value, self.allowed, self.listed)


class SensitivityInParams(LeafParams):
    sensitivity: Annotated[tuple[Sensitivity, ...], non_empty()]


@register("sensitivity-in")
class SensitivityIn(Leaf[SensitivityInParams]):
    """Whether the asset's declared sensitivity is one of `sensitivity`.

    Example::

        sensitivity-in: {sensitivity: [sensitive]}
    """

    Params = SensitivityInParams
    __slots__ = ("allowed", "listed")

    def __init__(self, params: SensitivityInParams) -> None:
        super().__init__(params)
        self.allowed = frozenset(s.value for s in params.sensitivity)
        self.listed = ", ".join(s.value for s in params.sensitivity)

    def evaluate(self, ctx: RuleContext) -> Judged:
        return _member("sensitivity", ctx.asset.sensitivity.value, self.allowed, self.listed)


class EntityTypeInParams(LeafParams):
    entity_types: Annotated[tuple[EntityType, ...], non_empty()]


@register("entity-type-in")
class EntityTypeIn(Leaf[EntityTypeInParams]):
    """Whether the entity that owns the inventory is of one of `entity_types`.

    Example::

        entity-type-in: {entity_types: [eiv, administration]}
    """

    Params = EntityTypeInParams
    __slots__ = ("allowed", "listed")

    def __init__(self, params: EntityTypeInParams) -> None:
        super().__init__(params)
        self.allowed = frozenset(t.value for t in params.entity_types)
        self.listed = ", ".join(t.value for t in params.entity_types)

    def evaluate(self, ctx: RuleContext) -> Judged:
        return _member("entity type", ctx.entity.type.value, self.allowed, self.listed)


def _lower_names(values: tuple[str, ...]) -> tuple[str, ...]:
    normal = tuple(v.strip().lower() for v in values)
    if any(not v for v in normal):
        raise ValueError("names cannot be empty")
    return tuple(dict.fromkeys(normal))


class VendorInParams(LeafParams):
    vendors: Annotated[tuple[str, ...], non_empty()]

    normalise = field_validator("vendors", mode="after")(_lower_names)


@register("vendor-in")
class VendorIn(Leaf[VendorInParams]):
    """Whether the asset names one of `vendors` (its `vendor:` key, compared without case). An asset with
    no vendor is not in the list.

    Example::

        vendor-in: {vendors: [datadog, splunk]}
    """

    Params = VendorInParams
    __slots__ = ("allowed", "listed")

    def __init__(self, params: VendorInParams) -> None:
        super().__init__(params)
        self.allowed = frozenset(params.vendors)
        self.listed = ", ".join(params.vendors)

    def evaluate(self, ctx: RuleContext) -> Judged:
        vendor = ctx.asset.vendor
        if vendor is None:
            return Truth.FALSE, "no vendor declared"
        return _member("vendor", vendor.lower(), self.allowed, self.listed)


class CloudProviderInParams(LeafParams):
    providers: Annotated[tuple[str, ...], non_empty()]

    @field_validator("providers", mode="after")
    @classmethod
    def _known_providers(cls, providers: tuple[str, ...]) -> tuple[str, ...]:
        normal = _lower_names(providers)
        for name in normal:
            if name not in CLOUD_PROVIDERS:
                hint = did_you_mean(name, CLOUD_PROVIDERS)
                raise ValueError(f"unknown cloud provider '{name}' (known: {', '.join(CLOUD_PROVIDERS)})"
                                 + (f"; {hint}" if hint else ""))
        return normal


@register("cloud-provider-in")
class CloudProviderIn(Leaf[CloudProviderInParams]):
    """Whether the asset is a public-cloud resource of one of `providers` (aws, azure, gcp, oci). An asset
    without a `cloud:` reference is not.

    Example::

        cloud-provider-in: {providers: [aws, azure]}
    """

    Params = CloudProviderInParams
    __slots__ = ("allowed", "listed")

    def __init__(self, params: CloudProviderInParams) -> None:
        super().__init__(params)
        self.allowed = frozenset(params.providers)
        self.listed = ", ".join(params.providers)

    def evaluate(self, ctx: RuleContext) -> Judged:
        cloud = ctx.asset.cloud
        if cloud is None:
            return Truth.FALSE, "not a cloud resource"
        return _member("cloud provider", cloud.provider.lower(), self.allowed, self.listed)


class HasTagParams(LeafParams):
    key: str = Field(min_length=1)
    value: str | None = None


@register("has-tag")
class HasTag(Leaf[HasTagParams]):
    """Whether the asset carries the tag `key` (with exactly `value`, when given). Keys and values are
    compared as written.

    Example::

        has-tag: {key: sis, value: "true"}
    """

    Params = HasTagParams
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        key, wanted = self.params.key, self.params.value
        tags = ctx.asset.tags
        if key not in tags:
            return Truth.FALSE, f"no tag '{key}'"
        if wanted is not None and tags[key] != wanted:
            return Truth.FALSE, f"tag '{key}' is '{tags[key]}', not '{wanted}'"
        return Truth.TRUE, f"tag '{key}' is '{tags[key]}'"


class DeclaredQualificationParams(LeafParams):
    level: Literal[1, 2]


@register("declared-qualification-at-least")
class DeclaredQualificationAtLeast(Leaf[DeclaredQualificationParams]):
    """Whether the provider qualification *declared* in the inventory (décret 2-24-921: level 1 or 2) is at
    least `level`. UNKNOWN when none is declared: the scanner cannot verify a qualification itself.

    Example::

        declared-qualification-at-least: {level: 2}
    """

    Params = DeclaredQualificationParams
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        wanted = self.params.level
        declared = ctx.asset.declared
        level = declared.qualification if declared is not None else None
        if level is None:
            return Truth.UNKNOWN, "no provider qualification declared"
        if level >= wanted:
            return Truth.TRUE, f"declared qualification level {level} (not verified) meets level {wanted}"
        return Truth.FALSE, f"declared qualification level {level} is below the required level {wanted}"


class StatedParams(LeafParams):
    fact: Literal["sensitive_data", "sensitive_system", "personal_data", "service_type", "cndp_authorisation",
                  "subcontractors"]


@register("stated")
class Stated(Leaf[StatedParams]):
    """Whether the inventory states `fact` for the asset at all (whatever its value): TRUE or FALSE, never
    UNKNOWN. It lets a pack scope a rule on what the entity declared, e.g. judge undeclared personal data only
    on sensitive assets, without the unknown fact itself leaking into `applies_to.when`.

    Example::

        stated: {fact: personal_data}
    """

    Params = StatedParams
    shorthand = "fact"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        fact = self.params.fact
        if getattr(ctx.asset, fact) is None:
            return Truth.FALSE, f"the inventory does not state {fact}"
        return Truth.TRUE, f"the inventory states {fact}"
