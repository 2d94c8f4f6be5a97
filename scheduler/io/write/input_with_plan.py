"""``input-with-plan.xlsx``: the input workbook with the plan's sessions.

A copy of the input (its values as Excel last showed them: the reader
reads nothing else, and a formula copied without its value would read as
never calculated), with the chosen options appended to ``sessions`` under
that sheet's own headers, and removed from ``session_options`` when they
came from there. The input file itself is only read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openpyxl import load_workbook

from scheduler.core.domain import SessionOption, hhmm
from scheduler.io.read.cells import fold
from scheduler.io.read.schema import (
    COLUMN_INDEX,
    OPTION_SHEET_KEYS,
    SESSION_OPTIONS,
    SHEET_INDEX,
    label_key,
)
from scheduler.io.write.excel import DATE_FORMAT, TEXT_FORMAT, atomic_save

if TYPE_CHECKING:
    from pathlib import Path

    from openpyxl.worksheet.worksheet import Worksheet

HEADER_SCAN_ROWS = 30


def write_input_with_plan(
    src: Path, dst: Path, chosen: list[SessionOption], from_sheet: bool
) -> Path:
    wb = load_workbook(src, data_only=True)
    sessions = options = None
    for ws in wb.worksheets:
        key = label_key(ws.title)
        if SHEET_INDEX.get(key) == "sessions":
            sessions = ws
        elif key in OPTION_SHEET_KEYS:
            options = ws
    if sessions is None:  # the reader refuses such a workbook before
        raise ValueError("no sessions sheet")
    row, cols = _header(sessions, "sessions")
    rows = range(row + 1, sessions.max_row + 1)
    last = max((r for r in rows if _used(sessions, r)), default=row)
    for i, o in enumerate(chosen, start=1):
        for name, value in _values(o).items():
            col = cols.get(name)
            if col is None or value is None:
                continue
            cell = sessions.cell(row=last + i, column=col, value=value)
            if name == "date":
                cell.number_format = DATE_FORMAT
            elif isinstance(value, str):
                cell.number_format = TEXT_FORMAT
    if from_sheet and options is not None and chosen:
        orow, ocols = _header(options, SESSION_OPTIONS.name)
        ids = {fold(o.id) for o in chosen}
        col = ocols.get("session_id")
        drop = [
            r
            for r in range(orow + 1, options.max_row + 1)
            if col
            and (v := options.cell(row=r, column=col).value) is not None
            and fold(str(v)) in ids
        ]
        for r in reversed(drop):
            options.delete_rows(r)
    atomic_save(wb, dst)
    return dst


def _used(ws: Worksheet, row: int) -> bool:
    return any(c.value not in (None, "") for c in ws[row])


def _header(ws: Worksheet, sheet: str) -> tuple[int, dict[str, int]]:
    """The header row (the first naming session_id) and column numbers."""
    index = COLUMN_INDEX[sheet]
    for r in range(1, min(ws.max_row, HEADER_SCAN_ROWS) + 1):
        cols = {
            index[label_key(c.value)]: c.column
            for c in ws[r]
            if isinstance(c.value, str) and label_key(c.value) in index
        }
        if "session_id" in cols:
            return r, cols
    raise ValueError(f"no header in sheet {ws.title}")


def _values(o: SessionOption) -> dict[str, object]:
    s = o.session
    return {
        "session_id": s.id,
        "service": str(s.service),
        "site_id": s.site_id,
        "date": s.date,
        "start": hhmm(s.start),
        "end": hhmm(s.end),
        "slot_minutes": s.slot_minutes,
        "capacity_per_slot": s.capacity_per_slot,
        "product": s.product,
        "doses_available": s.doses_available,
        "observation_seats": s.observation_seats,
        "provider": s.provider or None,
        "workplaces": ", ".join(sorted(s.workplaces or ())) or None,
    }
