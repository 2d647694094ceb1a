"""The contract of a resolver: an asset in, Evidence out, never an exception for a single failed lookup.

A failed lookup is a value (`Evidence(failure=...)`), which `locate` turns into an *unknown* location with
that reason. Only a failure of the whole resolver (its dataset is unreadable) raises `DatasetError`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence

from residency_scan.models import Asset, DataSource, Evidence


class Resolver(abc.ABC):
    """Turns an asset into evidence about where it is.

    `resolve_all` exists so that resolvers that can batch or run concurrently (DNS, cloud APIs) override it;
    the default simply loops.
    """

    #: Short name, used as `Evidence.source`.
    name: str

    @abc.abstractmethod
    def applies_to(self, asset: Asset) -> bool:
        """Whether this resolver has anything to say about this asset."""

    @abc.abstractmethod
    def resolve(self, asset: Asset) -> list[Evidence]:
        """All evidence this resolver can gather about the asset (failures included, as values)."""

    def resolve_all(self, assets: Sequence[Asset]) -> dict[str, list[Evidence]]:
        """Evidence per asset id, for the assets this resolver applies to."""
        return {asset.id: self.resolve(asset) for asset in assets if self.applies_to(asset)}

    def data_sources(self) -> Iterable[DataSource]:
        """The datasets this resolver relies on, recorded in the result. Default: none."""
        return ()
