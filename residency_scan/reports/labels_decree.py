"""The words the reports need for what decree 2-24-921 and laws 05-20 / 09-08 brought in, in English and French.

Four things a report must now say, beyond where an asset is and what the rules conclude:
- **waivers** (the transitional exceptions of decree art. 17): a waived finding stays listed, with who accepted
  it, why and until when; an expired, malformed or unused waiver is itself something to act on;
- **deadlines** (decree art. 18): the date by which a pack's text must be complied with, and how far it is;
- **administrative access** (decree art. 5 §4: administration *from* Morocco): who logged in from where;
- **the inventory facts** the rules read (sensitive data or system, personal data, service type, CNDP
  authorisation, subcontractors), so a reader sees what a verdict relied on.

Kept apart from `labels.py` (the words every report shares) so each module stays one responsibility. Same rules:
a typed dataclass, so a word missing in one language fails type checking, a mapping per enum, so a new enum member
fails the label tests, and every untrusted value goes through `clean_line` before it enters a phrase.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from residency_scan.models import (
    AccessRecord,
    Deadline,
    RulePackRef,
    ServiceType,
    Subcontractor,
    SubcontractorRole,
    WaiverRef,
    WaiverStatus,
    WaiverStatusKind,
)
from residency_scan.reports.labels import as_utc
from residency_scan.reports.text import clean_line

EXPIRING_SOON_DAYS = 30
"""An active waiver expiring within this many days is listed for attention in the reports for people."""

ATTENTION = (WaiverStatusKind.EXPIRED, WaiverStatusKind.INVALID, WaiverStatusKind.STALE)
"""Waiver statuses someone must act on, worst first."""


@dataclass(frozen=True)
class DecreeLabels:
    lang: str
    colon: str
    semicolon: str
    # waivers
    waived_by: str  # {id} {owner} {expires}
    waiver: str
    waivers: str
    waivers_intro: str
    no_waivers: str
    waivers_fine: str
    waiver_count: tuple[str, str]
    broken_count: tuple[str, str]
    waiver_status: Mapping[WaiverStatusKind, str]
    status_explained: Mapping[WaiverStatusKind, str]
    expiring_soon: str
    expires_on: str  # {date}
    expired_on: str  # {date}
    no_expiry: str
    covers: str  # {count}
    finding_count: tuple[str, str]
    col_id: str
    col_status: str
    col_asset: str
    col_rule: str
    col_owner: str
    col_reason: str
    col_reference: str
    col_created: str
    col_expires: str
    col_days_left: str
    col_covered: str
    col_problems: str
    col_declared_at: str
    any_value: str
    # deadlines
    deadlines: str
    comply_by: str  # {date}
    date_inferred: str
    day_count: tuple[str, str]
    days_left: str  # {days}: "704 days left"
    days_ago: str  # {days}: "passed 3 days ago"
    ago: str  # {days}: "3 days ago"
    due_today: str
    # administrative access
    access: str
    access_intro: str
    access_summary: str  # {count} {sources} {places}
    access_record_count: tuple[str, str]
    source_count: tuple[str, str]
    col_user: str
    col_source_ip: str
    col_method: str
    col_country: str
    col_strength: str
    col_first_seen: str
    col_last_seen: str
    col_count: str
    col_log: str
    internal_source: str
    access_logs: str
    col_log_file: str
    col_format: str
    col_events: str
    col_attributed: str
    col_unmatched: str
    col_skipped: str
    # inventory facts
    facts: str
    sensitive_data: str
    sensitive_system: str
    personal_data: str
    service_type_label: str
    cndp_authorisation: str
    subcontractors: str
    not_stated: str
    from_sensitivity: str  # {value}: "yes (from the sensitivity)"
    none_declared: str
    yes: str
    no: str
    data_access: str
    service_type: Mapping[ServiceType, str]
    subcontractor_role: Mapping[SubcontractorRole, str]
    # data sources
    note: str

    def count(self, number: int, forms: tuple[str, str]) -> str:
        singular, plural = forms
        if self.lang == "fr":
            return f"{number} {singular if number <= 1 else plural}"
        return f"{number} {singular if number == 1 else plural}"

    # ------------------------------------------------------------------------------------------ waivers

    def waived_words(self, waiver: WaiverRef) -> str:
        """ "waived by W-1 (DSI, Karim B.) until 2026-03-31"."""
        return self.waived_by.format(id=clean_line(waiver.id, max_len=80), owner=clean_line(waiver.owner, max_len=120),
                                     expires=waiver.expires.isoformat())

    def waiver_reason(self, waiver: WaiverRef) -> str:
        """The waiver's reason and, when there is one, the document it rests on."""
        words = clean_line(waiver.reason)
        if waiver.reference:
            words += f" ({clean_line(waiver.reference, max_len=200)})"
        return words

    def expiry_words(self, status: WaiverStatus, today: date) -> str:
        """ "expires on 2026-03-31 (197 days left)", "expired on 2025-08-01 (45 days ago)", "no expiry date"."""
        if status.expires is None:
            return self.no_expiry
        days = waiver_days_left(status, today)
        if days is not None and days < 0:
            when = self.ago.format(days=self.count(-days, self.day_count))
            return f"{self.expired_on.format(date=status.expires.isoformat())} ({when})"
        return f"{self.expires_on.format(date=status.expires.isoformat())} ({self.days_words(days)})"

    def scope_words(self, status: WaiverStatus) -> str:
        """ "asset portail-*, rule MA-DECREE-LOC-1"."""
        asset = clean_line(status.asset, max_len=120, missing=self.any_value)
        rule = clean_line(status.rule, max_len=120, missing=self.any_value)
        return f"{self.col_asset.lower()} {asset}, {self.col_rule.lower()} {rule}"

    def status_counts(self, statuses: tuple[WaiverStatus, ...]) -> str:
        """ "4 waivers: 1 active, 1 stale, 1 expired, 1 invalid"."""
        parts = ", ".join(
            f"{sum(1 for s in statuses if s.status is kind)} {self.waiver_status[kind]}" for kind in WaiverStatusKind
        )
        return f"{self.count(len(statuses), self.waiver_count)}{self.colon}{parts}"

    # ---------------------------------------------------------------------------------------- deadlines

    def days_words(self, days: int | None) -> str:
        if days is None:
            return "?"
        if days == 0:
            return self.due_today
        if days > 0:
            return self.days_left.format(days=self.count(days, self.day_count))
        return self.days_ago.format(days=self.count(-days, self.day_count))

    def deadline_words(self, pack: RulePackRef, deadline: Deadline, today: date) -> str:
        """ "Decree 2-24-921: … — comply by 2027-08-21 (704 days left; date inferred)"."""
        title = pack.title_fr if self.lang == "fr" and pack.title_fr else pack.title
        when = self.days_words(deadline_days_left(deadline, today))
        if deadline.uncertain:
            when += f"{self.semicolon}{self.date_inferred}"
        comply = self.comply_by.format(date=deadline.date.isoformat())
        return f"{clean_line(title)} — {comply} ({when})"

    def deadline_label(self, deadline: Deadline) -> str:
        return clean_line(deadline.label_fr if self.lang == "fr" and deadline.label_fr else deadline.label)

    # ------------------------------------------------------------------------------------------- access

    def access_words(self, records: tuple[AccessRecord, ...]) -> str:
        """ "5 admin logins from 2 sources: MA 4, FR 1"; a source whose country is unknown counts under "?"."""
        places: dict[str, int] = {}
        for record in records:
            where = self.internal_source if record.internal and not record.country else (record.country or "?")
            key = clean_line(where, max_len=40)
            places[key] = places.get(key, 0) + record.count
        total = sum(record.count for record in records)
        sources = len({record.source_ip for record in records})
        listed = ", ".join(f"{place} {count}" for place, count in places.items())
        return self.access_summary.format(count=self.count(total, self.access_record_count),
                                          sources=self.count(sources, self.source_count), places=listed)

    # -------------------------------------------------------------------------------------------- facts

    def flag_words(self, value: bool | None, implied: bool | None = None) -> str:
        """yes / no / not stated; `implied` is what the sensitivity implies when the fact is not stated."""
        if value is not None:
            return self.yes if value else self.no
        if implied is not None:
            return self.from_sensitivity.format(value=self.yes if implied else self.no)
        return self.not_stated

    def subcontractor_words(self, subcontractor: Subcontractor) -> str:
        """ "Atlas Ops (operation, MA, data access: no)"."""
        details = []
        if subcontractor.role is not None:
            details.append(self.subcontractor_role[subcontractor.role])
        if subcontractor.country:
            details.append(clean_line(subcontractor.country, max_len=8))
        access = self.flag_words(subcontractor.data_access)
        details.append(f"{self.data_access}{self.colon}{access}")
        return f"{clean_line(subcontractor.name, max_len=200)} ({', '.join(details)})"


def waiver_days_left(status: WaiverStatus, today: date) -> int | None:
    """Days until the waiver expires: as recorded, or counted from `today`; negative once expired."""
    if status.days_left is not None:
        return status.days_left
    return None if status.expires is None else (status.expires - today).days


def deadline_days_left(deadline: Deadline, today: date) -> int:
    """Days until the deadline: as recorded, or counted from `today`; negative once passed."""
    return deadline.days_left if deadline.days_left is not None else (deadline.date - today).days


def scan_day(generated_at: datetime) -> date:
    """The scan's date in UTC, which days left are counted from."""
    return as_utc(generated_at).date()


def needs_attention(status: WaiverStatus, today: date) -> bool:
    """Expired, invalid and stale waivers, and active ones expiring within `EXPIRING_SOON_DAYS`."""
    if status.status in ATTENTION:
        return True
    days = waiver_days_left(status, today)
    return days is not None and days <= EXPIRING_SOON_DAYS


def attention_order(statuses: tuple[WaiverStatus, ...], today: date) -> list[WaiverStatus]:
    """The waivers that need attention: expired, invalid, stale, then expiring soonest; file order within."""
    rank = {kind: position for position, kind in enumerate((*ATTENTION, WaiverStatusKind.ACTIVE))}
    chosen = [status for status in statuses if needs_attention(status, today)]
    return sorted(chosen, key=lambda s: (rank[s.status], waiver_days_left(s, today) or 0))


EN = DecreeLabels(
    lang="en",
    colon=": ",
    semicolon="; ",
    waived_by="waived by {id} ({owner}) until {expires}",
    waiver="Waiver",
    waivers="Waivers",
    waivers_intro=(
        "Every waiver of the waivers file and what became of it. A waived finding stays listed; only a valid, "
        "unexpired waiver covers a finding, and an expired or invalid waiver is a finding of its own."
    ),
    no_waivers="No waiver was given: every finding stands.",
    waivers_fine="Every waiver is active and none expires within 30 days.",
    waiver_count=("waiver", "waivers"),
    broken_count=("waiver expired or invalid", "waivers expired or invalid"),
    waiver_status={
        WaiverStatusKind.ACTIVE: "active",
        WaiverStatusKind.STALE: "stale",
        WaiverStatusKind.EXPIRED: "expired",
        WaiverStatusKind.INVALID: "invalid",
    },
    status_explained={
        WaiverStatusKind.ACTIVE: "valid and in force: covers the findings listed",
        WaiverStatusKind.STALE: "valid, but covers no finding of this scan: remove it or correct its asset or rule",
        WaiverStatusKind.EXPIRED: "past its expiry date: covers nothing; renew it with a new decision or fix the "
                                  "findings",
        WaiverStatusKind.INVALID: "malformed: covers nothing until corrected",
    },
    expiring_soon="expiring soon",
    expires_on="expires on {date}",
    expired_on="expired on {date}",
    no_expiry="no expiry date",
    covers="covers {count}",
    finding_count=("finding", "findings"),
    col_id="Waiver",
    col_status="Status",
    col_asset="Asset",
    col_rule="Rule",
    col_owner="Owner",
    col_reason="Reason",
    col_reference="Reference",
    col_created="Created",
    col_expires="Expires",
    col_days_left="Days left",
    col_covered="Findings covered",
    col_problems="Problems",
    col_declared_at="Declared in",
    any_value="any",
    deadlines="Deadlines",
    comply_by="comply by {date}",
    date_inferred="date inferred",
    day_count=("day", "days"),
    days_left="{days} left",
    days_ago="passed {days} ago",
    ago="{days} ago",
    due_today="due today",
    access="Administrative access",
    access_intro="Logins and administrative calls to this asset, by user and source address, located like any address.",
    access_summary="{count} from {sources}: {places}",
    access_record_count=("login or admin call", "logins or admin calls"),
    source_count=("source", "sources"),
    col_user="User",
    col_source_ip="Source address",
    col_method="Method",
    col_country="Country",
    col_strength="Strength",
    col_first_seen="First seen",
    col_last_seen="Last seen",
    col_count="Count",
    col_log="Log",
    internal_source="internal",
    access_logs="Admin-access logs read",
    col_log_file="Log file",
    col_format="Format",
    col_events="Events",
    col_attributed="Attributed",
    col_unmatched="Not in the inventory",
    col_skipped="Lines skipped",
    facts="Inventory facts",
    sensitive_data="Sensitive data",
    sensitive_system="Sensitive system",
    personal_data="Personal data",
    service_type_label="Service type",
    cndp_authorisation="CNDP authorisation",
    subcontractors="Subcontractors",
    not_stated="not stated",
    from_sensitivity="{value} (from the sensitivity)",
    none_declared="none declared",
    yes="yes",
    no="no",
    data_access="data access",
    service_type={
        ServiceType.IAAS: "IaaS",
        ServiceType.PAAS: "PaaS",
        ServiceType.SAAS: "SaaS",
        ServiceType.ON_PREMISES: "on premises",
    },
    subcontractor_role={
        SubcontractorRole.HOSTING: "hosting",
        SubcontractorRole.OPERATION: "operation",
        SubcontractorRole.ADMINISTRATION: "administration",
        SubcontractorRole.MAINTENANCE: "maintenance",
        SubcontractorRole.SUPPORT: "support",
        SubcontractorRole.OTHER: "other",
    },
    note="Note",
)

FR = DecreeLabels(
    lang="fr",
    colon=" : ",
    semicolon=" ; ",
    waived_by="dérogation {id} ({owner}) jusqu'au {expires}",
    waiver="Dérogation",
    waivers="Dérogations",
    waivers_intro=(
        "Chaque dérogation du fichier de dérogations et ce qu'il en est advenu. Un constat couvert par une "
        "dérogation reste listé ; seule une dérogation valide et non expirée couvre un constat, et une dérogation "
        "expirée ou invalide est un constat à part entière."
    ),
    no_waivers="Aucune dérogation n'a été accordée : tous les constats sont maintenus.",
    waivers_fine="Toutes les dérogations sont en vigueur et aucune n'expire dans les 30 jours.",
    waiver_count=("dérogation", "dérogations"),
    broken_count=("dérogation expirée ou invalide", "dérogations expirées ou invalides"),
    waiver_status={
        WaiverStatusKind.ACTIVE: "en vigueur",
        WaiverStatusKind.STALE: "sans objet",
        WaiverStatusKind.EXPIRED: "expirée",
        WaiverStatusKind.INVALID: "invalide",
    },
    status_explained={
        WaiverStatusKind.ACTIVE: "valide et en vigueur : couvre les constats listés",
        WaiverStatusKind.STALE: "valide, mais ne couvre aucun constat de cette analyse : la retirer ou corriger "
                                "son actif ou sa règle",
        WaiverStatusKind.EXPIRED: "échue : ne couvre plus rien ; la renouveler par une nouvelle décision ou "
                                  "corriger les constats",
        WaiverStatusKind.INVALID: "mal formée : ne couvre rien tant qu'elle n'est pas corrigée",
    },
    expiring_soon="expire bientôt",
    expires_on="expire le {date}",
    expired_on="expirée depuis le {date}",
    no_expiry="sans date d'expiration",
    covers="couvre {count}",
    finding_count=("constat", "constats"),
    col_id="Dérogation",
    col_status="Statut",
    col_asset="Actif",
    col_rule="Règle",
    col_owner="Responsable",
    col_reason="Motif",
    col_reference="Référence",
    col_created="Créée le",
    col_expires="Expire le",
    col_days_left="Jours restants",
    col_covered="Constats couverts",
    col_problems="Problèmes",
    col_declared_at="Déclarée dans",
    any_value="toutes",
    deadlines="Échéances",
    comply_by="mise en conformité au plus tard le {date}",
    date_inferred="date déduite",
    day_count=("jour", "jours"),
    days_left="encore {days}",
    days_ago="dépassée depuis {days}",
    ago="il y a {days}",
    due_today="échéance aujourd'hui",
    access="Accès d'administration",
    access_intro=(
        "Connexions et appels d'administration vers cet actif, par utilisateur et adresse source, localisées "
        "comme toute adresse."
    ),
    access_summary="{count} depuis {sources} : {places}",
    access_record_count=("connexion ou appel d'administration", "connexions ou appels d'administration"),
    source_count=("source", "sources"),
    col_user="Utilisateur",
    col_source_ip="Adresse source",
    col_method="Méthode",
    col_country="Pays",
    col_strength="Force probante",
    col_first_seen="Première fois",
    col_last_seen="Dernière fois",
    col_count="Nombre",
    col_log="Journal",
    internal_source="interne",
    access_logs="Journaux d'accès d'administration lus",
    col_log_file="Journal",
    col_format="Format",
    col_events="Événements",
    col_attributed="Rattachés",
    col_unmatched="Absents de l'inventaire",
    col_skipped="Lignes ignorées",
    facts="Faits déclarés dans l'inventaire",
    sensitive_data="Données sensibles",
    sensitive_system="Système d'information sensible",
    personal_data="Données à caractère personnel",
    service_type_label="Type de service",
    cndp_authorisation="Autorisation CNDP",
    subcontractors="Sous-traitants",
    not_stated="non précisé",
    from_sensitivity="{value} (d'après la sensibilité)",
    none_declared="aucun déclaré",
    yes="oui",
    no="non",
    data_access="accès aux données",
    service_type={
        ServiceType.IAAS: "IaaS",
        ServiceType.PAAS: "PaaS",
        ServiceType.SAAS: "SaaS",
        ServiceType.ON_PREMISES: "sur site",
    },
    subcontractor_role={
        SubcontractorRole.HOSTING: "hébergement",
        SubcontractorRole.OPERATION: "exploitation",
        SubcontractorRole.ADMINISTRATION: "administration",
        SubcontractorRole.MAINTENANCE: "maintenance",
        SubcontractorRole.SUPPORT: "support",
        SubcontractorRole.OTHER: "autre",
    },
    note="Remarque",
)

DECREE_LABELS: Mapping[str, DecreeLabels] = {labels.lang: labels for labels in (EN, FR)}
"""The words of this module by report language."""
