"""What every command shares: the diagnostics console and the mapping of errors to exit codes.

Errors known to residency-scan become `error: …` lines on stderr and the exit code of their class; anything
else is a bug (exit 3), shown with a traceback only with --debug, and never with local variables.
"""

from __future__ import annotations

import enum
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, NoReturn

import typer
from rich.console import Console

from residency_scan.errors import InputError, ResidencyScanError, ScanFailure
from residency_scan.models import Outcome
from residency_scan.reports.text import clean_terminal


class FailOn(enum.StrEnum):
    VIOLATION = "violation"
    INDETERMINATE = "indeterminate"
    NONE = "none"

    @property
    def threshold(self) -> Outcome | None:
        """The lowest outcome that fails, or None when nothing does."""
        return None if self is FailOn.NONE else Outcome(self.value)


class Lang(enum.StrEnum):
    EN = "en"
    FR = "fr"


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
    except BrokenPipeError:
        # The reader went away (`… | head`): not a bug, nothing left to say. Point stdout at devnull so the
        # interpreter's final flush does not raise again, and exit like a process killed by SIGPIPE would.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(141) from None
    except Exception as exc:  # a bug: say so, without locals (they may hold credentials)
        if debug:
            traceback.print_exc()
        fail(3, [f"internal error: {type(exc).__name__}: {exc}",
                  "this is a bug in residency-scan; run again with --debug for a traceback and report it"])


def use_color(flag: bool | None, writing_to_stdout: bool) -> bool:
    if flag is not None:
        return flag
    if not writing_to_stdout or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


@contextmanager
def output_stream(output: Path | None) -> Iterator[BinaryIO]:
    """The binary stream a report goes to: `output`, or stdout for None and '-'."""
    try:
        if output is None or str(output) == "-":
            yield sys.stdout.buffer
            sys.stdout.flush()
        else:
            with output.open("wb") as stream:
                yield stream
    except OSError as exc:
        raise ScanFailure(f"cannot write {output or 'standard output'}: {exc.strerror or exc}") from None


def output_width(to_stdout: bool) -> int:
    if to_stdout and sys.stdout.isatty():
        return max(80, Console().width)
    return 120
