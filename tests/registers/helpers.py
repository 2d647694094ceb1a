"""Register files written by the tests: a valid base, and ways to break one field of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from residency_scan.errors import InputError, Problem
from residency_scan.registers.providers import ProviderRegister
from residency_scan.registers.register_file import load_provider_register

EXAMPLE = Path(__file__).parents[2] / "examples" / "prestataires-exemple.yaml"

# Line numbers below are relied on by the tests: keep the layout.
VALID = """\
register:
  title: "Registre de test"
  updated: 2026-11-01
  source: "tests"
providers:
  - id: hebergeur-national
    name: "Hébergeur National SA"
    aliases: ["Hébergeur national", "HN"]
    qualifications:
      - level: 2
        service_types: [iaas, paas]
        decision: "Décision EX-1"
        decided: 2026-03-01
        valid_until: 2031-02-28
        source: "test"
  - id: atlas-cloud
    name: "Atlas Cloud SARL"
    qualifications:
      - {level: 1, service_types: [iaas], decision: "Décision EX-2", decided: 2026-05-15,
         valid_until: 2031-05-14, source: "test"}
"""


def write(tmp_path: Path, text: str, name: str = "register.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> ProviderRegister:
    return load_provider_register(write(tmp_path, text))


def problems(tmp_path: Path, text: str) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load(tmp_path, text)
    return list(caught.value.problems)


def only_problem(tmp_path: Path, text: str) -> Problem:
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    return found[0]
