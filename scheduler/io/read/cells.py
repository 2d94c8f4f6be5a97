"""Parsing of single cell values: forgiving about form, strict about meaning.

HR types or pastes values from other systems, so one meaning arrives in many
forms (Excel dates and serials, ``2021/6/1``, ``2021年6月1日``; ``是``/``Y``;
``90%``; full-width digits). Every parser takes the raw value openpyxl gives
and returns the canonical value or raises :class:`CellError` with what was
expected, in plain English, for the issue list. Blank cells never reach a
parser: callers handle defaults and required columns.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel

from scheduler.core.domain import (
    BookingStatus,
    CalendarKind,
    Scope,
    Service,
    SiteKind,
    hhmm,
)
from scheduler.core.messages import Msg, nothing
from scheduler.io.read.schema import Column, Kind

if TYPE_CHECKING:
    from enum import StrEnum


class CellError(ValueError):
    """A cell value that cannot mean what its column needs; ``expected``
    says what it should be (a catalogue message)."""

    def __init__(self, expected: Msg) -> None:
        super().__init__(expected)
        self.expected = expected


ERROR_CODES = frozenset(
    {
        "#N/A",
        "#REF!",
        "#DIV/0!",
        "#VALUE!",
        "#NAME?",
        "#NULL!",
        "#NUM!",
        "#SPILL!",
        "#CALC!",
        "#GETTING_DATA",
        "#FIELD!",
        "#BLOCKED!",
        "#UNKNOWN!",
        "#CONNECT!",
        "#BUSY!",
    }
)

_WS = re.compile(r"\s+")


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def error_code(value: object) -> str | None:
    """The Excel error shown by a cell (``#N/A`` …), else None."""
    if isinstance(value, str):
        s = value.strip().upper()
        if s in ERROR_CODES:
            return s
    return None


def norm(text: str) -> str:
    """Full-width to half-width (NFKC), trimmed, inner spaces collapsed."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def fold(text: str) -> str:
    """The form two ids or names are compared in: normalised, no case."""
    return norm(text).casefold()


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise CellError(Msg("cell.finite"))
    return value


# --- text and ids ----------------------------------------------------------

_FMT_TOKEN = re.compile(r'"([^"]*)"|\\(.)|([0#]+)|(.)')


def _padded(n: int, number_format: str | None) -> str | None:
    """``n`` as a zero-padding format such as ``00000`` shows it."""
    if not number_format or "0" not in number_format:
        return None
    section = number_format.split(";")[0]
    parts: list[str] = []
    width = -1
    for lit, esc, digits, other in _FMT_TOKEN.findall(section):
        if digits:
            if width >= 0:
                return None  # two digit runs: not a plain padding format
            width = digits.count("0")
            parts.append("\0")
        elif other:
            if other in ".,%Ee[]?/*_ ":
                return None
            parts.append(other)
        else:
            parts.append(lit or esc)
    if width < 0:
        return None
    return "".join(parts).replace("\0", str(n).zfill(width))


def number_as_text(value: int | float, number_format: str | None) -> str:
    """A number cell as Excel shows it in a text column: 123 not 123.0."""
    _finite(float(value))
    if float(value).is_integer():
        n = int(value)
        if n >= 0:
            shown = _padded(n, number_format)
            if shown is not None:
                return shown
        return str(n)
    return repr(float(value))


def parse_text(value: object, number_format: str | None = None) -> str:
    if _is_number(value):
        return number_as_text(value, number_format)  # type: ignore[arg-type]
    if isinstance(value, str):
        return value.strip()
    raise CellError(Msg("cell.text"))


def parse_id(value: object, number_format: str | None = None) -> str:
    """Ids are text; numbers as shown, spaces and full-width normalised."""
    if isinstance(value, bool | datetime | date | time | timedelta):
        raise CellError(Msg("cell.id"))
    s = norm(parse_text(value, number_format))
    if not s:
        raise CellError(Msg("cell.id"))
    return s


def parse_key(value: object, number_format: str | None = None) -> str:
    """A name matched ignoring case: department, team, role, scope value."""
    if isinstance(value, bool | datetime | date | time | timedelta):
        raise CellError(Msg("cell.name"))
    return norm(parse_text(value, number_format))


_LIST_SEP = re.compile(r"[,;、\n]+")  # after NFKC: full-width , ; too


def parse_ids(
    value: object, number_format: str | None = None
) -> tuple[str, ...]:
    """Ids separated by commas (full-width too), ``、`` or ``;``."""
    if _is_number(value):
        return (parse_id(value, number_format),)
    if not isinstance(value, str):
        raise CellError(Msg("cell.ids"))
    text = unicodedata.normalize("NFKC", value)
    items = tuple(norm(p) for p in _LIST_SEP.split(text))
    return tuple(p for p in items if p)


NOT_EXEMPT = frozenset(
    {"", "no", "n", "none", "n/a", "false", "0", "-", "否", "无"}
)


def parse_exemption(value: object) -> str | None:
    """Any text is an exemption reason except the usual ways to say none."""
    if isinstance(value, bool):
        return "yes" if value else None
    s = parse_text(value)
    return None if fold(s) in NOT_EXEMPT else s


# --- numbers ---------------------------------------------------------------


def _to_float(value: object, expected: Msg) -> float:
    if _is_number(value):
        f = float(value)  # type: ignore[arg-type]
    elif isinstance(value, str):
        try:
            f = float(norm(value).replace(",", ""))
        except ValueError:
            raise CellError(expected) from None
    else:
        raise CellError(expected)
    if not math.isfinite(f):
        raise CellError(expected)
    return f


def _range_text(lo: float | None, hi: float | None, gt: bool) -> Msg:
    def n(x: float) -> str:
        return str(int(x)) if float(x).is_integer() else str(x)

    if lo is not None and hi is not None:
        return Msg("range.between", lo=n(lo), hi=n(hi))
    if lo is not None:
        if gt:
            return Msg("range.greater", lo=n(lo))
        if lo == 1:
            return Msg("range.one_or_more")
        return Msg("range.at_least", lo=n(lo))
    if hi is not None:
        return Msg("range.at_most", hi=n(hi))
    return nothing()


def int_expected(lo: float | None, hi: float | None) -> Msg:
    if lo == 1 and hi is None:
        return Msg("cell.int_positive")
    return Msg("cell.int", range=_range_text(lo, hi, False))


def parse_int(
    value: object, lo: float | None = None, hi: float | None = None
) -> int:
    expected = int_expected(lo, hi)
    f = _to_float(value, expected)
    if not f.is_integer():
        raise CellError(expected)
    n = int(f)
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise CellError(expected)
    return n


def parse_number(
    value: object,
    lo: float | None = None,
    hi: float | None = None,
    gt: bool = False,
) -> float:
    expected = Msg("cell.number", range=_range_text(lo, hi, gt))
    f = _to_float(value, expected)
    if lo is not None and (f <= lo if gt else f < lo):
        raise CellError(expected)
    if hi is not None and f > hi:
        raise CellError(expected)
    return f


SHARE_EXPECTED = Msg("cell.share")


def parse_share(value: object) -> float:
    """``0.9``, ``90%`` and ``90`` all mean 0.9."""
    if isinstance(value, str) and norm(value).endswith("%"):
        f = _to_float(norm(value)[:-1], SHARE_EXPECTED) / 100
    else:
        f = _to_float(value, SHARE_EXPECTED)
        if 1 < f <= 100:
            f /= 100
    if not 0 <= f <= 1:
        raise CellError(SHARE_EXPECTED)
    return f


_TRUE = frozenset({"yes", "y", "true", "t", "1", "是", "对", "✓"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "否", "不", "✗"})
BOOL_EXPECTED = Msg("cell.bool")


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if _is_number(value) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        s = fold(value)
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise CellError(BOOL_EXPECTED)


# --- dates and times -------------------------------------------------------

DATE_EXPECTED = Msg("cell.date")
_DATE_RES = (
    re.compile(
        r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
        r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?)?"
    ),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
    re.compile(r"(\d{4}) ?年 ?(\d{1,2}) ?月 ?(\d{1,2}) ?[日号]?"),
)


def _ymd(y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise CellError(
            Msg("cell.date_real", day=f"{y}-{m:02d}-{d:02d}")
        ) from None


def parse_date(value: object, epoch: datetime = CALENDAR_WINDOWS_1900) -> date:
    """Excel dates and serials, ``2021-06-01``, ``2021/6/1``, ``20210601``,
    ``2021年6月1日``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if _is_number(value):
        f = _finite(float(value))  # type: ignore[arg-type]
        if f.is_integer() and 10_000_000 <= f <= 99_991_231:
            s = str(int(f))
            return _ymd(int(s[:4]), int(s[4:6]), int(s[6:]))
        if 1 <= f < 2_958_466:  # Excel serial day numbers
            d = from_excel(f, epoch)
            if isinstance(d, datetime):
                return d.date()
        raise CellError(DATE_EXPECTED)
    if isinstance(value, str):
        s = norm(value)
        for rx in _DATE_RES:
            m = rx.fullmatch(s)
            if m:
                return _ymd(*(int(g) for g in m.groups()))
    raise CellError(DATE_EXPECTED)


_TIME_RE = re.compile(
    r"(\d{1,2}) ?: ?(\d{2})(?: ?: ?(\d{2}))? ?([ap]\.?m\.?)?", re.I
)
_HHMM_RE = re.compile(r"(\d{1,2})(\d{2})")


def time_expected(allow_2400: bool) -> Msg:
    return Msg("cell.end_time" if allow_2400 else "cell.time")


def _hm(h: int, m: int, s: int, allow_2400: bool) -> int:
    minutes = h * 60 + m
    if m > 59 or s > 59 or minutes > 1440 or (s and minutes == 1440):
        raise CellError(time_expected(allow_2400))
    if s:
        raise CellError(Msg("cell.time_minutes"))
    if minutes == 1440 and not allow_2400:
        raise CellError(Msg("cell.time_before_2400"))
    return minutes


def _from_seconds(seconds: float, allow_2400: bool) -> int:
    total = round(seconds)
    if not 0 <= total <= 86_400:
        raise CellError(time_expected(allow_2400))
    return _hm(total // 3600, total % 3600 // 60, total % 60, allow_2400)


def parse_time(value: object, allow_2400: bool = False) -> int:
    """Minutes after midnight from Excel times, ``9:00``, ``09:00``,
    ``0900``; ``24:00`` (1440) only where ``allow_2400``."""
    if isinstance(value, time):
        return _hm(value.hour, value.minute, value.second, allow_2400)
    if isinstance(value, timedelta):
        return _from_seconds(value.total_seconds(), allow_2400)
    if isinstance(value, datetime):
        # Excel's 24:00 is serial 1.0, which openpyxl shows as 1900-01-01
        # (1904-01-02 in the 1904 date system).
        if value.date() in (date(1900, 1, 1), date(1904, 1, 2)):
            secs = 86_400 + value.hour * 3600 + value.minute * 60
            return _from_seconds(secs + value.second, allow_2400)
        return _hm(value.hour, value.minute, value.second, allow_2400)
    if _is_number(value):
        f = _finite(float(value))  # type: ignore[arg-type]
        if 0 <= f <= 1:
            return _from_seconds(f * 86_400, allow_2400)
        if f.is_integer() and 100 <= f <= 2400:  # 0900 typed as 900
            return _hm(int(f) // 100, int(f) % 100, 0, allow_2400)
        raise CellError(time_expected(allow_2400))
    if isinstance(value, str):
        s = norm(value)
        m = _TIME_RE.fullmatch(s)
        if m:
            h, mi = int(m[1]), int(m[2])
            sec = int(m[3] or 0)
            if m[4]:
                if not 1 <= h <= 12:
                    raise CellError(time_expected(allow_2400))
                h = h % 12 + (12 if m[4][0] in "pP" else 0)
            return _hm(h, mi, sec, allow_2400)
        m = _HHMM_RE.fullmatch(s)
        if m and len(s) >= 3:
            return _hm(int(m[1]), int(m[2]), 0, allow_2400)
    raise CellError(time_expected(allow_2400))


# --- enums, weekdays, cycles ------------------------------------------------


def _enum_key(text: str) -> str:
    return re.sub(r"[\s\-_]+", "_", fold(text))


ENUMS: dict[str, tuple[type[StrEnum], dict[str, str], str]] = {
    "service": (
        Service,
        {
            "接种": "vaccination",
            "疫苗接种": "vaccination",
            "vaccine": "vaccination",
            "核酸": "nucleic_test",
            "核酸检测": "nucleic_test",
            "nucleic_acid_test": "nucleic_test",
            "pcr": "nucleic_test",
            "pcr_test": "nucleic_test",
        },
        "cell.enum.service",
    ),
    "site_kind": (
        SiteKind,
        {"驻场": "onsite", "on_site": "onsite", "社康": "community"},
        "cell.enum.site_kind",
    ),
    "calendar_kind": (
        CalendarKind,
        {
            "节假日": "holiday",
            "假日": "holiday",
            "调休上班": "workday",
            "调休": "workday",
            "work_day": "workday",
            "working_day": "workday",
        },
        "cell.enum.calendar_kind",
    ),
    "scope": (
        Scope,
        {
            "全部": "all",
            "所有": "all",
            "职场": "workplace",
            "部门": "department",
            "团队": "team",
            "班组": "team",
            "岗位": "role",
        },
        "cell.enum.scope",
    ),
    "booking_status": (
        BookingStatus,
        {
            "已预约": "booked",
            "预约": "booked",
            "已到": "attended",
            "未到": "no_show",
            "noshow": "no_show",
            "取消": "cancelled",
            "已取消": "cancelled",
            "canceled": "cancelled",
        },
        "cell.enum.booking_status",
    ),
}


def parse_enum(value: object, choices: str) -> StrEnum:
    enum, aliases, expected = ENUMS[choices]
    if isinstance(value, str):
        k = _enum_key(value)
        k = aliases.get(k, k)
        try:
            return enum(k)
        except ValueError:
            pass
    raise CellError(Msg(expected))


_LANGUAGES = {
    "en": "en",
    "english": "en",
    "英文": "en",
    "zh": "zh",
    "zh_cn": "zh",
    "chinese": "zh",
    "中文": "zh",
}


def parse_language(value: object) -> str:
    if isinstance(value, str):
        lang = _LANGUAGES.get(_enum_key(value))
        if lang:
            return lang
    raise CellError(Msg("cell.language"))


_WEEKDAY_NAMES = (
    ("mon", "monday", "周一", "星期一", "礼拜一"),
    ("tue", "tues", "tuesday", "周二", "星期二", "礼拜二"),
    ("wed", "weds", "wednesday", "周三", "星期三", "礼拜三"),
    ("thu", "thur", "thurs", "thursday", "周四", "星期四", "礼拜四"),
    ("fri", "friday", "周五", "星期五", "礼拜五"),
    ("sat", "saturday", "周六", "星期六", "礼拜六"),
    (
        "sun",
        "sunday",
        "周日",
        "周天",
        "星期日",
        "星期天",
        "礼拜日",
        "礼拜天",
    ),
)
WEEKDAYS: dict[str, int] = {
    n: i for i, names in enumerate(_WEEKDAY_NAMES) for n in names
}
DAYS_EXPECTED = Msg("cell.days")
_CYCLE_RE = re.compile(r"cycle ?: ?(\d+) ?/ ?(\d+) ?@ ?(.+)")
_DAY_SEP = re.compile(r"[,;、 ]+")  # after NFKC
_RANGE_SEP = re.compile(" ?(?:-|~|\u2013|至|到) ?")


@dataclass(frozen=True, slots=True)
class Days:
    """The ``days`` of a shift pattern: weekdays, or an on/off cycle."""

    weekdays: frozenset[int] | None = None
    cycle_on: int | None = None
    cycle_off: int | None = None
    anchor: date | None = None


def _weekday(token: str) -> int:
    try:
        return WEEKDAYS[token]
    except KeyError:
        raise CellError(DAYS_EXPECTED) from None


def parse_days(value: object) -> Days:
    if not isinstance(value, str):
        raise CellError(DAYS_EXPECTED)
    s = fold(value)
    if s.startswith("cycle"):
        m = _CYCLE_RE.fullmatch(s)
        if not m or int(m[1]) < 1:
            raise CellError(Msg("cell.cycle"))
        try:
            anchor = parse_date(m[3])
        except CellError as e:
            raise CellError(
                Msg("cell.cycle_first_day", expected=e.expected)
            ) from None
        return Days(cycle_on=int(m[1]), cycle_off=int(m[2]), anchor=anchor)
    days: set[int] = set()
    s = _RANGE_SEP.sub("-", s)
    for token in _DAY_SEP.split(s):
        if not token:
            continue
        first, _, last = token.partition("-")
        a = _weekday(first)
        if not last:
            days.add(a)
            continue
        b = _weekday(last)
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    if not days:
        raise CellError(DAYS_EXPECTED)
    return Days(weekdays=frozenset(days))


# --- dispatch --------------------------------------------------------------


def parse(
    col: Column,
    value: object,
    number_format: str | None = None,
    epoch: datetime = CALENDAR_WINDOWS_1900,
) -> object:
    """Parse a non-blank ``value`` for ``col``; raises CellError."""
    k = col.kind
    if k is Kind.ID:
        return parse_id(value, number_format)
    if k is Kind.TEXT:
        if isinstance(value, bool | datetime | date | time | timedelta):
            return _shown(value)
        return parse_text(value, number_format)
    if k is Kind.KEY:
        return parse_key(value, number_format)
    if k is Kind.IDS:
        return parse_ids(value, number_format)
    if k is Kind.INT:
        return parse_int(value, col.lo, col.hi)
    if k is Kind.NUMBER:
        return parse_number(value, col.lo, col.hi, col.gt)
    if k is Kind.SHARE:
        return parse_share(value)
    if k is Kind.DATE:
        return parse_date(value, epoch)
    if k is Kind.TIME:
        return parse_time(value, allow_2400=False)
    if k is Kind.END_TIME:
        return parse_time(value, allow_2400=True)
    if k is Kind.BOOL:
        return parse_bool(value)
    if k is Kind.ENUM:
        assert col.choices is not None
        return parse_enum(value, col.choices)
    if k is Kind.DAYS:
        return parse_days(value)
    if k is Kind.EXEMPTION:
        return parse_exemption(value)
    if k is Kind.LANGUAGE:
        return parse_language(value)
    raise AssertionError(k)


def _shown(value: object) -> str:
    """Free text from a typed cell (a name typed as TRUE or a date)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, time):
        return hhmm(value.hour * 60 + value.minute)
    return str(value)
