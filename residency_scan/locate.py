"""Fuse an asset's evidence into one `Location`, under an explicit corroboration policy.

This is where "unknown is never compliant" is decided, so the policy is written out in words (it is copied
into every result) and each location carries the reason it got its status.

Vocabulary: a *subject* is one thing that was looked up (an address, a network, a cloud region, a vendor
tenant). A *source* is one independent origin of claims (a resolver plus its dataset: the embedded registry
data and a user's GeoIP database are two sources even though both are read by the geoip resolver).
The inventory's `declared` location is a source that speaks about every subject of its asset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from residency_scan.models import (
    Evidence,
    Location,
    LocationStatus,
    Strength,
    SubjectLocation,
)

POLICY_ID = "corroboration-v1"
POLICY = (
    "corroboration-v1: each looked-up subject (address, network, cloud region, vendor tenant) is located "
    "separately. It is CONFIRMED by one authoritative source (cloud region table, vendor catalog, serving CDN "
    "edge), or by two independent sources that agree (e.g. registry data and the inventory's declaration, "
    "but never registry sources alone), with no source disagreeing. Sources that disagree make it "
    "CONTRADICTED. A single measured, registered or declared source, a failed lookup, a reserved/internal "
    "address, or no evidence at all make it UNKNOWN. A declaration never confirms alone. The asset is "
    "CONFIRMED only if every subject is; unknown and contradicted locations are never compliant, and one "
    "subject confirmed abroad makes the asset abroad."
)


@dataclass
class _SourceView:
    """What one independent source says about one subject."""

    key: str
    strength: Strength
    countries: set[str] = field(default_factory=set)
    candidates: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    internal: bool = False

    @property
    def exact(self) -> bool:
        return bool(self.countries)

    @property
    def places(self) -> set[str]:
        return self.countries or self.candidates

    def describe(self) -> str:
        if self.countries:
            where = "+".join(sorted(self.countries))
        elif self.candidates:
            where = "one of " + "/".join(sorted(self.candidates))
        else:
            where = "?"
        label = self.key if self.key == self.strength.value else f"{self.key} [{self.strength.value}]"
        return f"{label} = {where}"


def _source_key(evidence: Evidence) -> str:
    """Resolver plus dataset: two datasets read by one resolver are independent sources."""
    if evidence.dataset is None or evidence.dataset == evidence.source:
        return evidence.source
    return f"{evidence.source}/{evidence.dataset}"


def _agree(a: _SourceView, b: _SourceView) -> bool:
    """Two sources agree when they can both be true of the same subject."""
    if a.exact and b.exact:
        return a.countries == b.countries
    if a.exact:
        return a.countries <= b.candidates
    if b.exact:
        return b.countries <= a.candidates
    return bool(a.candidates & b.candidates)


def _collect(subject_evidence: Iterable[Evidence]) -> dict[str, _SourceView]:
    views: dict[str, _SourceView] = {}
    for ev in subject_evidence:
        if ev.claim is None and ev.failure is None:
            continue  # supporting information (e.g. the DNS answer itself)
        key = _source_key(ev)
        view = views.get(key)
        if view is None:
            view = views[key] = _SourceView(key=key, strength=ev.strength)
        if ev.failure is not None:
            view.failures.append(ev.failure)
            continue
        claim = ev.claim
        assert claim is not None
        if claim.internal:
            view.internal = True
        if claim.country:
            view.countries.add(claim.country)
        elif claim.candidates:
            view.candidates.update(claim.candidates)
    return views


def locate_subject(subject: str, evidence: Sequence[Evidence], declared: Sequence[Evidence]) -> SubjectLocation:
    """Apply the policy to one subject; `declared` is the asset's declaration, shared by all its subjects."""
    views = _collect(evidence)
    sources = tuple(sorted(views))
    internal = any(v.internal for v in views.values())
    declared_views = _collect(declared)
    declared_text = ", ".join(v.describe() for v in declared_views.values() if v.places)

    if internal:
        reason = f"{subject} is a reserved/internal address: no public data can place it"
        reason += f"; the declaration ({declared_text}) cannot be verified" if declared_text else "; no declared site"
        return SubjectLocation(subject=subject, status=LocationStatus.UNKNOWN, internal=True,
                               sources=sources, reason=reason)

    partial = [f for v in views.values() if v.places for f in v.failures]
    if partial:  # a source located part of the subject but not all of it (e.g. a CIDR partly uncovered)
        places = sorted(set().union(*(v.places for v in views.values())))
        return SubjectLocation(subject=subject, status=LocationStatus.UNKNOWN, countries=tuple(places),
                               sources=sources, reason=f"{subject}: partly located only: " + "; ".join(partial))

    located = [v for v in views.values() if v.places]
    if not located:
        failures = [f for v in views.values() for f in v.failures]
        reason = "; ".join(failures) if failures else "no source could place it"
        return SubjectLocation(subject=subject, status=LocationStatus.UNKNOWN, sources=sources,
                               reason=f"{subject}: {reason}")

    strongest = max((v.strength for v in located), key=lambda s: s.rank)
    top = [v for v in located if v.strength is strongest]
    exact = any(v.exact for v in top)
    countries = set().union(*(v.countries for v in top)) if exact else set().union(*(v.places for v in top))

    all_views = located + [v for v in declared_views.values() if v.places]
    described = "; ".join(v.describe() for v in all_views)
    disagreeing = [(a, b) for i, a in enumerate(all_views) for b in all_views[i + 1:] if not _agree(a, b)]
    if disagreeing:
        pairs = ", ".join(f"{a.key} vs {b.key}" for a, b in disagreeing)
        return SubjectLocation(subject=subject, status=LocationStatus.CONTRADICTED, countries=tuple(sorted(countries)),
                               exact=exact, strongest=strongest, sources=sources,
                               reason=f"{subject}: sources disagree ({pairs}): {described}")

    exact_views = [v for v in located if v.exact]
    if not exact and exact_views:  # "one of DE/US" narrowed by an agreeing source that names the country
        exact, countries = True, set().union(*(v.countries for v in exact_views))

    if strongest is Strength.AUTHORITATIVE:
        status, why = LocationStatus.CONFIRMED, "an authoritative source"
    elif len(all_views) >= 2 and any(v.strength is not Strength.REGISTERED for v in all_views):
        status, why = LocationStatus.CONFIRMED, f"{len(all_views)} independent sources agree"
    elif len(all_views) >= 2:
        # RIR delegation data and a live RDAP record both come from the registry: they agree by construction.
        status = LocationStatus.UNKNOWN
        why = "only registry sources (where the network is registered, not where the machine is)"
    else:
        status = LocationStatus.UNKNOWN
        why = f"a single {strongest.value} source is not enough: corroboration needed"
    return SubjectLocation(subject=subject, status=status, countries=tuple(sorted(countries)), exact=exact,
                           strongest=strongest, sources=sources, reason=f"{subject}: {why}: {described}")


def locate(evidence: Sequence[Evidence]) -> Location:
    """Fuse all evidence about one asset into its Location (see POLICY)."""
    declared = [e for e in evidence if e.strength is Strength.DECLARED]
    by_subject: dict[str, list[Evidence]] = {}
    for ev in evidence:
        if ev.strength is Strength.DECLARED:
            continue
        if ev.claim is None and ev.failure is None:
            continue
        by_subject.setdefault(ev.subject, []).append(ev)

    if not by_subject:
        declared_views = [v for v in _collect(declared).values() if v.places]
        if declared_views:
            reason = (f"only the inventory's declaration ({', '.join(v.describe() for v in declared_views)}); "
                      "a declaration alone never confirms a location")
            declared_countries = sorted(set().union(*(v.places for v in declared_views)))
        else:
            reason, declared_countries = "no evidence about this asset's location", []
        return Location(status=LocationStatus.UNKNOWN, countries=tuple(declared_countries), reason=reason,
                        policy=POLICY_ID)

    parts = tuple(locate_subject(subject, evs, declared) for subject, evs in by_subject.items())
    statuses = {p.status for p in parts}
    if statuses == {LocationStatus.CONFIRMED}:
        status = LocationStatus.CONFIRMED
    elif LocationStatus.CONTRADICTED in statuses:
        status = LocationStatus.CONTRADICTED
    else:
        status = LocationStatus.UNKNOWN
    countries = tuple(sorted({c for p in parts for c in p.countries}))
    if len(parts) == 1:
        reason = parts[0].reason
    else:
        counts = ", ".join(f"{sum(p.status is s for p in parts)} {s.value}"
                           for s in LocationStatus if any(p.status is s for p in parts))
        reason = f"{len(parts)} subjects ({counts})"
        not_confirmed = [p.reason for p in parts if p.status is not LocationStatus.CONFIRMED]
        if not_confirmed:
            reason += ": " + "; ".join(not_confirmed[:5]) + ("; …" if len(not_confirmed) > 5 else "")
    return Location(status=status, countries=countries, parts=parts, reason=reason, policy=POLICY_ID)
