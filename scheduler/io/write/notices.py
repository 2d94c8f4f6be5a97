"""``notices.xlsx``: one row per employee with appointments, ready for a
mail merge.

Columns (fixed English names, as mail-merge fields): ``employee_id``,
``name``, ``workplace``, ``department``, ``change``: what is new for the
person against the bookings read (new, moved, cancelled, in the run's
language; empty when all their appointments stay as booked), so that HR
can filter the people to notify, and ``notice``: one line of text in the
run's language listing all the person's appointments (and, on a re-plan,
the booked ones cancelled). No phone numbers. Text cells are written as
strings, quote-prefixed when they start like a formula (see
:mod:`scheduler.io.write.excel`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openpyxl.styles import Alignment

from scheduler.core.domain import Instance, Service, hhmm
from scheduler.core.i18n import normalise_lang, t, weekday_label
from scheduler.io.write.excel import (
    TEXT_FORMAT,
    BulkWorkbook,
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
from scheduler.report.changes import (
    CANCELLED,
    MOVED,
    NEW,
    Change,
    booked_appointment,
    compute_changes,
)

if TYPE_CHECKING:
    from pathlib import Path

    from scheduler.core.solution import Appointment, Solution

NOTICE_COLUMNS = (
    "employee_id",
    "name",
    "workplace",
    "department",
    "change",
    "notice",
)
#: The least widths; id, name, workplace, department and change grow with
#: their text (up to 40), the notice wraps in a column NOTICE_WIDTH wide.
NOTICE_WIDTHS = [12, 8, 12, 12, 8]
NOTICE_WIDTH = 70


def notice_dose(dose: str | None, lang: str) -> str:
    if dose == "booster":
        return t("notice.dose.booster", lang)
    return t("notice.dose.n", lang, n=dose or "?")


def appointment_text(instance: Instance, a: Appointment, lang: str) -> str:
    """One appointment in words (date, weekday, slot, site, dose)."""
    site = instance.sites.get(a.site_id)
    fields = {
        "date": a.date.isoformat(),
        "weekday": weekday_label(a.date, lang),
        "start": hhmm(a.slot_start),
        "end": hhmm(a.slot_end),
        "site": site.name if site else a.site_id,
    }
    if a.service is Service.VACCINATION and a.dose is None:
        # A cancelled booking: the sheet does not say which dose it was.
        return t("notice.vaccination.any", lang, product=a.product, **fields)
    if a.service is Service.VACCINATION:
        return t(
            "notice.vaccination",
            lang,
            dose=notice_dose(a.dose, lang),
            product=a.product or "",
            **fields,
        )
    return t("notice.nucleic_test", lang, **fields)


def notice_rows(
    instance: Instance,
    solution: Solution,
    lang: str,
    changes: list[Change] | None = None,
) -> list[tuple[str, str, str, str, str, str]]:
    """(employee_id, name, workplace, department, change, notice) per
    employee with appointments or a cancelled booking, by workplace,
    department and id (``changes``: report/changes.py, else worked out
    here)."""
    lang = normalise_lang(lang)
    if changes is None:
        changes = compute_changes(instance, solution)
    by: dict[str, list[Appointment]] = {}
    for a in solution.appointments:
        by.setdefault(a.employee_id, []).append(a)
    marks: dict[str, set[str]] = {}
    cancelled: dict[str, list[Appointment]] = {}
    for c in changes:
        if c.change in (NEW, MOVED, CANCELLED):
            marks.setdefault(c.employee_id, set()).add(c.change)
        if c.change == CANCELLED:
            by.setdefault(c.employee_id, [])
            cancelled.setdefault(c.employee_id, []).append(
                _booked(instance, c)
            )
    sep = t("notice.sep", lang)
    # Everyone in a slot gets the same words: worked out once per slot.
    said: dict[tuple, str] = {}
    rows = []
    for emp_id, apps in by.items():
        e = instance.employees.get(emp_id)
        apps.sort(key=lambda a: (a.date, a.slot_start, a.session_id))
        texts = []
        for a in apps:
            key = (
                a.site_id,
                a.date,
                a.slot_start,
                a.slot_end,
                a.service,
                a.dose,
                a.product,
            )
            text = said.get(key)
            if text is None:
                text = said[key] = appointment_text(instance, a, lang)
            texts.append(text)
        for a in cancelled.get(emp_id, ()):
            what = appointment_text(instance, a, lang)
            texts.append(t("notice.cancelled", lang, what=what))
        text = sep.join(texts)
        mark = ", ".join(
            t(f"notice.change.{k}", lang)
            for k in (NEW, MOVED, CANCELLED)
            if k in marks.get(emp_id, ())
        )
        wp = instance.workplaces.get(e.workplace_id) if e else None
        rows.append(
            (
                emp_id,
                e.name if e else "",
                wp.name if wp else (e.workplace_id if e else ""),
                e.department if e else "",
                mark,
                text,
            )
        )
    rows.sort(key=lambda r: (r[2], r[3].casefold(), r[0]))
    return rows


@gc_paused()
def write_notices(
    path: str | Path,
    instance: Instance,
    solution: Solution,
    lang: str,
    *,
    protect: bool = False,
    password: str | None = None,
    changes: list[Change] | None = None,
) -> None:
    """Write sheet ``notices`` to ``path`` (``changes``: see
    ``notice_rows``)."""
    book = BulkWorkbook()
    ws = book.wb.create_sheet("notices")
    rows = notice_rows(instance, solution, lang, changes)
    widths = [
        content_width((r[c] for r in rows), w, 40)
        for c, w in enumerate(NOTICE_WIDTHS)
    ]
    widths = header_widths(NOTICE_COLUMNS, [*widths, NOTICE_WIDTH])
    set_widths(ws, widths)
    write_header(ws, 1, NOTICE_COLUMNS)
    ws.row_dimensions[1].height = header_points(NOTICE_COLUMNS, widths)
    print_setup(ws, 1, landscape=True)
    top = Alignment(vertical="top")
    ids = book.style(ws, number_format=TEXT_FORMAT, alignment=top)
    text = book.style(ws, alignment=top)
    wrap = book.style(ws, alignment=Alignment(vertical="top", wrap_text=True))

    def cells(r):
        height = cell_points(r[5], widths[5])
        return (
            height if height > 15 else None,
            [(r[0], ids), *((v, text) for v in r[1:5]), (r[5], wrap)],
        )

    book.add_rows(
        ws,
        2,
        (cells(r) for r in rows),
        count=len(rows),
        width=len(NOTICE_COLUMNS),
    )
    ws.auto_filter.ref = f"A1:F{len(rows) + 1}"
    if protect:
        protect_sheets(book.wb, password)
    book.save(path)


def _booked(instance: Instance, c: Change) -> Appointment:
    """A cancelled booking as the appointment it was (its dose unknown:
    the words leave it out)."""
    return booked_appointment(instance, c)
