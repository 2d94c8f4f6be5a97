"""notices.xlsx (mail merge)."""

from __future__ import annotations

from datetime import date

from openpyxl import load_workbook

from scheduler.core.domain import Service, SiteKind
from scheduler.core.solution import Solution
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
        "new",  # no bookings read: every appointment is news
        "Vaccination (dose 2, CoronaVac) on Tue 2021-06-08 14:00-14:30 at "
        "Xiangmihu Community Health Centre; Nucleic-acid test on Thu "
        "2021-06-10 08:15-08:30 at New Tower 3F",
    )
    assert by_id["E2"][5] == (
        "Vaccination (booster, CoronaVac) on Tue 2021-06-08 14:30-15:00 at "
        "Xiangmihu Community Health Centre"
    )


def test_notices_zh(tmp_path):
    instance, solution = case()
    path = tmp_path / "notices.xlsx"
    write_notices(path, instance, solution, "zh")
    by_id = {r[0]: r for r in rows_of(path)[1:]}
    assert by_id["00123"][5] == (
        "2021-06-08（周二）14:00-14:30 在 Xiangmihu Community Health Centre "
        "接种（第2剂，CoronaVac）；2021-06-10（周四）08:15-08:30 在 "
        "New Tower 3F 核酸检测"
    )
    assert "加强针" in by_id["E2"][5]


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
