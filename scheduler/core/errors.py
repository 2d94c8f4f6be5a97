"""Errors a user can act on; the CLI maps each to an exit code."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.core.messages import Msg, render


@dataclass(frozen=True, slots=True)
class InputIssue:
    """One problem in the workbook, located the way Excel shows it.

    ``row`` is the Excel row number (1-based, header row included) or None
    for a problem of a whole sheet or column. ``sheet`` and ``column`` are
    spelt as in the workbook; ``expected`` is usually a :class:`Msg` (its
    English text as a str), so ``text(lang)`` can show it in any language.
    """

    sheet: str
    row: int | None
    column: str | None
    value: object
    expected: str

    def text(self, lang: str = "en") -> str:
        """The issue as one line in ``lang``."""
        where = Msg("issue.sheet", sheet=self.sheet).render(lang)
        if self.row is not None:
            where += Msg("issue.row", row=self.row).render(lang)
        if self.column:
            where += Msg("issue.column", column=self.column).render(lang)
        shown = ""
        if self.value not in (None, ""):
            shown = Msg("issue.value", value=repr(self.value)).render(lang)
        return Msg(
            "issue.line",
            where=where,
            value=shown,
            expected=render(self.expected, lang),
        ).render(lang)

    def __str__(self) -> str:
        return self.text("en")


class SchedulerError(Exception):
    """Base of every error the CLI reports without a traceback.

    The message (``args[0]``) is a :class:`Msg` where the catalogue has
    one; ``render(lang)`` shows it in any language. ``lang`` is the
    language the error was found in (the workbook's), if known.
    """

    exit_code = 1
    lang: str | None = None

    def render(self, lang: str | None = None) -> str:
        return render(self.args[0] if self.args else "", lang or "en")


class InputError(SchedulerError):
    """The workbook cannot be scheduled; every issue found is listed."""

    exit_code = 2

    def __init__(
        self, issues: list[InputIssue], lang: str | None = None
    ) -> None:
        self.issues = list(issues)
        self.lang = lang
        super().__init__(self.report())

    def report(self, lang: str | None = None) -> str:
        lang = lang or self.lang or "en"
        n = len(self.issues)
        lines = [Msg("issue.heading", n=n, s="s" * (n != 1)).render(lang)]
        lines += [f"  - {i.text(lang)}" for i in self.issues]
        return "\n".join(lines)

    def render(self, lang: str | None = None) -> str:
        return self.report(lang)


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
