"""Read the input workbook into a validated Instance.

Three steps: stream the non-empty rows of every sheet (``workbook``), match
sheets and headers to the contract and parse every cell (here), then check
what spans rows and sheets and build the domain objects (``validate``).
Every problem is collected; one :class:`InputError` lists them all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scheduler.core.errors import InputIssue
from scheduler.core.messages import Msg
from scheduler.io.read import cells
from scheduler.io.read.schema import (
    COLUMN_INDEX,
    OPTION_SHEET_KEYS,
    SESSION_OPTIONS,
    SHEET_INDEX,
    SHEETS,
    Column,
    SheetSpec,
    label_key,
)
from scheduler.io.read.table import Record, Report, Table
from scheduler.io.read.validate import build_instance
from scheduler.io.read.workbook import RawRow, RawSheet, read_raw

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from scheduler.core.domain import Instance

#: How many non-empty rows may stand above the header (titles, notes).
HEADER_SCAN_ROWS = 30

#: Explanation sheets (the template's first sheet) are skipped silently.
HELP_SHEETS = frozenset({"readme", "说明"})


def read_instance(path: str | Path, with_options: bool = False) -> Instance:
    """The workbook at ``path`` as an Instance; InputError lists every
    problem (file, sheets, columns, cells, cross-sheet references).

    ``with_options``: also read the ``session_options`` sheet (only
    ``scheduler plan-capacity`` does; a run ignores it)."""
    raw = read_raw(path)
    rep = Report()
    tables = match_sheets(
        raw.sheets, raw.other_sheets, rep, raw.epoch, with_options
    )
    return build_instance(tables, rep)


def match_sheets(
    sheets: list[RawSheet],
    others: list[str],
    rep: Report,
    epoch: datetime,
    with_options: bool = False,
) -> dict[str, Table]:
    """Canonical sheet name -> parsed Table (``present=False`` if absent)."""
    tables = {s.name: Table(s, s.name) for s in SHEETS}
    if with_options:
        tables[SESSION_OPTIONS.name] = Table(
            SESSION_OPTIONS, SESSION_OPTIONS.name
        )
    for title in others:
        rep.notice(Msg("notice.not_worksheet", sheet=title))
    for sheet in sheets:
        name = SHEET_INDEX.get(label_key(sheet.title))
        if name is None and label_key(sheet.title) in HELP_SHEETS:
            continue
        if name is None and label_key(sheet.title) in OPTION_SHEET_KEYS:
            if not with_options:
                continue  # read by plan-capacity only (capacity.md)
            name = SESSION_OPTIONS.name
        if name is None:
            rep.notice(Msg("notice.unknown_sheet", sheet=sheet.title))
            continue
        table = tables[name]
        if table.present:
            rep.issues.append(
                InputIssue(
                    sheet.title,
                    None,
                    None,
                    None,
                    Msg("sheet.twice", name=name, other=table.title),
                )
            )
            continue
        table.title, table.present = sheet.title, True
        parse_sheet(sheet, table, rep, epoch)
    for spec in SHEETS:
        t = tables[spec.name]
        if spec.required and not t.present:
            rep.sheet(
                t,
                Msg("sheet.required", name=spec.name, alias=spec.aliases[0]),
            )
    return tables


def _header_match(spec: SheetSpec, row: RawRow) -> dict[int, str]:
    """Column number -> canonical name for the cells naming a column."""
    index = COLUMN_INDEX[spec.name]
    out = {}
    for col, (value, _) in row.cells.items():
        if isinstance(value, str):
            name = index.get(label_key(value))
            if name is not None:
                out[col] = name
    return out


def find_header(
    spec: SheetSpec, rows: list[RawRow]
) -> tuple[int, dict[int, str]] | None:
    """Index in ``rows`` of the header and its matches.

    The header is the first row naming every required column (title rows
    may stand above it); failing that, the row naming the most columns, so
    the missing ones can be reported.
    """
    required = {c.name for c in spec.required_columns}
    best: tuple[int, dict[int, str]] | None = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        match = _header_match(spec, row)
        if required <= set(match.values()):
            return i, match
        if match and (best is None or len(match) > len(best[1])):
            best = (i, match)
    return best


def parse_sheet(
    sheet: RawSheet, table: Table, rep: Report, epoch: datetime
) -> None:
    """Header, then every data row's cells parsed into ``table.records``."""
    spec = table.spec
    if not sheet.rows and not spec.required:
        return  # an empty optional sheet (a template's) means no rows
    found = find_header(spec, sheet.rows)
    if found is None:
        names = ", ".join(c.name for c in spec.columns)
        rep.sheet(table, Msg("header.none", names=names))
        return
    index, match = found
    header = sheet.rows[index]
    table.header_row = header.row
    columns: dict[int, str] = {}
    for col, name in sorted(match.items()):
        text = str(header.cells[col][0]).strip()
        if name in table.headers:
            rep.issues.append(
                InputIssue(
                    table.title,
                    header.row,
                    text,
                    text,
                    Msg("column.twice", first=table.headers[name], name=name),
                )
            )
            continue
        table.headers[name] = text
        columns[col] = name
    for col, (value, _) in sorted(header.cells.items()):
        if col not in match:
            rep.notice(
                Msg("notice.unused_column", sheet=table.title, column=value)
            )
    for c in spec.required_columns:
        if c.name not in table.headers:
            if c.aliases:
                why = Msg(
                    "column.required_alias",
                    name=c.name,
                    alias=c.aliases[0],
                    row=header.row,
                )
            else:
                why = Msg("column.required", name=c.name, row=header.row)
            rep.sheet(table, why, column=c.name)
    unheaded: set[int] = set()
    specs = {columns[c]: spec.column(columns[c]) for c in columns}
    first = min(columns, default=None)
    for row in sheet.rows[index + 1 :]:
        if first is not None and is_example_row(row, first):
            continue  # a template's example row ("e.g. …" / "例: …")
        rec = _parse_row(row, columns, specs, table, sheet, rep, epoch)
        if rec is not None:
            table.records.append(rec)
        unheaded.update(c for c in row.cells if c not in header.cells)
    for col in sorted(unheaded):
        rep.notice(Msg("notice.unheaded", sheet=table.title, col=col))


#: How a template marks its example rows (first column, after NFKC).
EXAMPLE_MARKERS = ("e.g.", "例")


def is_example_row(row: RawRow, first_column: int) -> bool:
    """The row's first used cell starts with ``e.g.`` or ``例``: an example
    a template shows, skipped without a notice."""
    got = row.cells.get(first_column)
    if got is None or not isinstance(got[0], str):
        return False
    text = cells.norm(got[0]).casefold()
    return text.startswith(EXAMPLE_MARKERS)


def _parse_row(
    row: RawRow,
    columns: dict[int, str],
    specs: dict[str, Column],
    table: Table,
    sheet: RawSheet,
    rep: Report,
    epoch: datetime,
) -> Record | None:
    """Parse one data row; None if every used column is blank."""
    rec = Record(row.row)
    pending = []
    for col, name in columns.items():
        formula = sheet.uncalculated.get((row.row, col))
        if formula is not None:
            rec.raw[name] = formula
            pending.append((name, Msg("cell.uncalculated")))
            continue
        got = row.cells.get(col)
        if got is None:
            continue
        value, fmt = got
        rec.raw[name] = value
        code = cells.error_code(value)
        if code is not None:
            pending.append((name, Msg("cell.excel_error", code=code)))
            continue
        try:
            rec.values[name] = cells.parse(specs[name], value, fmt, epoch)
        except cells.CellError as e:
            pending.append((name, e.expected))
    if not rec.raw:
        return None
    for name, expected in pending:
        rep.cell(table, rec, name, expected)
    for c in table.spec.columns:
        if c.name in rec.raw:
            continue
        if c.required and c.name in table.headers:
            rep.cell(table, rec, c.name, Msg("cell.required"))
        elif c.default is not None:
            rec.values[c.name] = c.default
    return rec
