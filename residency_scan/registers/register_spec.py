"""The file format of a provider qualification register, as pydantic models, and its JSON Schema.

These models describe what a person writes (texts, ISO dates, lower-case service types) and are kept apart
from the runtime models of `providers.py`, which describe what the rules read. Field checks live here, so that
the JSON Schema an editor validates against and the loader's own checks come from one place; the checks that
span several fields or providers (validity period, names shared by two providers) are in `register_file.py`.

```yaml
register: {title: "…", example: true, updated: 2026-11-01, source: "…"}
providers:
  - id: hebergeur-national
    name: "Hébergeur National SA"
    aliases: ["Hébergeur national"]
    qualifications:
      - {level: 2, service_types: [iaas, paas], decision: "…", decided: 2026-03-01, valid_until: 2031-02-28,
         source: "…"}
```
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool

from residency_scan.inventory.suggest import closest, shown
from residency_scan.models import Frozen

SCHEMA_ID = "urn:residency-scan:provider-register:1"

MAX_TITLE = 256
MAX_NAME = 200
MAX_DECISION = 300
MAX_SOURCE = 1000
MAX_ALIASES = 50
MAX_QUALIFICATIONS = 50
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"

CLOUD_TYPES = ("iaas", "paas", "saas")
CloudType = Literal["iaas", "paas", "saas"]

# Bidirectional-text controls reorder what a reader sees ("Trojan Source"); they are format characters (Cf),
# not control characters (Cc), so they are listed.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_NO_CONTROLS = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]*$"


def _clean_text(value: str) -> str:
    """Stripped, not blank, free of control characters: register texts end up in every report and terminal."""
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    for char in value:
        if char in "\n\r":
            raise ValueError("a line break is not allowed here: write the text on one line")
        if unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS:
            raise ValueError(f"contains the control character {shown(char)}, which a register does not allow; "
                             "remove it")
    return value


def _limits(limit: int) -> Any:
    return Field(min_length=1, max_length=limit, json_schema_extra={"pattern": _NO_CONTROLS})


Title = Annotated[str, AfterValidator(_clean_text), _limits(MAX_TITLE)]
Name = Annotated[str, AfterValidator(_clean_text), _limits(MAX_NAME)]
DecisionText = Annotated[str, AfterValidator(_clean_text), _limits(MAX_DECISION)]
SourceText = Annotated[str, AfterValidator(_clean_text), _limits(MAX_SOURCE)]


def _plain_date(value: Any) -> Any:
    """A date written YYYY-MM-DD (YAML reads it as a date; quoted, it is a string). Refused: date-times (a
    time of day has no meaning for a decision) and numbers (pydantic would read 20260301 as a Unix time)."""
    if isinstance(value, datetime):
        raise ValueError(f"{shown(value.isoformat())} has a time of day: write the date alone, YYYY-MM-DD")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{shown(value)} is not a valid date ({exc})") from None
    raise ValueError(f"{shown(value)} is not a date: write it as YYYY-MM-DD, e.g. 2026-03-01")


PlainDate = Annotated[date, BeforeValidator(_plain_date)]


def _level(value: Any) -> Any:
    """1 or 2 exactly: `true` or `1.0` are not levels, whatever Python thinks of them."""
    if type(value) is int and value in (1, 2):
        return value
    raise ValueError(f"level {_as_written(value)} does not exist: decree 2-24-921 qualifies at level 1 (sensitive "
                     "information systems) or level 2 (sensitive data)")


def _as_written(value: Any) -> str:
    """A YAML scalar as the user wrote it: true/false, numbers bare, texts quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return shown(value)


QualificationLevel = Annotated[Literal[1, 2], BeforeValidator(_level)]


def _cloud_type(value: Any) -> Any:
    """iaas, paas or saas, in any case ("IaaS" is how the decree writes it)."""
    if isinstance(value, str) and value.strip().lower() in CLOUD_TYPES:
        return value.strip().lower()
    if isinstance(value, str) and value.strip().lower() in ("on-premises", "on_premises", "onpremises"):
        raise ValueError("'on-premises' is not a cloud service: a qualification covers iaas, paas or saas "
                         "(decree 2-24-921 art. 3)")
    guess = closest(value, CLOUD_TYPES) if isinstance(value, str) else None
    hint = f"; did you mean '{guess}'?" if guess else ""
    raise ValueError(f"{shown(value)} is not a cloud service type: expected iaas, paas or saas "
                     f"(decree 2-24-921 art. 3){hint}")


def _distinct(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _at_least_one(what: str) -> AfterValidator:
    """Refuse an empty list after the items are checked (a length constraint would hide the item errors)."""

    def check(values: tuple[Any, ...]) -> tuple[Any, ...]:
        if not values:
            raise ValueError(what)
        return values

    return AfterValidator(check)


class QualificationSpec(Frozen):
    """One qualification decision as written in the register."""

    level: QualificationLevel
    service_types: Annotated[
        tuple[Annotated[CloudType, BeforeValidator(_cloud_type)], ...],
        AfterValidator(_distinct),
        _at_least_one("list the service types the decision covers: iaas, paas and/or saas"),
        Field(json_schema_extra={"minItems": 1, "uniqueItems": True}),
    ]
    decision: DecisionText
    decided: PlainDate
    valid_until: PlainDate
    source: SourceText


class ProviderSpec(Frozen):
    """A provider as written in the register: how it is named, and the decisions that qualified it.

    An empty `qualifications` list is allowed: it records a provider that is known but not (or no longer)
    qualified, which a rule reports as such instead of "not in the register".
    """

    id: str = Field(pattern=_ID)
    name: Name
    aliases: Annotated[tuple[Name, ...], Field(max_length=MAX_ALIASES), AfterValidator(_distinct)] = ()
    qualifications: Annotated[tuple[QualificationSpec, ...], Field(max_length=MAX_QUALIFICATIONS)]


class RegisterHeaderSpec(Frozen):
    """Who keeps the register and how recent it is. `example: true` marks a sample, never an official list."""

    title: Title
    example: StrictBool = False
    updated: PlainDate
    source: SourceText


class RegisterFileSpec(Frozen):
    """A whole register file. The header is `register:` in the file (a Python name pydantic keeps for itself)."""

    header: RegisterHeaderSpec = Field(alias="register")
    providers: Annotated[
        tuple[ProviderSpec, ...],
        _at_least_one("a register lists at least one provider"),
        Field(json_schema_extra={"minItems": 1}),
    ]


def provider_register_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a register file, for editors. Dates are ISO strings in JSON."""
    generated = RegisterFileSpec.model_json_schema(mode="validation")
    generated.pop("title", None)
    generated.pop("description", None)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "residency-scan provider qualification register",
        "description": (
            "A register of cloud providers qualified under decree 2-24-921 (level 1: sensitive information "
            "systems; level 2: sensitive data; per service type iaas/paas/saas; at most 5 years, art. 9). "
            "No official machine-readable list exists: the maintainer records each decision and its source. "
            "`register.example: true` marks a sample that reports flag as not an official list. "
            "Generated from residency_scan.registers.register_spec by scripts/gen_schema.py; do not edit."
        ),
        **generated,
    }


def render_provider_register_schema() -> str:
    """The schema file's exact text, so a generator and a freshness test agree byte for byte."""
    return json.dumps(provider_register_json_schema(), indent=2, ensure_ascii=False) + "\n"
