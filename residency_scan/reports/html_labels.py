"""The words only the HTML evidence report needs, in English and French, and country names.

The words every report for people shares (verdicts, kinds, strengths, column names) stay in `labels.py`;
this module adds what a document for auditors says beyond a console listing: section titles, the matrix and
country tables, evidence columns and the conclusion. A typed dataclass, like `Labels`, so a word missing in
one language fails type checking.

Country names cover the countries the shipped cloud region table and vendor catalog name, Morocco's
neighbours and the EU/EEA; any other code is shown as the code alone rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from residency_scan.models import Outcome


@dataclass(frozen=True)
class HtmlLabels:
    lang: str
    doc_title: str
    subtitle: str
    contents: str
    summary: str
    conclusion: str
    headline: Mapping[Outcome, str]  # the scan as a whole, by its worst verdict
    headline_nothing: str
    in_scope: str  # {total}: "Of 12 assets within the scope of the rules"
    verdict_count: Mapping[Outcome, tuple[str, str]]  # singular, plural, after a number
    outside_scope: str  # {count}
    waived_sentence: str  # {count}
    broken_waivers_sentence: str  # {count}
    verdict_violation: str
    verdict_indeterminate: str
    verdict_compliant: str
    verdict_nothing: str
    offline_note: str
    inventory_hash: str
    entity_type: str
    col_pack: str
    col_sha256: str
    matrix: str
    matrix_intro: str
    col_text: str
    col_article: str
    col_rules: str
    col_assessed: str
    col_waived: str
    unknown_pack: str
    no_rules: str
    countries: str
    countries_intro: str
    col_code: str
    col_country: str
    col_assets: str
    col_subjects: str
    no_country: str
    details: str
    field_id: str
    field_vendor: str
    field_cloud: str
    field_sensitivity: str
    field_declared: str
    field_source: str
    line: str
    parts: str
    col_subject: str
    col_status: str
    col_strongest: str
    col_sources: str
    one_of_these: str
    checks: str
    col_rule: str
    col_outcome: str
    no_checks: str
    evidence: str
    col_source: str
    col_strength: str
    col_claim: str
    col_failure: str
    col_observed: str
    col_cache: str
    yes: str
    no: str
    raw_answer: str
    no_raw: str
    no_evidence: str
    severity: str
    see_also: str
    quote: str
    asset_link: str
    waivers: str
    no_waivers: str
    col_requirement: str
    no_deadline: str
    datasets_intro: str
    col_attribution: str
    col_url: str
    tool_version: str
    footer: str  # {tool} {version}


EN = HtmlLabels(
    lang="en",
    doc_title="Data residency evidence report",
    subtitle="Where each asset is located, on what evidence, and what the rules conclude",
    contents="Contents",
    summary="Executive summary",
    conclusion="Conclusion",
    headline={
        Outcome.VIOLATION: "Not compliant",
        Outcome.INDETERMINATE: "Compliance not demonstrated",
        Outcome.WAIVED: "Compliant only under waivers",
        Outcome.COMPLIANT: "Compliant on the evidence gathered",
        Outcome.NOT_APPLICABLE: "No asset within the scope of the rules",
    },
    headline_nothing="The inventory lists no asset",
    in_scope="Of {total} within the scope of the rules:",
    verdict_count={
        Outcome.VIOLATION: ("in violation", "in violation"),
        Outcome.INDETERMINATE: ("indeterminate", "indeterminate"),
        Outcome.WAIVED: ("waived", "waived"),
        Outcome.COMPLIANT: ("compliant", "compliant"),
        Outcome.NOT_APPLICABLE: ("not applicable", "not applicable"),
    },
    outside_scope="{count} outside the scope of every rule.",
    waived_sentence=(
        "{count} under a waiver: their findings stand, accepted by the waiver's owner until it expires, and are "
        "listed below with the waiver."
    ),
    broken_waivers_sentence=(
        "{count}: they cover nothing, so the findings they were meant to cover stand and fail the scan."
    ),
    verdict_violation=(
        "The inventory, as scanned, does not meet the residency requirements of the rules applied: each asset in "
        "violation is located, or may be processed, outside the required territory. Each finding below cites the "
        "legal text it rests on and the remediation."
    ),
    verdict_indeterminate=(
        "Compliance is not demonstrated: the location of the indeterminate assets could not be established, and an "
        "unknown location is never compliant."
    ),
    verdict_compliant="Every asset within the scope of the rules complies with them, on the evidence below.",
    verdict_nothing="No asset falls within the scope of the rules applied: nothing was assessed.",
    offline_note=(
        "The scan ran offline: host names were not resolved, so their location is unknown and their verdict "
        "indeterminate; an online scan may settle them."
    ),
    inventory_hash="Inventory SHA-256 (the scan's inventory hash)",
    entity_type="Entity type",
    col_pack="Rule pack",
    col_sha256="SHA-256",
    matrix="Compliance matrix",
    matrix_intro=(
        "One row per legal article the rules enforce. Counts are assets: an asset assessed by several rules of "
        "one article counts once, with its worst outcome; a finding covered by a valid waiver counts as waived."
    ),
    col_text="Legal text",
    col_article="Article",
    col_rules="Rules",
    col_assessed="Assessed",
    col_waived="Waived",
    unknown_pack="(pack not recorded)",
    no_rules="No rule was applied.",
    countries="Countries",
    countries_intro=(
        "Where the assets are, by the status of their location. An asset whose location is unknown but limited "
        "to candidate countries counts under each of them. Located items are the addresses, networks, cloud "
        "regions and tenants located one by one."
    ),
    col_code="Code",
    col_country="Country",
    col_assets="Assets",
    col_subjects="Located items",
    no_country="no country established",
    details="Asset details",
    field_id="Identifier",
    field_vendor="Vendor",
    field_cloud="Cloud resource",
    field_sensitivity="Sensitivity",
    field_declared="Declared location",
    field_source="Declared in",
    line="line",
    parts="Located items",
    col_subject="Subject",
    col_status="Status",
    col_strongest="Strongest evidence",
    col_sources="Sources",
    one_of_these="in one of these countries",
    checks="Rules applied",
    col_rule="Rule",
    col_outcome="Outcome",
    no_checks="No rule applies to this asset.",
    evidence="Evidence",
    col_source="Source",
    col_strength="Strength",
    col_claim="Claim",
    col_failure="Failure",
    col_observed="Observed",
    col_cache="From cache",
    yes="yes",
    no="no",
    raw_answer="Raw answer",
    no_raw="no raw answer recorded",
    no_evidence="No evidence was gathered.",
    severity="Severity",
    see_also="See also",
    quote="Quoted text",
    asset_link="Asset",
    waivers="Waivers",
    no_waivers="No waiver was applied: every finding above stands.",
    col_requirement="Requirement",
    no_deadline="No rule pack sets a compliance date.",
    datasets_intro="Every dataset the scan loaded; the evidence column counts the evidence items that cite it.",
    col_attribution="Attribution",
    col_url="URL",
    tool_version="Tool version",
    footer="Generated by {tool} {version}",
)

FR = HtmlLabels(
    lang="fr",
    doc_title="Rapport de preuves de localisation des données",
    subtitle="Où se trouve chaque actif, sur quelles preuves, et ce que concluent les règles",
    contents="Sommaire",
    summary="Synthèse",
    conclusion="Conclusion",
    headline={
        Outcome.VIOLATION: "Non conforme",
        Outcome.INDETERMINATE: "Conformité non démontrée",
        Outcome.WAIVED: "Conforme uniquement sous dérogations",
        Outcome.COMPLIANT: "Conforme au vu des preuves recueillies",
        Outcome.NOT_APPLICABLE: "Aucun actif dans le périmètre des règles",
    },
    headline_nothing="L'inventaire ne contient aucun actif",
    in_scope="Sur {total} dans le périmètre des règles :",
    verdict_count={
        Outcome.VIOLATION: ("non conforme", "non conformes"),
        Outcome.INDETERMINATE: ("indéterminé", "indéterminés"),
        Outcome.WAIVED: ("sous dérogation", "sous dérogation"),
        Outcome.COMPLIANT: ("conforme", "conformes"),
        Outcome.NOT_APPLICABLE: ("non applicable", "non applicables"),
    },
    outside_scope="Hors du périmètre de toutes les règles : {count}.",
    waived_sentence=(
        "Sous dérogation : {count} ; leurs constats sont maintenus, acceptés par le responsable de la dérogation "
        "jusqu'à son expiration, et sont listés ci-dessous avec elle."
    ),
    broken_waivers_sentence=(
        "{count} : elles ne couvrent rien, donc les constats qu'elles devaient couvrir sont maintenus et font "
        "échouer l'analyse."
    ),
    verdict_violation=(
        "L'inventaire, tel qu'analysé, ne satisfait pas aux exigences de localisation des règles appliquées : "
        "chaque actif non conforme est situé, ou peut être traité, hors du territoire exigé. Chaque constat "
        "ci-dessous cite le texte juridique sur lequel il repose et la remédiation."
    ),
    verdict_indeterminate=(
        "La conformité n'est pas démontrée : la localisation des actifs indéterminés n'a pas pu être établie, et "
        "une localisation inconnue n'est jamais conforme."
    ),
    verdict_compliant=(
        "Chaque actif dans le périmètre des règles y est conforme, au vu des preuves présentées ci-dessous."
    ),
    verdict_nothing="Aucun actif n'entre dans le périmètre des règles appliquées : rien n'a été évalué.",
    offline_note=(
        "L'analyse a été réalisée hors ligne : les noms d'hôte n'ont pas été résolus, leur localisation est donc "
        "inconnue et leur verdict indéterminé ; une analyse en ligne peut les trancher."
    ),
    inventory_hash="Empreinte SHA-256 de l'inventaire analysé",
    entity_type="Type d'entité",
    col_pack="Référentiel de règles",
    col_sha256="SHA-256",
    matrix="Matrice de conformité",
    matrix_intro=(
        "Une ligne par article juridique que les règles appliquent. Les nombres comptent des actifs : un actif "
        "évalué par plusieurs règles d'un même article compte une fois, avec son résultat le plus défavorable ; "
        "un constat couvert par une dérogation valide compte comme sous dérogation."
    ),
    col_text="Texte juridique",
    col_article="Article",
    col_rules="Règles",
    col_assessed="Évalués",
    col_waived="Dérogations",
    unknown_pack="(référentiel non enregistré)",
    no_rules="Aucune règle n'a été appliquée.",
    countries="Pays",
    countries_intro=(
        "Où se trouvent les actifs, selon le statut de leur localisation. Un actif dont la localisation est "
        "inconnue mais limitée à des pays candidats est compté sous chacun d'eux. Les éléments localisés sont "
        "les adresses, réseaux, régions cloud et tenants localisés un par un."
    ),
    col_code="Code",
    col_country="Pays",
    col_assets="Actifs",
    col_subjects="Éléments localisés",
    no_country="aucun pays établi",
    details="Détail des actifs",
    field_id="Identifiant",
    field_vendor="Éditeur",
    field_cloud="Ressource cloud",
    field_sensitivity="Sensibilité",
    field_declared="Localisation déclarée",
    field_source="Déclaré dans",
    line="ligne",
    parts="Éléments localisés",
    col_subject="Élément",
    col_status="Statut",
    col_strongest="Preuve la plus forte",
    col_sources="Sources",
    one_of_these="dans l'un de ces pays",
    checks="Règles appliquées",
    col_rule="Règle",
    col_outcome="Résultat",
    no_checks="Aucune règle ne s'applique à cet actif.",
    evidence="Preuves",
    col_source="Source",
    col_strength="Force probante",
    col_claim="Affirmation",
    col_failure="Échec",
    col_observed="Observé le",
    col_cache="Depuis le cache",
    yes="oui",
    no="non",
    raw_answer="Réponse brute",
    no_raw="aucune réponse brute enregistrée",
    no_evidence="Aucune preuve n'a été recueillie.",
    severity="Gravité",
    see_also="Voir aussi",
    quote="Extrait",
    asset_link="Actif",
    waivers="Dérogations",
    no_waivers="Aucune dérogation n'a été appliquée : tous les constats ci-dessus sont maintenus.",
    col_requirement="Exigence",
    no_deadline="Aucun référentiel de règles ne fixe de date de mise en conformité.",
    datasets_intro=(
        "Chaque jeu de données chargé par l'analyse ; la colonne des preuves compte les preuves qui le citent."
    ),
    col_attribution="Attribution",
    col_url="URL",
    tool_version="Version de l'outil",
    footer="Produit par {tool} {version}",
)

HTML_LABELS: Mapping[str, HtmlLabels] = {labels.lang: labels for labels in (EN, FR)}

# alpha-2|English|French
_COUNTRIES = """\
AE|United Arab Emirates|Émirats arabes unis
AT|Austria|Autriche
AU|Australia|Australie
BD|Bangladesh|Bangladesh
BE|Belgium|Belgique
BG|Bulgaria|Bulgarie
BH|Bahrain|Bahreïn
BR|Brazil|Brésil
CA|Canada|Canada
CH|Switzerland|Suisse
CL|Chile|Chili
CN|China|Chine
CO|Colombia|Colombie
CY|Cyprus|Chypre
CZ|Czechia|Tchéquie
DE|Germany|Allemagne
DK|Denmark|Danemark
DZ|Algeria|Algérie
EE|Estonia|Estonie
EG|Egypt|Égypte
ES|Spain|Espagne
FI|Finland|Finlande
FR|France|France
GB|United Kingdom|Royaume-Uni
GR|Greece|Grèce
HK|Hong Kong|Hong Kong
HR|Croatia|Croatie
HU|Hungary|Hongrie
ID|Indonesia|Indonésie
IE|Ireland|Irlande
IL|Israel|Israël
IN|India|Inde
IS|Iceland|Islande
IT|Italy|Italie
JP|Japan|Japon
KR|South Korea|Corée du Sud
LI|Liechtenstein|Liechtenstein
LT|Lithuania|Lituanie
LU|Luxembourg|Luxembourg
LV|Latvia|Lettonie
MA|Morocco|Maroc
MR|Mauritania|Mauritanie
MT|Malta|Malte
MX|Mexico|Mexique
MY|Malaysia|Malaisie
NL|Netherlands|Pays-Bas
NO|Norway|Norvège
NZ|New Zealand|Nouvelle-Zélande
OM|Oman|Oman
PL|Poland|Pologne
PT|Portugal|Portugal
QA|Qatar|Qatar
RO|Romania|Roumanie
RS|Serbia|Serbie
SA|Saudi Arabia|Arabie saoudite
SE|Sweden|Suède
SG|Singapore|Singapour
SI|Slovenia|Slovénie
SK|Slovakia|Slovaquie
SN|Senegal|Sénégal
TH|Thailand|Thaïlande
TN|Tunisia|Tunisie
TR|Türkiye|Turquie
TW|Taiwan|Taïwan
US|United States|États-Unis
ZA|South Africa|Afrique du Sud
"""

COUNTRY_NAMES: Mapping[str, Mapping[str, str]] = {
    lang: {row.split("|")[0]: row.split("|")[column] for row in _COUNTRIES.splitlines()}
    for column, lang in ((1, "en"), (2, "fr"))
}
"""Country names by language, then by alpha-2 code."""


def country_name(code: str, lang: str) -> str:
    """The country's name in `lang`, or "" when this table does not know the code."""
    return COUNTRY_NAMES[lang].get(code, "")
