"""What every command shares: the diagnostics console and the mapping of errors to exit codes.

Errors known to residency-scan become `error: …` lines on stderr and the exit code of their class; anything
else is a bug (exit 3), shown with a traceback only with --debug, and never with local variables.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from rich.console import Console

from residency_scan.errors import InputError, ResidencyScanError
from residency_scan.reports.text import clean_terminal

stderr = Console(stderr=True, highlight=False, markup=False, emoji=False)


def fail(code: int, lines: list[str]) -> NoReturn:
    for line in lines:
        stderr.print(clean_terminal(line), soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def errors_to_exit_codes(debug: bool) -> Iterator[None]:
    """Known errors become `error: …` lines and their exit code; anything else is a bug (exit 3)."""
    try:
        yield
    except typer.Exit:
        raise
    except InputError as exc:
        fail(exc.exit_code, [f"error: {p}" for p in exc.problems])
    except ResidencyScanError as exc:
        fail(exc.exit_code, [f"error: {exc}"])
    except KeyboardInterrupt:
        fail(3, ["error: interrupted"])
    except Exception as exc:  # a bug: say so, without locals (they may hold credentials)
        if debug:
            traceback.print_exc()
        fail(3, [f"internal error: {type(exc).__name__}: {exc}",
                  "this is a bug in residency-scan; run again with --debug for a traceback and report it"])
