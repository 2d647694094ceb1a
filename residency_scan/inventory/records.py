"""Turn one asset record — a YAML mapping or a CSV row — into an `Asset`, collecting every problem.

Both formats hand their records over as `LocatedDict`s, so that a typo gets the same message, naming the
same field, whichever format it came in; only the field's *name* differs (`label`), so that a CSV user
reads the column header they wrote.

Text rules, the same everywhere:
- a value that should be text and is not (a list, a number, a date) is refused rather than converted: a
  number can only come from YAML, which silently turns `0123` into 83, so the hint is to quote it. Tag
  values are the exception: numbers and true/false become text;
- an empty value is an absent one (a CSV cell has no other way to say "absent");
- control characters are refused (only descriptions may hold tabs and line breaks): they would repaint a
  terminal, and XML reports (JUnit, SARIF viewers) cannot carry most of them;
- every field has a length limit, so that a pasted megabyte is refused here rather than copied into every
  report.

Yes/no fields take YAML's true/false, and in text (a CSV cell) true/false, yes/no, oui/non or 1/0. The facts
the legal rules read (sensitive data, service type, subcontractors…) are read and reconciled in `facts.py`.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from pydantic import ValidationError

from residency_scan.inventory.countries import COUNTRY_CODES, suggest_country
from residency_scan.inventory.facts import FACT_FIELDS, FactDefaults, read_facts
from residency_scan.inventory.files import SENSITIVITY_TAGS as SENSITIVITY_TAGS  # re-exported
from residency_scan.inventory.files import ProblemLog
from residency_scan.inventory.suggest import (
    describe_type,
    did_you_mean,
    normalise_choice,
    one_of,
    printable,
    shown,
)
from residency_scan.inventory.targets import TargetError, parse_target, refuse_unsafe_characters
from residency_scan.models import (
    Asset,
    AssetKind,
    CloudRef,
    DeclaredLocation,
    Sensitivity,
    SourceRef,
    Target,
)
from residency_scan.safe_yaml import LocatedDict
from residency_scan.text_safety import UNSAFE_CHARACTERS

ASSET_FIELDS = ("id", "kind", "target", "sensitivity", "vendor", "cloud", "declared", "description",
                "owner", "tags", *FACT_FIELDS)
DECLARED_FIELDS = ("country", "city", "provider", "qualification")
CLOUD_FIELDS = ("provider", "region", "account", "service", "resource")
CLOUD_PROVIDERS = ("aws", "azure", "gcp", "oci")
_CLOUD_ALIASES = {"amazon": "aws", "microsoft": "azure", "google": "gcp", "oracle": "oci"}

MAX_ID = 128
MAX_SHORT = 128  # vendor, city, provider, cloud region/account/service, tag keys
MAX_OWNER = 256
MAX_TAG_VALUE = 256
MAX_RESOURCE = 2048  # an ARN can be 2048 characters
MAX_DESCRIPTION = 4096
MAX_TAGS = 100

# Controls, and the bidi overrides of "Trojan Source" (they would reorder what an auditor reads): text_safety.py
_CONTROL = re.compile(f"[{UNSAFE_CHARACTERS}\x09-\x0d]")
_CONTROL_EXCEPT_LINE_BREAKS = re.compile(f"[{UNSAFE_CHARACTERS}\x0b\x0c]")
_YES = frozenset({"true", "yes", "oui", "1"})
_NO = frozenset({"false", "no", "non", "0"})

E = TypeVar("E", bound=enum.Enum)
Label = Callable[[str], str]


@functools.cache
def _spellings(choices: type[E]) -> dict[str, E]:
    """Each member of an enum under its accepted spellings (it is looked up once per asset and field)."""
    return {normalise_choice(str(member.value)): member for member in choices}


def same_name(path: str) -> str:
    return path


def located(values: Mapping[str, Any], line: int) -> LocatedDict:
    """A LocatedDict whose every key is on `line` — a CSV row, or a group of its columns."""
    mapping = LocatedDict(values)
    mapping.line = line
    mapping.key_lines = {}
    return mapping


class FieldReader:
    """Typed access to the fields of one mapping, logging each problem under the field's user-facing name."""

    def __init__(self, record: LocatedDict, log: ProblemLog, prefix: str = "", label: Label = same_name):
        self.record = record
        self.log = log
        self.prefix = prefix
        self.label = label

    def name(self, key: str) -> str:
        return self.label(self.prefix + key)

    def nested(self, mapping: LocatedDict, prefix: str) -> FieldReader:
        """A reader for a mapping inside this one (`prefix` such as 'cloud.' or 'subcontractors[0].')."""
        return FieldReader(mapping, self.log, self.prefix + prefix, self.label)

    def problem(self, key: str | None, message: str, hint: str | None = None) -> None:
        line = self.record.line if key is None else self.record.line_of(key)
        field = None if key is None else printable(self.name(key), MAX_SHORT)
        self.log.add(message, line=line, field=field, hint=hint)

    def refuse_unknown(self, allowed: Sequence[str]) -> None:
        for key in self.record:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or one_of(allowed)
                self.problem(key, f"unknown field {shown(key)}", hint)

    def present(self, key: str) -> bool:
        value = self.record.get(key)
        return value is not None and not (isinstance(value, str) and not value.strip())

    def text(self, key: str, *, limit: int, multiline: bool = False) -> str | None:
        """A text field, stripped; None when absent or empty."""
        value = self.record.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.wrong_type(key, value, "text")
            return None
        value = value.strip()
        if not value:
            return None
        if len(value) > limit:
            self.problem(key, f"is {len(value)} characters long, over the limit of {limit}", "shorten it")
            return None
        control = (_CONTROL_EXCEPT_LINE_BREAKS if multiline else _CONTROL).search(value)
        if control is not None:
            self.problem(key, f"contains the control character {shown(control.group())} at position "
                              f"{control.start() + 1}",
                         "control characters (ANSI escapes, NUL, line breaks…) are not allowed here")
            return None
        return value

    def choice(self, key: str, choices: type[E], what: str) -> E | None:
        """An enum member, matched case-insensitively with '_' read as '-'; None when absent or wrong."""
        value = self.text(key, limit=MAX_SHORT)
        if value is None:
            return None
        return self.choose(key, value, choices, what)

    def choose(self, key: str, value: str, choices: type[E], what: str) -> E | None:
        spellings: dict[str, E] = _spellings(choices)
        found = spellings.get(value) or spellings.get(normalise_choice(value))
        if found is not None:
            return found
        values = [str(member.value) for member in choices]
        self.problem(key, f"unknown {what} {shown(value)}", did_you_mean(value, values) or one_of(values))
        return None

    def flag(self, key: str) -> bool | None:
        """A yes/no field: true/false (or 1/0) in YAML; true/false, yes/no, oui/non, 1/0 as text. None when
        absent or empty, or wrong (logged)."""
        value = self.record.get(key)
        if value is None or isinstance(value, bool):
            return value
        if type(value) is int and value in (0, 1):
            return bool(value)
        if isinstance(value, str):
            word = value.strip().lower()
            if not word or word in _YES or word in _NO:
                return None if not word else word in _YES
            self.problem(key, f"{shown(value)} is not true or false",
                         "write true or false; yes/no, oui/non and 1/0 are accepted too")
            return None
        self.problem(key, f"must be true or false, not {describe_type(value)}", "write true or false")
        return None

    def country(self, key: str) -> str | None:
        """An ISO 3166-1 alpha-2 code, upper-cased; names and alpha-3 codes get the code as a hint."""
        value = self.text(key, limit=MAX_SHORT)
        if value is None:
            return None
        if value.upper() in COUNTRY_CODES:
            return value.upper()
        suggestion = suggest_country(value)
        hint = (f"did you mean '{suggestion}'?" if suggestion else
                "use an ISO 3166-1 alpha-2 code such as MA, FR or IE")
        self.problem(key, f"{shown(value)} is not an ISO 3166-1 alpha-2 country code", hint)
        return None

    def mapping(self, key: str) -> LocatedDict | None:
        value = self.record.get(key)
        if value is None:
            return None
        if not isinstance(value, LocatedDict):
            self.wrong_type(key, value, "a mapping (key: value)")
            return None
        return value

    def wrong_type(self, key: str, value: object, expected: str) -> None:
        hint = 'put it in quotes, e.g. "0123"' if expected == "text" and not isinstance(
            value, dict | list | bytes) else None
        self.problem(key, f"must be {expected}, not {describe_type(value)}", hint)


@dataclass(frozen=True)
class AssetDefaults:
    """What `defaults:` gives every asset that does not say otherwise."""

    sensitivity: Sensitivity | None = None
    owner: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    facts: FactDefaults = field(default_factory=FactDefaults)


class AssetBuilder:
    """Turns records into Assets for one file; remembers ids to refuse duplicates.

    Sensitivity is fail-closed. An asset's sensitivity is, in order: its `sensitivity` field, its own
    `residency:sensitivity` (or `residency_sensitivity`) tag, `defaults.sensitivity`, and otherwise
    **sensitive** — an asset nobody classified is treated as the strictest case, never as exempt.
    """

    def __init__(self, log: ProblemLog, *, defaults: AssetDefaults | None = None, label: Label = same_name,
                 sensitivity_tags: Sequence[str] = SENSITIVITY_TAGS) -> None:
        self.log = log
        self.defaults = defaults or AssetDefaults()
        self.label = label
        self.sensitivity_tags = tuple(sensitivity_tags)
        self.first_lines: dict[str, int] = {}

    def build(self, record: object, line: int) -> Asset | None:
        """The Asset of one record, or None after logging why it cannot be one."""
        if not isinstance(record, LocatedDict):
            self.log.add(f"each asset must be a mapping (id: …, kind: …), not {describe_type(record)}",
                         line=line)
            return None
        fields = FieldReader(record, self.log, label=self.label)
        before = self.log.count
        fields.refuse_unknown(ASSET_FIELDS)
        asset_id = self._id(fields)
        kind = fields.choice("kind", AssetKind, "asset kind")
        if kind is None and not fields.present("kind"):
            fields.problem("kind", "an asset needs a kind", one_of(AssetKind))
        target = self._target(fields)
        vendor = fields.text("vendor", limit=MAX_SHORT)
        cloud = self._cloud(fields)
        if not any(fields.present(key) for key in ("target", "vendor", "cloud")):
            fields.problem("target", "an asset needs a target, a vendor or a cloud resource",
                           "add target: <hostname, address, network or URL>, vendor: <catalog key> or "
                           "cloud: {provider: …, region: …}")
        declared = self._declared(fields)
        description = fields.text("description", limit=MAX_DESCRIPTION, multiline=True)
        owner = fields.text("owner", limit=MAX_OWNER) or self.defaults.owner
        own_tags = read_tags(fields)
        sensitivity, stated_by = self._sensitivity(fields, own_tags)
        facts = read_facts(fields, self.defaults.facts, kind=kind, sensitivity=sensitivity, stated_by=stated_by)
        if self.log.count > before or asset_id is None or kind is None:
            return None
        try:
            return Asset(id=asset_id, kind=kind, sensitivity=facts.sensitivity, target=target,
                         vendor=None if vendor is None else vendor.lower(), cloud=cloud, declared=declared,
                         description=description, owner=owner, tags={**self.defaults.tags, **own_tags},
                         source=SourceRef(path=self.log.path, line=line),
                         sensitive_data=facts.sensitive_data, sensitive_system=facts.sensitive_system,
                         personal_data=facts.personal_data, service_type=facts.service_type,
                         cndp_authorisation=facts.cndp_authorisation, subcontractors=facts.subcontractors)
        except ValidationError as exc:  # a gap in the checks above; say so rather than crash
            fields.problem(None, f"asset refused: {exc.errors()[0]['msg']}")
            return None

    def _id(self, fields: FieldReader) -> str | None:
        value = fields.record.get("id")
        if value is None or (isinstance(value, str) and not value.strip()):
            fields.problem("id", "an asset needs an id",
                           "add id: <a unique name such as portail-citoyens>")
            return None
        if not isinstance(value, str):
            fields.problem("id", f"must be text, not {describe_type(value)}", f'quote it: id: "{value}"')
            return None
        if len(value) > MAX_ID:
            fields.problem("id", f"is {len(value)} characters long, over the limit of {MAX_ID}")
            return None
        try:
            refuse_unsafe_characters(value)
        except TargetError as exc:
            hint = ("use '-' instead of spaces, e.g. 'portail-citoyens'" if "space" in exc.message else
                    "an id is printed in every report: keep to letters, digits and '-'")
            fields.problem("id", exc.message, hint)
            return None
        first = self.first_lines.get(value)
        if first is not None:
            fields.problem("id", f"duplicate asset id {shown(value)}", f"first defined on line {first}")
            return None
        self.first_lines[value] = fields.record.line_of("id")
        return value

    def _target(self, fields: FieldReader) -> Target | None:
        value = fields.record.get("target")
        if value is None:
            return None
        if not isinstance(value, str):
            fields.wrong_type("target", value, "text")
            return None
        if not value.strip():
            return None
        try:
            return parse_target(value)
        except TargetError as exc:
            fields.problem("target", exc.message, exc.hint)
            return None

    def _cloud(self, fields: FieldReader) -> CloudRef | None:
        mapping = fields.mapping("cloud")
        if mapping is None:
            return None
        cloud = fields.nested(mapping, "cloud.")
        cloud.refuse_unknown(CLOUD_FIELDS)
        provider = cloud.text("provider", limit=MAX_SHORT)
        values = {key: cloud.text(key, limit=MAX_RESOURCE if key == "resource" else MAX_SHORT)
                  for key in CLOUD_FIELDS[1:]}
        if provider is None:
            if not cloud.present("provider"):
                cloud.problem("provider", "a cloud resource needs a provider",
                              f"add provider: {one_of(CLOUD_PROVIDERS)}")
            return None
        if provider.lower() not in CLOUD_PROVIDERS:
            alias = _CLOUD_ALIASES.get(provider.lower().split()[0])
            cloud.problem("provider", f"unknown cloud provider {shown(provider)}",
                          (alias and f"did you mean '{alias}'?") or did_you_mean(provider, CLOUD_PROVIDERS) or
                          f"use {one_of(CLOUD_PROVIDERS)}; locate other hosting with target: and declared:")
            return None
        return CloudRef(provider=provider.lower(), **values)

    def _declared(self, fields: FieldReader) -> DeclaredLocation | None:
        mapping = fields.mapping("declared")
        if mapping is None:
            return None
        declared = fields.nested(mapping, "declared.")
        declared.refuse_unknown(DECLARED_FIELDS)
        country = declared.country("country")
        city = declared.text("city", limit=MAX_SHORT)
        provider = declared.text("provider", limit=MAX_SHORT)
        qualification = self._qualification(declared)
        if country is None and city is None and provider is None and qualification is None:
            return None
        return DeclaredLocation(country=country, city=city, provider=provider, qualification=qualification)

    @staticmethod
    def _qualification(declared: FieldReader) -> int | None:
        value = declared.record.get("qualification")
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if type(value) is int and value in (1, 2):
            return value
        if isinstance(value, str) and value.strip() in ("1", "2"):
            return int(value.strip())
        declared.problem("qualification", f"must be 1 or 2, not {shown(value)}",
                         "the DGSSI qualification level of the provider (décret 2-24-921): 1 or 2")
        return None

    def _sensitivity(self, fields: FieldReader, own_tags: Mapping[str, str]) -> tuple[Sensitivity, str | None]:
        """The sensitivity, and what on the asset stated it: 'sensitivity', a tag's name, or None (a default)."""
        chosen = fields.choice("sensitivity", Sensitivity, "sensitivity")
        if chosen is not None or fields.present("sensitivity"):
            return chosen or Sensitivity.SENSITIVE, "sensitivity"
        for tag in self.sensitivity_tags:
            if own_tags.get(tag):
                mapping = fields.record.get("tags")
                tags = FieldReader(mapping if isinstance(mapping, LocatedDict) else fields.record, self.log,
                                   "tags.", self.label)
                return tags.choose(tag, own_tags[tag], Sensitivity, "sensitivity") or Sensitivity.SENSITIVE, tag
        return self.defaults.sensitivity or Sensitivity.SENSITIVE, None


def read_tags(fields: FieldReader) -> dict[str, str]:
    """The `tags` mapping of a record as text; problems are logged and the bad tags left out."""
    mapping = fields.mapping("tags")
    if not mapping:
        return {}
    tags = FieldReader(mapping, fields.log, "tags.", fields.label)
    if len(mapping) > MAX_TAGS:
        fields.problem("tags", f"has {len(mapping)} tags, over the limit of {MAX_TAGS}")
        return {}
    result: dict[str, str] = {}
    for key, value in mapping.items():
        text = tag_text(value)
        if text is None:
            tags.problem(key, f"must be text, a number or true/false, not {describe_type(value)}")
        elif not key.strip() or len(key) > MAX_SHORT or _CONTROL.search(key):
            tags.problem(key, f"tag name {shown(key)} must be 1 to {MAX_SHORT} characters, without "
                              "control characters")
        elif len(text) > MAX_TAG_VALUE:
            tags.problem(key, f"is {len(text)} characters long, over the limit of {MAX_TAG_VALUE}")
        elif _CONTROL.search(text):
            tags.problem(key, f"contains a control character ({shown(text)})")
        else:
            result[key.strip()] = text.strip()
    return result


def tag_text(value: object) -> str | None:
    """A tag value as text: numbers and true/false become text, an empty value ''; None if not a scalar."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else None
