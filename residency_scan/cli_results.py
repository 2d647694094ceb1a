"""Commands that work on results already made: `diff` of two JSON results, `verify` and `report` of a bundle.

They never scan; cli.py registers them on the app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from residency_scan.bundle import render_from_bundle, verify_bundle
from residency_scan.cli_support import (
    FailOn,
    Lang,
    errors_to_exit_codes,
    output_stream,
    output_width,
    stderr,
    use_color,
)
from residency_scan.diff import (
    DEFAULT_MAX_ITEMS,
    DEFAULT_RESULT_MAX_BYTES,
    DiffFormat,
    diff_results,
    load_result,
    render_diff,
)
from residency_scan.gate import fails, waiver_outcomes
from residency_scan.models import Outcome
from residency_scan.reports import ReportFormat
from residency_scan.reports.text import clean_terminal


def diff_command(
    old: Annotated[Path, typer.Argument(help="The earlier JSON result.", show_default=False)],
    new: Annotated[Path, typer.Argument(help="The later JSON result.", show_default=False)],
    output_format: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.CONSOLE,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE ('-' = stdout).",
                                                metavar="FILE")] = None,
    fail_on: Annotated[FailOn, typer.Option(
        help="Exit 1 when a new or worsened finding is at or above this level.")] = FailOn.INDETERMINATE,
    lang: Annotated[Lang, typer.Option(help="Language of the console and Markdown output.")] = Lang.EN,
    color: Annotated[bool | None, typer.Option("--color/--no-color", help="Force colours on or off.",
                                               show_default=False)] = None,
    max_items: Annotated[int, typer.Option(help="Entries listed per section (console, Markdown); JSON has all.",
                                           min=1)] = DEFAULT_MAX_ITEMS,
    max_input_size: Annotated[int, typer.Option(help="Refuse result files larger than this many bytes.", min=1,
                                                metavar="BYTES")] = DEFAULT_RESULT_MAX_BYTES,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback for internal errors.")] = False,
) -> None:
    """Compare two JSON results: new, fixed and changed findings, and assets whose location changed (drift).

    Exit 0 when nothing new or worse is at or above --fail-on, 1 when something is, 2 for bad input.
    Drift and verdict changes are shown but do not fail on their own.
    """
    with errors_to_exit_codes(debug):
        newer = load_result(new, max_bytes=max_input_size, evidence=False)
        diff = diff_results(load_result(old, max_bytes=max_input_size, evidence=False), newer)
        to_stdout = output is None or str(output) == "-"
        text = render_diff(diff, output_format, color=use_color(color, to_stdout), width=output_width(to_stdout),
                           lang=lang.value, max_items=max_items)
        with output_stream(output) as stream:
            stream.write(text.encode("utf-8"))
        # the same gate as `scan --baseline`: new or worsened findings, and the new result's broken waivers
        regressions = [finding.outcome for _, finding in diff.regressions(Outcome.INDETERMINATE)]
        code = 1 if fails([*regressions, *waiver_outcomes(newer)], fail_on.threshold) else 0
    raise typer.Exit(code)


def verify(
    bundle: Annotated[Path, typer.Argument(help="An evidence bundle (directory or .zip).", show_default=False)],
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback for internal errors.")] = False,
) -> None:
    """Check every file of an evidence bundle against its manifest (and the manifest against its own hash).

    Exit 0 when everything matches, 1 naming every file altered, missing or unexpected, 2 when there is no
    bundle at that path.
    """
    with errors_to_exit_codes(debug):
        report = verify_bundle(bundle)
        if report.ok:
            typer.echo(clean_terminal(f"{bundle}: OK, {report.files_checked} files match the manifest "
                                      f"(manifest sha256 {report.manifest_sha256})"))
            code = 0
        else:
            for problem in report.problems:
                stderr.print(clean_terminal(f"error: {problem}"), soft_wrap=True)
            stderr.print(clean_terminal(f"{bundle}: FAILED, {len(report.problems)} problem(s)"), soft_wrap=True)
            code = 1
    raise typer.Exit(code)


def report(
    bundle: Annotated[Path, typer.Argument(help="An evidence bundle (directory or .zip).", show_default=False)],
    output_format: Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")] = (
        ReportFormat.HTML),
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to FILE ('-' = stdout).",
                                                metavar="FILE")] = None,
    lang: Annotated[Lang, typer.Option(help="Language of the console, Markdown and HTML reports.")] = Lang.EN,
    color: Annotated[bool | None, typer.Option("--color/--no-color", help="Force colours on or off.",
                                               show_default=False)] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback for internal errors.")] = False,
) -> None:
    """Render a report again from an evidence bundle, offline (the bundle is verified first)."""
    with errors_to_exit_codes(debug):
        to_stdout = output is None or str(output) == "-"
        rendered = render_from_bundle(bundle, output_format, color=use_color(color, to_stdout), lang=lang.value,
                                      width=output_width(to_stdout))
        with output_stream(output) as stream:
            stream.write(rendered.encode("utf-8") if isinstance(rendered, str) else rendered)
    raise typer.Exit(0)
