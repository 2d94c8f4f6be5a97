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
moved to another day is another event.

On a re-plan (the input has ``booked`` bookings: report/changes.py pairs
them with the new appointments) the files also take back what the run
that made the bookings wrote and this one no longer holds, so that an
import removes it: each booking whose UID — as that run gave it, the dose
worked out from the bookings sheet (prepare/booked.py) — none of the
person's new appointments has (a cancelled booking, the old day of a test
moved to another day, a dose whose number changed) gets an event with
that UID, the booked time and ``STATUS:CANCELLED`` in the person's file
(a person whose every booking is cancelled still gets one); each session
that the workplace's staff were booked in and no longer are gets its
session UID with ``STATUS:CANCELLED`` in the workplace's file. Every other
event is ``STATUS:CONFIRMED``, so that one booked again after a
cancellation shows again. A first run (no bookings) cancels nothing.

``SEQUENCE`` is twice the number of days from 2020-01-01 to the
horizon's start, plus one on a re-plan (the input carries ``booked``
bookings). The start grows with every round (``scheduler record`` moves
it to the day after the latest attendance marked), so calendar programs
take a later round's event, or its cancellation, as the newer version;
the one added lets a re-plan on the same start (nothing marked since)
supersede the first run. A second re-plan on that same start writes the
same number as the first re-plan.
Times are local (Asia/Shanghai, with a VTIMEZONE); a fixed DTSTAMP keeps
the files reproducible. No phone numbers anywhere. ``README.txt`` beside
them says, in the run's language, which file is for whom.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from scheduler.core.domain import Instance, Service, Session, hhmm
from scheduler.core.i18n import normalise_lang, service_label, t
from scheduler.io.write.notices import notice_dose
from scheduler.prepare.booked import booked_dose_labels
from scheduler.report.changes import booked_appointment, compute_changes

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scheduler.core.solution import Appointment, Solution
    from scheduler.report.changes import Change

TZ = ZoneInfo("Asia/Shanghai")
TZID = "Asia/Shanghai"
PEOPLE_FOLDER = "people"
#: Which file is for whom, in the run's language, beside the files.
README_NAME = "README.txt"
_UNSAFE = re.compile(r"[^\w.-]")
_SEQUENCE_EPOCH = date(2020, 1, 1)
CONFIRMED = "CONFIRMED"
CANCELLED = "CANCELLED"


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


@dataclass(frozen=True, slots=True)
class _Stamp:
    """DTSTAMP and SEQUENCE of every event of one run."""

    dtstamp: datetime
    sequence: int


def _run_stamp(instance: Instance) -> _Stamp:
    """A fixed DTSTAMP (the horizon's start) keeps the files reproducible.
    SEQUENCE: twice the days from 2020-01-01 to the horizon's start, plus
    one on a re-plan (the input carries ``booked`` bookings), so that a
    re-plan's events supersede those of the run it follows even when the
    start has not moved (see the module's docstring)."""
    start = instance.settings.horizon_start
    replan = bool(instance.active_bookings())
    return _Stamp(
        dtstamp=datetime(*start.timetuple()[:3], tzinfo=timezone.utc),
        sequence=2 * max(0, (start - _SEQUENCE_EPOCH).days) + int(replan),
    )


# A person's own appointments --------------------------------------------


def _person_summary(a: Appointment, lang: str) -> str:
    service = service_label(str(a.service), lang)
    if a.service is not Service.VACCINATION:
        return service
    what = t(
        "cal.description.vaccination",
        lang,
        dose=notice_dose(a.dose, lang),
        product=a.product or "",
    )
    return t("cal.person.summary", lang, service=service, what=what)


def _event_values(instance: Instance, a: Appointment, lang: str, stamp):
    """The properties of one person's appointment event: what, when and
    where, for that person's eyes only (no name: the file is theirs)."""
    summary = _person_summary(a, lang)
    desc = t(
        "cal.person.description",
        lang,
        session=a.session_id,
        start=hhmm(a.slot_start),
        end=hhmm(a.slot_end),
    )
    return {
        "uid": event_uid(a),
        "dtstamp": stamp.dtstamp,
        "sequence": stamp.sequence,
        "dtstart": _local(a.date, a.slot_start),
        "dtend": _local(a.date, a.slot_end),
        "summary": summary,
        "location": _where(instance, a.site_id),
        "description": desc,
        "status": CONFIRMED,
    }


def _cancelled_values(
    instance: Instance, a: Appointment, lang: str, stamp
) -> dict:
    """The event of a booking the run no longer holds, under the UID the
    run that booked it gave it, at the booked time: cancelled."""
    return {
        **_event_values(instance, a, lang, stamp),
        "summary": t(
            "cal.cancelled.summary", lang, what=_person_summary(a, lang)
        ),
        "description": t(
            "cal.person.cancelled",
            lang,
            session=a.session_id,
            start=hhmm(a.slot_start),
            end=hhmm(a.slot_end),
        ),
        "status": CANCELLED,
    }


def _event(instance: Instance, a: Appointment, lang: str, stamp) -> Event:
    """A person's appointment event, built by the icalendar library (the
    reference for the directly written ``_event_ical``)."""
    return _library_event(_event_values(instance, a, lang, stamp))


def _event_ical(
    instance: Instance,
    a: Appointment,
    lang: str,
    stamp,
    known: dict[tuple, str] | None = None,
) -> str:
    """The VEVENT of ``_event``, written directly: the icalendar library
    takes about 0.3 ms an event, which is minutes for 365,000 appointments
    (tests/io/test_calendars.py checks that both parse to the same
    event). Everyone booked in a slot for the same dose gets the same
    event but for its UID: ``known`` keeps the rest by slot and dose."""
    key = (
        a.session_id,
        a.site_id,
        a.date,
        a.slot_start,
        a.slot_end,
        a.service,
        a.dose,
        a.product,
    )
    rest = known.get(key) if known is not None else None
    if rest is None:
        rest = _vevent_rest(_event_values(instance, a, lang, stamp))
        if known is not None:
            known[key] = rest
    return _VEVENT_BEGIN + _fold(f"UID:{_text(event_uid(a))}") + rest


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
        "dtstamp": stamp.dtstamp,
        "sequence": stamp.sequence,
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
        "status": CONFIRMED,
    }


def _session_cancelled_values(
    instance: Instance, s: Session, workplace_id: str, lang: str, stamp
) -> dict:
    """A session the workplace's staff were booked in and are no longer:
    its event in the shared calendar, cancelled."""
    wp = instance.workplaces.get(workplace_id)
    what = service_label(str(s.service), lang)
    return {
        "uid": session_uid(s.id, workplace_id),
        "dtstamp": stamp.dtstamp,
        "sequence": stamp.sequence,
        "dtstart": _local(s.date, s.start),
        "dtend": _local(s.date, s.end),
        "summary": t("cal.cancelled.summary", lang, what=what),
        "location": _where(instance, s.site_id),
        "description": t(
            "cal.session.cancelled",
            lang,
            session=s.id,
            workplace=wp.name if wp else workplace_id,
        ),
        "status": CANCELLED,
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
    data = line.encode()
    if len(data) <= 75:
        return line + "\r\n"
    parts: list[str] = []
    start, most = 0, 75  # octets of the first line; 74 after a fold
    while len(data) - start > most:
        cut = start + most
        while data[cut] & 0xC0 == 0x80:  # inside a UTF-8 character
            cut -= 1
        parts.append(data[start:cut].decode())
        start, most = cut, 74
    parts.append(data[start:].decode())
    return "\r\n ".join(parts) + "\r\n"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


_VEVENT_BEGIN = "BEGIN:VEVENT\r\n"


def _vevent(ev: dict) -> str:
    """A VEVENT from the values of ``_event_values`` or
    ``_session_values``, written directly."""
    uid = _fold(f"UID:{_text(ev['uid'])}")
    return _VEVENT_BEGIN + uid + _vevent_rest(ev)


def _vevent_rest(ev: dict) -> str:
    """A VEVENT's lines after its UID."""
    lines = [
        f"DTSTAMP:{_stamp(ev['dtstamp'])}Z",
        f"SEQUENCE:{ev['sequence']}",
        f"DTSTART;TZID={TZID}:{_stamp(ev['dtstart'])}",
        f"DTEND;TZID={TZID}:{_stamp(ev['dtend'])}",
        f"SUMMARY:{_text(ev['summary'])}",
        f"LOCATION:{_text(ev['location'])}",
        f"DESCRIPTION:{_text(ev['description'])}",
        f"STATUS:{ev['status']}",
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


def booked_events(
    instance: Instance, changes: Iterable[Change]
) -> list[Appointment]:
    """The bookings read (``changes`` with an old session: kept, moved and
    cancelled, report/changes.py) as the appointments the run that booked
    them wrote into the calendars, with the dose it gave them (a
    vaccination's UID names its dose)."""
    doses = booked_dose_labels(instance)
    out = []
    for c in changes:
        if c.old_session_id is None or c.old_slot_start is None:
            continue
        dose = doses.get((c.employee_id, c.old_session_id))
        out.append(booked_appointment(instance, c, dose))
    return out


def write_calendars(
    folder: str | Path,
    instance: Instance,
    solution: Solution,
    lang: str,
    changes: list[Change] | None = None,
) -> list[Path]:
    """Into ``folder`` (created): ``README.txt`` (which file is for
    whom), a shared calendar per workplace with bookings (or sessions it
    no longer has), and in ``people/`` one calendar per person with
    appointments or cancelled ones (see the module's docstring).
    ``changes``: the bookings read against ``solution``
    (report/changes.py), else worked out here. Returns the files written
    in that order."""
    lang = normalise_lang(lang)
    if changes is None:
        changes = compute_changes(instance, solution)
    folder = Path(folder)
    people_folder = folder / PEOPLE_FOLDER
    people_folder.mkdir(parents=True, exist_ok=True)
    stamp = _run_stamp(instance)
    head = _Head(stamp.dtstamp)
    booked_all: Counter[str] = Counter()
    booked_here: dict[str, Counter[str]] = defaultdict(Counter)
    mine: dict[str, list[Appointment]] = defaultdict(list)
    for a in solution.appointments:
        e = instance.employees.get(a.employee_id)
        booked_all[a.session_id] += 1
        booked_here[e.workplace_id if e else ""][a.session_id] += 1
        mine[a.employee_id].append(a)
    # What the bookings' run wrote and this one no longer holds: a
    # person's event whose UID none of their appointments has now, a
    # workplace's session none of its staff is booked in now.
    gone: dict[str, dict[str, Appointment]] = defaultdict(dict)
    emptied: dict[str, set[str]] = defaultdict(set)
    for b in booked_events(instance, changes):
        wid = instance.employees[b.employee_id].workplace_id
        if b.session_id not in booked_here.get(wid, ()):
            emptied[wid].add(b.session_id)
        uid = event_uid(b)
        if uid not in gone[b.employee_id]:
            gone[b.employee_id][uid] = b
    for emp, apps in mine.items():
        for a in apps:
            gone[emp].pop(event_uid(a), None)
    readme = folder / README_NAME
    readme.write_text(t("cal.readme", lang), encoding="utf-8")
    written = [readme]
    taken: set[str] = set()
    for wid in sorted(set(booked_here) | set(emptied)):
        now = [
            (
                s,
                _session_values(
                    instance,
                    s,
                    wid,
                    booked_here[wid][s.id],
                    booked_all[s.id],
                    lang,
                    stamp,
                ),
            )
            for s in (instance.sessions[sid] for sid in booked_here[wid])
        ]
        now += [
            (s, _session_cancelled_values(instance, s, wid, lang, stamp))
            for s in (instance.sessions[sid] for sid in emptied[wid])
        ]
        now.sort(key=lambda x: (x[0].date, x[0].start, x[0].id))
        wp = instance.workplaces.get(wid)
        path = folder / calendar_filename(wid, taken)
        path.write_bytes(
            head.file(wp.name if wp else wid, (_vevent(v) for _, v in now))
        )
        written.append(path)
    calname = t("cal.person.calname", lang)
    taken = set()
    known: dict[tuple, str] = {}
    for emp in sorted(set(mine) | {e for e, g in gone.items() if g}):
        events = [
            (a, _event_ical(instance, a, lang, stamp, known))
            for a in mine[emp]
        ]
        events += [
            (a, _vevent(_cancelled_values(instance, a, lang, stamp)))
            for a in gone[emp].values()
        ]
        events.sort(
            key=lambda x: (
                x[0].date,
                x[0].slot_start,
                x[0].session_id,
                event_uid(x[0]),
            )
        )
        path = people_folder / safe_filename("", emp, taken)
        path.write_bytes(head.file(calname, (v for _, v in events)))
        written.append(path)
    return written
