"""The provider qualification register: which cloud providers are qualified, at which level, for what.

Decree 2-24-921 (art. 1-3, 9, 10) qualifies cloud providers at level 1 (sensitive information systems) or
level 2 (sensitive data), per service type, for at most five years. No official machine-readable list exists
(../shared/DOMAIN.md §3.4), so the register is a YAML file that an entity or a regulator maintains, each
qualification with its decision reference and source; `--providers FILE` hands it to the scan.

The runtime models are here; `register_file.load_provider_register` reads and validates the file.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import PrivateAttr

from residency_scan.models import Frozen, ServiceType


class Qualification(Frozen):
    """One qualification decision: a level, for some service types, valid from `decided` to `valid_until`.

    Both dates are inclusive: a qualification is in force on the day it was decided and on its last day.
    """

    level: Literal[1, 2]
    service_types: tuple[ServiceType, ...]
    decision: str  # e.g. "Décision DGSSI n° …"
    decided: date
    valid_until: date
    source: str  # where the decision is published (BO number, DGSSI page URL)

    def meets(self, level: int) -> bool:
        """Whether this qualification satisfies a requirement of `level`.

        NOTE: level 2 includes every level-1 requirement: decree 2-24-921 art. 5 opens with «Outre les
        exigences prévues à l'article 4» (art. 4 being level 1). The minister described the levels otherwise
        (DOMAIN.md §3.3: level 1 for whole systems, level 2 "limited" to sensitive data); we follow the
        decree's text, so a level-2 qualification answers a level-1 requirement.
        """
        return self.level >= level

    def covers(self, service_type: ServiceType) -> bool:
        return service_type in self.service_types

    def in_force(self, today: date) -> bool:
        return self.decided <= today <= self.valid_until

    def types_text(self) -> str:
        return ", ".join(t.value for t in self.service_types)


class QualifiedProvider(Frozen):
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    qualifications: tuple[Qualification, ...] = ()
    line: int | None = None  # where the provider is in the register file

    def names(self) -> tuple[str, ...]:
        """Every spelling the provider is found under: its id, its name, its aliases."""
        return (self.id, self.name, *self.aliases)

    def levels(self) -> tuple[int, ...]:
        """The distinct levels of its qualifications, in force or not, lowest first."""
        return tuple(sorted({q.level for q in self.qualifications}))


class ProviderRegister(Frozen):
    """A loaded register. `example` marks a sample that must never be taken for an official list."""

    path: str
    sha256: str
    title: str
    example: bool = False
    updated: date
    source: str | None = None
    providers: tuple[QualifiedProvider, ...] = ()
    # Every name key → its provider, built once: `find` runs for every cloud asset and qualification rule.
    _by_key: dict[str, QualifiedProvider] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        for provider in reversed(self.providers):  # the first provider with a key wins, as a scan in order did
            for name in provider.names():
                self._by_key[provider_key(name)] = provider

    def find(self, name: str) -> QualifiedProvider | None:
        """The provider whose id, name or an alias matches `name` (case, spaces and punctuation ignored)."""
        wanted = provider_key(name)
        return self._by_key.get(wanted) if wanted else None

    def describe(self) -> str:
        """How reasons name the register: its title and date, and a warning when it is only an example."""
        sample = "; an EXAMPLE register, not an official list" if self.example else ""
        return f"'{self.title}' (updated {self.updated.isoformat()}{sample})"


def provider_key(name: str) -> str:
    """A comparison key for provider names: "N+ONE", "n+one" and "N + One" are the same provider."""
    return "".join(ch for ch in name.casefold() if ch.isalnum() or ch == "+")
