"""The words of the diff reports, in English and French, and the phrases the console and Markdown share.

Outcome, severity, status and kind words come from `reports.labels`, so a diff says "violation" exactly as the
scan report does. Every phrase here is built from values already passed through `clean_line`; the Markdown
renderer escapes the phrase again for its own syntax.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from residency_scan.diff.model import DiffSummary, FindingDelta, ResultIdentity, SourceChange, SubjectDrift
from residency_scan.models import LocationStatus, Outcome
from residency_scan.reports.labels import EN as BASE_EN
from residency_scan.reports.labels import FR as BASE_FR
from residency_scan.reports.labels import Labels, utc_text
from residency_scan.reports.text import clean_line

COMPACT_COUNTRIES = 6
"""Countries shown per location in the console and Markdown; the JSON diff has them all."""


@dataclass(frozen=True)
class DiffLabels:
    base: Labels
    title: str
    old: str
    new: str
    offline: str
    online: str
    entity_differs: str  # {old} {new}
    mode_differs: str
    sources: str
    absent: str
    no_change: str
    more_items: str  # {count}
    asset_added: str
    asset_removed: str
    edited_hint: str
    new_findings: str
    worsened: str
    fixed: str
    improved: str
    verdicts: str
    drift: str
    added: str
    removed: str
    edited: str
    summary: str
    col_severity: str
    col_rule: str
    col_finding: str
    col_change: str
    col_subjects: str
    col_field: str
    col_tool: str
    summary_parts: Mapping[str, str]  # DiffSummary field -> label
    fields: Mapping[str, str]  # FieldChange.field -> label
    source_kind: Mapping[str, str]

    def identity_line(self, identity: ResultIdentity) -> str:
        """"examples/x.yaml sha256 3f5a9c0e7b21 · 2025-09-15 08:30:00 UTC · offline · residency-scan 0.1.0"."""
        inventory = identity.inventory
        mode = self.offline if identity.offline else self.online
        tool = f"{clean_line(identity.tool.name, max_len=60)} {clean_line(identity.tool.version, max_len=40)}"
        return (f"{clean_line(inventory.path)} sha256 {clean_line(inventory.sha256[:12])} · "
                f"{utc_text(identity.generated_at)} · {mode} · {tool}")

    def place(self, status: LocationStatus | None, countries: tuple[str, ...]) -> str:
        """"FR (confirmed)", "FR, MA? (contradicted)", "? (unknown)", or "absent" for a subject not looked up."""
        if status is None:
            return self.absent
        shown = ", ".join(clean_line(c, max_len=8) for c in countries[:COMPACT_COUNTRIES])
        if len(countries) > COMPACT_COUNTRIES:
            shown += f" +{len(countries) - COMPACT_COUNTRIES}"
        words = self.base.status[status]
        if status is LocationStatus.CONFIRMED:
            return f"{shown or '?'} ({words})"
        return f"{shown}? ({words})" if shown else f"? ({words})"

    def subject_line(self, drift: SubjectDrift) -> str:
        before = self.place(drift.old_status, drift.old_countries)
        after = self.place(drift.new_status, drift.new_countries)
        return f"{clean_line(drift.subject)}{self.base.colon}{before} → {after}"

    def outcome_change(self, old: Outcome, new: Outcome) -> str:
        return f"{self.base.outcome[old]} → {self.base.outcome[new]}"

    def asset_note(self, delta: FindingDelta, *, edited: bool = False) -> str:
        """Why a finding came or went when it is not plain news: the asset itself came, went or was edited."""
        if edited:
            return f" ({self.edited_hint})"
        if delta.asset_change == "added":
            return f" ({self.asset_added})"
        if delta.asset_change == "removed":
            return f" ({self.asset_removed})"
        return ""

    def source_line(self, change: SourceChange) -> str:
        old = clean_line(change.old_version, missing=self.absent, max_len=60)
        new = clean_line(change.new_version, missing=self.absent, max_len=60)
        return f"{self.source_kind[change.kind]} {clean_line(change.id, max_len=80)}{self.base.colon}{old} → {new}"

    def summary_counts(self, summary: DiffSummary) -> str:
        """"new 2, fixed 1, unchanged 7, drifted assets 2": the counts that are not zero, in a fixed order."""
        counts = summary.model_dump()
        parts = [f"{label} {counts[name]}" for name, label in self.summary_parts.items() if counts[name]]
        return ", ".join(parts) or self.base.none

    def summary_line(self, summary: DiffSummary) -> str:
        return f"{self.summary}{self.base.colon}{self.summary_counts(summary)}"


_FIELDS_EN = {"kind": "kind", "sensitivity": "sensitivity", "target": "target", "vendor": "vendor",
              "cloud": "cloud resource", "declared-country": "declared country"}
_FIELDS_FR = {"kind": "type", "sensitivity": "sensibilité", "target": "cible", "vendor": "éditeur",
              "cloud": "ressource cloud", "declared-country": "pays déclaré"}

EN = DiffLabels(
    base=BASE_EN,
    title="Residency diff",
    old="Before",
    new="After",
    offline="offline",
    online="online",
    entity_differs="The two results are for different entities: {old} / {new}.",
    mode_differs=("The two scans ran in different modes (offline / online): location changes may come from the "
                  "mode, not from the infrastructure."),
    sources="Data and rules",
    absent="absent",
    no_change="No change.",
    more_items="… and {count} more (the JSON diff lists them all)",
    asset_added="asset added",
    asset_removed="asset removed",
    edited_hint="asset edited, see below",
    new_findings="New findings",
    worsened="Worsened findings",
    fixed="Fixed findings",
    improved="Improved findings",
    verdicts="Verdict changes",
    drift="Location drift",
    added="Added assets",
    removed="Removed assets",
    edited="Edited assets",
    summary="Changes",
    col_severity="Severity",
    col_rule="Rule",
    col_finding="Finding",
    col_change="Change",
    col_subjects="Subjects",
    col_field="Field",
    col_tool="Tool",
    summary_parts={"new_findings": "new", "worsened_findings": "worsened", "fixed_findings": "fixed",
                   "improved_findings": "improved", "unchanged_findings": "unchanged",
                   "drifted_assets": "drifted assets", "verdict_changes": "verdict changes",
                   "added_assets": "added", "removed_assets": "removed", "edited_assets": "edited"},
    fields=_FIELDS_EN,
    source_kind={"dataset": "dataset", "rule-pack": "rule pack"},
)

FR = DiffLabels(
    base=BASE_FR,
    title="Évolution de la résidence des données",
    old="Avant",
    new="Après",
    offline="hors ligne",
    online="en ligne",
    entity_differs="Les deux résultats portent sur des entités différentes : {old} / {new}.",
    mode_differs=("Les deux analyses n'ont pas été faites dans le même mode (hors ligne / en ligne) : les "
                  "changements de localisation peuvent venir du mode et non de l'infrastructure."),
    sources="Données et règles",
    absent="absent",
    no_change="Aucun changement.",
    more_items="… et {count} de plus (le diff JSON les liste tous)",
    asset_added="actif ajouté",
    asset_removed="actif retiré",
    edited_hint="actif modifié, voir plus bas",
    new_findings="Nouveaux constats",
    worsened="Constats aggravés",
    fixed="Constats corrigés",
    improved="Constats améliorés",
    verdicts="Verdicts modifiés",
    drift="Changements de localisation",
    added="Actifs ajoutés",
    removed="Actifs retirés",
    edited="Actifs modifiés",
    summary="Changements",
    col_severity="Gravité",
    col_rule="Règle",
    col_finding="Constat",
    col_change="Changement",
    col_subjects="Éléments localisés",
    col_field="Champ",
    col_tool="Outil",
    summary_parts={"new_findings": "nouveaux", "worsened_findings": "aggravés", "fixed_findings": "corrigés",
                   "improved_findings": "améliorés", "unchanged_findings": "inchangés",
                   "drifted_assets": "actifs déplacés", "verdict_changes": "verdicts modifiés",
                   "added_assets": "ajoutés", "removed_assets": "retirés", "edited_assets": "modifiés"},
    fields=_FIELDS_FR,
    source_kind={"dataset": "jeu de données", "rule-pack": "pack de règles"},
)

DIFF_LABELS: Mapping[str, DiffLabels] = {labels.base.lang: labels for labels in (EN, FR)}
