"""``calendars/calendar-<workplace_id>.ics``: one iCalendar file per
workplace with appointments, one VEVENT per appointment.

UIDs are stable across runs (``<employee>-<session>-<slot start>@scheduler``)
so that a calendar re-imported after a later run updates its events rather
than duplicating them. Times are local (Asia/Shanghai, with a VTIMEZONE).
No phone numbers.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from scheduler.domain import Instance, Service
from scheduler.i18n import normalise_lang, service_label, t
from scheduler.io.write_notices import notice_dose
from scheduler.solution import Appointment, Solution

TZ = ZoneInfo("Asia/Shanghai")
_UNSAFE = re.compile(r"[^\w.-]")


def event_uid(a: Appointment) -> str:
    return f"{a.employee_id}-{a.session_id}-{a.slot_start}@scheduler"


def calendar_filename(workplace_id: str, taken: set[str]) -> str:
    """``calendar-<id>.ics`` with characters unsafe in file names replaced;
    unique (ignoring case) among ``taken``, to which it is added."""
    base = "calendar-" + (_UNSAFE.sub("_", workplace_id) or "_")
    name, n = f"{base}.ics", 1
    while name.casefold() in taken:
        n += 1
        name = f"{base}~{n}.ics"
    taken.add(name.casefold())
    return name


def _local(day, minutes: int) -> datetime:
    start = datetime(day.year, day.month, day.day)
    return (start + timedelta(minutes=minutes)).replace(tzinfo=TZ)


def _event(instance: Instance, a: Appointment, lang: str, stamp) -> Event:
    e = instance.employees.get(a.employee_id)
    site = instance.sites.get(a.site_id)
    ev = Event()
    ev.add("uid", event_uid(a))
    ev.add("dtstamp", stamp)
    ev.add("dtstart", _local(a.date, a.slot_start))
    ev.add("dtend", _local(a.date, a.slot_end))
    name = e.name if e else a.employee_id
    ev.add("summary", f"{service_label(str(a.service), lang)} - {name}")
    where = [site.name if site else a.site_id]
    if site and site.address:
        where.append(site.address)
    ev.add("location", ", ".join(where))
    if a.service is Service.VACCINATION:
        desc = t(
            "cal.description.vaccination",
            lang,
            dose=notice_dose(a.dose, lang),
            product=a.product or "",
        )
    else:
        desc = t("cal.description.nucleic_test", lang)
    ev.add("description", desc)
    return ev


def write_calendars(
    folder: str | Path, instance: Instance, solution: Solution, lang: str
) -> list[Path]:
    """One ``.ics`` per workplace with appointments into ``folder``
    (created); returns the files written."""
    lang = normalise_lang(lang)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    by: dict[str, list[Appointment]] = {}
    for a in solution.appointments:
        e = instance.employees.get(a.employee_id)
        by.setdefault(e.workplace_id if e else "", []).append(a)
    # A fixed stamp keeps the files reproducible run to run.
    stamp = datetime(
        *instance.settings.horizon_start.timetuple()[:3], tzinfo=timezone.utc
    )
    taken: set[str] = set()
    written = []
    for wid in sorted(by):
        cal = Calendar()
        cal.add("prodid", "-//scheduler//vaccination and test drives//EN")
        cal.add("version", "2.0")
        wp = instance.workplaces.get(wid)
        cal.add("x-wr-calname", wp.name if wp else wid)
        cal.add("x-wr-timezone", "Asia/Shanghai")
        apps = sorted(
            by[wid],
            key=lambda a: (a.date, a.slot_start, a.session_id, a.employee_id),
        )
        for a in apps:
            cal.add_component(_event(instance, a, lang, stamp))
        cal.add_missing_timezones()
        path = folder / calendar_filename(wid, taken)
        path.write_bytes(cal.to_ical())
        written.append(path)
    return written
