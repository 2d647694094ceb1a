"""The inventory's own claim as evidence of strength *declared*.

Keeping the declaration as ordinary evidence (rather than a special field that locate reads) means it is shown,
fused and challenged like every other source — and the policy in `locate` makes sure it never confirms alone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from residency_scan.models import Asset, Claim, Evidence, Strength
from residency_scan.resolvers.interface import Resolver


class DeclaredResolver(Resolver):
    """An implementation of `Resolver` that turns `declared:` into one Evidence per asset."""

    name = "declared"

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def applies_to(self, asset: Asset) -> bool:
        declared = asset.declared
        return declared is not None and (declared.country is not None or declared.city is not None)

    def resolve(self, asset: Asset) -> list[Evidence]:
        declared = asset.declared
        assert declared is not None
        claim = Claim(country=declared.country, city=declared.city, provider=declared.provider)
        return [
            Evidence(
                source=self.name,
                strength=Strength.DECLARED,
                subject=asset.id,
                claim=claim,
                observed_at=self._clock(),
                raw={"declared": declared.model_dump(mode="json", exclude_none=True),
                     "inventory": asset.source.model_dump(mode="json")},
            )
        ]
