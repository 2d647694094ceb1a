"""Compare two scan results: new, fixed and changed findings, location drift, and the `--baseline` test.

`load_result(path)` reads a saved result, `diff_results(old, new)` compares two, `render_diff(diff, fmt)`
writes the comparison, and `findings_not_in_baseline(result, baseline)` is what `scan --baseline` fails on.
"""

from __future__ import annotations

from residency_scan.diff.baseline import Baseline, findings_not_in_baseline
from residency_scan.diff.compute import diff_results
from residency_scan.diff.load import DEFAULT_RESULT_MAX_BYTES, load_result
from residency_scan.diff.model import (
    DIFF_SCHEMA_VERSION,
    AssetBrief,
    AssetEdit,
    DiffSummary,
    FieldChange,
    FindingChange,
    FindingDelta,
    LocationDrift,
    ResultDiff,
    ResultIdentity,
    SourceChange,
    SubjectDrift,
    Trend,
    VerdictChange,
)
from residency_scan.diff.render import DEFAULT_MAX_ITEMS, DiffFormat, render_diff

__all__ = [
    "DEFAULT_MAX_ITEMS",
    "DEFAULT_RESULT_MAX_BYTES",
    "DIFF_SCHEMA_VERSION",
    "AssetBrief",
    "AssetEdit",
    "Baseline",
    "DiffFormat",
    "DiffSummary",
    "FieldChange",
    "FindingChange",
    "FindingDelta",
    "LocationDrift",
    "ResultDiff",
    "ResultIdentity",
    "SourceChange",
    "SubjectDrift",
    "Trend",
    "VerdictChange",
    "diff_results",
    "findings_not_in_baseline",
    "load_result",
    "render_diff",
]
