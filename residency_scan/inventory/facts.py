"""The inventory facts that the decree 2-24-921 and law 05-20 / 09-08 rules read, and how they must agree.

An asset may state whether it holds sensitive data (law 05-20), whether it is a sensitive information system
(decree art. 1-2), whether it holds personal data (law 09-08), how it is provided (`iaas`, `paas`, `saas` or
`on-premises`: decree art. 3), the reference of its CNDP authorisation or notification (law 09-08), and the
provider's subcontractors (decree art. 5 §5, art. 6). None of them is guessed: a fact not written stays None
("not stated"), which the rules read as unknown or through the fail-closed `sensitivity`.

Facts that contradict each other are refused, never resolved silently, since either reading could be the
wrong one and one of them would weaken a check:
- `sensitive_data: true` or `sensitive_system: true` on an asset classified `internal` or `public` *on the
  asset itself* (its `sensitivity` or its sensitivity tag). When the classification only came from
  `defaults` or the fail-closed default, the stated fact wins and the asset is `sensitive`: the stricter one;
- `service_type: on-premises` on an asset with a `cloud:` resource, or of kind `saas`.

`defaults:` may give the four simple facts. A default yields to what the asset itself says or implies: an
on-premises default does not reach a cloud resource, no service-type default reaches a `saas` (its kind says
`saas`), and a default `sensitive_*: true` does not reach an asset classified internal or public on the asset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from residency_scan.inventory.suggest import describe_type, normalise_choice, one_of, shown
from residency_scan.models import AssetKind, Sensitivity, ServiceType, Subcontractor, SubcontractorRole
from residency_scan.safe_yaml import LocatedDict, LocatedList

if TYPE_CHECKING:  # records.py imports this module: the reader is only a type here
    from residency_scan.inventory.records import FieldReader

FLAG_FIELDS = ("sensitive_data", "sensitive_system", "personal_data")
FACT_FIELDS = (*FLAG_FIELDS, "service_type", "cndp_authorisation", "subcontractors")
DEFAULT_FACT_FIELDS = (*FLAG_FIELDS, "service_type")
SUBCONTRACTOR_FIELDS = ("name", "role", "country", "data_access")

MAX_CNDP_AUTHORISATION = 256
MAX_SERVICE_TYPE = 128
MAX_SUBCONTRACTOR_NAME = 128
MAX_SUBCONTRACTORS = 100

_SENSITIVE_FLAGS = ("sensitive_data", "sensitive_system")
_LOW = (Sensitivity.INTERNAL, Sensitivity.PUBLIC)
# What people write for "on premises" beyond what `normalise_choice` already folds (case, '_' and ' ').
_SERVICE_TYPE_ALIASES = dict.fromkeys(
    ("on-prem", "onprem", "on-premise", "onpremise", "onpremises", "on-site", "onsite"), ServiceType.ON_PREMISES)
_SUBCONTRACTORS_HINT = "a list of {name, role, country, data_access}; subcontractors: [] declares none"


@dataclass(frozen=True)
class FactDefaults:
    """What `defaults:` states for every asset that does not say otherwise."""

    sensitive_data: bool | None = None
    sensitive_system: bool | None = None
    personal_data: bool | None = None
    service_type: ServiceType | None = None


@dataclass(frozen=True)
class Facts:
    """The facts of one asset, defaults applied, ready for `Asset(...)`."""

    sensitivity: Sensitivity
    sensitive_data: bool | None = None
    sensitive_system: bool | None = None
    personal_data: bool | None = None
    service_type: ServiceType | None = None
    cndp_authorisation: str | None = None
    subcontractors: tuple[Subcontractor, ...] | None = None


def read_fact_defaults(fields: FieldReader, sensitivity: Sensitivity | None) -> FactDefaults:
    """The facts of `defaults:`; a default `sensitive_*: true` beside a default internal/public sensitivity is
    the same contradiction as on an asset, and is refused once here rather than on every asset."""
    found = FactDefaults(sensitive_data=fields.flag("sensitive_data"),
                         sensitive_system=fields.flag("sensitive_system"),
                         personal_data=fields.flag("personal_data"),
                         service_type=read_service_type(fields))
    if sensitivity in _LOW:
        for key in _SENSITIVE_FLAGS:
            if getattr(found, key) is True:
                fields.problem(key, f"contradiction: {fields.name(key)} is true, but "
                                    f"{fields.name('sensitivity')} is '{sensitivity}'",
                               f"set sensitivity: sensitive, or remove {key}: true")
    return found


def read_facts(fields: FieldReader, defaults: FactDefaults, *, kind: AssetKind | None,
               sensitivity: Sensitivity, stated_by: str | None) -> Facts:
    """The facts of one asset record, problems logged.

    `stated_by` names what set `sensitivity` on the asset itself (its field, or its tag); None when it came
    from `defaults` or the fail-closed default, which a stated `sensitive_*: true` then overrides.
    """
    own = {key: fields.flag(key) for key in FLAG_FIELDS}
    sensitivity = _reconcile_sensitivity(fields, own, sensitivity, stated_by)
    classified_low = stated_by is not None and sensitivity in _LOW
    classified_sensitive = stated_by is not None and sensitivity is Sensitivity.SENSITIVE
    flags: dict[str, bool | None] = {}
    for key in FLAG_FIELDS:
        default: bool | None = getattr(defaults, key)
        if key in _SENSITIVE_FLAGS and ((default is True and classified_low)
                                        or (default is False and classified_sensitive)):
            default = None  # the asset's own classification says otherwise, in either direction
        flags[key] = own[key] if own[key] is not None else default
    return Facts(
        sensitivity=sensitivity,
        sensitive_data=flags["sensitive_data"],
        sensitive_system=flags["sensitive_system"],
        personal_data=flags["personal_data"],
        service_type=_service_type(fields, defaults.service_type, kind),
        cndp_authorisation=fields.text("cndp_authorisation", limit=MAX_CNDP_AUTHORISATION),
        subcontractors=read_subcontractors(fields),
    )


def read_service_type(fields: FieldReader) -> ServiceType | None:
    """`service_type`, matched like every choice, plus the usual spellings of on-premises ('on-prem')."""
    value = fields.text("service_type", limit=MAX_SERVICE_TYPE)
    if value is None:
        return None
    alias = _SERVICE_TYPE_ALIASES.get(normalise_choice(value))
    return alias or fields.choose("service_type", value, ServiceType, "service type")


def read_subcontractors(fields: FieldReader) -> tuple[Subcontractor, ...] | None:
    """`subcontractors`: None when absent (not declared), () for an empty list (declared: none)."""
    value = fields.record.get("subcontractors")
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, LocatedList):
        fields.problem("subcontractors", f"must be a list, not {describe_type(value)}", _SUBCONTRACTORS_HINT)
        return None
    if len(value) > MAX_SUBCONTRACTORS:
        fields.problem("subcontractors", f"lists {len(value)} subcontractors, over the limit of "
                                         f"{MAX_SUBCONTRACTORS}", "list the main ones and keep the rest in a document")
        return None
    found = [_subcontractor(fields, value, index) for index in range(len(value))]
    complete = [subcontractor for subcontractor in found if subcontractor is not None]
    return tuple(complete) if len(complete) == len(found) else None


def _subcontractor(fields: FieldReader, entries: LocatedList, index: int) -> Subcontractor | None:
    entry, key = entries[index], f"subcontractors[{index}]"
    if not isinstance(entry, LocatedDict):
        example = f'- {{name: "{entry}"}}' if isinstance(entry, str) else "- {name: …, role: …}"
        fields.log.add(f"each subcontractor must be a mapping, not {shown(entry)}", line=entries.line_of(index),
                       field=fields.name(key), hint=f"write {example}")
        return None
    reader = fields.nested(entry, key + ".")
    before = reader.log.count
    reader.refuse_unknown(SUBCONTRACTOR_FIELDS)
    name = reader.text("name", limit=MAX_SUBCONTRACTOR_NAME)
    if name is None and not reader.present("name"):
        reader.problem("name", "a subcontractor needs a name", 'add name: "<company>"')
    role = reader.choice("role", SubcontractorRole, "subcontractor role")
    country = reader.country("country")
    data_access = reader.flag("data_access")
    if name is None or reader.log.count > before:
        return None
    return Subcontractor(name=name, role=role, country=country, data_access=data_access)


def _reconcile_sensitivity(fields: FieldReader, own: dict[str, bool | None], sensitivity: Sensitivity,
                           stated_by: str | None) -> Sensitivity:
    stated = [key for key in _SENSITIVE_FLAGS if own[key] is True]
    if not stated or sensitivity not in _LOW:
        return sensitivity
    if stated_by is None:  # only a default said internal/public: the asset's own statement is stricter
        return Sensitivity.SENSITIVE
    where = (f"{fields.name('sensitivity')} is '{sensitivity}'" if stated_by == "sensitivity" else
             f"its tag '{stated_by}' says '{sensitivity}'")
    for key in stated:
        fields.problem(key, f"contradiction: {fields.name(key)} is true, but {where}",
                       f"set sensitivity: sensitive, or remove {key}: true")
    return sensitivity


def _service_type(fields: FieldReader, default: ServiceType | None, kind: AssetKind | None) -> ServiceType | None:
    own = read_service_type(fields)
    has_cloud = fields.present("cloud")
    if own is ServiceType.ON_PREMISES and has_cloud:
        fields.problem("service_type", "contradiction: the service type is 'on-premises', but the asset is a "
                                       "cloud resource (cloud:)",
                       f"remove cloud:, or set service_type: {one_of(('iaas', 'paas', 'saas'))}")
    elif own is ServiceType.ON_PREMISES and kind is AssetKind.SAAS:
        fields.problem("service_type", "contradiction: the service type is 'on-premises', but the asset's "
                                       "kind is 'saas'",
                       "set the kind it really has, such as server or data-store, or service_type: saas")
    if own is not None:
        return own
    if kind is AssetKind.SAAS or (default is ServiceType.ON_PREMISES and has_cloud):
        return None  # the asset's kind or cloud resource says otherwise than the default
    return default
