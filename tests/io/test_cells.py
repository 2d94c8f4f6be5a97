"""Single-cell parsers: every accepted form, and what is refused."""

from datetime import date, datetime, time, timedelta

import pytest

from scheduler.core.domain import (
    BookingStatus,
    CalendarKind,
    Scope,
    Service,
    SiteKind,
)
from scheduler.io.read import cells
from scheduler.io.read.cells import CellError


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        ("E001", None, "E001"),
        ("  00123 ", None, "00123"),
        (123, "General", "123"),
        (123.0, "General", "123"),
        (123, "00000", "00123"),
        (123, '"E"0000', "E0123"),
        (123456, "000", "123456"),
        (123, "0.00", "123"),
        ("ＥＭＰ００１", None, "EMP001"),
        ("E  1", None, "E 1"),
        ("\u3000A1\u3000", None, "A1"),
        (12.5, None, "12.5"),
    ],
)
def test_ids(value, fmt, expected):
    assert cells.parse_id(value, fmt) == expected


@pytest.mark.parametrize("value", [True, datetime(2021, 6, 1), time(9), "  "])
def test_bad_ids(value):
    with pytest.raises(CellError):
        cells.parse_id(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2021, 6, 1), date(2021, 6, 1)),
        (datetime(2021, 6, 1, 10, 30), date(2021, 6, 1)),
        (date(2021, 6, 1), date(2021, 6, 1)),
        (44348, date(2021, 6, 1)),
        (44348.0, date(2021, 6, 1)),
        (20210601, date(2021, 6, 1)),
        ("2021-06-01", date(2021, 6, 1)),
        ("2021/6/1", date(2021, 6, 1)),
        ("2021.6.1", date(2021, 6, 1)),
        ("20210601", date(2021, 6, 1)),
        ("2021年6月1日", date(2021, 6, 1)),
        ("２０２１年６月１日", date(2021, 6, 1)),
        (" 2021-06-01 00:00:00 ", date(2021, 6, 1)),
    ],
)
def test_dates(value, expected):
    assert cells.parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2021-02-30",
        "20210230",
        "2021年2月30日",
        "June 1",
        "1/6/2021",
        0,
        -5,
        time(9),
        True,
        "44348",
        float("nan"),
        10**9,
    ],
)
def test_bad_dates(value):
    with pytest.raises(CellError):
        cells.parse_date(value)


def test_impossible_date_says_so():
    with pytest.raises(CellError, match="2021-02-30 does not exist"):
        cells.parse_date("2021-02-30")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (time(9, 0), 540),
        ("9:00", 540),
        ("09:00", 540),
        ("0900", 540),
        ("900", 540),
        ("09:30:00", 570),
        ("９：００", 540),
        ("2:30 PM", 870),
        (0.375, 540),
        (900, 540),
        (timedelta(hours=9), 540),
        (datetime(2021, 6, 1, 9, 0), 540),
        ("00:00", 0),
    ],
)
def test_times(value, expected):
    assert cells.parse_time(value) == expected


@pytest.mark.parametrize(
    "value",
    ["24:00", "2400", 1.0, 2400, datetime(1900, 1, 1), timedelta(days=1)],
)
def test_2400_is_an_end_only(value):
    assert cells.parse_time(value, allow_2400=True) == 1440
    with pytest.raises(CellError):
        cells.parse_time(value)


@pytest.mark.parametrize(
    "value",
    [
        "25:00",
        "9:60",
        "24:30",
        "9",
        "nine",
        "9:00:30",
        1.5,
        2500,
        -0.1,
        True,
        date(2021, 6, 1),
    ],
)
def test_bad_times(value):
    with pytest.raises(CellError):
        cells.parse_time(value, allow_2400=True)


@pytest.mark.parametrize(
    "value", [True, 1, 1.0, "yes", "YES", "y", "Y", "true", "TRUE", "1", "是"]
)
def test_true(value):
    assert cells.parse_bool(value) is True


@pytest.mark.parametrize(
    "value", [False, 0, "no", "No", "n", "N", "false", "False", "0", "否"]
)
def test_false(value):
    assert cells.parse_bool(value) is False


@pytest.mark.parametrize("value", ["maybe", 2, "是的吧", date(2021, 1, 1)])
def test_bad_bools(value):
    with pytest.raises(CellError):
        cells.parse_bool(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.9, 0.9),
        ("0.9", 0.9),
        ("90%", 0.9),
        (" 90 % ", 0.9),
        (90, 0.9),
        ("90", 0.9),
        (1, 1.0),
        (0, 0.0),
        ("100%", 1.0),
        (0.25, 0.25),
    ],
)
def test_shares(value, expected):
    assert cells.parse_share(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", [-0.1, "150%", 101, "abc", True, "-5%"])
def test_bad_shares(value):
    with pytest.raises(CellError):
        cells.parse_share(value)


def test_positive_whole_numbers():
    assert cells.parse_int(3, lo=1) == 3
    assert cells.parse_int(3.0, lo=1) == 3
    assert cells.parse_int(" 3 ", lo=1) == 3
    assert cells.parse_int("３", lo=1) == 3
    for bad in (2.5, 0, -1, "2.5", "x", True):
        with pytest.raises(CellError, match="positive whole number"):
            cells.parse_int(bad, lo=1)


@pytest.mark.parametrize(
    ("choices", "value", "expected"),
    [
        ("site_kind", "onsite", SiteKind.ONSITE),
        ("site_kind", "驻场", SiteKind.ONSITE),
        ("site_kind", "On-Site", SiteKind.ONSITE),
        ("site_kind", "社康", SiteKind.COMMUNITY),
        ("service", "Vaccination", Service.VACCINATION),
        ("service", "接种", Service.VACCINATION),
        ("service", "nucleic test", Service.NUCLEIC_TEST),
        ("service", "核酸", Service.NUCLEIC_TEST),
        ("calendar_kind", "节假日", CalendarKind.HOLIDAY),
        ("calendar_kind", "调休上班", CalendarKind.WORKDAY),
        ("scope", "ALL", Scope.ALL),
        ("scope", "全部", Scope.ALL),
        ("scope", "职场", Scope.WORKPLACE),
        ("scope", "部门", Scope.DEPARTMENT),
        ("scope", "团队", Scope.TEAM),
        ("scope", "岗位", Scope.ROLE),
        ("booking_status", "booked", BookingStatus.BOOKED),
        ("booking_status", "已到", BookingStatus.ATTENDED),
        ("booking_status", "no-show", BookingStatus.NO_SHOW),
        ("booking_status", "No Show", BookingStatus.NO_SHOW),
        ("booking_status", "未到", BookingStatus.NO_SHOW),
        ("booking_status", "取消", BookingStatus.CANCELLED),
        ("booking_status", "Cancelled", BookingStatus.CANCELLED),
    ],
)
def test_enums(choices, value, expected):
    assert cells.parse_enum(value, choices) is expected


def test_bad_enum_lists_the_choices():
    with pytest.raises(CellError, match="onsite/驻场 or community/社康"):
        cells.parse_enum("office", "site_kind")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon,Tue,Wed,Thu,Fri", {0, 1, 2, 3, 4}),
        ("mon, tue ,WED", {0, 1, 2}),
        ("周一,周二,周三,周四,周五", {0, 1, 2, 3, 4}),
        ("周六、周日", {5, 6}),
        ("星期一，星期天", {0, 6}),
        ("Monday Tuesday", {0, 1}),
        ("Mon-Fri", {0, 1, 2, 3, 4}),
        ("周一至周五", {0, 1, 2, 3, 4}),
        ("Fri-Mon", {4, 5, 6, 0}),
    ],
)
def test_weekdays(value, expected):
    assert cells.parse_days(value).weekdays == frozenset(expected)


@pytest.mark.parametrize(
    "value",
    ["cycle:4/2@2021-06-01", "Cycle: 4 / 2 @ 2021/6/1", "cycle：4/2@20210601"],
)
def test_cycles(value):
    d = cells.parse_days(value)
    assert (d.cycle_on, d.cycle_off, d.anchor) == (4, 2, date(2021, 6, 1))
    assert d.weekdays is None


@pytest.mark.parametrize(
    "value",
    [
        "cycle:4/2",
        "cycle:4-2@2021-06-01",
        "cycle:0/2@2021-06-01",
        "cycle:4/2@2021-02-30",
        "Mon,Funday",
        "",
        5,
    ],
)
def test_bad_days(value):
    with pytest.raises(CellError):
        cells.parse_days(value)


@pytest.mark.parametrize(
    "value",
    ["no", "N", "none", "N/A", "false", "0", 0, "-", "否", "无", False],
)
def test_not_exempt(value):
    assert cells.parse_exemption(value) is None


@pytest.mark.parametrize("value", ["medical", "declined", "pregnant", "yes"])
def test_exempt(value):
    assert cells.parse_exemption(value) == value


def test_id_lists():
    assert cells.parse_ids("WP1, WP2，WP3、 WP4") == (
        "WP1",
        "WP2",
        "WP3",
        "WP4",
    )
    assert cells.parse_ids(7) == ("7",)


@pytest.mark.parametrize("value", ["#N/A", "#REF!", " #div/0! ", "#VALUE!"])
def test_error_codes(value):
    assert cells.error_code(value) is not None


def test_language():
    assert cells.parse_language("ZH") == "zh"
    assert cells.parse_language("en") == "en"
    with pytest.raises(CellError, match="en or zh"):
        cells.parse_language("fr")
