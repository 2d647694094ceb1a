"""`residency-scan rules list | show | lint | test`: read, review and test rule packs without scanning anything.

cli.py registers `rules_app` as the `rules` sub-command. Packs are named as everywhere else (files, directories,
shipped pack names). `show` renders a rule's `when` and `condition` back as YAML *from the compiled tree*, not
from the file: it shows what the engine will run (parameters normalised, shorthands expanded, defaults filled),
needs no second read of a file that may have changed since, and works the same for every pack. Every string
from a pack is cleaned of terminal escapes before it is printed: packs are user files.
"""

from __future__ import annotations

import enum
import re
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from residency_scan.cli_support import Lang, errors_to_exit_codes, stderr
from residency_scan.errors import InputError, Problem, UsageError
from residency_scan.inventory.suggest import did_you_mean
from residency_scan.models import LegalReference
from residency_scan.reports.text import clean_terminal, dump_json_text
from residency_scan.rules import Rule, RulePack, default_rule_packs, load_rule_packs
from residency_scan.rules.conditions import AllOf, AnyOf, Condition, Leaf, Not
from residency_scan.rules.lint import lint_paths
from residency_scan.rules.loader import load_packs_separately
from residency_scan.rules.testcases import (
    CaseResult,
    cases_path_for,
    load_pack_cases,
    pack_path_for,
    run_cases,
)

rules_app = typer.Typer(help="List, show, lint and test rule packs (docs/rules.md).", no_args_is_help=True,
                        rich_markup_mode=None)

MAX_TEXT = 4000  # a rule's quote or remediation is long; terminal escapes are still removed


class RulesFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"


RulesOption = Annotated[list[str] | None, typer.Option(
    "--rules", help="Rule pack: a YAML file, a directory of them, or a shipped pack name. Repeatable. "
                    "Default: every shipped pack.", metavar="PACK")]
FormatOption = Annotated[RulesFormat, typer.Option("--format", "-f", help="Output format.")]
LangOption = Annotated[Lang, typer.Option(help="Language of rule titles.")]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show a traceback for internal errors.")]
PacksArgument = Annotated[list[str], typer.Argument(
    help="Rule pack files, directories or shipped pack names.", show_default=False, metavar="PACK")]


def _echo(text: str) -> None:
    typer.echo(clean_terminal(text, max_len=MAX_TEXT))


def _packs(rules: list[str] | None) -> list[RulePack]:
    return load_rule_packs(rules) if rules else default_rule_packs()


def short_reference(ref: LegalReference) -> str:
    """"Décret n° 2-24-921 art. 5 §3": the text's short name and the article, '?' when the article is uncertain."""
    name = re.split(r" du | relati| \(|,", ref.text, maxsplit=1)[0].strip() or ref.text
    mark = "?" if ref.article_uncertain else ""
    if ref.article:
        return f"{name} {ref.article}{mark}"
    return f"{name} art. ?" if mark else name


def _title(rule: Rule, lang: Lang) -> str:
    return rule.title_fr if lang is Lang.FR else rule.title


@rules_app.command("list")
def list_rules(rules: RulesOption = None, output_format: FormatOption = RulesFormat.TEXT,
               lang: LangOption = Lang.EN, debug: DebugOption = False) -> None:
    """Every rule of the shipped packs (or of --rules): id, pack, severity, legal reference, title."""
    with errors_to_exit_codes(debug):
        packs = _packs(rules)
        all_rules = [rule for pack in packs for rule in pack.rules]
        if output_format is RulesFormat.JSON:
            typer.echo(dump_json_text([{
                "id": rule.id, "pack": rule.pack, "severity": rule.severity.value,
                "title": _title(rule, lang), "reference": rule.reference.model_dump(mode="json"),
                "reference_short": short_reference(rule.reference)} for rule in all_rules]))
            return
        rows = [(rule.id, rule.pack, rule.severity.value, short_reference(rule.reference), _title(rule, lang))
                for rule in all_rules]
        header = ("RULE", "PACK", "SEVERITY", "REFERENCE", "TITLE")
        cleaned = [tuple(clean_terminal(cell) for cell in row) for row in [header, *rows]]
        widths = [max(len(row[i]) for row in cleaned) for i in range(len(header) - 1)]
        for row in cleaned:
            typer.echo("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)),
                                  row[-1]]).rstrip())


# ------------------------------------------------------------------------------------------------- show


def condition_data(condition: Condition) -> Any:
    """A compiled condition as the plain YAML structure that would compile to it."""
    if isinstance(condition, AllOf | AnyOf):
        key = "all" if isinstance(condition, AllOf) else "any"
        return {key: [condition_data(child) for child in condition.children]}
    if isinstance(condition, Not):
        return {"not": condition_data(condition.child)}
    if isinstance(condition, Leaf):
        params = condition.params.model_dump(mode="json", exclude_none=True)
        if condition.shorthand is not None and list(params) == [condition.shorthand]:
            return {condition.name: params[condition.shorthand]}
        return {condition.name: params}
    raise TypeError(f"not a compiled condition: {type(condition).__name__}")  # pragma: no cover - a new node type


def condition_yaml(condition: Condition) -> str:
    return yaml.safe_dump(condition_data(condition), allow_unicode=True, sort_keys=False,
                          default_flow_style=None, width=100)


def _find_rule(packs: list[RulePack], rule_id: str) -> tuple[RulePack, Rule]:
    for pack in packs:
        for rule in pack.rules:
            if rule.id == rule_id:
                return pack, rule
    ids = [rule.id for pack in packs for rule in pack.rules]
    hint = did_you_mean(rule_id, ids) or f"rules: {', '.join(ids)}"
    raise UsageError(f"no rule '{clean_terminal(rule_id, max_len=100)}' in the packs loaded ({hint})")


def rule_document(pack: RulePack, rule: Rule) -> dict[str, Any]:
    """Everything about one rule, as JSON-able data (`rules show --format json`)."""
    info = rule.info().model_dump(mode="json")
    scope = {key: info.pop(key) for key in ("kinds", "sensitivity", "entity_types")}
    deadline = pack.deadline.model_dump(mode="json") if pack.deadline is not None else None
    return {
        **info,
        "pack": {"id": pack.id, "version": pack.version, "title": pack.title, "title_fr": pack.title_fr,
                 "path": str(pack.path), "deadline": deadline},
        "line": rule.line,
        "applies_to": {**scope, "when": condition_data(rule.when) if rule.when is not None else None},
        "condition": condition_data(rule.condition),
    }


def _reference_lines(ref: LegalReference, bullet: str) -> list[str]:
    indent = " " * len(bullet)
    lines = [f"{bullet}{ref.text}" + (f", {ref.article}" if ref.article else "")
             + (" (article number uncertain)" if ref.article_uncertain else "")]
    if ref.url:
        lines.append(f"{indent}  url: {ref.url}")
    if ref.quote:
        lines.append(f"{indent}  quote: «{ref.quote}»")
    return lines


def rule_text(pack: RulePack, rule: Rule, lang: Lang) -> list[str]:
    """The lines of `rules show` in text form."""
    where = f"{pack.path}:{rule.line}" if rule.line else str(pack.path)
    lines = [f"{rule.id}: {_title(rule, lang)}", f"pack: {pack.id} {pack.version} ({where})"]
    if pack.deadline is not None:
        deadline = pack.deadline
        label = deadline.label.fr if lang is Lang.FR else deadline.label.en
        lines.append(f"deadline: {deadline.date.isoformat()}{' (inferred, uncertain)' if deadline.uncertain else ''}"
                     f": {label} [{short_reference(deadline.reference)}]")
    lines += [f"severity: {rule.severity.value}", f"title (en): {rule.title}", f"title (fr): {rule.title_fr}",
              "reference:", *_reference_lines(rule.reference, "  ")]
    if rule.see_also:
        lines.append("see also:")
        for ref in rule.see_also:
            lines += _reference_lines(ref, "  - ")
    lists = (("kinds", rule.kinds), ("sensitivity", rule.sensitivity), ("entity_types", rule.entity_types))
    lines.append("applies to:")
    lines += [f"  {name}: {', '.join(sorted(values)) if values is not None else 'all'}" for name, values in lists]
    if rule.when is not None:
        lines += ["  when:", *("    " + line for line in condition_yaml(rule.when).splitlines())]
    lines += ["condition:", *("  " + line for line in condition_yaml(rule.condition).splitlines())]
    lines += [f"message (en): {rule.message.text}", f"message (fr): {rule.message_fr.text}",
              f"remediation (en): {rule.remediation.text}", f"remediation (fr): {rule.remediation_fr.text}"]
    return lines


@rules_app.command("show")
def show_rule(rule_id: Annotated[str, typer.Argument(help="The rule id, e.g. MA-DECREE-LOC-1.", show_default=False,
                                                     metavar="ID")],
              rules: RulesOption = None, output_format: FormatOption = RulesFormat.TEXT,
              lang: LangOption = Lang.EN, debug: DebugOption = False) -> None:
    """Everything about one rule: pack, texts in both languages, references, scope and condition."""
    with errors_to_exit_codes(debug):
        pack, rule = _find_rule(_packs(rules), rule_id)
        if output_format is RulesFormat.JSON:
            typer.echo(dump_json_text(rule_document(pack, rule)))
            return
        for line in rule_text(pack, rule, lang):
            _echo(line)


# ------------------------------------------------------------------------------------------------- lint


@rules_app.command("lint")
def lint(paths: PacksArgument,
         strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when there are warnings.")] = False,
         debug: DebugOption = False) -> None:
    """Check rule packs for errors and warnings.

    Errors: every load error, rules that can never apply, references without article or url. Warnings:
    conditions that can never fire, messages without {asset}, packs without test cases. Lines read
    `file:line: rule-id: level: message`. Exit 2 for errors, 1 for warnings with --strict, else 0.
    """
    with errors_to_exit_codes(debug):
        report = lint_paths(paths)
        for problem in report.problems:
            _echo(str(problem))
        for finding in report.findings:
            _echo(str(finding))
        errors = len(report.problems) + len(report.errors)
        stderr.print(f"{len(report.packs)} pack(s) checked: {errors} error(s), {len(report.warnings)} "
                     "warning(s)", soft_wrap=True)
        raise typer.Exit(report.exit_code(strict=strict))


# ------------------------------------------------------------------------------------------------- test


def _pack_specs(paths: list[str]) -> list[str | Path]:
    """A `<stem>.tests.yaml` names the pack beside it; anything else names packs as --rules does."""
    specs: list[str | Path] = []
    for spec in paths:
        pack = pack_path_for(Path(spec)) if Path(spec).is_file() else None
        specs.append(pack if pack is not None else spec)
    return specs


def case_line(result: CaseResult, pack: RulePack) -> str:
    """One line per case: PASS with the outcomes, or FAIL with expected vs got and the reason."""
    case = result.case
    if result.passed:
        outcomes = ", ".join(f"{r.rule}={r.got.value}" for r in result.results)
        return f"PASS {pack.id}: {case.name} ({outcomes})"
    failures = "; ".join(f"{r.rule} expected {r.expected.value}, got {r.got.value} ({r.reason})"
                         for r in result.results if not r.passed)
    return f"FAIL {pack.id}: {case.name} [{cases_path_for(pack.path)}:{case.line}]: {failures}"


@rules_app.command("test")
def run_pack_tests(paths: PacksArgument,
         require_cases: Annotated[bool, typer.Option(
             "--require-cases", help="A pack without a <stem>.tests.yaml beside it fails (exit 1).")] = False,
         debug: DebugOption = False) -> None:
    """Run the test cases each pack ships.

    The cases of `rules/x.yaml` are in `rules/x.tests.yaml` (docs/rules.md, "Test cases"). One line per case,
    PASS or FAIL. Exit 0 when all pass, 1 when one fails, 2 for a pack or cases file that cannot be read.
    """
    with errors_to_exit_codes(debug):
        packs, problems = load_packs_separately(_pack_specs(paths))
        passed = failed = missing = 0
        for pack in packs:
            cases_path = cases_path_for(pack.path)
            if not cases_path.is_file():
                missing += 1
                level = "error" if require_cases else "warning"
                stderr.print(clean_terminal(f"{level}: {pack.id}: no test cases ({cases_path} does not exist)"),
                             soft_wrap=True)
                continue
            try:
                cases = load_pack_cases(cases_path, pack)
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            for result in run_cases(cases, pack):
                _echo(case_line(result, pack))
                passed, failed = passed + result.passed, failed + (not result.passed)
        _report_problems(problems)
        stderr.print(f"{passed} passed, {failed} failed, {len(packs)} pack(s)"
                     + (f", {missing} without test cases" if missing else ""), soft_wrap=True)
        if problems:
            raise typer.Exit(2)
        raise typer.Exit(1 if failed or (require_cases and missing) else 0)


def _report_problems(problems: list[Problem]) -> None:
    for problem in problems:
        stderr.print(clean_terminal(f"error: {problem}", max_len=MAX_TEXT), soft_wrap=True)
