"""The three output workbooks, read back as HR's tools would."""

from __future__ import annotations

import zipfile
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from scheduler.core.domain import Scope, Service, SiteKind
from scheduler.core.domain import TestRequirement as Requirement
from scheduler.core.i18n import LABELS, dose_label, t
from scheduler.core.solution import Solution, UnmetNeed
from scheduler.io.write.coverage import write_coverage
from scheduler.io.write.excel import BOX, BulkWorkbook, mask_phone, sheet_title
from scheduler.io.write.rosters import HEADER_ROW, write_rosters
from scheduler.io.write.schedule import (
    ASSIGNMENT_COLUMNS,
    UNMET_COLUMNS,
    write_schedule,
)
from scheduler.prepare.needs import compute_needs
from tests.factories import (
    H0,
    make_appointment,
    make_employee,
    make_instance,
    make_session,
    make_site,
)

EVIL = '=HYPERLINK("http://x","y")'


def case():
    """Three people, a vaccination session and a test session."""
    vac = make_session("V-01", date=H0, provider="Futian CDC & Co")
    pcr = make_session(
        "T/02:late",
        service=Service.NUCLEIC_TEST,
        date=date(2021, 6, 3),
        site_id="CH1",
        start=840,
        end=960,
    )
    idle = make_session("V-03", date=date(2021, 6, 4))
    instance = make_instance(
        employees=[
            make_employee(
                "00123",
                name="张三",
                department="Cards",
                team="A",
                phone="13812345678",
            ),
            make_employee(
                "E2", name=EVIL, department="-Ops", phone="+86 139-0000-1234"
            ),
            make_employee(
                "E3", name="Li Si", department="Cards", phone="12345"
            ),
        ],
        sessions=[vac, pcr, idle],
        sites=[
            make_site(),
            make_site(
                "CH1",
                kind=SiteKind.COMMUNITY,
                workplace_id=None,
                name="Futian 社康",
            ),
        ],
        travel={("W1", "CH1"): 15},
        test_requirements=(
            Requirement(id="R7", scope=Scope.ALL, every_days=7),
        ),
    )
    solution = Solution(
        appointments=(
            make_appointment(vac, "E3", slot=1),
            make_appointment(vac, "00123", slot=0, dose="2"),
            make_appointment(vac, "E2", slot=0, dose="booster"),
            make_appointment(pcr, "00123", slot=2, travel_minutes=15),
        )
    )
    unmet = [
        UnmetNeed(
            employee_id="E3",
            service=Service.NUCLEIC_TEST,
            reason="full",
            need="test every 7 days",
            detail="x",
            requirement_id="R7",
            uncovered_days=4,
        ),
        UnmetNeed(
            employee_id="E2",
            service=Service.VACCINATION,
            reason="exempt",
            need="dose 1",
            detail=EVIL,
            dose="1",
        ),
    ]
    return instance, solution, unmet


# schedule.xlsx ---------------------------------------------------------


def test_schedule_headers_types_and_order(tmp_path):
    instance, solution, unmet = case()
    path = tmp_path / "schedule.xlsx"
    write_schedule(path, instance, solution, unmet)
    wb = load_workbook(path)
    assert wb.sheetnames == ["assignments", "unmet", "changes"]
    ws = wb["assignments"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ASSIGNMENT_COLUMNS
    assert len(rows) == 1 + 4
    # date, slot, session, employee: 00123 and E2 share slot 0 of V-01.
    assert [r[0] for r in rows[1:]] == ["00123", "E2", "E3", "00123"]
    first = ws[2]
    col = {name: i for i, name in enumerate(ASSIGNMENT_COLUMNS)}
    assert first[col["employee_id"]].value == "00123"
    assert first[col["employee_id"]].data_type == "s"
    assert first[col["employee_id"]].number_format == "@"
    assert first[col["date"]].is_date
    assert first[col["date"]].value == datetime(2021, 6, 1)
    assert first[col["slot_start"]].value == "09:00"
    assert first[col["slot_end"]].value == "09:30"
    assert first[col["dose"]].value == "2"
    assert first[col["dose"]].data_type == "s"
    assert first[col["service"]].value == "vaccination"
    assert first[col["product"]].value == "CoronaVac"
    assert rows[2][col["dose"]] == "booster"
    last = rows[4]
    assert last[col["service"]] == "nucleic_test"
    assert last[col["slot_start"]] == "15:00"
    assert last[col["product"]] is None and last[col["dose"]] is None
    assert last[col["travel_minutes"]] == 15
    assert isinstance(last[col["travel_minutes"]], int)
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:N5"


def test_schedule_reads_back_with_pandas(tmp_path):
    instance, solution, unmet = case()
    path = tmp_path / "schedule.xlsx"
    write_schedule(path, instance, solution, unmet)
    df = pd.read_excel(path, sheet_name="assignments")
    assert list(df.columns) == list(ASSIGNMENT_COLUMNS)
    assert df.loc[0, "employee_id"] == "00123"  # not the number 123
    assert df.loc[0, "team"] == "A"
    assert pd.api.types.is_datetime64_any_dtype(df["date"])
    um = pd.read_excel(path, sheet_name="unmet", dtype=object)
    assert list(um.columns) == list(UNMET_COLUMNS)
    assert len(um) == 2


def test_unmet_sheet(tmp_path):
    instance, solution, unmet = case()
    path = tmp_path / "schedule.xlsx"
    write_schedule(path, instance, solution, unmet)
    ws = load_workbook(path)["unmet"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == UNMET_COLUMNS
    col = {name: i for i, name in enumerate(UNMET_COLUMNS)}
    by = {r[0]: r for r in rows[1:]}
    assert by["E3"][col["requirement_id"]] == "R7"
    assert by["E3"][col["uncovered_days"]] == 4
    assert by["E3"][col["dose"]] is None
    assert by["E2"][col["dose"]] == "1"
    assert by["E2"][col["reason"]] == "exempt"
    assert by["E2"][col["detail"]] == EVIL


def test_empty_schedule_still_has_headers(tmp_path):
    instance, _, _ = case()
    path = tmp_path / "schedule.xlsx"
    write_schedule(path, instance, Solution(), [])
    wb = load_workbook(path)
    assert [c.value for c in wb["assignments"][1]] == list(ASSIGNMENT_COLUMNS)
    assert wb["unmet"].max_row == 1


# rosters.xlsx ----------------------------------------------------------


def test_rosters_one_sheet_per_booked_session(tmp_path):
    instance, solution, _ = case()
    path = tmp_path / "rosters.xlsx"
    write_rosters(path, instance, solution, "en")
    wb = load_workbook(path)
    # Index first; '/' and ':' are not allowed in sheet titles; the idle
    # session has no sheet.
    assert wb.sheetnames == ["index", "V-01", "T_02_late"]
    index = wb["index"]
    head = [c.value for c in index[2]]
    assert head[:3] == ["No.", "Session", "Date"]
    ids = [index.cell(r, 2).value for r in range(3, 6)]
    assert ids == ["V-01", "T/02:late", "V-03"]
    assert index.cell(3, 9).value == 3  # booked
    assert index.cell(3, 10).value == "V-01"
    assert index.cell(3, 10).hyperlink.location == "'V-01'!A1"
    assert index.cell(5, 10).value == t("roster.no_sheet", "en")


def test_roster_layout_and_print_setup(tmp_path):
    instance, solution, _ = case()
    path = tmp_path / "rosters.xlsx"
    write_rosters(path, instance, solution, "en")
    ws = load_workbook(path)["V-01"]
    assert ws["A1"].value == "Sign-in sheet V-01"
    titles = " ".join(ws.cell(r, 1).value for r in range(1, HEADER_ROW))
    assert "2021-06-01 (Tue)" in titles and "09:00-12:00" in titles
    assert "Site SITE1" in titles and "Vaccination" in titles
    assert "CoronaVac" in titles and "Futian CDC & Co" in titles
    header = [c.value for c in ws[HEADER_ROW]]
    assert header == [
        "No.",
        "Slot",
        "Employee ID",
        "Name",
        "Department",
        "Dose / test",
        "Phone",
        "Attendance",
        "Signature",
        "Remarks",
    ]
    body = [
        [c.value for c in row] for row in ws.iter_rows(min_row=HEADER_ROW + 1)
    ]
    assert [r[0] for r in body] == [1, 2, 3]
    # Slot order, inside a slot by department ('-ops' < 'cards').
    assert [r[2] for r in body] == ["E2", "00123", "E3"]
    assert [r[1] for r in body] == ["09:00-09:30"] * 2 + ["09:30-10:00"]
    assert [r[5] for r in body] == ["Booster", "Dose 2", "Dose 1"]
    assert [r[6] for r in body] == ["139****1234", "138****5678", "*****"]
    assert ws.cell(HEADER_ROW + 2, 3).data_type == "s"  # '00123'
    assert ws.cell(HEADER_ROW + 1, 4).value == EVIL
    assert ws.cell(HEADER_ROW + 1, 4).data_type == "s"
    assert ws.row_dimensions[HEADER_ROW + 1].height >= 20
    assert ws.cell(HEADER_ROW + 1, 8).border.left.style == "thin"
    # Printing.
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddFooter.center.text == "&P / &N"
    assert "V-01" in ws.oddHeader.center.text
    assert ws.page_setup.orientation in ("portrait", "landscape")


def test_roster_in_chinese(tmp_path):
    instance, solution, _ = case()
    path = tmp_path / "rosters.xlsx"
    write_rosters(path, instance, solution, "zh")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "目录"
    ws = wb["V-01"]
    assert ws["A1"].value == "签到表 V-01"
    header = [c.value for c in ws[HEADER_ROW]]
    assert header[:4] == ["序号", "时段", "工号", "姓名"]
    assert "签名" in header and "备注" in header
    assert header.index("到场") == header.index("签名") - 1
    doses = [
        ws.cell(r, 6).value for r in range(HEADER_ROW + 1, HEADER_ROW + 4)
    ]
    assert doses == ["加强针", "第2剂", "第1剂"]
    titles = " ".join(ws.cell(r, 1).value for r in range(1, HEADER_ROW))
    assert "2021年6月1日" in titles and "周二" in titles
    assert "接种" in titles
    test_sheet = wb["T_02_late"]
    assert test_sheet.cell(HEADER_ROW + 1, 6).value == "核酸"
    assert "核酸检测" in test_sheet["A4"].value


# coverage.xlsx ---------------------------------------------------------


def _chart_xml(path) -> list[str]:
    """openpyxl does not read charts back: look into the package."""
    with zipfile.ZipFile(path) as z:
        return [
            z.read(n).decode()
            for n in z.namelist()
            if n.startswith("xl/charts/chart")
        ]


def test_coverage_sheets_numbers_and_charts(tmp_path):
    instance, solution, _ = case()
    needs = compute_needs(instance)
    path = tmp_path / "coverage.xlsx"
    write_coverage(path, instance, needs, solution, "en")
    wb = load_workbook(path)
    assert wb.sheetnames == ["workplaces", "departments", "sessions", "tests"]
    ws = wb["workplaces"]
    header = [c.value for c in ws[4]]
    assert header[:3] == ["Workplace ID", "Workplace", "Headcount"]
    row = dict(zip(header, (c for c in ws[5]), strict=True))
    assert row["Workplace ID"].value == "W1"
    assert row["Headcount"].value == 3
    # Nobody had a dose before; 00123 and E3 book one CoronaVac dose
    # each (1 of 2), E2 a booster: nobody completes a series.
    assert row["Projected fully vaccinated"].value == 0
    assert row["Projected rate"].value == 0
    assert row["Projected rate"].number_format == "0.0%"
    assert row["Target"].value == 0.9
    assert row["Target"].number_format == "0.0%"
    assert row["Gap to target"].value == pytest.approx(0.9)
    assert row["People still needed"].value == 3
    assert ws.cell(6, 1).value == "Total"
    depts = wb["departments"]
    names = {depts.cell(r, 3).value for r in range(5, depts.max_row + 1)}
    assert names == {"Cards", "-Ops"}
    assert depts.cell(6, 3).data_type == "s"  # '-Ops' is text
    sessions = wb["sessions"]
    assert sessions.max_row == 4 + 3
    tests = wb["tests"]
    th = [c.value for c in tests[4]]
    r = dict(zip(th, (c.value for c in tests[5]), strict=True))
    assert r["Regular-test needs"] == 3
    assert r["Person-days"] == 3 * 14
    charts = _chart_xml(path)
    assert len(charts) == 2
    for xml in charts:
        assert "barChart" in xml and "lineChart" in xml


def test_coverage_in_chinese(tmp_path):
    instance, solution, _ = case()
    path = tmp_path / "coverage.xlsx"
    write_coverage(path, instance, compute_needs(instance), solution, "zh")
    wb = load_workbook(path)
    assert wb.sheetnames == ["职场", "部门", "场次", "核酸"]
    assert wb["职场"].cell(4, 3).value == "人数"
    assert wb["职场"]["A1"].value == "各职场疫苗接种率"
    assert any("各职场预计接种率" in x for x in _chart_xml(path))


def test_department_chart_labels_when_names_repeat(tmp_path):
    instance = make_instance(
        employees=[
            make_employee("A", workplace_id="W1", department="Cards"),
            make_employee("B", workplace_id="W2", department="Cards"),
        ]
    )
    path = tmp_path / "coverage.xlsx"
    write_coverage(path, instance, compute_needs(instance), Solution(), "en")
    ws = load_workbook(path)["departments"]
    header = [c.value for c in ws[4]]
    assert header[-1] == "Workplace / department"
    assert ws.cell(5, len(header)).value == "Building W1 / Cards"


# safety and helpers ----------------------------------------------------


def test_formula_text_stays_text_everywhere(tmp_path):
    instance, solution, unmet = case()
    write_schedule(tmp_path / "s.xlsx", instance, solution, unmet)
    write_rosters(tmp_path / "r.xlsx", instance, solution, "en")
    write_coverage(
        tmp_path / "c.xlsx", instance, compute_needs(instance), solution, "en"
    )
    found = 0
    for name in ("s.xlsx", "r.xlsx", "c.xlsx"):
        wb = load_workbook(tmp_path / name)
        for ws in wb:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, cell.coordinate)
                    if cell.value == EVIL:
                        found += 1
                        assert cell.data_type == "s"
                        assert cell.quotePrefix
    assert found >= 3
    with zipfile.ZipFile(tmp_path / "s.xlsx") as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138 1234 5678") == "138****5678"
    assert mask_phone("0755-88881234") == "075*****1234"
    assert mask_phone("12345") == "*****"
    assert mask_phone("") == ""
    assert mask_phone(None) == ""


def test_sheet_titles_valid_and_unique():
    taken: set[str] = set()
    long = "S" * 40
    a = sheet_title(long, taken)
    b = sheet_title(long.lower(), taken)
    c = sheet_title("a[b]:c*d?e/f\\g", taken)
    assert len(a) == 31 and len(b) <= 31 and a.casefold() != b.casefold()
    assert c == "a_b__c_d_e_f_g"
    assert sheet_title("'quoted'", taken) == "quoted"
    assert sheet_title("History", taken) != "History"


def test_labels_have_the_same_keys_in_every_language():
    assert set(LABELS["en"]) == set(LABELS["zh"])
    with pytest.raises(KeyError):
        t("no.such.key", "en")
    assert t("dose.n", "zh", n=2) == "第2剂"
    assert dose_label("booster", "en") == "Booster"
    assert dose_label(None, "zh") == "核酸"
    assert t("service.nucleic_test", "zh-CN") == "核酸检测"
    with pytest.raises(ValueError):
        t("test", "fr")


def test_bulk_rows_escape_and_types(tmp_path):
    book = BulkWorkbook()
    ws = book.wb.create_sheet("t")
    ws["A1"] = "head"
    boxed = book.style(ws, border=BOX)
    plain = book.style(ws)
    when = book.style(ws, number_format="yyyy-mm-dd hh:mm")
    assert book.style(ws, border=BOX) == boxed  # registered once
    rows = [
        (None, [("<a & b>", plain), ("  lead", plain), ("x\ry", plain)]),
        (30, [(True, plain), (2.5, plain), (datetime(2021, 6, 1, 12), when)]),
        (None, [("", boxed), (None, plain), ("@home", boxed)]),
    ]
    book.add_rows(ws, 2, iter(rows), count=3, width=3)
    path = tmp_path / "b.xlsx"
    book.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["b.xlsx"]
    got = load_workbook(path)["t"]
    assert got.max_row == 4 and got.dimensions == "A1:C4"
    assert [c.value for c in got[2]] == ["<a & b>", "  lead", "x\ry"]
    assert [c.value for c in got[3]] == [True, 2.5, datetime(2021, 6, 1, 12)]
    assert got.row_dimensions[3].height == 30
    assert got["A4"].value is None and got["A4"].border.left.style == "thin"
    assert got["C4"].value == "@home" and got["C4"].quotePrefix
    assert got["C4"].data_type == "s"


def test_failed_save_leaves_nothing(tmp_path):
    def rows():
        yield None, [("ok", xf)]
        raise RuntimeError("boom")

    book = BulkWorkbook()
    ws = book.wb.create_sheet("t")
    xf = book.style(ws)
    book.add_rows(ws, 1, rows(), count=2, width=1)
    with pytest.raises(RuntimeError):
        book.save(tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_big_bulk_tables_compressed_behind(tmp_path):
    # Past a few thousand rows the part is compressed by a second thread.
    book = BulkWorkbook()
    ws = book.wb.create_sheet("t")
    ws["A1"] = "head"
    xf = book.style(ws)
    n = 5000
    rows = ((None, [(f"r{i % 7}", xf), (i, xf)]) for i in range(n))
    book.add_rows(ws, 2, rows, count=n, width=2)
    path = tmp_path / "b.xlsx"
    book.save(path)
    got = list(load_workbook(path)["t"].iter_rows(values_only=True))
    assert len(got) == n + 1
    assert got[1] == ("r0", 0) and got[-1] == (f"r{(n - 1) % 7}", n - 1)


def test_failed_big_save_leaves_nothing(tmp_path):
    def rows():
        for i in range(4000):
            yield None, [(i, xf)]
        raise RuntimeError("boom")

    book = BulkWorkbook()
    ws = book.wb.create_sheet("t")
    xf = book.style(ws)
    book.add_rows(ws, 1, rows(), count=5000, width=1)
    with pytest.raises(RuntimeError):
        book.save(tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_numeric_looking_ids_stay_text_for_readers(tmp_path):
    vac = make_session("0042")
    instance = make_instance(
        employees=[make_employee("000001")], sessions=[vac]
    )
    solution = Solution(appointments=(make_appointment(vac, "000001"),))
    path = tmp_path / "schedule.xlsx"
    write_schedule(path, instance, solution, [])
    ws = load_workbook(path)["assignments"]
    assert ws["A2"].value == "000001" and ws["A2"].data_type == "s"
    assert ws["G2"].value == "0042" and ws["M2"].value == "1"
    # pandas guesses numbers from all-digit text columns unless told.
    df = pd.read_excel(path, sheet_name="assignments", dtype=str)
    assert df.loc[0, "employee_id"] == "000001"
    assert df.loc[0, "session_id"] == "0042"


def test_empty_team_is_written_as_the_department(tmp_path):
    """Issue 20 #1: a blank team is the department (domain.md, "Team"),
    in both the assignments and the unmet sheet."""
    instance, solution, unmet = case()  # E2 and E3 have no team
    path = tmp_path / "schedule.xlsx"
    write_schedule(path, instance, solution, unmet)
    for sheet in ("assignments", "unmet"):
        df = pd.read_excel(path, sheet_name=sheet, dtype=object)
        team = dict(zip(df["employee_id"], df["team"], strict=True))
        assert team["E2"] == "-Ops", sheet
        assert team["E3"] == "Cards", sheet
        if sheet == "assignments":
            assert team["00123"] == "A"  # a team given stays itself
