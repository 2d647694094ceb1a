"""Finding and loading rule packs: a file, a directory of files, or the name of a shipped pack.

Every problem of every file named is collected before anything is raised, so one run of `rules lint` shows
them all. Rule files go through `safe_yaml` like every other user file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from residency_scan.errors import InputError, Problem, RuleFileError
from residency_scan.inventory.suggest import did_you_mean
from residency_scan.rules.engine import Rule, RulePack, duplicate_problems
from residency_scan.rules.schema import parse_pack
from residency_scan.rules.shipped import shipped_rules_dir
from residency_scan.safe_yaml import load_yaml_text, read_text_and_sha256

MAX_RULE_FILE_BYTES = 4 * 1024 * 1024
RULE_FILE_SUFFIX = ".yaml"
TEST_CASES_SUFFIX = ".tests.yaml"
"""A pack's test cases live beside it (`decree-2-24-921.tests.yaml`); they are not a pack themselves."""


def pack_files_in(directory: Path) -> list[Path]:
    """The rule files of a directory, in name order: `*.yaml` but not the packs' `*.tests.yaml` cases."""
    return sorted(p for p in directory.iterdir()
                  if p.suffix == RULE_FILE_SUFFIX and not p.name.endswith(TEST_CASES_SUFFIX) and p.is_file())


def shipped_pack_names() -> list[str]:
    """The names `load_rule_packs` accepts for shipped packs (file names without `.yaml`)."""
    return [path.stem for path in pack_files_in(shipped_rules_dir())]


def default_rule_packs() -> list[RulePack]:
    """Every shipped pack."""
    return load_rule_packs([shipped_rules_dir()])


def load_rule_pack(path: Path) -> RulePack:
    """Load and validate one rule file, or raise RuleFileError with every problem in it."""
    display = str(path)
    try:
        text, digest = read_text_and_sha256(path, max_bytes=MAX_RULE_FILE_BYTES, what="rule file")
        root = load_yaml_text(text, display)
    except RuleFileError:
        raise
    except InputError as exc:
        raise RuleFileError(list(exc.problems)) from None
    return pack_from_yaml(root, path, digest)


def pack_from_yaml(root: object, path: Path, sha256: str) -> RulePack:
    """Build a pack from parsed YAML (LocatedDict), validating everything; raises RuleFileError."""
    spec, conditions, problems = parse_pack(root, str(path))
    if problems or spec is None:
        raise RuleFileError(problems or [Problem(str(path), "invalid rule pack")])
    raw_rules = root["rules"] if isinstance(root, dict) else []
    rules = []
    for index, (rule_spec, (condition, when)) in enumerate(zip(spec.rules, conditions, strict=True)):
        assert condition is not None  # parse_pack reports a problem for every condition it cannot compile
        line = raw_rules.line_of(index) if hasattr(raw_rules, "line_of") else None
        rules.append(Rule.from_spec(rule_spec, condition, spec.pack.id, line, when=when))
    return RulePack(id=spec.pack.id, title=spec.pack.title.en, title_fr=spec.pack.title.fr,
                    version=spec.pack.version, path=path, sha256=sha256, rules=tuple(rules),
                    text=spec.pack.text, deadline=spec.pack.deadline)


def pack_files(spec: str | Path) -> list[Path]:
    path = Path(spec)
    if path.is_file():
        return [path]
    if path.is_dir():
        files = pack_files_in(path)
        if not files:
            raise RuleFileError([Problem(str(spec), f"no *{RULE_FILE_SUFFIX} rule file in this directory")])
        return files
    names = shipped_pack_names()
    if isinstance(spec, str) and spec in names:
        return [shipped_rules_dir() / f"{spec}{RULE_FILE_SUFFIX}"]
    hint = did_you_mean(str(spec), names) if isinstance(spec, str) else None
    raise RuleFileError([Problem(str(spec), "no such rule file, directory or shipped rule pack",
                                 hint=hint or f"shipped packs: {', '.join(names) or 'none'}")])


def load_rule_packs(specs: Sequence[str | Path]) -> list[RulePack]:
    """Load every pack named by `specs` (files, directories, shipped pack names), each file once.

    Problems from all files, and ids duplicated across them, are raised together as one RuleFileError.
    """
    packs, problems = load_packs_separately(specs)
    if problems:
        raise RuleFileError(problems)
    return packs


def load_packs_separately(specs: Sequence[str | Path]) -> tuple[list[RulePack], list[Problem]]:
    """The packs that loaded and every problem (of the files that did not, and ids duplicated across packs): one
    broken file does not hide what the others say (`rules lint` reports both)."""
    problems: list[Problem] = []
    packs: list[RulePack] = []
    seen: set[Path] = set()
    for spec in specs:
        try:
            files = pack_files(spec)
        except RuleFileError as exc:
            problems.extend(exc.problems)
            continue
        for file in files:
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            try:
                packs.append(load_rule_pack(file))
            except RuleFileError as exc:
                problems.extend(exc.problems)
    problems.extend(duplicate_problems(packs))
    return packs, problems
