"""The contract of a reporter: render a `ScanResult` to text or bytes. Reporters never resolve anything."""

from __future__ import annotations

from typing import Protocol

from residency_scan.models import ScanResult


class Reporter(Protocol):
    """One output format. The CLI writes what `render` returns (to a file, or stdout for `-o -`)."""

    def render(self, result: ScanResult) -> str | bytes: ...

