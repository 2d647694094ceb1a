"""Builders for hand-made `ScanResult` values: one short call per evidence, finding, location or asset.

Realistic defaults (Office Exemple, its inventory path, the datasets and the shipped rule pack) so a test
states only what it is about.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone

from residency_scan.models import (
    AccessLogRef,
    AssetKind,
    AssetResult,
    Claim,
    DataSource,
    Entity,
    EntityType,
    Evidence,
    Finding,
    InventoryRef,
    LegalReference,
    Location,
    LocationStatus,
    MatrixRow,
    Outcome,
    RuleCheck,
    RuleInfo,
    RulePackRef,
    ScanResult,
    Sensitivity,
    Severity,
    SourceRef,
    Strength,
    SubjectLocation,
    Summary,
    ToolInfo,
    WaiverRef,
    WaiverStatus,
)
from residency_scan.reports.json import SCHEMA_VERSION

GENERATED_AT = datetime(2025, 9, 15, 8, 30, tzinfo=UTC)
OBSERVED_AT = datetime(2025, 9, 15, 8, 29, 58, tzinfo=UTC)
CASABLANCA = timezone(timedelta(hours=1))
INVENTORY_PATH = "examples/office-exemple.yaml"
INVENTORY_SHA256 = "3f5a9c0e7b21d4486a0c9e1f2b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e"
POLICY = (
    "authoritative or measured evidence decides; registered and declared evidence only corroborate; "
    "one address abroad puts the asset abroad"
)

DECREE_URL = (
    "https://www.dgssi.gov.ma/fr/reglementations/"
    "decret-ndeg-2-24-921-relatif-au-recours-aux-prestataires-de-services-cloud-par-les"
)
DECREE_ART_4 = LegalReference(
    text="Décret n° 2-24-921",
    article="art. 4",
    url=DECREE_URL,
    quote="mettre en place sur le territoire national l'ensemble des infrastructures d'hébergement",
)
DECREE_ART_5 = LegalReference(
    text="Décret n° 2-24-921",
    article="art. 5 §3",
    url=DECREE_URL,
    quote="le traitement, l'exploitation et le stockage de données doivent être réalisés exclusivement "
    "sur le territoire national",
)
LAW_05_20 = LegalReference(
    text="Loi n° 05-20 relative à la cybersécurité",
    article="art. 11",
    article_uncertain=True,
    quote="Les données sensibles doivent être exclusivement hébergées sur le territoire national",
)

GEOIP = DataSource(
    id="geoip-embedded",
    name="DB-IP IP to Country Lite",
    version="2025-09",
    date=date(2025, 9, 1),
    licence="CC BY 4.0",
    url="https://db-ip.com",
    attribution="IP Geolocation by DB-IP",
    sha256="9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
    age_days=14,
    evidence_count=2,
)
CLOUD_REGIONS = DataSource(
    id="cloud-regions",
    name="Cloud region table",
    version="2025.08.1",
    date=date(2025, 8, 20),
    licence="Apache-2.0",
    evidence_count=1,
)
VENDOR_CATALOG = DataSource(
    id="vendor-catalog",
    name="Vendor catalog",
    version="2025.09.0",
    date=date(2025, 9, 2),
    licence="Apache-2.0",
    age_days=13,
    evidence_count=2,
)
RULE_PACK = RulePackRef(
    id="ma-decree-2-24-921",
    title="Décret 2-24-921 — localisation des systèmes sensibles",
    version="1.0.0",
    path="rules/ma-decree-2-24-921.yaml",
    sha256="c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00",
)


def evidence(
    source: str,
    strength: Strength,
    subject: str,
    *,
    country: str | None = None,
    failure: str | None = None,
    dataset: str | None = None,
    observed_at: datetime = OBSERVED_AT,
    raw: object = None,
    **claim: object,
) -> Evidence:
    """One piece of evidence; a claim is made when a country or any claim field is given."""
    made = Claim.model_validate({"country": country, **claim}) if (country or claim) else None
    return Evidence(
        source=source,
        strength=strength,
        subject=subject,
        claim=made,
        failure=failure,
        observed_at=observed_at,
        dataset=dataset,
        raw=raw,
    )


def finding(
    rule: str,
    outcome: Outcome,
    severity: Severity,
    reference: LegalReference,
    *,
    title: str,
    title_fr: str,
    message: str,
    message_fr: str,
    reason: str,
    remediation: str = "Move the asset to a provider qualified by DGSSI that hosts it in Morocco.",
    remediation_fr: str = "Migrer l'actif vers un prestataire qualifié par la DGSSI qui l'héberge au Maroc.",
    waiver: WaiverRef | None = None,
) -> Finding:
    return Finding(
        rule=rule,
        title=title,
        title_fr=title_fr,
        severity=severity,
        outcome=outcome,
        message=message,
        message_fr=message_fr,
        remediation=remediation,
        remediation_fr=remediation_fr,
        reference=reference,
        reason=reason,
        waiver=waiver,
    )


def located(
    status: LocationStatus, countries: tuple[str, ...], reason: str, *parts: SubjectLocation
) -> Location:
    return Location(status=status, countries=countries, parts=parts, reason=reason, policy="default")


def part(
    subject: str, status: LocationStatus, countries: tuple[str, ...], reason: str, **kw: object
) -> SubjectLocation:
    return SubjectLocation.model_validate(
        {"subject": subject, "status": status, "countries": countries, "reason": reason, **kw}
    )


def asset(
    asset_id: str,
    kind: AssetKind,
    verdict: Outcome,
    location: Location,
    evidence_items: Iterable[Evidence],
    *,
    target: str | None = None,
    line: int = 1,
    findings: Iterable[Finding] = (),
    checks: Iterable[RuleCheck] = (),
    **fields: object,
) -> AssetResult:
    return AssetResult.model_validate(
        {
            "id": asset_id,
            "kind": kind,
            "target": target,
            "sensitivity": fields.pop("sensitivity", Sensitivity.SENSITIVE),
            "source": SourceRef(path=INVENTORY_PATH, line=line),
            "verdict": verdict,
            "location": location,
            "evidence": tuple(evidence_items),
            "checks": tuple(checks),
            "findings": tuple(findings),
            **fields,
        }
    )


def summarise(assets: Iterable[AssetResult]) -> Summary:
    verdicts = [a.verdict for a in assets]
    return Summary(
        assets=len(verdicts),
        compliant=verdicts.count(Outcome.COMPLIANT),
        violation=verdicts.count(Outcome.VIOLATION),
        indeterminate=verdicts.count(Outcome.INDETERMINATE),
        not_applicable=verdicts.count(Outcome.NOT_APPLICABLE),
        waived=verdicts.count(Outcome.WAIVED),
    )


def scan_result(
    assets: Iterable[AssetResult],
    *,
    entity_name: str = "Office Exemple",
    inventory_path: str = INVENTORY_PATH,
    data_sources: tuple[DataSource, ...] = (GEOIP, CLOUD_REGIONS, VENDOR_CATALOG),
    offline: bool = True,
    generated_at: datetime = GENERATED_AT,
    rule_packs: tuple[RulePackRef, ...] = (RULE_PACK,),
    rules: tuple[RuleInfo, ...] = (),
    matrix: tuple[MatrixRow, ...] = (),
    waivers: tuple[WaiverStatus, ...] = (),
    access_logs: tuple[AccessLogRef, ...] = (),
) -> ScanResult:
    """A whole result around `assets`, with the summary counted from their verdicts."""
    assets = tuple(assets)
    return ScanResult(
        schema_version=SCHEMA_VERSION,
        tool=ToolInfo(name="residency-scan", version="0.1.0"),
        generated_at=generated_at,
        offline=offline,
        inventory=InventoryRef(
            path=inventory_path,
            sha256=INVENTORY_SHA256,
            entity=Entity(name=entity_name, type=EntityType.EIV),
        ),
        policy=POLICY,
        data_sources=data_sources,
        rule_packs=rule_packs,
        rules=rules,
        summary=summarise(assets),
        matrix=matrix,
        waivers=waivers,
        access_logs=access_logs,
        assets=assets,
    )
