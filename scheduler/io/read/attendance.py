"""Attendance read back for ``scheduler record``: the run's schedule and
the marks HR made, on the rosters or in a simple sheet.

What the marks mean for the next round is scheduler/rounds/record.py's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import load_workbook

from scheduler.core.domain import BookingStatus
from scheduler.core.errors import UsageError
from scheduler.core.i18n import LANGUAGES, t
from scheduler.core.messages import Msg
from scheduler.io.read import cells
from scheduler.io.read.schema import COLUMN_INDEX, label_key

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date
    from pathlib import Path

    from openpyxl.worksheet.worksheet import Worksheet

ATTENDED, NO_SHOW = BookingStatus.ATTENDED, BookingStatus.NO_SHOW
#: Rows searched for a header.
SCAN_ROWS = 30

#: Every way a mark may be written (compared after label_key).
_MARKS: dict[str, BookingStatus] = {
    label_key(k): v
    for k, v in {
        "attended": ATTENDED,
        "yes": ATTENDED,
        "已到": ATTENDED,
        "到": ATTENDED,
        "no-show": NO_SHOW,
        "no_show": NO_SHOW,
        "noshow": NO_SHOW,
        "no show": NO_SHOW,
        "未到": NO_SHOW,
        **{t("attendance.attended", lang): ATTENDED for lang in LANGUAGES},
        **{t("attendance.no_show", lang): NO_SHOW for lang in LANGUAGES},
    }.items()
}


@dataclass(frozen=True, slots=True)
class Row:
    """One appointment of the run's schedule.xlsx."""

    employee_id: str
    session_id: str
    service: str
    date: date
    slot_start: str
    product: str | None
    dose: str | None
    site_id: str = ""


def mark_key(emp: str, sid: str) -> tuple[str, str]:
    return cells.fold(emp), cells.fold(sid)


def cell_id(value: object) -> str:
    """A cell as an id: ``123`` (number) is ``123``; text normalised."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return cells.norm(str(value))


def _status(value: object, where: Msg) -> BookingStatus | None:
    text = cell_id(value)
    if not text:
        return None
    got = _MARKS.get(label_key(text))
    if got is None:
        raise UsageError(Msg("record.bad_mark", where=where, value=repr(text)))
    return got


def read_run(run_dir: Path) -> tuple[dict, list[Row]]:
    meta_path, sched = run_dir / "run.json", run_dir / "schedule.xlsx"
    for p in (meta_path, sched):
        if not p.exists():
            raise UsageError(
                Msg("record.not_run_folder", path=str(p), folder=str(run_dir))
            )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    df = pd.read_excel(
        sched, sheet_name="assignments", dtype=str, keep_default_na=False
    )
    rows = []
    for r in df.to_dict("records"):
        rows.append(
            Row(
                employee_id=r["employee_id"].strip(),
                session_id=r["session_id"].strip(),
                service=r["service"].strip(),
                date=pd.to_datetime(r["date"]).date(),
                slot_start=r["slot_start"].strip(),
                product=r["product"].strip() or None,
                dose=r["dose"].strip() or None,
                site_id=r.get("site_id", "").strip(),
            )
        )
    return meta, rows


def _find_header(
    ws: Worksheet, wanted: dict[str, set[str]], need: set[str]
) -> tuple[int, dict[str, int]] | None:
    """(row, name -> column) of the first row naming every ``need``."""
    for r, row in enumerate(
        ws.iter_rows(max_row=SCAN_ROWS, values_only=True), 1
    ):
        found: dict[str, int] = {}
        for c, v in enumerate(row, 1):
            if isinstance(v, str):
                k = label_key(v)
                for name, labels in wanted.items():
                    if k in labels and name not in found:
                        found[name] = c
        if need <= set(found):
            return r, found
    return None


def _labels(key: str, *extra: str) -> set[str]:
    return {label_key(t(key, lang)) for lang in LANGUAGES} | {
        label_key(e) for e in extra
    }


Marks = dict[tuple[str, str], BookingStatus]


def add_mark(marks: Marks, emp: str, sid: str, st: BookingStatus, where: Msg):
    k = mark_key(emp, sid)
    if marks.get(k, st) != st:
        raise UsageError(
            Msg("record.both_marks", where=where, employee=emp, session=sid)
        )
    marks[k] = st


def read_roster_marks(path: Path) -> Marks:
    """Marks from a marked rosters.xlsx: the index sheet names each
    session's sheet; each sheet has Employee ID and Attendance columns."""
    if not path.exists():
        raise UsageError(Msg("record.file_missing", path=str(path)))
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet_session: dict[str, str] = {}
        index = wb.worksheets[0]
        head = _find_header(
            index,
            {
                "session": _labels("col.session"),
                "sheet": _labels("col.sheet"),
            },
            {"session", "sheet"},
        )
        if head is not None:
            hr, cols = head
            for row in index.iter_rows(min_row=hr + 1, values_only=True):
                sid = cell_id(_at(row, cols["session"]))
                title = cell_id(_at(row, cols["sheet"]))
                if sid and title:
                    sheet_session[title] = sid
        marks: Marks = {}
        wanted = {
            "employee_id": _labels("col.employee_id"),
            "attendance": _labels("col.attendance"),
        }
        for ws in wb.worksheets[1:]:
            head = _find_header(ws, wanted, set(wanted))
            if head is None:
                continue
            sid = sheet_session.get(ws.title, ws.title)
            hr, cols = head
            for r, row in enumerate(
                ws.iter_rows(min_row=hr + 1, values_only=True), hr + 1
            ):
                emp = cell_id(_at(row, cols["employee_id"]))
                where = Msg(
                    "record.where", file=path.name, sheet=ws.title, row=r
                )
                st = _status(_at(row, cols["attendance"]), where)
                if emp and st is not None:
                    add_mark(marks, emp, sid, st, where)
        return marks
    finally:
        wb.close()


def read_sheet_marks(path: Path) -> Marks:
    """Marks from a simple sheet: employee_id, session_id, status."""
    if not path.exists():
        raise UsageError(Msg("record.attendance_missing", path=str(path)))
    bookings = COLUMN_INDEX["bookings"]
    wanted = {
        name: {k for k, v in bookings.items() if v == name}
        for name in ("employee_id", "session_id", "status")
    }
    wanted["status"] |= _labels("col.attendance")
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        marks: Marks = {}
        found = False
        for ws in wb.worksheets:
            head = _find_header(ws, wanted, set(wanted))
            if head is None:
                continue
            found = True
            hr, cols = head
            for r, row in enumerate(
                ws.iter_rows(min_row=hr + 1, values_only=True), hr + 1
            ):
                emp = cell_id(_at(row, cols["employee_id"]))
                sid = cell_id(_at(row, cols["session_id"]))
                where = Msg(
                    "record.where", file=path.name, sheet=ws.title, row=r
                )
                st = _status(_at(row, cols["status"]), where)
                if emp and sid and st is not None:
                    add_mark(marks, emp, sid, st, where)
        if not found:
            raise UsageError(Msg("record.no_mark_sheet", path=str(path)))
        return marks
    finally:
        wb.close()


def _at(row: Sequence, col: int) -> object:
    return row[col - 1] if col - 1 < len(row) else None
