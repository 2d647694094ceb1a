"""Waivers that expire (`--waivers FILE`): accepted risks, each with an owner, a reason and an expiry date.

- `spec.py`: the file format, its limits and its JSON Schema;
- `load.py`: `load_waivers` — a broken file raises `WaiverFileError` (exit 2), a broken entry becomes an
  invalid waiver that is reported and never applied;
- `model.py`: `Waiver`, one entry, and the questions a scan asks of it (in force? matches?);
- `book.py`: `WaiverBook.apply` covers findings and recomputes the verdict, `WaiverBook.statuses` says what
  became of each waiver (active, stale, expired, invalid).

Location overrides are not waivers: a claim about where an asset is belongs in the inventory, as evidence
with its provenance. A waiver accepts a finding; it never changes what the evidence says.
"""

from residency_scan.waivers.book import NON_COMPLIANT, WaiverBook, expiring_soon, verdict_after_waivers
from residency_scan.waivers.load import DEFAULT_MAX_LIFETIME_DAYS, WaiverFileError, load_waivers
from residency_scan.waivers.model import Waiver
from residency_scan.waivers.spec import WaiverFileSpec, WaiverSpec, waiver_file_json_schema

__all__ = [
    "DEFAULT_MAX_LIFETIME_DAYS",
    "NON_COMPLIANT",
    "Waiver",
    "WaiverBook",
    "WaiverFileError",
    "WaiverFileSpec",
    "WaiverSpec",
    "expiring_soon",
    "load_waivers",
    "verdict_after_waivers",
    "waiver_file_json_schema",
]
