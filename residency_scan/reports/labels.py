"""The words of the human-readable reports, in English and French, and the phrases built from them.

Kept apart from any rendering library so every report for people (console today, Markdown and HTML later)
says the same thing in the same words. Titles, messages and remediations come from the rule packs, which
carry both languages; everything else a reader sees is here. A typed dataclass, so a label missing in one
language fails type checking, and a mapping per enum, so a new enum member fails the label tests.

Every untrusted value that goes into a phrase is passed through `clean_line` first; a format with its own
escaping (HTML) still escapes the phrase afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from residency_scan.models import (
    AssetKind,
    Claim,
    DataSource,
    EntityType,
    Evidence,
    Finding,
    LegalReference,
    Location,
    LocationStatus,
    Outcome,
    Sensitivity,
    Severity,
    Strength,
    Summary,
)
from residency_scan.reports.text import clean_line

COMPACT_COUNTRIES = 4
REASON_LEN = 160
"""Longest location or failure reason quoted inside a phrase; the JSON report keeps them whole."""

SUMMARY_ORDER = (Outcome.VIOLATION, Outcome.INDETERMINATE, Outcome.WAIVED, Outcome.COMPLIANT, Outcome.NOT_APPLICABLE)
"""Verdicts in the summary line, worst first. `waived` is left out of a line whose count of it is zero, so a
scan without waivers reads as it always did."""


@dataclass(frozen=True)
class SummaryWords:
    """The summary line in words: "12 assets" and (outcome, 3, "3 violation"), ... in `SUMMARY_ORDER`."""

    total: str
    parts: tuple[tuple[Outcome, int, str], ...]

    def line(self, colon: str) -> str:
        return f"{self.total}{colon}{', '.join(words for _, _, words in self.parts)}"


@dataclass(frozen=True)
class Labels:
    lang: str
    colon: str
    title: str
    entity: str
    inventory: str
    mode: str
    offline: str
    online: str
    generated_at: str
    rule_packs: str
    policy: str
    none: str
    assets: str
    col_asset: str
    col_kind: str
    col_target: str
    col_where: str
    col_evidence: str
    col_verdict: str
    no_assets: str
    internal: str
    failed: str
    findings: str
    no_findings: str
    where: str
    more_evidence: str  # {count}
    dataset: str
    cached: str
    one_of: str  # {countries}
    legal_reference: str
    article_uncertain: str
    remediation: str
    why: str
    data_sources: str
    no_data_sources: str
    col_dataset: str
    col_version: str
    col_date: str
    col_age: str
    col_licence: str
    col_uses: str
    asset_count: tuple[str, str]  # singular, plural
    outcome: Mapping[Outcome, str]
    outcome_count: Mapping[Outcome, tuple[str, str]]  # singular, plural, for the summary line
    kind: Mapping[AssetKind, str]
    sensitivity: Mapping[Sensitivity, str]
    severity: Mapping[Severity, str]
    strength: Mapping[Strength, str]
    status: Mapping[LocationStatus, str]
    entity_type: Mapping[EntityType, str]
    zero_is_plural: bool  # "0 assets" in English, "0 actif" in French

    def count(self, number: int, forms: tuple[str, str]) -> str:
        singular, plural = forms
        is_plural = number > 1 or (number == 0 and self.zero_is_plural)
        return f"{number} {plural if is_plural else singular}"

    def summary_words(self, summary: Summary) -> SummaryWords:
        counts = summary_counts(summary)
        shown = [o for o in SUMMARY_ORDER if o is not Outcome.WAIVED or counts[o]]
        return SummaryWords(
            total=self.count(summary.assets, self.asset_count),
            parts=tuple((o, counts[o], self.count(counts[o], self.outcome_count[o])) for o in shown),
        )

    def localised(self, finding: Finding) -> tuple[str, str, str]:
        """Title, message and remediation in this language; English where a rule left the French empty."""
        if self.lang == "fr":
            return (
                finding.title_fr or finding.title,
                finding.message_fr or finding.message,
                finding.remediation_fr or finding.remediation,
            )
        return finding.title, finding.message, finding.remediation

    def where_words(self, location: Location, *, detailed: bool = True) -> str:
        """The location in words: "FR (confirmed)", "? (unknown: offline: DNS not queried)".

        The asset table uses the short form (no reason, at most four countries): the reason is printed in
        full under the asset's findings, where there is room for it.
        """
        shown = location.countries if detailed else location.countries[:COMPACT_COUNTRIES]
        countries = ", ".join(clean_line(c, max_len=8) for c in shown)
        if len(shown) < len(location.countries):
            countries += f" +{len(location.countries) - len(shown)}"
        if not countries and any(part.internal for part in location.parts):
            countries = self.internal
        status = self.status[location.status]
        if location.status is LocationStatus.CONFIRMED:
            return f"{countries or '?'} ({status})"
        where = f"{countries}?" if countries else "?"
        if not detailed:
            return f"{where} ({status})"
        return f"{where} ({status}{self.colon}{clean_line(location.reason, max_len=REASON_LEN)})"

    def evidence_summary(self, evidence: Iterable[Evidence]) -> list[str]:
        """One line per (source, strength), first seen first: e.g. "geoip[measured] ×3 (1 failed)"."""
        groups: dict[tuple[str, str], list[int]] = {}
        for item in evidence:
            counts = groups.setdefault(
                (clean_line(item.source, max_len=40), self.strength[item.strength]), [0, 0]
            )
            counts[0] += 1
            counts[1] += item.failure is not None
        lines = []
        for (source, strength), (total, failed) in groups.items():
            line = f"{source}[{strength}]" + (f" ×{total}" if total > 1 else "")
            if failed:
                line += f" ({self.failed})" if failed == total else f" ({failed} {self.failed})"
            lines.append(line)
        return lines

    def evidence_line(self, item: Evidence) -> str:
        """One piece of evidence in full: source, strength, subject, then what it says or why it failed."""
        source = clean_line(item.source, max_len=40)
        line = f"{source}[{self.strength[item.strength]}] {clean_line(item.subject)}"
        if item.failure is not None:
            line += f" — {self.failed}{self.colon}{clean_line(item.failure, max_len=REASON_LEN)}"
        elif item.claim is not None:
            line += f" → {self.claim_words(item.claim)}"
        if item.dataset:
            line += f" ({self.dataset} {clean_line(item.dataset, max_len=60)})"
        if item.from_cache:
            line += f" [{self.cached}]"
        return line

    def claim_words(self, claim: Claim) -> str:
        if claim.internal:
            words = [self.internal]
        elif claim.country:
            words = [clean_line(claim.country, max_len=8)]
        elif claim.candidates:
            words = [
                self.one_of.format(countries=", ".join(clean_line(c, max_len=8) for c in claim.candidates))
            ]
        else:
            words = ["?"]
        words.extend(clean_line(extra, max_len=60) for extra in (claim.region, claim.city) if extra)
        if claim.asn is not None:
            org = f" {clean_line(claim.asn_org, max_len=60)}" if claim.asn_org else ""
            words.append(f"AS{claim.asn}{org}")
        if claim.provider:
            words.append(clean_line(claim.provider, max_len=60))
        return ", ".join(words)

    def reference_words(self, reference: LegalReference) -> str:
        """Text and article ("Décret n° 2-24-921, art. 5 §3"), uncertainty flagged, URL on its own line."""
        words = clean_line(reference.text)
        if reference.article:
            words += f", {clean_line(reference.article, max_len=80)}"
        if reference.article_uncertain:
            words += f" ({self.article_uncertain})"
        if reference.url:
            words += f"\n{clean_line(reference.url, max_len=500)}"
        return words



def plain_reference(reference: LegalReference) -> str:
    """A legal reference in plain English for machine formats (SARIF, JUnit), which escape it themselves:
    text, article, and "(article uncertain)" when the sources do not confirm the number."""
    words = reference.text + (f", {reference.article}" if reference.article else "")
    return words + (" (article uncertain)" if reference.article_uncertain else "")

EN = Labels(
    lang="en",
    colon=": ",
    title="Data residency report",
    entity="Entity",
    inventory="Inventory",
    mode="Mode",
    offline="offline (embedded datasets only, no network lookup)",
    online="online (DNS and network lookups allowed)",
    generated_at="Generated",
    rule_packs="Rule packs",
    policy="Corroboration policy",
    none="none",
    assets="Assets",
    col_asset="Asset",
    col_kind="Kind",
    col_target="Target",
    col_where="Where",
    col_evidence="Evidence",
    col_verdict="Verdict",
    no_assets="The inventory lists no asset.",
    internal="internal network",
    failed="failed",
    findings="Findings",
    no_findings="No findings.",
    where="Where",
    more_evidence="… and {count} more (see the JSON report)",
    dataset="dataset",
    cached="cached",
    one_of="one of {countries}",
    legal_reference="Legal reference",
    article_uncertain="article uncertain",
    remediation="Remediation",
    why="Why",
    data_sources="Data sources",
    no_data_sources="No dataset was used.",
    col_dataset="Dataset",
    col_version="Version",
    col_date="Date",
    col_age="Age (days)",
    col_licence="Licence",
    col_uses="Evidence",
    asset_count=("asset", "assets"),
    outcome={
        Outcome.VIOLATION: "violation",
        Outcome.INDETERMINATE: "indeterminate",
        Outcome.WAIVED: "waived",
        Outcome.COMPLIANT: "compliant",
        Outcome.NOT_APPLICABLE: "not applicable",
    },
    outcome_count={
        Outcome.VIOLATION: ("violation", "violation"),
        Outcome.INDETERMINATE: ("indeterminate", "indeterminate"),
        Outcome.WAIVED: ("waived", "waived"),
        Outcome.COMPLIANT: ("compliant", "compliant"),
        Outcome.NOT_APPLICABLE: ("not applicable", "not applicable"),
    },
    kind={
        AssetKind.SERVER: "server",
        AssetKind.MANAGEMENT_TOOL: "management tool",
        AssetKind.ADMIN_INTERFACE: "admin interface",
        AssetKind.DATA_STORE: "data store",
        AssetKind.BACKUP: "backup",
        AssetKind.NETWORK: "network",
        AssetKind.SAAS: "SaaS",
    },
    sensitivity={
        Sensitivity.SENSITIVE: "sensitive",
        Sensitivity.INTERNAL: "internal",
        Sensitivity.PUBLIC: "public",
    },
    severity={
        Severity.CRITICAL: "critical",
        Severity.HIGH: "high",
        Severity.MEDIUM: "medium",
        Severity.LOW: "low",
        Severity.INFO: "info",
    },
    strength={
        Strength.AUTHORITATIVE: "authoritative",
        Strength.MEASURED: "measured",
        Strength.REGISTERED: "registered",
        Strength.DECLARED: "declared",
    },
    status={
        LocationStatus.CONFIRMED: "confirmed",
        LocationStatus.CONTRADICTED: "contradicted",
        LocationStatus.UNKNOWN: "unknown",
    },
    entity_type={
        EntityType.EIV: "EIV",
        EntityType.ADMINISTRATION: "public administration",
        EntityType.PRIVATE: "private organisation",
    },
    zero_is_plural=True,
)

FR = Labels(
    lang="fr",
    colon=" : ",
    title="Rapport de localisation des données",
    entity="Entité",
    inventory="Inventaire",
    mode="Mode",
    offline="hors ligne (jeux de données embarqués seulement, aucune requête réseau)",
    online="en ligne (requêtes DNS et réseau autorisées)",
    generated_at="Généré le",
    rule_packs="Règles",
    policy="Politique de corroboration",
    none="aucun",
    assets="Actifs",
    col_asset="Actif",
    col_kind="Type",
    col_target="Cible",
    col_where="Localisation",
    col_evidence="Preuves",
    col_verdict="Verdict",
    no_assets="L'inventaire ne contient aucun actif.",
    internal="réseau interne",
    failed="échec",
    findings="Constats",
    no_findings="Aucun constat.",
    where="Localisation",
    more_evidence="… et {count} de plus (voir le rapport JSON)",
    dataset="jeu de données",
    cached="en cache",
    one_of="l'un de {countries}",
    legal_reference="Référence juridique",
    article_uncertain="article incertain",
    remediation="Remédiation",
    why="Motif",
    data_sources="Sources de données",
    no_data_sources="Aucun jeu de données n'a été utilisé.",
    col_dataset="Jeu de données",
    col_version="Version",
    col_date="Date",
    col_age="Âge (jours)",
    col_licence="Licence",
    col_uses="Preuves",
    asset_count=("actif", "actifs"),
    outcome={
        Outcome.VIOLATION: "non conforme",
        Outcome.INDETERMINATE: "indéterminé",
        Outcome.WAIVED: "sous dérogation",
        Outcome.COMPLIANT: "conforme",
        Outcome.NOT_APPLICABLE: "non applicable",
    },
    outcome_count={
        Outcome.VIOLATION: ("non conforme", "non conformes"),
        Outcome.INDETERMINATE: ("indéterminé", "indéterminés"),
        Outcome.WAIVED: ("sous dérogation", "sous dérogation"),
        Outcome.COMPLIANT: ("conforme", "conformes"),
        Outcome.NOT_APPLICABLE: ("non applicable", "non applicables"),
    },
    kind={
        AssetKind.SERVER: "serveur",
        AssetKind.MANAGEMENT_TOOL: "outil de gestion",
        AssetKind.ADMIN_INTERFACE: "interface d'administration",
        AssetKind.DATA_STORE: "stockage de données",
        AssetKind.BACKUP: "sauvegarde",
        AssetKind.NETWORK: "réseau",
        AssetKind.SAAS: "SaaS",
    },
    sensitivity={
        Sensitivity.SENSITIVE: "sensible",
        Sensitivity.INTERNAL: "interne",
        Sensitivity.PUBLIC: "public",
    },
    severity={
        Severity.CRITICAL: "critique",
        Severity.HIGH: "élevée",
        Severity.MEDIUM: "moyenne",
        Severity.LOW: "faible",
        Severity.INFO: "info",
    },
    strength={
        Strength.AUTHORITATIVE: "fait foi",
        Strength.MEASURED: "mesurée",
        Strength.REGISTERED: "enregistrée",
        Strength.DECLARED: "déclarée",
    },
    status={
        LocationStatus.CONFIRMED: "confirmée",
        LocationStatus.CONTRADICTED: "contredite",
        LocationStatus.UNKNOWN: "inconnue",
    },
    entity_type={
        EntityType.EIV: "EIV",
        EntityType.ADMINISTRATION: "administration publique",
        EntityType.PRIVATE: "organisme privé",
    },
    zero_is_plural=False,
)

LABELS: Mapping[str, Labels] = {labels.lang: labels for labels in (EN, FR)}
"""Report languages by code, as accepted by `lang=`."""


def summary_counts(summary: Summary) -> dict[Outcome, int]:
    """The summary's count for each verdict, worst first."""
    return {
        Outcome.VIOLATION: summary.violation,
        Outcome.INDETERMINATE: summary.indeterminate,
        Outcome.WAIVED: summary.waived,
        Outcome.COMPLIANT: summary.compliant,
        Outcome.NOT_APPLICABLE: summary.not_applicable,
    }


def age_days(source: DataSource, generated_at: datetime) -> int:
    """The dataset's age when the scan ran: as recorded, or counted from its date."""
    if source.age_days is not None:
        return source.age_days
    return (as_utc(generated_at).date() - source.date).days


def as_utc(moment: datetime) -> datetime:
    """A naive datetime is taken to be UTC already, as in the JSON report."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_text(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M:%S UTC")
