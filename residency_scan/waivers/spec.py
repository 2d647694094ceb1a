"""The waiver file format (`--waivers FILE`): its fields, their limits, and its JSON Schema.

```yaml
version: 1
waivers:
  - id: DRG-2026-001
    asset: "crm-*"                 # asset id or glob (fnmatch, case-sensitive)
    rule: MA-DECREE-LOC-1          # rule id or glob
    owner: "RSSI — Mme Exemple"    # who accepted the risk
    reason: "Migration vers un prestataire qualifié en cours"
    reference: "Analyse de risques AR-2026-04 (décret 2-24-921 art. 17)"   # optional
    created: 2026-01-10
    expires: 2026-12-31            # mandatory: a waiver that never ends is a permanent exemption
```

The pydantic models here are the documentation and the JSON Schema of the format; `load.py` reads a file
entry by entry with the same names and limits (`FIELDS`, `REQUIRED`, `LIMITS`), because a broken entry must
become an *invalid waiver* reported with its line, not stop the scan. What JSON Schema cannot say (created ≤
expires, the maximum lifetime, unique ids, rules that exist) is checked by `load.py` alone.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SUPPORTED_VERSION = 1
TOP_FIELDS = ("version", "waivers")

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = f"urn:residency-scan:waivers:{SUPPORTED_VERSION}"

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
"""The same shape as rule ids: reports, SARIF properties and check records quote it."""

MAX_PATTERN = 256
MAX_OWNER = 256
MAX_REASON = 4096
MAX_REFERENCE = 1024

# NOTE: besides C0/C1 controls (which repaint terminals and break XML reports), the bidirectional embedding,
# override and isolate characters are refused: they make the text a reader sees differ from the text that is
# stored ("Trojan Source", CVE-2021-42574), and a waiver is an accountability record. Line and paragraph
# separators are refused wherever a line break is.
_BIDI = r"\u202a-\u202e\u2066-\u2069"
_FORBIDDEN_ONE_LINE = r"\u0000-\u001f\u007f-\u009f\u2028\u2029" + _BIDI
_FORBIDDEN_MULTI_LINE = r"\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029" + _BIDI
ONE_LINE_PATTERN = f"^[^{_FORBIDDEN_ONE_LINE}]*$"
MULTI_LINE_PATTERN = f"^[^{_FORBIDDEN_MULTI_LINE}]*$"
FORBIDDEN_ONE_LINE = re.compile(f"[{_FORBIDDEN_ONE_LINE}]")
FORBIDDEN_MULTI_LINE = re.compile(f"[{_FORBIDDEN_MULTI_LINE}]")


def _text(limit: int, description: str, *, multi_line: bool = False) -> Any:
    pattern = MULTI_LINE_PATTERN if multi_line else ONE_LINE_PATTERN
    return Field(min_length=1, max_length=limit, pattern=pattern, description=description)


class WaiverSpec(BaseModel):
    """One waiver: a named person accepts, until a date, that one rule's finding on some assets stands."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="Waiver")

    id: Annotated[str, Field(pattern=ID_PATTERN, description="Unique id, quoted in every report "
                                                              "(e.g. DRG-2026-001).")]
    asset: Annotated[str, _text(MAX_PATTERN, "Asset id, or a glob over asset ids ('crm-*'), case-sensitive.")]
    rule: Annotated[str, _text(MAX_PATTERN, "Rule id, or a glob over rule ids ('MA-DECREE-*'); it must match "
                                            "a rule of the packs in use.")]
    owner: Annotated[str, _text(MAX_OWNER, "Who accepted the risk (a role and a name).")]
    reason: Annotated[str, _text(MAX_REASON, "Why the finding is accepted for now.", multi_line=True)]
    reference: Annotated[str | None, _text(MAX_REFERENCE, "The document behind the decision, e.g. the risk "
                                                          "analysis decree 2-24-921 art. 17 requires for a "
                                                          "transitional non-qualified provider.",
                                           multi_line=True)] = None
    created: Annotated[date, Field(description="When the waiver was granted (YYYY-MM-DD); not after the scan.")]
    expires: Annotated[date, Field(description="Last day the waiver applies (YYYY-MM-DD); mandatory, at most "
                                               "the configured maximum lifetime after `created`.")]


class WaiverFileSpec(BaseModel):
    """A waiver file: a version and a list of waivers (possibly empty)."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="residency-scan waiver file")

    version: Literal[1]
    waivers: list[WaiverSpec]


FIELDS: tuple[str, ...] = tuple(WaiverSpec.model_fields)
REQUIRED: frozenset[str] = frozenset(name for name, info in WaiverSpec.model_fields.items() if info.is_required())
LIMITS = {"asset": MAX_PATTERN, "rule": MAX_PATTERN, "owner": MAX_OWNER, "reason": MAX_REASON,
          "reference": MAX_REFERENCE}
MULTI_LINE = frozenset({"reason", "reference"})


def waiver_file_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a waiver file, generated from the models above so it cannot drift.

    YAML dates are strings of format `date` here: convert them before validating a loaded file.
    """
    schema = WaiverFileSpec.model_json_schema()
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "residency-scan waiver file",
        "description": (f"A residency-scan waiver file, version {SUPPORTED_VERSION} (--waivers FILE). Also "
                        "checked when loaded: created <= expires <= created + the maximum lifetime, created not "
                        "after the scan date, unique ids, rule patterns that match a rule in use."),
        **{key: value for key, value in schema.items() if key not in ("title", "description")},
    }
