"""Hand-built `ScanResult` values for reporter tests, shaped like a real scan of "Office Exemple".

They are written out field by field, not produced by the scanner, so reporter tests do not depend on the
resolvers or the rules engine, and every case a reporter must render is present on purpose: confirmed in
MA, confirmed abroad, contradicted, unknown (offline), candidates only (SaaS tenant), internal network,
not applicable. `hostile_scan_result()` adds the strings an attacker controlling an inventory, a DNS
answer, a dataset or a rule pack could plant (see `hostile.py`).
"""

from __future__ import annotations

from datetime import datetime

from residency_scan.models import (
    AssetKind,
    AssetResult,
    CloudRef,
    DeclaredLocation,
    LocationStatus,
    Outcome,
    RuleCheck,
    ScanResult,
    Sensitivity,
    Severity,
    Strength,
)
from tests.reports import hostile
from tests.reports.builders import (
    CASABLANCA,
    DECREE_ART_4,
    DECREE_ART_5,
    GEOIP,
    LAW_05_20,
    asset,
    evidence,
    finding,
    located,
    part,
    scan_result,
)


def sample_assets() -> tuple[AssetResult, ...]:
    """Seven assets covering every verdict and every location status, in inventory order."""
    confirmed, unknown, contradicted = (
        LocationStatus.CONFIRMED,
        LocationStatus.UNKNOWN,
        LocationStatus.CONTRADICTED,
    )
    offline_dns = "offline: DNS not queried"
    return (
        asset(
            "portail-citoyens",
            AssetKind.SERVER,
            Outcome.COMPLIANT,
            located(
                confirmed,
                ("MA",),
                "every address of portail.exemple.ma is in MA (measured)",
                part(
                    "196.200.131.10",
                    confirmed,
                    ("MA",),
                    "geoip says MA",
                    strongest=Strength.MEASURED,
                    sources=("geoip", "declared"),
                ),
            ),
            [
                evidence("dns", Strength.MEASURED, "portail.exemple.ma", raw={"A": ["196.200.131.10"]}),
                evidence(
                    "geoip",
                    Strength.MEASURED,
                    "196.200.131.10",
                    country="MA",
                    dataset="geoip-embedded",
                    asn=6713,
                    asn_org="IAM-AS",
                ),
                evidence(
                    "declared",
                    Strength.DECLARED,
                    "portail-citoyens",
                    country="MA",
                    city="Rabat",
                    provider="N+ONE",
                    observed_at=datetime(2025, 9, 15, 9, 29, 57, tzinfo=CASABLANCA),
                ),
            ],
            target="portail.exemple.ma",
            line=7,
            declared=DeclaredLocation(country="MA", city="Rabat", provider="N+ONE", qualification=1),
            checks=[RuleCheck(rule="MA-LOC-1", outcome=Outcome.COMPLIANT, reason="located in MA")],
        ),
        asset(
            "supervision",
            AssetKind.MANAGEMENT_TOOL,
            Outcome.VIOLATION,
            located(
                confirmed,
                ("DE",),
                "vendor catalog: datadog EU1 runs in DE (authoritative)",
                part(
                    "datadog:eu1",
                    confirmed,
                    ("DE",),
                    "catalog region",
                    strongest=Strength.AUTHORITATIVE,
                    sources=("vendor-catalog",),
                ),
            ),
            [
                evidence(
                    "vendor-catalog",
                    Strength.AUTHORITATIVE,
                    "datadog:eu1",
                    country="DE",
                    region="eu1",
                    city="Frankfurt",
                    provider="Datadog",
                    dataset="vendor-catalog",
                ),
                evidence("dns", Strength.MEASURED, "app.datadoghq.eu", failure=offline_dns),
            ],
            target="https://app.datadoghq.eu",
            vendor="datadog",
            line=12,
            checks=[RuleCheck(rule="MA-ADM-1", outcome=Outcome.VIOLATION, reason="DE is not MA")],
            findings=[
                finding(
                    "MA-ADM-1",
                    Outcome.VIOLATION,
                    Severity.HIGH,
                    DECREE_ART_4,
                    title="Management plane outside Morocco",
                    title_fr="Plan d'administration hors du Maroc",
                    message="The management tool 'supervision' runs in DE; the decree wants it in Morocco.",
                    message_fr="L'outil « supervision » tourne en DE ; le décret l'exige au Maroc.",
                    reason="location confirmed DE by vendor-catalog (authoritative)",
                )
            ],
        ),
        asset(
            "sauvegardes",
            AssetKind.BACKUP,
            Outcome.VIOLATION,
            located(
                confirmed,
                ("FR",),
                "aws:eu-west-3 is in FR (authoritative)",
                part(
                    "aws:eu-west-3",
                    confirmed,
                    ("FR",),
                    "cloud region",
                    strongest=Strength.AUTHORITATIVE,
                    sources=("cloud-regions",),
                ),
            ),
            [
                evidence(
                    "cloud-regions",
                    Strength.AUTHORITATIVE,
                    "aws:eu-west-3",
                    country="FR",
                    region="eu-west-3",
                    city="Paris",
                    provider="aws",
                    dataset="cloud-regions",
                )
            ],
            cloud=CloudRef(
                provider="aws", region="eu-west-3", service="s3", resource="arn:aws:s3:::exemple-backups"
            ),
            line=16,
            checks=[RuleCheck(rule="MA-LOC-1", outcome=Outcome.VIOLATION, reason="FR is not MA")],
            findings=[
                finding(
                    "MA-LOC-1",
                    Outcome.VIOLATION,
                    Severity.CRITICAL,
                    LAW_05_20,
                    title="Sensitive data stored outside Morocco",
                    title_fr="Données sensibles stockées hors du Maroc",
                    message="Backups of sensitive data are stored in FR (aws eu-west-3).",
                    message_fr="Les sauvegardes de données sensibles sont stockées en FR (aws eu-west-3).",
                    reason="location confirmed FR by cloud-regions (authoritative)",
                )
            ],
        ),
        asset(
            "console-admin",
            AssetKind.ADMIN_INTERFACE,
            Outcome.INDETERMINATE,
            located(
                unknown,
                (),
                offline_dns,
                part("admin.exemple.ma", unknown, (), offline_dns, sources=("dns", "declared")),
            ),
            [
                evidence("dns", Strength.MEASURED, "admin.exemple.ma", failure=offline_dns),
                evidence("declared", Strength.DECLARED, "console-admin", country="MA"),
            ],
            target="admin.exemple.ma",
            line=20,
            declared=DeclaredLocation(country="MA"),
            checks=[RuleCheck(rule="MA-ADM-1", outcome=Outcome.INDETERMINATE, reason="location unknown")],
            findings=[
                finding(
                    "MA-ADM-1",
                    Outcome.INDETERMINATE,
                    Severity.HIGH,
                    DECREE_ART_4,
                    title="Admin interface location not proven",
                    title_fr="Localisation de l'interface d'administration non prouvée",
                    message="Only the inventory says 'console-admin' is in MA; nothing measured confirms it.",
                    message_fr="Seul l'inventaire place « console-admin » au Maroc ; rien ne le confirme.",
                    remediation="Scan online, or add authoritative evidence (hosting contract region).",
                    remediation_fr="Scanner en ligne, ou fournir une preuve qui fait foi (contrat).",
                    reason="location unknown: offline: DNS not queried",
                )
            ],
        ),
        asset(
            "espace-usagers",
            AssetKind.SERVER,
            Outcome.VIOLATION,
            located(
                contradicted,
                ("FR", "MA"),
                "declared MA, measured FR (104.16.12.3, AS13335 CDN edge)",
                part(
                    "104.16.12.3",
                    confirmed,
                    ("FR",),
                    "CDN edge",
                    strongest=Strength.MEASURED,
                    sources=("geoip",),
                ),
            ),
            [
                evidence("dns", Strength.MEASURED, "espace.exemple.ma", raw={"A": ["104.16.12.3"]}),
                evidence(
                    "geoip",
                    Strength.MEASURED,
                    "104.16.12.3",
                    country="FR",
                    asn=13335,
                    asn_org="CLOUDFLARENET",
                    dataset="geoip-embedded",
                ),
                evidence("declared", Strength.DECLARED, "espace-usagers", country="MA"),
            ],
            target="espace.exemple.ma",
            line=25,
            declared=DeclaredLocation(country="MA"),
            findings=[
                finding(
                    "MA-LOC-1",
                    Outcome.VIOLATION,
                    Severity.CRITICAL,
                    DECREE_ART_5,
                    title="Declared in Morocco, served from abroad",
                    title_fr="Déclaré au Maroc, servi depuis l'étranger",
                    message="espace.exemple.ma is served by a CDN edge in FR, which decrypts the traffic.",
                    message_fr="espace.exemple.ma est servi par un nœud CDN en FR, qui déchiffre le trafic.",
                    reason="location contradicted: declared MA, measured FR",
                )
            ],
        ),
        asset(
            "intranet-rh",
            AssetKind.DATA_STORE,
            Outcome.NOT_APPLICABLE,
            located(
                confirmed,
                (),
                "reserved address range",
                part("10.20.0.0/24", confirmed, (), "RFC 1918", internal=True, sources=("geoip",)),
            ),
            [evidence("geoip", Strength.MEASURED, "10.20.0.0/24", internal=True)],
            target="10.20.0.0/24",
            line=31,
            sensitivity=Sensitivity.INTERNAL,
        ),
        asset(
            "messagerie",
            AssetKind.SAAS,
            Outcome.VIOLATION,
            located(
                unknown,
                ("FR", "IE", "NL"),
                "tenant region not revealed by the target",
                part(
                    "microsoft-365",
                    unknown,
                    ("FR", "IE", "NL"),
                    "candidates only",
                    exact=False,
                    strongest=Strength.AUTHORITATIVE,
                    sources=("vendor-catalog",),
                ),
            ),
            [
                evidence(
                    "vendor-catalog",
                    Strength.AUTHORITATIVE,
                    "microsoft-365",
                    candidates=("FR", "IE", "NL"),
                    provider="Microsoft",
                    dataset="vendor-catalog",
                )
            ],
            target="https://outlook.office365.com",
            vendor="microsoft-365",
            line=35,
            findings=[
                finding(
                    "MA-LOC-2",
                    Outcome.VIOLATION,
                    Severity.HIGH,
                    DECREE_ART_5,
                    title="Processing outside Morocco",
                    title_fr="Traitement hors du Maroc",
                    message="Every region the tenant can be in is outside MA.",
                    message_fr="Toutes les régions possibles du tenant sont hors du Maroc.",
                    reason="none of the candidates FR, IE, NL is MA",
                )
            ],
        ),
    )


def sample_scan_result() -> ScanResult:
    return scan_result(sample_assets())


def hostile_scan_result() -> ScanResult:
    """The sample plus assets, an entity, a path and a dataset whose strings try to take over a terminal."""
    return scan_result(
        (*sample_assets(), *hostile.hostile_assets()),
        entity_name=f"Office {hostile.MARKUP}",
        inventory_path=f"inventaires/{hostile.CLEAR_SCREEN}{hostile.BIDI_OVERRIDE}.yaml",
        data_sources=(GEOIP, hostile.DATASET),
    )
