"""The exception tree. The exit code belongs to the exception class; only the CLI turns it into an exit.

Bad input (exit 2) is reported as one or more `Problem`s, each naming the file, the line, the field, what is
wrong and how to fix it, so that a user never sees a traceback for a typo.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    path: str
    message: str
    line: int | None = None
    field: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        text = f"{where}: {what}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ResidencyScanError(Exception):
    """Base of every error the CLI knows how to report. Unknown exceptions are bugs (exit 3 with --debug)."""

    exit_code = 3


class UsageError(ResidencyScanError):
    """The command line itself is wrong (exit 2)."""

    exit_code = 2


class InputError(ResidencyScanError):
    """An input file is wrong: inventory, rule pack, waiver file... (exit 2). Carries every problem found."""

    exit_code = 2

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems))


class InventoryError(InputError):
    """The inventory cannot be loaded."""


class RuleFileError(InputError):
    """A rule pack cannot be loaded."""


class ScanFailure(ResidencyScanError):
    """Something prevented a verdict at run time (exit 3): a dataset unreadable, an output not writable."""

    exit_code = 3


class DatasetError(ScanFailure):
    """An embedded or user-supplied dataset is missing or unreadable."""
