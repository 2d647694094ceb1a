"""Read a provider qualification register file (`--providers FILE`) into a `ProviderRegister`.

The register decides whether a provider counts as qualified, so a mistake in it must stop the scan rather than
quietly qualify (or disqualify) someone: every problem of the file is collected, with its line, field and fix,
and raised together as one `InputError`. Beyond the field checks of `register_spec`, this module checks what
spans fields and providers:
- `valid_until` after `decided`, and at most five years after it (decree 2-24-921 art. 9);
- no id, name or alias shared by two providers, compared the way `ProviderRegister.find` compares them
  (a lookup would otherwise depend on the order of the file);
- every name has a letter or digit (`find` could never match it otherwise).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from residency_scan.errors import InputError, Problem
from residency_scan.inventory.suggest import printable
from residency_scan.models import DataSource, ServiceType
from residency_scan.registers.providers import ProviderRegister, Qualification, QualifiedProvider, provider_key
from residency_scan.registers.register_spec import PlainDate, ProviderSpec, RegisterFileSpec
from residency_scan.rules.schema import problems_from_validation
from residency_scan.safe_yaml import (
    DEFAULT_MAX_BYTES,
    LocatedDict,
    LocatedList,
    load_yaml_text,
    read_text_and_sha256,
)

WHAT = "provider register"
MAX_VALIDITY_YEARS = 5  # decree 2-24-921 art. 9
MAX_PROBLEMS = 100
DATA_SOURCE_ID = "provider-register"


def load_provider_register(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ProviderRegister:
    """Read, check and build the register at `path` (shown as given), or raise InputError with every problem."""
    text, sha256 = read_text_and_sha256(path, max_bytes=max_bytes, what=WHAT)
    display = str(path)
    return parse_provider_register(load_yaml_text(text, display), display, sha256)


def parse_provider_register(root: Any, path: str, sha256: str) -> ProviderRegister:
    """Check and build a register from YAML already parsed by `safe_yaml` (a file, or a mapping written inline
    in another file such as a rule pack's test cases: lines then point into that file)."""
    if root is None:
        raise InputError([Problem(path, f"the {WHAT} is empty",
                                  hint="start with 'register:' (title, updated, source) and 'providers:'")])
    if not isinstance(root, dict):
        raise InputError([Problem(path, f"a {WHAT} is a mapping with 'register' and 'providers'",
                                  line=getattr(root, "line", None))])
    problems: list[Problem] = []
    spec: RegisterFileSpec | None = None
    try:
        spec = RegisterFileSpec.model_validate(root)
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, path, root, "", getattr(root, "line", None),
                                                 RegisterFileSpec))
    problems.extend(_cross_checks(root.get("providers"), path))
    if problems:
        raise InputError(_capped(problems))
    assert spec is not None  # no problem means it validated
    header = spec.header
    lines = [getattr(raw, "line", None) for raw, _ in _raw_providers(root.get("providers"))]
    return ProviderRegister(
        path=path, sha256=sha256, title=header.title, example=header.example, updated=header.updated,
        source=header.source,
        providers=tuple(_runtime(provider, line) for provider, line in zip(spec.providers, lines, strict=True)),
    )


def register_data_source(register: ProviderRegister) -> DataSource:
    """The register as a dataset of the scan, so every report says which register (and which version of it)
    the qualification verdicts relied on, and flags a sample register."""
    return DataSource(
        id=DATA_SOURCE_ID,
        name=register.title,
        version=register.updated.isoformat(),
        date=register.updated,
        licence="as stated by the register's maintainer",
        url=None,
        attribution=register.source,
        sha256=register.sha256,
        note="EXAMPLE register: not an official list of qualified providers" if register.example else None,
    )


# ----------------------------------------------------------------------------------------------- reading


def _capped(problems: list[Problem]) -> list[Problem]:
    """Problems in file order, field names and messages made printable (a key may hold escapes), at most
    MAX_PROBLEMS of them."""
    shown = [Problem(p.path, printable(p.message, 2000), line=p.line,
                     field=printable(p.field, 200) if p.field else None, hint=p.hint)
             for p in sorted(problems, key=lambda p: p.line or 0)]
    if len(shown) > MAX_PROBLEMS:
        rest = len(shown) - MAX_PROBLEMS
        shown = [*shown[:MAX_PROBLEMS], Problem(shown[0].path, f"{rest} more problems not shown",
                                                hint="fix these first")]
    return shown


# ---------------------------------------------------------------------------------------- cross-checks
#
# They read the YAML itself, field by field, rather than validated providers: a provider with a wrong level
# must still have its duplicate id and its ten-year validity reported in the same run.

_DATE = TypeAdapter(PlainDate)


def _raw_providers(raw: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """Each provider mapping of the file and its field path (`providers[3]`)."""
    if isinstance(raw, list):
        for index, item in enumerate(raw):
            if isinstance(item, dict):
                yield item, f"providers[{index}]"


def _line_of(container: Any, key: str | int) -> int | None:
    """The line of an item when the value came from `safe_yaml` (a plain dict, e.g. from JSON, has none)."""
    if isinstance(container, LocatedDict) and isinstance(key, str):
        return container.line_of(key)
    if isinstance(container, LocatedList) and isinstance(key, int):
        return container.line_of(key)
    return getattr(container, "line", None)


def _cross_checks(raw_providers: Any, path: str) -> Iterator[Problem]:
    providers = list(_raw_providers(raw_providers))
    yield from _validity_problems(providers, path)
    yield from _name_problems(providers, path)


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a year that has none."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _date_or_none(value: Any) -> date | None:
    try:
        return _DATE.validate_python(value)
    except ValidationError:
        return None  # reported by the field checks


def _validity_problems(providers: list[tuple[dict[str, Any], str]], path: str) -> Iterator[Problem]:
    """Each qualification's period: it ends after it starts, and lasts at most five years (art. 9).

    The limit is read leniently by one day: from 2026-03-01, both 2031-02-28 and 2031-03-01 are accepted.
    """
    for raw, where in providers:
        qualifications = raw.get("qualifications")
        if not isinstance(qualifications, list):
            continue
        for index, item in enumerate(qualifications):
            if not isinstance(item, dict):
                continue
            decided, until = _date_or_none(item.get("decided")), _date_or_none(item.get("valid_until"))
            if decided is None or until is None:
                continue
            field = f"{where}.qualifications[{index}].valid_until"
            yield from _period_problems(decided, until, path, _line_of(item, "valid_until"), field)


def _period_problems(decided: date, until: date, path: str, line: int | None, field: str) -> Iterator[Problem]:
    if until <= decided:
        yield Problem(path, f"valid_until {until.isoformat()} is not after decided {decided.isoformat()}",
                      line=line, field=field, hint="a qualification ends after the date of its decision")
        return
    latest = add_years(decided, MAX_VALIDITY_YEARS)
    if until > latest:
        yield Problem(path, f"a qualification is valid for at most {MAX_VALIDITY_YEARS} years (decree 2-24-921 "
                            f"art. 9): decided {decided.isoformat()}, valid until {until.isoformat()}",
                      line=line, field=field,
                      hint=f"at the latest {latest.isoformat()}; a renewal is a new decision, listed separately")


def _names(raw: dict[str, Any]) -> Iterator[tuple[str, str, int | None, str]]:
    """(what, text, line, field) of every spelling `find` matches the provider under, when it is text."""
    for key in ("id", "name"):
        value = raw.get(key)
        if isinstance(value, str) and value.strip():
            yield key, value.strip(), _line_of(raw, key), f".{key}"
    aliases = raw.get("aliases")
    if isinstance(aliases, list):
        for index, alias in enumerate(aliases):
            if isinstance(alias, str) and alias.strip():
                yield "alias", alias.strip(), _line_of(aliases, index), f".aliases[{index}]"


def _name_problems(providers: list[tuple[dict[str, Any], str]], path: str) -> Iterator[Problem]:
    """Names that no lookup could find, and names two providers share (`find` would return the first)."""
    owner: dict[str, tuple[str, str, str, int | None]] = {}  # key -> (provider id, what, spelling, line)
    for raw, where in providers:
        provider_id = raw.get("id") if isinstance(raw.get("id"), str) else where
        seen_here: set[str] = set()
        for what, text, line, suffix in _names(raw):
            key = provider_key(text)
            if not key:
                yield Problem(path, f"{what} '{text}' has no letter or digit, so no inventory can name it",
                              line=line, field=where + suffix, hint="write the provider's name")
                continue
            if key in seen_here:
                continue  # the provider's own name repeated as an alias: harmless
            seen_here.add(key)
            if key in owner:
                yield _shared(path, (what, text, line, where + suffix), owner[key])
            else:
                owner[key] = (str(provider_id), what, text, line)


def _shared(path: str, here: tuple[str, str, int | None, str],
            first: tuple[str, str, str, int | None]) -> Problem:
    what, text, line, field = here
    other_id, other_what, other_text, other_line = first
    where = f"first on line {other_line}" if other_line else "written before"
    if what == "id" and other_what == "id":
        return Problem(path, f"duplicate id '{text}'", line=line, field=field,
                       hint=f"{where}; give each provider its own id")
    return Problem(path, f"{what} '{text}' is the same as the {other_what} '{other_text}' of provider "
                         f"'{other_id}' (names are compared without case, spaces or punctuation), so a lookup "
                         "would be ambiguous", line=line, field=field,
                   hint=f"{where}; keep the name on one provider only")


# -------------------------------------------------------------------------------------------- building


def _runtime(provider: ProviderSpec, line: int | None) -> QualifiedProvider:
    return QualifiedProvider(
        id=provider.id, name=provider.name, aliases=provider.aliases, line=line,
        qualifications=tuple(
            Qualification(level=q.level, service_types=tuple(ServiceType(t) for t in q.service_types),
                          decision=q.decision, decided=q.decided, valid_until=q.valid_until, source=q.source)
            for q in provider.qualifications
        ),
    )
