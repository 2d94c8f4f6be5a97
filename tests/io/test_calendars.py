"""The .ics calendars: per-session events for a workplace's shared
calendar, each person's own appointments in a file of their own."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime

import pytest
from icalendar import Calendar

from scheduler.core.domain import (
    Absence,
    Booking,
    BookingStatus,
    Service,
    SiteKind,
)
from scheduler.core.solution import Solution
from scheduler.io.write.calendars import (
    _event,
    _fold,
    _run_stamp,
    write_calendars,
)
from tests.factories import (
    make_appointment,
    make_employee,
    make_instance,
    make_session,
    make_site,
    make_workplace,
)

PHONES = ("13812345678", "139-0000-1234", "13900001234", "13900005678")
#: How a dose reads in either language (see i18n, notice.dose.*).
DOSE_WORDS = ("dose", "booster", "剂", "加强")


def case():
    """Three people in two workplaces; 00123 has a dose and a test, E2 a
    booster in the same session, E3 nothing."""
    vac = make_session("V1", date=date(2021, 6, 8), start=840, end=900)
    vac2 = make_session(
        "V2", date=date(2021, 6, 9), start=540, end=600, product="Ad5-nCoV"
    )
    pcr = make_session(
        "T/2",
        service=Service.NUCLEIC_TEST,
        date=date(2021, 6, 10),
        site_id="NT3",
        start=495,
        end=525,
        slot_minutes=15,
    )
    pcr2 = make_session(
        "T3",
        service=Service.NUCLEIC_TEST,
        date=date(2021, 6, 10),
        site_id="NT3",
        start=900,
        end=960,
        slot_minutes=15,
    )
    instance = make_instance(
        employees=[
            make_employee(
                "00123", name="张三", department="Cards", phone="13812345678"
            ),
            make_employee(
                "E2",
                name="Evil, Name; Jr",
                department="-Ops",
                workplace_id="W/2",
                phone="+86 139-0000-1234",
            ),
            make_employee("E3", name="Idle Person", phone="13900005678"),
        ],
        sessions=[vac, vac2, pcr, pcr2],
        workplaces=[
            make_workplace("W1", name="New Tower"),
            make_workplace("W/2", name="+Old Tower"),
        ],
        sites=[
            make_site(
                "SITE1",
                kind=SiteKind.COMMUNITY,
                workplace_id=None,
                name="Xiangmihu Community Health Centre",
                address="1 Xiangmihu Rd",
            ),
            make_site("NT3", name="New Tower 3F", workplace_id="W1"),
        ],
        travel={("W1", "SITE1"): 10, ("W/2", "SITE1"): 10, ("W/2", "NT3"): 5},
    )
    solution = Solution(
        appointments=(
            make_appointment(pcr, "00123"),
            make_appointment(vac, "00123", dose="2"),
            make_appointment(vac, "E2", slot=1, dose="booster"),
        )
    )
    return instance, solution


def events_of(path) -> list:
    return list(Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def test_shared_calendars_hold_sessions_not_people(tmp_path):
    """One event per session booked by the workplace's staff, with the
    figures; no name, employee id, dose, product or phone of anyone."""
    instance, solution = case()
    write_calendars(tmp_path, instance, solution, "en")
    shared = sorted(tmp_path.glob("calendar-*.ics"))
    assert [p.name for p in shared] == ["calendar-W1.ics", "calendar-W_2.ics"]
    for lang in ("en", "zh"):
        write_calendars(tmp_path / lang, instance, solution, lang)
        for path in sorted((tmp_path / lang).glob("calendar-*.ics")):
            raw = path.read_text(encoding="utf-8")
            unfolded = raw.replace("\r\n ", "")
            for e in instance.employees.values():
                assert e.name not in unfolded
                assert e.name.replace(",", "\\,") not in unfolded
                assert e.id not in unfolded
            assert not any(p in unfolded for p in PHONES)
            lowered = unfolded.lower()
            assert not any(word in lowered for word in DOSE_WORDS), path
            assert "CoronaVac" not in unfolded
    w1 = {str(e["UID"]): e for e in events_of(tmp_path / "calendar-W1.ics")}
    assert set(w1) == {
        "session-V1-W1@scheduler",
        "session-T/2-W1@scheduler",
    }
    vac = w1["session-V1-W1@scheduler"]
    assert str(vac["SUMMARY"]) == "Vaccination: 1 booked"
    assert vac.decoded("DTSTART").replace(tzinfo=None) == datetime(
        2021, 6, 8, 14, 0
    )
    assert vac.decoded("DTEND").replace(tzinfo=None) == datetime(
        2021, 6, 8, 15, 0
    )
    # V1 has 2 slots of 2 places; 00123 (W1) and E2 (W/2) are booked.
    assert str(vac["DESCRIPTION"]) == (
        "Session V1. New Tower: 1 booked. "
        "All workplaces: 2 of 4 places booked."
    )
    assert str(vac["LOCATION"]) == (
        "Xiangmihu Community Health Centre, 1 Xiangmihu Rd"
    )
    w2 = events_of(tmp_path / "calendar-W_2.ics")
    assert [str(e["UID"]) for e in w2] == ["session-V1-W/2@scheduler"]


def test_each_person_gets_exactly_their_appointments(tmp_path):
    """people/<id>.ics: one event per appointment of that person, with the
    slot, dose and product; nobody else's name or id; none for E3."""
    instance, solution = case()
    written = write_calendars(tmp_path, instance, solution, "en")
    assert "people/<employee_id>.ics" in (tmp_path / "README.txt").read_text(
        encoding="utf-8"
    )
    people = tmp_path / "people"
    assert sorted(p.name for p in people.iterdir()) == [
        "00123.ics",
        "E2.ics",
    ]
    assert set(written) >= set(people.iterdir())
    for emp in ("00123", "E2"):
        path = people / f"{emp}.ics"
        mine = [a for a in solution.appointments if a.employee_id == emp]
        events = events_of(path)
        assert sorted(
            (e.decoded("DTSTART").replace(tzinfo=None), str(e["UID"]))
            for e in events
        ) == sorted(
            (
                datetime(a.date.year, a.date.month, a.date.day)
                + (
                    datetime.min.replace(
                        hour=a.slot_start // 60, minute=a.slot_start % 60
                    )
                    - datetime.min
                ),
                f"{emp}-dose-{a.dose}@scheduler"
                if a.service is Service.VACCINATION
                else f"{emp}-test-{a.date:%Y%m%d}@scheduler",
            )
            for a in mine
        )
        raw = path.read_text(encoding="utf-8").replace("\r\n ", "")
        for other in instance.employees.values():
            if other.id != emp:
                assert other.id not in raw
                assert other.name not in raw
        assert not any(p in raw for p in PHONES)
    dose = next(
        e
        for e in events_of(people / "00123.ics")
        if str(e["UID"]) == "00123-dose-2@scheduler"
    )
    assert str(dose["SUMMARY"]) == "Vaccination (dose 2, CoronaVac)"
    assert str(dose["DESCRIPTION"]) == "Session V1, slot 14:00-14:30."
    assert dose["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert dose.decoded("DTSTART").utcoffset().total_seconds() == 8 * 3600
    cal = Calendar.from_ical((people / "E2.ics").read_bytes())
    assert [c.name for c in cal.walk("VTIMEZONE")] == ["VTIMEZONE"]
    assert str(cal["X-WR-CALNAME"]) == "My vaccination and test appointments"
    (booster,) = cal.walk("VEVENT")
    assert str(booster["SUMMARY"]) == "Vaccination (booster, CoronaVac)"


def test_uids_stay_when_appointments_move(tmp_path):
    """A re-plan that moves the dose to another session and product, and
    the test to another session the same day, keeps every person's UID
    (a calendar import updates the events) and gives the new times."""
    instance, first = case()
    s = instance.sessions
    moved = Solution(
        appointments=(
            make_appointment(s["T3"], "00123", slot=2),
            make_appointment(s["V2"], "00123", dose="2"),
            make_appointment(s["V1"], "E2", slot=0, dose="booster"),
        )
    )
    later = replace(
        instance,
        settings=replace(instance.settings, horizon_start=date(2021, 6, 5)),
    )
    write_calendars(tmp_path / "a", instance, first, "zh")
    write_calendars(tmp_path / "b", later, moved, "zh")

    def by_uid(run: str, emp: str) -> dict:
        path = tmp_path / run / "people" / f"{emp}.ics"
        return {str(e["UID"]): e for e in events_of(path)}

    for emp in ("00123", "E2"):
        before, after = by_uid("a", emp), by_uid("b", emp)
        assert set(before) == set(after)
        for uid in before:
            assert after[uid]["SEQUENCE"] > before[uid]["SEQUENCE"]
    test = by_uid("b", "00123")["00123-test-20210610@scheduler"]
    assert test.decoded("DTSTART").replace(tzinfo=None) == datetime(
        2021, 6, 10, 15, 30
    )
    dose = by_uid("b", "00123")["00123-dose-2@scheduler"]
    assert dose.decoded("DTSTART").replace(tzinfo=None) == datetime(
        2021, 6, 9, 9, 0
    )
    assert "Ad5-nCoV" in str(dose["SUMMARY"])


def test_calendars_are_reproducible(tmp_path):
    instance, solution = case()
    a = write_calendars(tmp_path / "a", instance, solution, "zh")
    b = write_calendars(tmp_path / "b", instance, solution, "zh")
    assert [p.relative_to(tmp_path / "a") for p in a] == [
        p.relative_to(tmp_path / "b") for p in b
    ]
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_unsafe_ids_make_safe_distinct_file_names(tmp_path):
    """Ids with slashes or differing only in case get file names of
    their own, inside the folder."""
    instance, solution = case()
    people = dict(instance.employees)
    people["e/2"] = replace(people["E2"], id="e/2")
    people["e2"] = replace(people["E2"], id="e2")
    instance = replace(instance, employees=people)
    vac = instance.sessions["V1"]
    solution = Solution(
        appointments=(
            *solution.appointments,
            make_appointment(vac, "e/2", slot=1, dose="1"),
            make_appointment(vac, "e2", slot=1, dose="1"),
        )
    )
    write_calendars(tmp_path, instance, solution, "en")
    names = sorted(p.name for p in (tmp_path / "people").iterdir())
    assert names == ["00123.ics", "E2.ics", "e2~2.ics", "e_2.ics"]


def test_calendar_events_written_directly_match_the_library(tmp_path):
    """Events are written without the icalendar library (for speed);
    parsed back, each equals the library's own event, also for text with
    commas, semicolons, backslashes, line breaks and long Chinese text."""
    instance, solution = case()
    tricky = "香蜜湖, 社区; \\ 中心\n第二行" + "长" * 40
    sites = dict(instance.sites)
    sites["SITE1"] = replace(sites["SITE1"], name=tricky)
    instance = replace(instance, sites=sites)
    files = write_calendars(tmp_path / "c", instance, solution, "zh")
    parsed = {
        str(e["UID"]): e
        for p in files
        if p.parent.name == "people"
        for e in events_of(p)
    }
    raw = b"".join(p.read_bytes() for p in files if p.suffix == ".ics")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    stamp = _run_stamp(instance)
    for a in solution.appointments:
        theirs = Calendar.from_ical(_event(instance, a, "zh", stamp).to_ical())
        mine = parsed[str(theirs["UID"])]
        for key in ("UID", "SUMMARY", "LOCATION", "DESCRIPTION", "SEQUENCE"):
            assert str(mine[key]) == str(theirs[key]), key
        for key in ("DTSTART", "DTEND", "DTSTAMP"):
            assert mine.decoded(key) == theirs.decoded(key), key
    assert tricky in str(parsed["00123-dose-2@scheduler"]["LOCATION"])


def replan_case():
    """Two rounds of ``case``'s people. Round 1 (no bookings): 00123 a
    test on 06-10 (T/2) and dose 2 on 06-08, E2 a booster, E3 a test on
    06-10 (T3). Round 2 starts on 06-05 with round 1's appointments as
    bookings; 00123 is away on 06-08: their test moves to 06-11 (T4),
    their dose is cancelled; E2's booster is kept; E3's test cancelled."""
    instance, _ = case()
    people = dict(instance.employees)
    people["00123"] = replace(
        people["00123"],
        doses_received=1,
        last_dose_date=date(2021, 1, 4),
        last_product="CoronaVac",
    )
    people["E2"] = replace(
        people["E2"],
        doses_received=2,
        last_dose_date=date(2020, 11, 4),
        last_product="CoronaVac",
    )
    t4 = replace(instance.sessions["T3"], id="T4", date=date(2021, 6, 11))
    sessions = {**instance.sessions, "T4": t4}
    first = replace(instance, employees=people, sessions=sessions)
    s = first.sessions
    plan1 = Solution(
        appointments=(
            make_appointment(s["T/2"], "00123"),
            make_appointment(s["V1"], "00123", dose="2"),
            make_appointment(s["V1"], "E2", slot=1, dose="booster"),
            make_appointment(s["T3"], "E3", slot=1),
        )
    )
    second = replace(
        first,
        settings=replace(first.settings, horizon_start=date(2021, 6, 5)),
        bookings=tuple(
            Booking(
                employee_id=a.employee_id,
                session_id=a.session_id,
                slot_start=a.slot_start,
            )
            for a in plan1.appointments
        ),
        absences=(
            Absence(
                employee_id="00123",
                start_date=date(2021, 6, 8),
                end_date=date(2021, 6, 8),
            ),
        ),
    )
    plan2 = Solution(
        appointments=(
            make_appointment(s["T4"], "00123", slot=2),
            make_appointment(s["V1"], "E2", slot=1, dose="booster"),
        )
    )
    return first, plan1, second, plan2


def imported(*runs) -> dict[str, dict[str, Calendar]]:
    """What a calendar program holds after importing each run's files in
    turn, file by file (a person's calendar takes only their own file):
    per file name, UID -> event; an event replaces one of the same UID
    only with a higher SEQUENCE (an equal one would be ignored, so it
    fails here)."""
    held: dict[str, dict[str, Calendar]] = defaultdict(dict)
    for run in runs:
        for path in sorted(run.rglob("*.ics")):
            cal = held[path.relative_to(run).as_posix()]
            uids = [str(e["UID"]) for e in events_of(path)]
            assert len(uids) == len(set(uids)), path  # no UID twice
            for e in events_of(path):
                uid = str(e["UID"])
                if uid in cal:
                    assert e["SEQUENCE"] > cal[uid]["SEQUENCE"], uid
                cal[uid] = e
    return held


def shown(cal: dict[str, Calendar]) -> set[tuple[str, datetime]]:
    """(UID, local start) of the events a calendar shows: not cancelled."""
    return {
        (uid, e.decoded("DTSTART").replace(tzinfo=None))
        for uid, e in cal.items()
        if str(e.get("STATUS")) != "CANCELLED"
    }


def test_a_first_run_cancels_nothing(tmp_path):
    """No bookings: every event is confirmed, none cancelled."""
    first, plan1, *_ = replan_case()
    files = write_calendars(tmp_path, first, plan1, "en")
    statuses = [
        str(e["STATUS"])
        for p in files
        if p.suffix == ".ics"
        for e in events_of(p)
    ]
    # 4 appointments; sessions V1, T/2 and T3 of W1, V1 of W/2.
    assert len(statuses) == 4 + 3 + 1
    assert set(statuses) == {"CONFIRMED"}
    assert b"CANCELLED" not in b"".join(
        p.read_bytes() for p in files if p.suffix == ".ics"
    )


def test_a_replan_takes_back_what_it_no_longer_holds(tmp_path):
    """Round 2's files cancel 00123's test of 06-10 (moved to 06-11: a
    new UID) and their dose 2, E3's test, and the sessions W1's staff
    left; imported over round 1's, each calendar shows exactly round 2's
    plan. E2's kept booster is not cancelled."""
    first, plan1, second, plan2 = replan_case()
    write_calendars(tmp_path / "r1", first, plan1, "en")
    write_calendars(tmp_path / "r2", second, plan2, "en")
    people = tmp_path / "r2" / "people"
    assert sorted(p.name for p in people.iterdir()) == [
        "00123.ics",
        "E2.ics",
        "E3.ics",  # every booking cancelled: a file still
    ]
    mine = {str(e["UID"]): e for e in events_of(people / "00123.ics")}
    assert {u: str(e["STATUS"]) for u, e in mine.items()} == {
        "00123-test-20210611@scheduler": "CONFIRMED",
        "00123-test-20210610@scheduler": "CANCELLED",
        "00123-dose-2@scheduler": "CANCELLED",
    }
    old_test = mine["00123-test-20210610@scheduler"]
    assert old_test.decoded("DTSTART").replace(tzinfo=None) == datetime(
        2021, 6, 10, 8, 15
    )
    assert str(old_test["SUMMARY"]) == "Cancelled: Nucleic-acid test"
    dose = mine["00123-dose-2@scheduler"]
    assert dose.decoded("DTSTART").replace(tzinfo=None) == datetime(
        2021, 6, 8, 14, 0
    )
    assert str(dose["SUMMARY"]) == (
        "Cancelled: Vaccination (dose 2, CoronaVac)"
    )
    assert str(dose["DESCRIPTION"]) == (
        "Cancelled by the re-plan. It was: session V1, slot 14:00-14:30."
    )
    (booster,) = events_of(people / "E2.ics")
    assert (str(booster["UID"]), str(booster["STATUS"])) == (
        "E2-dose-booster@scheduler",
        "CONFIRMED",
    )
    (e3,) = events_of(people / "E3.ics")
    assert (str(e3["UID"]), str(e3["STATUS"])) == (
        "E3-test-20210610@scheduler",
        "CANCELLED",
    )
    w1 = {
        str(e["UID"]): str(e["STATUS"])
        for e in events_of(tmp_path / "r2" / "calendar-W1.ics")
    }
    assert w1 == {
        "session-V1-W1@scheduler": "CANCELLED",
        "session-T/2-W1@scheduler": "CANCELLED",
        "session-T3-W1@scheduler": "CANCELLED",
        "session-T4-W1@scheduler": "CONFIRMED",
    }
    w2 = events_of(tmp_path / "r2" / "calendar-W_2.ics")
    assert [(str(e["UID"]), str(e["STATUS"])) for e in w2] == [
        ("session-V1-W/2@scheduler", "CONFIRMED")
    ]
    # Imported over round 1: every calendar shows round 2's plan alone.
    held = imported(tmp_path / "r1", tmp_path / "r2")
    alone = imported(tmp_path / "r2")
    assert set(held) == set(alone)
    for name in held:
        assert shown(held[name]) == shown(alone[name]), name
    assert shown(held["people/00123.ics"]) == {
        ("00123-test-20210611@scheduler", datetime(2021, 6, 11, 15, 30))
    }
    assert shown(held["people/E3.ics"]) == set()
    assert {u for u, _ in shown(held["calendar-W1.ics"])} == {
        "session-T4-W1@scheduler"
    }


def test_cancelled_events_speak_the_runs_language(tmp_path):
    """zh: the summary says 已取消; the files stay reproducible."""
    _, _, second, plan2 = replan_case()
    a = write_calendars(tmp_path / "a", second, plan2, "zh")
    b = write_calendars(tmp_path / "b", second, plan2, "zh")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    cancelled = [
        e
        for p in a
        if p.suffix == ".ics"
        for e in events_of(p)
        if str(e["STATUS"]) == "CANCELLED"
    ]
    assert len(cancelled) == 3 + 3
    assert all(str(e["SUMMARY"]).startswith("已取消：") for e in cancelled)
    shared = [e for e in cancelled if str(e["UID"]).startswith("session-")]
    assert {str(e["SUMMARY"]) for e in shared} == {
        "已取消：接种",
        "已取消：核酸检测",
    }


def _b(emp: str, session: str, slot: int, **kw) -> Booking:
    return Booking(employee_id=emp, session_id=session, slot_start=slot, **kw)


def test_bookings_carry_the_dose_their_run_named_them():
    """The old UID of a vaccination names the dose the booking's run gave
    it, worked out from the bookings sheet: dose 2 after a no-show of dose
    1 (``N``) or after dose 1 attended (``A``, recorded in the history),
    a booster past the series (``B``), dose 1 (``F``)."""
    from scheduler.prepare.booked import booked_dose_labels

    v0 = make_session("V0", date=date(2021, 5, 28))  # before the horizon
    v1 = make_session("V1", date=date(2021, 6, 20))
    inst = make_instance(
        employees=[
            make_employee("N"),
            make_employee("A", doses_received=1),
            make_employee("B", doses_received=2),
            make_employee("F"),
        ],
        sessions=[v0, v1],
        bookings=(
            _b("N", "V0", 540, status=BookingStatus.NO_SHOW),
            _b("N", "V1", 540),
            _b("A", "V0", 540, status=BookingStatus.ATTENDED),
            _b("A", "V1", 540),
            _b("B", "V1", 570),
            _b("F", "V0", 540, status=BookingStatus.CANCELLED),
            _b("F", "V1", 600),
        ),
    )
    assert booked_dose_labels(inst) == {
        ("N", "V1"): "2",
        ("A", "V1"): "2",
        ("B", "V1"): "booster",
        ("F", "V1"): "1",
    }


def _fold_by_character(line: str) -> str:
    """RFC 5545 folding one character at a time (the reference)."""
    parts, part, size = [], "", 0
    for ch in line:
        n = len(ch.encode())
        if size + n > (75 if not parts else 74):
            parts.append(part)
            part, size = "", 0
        part += ch
        size += n
    return "\r\n ".join([*parts, part]) + "\r\n"


@pytest.mark.parametrize("char", ["a", "é", "香", "😀"])
def test_lines_fold_at_75_octets_never_inside_a_character(char):
    """Lines of 1-, 2-, 3- and 4-octet characters, at every offset from
    the fold, are cut where the character-by-character reference cuts
    them; no folded line is longer than 75 octets."""
    for lead in range(8):
        for n in range(60, 200, 7):
            line = "x" * lead + char * n
            folded = _fold(line)
            assert folded == _fold_by_character(line)
            assert all(len(x.encode()) <= 75 for x in folded.split("\r\n"))
            assert folded.replace("\r\n ", "") == line + "\r\n"


def test_a_re_plan_on_the_same_start_supersedes_the_run_it_follows(tmp_path):
    """Re-planned before any attendance is recorded, the horizon's start
    has not moved; the re-plan's events must still replace the first
    run's (a higher SEQUENCE: ``imported`` fails on an equal one)."""
    first, plan1, second, plan2 = replan_case()
    second = replace(second, settings=first.settings)
    write_calendars(tmp_path / "r1", first, plan1, "en")
    write_calendars(tmp_path / "r2", second, plan2, "en")
    held = imported(tmp_path / "r1", tmp_path / "r2")
    assert shown(held["people/00123.ics"]) == {
        ("00123-test-20210611@scheduler", datetime(2021, 6, 11, 15, 30))
    }
    assert shown(held["people/E3.ics"]) == set()
    assert _run_stamp(second).sequence == _run_stamp(first).sequence + 1
