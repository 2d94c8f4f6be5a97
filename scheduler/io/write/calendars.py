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

from scheduler.core.domain import Instance, Service
from scheduler.core.i18n import normalise_lang, service_label, t
from scheduler.core.solution import Appointment, Solution
from scheduler.io.write.notices import notice_dose

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
    """The event of one appointment, built by the icalendar library."""
    ev = Event()
    for key, value in _event_values(instance, a, lang, stamp).items():
        ev.add(key, value)
    return ev


def _event_values(instance: Instance, a: Appointment, lang: str, stamp):
    """The properties of one appointment's event."""
    e = instance.employees.get(a.employee_id)
    site = instance.sites.get(a.site_id)
    name = e.name if e else a.employee_id
    where = [site.name if site else a.site_id]
    if site and site.address:
        where.append(site.address)
    if a.service is Service.VACCINATION:
        desc = t(
            "cal.description.vaccination",
            lang,
            dose=notice_dose(a.dose, lang),
            product=a.product or "",
        )
    else:
        desc = t("cal.description.nucleic_test", lang)
    return {
        "uid": event_uid(a),
        "dtstamp": stamp,
        "dtstart": _local(a.date, a.slot_start),
        "dtend": _local(a.date, a.slot_end),
        "summary": f"{service_label(str(a.service), lang)} - {name}",
        "location": ", ".join(where),
        "description": desc,
    }


def _text(value: str) -> str:
    """An iCalendar TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """A content line folded at 75 octets, never inside a character."""
    if len(line.encode()) <= 75:
        return line + "\r\n"
    parts, part, size = [], [], 0
    for ch in line:
        n = len(ch.encode())
        if size + n > (75 if not parts else 74):
            parts.append("".join(part))
            part, size = [], 0
        part.append(ch)
        size += n
    parts.append("".join(part))
    return "\r\n ".join(parts) + "\r\n"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _event_ical(instance: Instance, a: Appointment, lang: str, stamp) -> str:
    """The VEVENT of ``_event``, written directly: the icalendar library
    takes about 0.3 ms an event, which is minutes for 365,000 appointments
    (tests/io/test_notices.py checks that both parse to the same event)."""
    ev = _event_values(instance, a, lang, stamp)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_text(ev['uid'])}",
        f"DTSTAMP:{_stamp(ev['dtstamp'])}Z",
        f"DTSTART;TZID=Asia/Shanghai:{_stamp(ev['dtstart'])}",
        f"DTEND;TZID=Asia/Shanghai:{_stamp(ev['dtend'])}",
        f"SUMMARY:{_text(ev['summary'])}",
        f"LOCATION:{_text(ev['location'])}",
        f"DESCRIPTION:{_text(ev['description'])}",
        "END:VEVENT",
    ]
    return "".join(_fold(line) for line in lines)


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
        # The library writes the header and the time zone (from one
        # event); the events themselves are written directly.
        cal.add_component(_event(instance, apps[0], lang, stamp))
        cal.add_missing_timezones()
        cal.subcomponents = [
            c for c in cal.subcomponents if c.name != "VEVENT"
        ]
        head, end = cal.to_ical().decode().rsplit("END:VCALENDAR", 1)
        events = "".join(_event_ical(instance, a, lang, stamp) for a in apps)
        path = folder / calendar_filename(wid, taken)
        path.write_bytes((head + events + "END:VCALENDAR" + end).encode())
        written.append(path)
    return written
