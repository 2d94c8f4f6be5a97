"""The next round's input workbook, written for ``scheduler record``.

A copy of the run's input with the employees' history columns updated,
``horizon_start`` moved and the ``bookings`` sheet replaced; which values
go where is decided by scheduler/rounds/record.py. Nothing read is
modified: the input is opened with openpyxl and saved under a new name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from openpyxl import load_workbook

from scheduler.core.errors import UsageError
from scheduler.core.messages import Msg
from scheduler.io.read import cells
from scheduler.io.read.attendance import SCAN_ROWS, cell_id
from scheduler.io.read.schema import (
    COLUMN_INDEX,
    SETTING_INDEX,
    SHEET_INDEX,
    label_key,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from contextlib import AbstractContextManager
    from datetime import date
    from pathlib import Path

    from openpyxl.worksheet.worksheet import Worksheet

DATE_FMT = "yyyy-mm-dd"


@dataclass(frozen=True, slots=True)
class EmployeeUpdate:
    """New values of one employee's history columns (doses_received,
    last_dose_date, last_product, last_test_date), from one attended
    appointment."""

    employee_id: str
    values: dict[str, int | date | str]


#: A row of the bookings sheet: employee, session, slot, pinned, status.
BookingRow = tuple[str, str, str, bool, str]


def write_next_input(
    source: Path,
    target: Path,
    updates: Sequence[EmployeeUpdate],
    horizon: date | None,
    bookings: Sequence[BookingRow],
    keep: Callable[[], AbstractContextManager],
) -> list[str]:
    """Write the next workbook; ``keep`` (the history transaction) wraps
    its final rename. The employees of ``updates`` that the employees
    sheet lacks, once per update (their values are not written)."""
    wb = load_workbook(source)
    ws = _sheet(wb, "employees")
    if ws is None:
        raise UsageError(Msg("record.no_employees", path=str(source)))
    hr, cols = _columns(ws, "employees", "employee_id")
    where: dict[str, int] = {}
    for r in range(hr + 1, ws.max_row + 1):
        emp = cell_id(ws.cell(r, cols["employee_id"]).value)
        if emp:
            where.setdefault(cells.fold(emp), r)
    missing = []
    for u in updates:
        row = where.get(cells.fold(u.employee_id))
        if row is None:
            missing.append(u.employee_id)
            continue
        for name, value in u.values.items():
            cell = ws.cell(row, _col(ws, hr, cols, name))
            if name == "doses_received":
                cell.value = value
            elif name == "last_product":
                _set_text(cell, str(value))
            else:
                _set_date(cell, value)  # type: ignore[arg-type]
    if horizon is not None:
        _set_horizon_start(wb, horizon)
    old = _sheet(wb, "bookings")
    title = old.title if old is not None else "bookings"
    if old is not None:
        pos = wb.worksheets.index(old)
        wb.remove(old)
        bk = wb.create_sheet(title, pos)
    else:
        bk = wb.create_sheet(title)
    bk.append(["employee_id", "session_id", "slot_start", "pinned", "status"])
    for i, (emp, sid, slot, pinned, status) in enumerate(bookings, 2):
        _set_text(bk.cell(i, 1), emp)
        _set_text(bk.cell(i, 2), sid)
        _set_text(bk.cell(i, 3), slot)
        bk.cell(i, 4, "yes" if pinned else "no")
        bk.cell(i, 5, status)
    for col, width in zip("ABCDE", (12, 20, 11, 8, 10), strict=True):
        bk.column_dimensions[col].width = width
    _save(wb, target, keep)
    return missing


def _sheet(wb, name: str) -> Worksheet | None:
    for ws in wb.worksheets:
        if SHEET_INDEX.get(label_key(ws.title)) == name:
            return ws
    return None


def _columns(ws: Worksheet, sheet: str, need: str) -> tuple[int, dict]:
    """Header row and canonical column name -> column number."""
    index = COLUMN_INDEX[sheet]
    for r in range(1, min(ws.max_row, SCAN_ROWS) + 1):
        cols: dict[str, int] = {}
        for c in range(1, ws.max_column + 1):
            v = ws.cell(r, c).value
            if isinstance(v, str) and (n := index.get(label_key(v))):
                cols.setdefault(n, c)
        if need in cols:
            return r, cols
    raise UsageError(Msg("record.no_header", sheet=ws.title, column=need))


def _col(ws: Worksheet, hr: int, cols: dict, name: str) -> int:
    if name not in cols:
        c = ws.max_column + 1
        ws.cell(hr, c, name)
        cols[name] = c
    return cols[name]


def _set_date(cell, day: date) -> None:
    cell.value = day
    cell.number_format = DATE_FMT


def _set_text(cell, text: str) -> None:
    cell.value = text
    cell.number_format = "@"


def _save(wb, target: Path, keep: Callable[[], AbstractContextManager]):
    """Save to a hidden file, then rename it into place inside the history
    transaction. The slow, fallible part (saving) comes before anything
    is committed; a failed commit removes the renamed workbook. Only a
    kill between rename and commit can leave the workbook without its
    history rows: recording again (``--out``) is then safe, as history
    ignores marks it already holds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    renamed = False
    try:
        wb.save(tmp)
        with keep():
            if target.exists():  # appeared meanwhile: never overwrite
                raise UsageError(Msg("usage.file_exists", path=str(target)))
            tmp.replace(target)
            renamed = True
    except BaseException:
        if renamed:
            target.unlink(missing_ok=True)
        raise
    finally:
        tmp.unlink(missing_ok=True)


def _set_horizon_start(wb, day: date) -> None:
    ws = _sheet(wb, "settings")
    if ws is None:
        ws = wb.create_sheet("settings", 0)
        ws.append(["key", "value"])
    hr, cols = _columns(ws, "settings", "key")
    kc = cols["key"]
    vc = _col(ws, hr, cols, "value")
    for r in range(hr + 1, ws.max_row + 1):
        v = ws.cell(r, kc).value
        if isinstance(v, str) and SETTING_INDEX.get(label_key(v)) == (
            "horizon_start"
        ):
            _set_date(ws.cell(r, vc), day)
            return
    r = ws.max_row + 1
    ws.cell(r, kc, "horizon_start")
    _set_date(ws.cell(r, vc), day)
