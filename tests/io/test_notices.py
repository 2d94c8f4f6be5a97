"""notices.xlsx (mail merge) and the per-workplace .ics calendars."""

from __future__ import annotations

from datetime import date, datetime, timezone

from icalendar import Calendar
from openpyxl import load_workbook

from scheduler.core.domain import Service, SiteKind
from scheduler.core.solution import Solution
from scheduler.io.write.calendars import write_calendars
from scheduler.io.write.notices import NOTICE_COLUMNS, write_notices
from tests.factories import (
    make_appointment,
    make_employee,
    make_instance,
    make_session,
    make_site,
    make_workplace,
)

EVIL = '=HYPERLINK("http://x","y")'
PHONES = ("13812345678", "139-0000-1234", "13900001234", "13900005678")


def case():
    vac = make_session("V1", date=date(2021, 6, 8), start=840, end=900)
    pcr = make_session(
        "T/2",
        service=Service.NUCLEIC_TEST,
        date=date(2021, 6, 10),
        site_id="NT3",
        start=495,
        end=510,
        slot_minutes=15,
    )
    instance = make_instance(
        employees=[
            make_employee(
                "00123", name="张三", department="Cards", phone="13812345678"
            ),
            make_employee(
                "E2",
                name=EVIL,
                department="-Ops",
                workplace_id="W/2",
                phone="+86 139-0000-1234",
            ),
            make_employee("E3", name="Idle", phone="13900005678"),
        ],
        sessions=[vac, pcr],
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


def rows_of(path):
    return list(load_workbook(path)["notices"].iter_rows(values_only=True))


def test_one_row_per_employee_with_appointments_en(tmp_path):
    instance, solution = case()
    path = tmp_path / "notices.xlsx"
    write_notices(path, instance, solution, "en")
    rows = rows_of(path)
    assert rows[0] == NOTICE_COLUMNS
    assert [r[0] for r in rows[1:]] == ["E2", "00123"]  # by workplace
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["00123"] == (
        "00123",
        "张三",
        "New Tower",
        "Cards",
        "Vaccination (dose 2, CoronaVac) on Tue 2021-06-08 14:00-14:30 at "
        "Xiangmihu Community Health Centre; Nucleic-acid test on Thu "
        "2021-06-10 08:15-08:30 at New Tower 3F",
    )
    assert by_id["E2"][4] == (
        "Vaccination (booster, CoronaVac) on Tue 2021-06-08 14:30-15:00 at "
        "Xiangmihu Community Health Centre"
    )


def test_notices_zh(tmp_path):
    instance, solution = case()
    path = tmp_path / "notices.xlsx"
    write_notices(path, instance, solution, "zh")
    by_id = {r[0]: r for r in rows_of(path)[1:]}
    assert by_id["00123"][4] == (
        "2021-06-08（周二）14:00-14:30 在 Xiangmihu Community Health Centre "
        "接种（第2剂，CoronaVac）；2021-06-10（周四）08:15-08:30 在 "
        "New Tower 3F 核酸检测"
    )
    assert "加强针" in by_id["E2"][4]


def test_notices_injection_safe_and_no_phones(tmp_path):
    instance, solution = case()
    path = tmp_path / "notices.xlsx"
    write_notices(path, instance, solution, "en")
    ws = load_workbook(path)["notices"]
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type == "s" for c in cells)
    for c in cells:
        if str(c.value).startswith(("=", "+", "-", "@")):
            assert c.quotePrefix, c.coordinate
    assert EVIL in [c.value for c in cells]
    assert ws["A2"].number_format == "@"
    text = " ".join(str(c.value) for c in cells)
    assert not any(p in text for p in PHONES)


def test_no_appointments_header_only(tmp_path):
    instance, _ = case()
    path = tmp_path / "notices.xlsx"
    write_notices(path, instance, Solution(), "en")
    assert rows_of(path) == [NOTICE_COLUMNS]


# calendars ---------------------------------------------------------------


def test_calendars_parse_back(tmp_path):
    instance, solution = case()
    files = write_calendars(tmp_path / "calendars", instance, solution, "en")
    names = sorted(p.name for p in (tmp_path / "calendars").iterdir())
    assert names == ["calendar-W1.ics", "calendar-W_2.ics"]
    assert sorted(p.name for p in files) == names
    events = []
    for p in files:
        cal = Calendar.from_ical(p.read_bytes())
        events += list(cal.walk("VEVENT"))
        raw = p.read_text(encoding="utf-8")
        assert not any(ph in raw for ph in PHONES)
    assert len(events) == len(solution.appointments)
    uids = {str(e["UID"]) for e in events}
    assert uids == {
        f"{a.employee_id}-{a.session_id}-{a.slot_start}@scheduler"
        for a in solution.appointments
    }
    ev = next(e for e in events if str(e["UID"]) == "00123-V1-840@scheduler")
    start, end = ev.decoded("DTSTART"), ev.decoded("DTEND")
    assert start.replace(tzinfo=None) == datetime(2021, 6, 8, 14, 0)
    assert end.replace(tzinfo=None) == datetime(2021, 6, 8, 14, 30)
    assert start.utcoffset().total_seconds() == 8 * 3600
    assert ev["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert str(ev["SUMMARY"]) == "Vaccination - 张三"
    assert str(ev["LOCATION"]) == (
        "Xiangmihu Community Health Centre, 1 Xiangmihu Rd"
    )
    assert "CoronaVac" in str(ev["DESCRIPTION"])
    assert "2" in str(ev["DESCRIPTION"])


def test_calendars_are_reproducible(tmp_path):
    instance, solution = case()
    a = write_calendars(tmp_path / "a", instance, solution, "zh")
    b = write_calendars(tmp_path / "b", instance, solution, "zh")
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_calendar_events_written_directly_match_the_library(tmp_path):
    """Events are written without the icalendar library (for speed);
    parsed back, each equals the library's own event, also for names with
    commas, semicolons, backslashes, line breaks and long Chinese text."""
    from dataclasses import replace

    from scheduler.io.write.calendars import _event

    instance, solution = case()
    tricky = "张三, 李四; \\ 王五\n第二行" + "长" * 40
    people = dict(instance.employees)
    people["00123"] = replace(people["00123"], name=tricky)
    instance = replace(instance, employees=people)
    files = write_calendars(tmp_path / "c", instance, solution, "zh")
    parsed = {
        str(e["UID"]): e
        for p in files
        for e in Calendar.from_ical(p.read_bytes()).walk("VEVENT")
    }
    raw = b"".join(p.read_bytes() for p in files)
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    stamp = datetime(2021, 6, 1, tzinfo=timezone.utc)
    for a in solution.appointments:
        mine = parsed[
            f"{a.employee_id}-{a.session_id}-{a.slot_start}@scheduler"
        ]
        theirs = Calendar.from_ical(_event(instance, a, "zh", stamp).to_ical())
        for key in ("UID", "SUMMARY", "LOCATION", "DESCRIPTION"):
            assert str(mine[key]) == str(theirs[key]), key
        for key in ("DTSTART", "DTEND", "DTSTAMP"):
            assert mine.decoded(key) == theirs.decoded(key), key
    assert tricky in str(parsed["00123-T/2-495@scheduler"]["SUMMARY"])
