"""``notices.xlsx``: one row per employee with appointments, ready for a
mail merge.

Columns (fixed English names, as mail-merge fields): ``employee_id``,
``name``, ``workplace``, ``department``, ``notice``: one line of text in
the run's language listing all the person's appointments. No phone
numbers. Text cells are written as strings, quote-prefixed when they
start like a formula (see :mod:`scheduler.io.write.excel`).
"""

from __future__ import annotations

from pathlib import Path

from scheduler.core.domain import Instance, Service, hhmm
from scheduler.core.i18n import normalise_lang, t, weekday_label
from scheduler.core.solution import Appointment, Solution
from scheduler.io.write.excel import (
    TEXT_FORMAT,
    BulkWorkbook,
    gc_paused,
    protect_sheets,
    set_widths,
    write_header,
)

NOTICE_COLUMNS = ("employee_id", "name", "workplace", "department", "notice")
NOTICE_WIDTHS = [12, 16, 20, 18, 100]


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
    instance: Instance, solution: Solution, lang: str
) -> list[tuple[str, str, str, str, str]]:
    """(employee_id, name, workplace, department, notice) per employee
    with appointments, by workplace, department and id."""
    lang = normalise_lang(lang)
    by: dict[str, list[Appointment]] = {}
    for a in solution.appointments:
        by.setdefault(a.employee_id, []).append(a)
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
        text = sep.join(texts)
        wp = instance.workplaces.get(e.workplace_id) if e else None
        rows.append(
            (
                emp_id,
                e.name if e else "",
                wp.name if wp else (e.workplace_id if e else ""),
                e.department if e else "",
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
) -> None:
    """Write sheet ``notices`` to ``path``."""
    book = BulkWorkbook()
    ws = book.wb.create_sheet("notices")
    set_widths(ws, NOTICE_WIDTHS)
    ws.freeze_panes = "A2"
    write_header(ws, 1, NOTICE_COLUMNS)
    ids = book.style(ws, number_format=TEXT_FORMAT)
    text = book.style(ws)
    rows = notice_rows(instance, solution, lang)
    book.add_rows(
        ws,
        2,
        ((None, [(r[0], ids), *((v, text) for v in r[1:])]) for r in rows),
        count=len(rows),
        width=len(NOTICE_COLUMNS),
    )
    ws.auto_filter.ref = f"A1:E{len(rows) + 1}"
    if protect:
        protect_sheets(book.wb, password)
    book.save(path)
