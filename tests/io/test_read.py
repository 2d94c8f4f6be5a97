"""Reading whole workbooks: the minimal one, and every accepted form."""

from datetime import date, datetime, time

import pytest

from scheduler.core.domain import (
    OFFICE,
    BookingStatus,
    Scope,
    Service,
    SiteKind,
)
from scheduler.core.errors import InputError
from scheduler.io.read.read import read_instance
from scheduler.io.read.schema import HEADERS, HEADERS_ZH, SHEET_NAMES_ZH
from tests.io.workbook_factory import (
    find,
    issues,
    minimal,
    read,
    set_cell,
    write,
)


def test_minimal_workbook(tmp_path):
    inst = read(tmp_path, minimal())
    s = inst.settings
    assert (s.horizon_start, s.horizon_end) == (
        date(2021, 6, 1),
        date(2021, 6, 3),
    )
    assert s.coverage_target == pytest.approx(0.9)
    assert (s.team_away_max_share, s.observation_minutes, s.language) == (
        0.25,
        30,
        "en",
    )
    assert list(inst.workplaces) == ["WP1"]
    assert inst.workplaces["WP1"].city == "Shenzhen"
    assert inst.sites["S1"].kind is SiteKind.ONSITE
    assert inst.sites["S1"].workplace_id == "WP1"
    assert inst.sites["C1"].workplace_id is None
    assert inst.travel == {("WP1", "C1"): 20}
    p = inst.products["VaxA"]
    assert (p.doses, p.min_interval_days, p.max_interval_days) == (2, 21, 56)
    assert (p.min_age, p.max_age, p.booster_after_days) == (18, None, 180)
    v1 = inst.sessions["V1"]
    assert v1.service is Service.VACCINATION
    assert (v1.date, v1.start, v1.end, v1.capacity_per_slot) == (
        date(2021, 6, 1),
        540,
        720,
        5,
    )
    assert v1.product == "VaxA" and v1.workplaces is None
    assert inst.sessions["T1"].product is None
    night = inst.patterns["night"]
    assert (night.cycle_on, night.cycle_off, night.cycle_anchor) == (
        4,
        2,
        date(2021, 6, 1),
    )
    assert (night.start, night.end) == (1320, 360)
    assert inst.patterns["office"] == OFFICE
    assert inst.holidays == {date(2021, 6, 14)} and not inst.workdays
    e1, e2 = inst.employees["E1"], inst.employees["E2"]
    assert (e1.shift_pattern, e1.team, e1.team_name, e1.priority) == (
        "office",
        "",
        "Sales",
        3,
    )
    assert e1.exemption is None and e1.doses_received == 0
    assert (e2.doses_received, e2.last_dose_date, e2.last_product) == (
        1,
        date(2021, 5, 10),
        "VaxA",
    )
    assert e2.last_test_date == date(2021, 5, 30)
    assert e2.shift_pattern == "night" and e2.team == "Night"
    (a,) = inst.absences
    assert (a.employee_id, a.start_date, a.end_date, a.reason) == (
        "E1",
        date(2021, 6, 2),
        date(2021, 6, 4),
        "leave",
    )
    (d,) = inst.duty
    assert (d.employee_id, d.date, d.start, d.end) == (
        "E1",
        date(2021, 6, 5),
        600,
        960,
    )
    r1, r2 = inst.test_requirements
    assert (r1.scope, r1.value, r1.every_days) == (Scope.ALL, None, 7)
    assert (r2.scope, r2.value, r2.window_start, r2.window_end) == (
        Scope.DEPARTMENT,
        "Ops",
        date(2021, 6, 10),
        date(2021, 6, 12),
    )
    (b,) = inst.bookings
    assert (b.employee_id, b.session_id, b.slot_start, b.pinned, b.status) == (
        "E1",
        "V1",
        570,
        True,
        BookingStatus.BOOKED,
    )
    assert inst.notices == ()


def test_only_required_sheets(tmp_path):
    s = minimal()
    for name in (
        "settings",
        "travel",
        "shift_patterns",
        "calendar",
        "absences",
        "duty",
        "test_requirements",
        "bookings",
    ):
        del s[name]
    set_cell(s, "employees", 3, "shift_pattern", None)
    inst = read(tmp_path, s)
    assert set(inst.patterns) == {"office"}
    assert inst.bookings == () and inst.travel == {}


def test_chinese_sheet_names_and_headers(tmp_path):
    s = minimal()
    zh = {}
    for name, rows in s.items():
        header = [HEADERS_ZH[name][HEADERS[name].index(h)] for h in rows[0]]
        zh[SHEET_NAMES_ZH[name]] = [header, *rows[1:]]
    zh["员工"][1][4] = "Sales"  # 团队
    inst = read(tmp_path, zh)
    assert set(inst.employees) == {"E1", "E2"}
    assert inst.employees["E1"].team == "Sales"
    assert inst.sessions["V1"].product == "VaxA"


def test_headers_case_spaces_and_required_marker(tmp_path):
    s = minimal()
    s["employees"][0] = [
        " Employee ID* ",
        "NAME",
        "Workplace-ID",
        " department",
        "Team",
        "shift pattern",
        "doses_received",
        "last_dose_date",
        "last_product",
        "last_test_date",
    ]
    s[" Employees "] = s.pop("employees")
    inst = read(tmp_path, s)
    assert set(inst.employees) == {"E1", "E2"}


def test_full_width_and_spaces_in_ids_and_refs(tmp_path):
    s = minimal()
    set_cell(s, "employees", 2, "employee_id", " Ｅ１ ")
    set_cell(s, "employees", 2, "workplace_id", "ｗｐ１")
    set_cell(s, "absences", 2, "employee_id", "e1")
    set_cell(s, "bookings", 2, "session_id", " v1")
    set_cell(s, "employees", 3, "last_product", "vaxa")
    set_cell(s, "employees", 3, "shift_pattern", "NIGHT")
    inst = read(tmp_path, s)
    assert "E1" in inst.employees
    assert inst.employees["E1"].workplace_id == "WP1"
    assert inst.absences[0].employee_id == "E1"
    assert inst.bookings[0].session_id == "V1"
    assert inst.employees["E2"].last_product == "VaxA"
    assert inst.employees["E2"].shift_pattern == "night"


def test_numeric_ids_leading_zeros_and_padding_format(tmp_path):
    s = minimal()
    s["employees"].append(
        ["00123", "Cy", "WP1", "Ops", None, None, 0, None, None, None]
    )
    s["employees"].append(
        [456, "Di", "WP1", "Ops", None, None, 0, None, None, None]
    )
    s["employees"].append(
        [789, "Ed", "WP1", "Ops", None, None, 0, None, None, None]
    )
    s["employees"].append(
        [42.0, "Fu", "WP1", "Ops", None, None, 0, None, None, None]
    )
    inst = read(tmp_path, s, formats={("employees", "A6"): "00000"})
    assert {"00123", "456", "00789", "42"} <= set(inst.employees)


def test_numeric_workplace_referenced_as_text(tmp_path):
    s = minimal()
    set_cell(s, "workplaces", 2, "workplace_id", 7)
    for sheet, row in (
        ("sites", 2),
        ("travel", 2),
        ("employees", 2),
        ("employees", 3),
    ):
        set_cell(s, sheet, row, "workplace_id", "7")
    assert set(read(tmp_path, s).workplaces) == {"7"}


@pytest.mark.parametrize(
    "value",
    [
        datetime(2021, 6, 1),
        44348,
        "2021-06-01",
        "2021/6/1",
        20210601,
        "20210601",
        "2021年6月1日",
    ],
)
def test_date_forms(tmp_path, value):
    s = minimal()
    set_cell(s, "sessions", 2, "date", value)
    assert read(tmp_path, s).sessions["V1"].date == date(2021, 6, 1)


def test_excel_date_cell_with_date_format(tmp_path):
    s = minimal()
    set_cell(s, "sessions", 2, "date", 44348)
    inst = read(tmp_path, s, formats={("sessions", "D2"): "yyyy-mm-dd"})
    assert inst.sessions["V1"].date == date(2021, 6, 1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (time(9, 0), time(12, 0), (540, 720)),
        ("9:00", "12:00", (540, 720)),
        ("0900", "1200", (540, 720)),
        (900, 1200, (540, 720)),
        (0.375, 0.5, (540, 720)),
        ("22:00", "24:00", (1320, 1440)),
    ],
)
def test_time_forms(tmp_path, start, end, expected):
    s = minimal()
    del s["bookings"]
    set_cell(s, "sessions", 2, "start", start)
    set_cell(s, "sessions", 2, "end", end)
    v1 = read(tmp_path, s).sessions["V1"]
    assert (v1.start, v1.end) == expected


def test_excel_time_cells_incl_2400(tmp_path):
    s = minimal()
    set_cell(s, "shift_patterns", 2, "start", 0.5)
    set_cell(s, "shift_patterns", 2, "end", 1)
    inst = read(
        tmp_path,
        s,
        formats={
            ("shift_patterns", "C2"): "hh:mm",
            ("shift_patterns", "D2"): "hh:mm",
        },
    )
    assert (inst.patterns["night"].start, inst.patterns["night"].end) == (
        720,
        1440,
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True),
        ("Y", True),
        ("TRUE", True),
        (1, True),
        ("是", True),
        (True, True),
        ("no", False),
        ("n", False),
        ("False", False),
        (0, False),
        ("否", False),
        (None, False),
    ],
)
def test_boolean_forms(tmp_path, value, expected):
    s = minimal()
    set_cell(s, "bookings", 2, "pinned", value)
    assert read(tmp_path, s).bookings[0].pinned is expected


@pytest.mark.parametrize("value", [0.9, "0.9", "90%", 90, "90"])
def test_share_forms(tmp_path, value):
    s = minimal()
    s["settings"].append(["team_away_max_share", value])
    assert read(tmp_path, s).settings.team_away_max_share == pytest.approx(0.9)


def test_all_settings(tmp_path):
    s = minimal()
    s["settings"] = [
        ["项目", "值"],
        ["horizon_start", "2021-05-31"],
        ["Horizon End", datetime(2021, 6, 30)],
        ["team_away_max_share", "30%"],
        ["team_vaccinated_per_day_max_share", 0.4],
        ["observation_minutes", 15],
        ["test_blackout_hours_after_vaccination", "24"],
        ["coverage_target", 95],
        ["boosters_enabled", "否"],
        ["time_limit_seconds", 12.5],
        ["gap_limit_percent", "1.5"],
        ["language", "zh"],
        ["colour", "blue"],
    ]
    inst = read(tmp_path, s)
    st = inst.settings
    assert (st.horizon_start, st.horizon_end) == (
        date(2021, 5, 31),
        date(2021, 6, 30),
    )
    assert st.team_away_max_share == pytest.approx(0.3)
    assert st.team_vaccinated_per_day_max_share == pytest.approx(0.4)
    assert st.observation_minutes == 15
    assert st.test_blackout_hours_after_vaccination == 24
    assert st.coverage_target == pytest.approx(0.95)
    assert st.boosters_enabled is False
    assert st.time_limit_seconds == 12.5 and st.language == "zh"
    assert st.gap_limit_percent == 1.5
    assert any("colour" in n for n in inst.notices)


def test_weekday_patterns(tmp_path):
    s = minimal()
    s["shift_patterns"] += [
        ["early", "周一,周二,周三", "07:00", "15:00"],
        ["weekend", "Sat,Sun", "9:00", "17:00"],
        ["long", "星期一，星期五", "0800", "2000"],
    ]
    p = read(tmp_path, s).patterns
    assert p["early"].weekdays == {0, 1, 2}
    assert p["weekend"].weekdays == {5, 6}
    assert p["long"].weekdays == {0, 4} and p["long"].start == 480


def test_office_row_replaces_builtin(tmp_path):
    s = minimal()
    s["shift_patterns"].append(["Office", "Mon-Sat", "08:30", "17:30"])
    p = read(tmp_path, s).patterns
    assert set(p) == {"office", "night"}
    assert p["office"].weekdays == set(range(6)) and p["office"].start == 510


def test_enum_aliases_in_workbook(tmp_path):
    s = minimal()
    set_cell(s, "sites", 2, "kind", "驻场")
    set_cell(s, "sites", 3, "kind", "Community")
    set_cell(s, "sessions", 2, "service", "接种")
    set_cell(s, "sessions", 3, "service", "核酸")
    set_cell(s, "calendar", 2, "kind", "调休上班")
    set_cell(s, "test_requirements", 3, "scope", "部门")
    s["bookings"] += [
        ["E2", "T1", "14:00", "no", "no-show"],
        ["E2", "V1", "9:00", None, "已到"],
    ]
    inst = read(tmp_path, s)
    assert inst.sites["S1"].kind is SiteKind.ONSITE
    assert inst.sessions["T1"].service is Service.NUCLEIC_TEST
    assert inst.workdays == {date(2021, 6, 14)}
    assert inst.test_requirements[1].scope is Scope.DEPARTMENT
    assert [b.status for b in inst.bookings] == [
        BookingStatus.BOOKED,
        BookingStatus.NO_SHOW,
        BookingStatus.ATTENDED,
    ]


def test_employee_columns(tmp_path):
    s = minimal()
    s["employees"] = [
        [
            "工号",
            "姓名",
            "职场编号",
            "部门",
            "班组",
            "岗位",
            "出生日期",
            "年龄",
            "手机",
            "接种豁免",
            "优先级",
        ],
        [
            "E1",
            "Ann",
            "WP1",
            " Sales ",
            "A-Team",
            "Nurse",
            "1990-02-03",
            None,
            13800138000,
            "medical",
            5,
        ],
        [
            "E2",
            "Bob",
            "WP1",
            "Ops",
            None,
            None,
            None,
            40,
            "138-0000",
            "否",
            None,
        ],
    ]
    inst = read(tmp_path, s)
    e1, e2 = inst.employees["E1"], inst.employees["E2"]
    assert (e1.department, e1.team, e1.role) == ("Sales", "A-Team", "Nurse")
    assert e1.birth_date == date(1990, 2, 3) and e1.age is None
    assert e1.phone == "13800138000" and e1.exemption == "medical"
    assert e1.priority == 5 and e2.priority == 3
    assert e2.age == 40 and e2.exemption is None and e2.team_name == "Ops"


def test_session_optional_columns(tmp_path):
    s = minimal()
    s["workplaces"].append(["WP2", "Branch"])
    s["sessions"][0] += [
        "doses_available",
        "observation_seats",
        "provider",
        "workplaces",
    ]
    s["sessions"][1] += [100, 10, "Clinic", "wp1, WP2"]
    s["sessions"][2] += [None, None, None, None]
    v1 = read(tmp_path, s).sessions["V1"]
    assert (v1.doses_available, v1.observation_seats, v1.provider) == (
        100,
        10,
        "Clinic",
    )
    assert v1.workplaces == {"WP1", "WP2"}


def test_title_row_above_header(tmp_path):
    s = minimal()
    s["employees"].insert(0, ["Employee list, June 2021", None, None])
    s["employees"].insert(1, [None])
    inst = read(tmp_path, s)
    assert set(inst.employees) == {"E1", "E2"}


def test_header_below_title_keeps_excel_row_numbers(tmp_path):
    s = minimal()
    set_cell(s, "employees", 3, "workplace_id", "WP9")
    s["employees"].insert(0, ["Employee list"])
    found = issues(tmp_path, s)
    assert find(found, "employees", 4, "workplace_id").value == "WP9"


def test_empty_rows_are_skipped(tmp_path):
    s = minimal()
    s["employees"].insert(2, [None] * 10)
    s["employees"].insert(3, ["  ", None, ""])
    s["employees"].append([None] * 3)
    assert set(read(tmp_path, s).employees) == {"E1", "E2"}


def test_unknown_sheets_and_columns_are_notices(tmp_path):
    s = minimal()
    s["Notes"] = [["anything"], ["at all"]]
    s["employees"][0].append("nickname")
    s["employees"][1].append("Annie")
    inst = read(tmp_path, s)
    assert any("Notes" in n for n in inst.notices)
    assert any("nickname" in n for n in inst.notices)


def test_horizon_defaults_to_session_dates(tmp_path):
    s = minimal()
    s["sessions"].append(
        [
            "T2",
            "nucleic_test",
            "C1",
            "2021-05-31",
            "9:00",
            "10:00",
            30,
            5,
            None,
        ]
    )
    st = read(tmp_path, s).settings
    assert (st.horizon_start, st.horizon_end) == (
        date(2021, 5, 31),
        date(2021, 6, 3),
    )


def test_history_bookings_with_unknown_refs_are_notices(tmp_path):
    s = minimal()
    s["bookings"] += [
        ["E404", "V1", "9:00", "no", "attended"],
        ["E1", "OLD", "9:00", "no", "cancelled"],
    ]
    inst = read(tmp_path, s)
    assert len(inst.bookings) == 1
    assert sum("unknown" in n for n in inst.notices) == 2


def test_pinned_booking_outside_horizon_is_warned_and_ignored(tmp_path):
    s = minimal()
    s["settings"].append(["horizon_start", "2021-06-02"])
    inst = read(tmp_path, s)
    assert inst.bookings == ()
    # a warning (input-workbook.md): shown with the summary, not a notice
    (warning,) = inst.warnings
    assert "outside the horizon" in warning and "V1" in warning


def test_own_building_travel_row_ignored(tmp_path):
    s = minimal()
    s["travel"].append(["WP1", "S1", 5])
    assert read(tmp_path, s).travel == {("WP1", "C1"): 20}


def test_path_as_string(tmp_path):
    path = write(tmp_path, minimal())
    assert read_instance(str(path)).employees


def test_huge_sheet_of_formatted_empty_rows_is_slimmed(tmp_path, monkeypatch):
    from scheduler.io.read import workbook

    monkeypatch.setattr(workbook, "SLIM_ABOVE_BYTES", 0)
    s = minimal()
    s["employees"] += [[None] * 10] * 50
    s["employees"].append(
        ["E9", "Zed", "WP1", "Ops", None, None, 0, None, None, None]
    )
    s["employees"].append(
        ["E10", "Bad", "WP9", "Ops", None, None, 0, None, None, None]
    )
    found = issues(tmp_path, s)
    assert find(found, "employees", 55, "workplace_id").value == "WP9"


def test_slim_sheet_keeps_value_rows_only():
    from scheduler.io.read.workbook import slim_sheet

    xml = (
        b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row>'
        b'<row r="2" s="3"/><row r="3"><c r="A3" s="1"/></row>'
        b'<row r="4"><c r="A4" t="inlineStr"><is><t>x</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    out = slim_sheet(xml)
    assert out is not None
    assert b'r="2"' not in out and b'r="3"' not in out
    assert b'<row r="1">' in out and b'<row r="4">' in out
    assert (
        slim_sheet(
            b"<worksheet><sheetData><row><c/></row></sheetData></worksheet>"
        )
        is None
    )


def test_plain_inline_strings_read_as_the_same_values(tmp_path):
    """openpyxl's write-only mode stores text as inline strings; the reader
    turns plain ones into string values first (faster), and must read
    exactly what openpyxl reads from the original."""
    from openpyxl import Workbook, load_workbook

    from scheduler.io.read.workbook import plain_strings, read_raw

    texts = ["007", " padded ", "R&D <ops>", "客服中心", "a  b", "x"]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("employees")
    ws.append(texts)
    ws.append([1, "one", None, 2.5])
    path = tmp_path / "inline.xlsx"
    wb.save(path)
    original = load_workbook(path, read_only=True)
    expected = [list(r) for r in original["employees"].values]
    original.close()
    got = [
        [v for _, (v, _) in sorted(row.cells.items())]
        for row in read_raw(path).sheets[0].rows
    ]
    assert got[0] == texts == expected[0]
    assert got[1] == [v for v in expected[1] if v is not None]
    xml = (
        b'<c r="A1" t="inlineStr"><is><t xml:space="preserve"> a </t>'
        b"</is></c>"
        b'<c r="B1" s="2" t="inlineStr"><is><r><t>rich</t></r></is></c>'
    )
    out = plain_strings(xml)
    assert out.startswith(b'<c r="A1" t="str"><v> a </v></c>')
    assert b"<r><t>rich</t></r>" in out  # rich text is left alone


def _patch_sheet(path, sheet, replacements):
    """Rewrite cells of ``sheet`` in the saved file: {coordinate: xml}."""
    import re
    import zipfile

    from scheduler.io.read.workbook import _sheet_paths

    out = path.with_name("patched.xlsx")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        part = _sheet_paths(zin)[sheet]
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                for coord, xml in replacements.items():
                    cell = rf'<c r="{coord}"[^>]*?(?:/>|>.*?</c>)'.encode()
                    data, n = re.subn(cell, xml.encode(), data, count=1)
                    assert n == 1, coord
            zout.writestr(info, data)
    return out


def test_formulas_count_as_their_cached_values(tmp_path):
    path = _patch_sheet(
        write(tmp_path, minimal()),
        "employees",
        {
            "D2": '<c r="D2" t="str"><f>UPPER("sales")</f><v>SALES</v></c>',
            "E3": '<c r="E3" t="str"><f>""</f><v></v></c>',
            "G3": '<c r="G3"><f>0+1</f><v>1</v></c>',
        },
    )
    inst = read_instance(path)
    assert inst.employees["E1"].department == "SALES"
    assert inst.employees["E2"].team == ""
    assert inst.employees["E2"].doses_received == 1


def test_cached_error_value_is_an_issue(tmp_path):
    path = _patch_sheet(
        write(tmp_path, minimal()),
        "employees",
        {"B2": '<c r="B2" t="e"><f>VLOOKUP(1,A:A,9)</f><v>#N/A</v></c>'},
    )
    with pytest.raises(InputError) as e:
        read_instance(path)
    issue = find(e.value.issues, "employees", 2, "name")
    assert issue.value == "#N/A" and "#N/A" in issue.expected


def test_empty_optional_sheet_means_no_rows(tmp_path):
    s = minimal()
    s["bookings"] = []
    s["duty"] = [s["duty"][0]]
    inst = read(tmp_path, s)
    assert inst.bookings == () and inst.duty == ()


def test_soft_problems_are_notices(tmp_path):
    s = minimal()
    set_cell(s, "sessions", 3, "product", "VaxA")
    s["test_requirements"].append(["R3", "role", "Pilot", 3, None, None])
    s["bookings"].append(["E2", "T1", "14:10", "no", "attended"])
    inst = read(tmp_path, s)
    assert inst.sessions["T1"].product is None
    notices = "\n".join(inst.notices)
    assert "offers no product" in notices
    assert "Pilot" in "\n".join(inst.warnings)  # a warning now (issue 20)
    assert "row 3: expected a slot start of session T1" in notices


def test_blank_status_means_booked(tmp_path):
    s = minimal()
    set_cell(s, "bookings", 2, "status", None)
    assert read(tmp_path, s).bookings[0].status is BookingStatus.BOOKED
    set_cell(s, "bookings", 2, "employee_id", "E404")
    find(issues(tmp_path, s), "bookings", 2, "employee_id")
