"""`scan --baseline OLD.json`: fail only on findings the baseline did not already accept.

A baseline lets a team adopt residency-scan on an estate with known, tracked findings and still have CI catch
every new one. Matching is by (asset id, rule id), like the diff, and an outcome worse than the accepted one is
new: an indeterminate that became a violation is news, a violation that became indeterminate is not.
"""

from __future__ import annotations

from residency_scan.diff.model import accepted_rank, not_accepted
from residency_scan.models import AssetResult, Finding, ScanResult

__all__ = ["Baseline", "findings_not_in_baseline"]


class Baseline:
    """A baseline result reduced to what the check needs: the worst accepted outcome per (asset id, rule id).

    Built once; `unaccepted(asset)` then works asset by asset, so a streamed scan (`Scanner.scan(on_asset=...)`,
    whose returned result has no assets) is checked as each asset is judged.
    """

    def __init__(self, baseline: ScanResult) -> None:
        self._accepted: dict[tuple[str, str], int] = {}
        for asset in baseline.assets:
            for finding in asset.findings:
                key = (asset.id, finding.rule)
                self._accepted[key] = max(self._accepted.get(key, -1), accepted_rank(finding))

    def __len__(self) -> int:
        return len(self._accepted)

    def unaccepted(self, asset: AssetResult) -> list[Finding]:
        """The asset's findings that neither the baseline (at the same or a worse outcome) nor a valid waiver
        accepted. A waived finding gates a plain scan no more than a baselined one.

        Severity plays no part: `--fail-on` is about outcomes, and a rule pack re-grading a rule is not a
        change in the estate.
        """
        return [f for f in asset.findings if not_accepted(f, self._accepted.get((asset.id, f.rule), -1))]


def findings_not_in_baseline(result: ScanResult, baseline: ScanResult) -> list[tuple[str, Finding]]:
    """The (asset id, finding) pairs of `result` that `baseline` did not already accept, in inventory order.

    With `scan --baseline`, exit 1 only when one of these is at or above `--fail-on`.
    """
    accepted = Baseline(baseline)
    return [(asset.id, finding) for asset in result.assets for finding in accepted.unaccepted(asset)]
