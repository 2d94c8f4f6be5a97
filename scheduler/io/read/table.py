"""Parsed sheets and the issue collector shared by reader and validator.

A :class:`Record` keeps each cell's raw value next to its parsed one so that
any later check — even a cross-sheet one — can point at the cell exactly as
Excel shows it (sheet title, row number, header text, value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scheduler.core.errors import InputIssue

if TYPE_CHECKING:
    from scheduler.io.read.schema import SheetSpec


@dataclass(slots=True)
class Record:
    """One data row: parsed values (defaults filled in) and raw values."""

    row: int
    values: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, object] = field(default_factory=dict)
    bad: set[str] = field(default_factory=set)  # cells already reported

    def get(self, name: str) -> Any:
        """The parsed value: of the type the sheet's schema gives the
        column (hence ``Any``), None where blank without a default."""
        return self.values.get(name)

    def given(self, name: str) -> bool:
        """The cell holds a valid, non-blank value."""
        return name in self.raw and name not in self.bad


@dataclass(slots=True)
class Table:
    spec: SheetSpec
    title: str  # as written in the workbook (the spec name if absent)
    present: bool = False
    headers: dict[str, str] = field(default_factory=dict)  # name -> text
    header_row: int | None = None
    records: list[Record] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name, name)


@dataclass(slots=True)
class Report:
    """Every problem and notice found, in the order found."""

    issues: list[InputIssue] = field(default_factory=list)
    #: Notices and warnings are catalogue messages (``Msg``) where the
    #: catalogue has them: str all the same, in English.
    notices: list[str] = field(default_factory=list)
    #: Valid input that probably is not what HR meant (the run goes on).
    warnings: list[str] = field(default_factory=list)

    def cell(
        self,
        table: Table,
        rec: Record,
        column: str,
        expected: str,
        value: object = ...,
    ) -> None:
        """An issue about one cell (``column`` is the canonical name)."""
        if value is ...:
            value = rec.raw.get(column)
        rec.bad.add(column)
        self.issues.append(
            InputIssue(
                table.title, rec.row, table.header(column), value, expected
            )
        )

    def sheet(
        self,
        table: Table,
        expected: str,
        column: str | None = None,
        value: object = None,
    ) -> None:
        """An issue about a whole sheet or column (no row)."""
        col = table.header(column) if column else None
        self.issues.append(InputIssue(table.title, None, col, value, expected))

    def notice(self, text: str) -> None:
        self.notices.append(text)

    def warning(self, text: str) -> None:
        self.warnings.append(text)

    def count(self) -> int:
        return len(self.issues)
