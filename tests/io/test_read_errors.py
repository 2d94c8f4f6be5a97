"""Every kind of input error, located at the exact sheet, row and column."""

import json

import pytest

from scheduler.cli import main
from scheduler.core.errors import InputError
from tests.io.workbook_factory import (
    find,
    issues,
    minimal,
    read,
    set_cell,
    write,
)

# (id, [(sheet, excel row, column, new value)], (sheet, row, column))
CELL_ERRORS = [
    (
        "duplicate id ignoring case",
        [("employees", 3, "employee_id", "e1")],
        ("employees", 3, "employee_id"),
    ),
    (
        "duplicate full-width id",
        [("workplaces", 2, "workplace_id", "ＷＰ１")],
        None,
    ),  # only one workplace then: exercised below
    (
        "unknown workplace",
        [("employees", 2, "workplace_id", "WP9")],
        ("employees", 2, "workplace_id"),
    ),
    (
        "unknown pattern",
        [("employees", 3, "shift_pattern", "day")],
        ("employees", 3, "shift_pattern"),
    ),
    (
        "unknown last product",
        [("employees", 3, "last_product", "VaxZ")],
        ("employees", 3, "last_product"),
    ),
    (
        "unknown site of site",
        [("sites", 2, "workplace_id", "WPX")],
        ("sites", 2, "workplace_id"),
    ),
    (
        "unknown travel site",
        [("travel", 2, "site_id", "C9")],
        ("travel", 2, "site_id"),
    ),
    (
        "unknown travel workplace",
        [("travel", 2, "workplace_id", "W")],
        ("travel", 2, "workplace_id"),
    ),
    (
        "unknown session site",
        [("sessions", 3, "site_id", "S9")],
        ("sessions", 3, "site_id"),
    ),
    (
        "unknown session product",
        [("sessions", 2, "product", "VaxZ")],
        ("sessions", 2, "product"),
    ),
    (
        "unknown absence employee",
        [("absences", 2, "employee_id", "E7")],
        ("absences", 2, "employee_id"),
    ),
    (
        "unknown duty employee",
        [("duty", 2, "employee_id", "E7")],
        ("duty", 2, "employee_id"),
    ),
    (
        "unknown booked employee",
        [("bookings", 2, "employee_id", "E7")],
        ("bookings", 2, "employee_id"),
    ),
    (
        "unknown booked session",
        [("bookings", 2, "session_id", "V7")],
        ("bookings", 2, "session_id"),
    ),
    (
        "impossible date",
        [("sessions", 2, "date", "2021-02-30")],
        ("sessions", 2, "date"),
    ),
    (
        "not a date",
        [("absences", 2, "start_date", "soon")],
        ("absences", 2, "start_date"),
    ),
    (
        "time 25:00",
        [("sessions", 2, "start", "25:00")],
        ("sessions", 2, "start"),
    ),
    (
        "24:00 as a start",
        [("duty", 2, "start", "24:00")],
        ("duty", 2, "start"),
    ),
    (
        "end before start",
        [("sessions", 2, "end", "08:00")],
        ("sessions", 2, "end"),
    ),
    (
        "end equal to start",
        [("sessions", 2, "end", "09:00")],
        ("sessions", 2, "end"),
    ),
    (
        "zero capacity",
        [("sessions", 2, "capacity_per_slot", 0)],
        ("sessions", 2, "capacity_per_slot"),
    ),
    (
        "fractional capacity",
        [("sessions", 2, "capacity_per_slot", 2.5)],
        ("sessions", 2, "capacity_per_slot"),
    ),
    (
        "negative slot",
        [("sessions", 2, "slot_minutes", -1)],
        ("sessions", 2, "slot_minutes"),
    ),
    (
        "slot longer than session",
        [("sessions", 2, "slot_minutes", 240)],
        ("sessions", 2, "slot_minutes"),
    ),
    (
        "vaccination without product",
        [("sessions", 2, "product", None)],
        ("sessions", 2, "product"),
    ),
    (
        "bad service",
        [("sessions", 2, "service", "massage")],
        ("sessions", 2, "service"),
    ),
    (
        "min > max interval",
        [("products", 2, "min_interval_days", 60)],
        ("products", 2, "max_interval_days"),
    ),
    ("zero doses", [("products", 2, "doses", 0)], ("products", 2, "doses")),
    (
        "negative interval",
        [("products", 2, "min_interval_days", -3)],
        ("products", 2, "min_interval_days"),
    ),
    (
        "negative doses received",
        [("employees", 2, "doses_received", -1)],
        ("employees", 2, "doses_received"),
    ),
    (
        "fractional doses received",
        [("employees", 2, "doses_received", 1.5)],
        ("employees", 2, "doses_received"),
    ),
    (
        "dose without date",
        [("employees", 3, "last_dose_date", None)],
        ("employees", 3, "last_dose_date"),
    ),
    (
        "dose without product",
        [("employees", 3, "last_product", None)],
        ("employees", 3, "last_product"),
    ),
    (
        "last dose on horizon start",
        [("employees", 3, "last_dose_date", "2021-06-01")],
        ("employees", 3, "last_dose_date"),
    ),
    (
        "last test after horizon start",
        [("employees", 3, "last_test_date", "2021-06-02")],
        ("employees", 3, "last_test_date"),
    ),
    (
        "absence start after end",
        [("absences", 2, "start_date", "2021-06-09")],
        ("absences", 2, "end_date"),
    ),
    (
        "bad cycle",
        [("shift_patterns", 2, "days", "cycle:4/2@")],
        ("shift_patterns", 2, "days"),
    ),
    (
        "bad weekday",
        [("shift_patterns", 2, "days", "Mon,Blursday")],
        ("shift_patterns", 2, "days"),
    ),
    (
        "pattern end equals start",
        [("shift_patterns", 2, "end", "22:00")],
        ("shift_patterns", 2, "end"),
    ),
    (
        "duty end equals start",
        [("duty", 2, "end", "10:00")],
        ("duty", 2, "end"),
    ),
    (
        "error value",
        [("employees", 2, "name", "#N/A")],
        ("employees", 2, "name"),
    ),
    (
        "error value in id",
        [("employees", 2, "employee_id", "#REF!")],
        ("employees", 2, "employee_id"),
    ),
    (
        "blank required cell",
        [("employees", 2, "department", None)],
        ("employees", 2, "department"),
    ),
    (
        "onsite without workplace",
        [("sites", 2, "workplace_id", None)],
        ("sites", 2, "workplace_id"),
    ),
    (
        "bad site kind",
        [("sites", 3, "kind", "hospital")],
        ("sites", 3, "kind"),
    ),
    (
        "scope without value",
        [("test_requirements", 3, "value", None)],
        ("test_requirements", 3, "value"),
    ),
    (
        "neither cadence nor window",
        [("test_requirements", 2, "every_days", None)],
        ("test_requirements", 2, "every_days"),
    ),
    (
        "cadence and window",
        [("test_requirements", 2, "window_start", "2021-06-02")],
        ("test_requirements", 2, "every_days"),
    ),
    (
        "half a window",
        [("test_requirements", 3, "window_end", None)],
        ("test_requirements", 3, "window_end"),
    ),
    (
        "window end before start",
        [("test_requirements", 3, "window_end", "2021-06-01")],
        ("test_requirements", 3, "window_end"),
    ),
    (
        "every_days zero",
        [("test_requirements", 2, "every_days", 0)],
        ("test_requirements", 2, "every_days"),
    ),
    (
        "bad scope",
        [("test_requirements", 2, "scope", "planet")],
        ("test_requirements", 2, "scope"),
    ),
    (
        "slot start not a slot",
        [("bookings", 2, "slot_start", "09:10")],
        ("bookings", 2, "slot_start"),
    ),
    (
        "bad pinned",
        [("bookings", 2, "pinned", "perhaps")],
        ("bookings", 2, "pinned"),
    ),
    (
        "bad status",
        [("bookings", 2, "status", "lost")],
        ("bookings", 2, "status"),
    ),
    (
        "share over 1",
        [("settings", 2, "value", "150%")],
        ("settings", 2, "value"),
    ),
    (
        "bad calendar kind",
        [("calendar", 2, "kind", "party")],
        ("calendar", 2, "kind"),
    ),
]


@pytest.mark.parametrize(
    ("changes", "where"),
    [pytest.param(c, w, id=i) for i, c, w in CELL_ERRORS if w],
)
def test_cell_error_is_located(tmp_path, changes, where):
    s = minimal()
    for sheet, row, column, value in changes:
        set_cell(s, sheet, row, column, value)
    found = issues(tmp_path, s)
    issue = find(found, *where)
    assert issue.expected
    sheet, row, column, value = changes[-1]
    if (sheet, row, column) == where and value is not None:
        assert issue.value == value


def test_duplicate_full_width_id(tmp_path):
    s = minimal()
    s["workplaces"].append(["ＷＰ１", "Other"])
    find(issues(tmp_path, s), "workplaces", 3, "workplace_id")


def test_priority_outside_range(tmp_path):
    s = minimal()
    s["employees"][0].append("priority")
    s["employees"][1].append(6)
    s["employees"][2].append(0)
    found = issues(tmp_path, s)
    find(found, "employees", 2, "priority")
    find(found, "employees", 3, "priority")


def test_session_workplaces_unknown_item(tmp_path):
    s = minimal()
    s["sessions"][0].append("workplaces")
    s["sessions"][1].append("WP1, WP404")
    issue = find(issues(tmp_path, s), "sessions", 2, "workplaces")
    assert "WP404" in issue.expected


def test_doses_available_not_whole(tmp_path):
    s = minimal()
    s["sessions"][0].append("doses_available")
    s["sessions"][1].append(2.5)
    find(issues(tmp_path, s), "sessions", 2, "doses_available")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("language", "fr"),
        ("team_vaccinated_per_day_max_share", -0.2),
        ("team_away_max_share", 101),
        ("observation_minutes", -5),
        ("time_limit_seconds", 0),
        ("gap_limit_percent", -0.5),
        ("gap_limit_percent", 120),
        ("boosters_enabled", "sometimes"),
        ("horizon_start", "2021-13-01"),
        ("test_blackout_hours_after_vaccination", "lots"),
    ],
)
def test_bad_setting(tmp_path, key, value):
    s = minimal()
    s["settings"].append([key, value])
    issue = find(issues(tmp_path, s), "settings", 3, "value")
    assert issue.value == value and key in issue.expected


def test_horizon_end_before_start(tmp_path):
    s = minimal()
    s["settings"] += [
        ["horizon_start", "2021-06-10"],
        ["horizon_end", "2021-06-01"],
    ]
    find(issues(tmp_path, s), "settings", 4, "value")


def test_duplicate_setting(tmp_path):
    s = minimal()
    s["settings"].append(["Coverage Target", 0.8])
    find(issues(tmp_path, s), "settings", 3, "key")


def test_calendar_date_with_two_kinds(tmp_path):
    s = minimal()
    s["calendar"].append(["2021/6/14", "workday"])
    find(issues(tmp_path, s), "calendar", 3, "kind")


def test_same_booking_twice(tmp_path):
    s = minimal()
    s["bookings"].append(["e1", "V1", "10:00", "no", "booked"])
    find(issues(tmp_path, s), "bookings", 3, "session_id")


def test_missing_required_sheet(tmp_path):
    s = minimal()
    del s["employees"]
    issue = find(issues(tmp_path, s), "employees", None, None)
    assert "员工" in issue.expected


def test_products_required_for_vaccination_sessions(tmp_path):
    s = minimal()
    del s["products"]
    set_cell(s, "employees", 3, "doses_received", 0)
    set_cell(s, "employees", 3, "last_product", None)
    found = issues(tmp_path, s)
    find(found, "products", None, None)
    assert len(found) == 1


def test_missing_required_column(tmp_path):
    s = minimal()
    for row in s["employees"]:
        del row[3]  # department
    issue = find(issues(tmp_path, s), "employees", None, "department")
    assert "部门" in issue.expected


def test_missing_required_column_chinese_sheet(tmp_path):
    s = minimal()
    s["员工"] = [["工号", "姓名", "职场编号"], ["E1", "Ann", "WP1"]]
    del s["employees"], s["absences"], s["duty"], s["bookings"]
    find(issues(tmp_path, s), "员工", None, "department")


def test_issue_column_is_header_as_written(tmp_path):
    s = minimal()
    s["employees"][0][0] = "工号"
    s["employees"][0][2] = " Workplace_ID "
    set_cell(s, "employees", 2, "工号", "E2")
    s["employees"][1][2] = "WP7"
    found = issues(tmp_path, s)
    find(found, "employees", 3, "工号")
    find(found, "employees", 2, "Workplace_ID")


def test_no_header_row(tmp_path):
    s = minimal()
    s["employees"] = [["E1", "Ann", "WP1", "Sales"]]
    issue = find(issues(tmp_path, s), "employees", None, None)
    assert "header" in issue.expected


def test_same_column_twice(tmp_path):
    s = minimal()
    s["employees"][0].append("姓名")
    s["employees"][1].append("Ann")
    find(issues(tmp_path, s), "employees", 1, "姓名")


def test_two_sheets_for_one(tmp_path):
    s = minimal()
    s["员工"] = s["employees"]
    find(issues(tmp_path, s), "员工", None, None)


def test_formula_without_cached_value(tmp_path):
    s = minimal()
    set_cell(s, "employees", 2, "department", '=UPPER("sales")')
    s["employees"].append(['=A2&"x"', "=B2", "=C2", "=D2"])
    found = issues(tmp_path, s)
    issue = find(found, "employees", 2, "department")
    assert issue.value == '=UPPER("sales")'
    assert "never calculated" in issue.expected
    find(found, "employees", 4, "employee_id")


def test_many_errors_reported_at_once(tmp_path):
    s = minimal()
    set_cell(s, "employees", 2, "workplace_id", "WP9")
    set_cell(s, "employees", 3, "doses_received", -2)
    set_cell(s, "sessions", 2, "date", "2021-02-30")
    set_cell(s, "sessions", 3, "end", "25:00")
    set_cell(s, "products", 2, "doses", 0)
    set_cell(s, "absences", 2, "end_date", "2021-05-01")
    set_cell(s, "settings", 2, "value", "200%")
    found = issues(tmp_path, s)
    for where in [
        ("employees", 2, "workplace_id"),
        ("employees", 3, "doses_received"),
        ("sessions", 2, "date"),
        ("sessions", 3, "end"),
        ("products", 2, "doses"),
        ("absences", 2, "end_date"),
        ("settings", 2, "value"),
    ]:
        find(found, *where)
    assert len(found) >= 7


def test_error_message_lists_every_issue(tmp_path):
    s = minimal()
    set_cell(s, "employees", 2, "workplace_id", "WP9")
    set_cell(s, "sessions", 2, "capacity_per_slot", 0)
    with pytest.raises(InputError) as e:
        from tests.io.workbook_factory import read

        read(tmp_path, s)
    text = str(e.value)
    assert (
        "2 problems" in text and "WP9" in text and "capacity_per_slot" in text
    )


def test_requirement_for_an_unknown_workplace(tmp_path):
    """Issue 20 #2: scope workplace, value WP-404 (not in workplaces) is
    an input error at the value cell, not a screening quietly dropped."""
    s = minimal()
    s["test_requirements"].append(
        ["R3", "workplace", "WP-404", None, "2021-06-10", "2021-06-12"]
    )
    issue = find(issues(tmp_path, s), "test_requirements", 4, "value")
    assert issue.value == "WP-404"
    assert "workplace_id" in issue.expected
    assert "workplaces" in issue.expected


@pytest.mark.parametrize("scope", ["department", "team", "role"])
def test_requirement_matching_nobody_is_a_warning(tmp_path, scope):
    """Issue 20 #2: a department, team or role nobody has is valid input,
    with a warning naming the cell and the value."""
    s = minimal()
    s["test_requirements"].append(["R3", scope, "Pilots", 7, None, None])
    inst = read(tmp_path, s)
    (warning,) = inst.warnings
    assert "row 4" in warning and "'Pilots'" in warning and "R3" in warning
    assert [r.value for r in inst.test_requirements][-1] == "Pilots"


def test_requirement_warning_reaches_summary_and_run_json(tmp_path, capsys):
    """The warning is printed with the summary and kept in run.json."""
    s = minimal()
    s["test_requirements"].append(["R3", "role", "Pilots", 7, None, None])
    path = write(tmp_path, s)
    out = tmp_path / "run"
    code = main(["run", str(path), "--out", str(out), "--time-limit", "2"])
    assert code == 0
    summary = capsys.readouterr().out
    assert "warning:" in summary and "'Pilots'" in summary
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert any("'Pilots'" in w for w in meta["warnings"])


@pytest.mark.parametrize("product", [None, "VaxA", "VaxZ"])
def test_unknown_service_is_reported_as_a_service(tmp_path, product):
    """Issue 20 #3: an unknown service is reported under ``service`` with
    its value and what a service may be; the row's product is not judged
    by a service the row does not have."""
    s = minimal()
    set_cell(s, "sessions", 2, "service", "flu jab")
    set_cell(s, "sessions", 2, "product", product)
    found = issues(tmp_path, s)
    assert [(i.sheet, i.row) for i in found] == [("sessions", 2)]
    issue = find(found, "sessions", 2, "service")
    assert issue.value == "flu jab"
    assert "service" in issue.expected and "vaccination" in issue.expected
