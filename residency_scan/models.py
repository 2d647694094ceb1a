"""The value types every stage shares: assets in, evidence and locations in the middle, verdicts out.

Every model is frozen: a stage never edits what an earlier stage produced, it makes a new value. Stages talk
to each other only through these types and the `interface.py` of each package.
"""

from __future__ import annotations

import enum
import ipaddress
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.1"
"""Version of the JSON contract (`ScanResult`). Bump the major part when a key is removed or changes meaning.

1.1 (additive): the `waived` verdict and summary count, finding waivers, `waivers`, `matrix`, `access_logs`,
per-asset `access`, the inventory facts of decree 2-24-921 / laws 05-20 and 09-08, rule-pack deadlines."""

JsonValue = Any
"""Raw answers kept as evidence: whatever JSON-compatible value the source returned."""


def _as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC; aware ones are converted, so every timestamp serialises with "Z"."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


class Frozen(BaseModel):
    """Base of every shared model: immutable, and unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------------------------- inventory


class AssetKind(enum.StrEnum):
    SERVER = "server"
    MANAGEMENT_TOOL = "management-tool"
    ADMIN_INTERFACE = "admin-interface"
    DATA_STORE = "data-store"
    BACKUP = "backup"
    NETWORK = "network"
    SAAS = "saas"


class Sensitivity(enum.StrEnum):
    SENSITIVE = "sensitive"
    INTERNAL = "internal"
    PUBLIC = "public"


class EntityType(enum.StrEnum):
    EIV = "eiv"
    ADMINISTRATION = "administration"
    PRIVATE = "private"


class ServiceType(enum.StrEnum):
    """How an asset is provided (decree 2-24-921 art. 3 names IaaS, PaaS and SaaS). `on-premises` says that no
    cloud provider is involved, which takes the asset out of the provider-qualification rules."""

    IAAS = "iaas"
    PAAS = "paas"
    SAAS = "saas"
    ON_PREMISES = "on-premises"


CLOUD_SERVICE_TYPES = (ServiceType.IAAS, ServiceType.PAAS, ServiceType.SAAS)


class SubcontractorRole(enum.StrEnum):
    """What a subcontractor does for the cloud service (decree 2-24-921 art. 5 §5, art. 6)."""

    HOSTING = "hosting"
    OPERATION = "operation"
    ADMINISTRATION = "administration"
    MAINTENANCE = "maintenance"
    SUPPORT = "support"
    OTHER = "other"


class TargetKind(enum.StrEnum):
    HOSTNAME = "hostname"
    IP = "ip"
    CIDR = "cidr"
    URL = "url"


class SourceRef(Frozen):
    """Where an asset was declared, so every error and every report can point back at the line."""

    path: str
    line: int | None = None


class Entity(Frozen):
    name: str
    type: EntityType = EntityType.EIV


class DeclaredLocation(Frozen):
    """What the entity claims about an asset. Evidence of strength *declared*: never enough alone."""

    country: str | None = None  # ISO 3166-1 alpha-2, upper case
    city: str | None = None
    provider: str | None = None
    qualification: Literal[1, 2] | None = None


class CloudRef(Frozen):
    """A resource in a public cloud, located through the shipped region table."""

    provider: str  # aws | azure | gcp | oci (lower case)
    region: str | None = None
    account: str | None = None
    service: str | None = None
    resource: str | None = None
    # Why `region` is missing, when the source knows (a Terraform value "known after apply"): the resolver
    # reports it as the reason the location is unknown, instead of a generic "no region given".
    unknown_reason: str | None = None


class Subcontractor(Frozen):
    """A company the provider subcontracts part of the service to. `data_access` None: not stated."""

    name: str
    role: SubcontractorRole | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    data_access: bool | None = None


class Target(Frozen):
    """The parsed target of an asset. `host` is the name or address that resolvers look up."""

    raw: str
    kind: TargetKind
    host: str  # hostname (lower case, no trailing dot), IP address, or CIDR in canonical form
    port: int | None = None
    scheme: str | None = None

    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
        """The address range of an IP or CIDR target; None for names and URLs with a hostname."""
        if self.kind in (TargetKind.IP, TargetKind.CIDR):
            return ipaddress.ip_network(self.host, strict=False)
        if self.kind is TargetKind.URL:
            try:
                return ipaddress.ip_network(self.host, strict=False)
            except ValueError:
                return None
        return None


class Asset(Frozen):
    id: str
    kind: AssetKind
    sensitivity: Sensitivity
    target: Target | None = None
    vendor: str | None = None
    cloud: CloudRef | None = None
    declared: DeclaredLocation | None = None
    description: str | None = None
    owner: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    source: SourceRef
    # What decree 2-24-921 and laws 05-20 / 09-08 rules need. None means "not stated"; see the methods below
    # for how an unstated fact is read (never in the entity's favour).
    sensitive_data: bool | None = None
    sensitive_system: bool | None = None
    personal_data: bool | None = None
    service_type: ServiceType | None = None
    cndp_authorisation: str | None = None  # CNDP authorisation / notification reference, or the legal exception
    subcontractors: tuple[Subcontractor, ...] | None = None  # None: not declared; () declared as none

    def holds_sensitive_data(self) -> bool:
        """`sensitive_data` when stated; otherwise what `sensitivity` implies (sensitive → yes: fail-closed)."""
        if self.sensitive_data is not None:
            return self.sensitive_data
        return self.sensitivity is Sensitivity.SENSITIVE

    def is_sensitive_system(self) -> bool:
        """`sensitive_system` when stated; otherwise what `sensitivity` implies (sensitive → yes)."""
        if self.sensitive_system is not None:
            return self.sensitive_system
        return self.sensitivity is Sensitivity.SENSITIVE

    def stated_service_type(self) -> ServiceType | None:
        """The stated service type; a `saas` asset with none stated is SaaS by its kind."""
        if self.service_type is not None:
            return self.service_type
        return ServiceType.SAAS if self.kind is AssetKind.SAAS else None

    def provider_name(self) -> str | None:
        """The provider the qualification rules look up: the declared one, else the public cloud's key."""
        if self.declared is not None and self.declared.provider:
            return self.declared.provider
        if self.cloud is not None:
            return self.cloud.provider
        return None


class Inventory(Frozen):
    path: str
    sha256: str
    entity: Entity
    assets: tuple[Asset, ...]
    notes: tuple[str, ...] = ()  # what the source read but did not turn into assets (e.g. skipped resources)


# --------------------------------------------------------------------------------------------- evidence


class Strength(enum.StrEnum):
    """How much a source can be trusted about *where a machine is*. A property of the source."""

    AUTHORITATIVE = "authoritative"  # cloud API region, vendor catalog region, CDN edge actually serving
    MEASURED = "measured"  # GeoIP (a user's MaxMind-format DB) of a resolved address, ASN
    REGISTERED = "registered"  # RIR delegation / RDAP / WHOIS: where a network is registered
    DECLARED = "declared"  # the inventory's own claim

    @property
    def rank(self) -> int:
        return _STRENGTH_RANK[self]


_STRENGTH_RANK = {
    Strength.AUTHORITATIVE: 3,
    Strength.MEASURED: 2,
    Strength.REGISTERED: 1,
    Strength.DECLARED: 0,
}


class Claim(Frozen):
    """What one source says about one subject.

    `country` is set when the source names one country. When it only knows the set of places the subject can
    be in (a SaaS tenant whose region the target does not reveal), `country` is None and `candidates` lists
    them. `internal` marks reserved/private addresses, which have no public location at all.
    """

    country: str | None = None
    candidates: tuple[str, ...] = ()
    region: str | None = None
    city: str | None = None
    asn: int | None = None
    asn_org: str | None = None
    provider: str | None = None
    internal: bool = False


class Evidence(Frozen):
    """One observation, with where it came from. Exactly one of `claim` and `failure` is usually set:

    - `claim` set: the source says something about the subject's location;
    - `failure` set: the lookup failed (NXDOMAIN, timeout, no entry in the dataset...), and that reason is
      what makes the location unknown;
    - both None: supporting information only (a DNS answer listing the addresses that were then located).
    """

    source: str  # resolver name, e.g. "geoip", "cloud-regions", "vendor-catalog", "dns", "declared"
    strength: Strength
    subject: str  # what was looked up: an address, a network, a hostname, "aws:eu-west-3", a vendor key
    claim: Claim | None = None
    failure: str | None = None
    observed_at: UtcDateTime
    dataset: str | None = None  # id of a DataSource in ScanResult.data_sources
    from_cache: bool = False
    raw: JsonValue = None


class LocationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    CONTRADICTED = "contradicted"
    UNKNOWN = "unknown"


class SubjectLocation(Frozen):
    """The fused location of one subject (one address, one cloud region, one vendor tenant)."""

    subject: str
    status: LocationStatus
    countries: tuple[str, ...] = ()  # sorted; empty when unknown
    exact: bool = True  # False: the subject is in *one* of `countries`, not in all of them
    internal: bool = False
    strongest: Strength | None = None
    sources: tuple[str, ...] = ()  # the evidence sources that were fused
    reason: str


class Location(Frozen):
    """Where an asset is, fused from all its evidence, with the policy that decided and why."""

    status: LocationStatus
    countries: tuple[str, ...] = ()
    parts: tuple[SubjectLocation, ...] = ()
    reason: str
    policy: str


# --------------------------------------------------------------------------------------------- verdicts


class Outcome(enum.StrEnum):
    """A rule's outcome for one asset, and an asset's verdict.

    `waived` is only ever a *verdict*: an asset whose every non-compliant finding is covered by a valid waiver.
    Its findings keep their real outcome (violation, indeterminate) and carry the waiver.
    """

    VIOLATION = "violation"
    INDETERMINATE = "indeterminate"
    WAIVED = "waived"
    COMPLIANT = "compliant"
    NOT_APPLICABLE = "not-applicable"

    @property
    def rank(self) -> int:
        return _OUTCOME_RANK[self]


_OUTCOME_RANK = {
    Outcome.VIOLATION: 4,
    Outcome.INDETERMINATE: 3,
    Outcome.WAIVED: 2,
    Outcome.COMPLIANT: 1,
    Outcome.NOT_APPLICABLE: 0,
}


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class LegalReference(Frozen):
    text: str  # e.g. "Décret n° 2-24-921"
    article: str | None = None  # e.g. "art. 5 §3"
    article_uncertain: bool = False
    url: str | None = None
    quote: str | None = None


class WaiverRef(Frozen):
    """The waiver that covers a finding: who accepted the risk, why, on what document, until when."""

    id: str
    owner: str
    reason: str
    reference: str | None = None
    expires: date


class Finding(Frozen):
    """A rule outcome that is not compliant, with what the rule says and how to fix it.

    A waived finding keeps its outcome and is reported everywhere; `waiver` says who accepted it until when.
    """

    rule: str
    title: str
    title_fr: str
    severity: Severity
    outcome: Outcome
    message: str
    message_fr: str
    remediation: str
    remediation_fr: str
    reference: LegalReference
    see_also: tuple[LegalReference, ...] = ()  # further texts the rule enforces (e.g. law 05-20 beside the decree)
    reason: str  # why the condition gave this outcome, from the evidence
    waiver: WaiverRef | None = None


class RuleInfo(Frozen):
    """A rule that took part in the scan, described once so reports can explain every rule id they show
    (SARIF rule metadata, the compliance matrix) without reading rule files."""

    id: str
    pack: str
    title: str
    title_fr: str
    severity: Severity
    reference: LegalReference
    see_also: tuple[LegalReference, ...] = ()
    message: str  # the rule's message template ({asset}, {countries}, {reason} not filled in)
    message_fr: str
    remediation: str  # template, like message
    remediation_fr: str
    kinds: tuple[AssetKind, ...] | None = None  # None: every kind
    sensitivity: tuple[Sensitivity, ...] | None = None
    entity_types: tuple[EntityType, ...] | None = None


class RuleCheck(Frozen):
    """Every rule that applied to an asset and what it gave, compliant ones included (for auditors)."""

    rule: str
    outcome: Outcome
    reason: str
    waiver: str | None = None  # id of the waiver that covers a non-compliant outcome


class AccessRecord(Frozen):
    """Administrative access to an asset from one source address by one user, aggregated over a log.

    `country`/`status` come from locating `source_ip` with the same sources as any address; `internal` marks a
    private source (a VPN or bastion hop), located through the inventory network it belongs to when there is one.
    """

    user: str
    source_ip: str
    method: str  # e.g. "ssh publickey", "aws ConsoleLogin", "aws api CreateUser"
    first_seen: UtcDateTime
    last_seen: UtcDateTime
    count: int
    log: SourceRef  # the first line that showed it
    country: str | None = None
    status: LocationStatus = LocationStatus.UNKNOWN
    strongest: Strength | None = None
    internal: bool = False
    reason: str


class AssetResult(Frozen):
    id: str
    kind: AssetKind
    target: str | None
    vendor: str | None = None
    cloud: CloudRef | None = None
    sensitivity: Sensitivity
    declared: DeclaredLocation | None = None
    source: SourceRef
    verdict: Outcome
    location: Location
    evidence: tuple[Evidence, ...]
    checks: tuple[RuleCheck, ...]
    findings: tuple[Finding, ...]
    access: tuple[AccessRecord, ...] = ()
    # the inventory facts the rules read, echoed so a report shows what a verdict relied on
    sensitive_data: bool | None = None
    sensitive_system: bool | None = None
    personal_data: bool | None = None
    service_type: ServiceType | None = None
    cndp_authorisation: str | None = None
    subcontractors: tuple[Subcontractor, ...] | None = None


class DataSource(Frozen):
    """A dataset a verdict relied on: which one, which version, how old, under which licence."""

    id: str
    name: str
    version: str
    date: date
    licence: str
    url: str | None = None
    attribution: str | None = None
    sha256: str | None = None
    age_days: int | None = None  # relative to ScanResult.generated_at
    evidence_count: int = 0  # how many evidence items of this scan came from this dataset
    live: bool = False  # a service queried during the scan (RDAP): dated by the scan, not a shipped dataset
    note: str | None = None  # e.g. "EXAMPLE register, not an official list"


class Deadline(Frozen):
    """A compliance date a pack's text sets (decree 2-24-921 art. 18: 24 months after entry into force)."""

    date: date
    label: str
    label_fr: str
    reference: LegalReference
    uncertain: bool = False  # the date is inferred (e.g. from the BO date of the arrêté that starts the clock)
    days_left: int | None = None  # relative to ScanResult.generated_at; negative once passed


class RulePackRef(Frozen):
    id: str
    title: str
    title_fr: str | None = None
    version: str
    path: str
    sha256: str
    deadline: Deadline | None = None


class Summary(Frozen):
    assets: int
    compliant: int
    violation: int
    indeterminate: int
    not_applicable: int
    waived: int = 0


class ToolInfo(Frozen):
    name: str
    version: str


class InventoryRef(Frozen):
    path: str
    sha256: str
    entity: Entity
    notes: tuple[str, ...] = ()


class MatrixRow(Frozen):
    """One article of one rule pack and how the assets its rules assessed came out.

    An asset judged by several rules of one article counts once, with its worst outcome, a waived finding
    counting as `waived`: `assessed == compliant + violation + indeterminate + waived`.
    """

    pack: str | None
    text: str
    article: str | None
    article_uncertain: bool = False
    url: str | None = None
    rules: tuple[str, ...]
    assessed: int
    compliant: int
    violation: int
    indeterminate: int
    waived: int = 0


class WaiverStatusKind(enum.StrEnum):
    ACTIVE = "active"  # valid, not expired, covers at least one finding
    STALE = "stale"  # valid, not expired, but covers no finding of this scan
    EXPIRED = "expired"  # past its expiry date: covers nothing, and is a finding of its own
    INVALID = "invalid"  # malformed (missing expiry, lifetime over the maximum, unknown rule...): covers nothing


class WaiverStatus(Frozen):
    """Every waiver of the waivers file and what became of it in this scan."""

    id: str
    asset: str | None = None  # asset id or glob
    rule: str | None = None  # rule id or glob
    owner: str | None = None
    reason: str | None = None
    reference: str | None = None
    created: date | None = None
    expires: date | None = None
    status: WaiverStatusKind
    problems: tuple[str, ...] = ()
    covered: tuple[str, ...] = ()  # "asset-id rule-id" of each finding it covers
    days_left: int | None = None
    source: SourceRef


class AccessLogRef(Frozen):
    """An admin-access log read for the scan (decree 2-24-921 art. 5 §4: administration from Morocco)."""

    path: str
    sha256: str
    format: str  # auth-log | journal-json | cloudtrail-json
    events: int  # accepted logins / admin calls read
    attributed: int  # of which matched to an inventory asset
    unmatched: tuple[str, ...] = ()  # hosts or accounts in the log that no asset stands for (first ones)
    skipped_lines: int = 0
    unreadable_logins: int = 0  # lines that look like accepted logins but could not be read (cut, undatable)


class ScanResult(Frozen):
    """The single object every reporter renders. Its JSON form is the public contract (`schema_version`)."""

    schema_version: str
    tool: ToolInfo
    generated_at: UtcDateTime
    offline: bool
    inventory: InventoryRef
    policy: str  # the corroboration policy, in words
    data_sources: tuple[DataSource, ...]
    rule_packs: tuple[RulePackRef, ...]
    rules: tuple[RuleInfo, ...] = ()
    summary: Summary
    matrix: tuple[MatrixRow, ...] = ()
    waivers: tuple[WaiverStatus, ...] = ()
    access_logs: tuple[AccessLogRef, ...] = ()
    assets: tuple[AssetResult, ...]
