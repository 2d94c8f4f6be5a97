"""The run's calendars (``calendars/``), in two kinds for two audiences.

``calendar-<workplace_id>.ics`` — for a calendar the whole workplace
shares: one event per session that staff of the workplace are booked in
(service, site, the session's hours, how many of the workplace are booked
and how many of the session's places are taken). No names, no employee
ids, no doses, no products: who is vaccinated with what is health data,
and a shared calendar has no need of it.

``people/<employee_id>.ics`` — for one person alone (HR sends it to them):
their own appointments, one event each, with the slot, the dose and the
product.

UIDs, so that importing a later run's file updates events instead of
adding duplicates (re-plans rely on this):

* a person's vaccination: ``<employee_id>-dose-<dose>@scheduler``
  (dose ``1``, ``2``, ``3`` … or ``booster``);
* a person's test: ``<employee_id>-test-<YYYYMMDD>@scheduler``, the test's
  date (a person has at most one test a day);
* a workplace's session: ``session-<session_id>-<workplace_id>@scheduler``.

None of a person's UIDs depends on the session or the slot: a re-plan
that moves a dose to another session, or a test to another slot or
session of the same day, changes the event rather than adding one. A test
moved to another day is another event. ``SEQUENCE`` is the number of days
from 2020-01-01 to the horizon's start, which grows with every round
(``scheduler record`` moves the start on), so calendar programs take a
later round's event as the newer version. Times are local (Asia/Shanghai,
with a VTIMEZONE); a fixed DTSTAMP keeps the files reproducible. No phone
numbers anywhere. ``README.txt`` beside them says, in the run's language,
which file is for whom.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from scheduler.core.domain import Instance, Service, Session, hhmm
from scheduler.core.i18n import normalise_lang, service_label, t
from scheduler.io.write.notices import notice_dose

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scheduler.core.solution import Appointment, Solution

TZ = ZoneInfo("Asia/Shanghai")
TZID = "Asia/Shanghai"
PEOPLE_FOLDER = "people"
#: Which file is for whom, in the run's language, beside the files.
README_NAME = "README.txt"
_UNSAFE = re.compile(r"[^\w.-]")
_SEQUENCE_EPOCH = date(2020, 1, 1)


def event_uid(a: Appointment) -> str:
    """The UID of a person's appointment: the person and the need it
    meets (dose, or test date), never the session or slot."""
    if a.service is Service.VACCINATION:
        return f"{a.employee_id}-dose-{a.dose or '?'}@scheduler"
    return f"{a.employee_id}-test-{a.date:%Y%m%d}@scheduler"


def session_uid(session_id: str, workplace_id: str) -> str:
    """The UID of a session's event in a workplace's shared calendar."""
    return f"session-{session_id}-{workplace_id}@scheduler"


def safe_filename(prefix: str, key: str, taken: set[str]) -> str:
    """``<prefix><key>.ics`` with characters unsafe in file names
    replaced; unique (ignoring case) among ``taken``, to which it is
    added."""
    base = prefix + (_UNSAFE.sub("_", key) or "_")
    name, n = f"{base}.ics", 1
    while name.casefold() in taken:
        n += 1
        name = f"{base}~{n}.ics"
    taken.add(name.casefold())
    return name


def calendar_filename(workplace_id: str, taken: set[str]) -> str:
    """``calendar-<id>.ics``, safe and unique (see :func:`safe_filename`)."""
    return safe_filename("calendar-", workplace_id, taken)


def _local(day: date, minutes: int) -> datetime:
    start = datetime(day.year, day.month, day.day)
    return (start + timedelta(minutes=minutes)).replace(tzinfo=TZ)


def _where(instance: Instance, site_id: str) -> str:
    site = instance.sites.get(site_id)
    where = [site.name if site else site_id]
    if site and site.address:
        where.append(site.address)
    return ", ".join(where)


def _sequence(instance: Instance) -> int:
    return max(0, (instance.settings.horizon_start - _SEQUENCE_EPOCH).days)


# A person's own appointments --------------------------------------------


def _event_values(instance: Instance, a: Appointment, lang: str, stamp):
    """The properties of one person's appointment event: what, when and
    where, for that person's eyes only (no name: the file is theirs)."""
    service = service_label(str(a.service), lang)
    if a.service is Service.VACCINATION:
        what = t(
            "cal.description.vaccination",
            lang,
            dose=notice_dose(a.dose, lang),
            product=a.product or "",
        )
        summary = t("cal.person.summary", lang, service=service, what=what)
    else:
        summary = service
    desc = t(
        "cal.person.description",
        lang,
        session=a.session_id,
        start=hhmm(a.slot_start),
        end=hhmm(a.slot_end),
    )
    return {
        "uid": event_uid(a),
        "dtstamp": stamp,
        "sequence": _sequence(instance),
        "dtstart": _local(a.date, a.slot_start),
        "dtend": _local(a.date, a.slot_end),
        "summary": summary,
        "location": _where(instance, a.site_id),
        "description": desc,
    }


def _event(instance: Instance, a: Appointment, lang: str, stamp) -> Event:
    """A person's appointment event, built by the icalendar library (the
    reference for the directly written ``_event_ical``)."""
    return _library_event(_event_values(instance, a, lang, stamp))


def _event_ical(instance: Instance, a: Appointment, lang: str, stamp) -> str:
    """The VEVENT of ``_event``, written directly: the icalendar library
    takes about 0.3 ms an event, which is minutes for 365,000 appointments
    (tests/io/test_calendars.py checks that both parse to the same
    event)."""
    return _vevent(_event_values(instance, a, lang, stamp))


# A workplace's shared calendar -------------------------------------------


def _places(s: Session) -> int:
    """The places a session offers: its slots, and its doses if fewer."""
    places = s.capacity_per_slot * len(s.slots)
    if s.doses_available is not None:
        places = min(places, s.doses_available)
    return places


def _session_values(
    instance: Instance,
    s: Session,
    workplace_id: str,
    booked_here: int,
    booked_all: int,
    lang: str,
    stamp,
) -> dict:
    """A session as the workplace's shared calendar shows it: figures,
    never people."""
    what = service_label(str(s.service), lang)
    wp = instance.workplaces.get(workplace_id)
    return {
        "uid": session_uid(s.id, workplace_id),
        "dtstamp": stamp,
        "sequence": _sequence(instance),
        "dtstart": _local(s.date, s.start),
        "dtend": _local(s.date, s.end),
        "summary": t("cal.session.summary", lang, what=what, n=booked_here),
        "location": _where(instance, s.site_id),
        "description": t(
            "cal.session.description",
            lang,
            session=s.id,
            workplace=wp.name if wp else workplace_id,
            n=booked_here,
            booked=booked_all,
            places=_places(s),
        ),
    }


# Writing ----------------------------------------------------------------


def _library_event(values: dict) -> Event:
    ev = Event()
    for key, value in values.items():
        ev.add(key, value)
    return ev


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
    parts: list[str] = []
    part: list[str] = []
    size = 0
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


def _vevent(ev: dict) -> str:
    """A VEVENT from the values of ``_event_values`` or
    ``_session_values``, written directly."""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_text(ev['uid'])}",
        f"DTSTAMP:{_stamp(ev['dtstamp'])}Z",
        f"SEQUENCE:{ev['sequence']}",
        f"DTSTART;TZID={TZID}:{_stamp(ev['dtstart'])}",
        f"DTEND;TZID={TZID}:{_stamp(ev['dtend'])}",
        f"SUMMARY:{_text(ev['summary'])}",
        f"LOCATION:{_text(ev['location'])}",
        f"DESCRIPTION:{_text(ev['description'])}",
        "END:VEVENT",
    ]
    return "".join(_fold(line) for line in lines)


class _Head:
    """The start of every calendar file: PRODID, VERSION and the
    VTIMEZONE, made once by the icalendar library; the calendar's name
    is put in per file."""

    def __init__(self, stamp: datetime) -> None:
        cal = Calendar()
        cal.add("prodid", "-//scheduler//vaccination and test drives//EN")
        cal.add("version", "2.0")
        cal.add("x-wr-timezone", TZID)
        # The library adds the time zone that an event uses.
        start = stamp.replace(tzinfo=None)
        cal.add_component(
            _library_event(
                {
                    "uid": "tz@scheduler",
                    "dtstamp": stamp,
                    "dtstart": start.replace(tzinfo=TZ),
                    "dtend": (start + timedelta(hours=1)).replace(tzinfo=TZ),
                }
            )
        )
        cal.add_missing_timezones()
        cal.subcomponents = [
            c for c in cal.subcomponents if c.name != "VEVENT"
        ]
        head, tail = cal.to_ical().decode().rsplit("END:VCALENDAR", 1)
        first, rest = head.split("\r\n", 1)
        self._first, self._rest = first + "\r\n", rest
        self._end = "END:VCALENDAR" + tail

    def file(self, name: str, events: Iterable[str]) -> bytes:
        text = (
            self._first
            + _fold(f"X-WR-CALNAME:{_text(name)}")
            + self._rest
            + "".join(events)
            + self._end
        )
        return text.encode()


def write_calendars(
    folder: str | Path, instance: Instance, solution: Solution, lang: str
) -> list[Path]:
    """Into ``folder`` (created): ``README.txt`` (which file is for
    whom), a shared calendar per workplace with bookings, and in
    ``people/`` one calendar per person with appointments (see the
    module's docstring). Returns the files written in that order."""
    lang = normalise_lang(lang)
    folder = Path(folder)
    people_folder = folder / PEOPLE_FOLDER
    people_folder.mkdir(parents=True, exist_ok=True)
    # A fixed stamp keeps the files reproducible run to run.
    stamp = datetime(
        *instance.settings.horizon_start.timetuple()[:3], tzinfo=timezone.utc
    )
    head = _Head(stamp)
    booked_all: Counter[str] = Counter()
    booked_here: dict[str, Counter[str]] = defaultdict(Counter)
    mine: dict[str, list[Appointment]] = defaultdict(list)
    for a in solution.appointments:
        e = instance.employees.get(a.employee_id)
        booked_all[a.session_id] += 1
        booked_here[e.workplace_id if e else ""][a.session_id] += 1
        mine[a.employee_id].append(a)
    readme = folder / README_NAME
    readme.write_text(t("cal.readme", lang), encoding="utf-8")
    written = [readme]
    taken: set[str] = set()
    for wid in sorted(booked_here):
        sessions = sorted(
            (instance.sessions[sid] for sid in booked_here[wid]),
            key=lambda s: (s.date, s.start, s.id),
        )
        events = (
            _vevent(
                _session_values(
                    instance,
                    s,
                    wid,
                    booked_here[wid][s.id],
                    booked_all[s.id],
                    lang,
                    stamp,
                )
            )
            for s in sessions
        )
        wp = instance.workplaces.get(wid)
        path = folder / calendar_filename(wid, taken)
        path.write_bytes(head.file(wp.name if wp else wid, events))
        written.append(path)
    calname = t("cal.person.calname", lang)
    taken = set()
    for emp in sorted(mine):
        apps = sorted(
            mine[emp], key=lambda a: (a.date, a.slot_start, a.session_id)
        )
        events = (_event_ical(instance, a, lang, stamp) for a in apps)
        path = people_folder / safe_filename("", emp, taken)
        path.write_bytes(head.file(calname, events))
        written.append(path)
    return written
