"""Compare two scan results: which findings came, went or changed, and which assets moved.

Pure functions over `ScanResult` values: no file, no clock, no printing, so the same two results always give
the same `ResultDiff`, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from residency_scan.bulk import paused_gc
from residency_scan.diff.model import (
    SEVERITY_RANK,
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
from residency_scan.models import AssetResult, CloudRef, Finding, Location, Outcome, ScanResult, SubjectLocation

__all__ = ["diff_results"]


def diff_results(old: ScanResult, new: ScanResult) -> ResultDiff:
    """What changed from `old` to `new`. Assets are matched by id, findings by (asset id, rule id).

    Two assets with the same id, or two findings of one rule on one asset, cannot be matched and raise
    `ValueError`; a result written by residency-scan never has them, and `load_result` refuses files that do.
    """
    with paused_gc():  # one value per change, none of them cyclic: see residency_scan.bulk
        return _diff(old, new)


def _diff(old: ScanResult, new: ScanResult) -> ResultDiff:
    old_assets = _by_id(old.assets, "old")
    new_assets = _by_id(new.assets, "new")
    new_findings, changed, unchanged = _findings_now(new.assets, old_assets)
    fixed = _findings_gone(old.assets, new_assets)
    kept = [(old_assets[a.id], a) for a in new.assets if a.id in old_assets]
    verdicts = [
        VerdictChange(asset=after.id, old=before.verdict, new=after.verdict,
                      trend=_verdict_trend(before.verdict, after.verdict))
        for before, after in kept
        if before.verdict is not after.verdict
    ]
    drift = [d for before, after in kept if (d := _drift(after.id, before.location, after.location))]
    edits = [e for before, after in kept if (e := _edit(before, after))]
    added = [_brief(a) for a in new.assets if a.id not in old_assets]
    removed = [_brief(a) for a in old.assets if a.id not in new_assets]
    summary = DiffSummary(
        new_findings=len(new_findings),
        fixed_findings=len(fixed),
        worsened_findings=sum(c.trend is Trend.WORSE for c in changed),
        improved_findings=sum(c.trend is Trend.BETTER for c in changed),
        unchanged_findings=unchanged,
        verdict_changes=len(verdicts),
        drifted_assets=len(drift),
        added_assets=len(added),
        removed_assets=len(removed),
        edited_assets=len(edits),
    )
    return ResultDiff(
        old=_identity(old),
        new=_identity(new),
        summary=summary,
        new_findings=tuple(new_findings),
        fixed_findings=tuple(fixed),
        changed_findings=tuple(changed),
        verdict_changes=tuple(verdicts),
        drift=tuple(drift),
        added_assets=tuple(added),
        removed_assets=tuple(removed),
        edited_assets=tuple(edits),
        source_changes=tuple(_source_changes(old, new)),
    )


# ------------------------------------------------------------------------------------------------ findings


def _findings_now(
    assets: Iterable[AssetResult], old_assets: dict[str, AssetResult]
) -> tuple[list[FindingDelta], list[FindingChange], int]:
    """New and changed findings in the new scan's order, and how many stayed exactly as they were."""
    new: list[FindingDelta] = []
    changed: list[FindingChange] = []
    unchanged = 0
    for asset in assets:
        before = old_assets.get(asset.id)
        previous = _by_rule(before) if before is not None else {}
        _by_rule(asset)  # refuses a rule twice on one asset, which could not be matched
        for finding in asset.findings:
            earlier = previous.get(finding.rule)
            if earlier is None:
                new.append(FindingDelta(asset=asset.id, finding=finding,
                                        asset_change="added" if before is None else None))
            elif (earlier.outcome is not finding.outcome or earlier.severity is not finding.severity
                  or (earlier.waiver is None) is not (finding.waiver is None)):
                changed.append(FindingChange(asset=asset.id, rule=finding.rule, old=earlier, new=finding,
                                             trend=_finding_trend(earlier, finding)))
            else:
                unchanged += 1
    return new, changed, unchanged


def _findings_gone(assets: Iterable[AssetResult], new_assets: dict[str, AssetResult]) -> list[FindingDelta]:
    gone: list[FindingDelta] = []
    for asset in assets:
        after = new_assets.get(asset.id)
        still = _by_rule(after) if after is not None else {}
        gone.extend(
            FindingDelta(asset=asset.id, finding=finding, asset_change="removed" if after is None else None)
            for finding in _by_rule(asset).values()
            if finding.rule not in still
        )
    return gone


def _verdict_trend(old: Outcome, new: Outcome) -> Trend:
    concern_old, concern_new = _concern(old), _concern(new)
    if concern_old == concern_new:
        return Trend.NEUTRAL
    return Trend.WORSE if concern_new > concern_old else Trend.BETTER


def _concern(outcome: Outcome) -> int:
    """Compliant and not-applicable are equally free of concern, unlike their `rank`s."""
    return max(outcome.rank, Outcome.COMPLIANT.rank)


def _finding_trend(old: Finding, new: Finding) -> Trend:
    if (old.waiver is None) is not (new.waiver is None):  # a waiver granted is better, one lifted worse
        return Trend.BETTER if new.waiver is not None else Trend.WORSE
    if old.outcome is not new.outcome:
        return Trend.WORSE if new.outcome.rank > old.outcome.rank else Trend.BETTER
    return Trend.WORSE if SEVERITY_RANK[new.severity] > SEVERITY_RANK[old.severity] else Trend.BETTER


# ------------------------------------------------------------------------------------------------ assets


def _drift(asset_id: str, old: Location, new: Location) -> LocationDrift | None:
    """The asset's location change, or None when neither the asset nor any subject it kept moved.

    A subject that merely appears or disappears (a name now resolving to another address in the same
    country) does not make the asset drift; when the asset drifts for another reason it is listed, since
    it is usually the cause.
    """
    old_parts = _by_subject(old.parts)
    new_parts = _by_subject(new.parts)
    moved: list[SubjectDrift] = []
    kept_moved = False
    for subject, after in new_parts.items():
        before = old_parts.get(subject)
        if before is None:
            moved.append(SubjectDrift(subject=subject, old_status=None, new_status=after.status,
                                      new_countries=after.countries))
        elif before.status is not after.status or before.countries != after.countries:
            kept_moved = True
            moved.append(SubjectDrift(subject=subject, old_status=before.status, new_status=after.status,
                                      old_countries=before.countries, new_countries=after.countries))
    moved.extend(
        SubjectDrift(subject=subject, old_status=before.status, new_status=None, old_countries=before.countries)
        for subject, before in old_parts.items()
        if subject not in new_parts
    )
    if old.status is new.status and old.countries == new.countries and not kept_moved:
        return None
    return LocationDrift(asset=asset_id, old_status=old.status, new_status=new.status,
                         old_countries=old.countries, new_countries=new.countries, subjects=tuple(moved))


def _edit(old: AssetResult, new: AssetResult) -> AssetEdit | None:
    fields = (
        ("kind", old.kind.value, new.kind.value),
        ("sensitivity", old.sensitivity.value, new.sensitivity.value),
        ("target", old.target, new.target),
        ("vendor", old.vendor, new.vendor),
        ("cloud", _cloud_text(old.cloud), _cloud_text(new.cloud)),
        ("declared-country", old.declared and old.declared.country, new.declared and new.declared.country),
    )
    changes = tuple(FieldChange(field=name, old=a, new=b) for name, a, b in fields if a != b)
    return AssetEdit(asset=new.id, changes=changes) if changes else None


def _cloud_text(cloud: CloudRef | None) -> str | None:
    if cloud is None:
        return None
    text = f"{cloud.provider}:{cloud.region or '-'}"
    return f"{text} {cloud.resource}" if cloud.resource else text


def _brief(asset: AssetResult) -> AssetBrief:
    return AssetBrief(id=asset.id, kind=asset.kind, target=asset.target, verdict=asset.verdict,
                      status=asset.location.status, countries=asset.location.countries,
                      findings=len(asset.findings))


# ------------------------------------------------------------------------------------------------ identity


def _identity(result: ScanResult) -> ResultIdentity:
    return ResultIdentity(schema_version=result.schema_version, tool=result.tool,
                          generated_at=result.generated_at, offline=result.offline,
                          inventory=result.inventory, summary=result.summary)


def _source_changes(old: ScanResult, new: ScanResult) -> Iterator[SourceChange]:
    """Datasets and rule packs whose version (or, same version, content hash) differs, new order first."""
    yield from _versions_changed(
        "dataset",
        {d.id: (d.version, d.sha256) for d in old.data_sources},
        {d.id: (d.version, d.sha256) for d in new.data_sources},
    )
    yield from _versions_changed(
        "rule-pack",
        {p.id: (p.version, p.sha256) for p in old.rule_packs},
        {p.id: (p.version, p.sha256) for p in new.rule_packs},
    )


def _versions_changed(
    kind: str, old: dict[str, tuple[str, str | None]], new: dict[str, tuple[str, str | None]]
) -> Iterator[SourceChange]:
    for key in [*new, *(k for k in old if k not in new)]:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        old_text, new_text = before and before[0], after and after[0]
        if before and after and before[0] == after[0]:  # same version, other content: show the hashes
            old_text = f"{before[0]} sha256:{(before[1] or '-')[:12]}"
            new_text = f"{after[0]} sha256:{(after[1] or '-')[:12]}"
        yield SourceChange.model_validate(
            {"kind": kind, "id": key, "old_version": old_text, "new_version": new_text}
        )


# ------------------------------------------------------------------------------------------------ indexing


def _by_id(assets: Iterable[AssetResult], side: str) -> dict[str, AssetResult]:
    index: dict[str, AssetResult] = {}
    for asset in assets:
        if asset.id in index:
            raise ValueError(f"the {side} result lists asset {asset.id!r} twice; assets are matched by id")
        index[asset.id] = asset
    return index


def _by_rule(asset: AssetResult) -> dict[str, Finding]:
    index: dict[str, Finding] = {}
    for finding in asset.findings:
        if finding.rule in index:
            raise ValueError(f"asset {asset.id!r} has two findings of rule {finding.rule!r}")
        index[finding.rule] = finding
    return index


def _by_subject(parts: Iterable[SubjectLocation]) -> dict[str, SubjectLocation]:
    """Subjects by name; the first wins if a location names one twice (the fuser never does)."""
    index: dict[str, SubjectLocation] = {}
    for part in parts:
        index.setdefault(part.subject, part)
    return index
