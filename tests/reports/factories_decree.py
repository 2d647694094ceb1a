"""A hand-built result with what schema 1.1 added: waivers, deadlines, admin access, inventory facts, notes.

`decree_scan_result()` is the sample scan (factories.py) plus:
- `hebergement-cloud`, an IaaS data store in FR whose only finding is waived (verdict *waived*), with every
  inventory fact stated: sensitive data and system, personal data, a CNDP reference and two subcontractors;
- `bastion`, an admin interface administered from abroad (violation, with its access records), whose second
  finding is waived by a waiver expiring within 30 days;
- a waivers file with one waiver of each status (active, active expiring soon, stale, expired, invalid);
- the rule pack's art. 18 deadline, the rules described, the matrix counted like the scanner counts it;
- a provider register flagged as an EXAMPLE, and one admin-access log.

`hostile_decree_scan_result()` plants hostile strings (from `hostile.py`) in each of these new fields.
"""

from __future__ import annotations

from datetime import date, datetime

from residency_scan.compliance import MatrixCounter
from residency_scan.models import (
    AccessLogRef,
    AccessRecord,
    AssetKind,
    AssetResult,
    DataSource,
    Deadline,
    LegalReference,
    LocationStatus,
    MatrixRow,
    Outcome,
    RuleCheck,
    RuleInfo,
    ScanResult,
    ServiceType,
    Severity,
    SourceRef,
    Strength,
    Subcontractor,
    SubcontractorRole,
    WaiverRef,
    WaiverStatus,
    WaiverStatusKind,
)
from tests.reports import hostile
from tests.reports.builders import (
    CLOUD_REGIONS,
    DECREE_ART_4,
    DECREE_ART_5,
    DECREE_URL,
    GEOIP,
    LAW_05_20,
    RULE_PACK,
    VENDOR_CATALOG,
    asset,
    evidence,
    finding,
    located,
    part,
    scan_result,
)
from tests.reports.factories import hostile_scan_result, sample_assets

WAIVERS_PATH = "derogations.yaml"
AUTH_LOG = "logs/auth.log"
DECREE_ART_5_4 = LegalReference(
    text="Décret n° 2-24-921",
    article="art. 5 §4",
    url=DECREE_URL,
    quote="la gestion et la supervision des services … exclusivement depuis et sur le territoire national",
)
DEADLINE = Deadline(
    date=date(2027, 8, 21),
    label="Existing cloud uses of sensitive systems and data must comply (24 months after entry into force)",
    label_fr="Mise en conformité des recours existants au cloud (24 mois après l'entrée en vigueur)",
    reference=LegalReference(text="Décret n° 2-24-921", article="art. 18", url=DECREE_URL),
    uncertain=True,
    days_left=705,
)
DECREE_PACK = RULE_PACK.model_copy(
    update={
        "title": "Decree 2-24-921: sensitive systems and data hosted in Morocco",
        "title_fr": "Décret 2-24-921 : hébergement au Maroc des systèmes et données sensibles",
        "deadline": DEADLINE,
    }
)
PROVIDERS = DataSource(
    id="providers",
    name="Qualified cloud providers",
    version="example-2025-09",
    date=date(2025, 9, 1),
    licence="CC0-1.0",
    evidence_count=0,
    note="EXAMPLE register, not an official list",
)

LOCAL_WAIVER = WaiverRef(
    id="W-2025-01",
    owner="DSI — Karim Benali",
    reason="Migration to a qualified Moroccan provider under way (art. 17 risk analysis)",
    reference="AR-2025-014",
    expires=date(2026, 3, 31),
)
BASTION_WAIVER = WaiverRef(
    id="W-2025-02",
    owner="RSSI",
    reason="Vendor support session, contract ends this month",
    reference=None,
    expires=date(2025, 10, 1),
)


def rule_info(rule_id: str, reference: LegalReference, title: str, title_fr: str,
              severity: Severity = Severity.HIGH) -> RuleInfo:
    return RuleInfo(id=rule_id, pack=RULE_PACK.id, title=title, title_fr=title_fr, severity=severity,
                    reference=reference, message=f"{title}: {{asset}}", message_fr=f"{title_fr} : {{asset}}",
                    remediation="Move it to Morocco.", remediation_fr="Le déplacer au Maroc.")


RULES = (
    rule_info("MA-ADM-1", DECREE_ART_4, "Management plane outside Morocco", "Plan d'administration hors du Maroc"),
    rule_info("MA-ADM-2", DECREE_ART_5_4, "Administered from abroad", "Administré depuis l'étranger"),
    rule_info("MA-LOC-1", DECREE_ART_5, "Sensitive data stored outside Morocco",
              "Données sensibles stockées hors du Maroc", Severity.CRITICAL),
    rule_info("MA-LOC-2", LAW_05_20, "Processing outside Morocco", "Traitement hors du Maroc"),
)


def access_record(user: str, source_ip: str, country: str | None, status: LocationStatus, *, count: int,
                  line: int, internal: bool = False, method: str = "ssh publickey") -> AccessRecord:
    return AccessRecord(
        user=user,
        source_ip=source_ip,
        method=method,
        first_seen=datetime(2025, 9, 1, 7, 12, 3),
        last_seen=datetime(2025, 9, 14, 18, 40, 0),
        count=count,
        log=SourceRef(path=AUTH_LOG, line=line),
        country=country,
        status=status,
        strongest=Strength.MEASURED if country else None,
        internal=internal,
        reason=f"{source_ip}: " + (f"located {country}" if country else "location unknown"),
    )


def waiver_status(waiver_id: str, status: WaiverStatusKind, *, line: int, days_left: int | None,
                  expires: date | None, covered: tuple[str, ...] = (), problems: tuple[str, ...] = (),
                  asset_id: str | None = None, rule: str | None = None, owner: str | None = "DSI",
                  reason: str | None = "Accepted risk, see the risk analysis", reference: str | None = None,
                  created: date | None = date(2025, 6, 1)) -> WaiverStatus:
    return WaiverStatus(id=waiver_id, asset=asset_id, rule=rule, owner=owner, reason=reason, reference=reference,
                        created=created, expires=expires, status=status, problems=problems, covered=covered,
                        days_left=days_left, source=SourceRef(path=WAIVERS_PATH, line=line))


WAIVERS = (
    waiver_status("W-2025-01", WaiverStatusKind.ACTIVE, line=3, days_left=197, expires=LOCAL_WAIVER.expires,
                  covered=("hebergement-cloud MA-LOC-1",), asset_id="hebergement-cloud", rule="MA-LOC-1",
                  owner=LOCAL_WAIVER.owner, reason=LOCAL_WAIVER.reason, reference=LOCAL_WAIVER.reference),
    waiver_status("W-2025-02", WaiverStatusKind.ACTIVE, line=10, days_left=16, expires=BASTION_WAIVER.expires,
                  covered=("bastion MA-ADM-1",), asset_id="bastion", rule="MA-ADM-1", owner=BASTION_WAIVER.owner,
                  reason=BASTION_WAIVER.reason),
    waiver_status("W-2025-03", WaiverStatusKind.STALE, line=16, days_left=90, expires=date(2025, 12, 14),
                  asset_id="ancien-*", rule="MA-LOC-1"),
    waiver_status("W-2024-07", WaiverStatusKind.EXPIRED, line=22, days_left=-45, expires=date(2025, 8, 1),
                  asset_id="supervision", rule="MA-ADM-1", owner="DSI", reference="AR-2024-003",
                  created=date(2024, 8, 1)),
    waiver_status("W-2025-04", WaiverStatusKind.INVALID, line=29, days_left=None, expires=None,
                  asset_id="messagerie", rule="MA-XYZ", owner=None,
                  problems=("no 'expires' date: a waiver must end", "rule 'MA-XYZ' is not a rule of the loaded packs")),
)

ACCESS_LOG = AccessLogRef(path=AUTH_LOG, sha256="ab" * 32, format="auth-log", events=9, attributed=8,
                          unmatched=("old-host",), skipped_lines=2)


def decree_assets() -> tuple[AssetResult, ...]:
    """The two assets that carry waivers, access records and inventory facts."""
    confirmed = LocationStatus.CONFIRMED
    return (
        asset(
            "hebergement-cloud",
            AssetKind.DATA_STORE,
            Outcome.WAIVED,
            located(confirmed, ("FR",), "aws:eu-west-3 is in FR (authoritative)",
                    part("aws:eu-west-3", confirmed, ("FR",), "cloud region", strongest=Strength.AUTHORITATIVE,
                         sources=("cloud-regions",))),
            [evidence("cloud-regions", Strength.AUTHORITATIVE, "aws:eu-west-3", country="FR", region="eu-west-3",
                      dataset="cloud-regions")],
            line=40,
            checks=[RuleCheck(rule="MA-LOC-1", outcome=Outcome.VIOLATION, reason="FR is not MA",
                              waiver=LOCAL_WAIVER.id)],
            findings=[
                finding("MA-LOC-1", Outcome.VIOLATION, Severity.CRITICAL, DECREE_ART_5,
                        title="Sensitive data stored outside Morocco",
                        title_fr="Données sensibles stockées hors du Maroc",
                        message="hebergement-cloud stores sensitive data in FR.",
                        message_fr="hebergement-cloud stocke des données sensibles en FR.",
                        reason="location confirmed FR by cloud-regions (authoritative)", waiver=LOCAL_WAIVER),
            ],
            sensitive_data=True,
            sensitive_system=True,
            personal_data=True,
            service_type=ServiceType.IAAS,
            cndp_authorisation="A-GC-123/2024",
            subcontractors=(
                Subcontractor(name="Atlas Ops", role=SubcontractorRole.OPERATION, country="MA", data_access=False),
                Subcontractor(name="CloudCare Europe", role=SubcontractorRole.SUPPORT, country="FR"),
            ),
        ),
        asset(
            "bastion",
            AssetKind.ADMIN_INTERFACE,
            Outcome.VIOLATION,
            located(LocationStatus.UNKNOWN, (), "offline: DNS not queried",
                    part("bastion.exemple.ma", LocationStatus.UNKNOWN, (), "offline", sources=("dns",))),
            [evidence("dns", Strength.MEASURED, "bastion.exemple.ma", failure="offline: DNS not queried")],
            target="bastion.exemple.ma",
            line=46,
            checks=[
                RuleCheck(rule="MA-ADM-1", outcome=Outcome.INDETERMINATE, reason="location unknown",
                          waiver=BASTION_WAIVER.id),
                RuleCheck(rule="MA-ADM-2", outcome=Outcome.VIOLATION, reason="ext-support from 51.15.0.10 (FR)"),
            ],
            findings=[
                finding("MA-ADM-1", Outcome.INDETERMINATE, Severity.HIGH, DECREE_ART_4,
                        title="Admin interface location not proven",
                        title_fr="Localisation de l'interface d'administration non prouvée",
                        message="Nothing measured places 'bastion' in Morocco.",
                        message_fr="Rien de mesuré ne place « bastion » au Maroc.",
                        reason="location unknown: offline: DNS not queried", waiver=BASTION_WAIVER),
                finding("MA-ADM-2", Outcome.VIOLATION, Severity.HIGH, DECREE_ART_5_4,
                        title="Administered from abroad", title_fr="Administré depuis l'étranger",
                        message="'bastion' was administered from FR.",
                        message_fr="« bastion » a été administré depuis FR.",
                        reason="ext-support logged in from 51.15.0.10 (FR, confirmed) 3 times (logs/auth.log:57)"),
            ],
            access=(
                access_record("admin", "196.200.131.20", "MA", confirmed, count=5, line=12),
                access_record("ext-support", "51.15.0.10", "FR", confirmed, count=3, line=57),
                access_record("ops", "10.8.0.4", None, LocationStatus.UNKNOWN, count=1, line=80, internal=True),
            ),
            sensitive_system=True,
            service_type=ServiceType.ON_PREMISES,
            subcontractors=(),
        ),
    )


def decree_matrix(assets: tuple[AssetResult, ...]) -> tuple[MatrixRow, ...]:
    """The matrix as the scanner counts it, asset by asset."""
    counter = MatrixCounter(RULES)
    for item in assets:
        counter.add(item)
    return counter.rows()


def decree_scan_result() -> ScanResult:
    assets = (*sample_assets(), *decree_assets())
    return scan_result(
        assets,
        data_sources=(GEOIP, CLOUD_REGIONS, VENDOR_CATALOG, PROVIDERS),
        rule_packs=(DECREE_PACK,),
        rules=RULES,
        matrix=decree_matrix(assets),
        waivers=WAIVERS,
        access_logs=(ACCESS_LOG,),
    )


def hostile_decree_scan_result() -> ScanResult:
    """The hostile sample (factories.py) plus hostile strings in every field schema 1.1 added: a waived finding's
    waiver, access records, inventory facts and subcontractors, waiver statuses of every kind, a rule pack's
    deadline, a dataset note and an admin-access log."""
    base = hostile_scan_result()
    extras = hostile.hostile_decree_extras()
    return scan_result(
        (*base.assets, *hostile.hostile_decree_assets()),
        entity_name=base.inventory.entity.name,
        inventory_path=base.inventory.path,
        data_sources=extras.data_sources,
        rule_packs=extras.rule_packs,
        waivers=extras.waivers,
        access_logs=extras.access_logs,
    )
