"""Leaf conditions on the inventory facts decree 2-24-921 and laws 05-20 / 09-08 turn on (registered on import
by rules/schema.py): sensitive data and systems, personal data, cloud use and service type, the CNDP
authorisation, subcontractors.

A fact the inventory does not state is UNKNOWN, with the field to set in the reason, except where the model
already reads it fail-closed (`Asset.holds_sensitive_data`, `Asset.is_sensitive_system`: an unclassified
asset is sensitive). Each reason names the asset, the fact and where it came from, so that a finding says
what the verdict relied on. Leaves that only make sense one way round take only `true`: the opposite is
written with `not:`, which keeps UNKNOWN unknown.
"""

from __future__ import annotations

from typing import Annotated

from residency_scan.models import (
    CLOUD_SERVICE_TYPES,
    Asset,
    AssetKind,
    DeclaredLocation,
    Location,
    Sensitivity,
    ServiceType,
    Subcontractor,
)
from residency_scan.rules.conditions import (
    Judged,
    Leaf,
    LeafParams,
    OnlyTrueParams,
    RuleContext,
    Truth,
    kleene_not,
    non_empty,
    register,
)

VENDOR_CATALOG = "vendor-catalog"
"""The evidence source name of `resolvers.catalog.VendorCatalogResolver` (rules read locations, not resolvers)."""

QUOTED_LENGTH = 80
"""How much of a free-text fact (the CNDP reference) a reason quotes."""


class FactParams(LeafParams):
    """`true`: the fact must hold; `false`: it must not."""

    value: bool


def _expect(value: bool, judged: Judged) -> Judged:
    """`judged` is the truth of the fact; a leaf written `false` asks for its negation (UNKNOWN stays)."""
    return judged if value else kleene_not(judged)


def _truth(holds: bool) -> Truth:
    return Truth.TRUE if holds else Truth.FALSE


def _quoted(text: str) -> str:
    return f"'{text}'" if len(text) <= QUOTED_LENGTH else f"'{text[:QUOTED_LENGTH]}…'"


# ------------------------------------------------------------------------------------ sensitivity facts


def _stated_or_implied(field: str, stated: bool | None, asset: Asset) -> str:
    if stated is not None:
        return f"{field}: {str(stated).lower()}"
    fail_closed = ", fail-closed" if asset.sensitivity is Sensitivity.SENSITIVE else ""
    return f"implied by sensitivity: {asset.sensitivity.value}{fail_closed}; {field} not stated"


@register("sensitive-data")
class SensitiveData(Leaf[FactParams]):
    """Whether the asset holds sensitive data (law 05-20): its `sensitive_data` when stated, otherwise what its
    sensitivity implies (`sensitive`, the fail-closed default, implies yes). Never UNKNOWN: an unclassified
    asset is sensitive. `false` asks for an asset that holds none.

    Example::

        sensitive-data: true
    """

    Params = FactParams
    shorthand = "value"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        asset = ctx.asset
        holds = asset.holds_sensitive_data()
        what = "holds sensitive data" if holds else "holds no sensitive data"
        why = _stated_or_implied("sensitive_data", asset.sensitive_data, asset)
        return _expect(self.params.value, (_truth(holds), f"{asset.id} {what} ({why})"))


@register("sensitive-system")
class SensitiveSystem(Leaf[FactParams]):
    """Whether the asset is a sensitive information system (decree 2-24-921 art. 1): its `sensitive_system`
    when stated, otherwise what its sensitivity implies (`sensitive` implies yes). Never UNKNOWN.

    Example::

        sensitive-system: true
    """

    Params = FactParams
    shorthand = "value"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        asset = ctx.asset
        holds = asset.is_sensitive_system()
        what = "is a sensitive system" if holds else "is not a sensitive system"
        why = _stated_or_implied("sensitive_system", asset.sensitive_system, asset)
        return _expect(self.params.value, (_truth(holds), f"{asset.id} {what} ({why})"))


@register("personal-data")
class PersonalData(Leaf[FactParams]):
    """Whether the asset holds personal data (law 09-08), as its `personal_data` states. UNKNOWN when the
    inventory does not say: nothing else tells.

    Example::

        personal-data: true
    """

    Params = FactParams
    shorthand = "value"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        asset = ctx.asset
        if asset.personal_data is None:
            return Truth.UNKNOWN, (f"the inventory does not say whether {asset.id} holds personal data: "
                                   "set personal_data")
        stated = asset.personal_data
        what = "holds personal data" if stated else "holds no personal data"
        return _expect(self.params.value, (_truth(stated), f"{asset.id} {what} (personal_data: {str(stated).lower()})"))


# ------------------------------------------------------------------------------------------- cloud use


def uses_cloud(asset: Asset, location: Location) -> Judged:
    """Whether the asset is a cloud service (decree 2-24-921 art. 3), and why.

    Any sign of a cloud service wins over `on-premises` (the stricter reading; the inventory refuses the
    contradictions it can see). A provider, a qualification or a vendor named without a service type leaves
    it UNKNOWN: a provider may host on premises, a vendor's tool may be its SaaS or a self-hosted install. So
    does evidence from the vendor catalog (a name that CNAMEs into a vendor's service): the scan itself saw a
    vendor, so "nothing declared" cannot take the asset out of the cloud rules.
    """
    service, name = asset.service_type, asset.id
    if service in CLOUD_SERVICE_TYPES:
        return Truth.TRUE, f"{name} uses a cloud service (service_type: {service})"
    if asset.cloud is not None:
        return Truth.TRUE, f"{name} is a cloud resource (cloud provider: {asset.cloud.provider})"
    if asset.kind is AssetKind.SAAS:
        return Truth.TRUE, f"{name} is a SaaS (kind: saas)"
    if service is ServiceType.ON_PREMISES:
        return Truth.FALSE, f"{name} runs on premises (service_type: on-premises)"
    declared = asset.declared or DeclaredLocation()
    named = [f"{field}: {value}" for field, value in (("declared.provider", declared.provider),
                                                      ("declared.qualification", declared.qualification),
                                                      ("vendor", asset.vendor)) if value]
    if named:
        return Truth.UNKNOWN, (f"{name}: a provider is declared ({', '.join(named)}) but not the service type: "
                               "set service_type")
    vendors = [part.subject for part in location.parts if VENDOR_CATALOG in part.sources]
    if vendors:
        return Truth.UNKNOWN, (f"{name}: the evidence places {', '.join(vendors)} with a vendor's service but no "
                               "service type is declared: set service_type")
    return Truth.FALSE, f"{name}: no cloud service declared: no cloud reference, service_type or saas kind"


@register("uses-cloud")
class UsesCloud(Leaf[FactParams]):
    """Whether the asset is provided by a cloud service. TRUE for `service_type` iaas, paas or saas, a `cloud:`
    resource or the kind `saas`; FALSE for `service_type: on-premises`; UNKNOWN when a provider, a
    qualification or a vendor is named but no service type; FALSE when nothing points at a cloud service.
    `false` asks for an asset that is not (UNKNOWN stays UNKNOWN).

    Example::

        uses-cloud: true
    """

    Params = FactParams
    shorthand = "value"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        return _expect(self.params.value, uses_cloud(ctx.asset, ctx.location))


class ServiceTypeInParams(LeafParams):
    types: Annotated[tuple[ServiceType, ...], non_empty()]


@register("service-type-in")
class ServiceTypeIn(Leaf[ServiceTypeInParams]):
    """Whether the asset's service type is one of `types` (iaas, paas, saas, on-premises): its
    `service_type`, or saas for the kind `saas`. UNKNOWN when neither says.

    Example::

        service-type-in: {types: [iaas, paas, saas]}
    """

    Params = ServiceTypeInParams
    __slots__ = ("allowed", "listed")

    def __init__(self, params: ServiceTypeInParams) -> None:
        super().__init__(params)
        self.allowed = frozenset(params.types)
        self.listed = ", ".join(dict.fromkeys(t.value for t in params.types))

    def evaluate(self, ctx: RuleContext) -> Judged:
        asset = ctx.asset
        service = asset.stated_service_type()
        source = "service_type" if asset.service_type is not None else "kind saas"
        if service is None:
            return Truth.UNKNOWN, (f"the inventory does not state the service type of {asset.id}: set "
                                   "service_type (iaas, paas, saas or on-premises)")
        inside = service in self.allowed
        among = "is one of" if inside else "is not one of"
        return _truth(inside), f"{asset.id}: service type '{service}' ({source}) {among} {self.listed}"


# ----------------------------------------------------------------------------- authorisations, partners


@register("cndp-authorisation-recorded")
class CndpAuthorisationRecorded(Leaf[OnlyTrueParams]):
    """Whether the inventory records a CNDP authorisation or notification for the asset (law 09-08), or the
    legal exception relied on, in `cndp_authorisation`. The scanner cannot check the reference itself: the
    reason quotes it for the auditor. Only `true` is accepted.

    Example::

        cndp-authorisation-recorded: true
    """

    Params = OnlyTrueParams
    shorthand = "value"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        asset = ctx.asset
        if asset.cndp_authorisation:
            return Truth.TRUE, (f"{asset.id}: CNDP authorisation recorded ({_quoted(asset.cndp_authorisation)}, "
                                "not verified)")
        return Truth.FALSE, f"{asset.id}: no CNDP authorisation recorded: set cndp_authorisation"


def _subcontractor_count(subcontractors: tuple[Subcontractor, ...]) -> str:
    if not subcontractors:
        return "declared: none"
    return f"{len(subcontractors)} subcontractor{'s' if len(subcontractors) > 1 else ''} declared"


@register("subcontractors-declared")
class SubcontractorsDeclared(Leaf[OnlyTrueParams]):
    """Whether the inventory declares the provider's subcontractors for the asset (decree 2-24-921 art. 6),
    an empty list declaring that there are none. UNKNOWN when `subcontractors` is absent. Only `true`.

    Example::

        subcontractors-declared: true
    """

    Params = OnlyTrueParams
    shorthand = "value"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        asset = ctx.asset
        if asset.subcontractors is None:
            return Truth.UNKNOWN, f"{asset.id}: subcontractors not declared: set subcontractors ([] for none)"
        return Truth.TRUE, f"{asset.id}: {_subcontractor_count(asset.subcontractors)}"


def _named(subcontractors: list[Subcontractor]) -> str:
    return ", ".join(f"{s.name} ({s.country or 'country not stated'})" for s in subcontractors)


@register("no-subcontractor-data-access")
class NoSubcontractorDataAccess(Leaf[OnlyTrueParams]):
    """Whether no subcontractor has access to the asset's data (decree 2-24-921 art. 5 §5, level 2). FALSE
    when one has `data_access: true`; UNKNOWN when the subcontractors are not declared or one's access is not
    stated; TRUE when every one states `data_access: false`, or none are declared to exist. Only `true`.

    Example::

        no-subcontractor-data-access: true
    """

    Params = OnlyTrueParams
    shorthand = "value"
    __slots__ = ()

    def evaluate(self, ctx: RuleContext) -> Judged:
        asset = ctx.asset
        subcontractors = asset.subcontractors
        if subcontractors is None:
            return Truth.UNKNOWN, (f"{asset.id}: subcontractors not declared, so their access to data is "
                                   "unknown: set subcontractors ([] for none)")
        with_access = [s for s in subcontractors if s.data_access is True]
        if with_access:
            return Truth.FALSE, f"{asset.id}: subcontractors with access to data: {_named(with_access)}"
        unstated = [s for s in subcontractors if s.data_access is None]
        if unstated:
            return Truth.UNKNOWN, (f"{asset.id}: access to data not stated for subcontractors "
                                   f"{_named(unstated)}: set data_access")
        if not subcontractors:
            return Truth.TRUE, f"{asset.id}: no subcontractor (declared: none)"
        return Truth.TRUE, f"{asset.id}: none of the {len(subcontractors)} subcontractors has access to data"
