"""``schedule.xlsx``: the machine-readable schedule (outputs.md).

Headers are fixed English names whatever the language, ids are text cells
(``00123`` stays ``00123`` when the HR system reads it back), dates are real
date cells. The rows go through :class:`BulkWorkbook` so that a schedule
of 100 000 appointments is written in seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from scheduler.core.domain import Employee, Instance, hhmm
from scheduler.core.solution import Appointment, Solution, UnmetNeed
from scheduler.io.write.excel import (
    DATE_FORMAT,
    TEXT_FORMAT,
    BulkWorkbook,
    XfPair,
    excel_date,
    gc_paused,
    protect_sheets,
    set_widths,
    write_header,
)
from scheduler.report.changes import Change, compute_changes

ASSIGNMENT_COLUMNS = (
    "employee_id",
    "name",
    "workplace_id",
    "department",
    "team",
    "service",
    "session_id",
    "site_id",
    "date",
    "slot_start",
    "slot_end",
    "product",
    "dose",
    "travel_minutes",
)
ASSIGNMENT_WIDTHS = [12, 16, 12, 18, 14, 13, 14, 12, 11, 10, 9, 14, 8, 14]

UNMET_COLUMNS = (
    "employee_id",
    "name",
    "workplace_id",
    "department",
    "team",
    "service",
    "dose",
    "requirement_id",
    "uncovered_days",
    "need",
    "reason",
    "detail",
)
UNMET_WIDTHS = [12, 16, 12, 18, 14, 13, 8, 14, 14, 30, 14, 60]

CHANGE_COLUMNS = (
    "employee_id",
    "name",
    "service",
    "change",
    "old_session_id",
    "old_date",
    "old_slot_start",
    "new_session_id",
    "new_date",
    "new_slot_start",
)
CHANGE_WIDTHS = [12, 16, 13, 10, 14, 11, 13, 14, 11, 13]

_NOBODY = Employee(id="", name="", workplace_id="", department="")


@gc_paused()
def write_schedule(
    path: str | Path,
    instance: Instance,
    solution: Solution,
    unmet: Sequence[UnmetNeed],
    *,
    protect: bool = False,
    password: str | None = None,
) -> None:
    """Write sheets ``assignments``, ``unmet`` and ``changes`` (against
    the bookings of an earlier run) to ``path``; with
    ``protect``, every sheet is protected against edits."""
    book = BulkWorkbook()
    people = instance.employees
    apps = sorted(
        solution.appointments,
        key=lambda a: (a.date, a.slot_start, a.session_id, a.employee_id),
    )
    _sheet(
        book,
        "assignments",
        ASSIGNMENT_COLUMNS,
        ASSIGNMENT_WIDTHS,
        [(a, people.get(a.employee_id, _NOBODY)) for a in apps],
        _assignment_row,
    )
    rows = sorted(unmet, key=lambda u: _unmet_key(u, people))
    _sheet(
        book,
        "unmet",
        UNMET_COLUMNS,
        UNMET_WIDTHS,
        [(u, people.get(u.employee_id, _NOBODY)) for u in rows],
        _unmet_row,
    )
    changes = compute_changes(instance, solution)
    _sheet(
        book,
        "changes",
        CHANGE_COLUMNS,
        CHANGE_WIDTHS,
        [(c, people.get(c.employee_id, _NOBODY)) for c in changes],
        _change_row,
    )
    if protect:
        protect_sheets(book.wb, password)
    book.save(path)


def _sheet(
    book: BulkWorkbook,
    title: str,
    columns: Sequence[str],
    widths: list[float],
    items: list[tuple[Any, Employee]],
    row_of: Callable[[Any, Employee, dict[str, XfPair]], list],
) -> None:
    """One table: header, one row per item, filter, frozen header."""
    ws = book.wb.create_sheet(title)
    set_widths(ws, widths)
    ws.freeze_panes = "A2"
    write_header(ws, 1, columns)
    xf = {
        "id": book.style(ws, number_format=TEXT_FORMAT),
        "text": book.style(ws),
        "date": book.style(ws, number_format=DATE_FORMAT),
    }
    xf["num"] = xf["text"]
    book.add_rows(
        ws,
        2,
        ((None, row_of(item, e, xf)) for item, e in items),
        count=len(items),
        width=len(columns),
    )
    last = get_column_letter(len(columns))
    ws.auto_filter.ref = f"A1:{last}{len(items) + 1}"


def _person(e: Employee, xf: dict[str, XfPair]) -> list:
    return [
        (e.name, xf["text"]),
        (e.workplace_id, xf["id"]),
        (e.department, xf["text"]),
        (e.team_name, xf["text"]),
    ]


def _assignment_row(
    a: Appointment, e: Employee, xf: dict[str, XfPair]
) -> list:
    return [
        (a.employee_id, xf["id"]),
        *_person(e, xf),
        (str(a.service), xf["text"]),
        (a.session_id, xf["id"]),
        (a.site_id, xf["id"]),
        (excel_date(a.date), xf["date"]),
        (hhmm(a.slot_start), xf["text"]),
        (hhmm(a.slot_end), xf["text"]),
        (a.product, xf["text"]),
        (a.dose, xf["id"]),
        (int(a.travel_minutes), xf["num"]),
    ]


def _unmet_row(u: UnmetNeed, e: Employee, xf: dict[str, XfPair]) -> list:
    return [
        (u.employee_id, xf["id"]),
        *_person(e, xf),
        (str(u.service), xf["text"]),
        (u.dose, xf["id"]),
        (u.requirement_id, xf["id"]),
        (u.uncovered_days, xf["num"]),
        (u.need, xf["text"]),
        (u.reason, xf["text"]),
        (u.detail, xf["text"]),
    ]


def _change_row(c: Change, e: Employee, xf: dict[str, XfPair]) -> list:
    def day(d):
        return (excel_date(d), xf["date"]) if d else (None, xf["text"])

    def slot(m):
        return (hhmm(m) if m is not None else None, xf["text"])

    return [
        (c.employee_id, xf["id"]),
        (e.name, xf["text"]),
        (str(c.service), xf["text"]),
        (c.change, xf["text"]),
        (c.old_session_id, xf["id"]),
        day(c.old_date),
        slot(c.old_slot_start),
        (c.new_session_id, xf["id"]),
        day(c.new_date),
        slot(c.new_slot_start),
    ]


def _unmet_key(u: UnmetNeed, people: dict[str, Employee]) -> tuple:
    """By workplace, department and person, vaccination before tests."""
    e = people.get(u.employee_id, _NOBODY)
    return (
        e.workplace_id,
        e.department.casefold(),
        u.employee_id,
        str(u.service),
        u.requirement_id or "",
        u.dose or "",
    )
