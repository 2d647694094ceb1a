"""A waiver as loaded: what the file said, what is wrong with it, and the questions a scan asks of it.

An entry that cannot be used is still a `Waiver` (with `problems`): it must appear in every report as an
invalid waiver, with its line, rather than vanish or stop the scan. Only a waiver without problems, in force on
the scan date, ever covers a finding.
"""

from __future__ import annotations

from datetime import date
from fnmatch import fnmatchcase

from residency_scan.errors import Problem
from residency_scan.models import Frozen, SourceRef, WaiverRef


class Waiver(Frozen):
    """One entry of a waiver file. Fields are None when the entry did not give a usable value."""

    id: str
    asset: str | None = None
    rule: str | None = None
    owner: str | None = None
    reason: str | None = None
    reference: str | None = None
    created: date | None = None
    expires: date | None = None
    problems: tuple[str, ...] = ()  # what makes the entry unusable whatever the date, each naming its line
    source: SourceRef
    created_line: int | None = None  # where `created` is written, to name it when it lies in the future

    def problems_on(self, today: date) -> tuple[str, ...]:
        """Every problem on the scan date: the file's own, plus a creation date after `today`.

        NOTE: a waiver created in the future is refused rather than held back until then: a waiver is recorded
        when the risk is accepted, so a later date is a typo or a backdating in reverse, and either must be
        looked at rather than silently start covering findings one day.
        """
        if self.created is None or self.created <= today:
            return self.problems
        future = Problem(self.source.path, f"created {self.created.isoformat()} is after the scan date "
                         f"{today.isoformat()}", line=self.created_line or self.source.line, field="created",
                         hint="a waiver is recorded when the risk is accepted: give the date it was granted")
        return (*self.problems, str(future))

    def is_expired(self, today: date) -> bool:
        """Past its last day (`expires` is the last day it applies)."""
        return self.expires is not None and self.expires < today

    def in_force(self, today: date) -> bool:
        """Valid and created ≤ today ≤ expires: the only state in which it covers findings."""
        return not self.problems_on(today) and not self.is_expired(today)

    def matches(self, asset_id: str, rule_id: str) -> bool:
        """Whether the asset and rule patterns both match (fnmatch, case-sensitive: ids are case-sensitive)."""
        if self.asset is None or self.rule is None:
            return False
        return fnmatchcase(asset_id, self.asset) and fnmatchcase(rule_id, self.rule)

    def ref(self) -> WaiverRef:
        """What a covered finding carries. Only for a usable waiver (every mandatory field is set)."""
        if self.owner is None or self.reason is None or self.expires is None:
            raise ValueError(f"waiver {self.id} is not usable: {'; '.join(self.problems)}")
        return WaiverRef(id=self.id, owner=self.owner, reason=self.reason, reference=self.reference,
                         expires=self.expires)
