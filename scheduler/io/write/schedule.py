"""``schedule.xlsx``: the machine-readable schedule (outputs.md).

Headers are fixed English names whatever the language, ids are text cells
(``00123`` stays ``00123`` when the HR system reads it back), dates are real
date cells. The rows go through :class:`BulkWorkbook` so that a schedule
of 100 000 appointments is written in seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from scheduler.core.domain import Employee, Instance, hhmm
from scheduler.core.i18n import t
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
from scheduler.io.write.layout import (
    cell_points,
    content_width,
    header_points,
    header_widths,
    print_setup,
)
from scheduler.report.changes import Change, compute_changes

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path

    from scheduler.core.solution import Appointment, Solution, UnmetNeed

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
#: The least width of each column; it grows with the longest text in it
#: up to MOST_WIDTH (WRAP_WIDTH for the wrapped columns of ``unmet``).
ASSIGNMENT_WIDTHS = [12, 8, 12, 12, 10, 13, 12, 8, 11, 10, 9, 10, 6, 14]
MOST_WIDTH = 40
WRAP_WIDTH = 50

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
UNMET_WIDTHS = [12, 8, 12, 12, 10, 13, 6, 14, 14, 20, 14, 30]
#: Columns of ``unmet`` (1-based) whose long text wraps.
UNMET_WRAPPED = (10, 12)

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
    "reason",
)
CHANGE_WIDTHS = [12, 8, 13, 10, 14, 11, 13, 14, 11, 13, 20]
#: Columns of ``changes`` (1-based) whose long text wraps.
CHANGE_WRAPPED = (11,)

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
    changes: list[Change] | None = None,
    lang: str = "en",
) -> None:
    """Write sheets ``assignments``, ``unmet`` and ``changes`` (against
    the bookings of an earlier run: ``changes``, else computed here,
    with no forced causes known) to ``path``; with ``protect``, every
    sheet is protected against edits. The changes' reasons are in
    ``lang``."""
    book = BulkWorkbook()
    people = instance.employees
    apps = sorted(
        solution.appointments,
        key=lambda a: (a.date, a.slot_start, a.session_id, a.employee_id),
    )
    items = [(a, people.get(a.employee_id, _NOBODY)) for a in apps]
    _sheet(
        book,
        "assignments",
        ASSIGNMENT_COLUMNS,
        ASSIGNMENT_WIDTHS,
        items,
        _assignment_row,
        _some(items, lambda i: i[0].employee_id, lambda i: i[0].session_id),
    )
    rows = sorted(unmet, key=lambda u: _unmet_key(u, people))
    items = [(u, people.get(u.employee_id, _NOBODY)) for u in rows]
    _sheet(
        book,
        "unmet",
        UNMET_COLUMNS,
        UNMET_WIDTHS,
        items,
        _unmet_row,
        items,
        wrapped=UNMET_WRAPPED,
    )
    if changes is None:
        changes = compute_changes(instance, solution)
    cost = instance.settings.change_cost
    said = {
        c.reason: t(f"change.reason.{c.reason}", lang, cost=cost)
        for c in changes
        if c.reason
    }
    items = [(c, people.get(c.employee_id, _NOBODY)) for c in changes]
    _sheet(
        book,
        "changes",
        CHANGE_COLUMNS,
        CHANGE_WIDTHS,
        items,
        lambda c, e, xf: [
            *_change_row(c, e, xf),
            (said.get(c.reason), xf["wrap"]),
        ],
        _some(
            items,
            lambda i: i[0].employee_id,
            lambda i: i[0].old_session_id,
            lambda i: i[0].new_session_id,
            lambda i: i[0].reason,
        ),
        wrapped=CHANGE_WRAPPED,
    )
    if protect:
        protect_sheets(book.wb, password)
    book.save(path)


def _some(items: list, *keys: Callable[[Any], object]) -> list:
    """The first item of each value of each key: rows that hold every
    distinct text of the table (names from people, ids from sessions),
    to size the columns without measuring 100,000 rows."""
    firsts: dict[tuple[int, object], Any] = {}
    for item in items:
        for k, key in enumerate(keys):
            firsts.setdefault((k, key(item)), item)
    chosen = {id(item): item for item in firsts.values()}
    return list(chosen.values())


def _sheet(
    book: BulkWorkbook,
    title: str,
    columns: Sequence[str],
    widths: list[float],
    items: list[tuple[Any, Employee]],
    row_of: Callable[[Any, Employee, dict[str, XfPair]], list],
    sample: Iterable[tuple[Any, Employee]],
    wrapped: Sequence[int] = (),
) -> None:
    """One table: header, one row per item, filter, frozen header; each
    column as wide as its longest text in ``sample`` (which holds every
    distinct text) within bounds, ``wrapped`` columns (1-based) wrapping
    in rows tall enough; printed on A4 landscape, one page wide."""
    ws = book.wb.create_sheet(title)
    # Top-aligned: a row made tall by a wrapped cell reads as one line.
    top = Alignment(vertical="top")
    xf = {
        "id": book.style(ws, number_format=TEXT_FORMAT, alignment=top),
        "text": book.style(ws, alignment=top),
        "date": book.style(ws, number_format=DATE_FORMAT, alignment=top),
        "wrap": book.style(
            ws, alignment=Alignment(vertical="top", wrap_text=True)
        ),
    }
    xf["num"] = xf["text"]
    shown = [row_of(item, e, xf) for item, e in sample]
    widths = header_widths(
        columns,
        [
            content_width(
                (row[c][0] for row in shown),
                w,
                WRAP_WIDTH if c + 1 in wrapped else MOST_WIDTH,
            )
            for c, w in enumerate(widths)
        ],
    )
    set_widths(ws, widths)
    write_header(ws, 1, columns)
    ws.row_dimensions[1].height = header_points(columns, widths)
    print_setup(ws, 1, landscape=True)

    def rows():
        for item, e in items:
            cells = row_of(item, e, xf)
            if not wrapped:
                yield None, cells
                continue
            height = 0.0
            for c in wrapped:
                value = cells[c - 1][0]
                cells[c - 1] = (value, xf["wrap"])
                if value:
                    height = max(height, cell_points(value, widths[c - 1]))
            yield (height if height > 15 else None), cells

    book.add_rows(ws, 2, rows(), count=len(items), width=len(columns))
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
