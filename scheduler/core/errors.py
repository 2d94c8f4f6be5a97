"""Errors a user can act on; the CLI maps each to an exit code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InputIssue:
    """One problem in the workbook, located the way Excel shows it.

    ``row`` is the Excel row number (1-based, header row included) or None
    for a problem of a whole sheet or column.
    """

    sheet: str
    row: int | None
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        where = f"sheet '{self.sheet}'"
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        shown = "" if self.value in (None, "") else f": {self.value!r}"
        return f"{where}{shown} — {self.expected}"


class SchedulerError(Exception):
    """Base of every error the CLI reports without a traceback."""

    exit_code = 1


class InputError(SchedulerError):
    """The workbook cannot be scheduled; every issue found is listed."""

    exit_code = 2

    def __init__(self, issues: list[InputIssue]) -> None:
        self.issues = list(issues)
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.issues)
        lines = [f"The input workbook has {n} problem{'s' * (n != 1)}:"]
        lines += [f"  - {i}" for i in self.issues]
        return "\n".join(lines)


class UsageError(SchedulerError):
    """The command was asked for something it cannot do (a missing file, an
    output folder already in use, a bad option value)."""

    exit_code = 2


class PinnedBookingError(SchedulerError):
    """A pinned booking breaks a hard rule (domain.md rule 9)."""

    exit_code = 3


class NoSolutionError(SchedulerError):
    """The solver found no schedule within its time limit."""

    exit_code = 4


class CheckFailedError(SchedulerError):
    """The independent checker found a hard-rule violation: a bug."""

    exit_code = 5
