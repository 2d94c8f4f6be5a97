"""Every sheet and column of the input workbook, declared once.

The reader, the validator and any template writer take names, aliases,
kinds and defaults from here, so the contract (spec/input-workbook.md)
lives in one place. ``kind`` names a parser in :mod:`scheduler.io.read.cells`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from scheduler.core.domain import BookingStatus

#: Upper limits that keep day and minute sums inside the calendar: a
#: longer interval or trip is a typing error, reported with its cell.
TEN_YEARS = 3650
MINUTES_A_DAY = 1440


class Kind(StrEnum):
    """How one cell is parsed (see ``cells.parse``)."""

    ID = "id"  # an id or a reference to one: normalised text
    IDS = "ids"  # comma-separated ids
    TEXT = "text"  # free text, spaces trimmed
    KEY = "key"  # text matched ignoring case (department, team, role)
    INT = "int"  # whole number within [lo, hi]
    NUMBER = "number"  # real number within [lo, hi] (gt: lo excluded)
    SHARE = "share"  # 0.9, 90% or 90 -> 0.9
    DATE = "date"
    TIME = "time"  # 00:00 .. 23:59
    END_TIME = "end_time"  # 00:00 .. 24:00
    BOOL = "bool"
    ENUM = "enum"  # one of ``choices`` (aliases included)
    DAYS = "days"  # weekdays or cycle:ON/OFF@date
    EXEMPTION = "exemption"
    LANGUAGE = "language"


@dataclass(frozen=True, slots=True)
class Column:
    """One column (or one settings key): names, parsing and default."""

    name: str
    aliases: tuple[str, ...] = ()
    kind: Kind = Kind.TEXT
    required: bool = False
    default: object = None
    lo: float | None = None
    hi: float | None = None
    gt: bool = False  # lower bound excluded
    choices: str | None = None  # enum name in cells.ENUMS


@dataclass(frozen=True, slots=True)
class SheetSpec:
    name: str
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = False

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def C(name: str, *aliases: str, **kw: object) -> Column:
    return Column(name, tuple(aliases), **kw)  # type: ignore[arg-type]


ID, TEXT, KEY, INT = Kind.ID, Kind.TEXT, Kind.KEY, Kind.INT
DATE, TIME, END = Kind.DATE, Kind.TIME, Kind.END_TIME

SETTINGS = SheetSpec(
    "settings",
    ("设置",),
    (C("key", "项目", "键", required=True), C("value", "值", required=True)),
)

#: The keys of the settings sheet (English names only, per the contract).
SETTING_KEYS: tuple[Column, ...] = (
    C("horizon_start", kind=DATE),
    C("horizon_end", kind=DATE),
    C("team_away_max_share", kind=Kind.SHARE, default=0.25),
    C("team_vaccinated_per_day_max_share", kind=Kind.SHARE, default=0.5),
    C("observation_minutes", kind=INT, default=30, lo=0, hi=MINUTES_A_DAY),
    C(
        "test_blackout_hours_after_vaccination",
        kind=Kind.NUMBER,
        default=48.0,
        lo=0,
    ),
    C("coverage_target", kind=Kind.SHARE, default=0.9),
    C("boosters_enabled", kind=Kind.BOOL, default=True),
    C("time_limit_seconds", kind=Kind.NUMBER, default=60.0, lo=0, gt=True),
    C("gap_limit_percent", kind=Kind.NUMBER, default=0.5, lo=0, hi=100),
    C("language", kind=Kind.LANGUAGE, default="en"),
    C("change_cost", kind=Kind.NUMBER, default=2.0, lo=0),
)

WORKPLACES = SheetSpec(
    "workplaces",
    ("职场",),
    (
        C("workplace_id", "职场编号", kind=ID, required=True),
        C("name", "职场名称", required=True),
        C("city", "城市", default=""),
        C("address", "地址", default=""),
    ),
    required=True,
)

SITES = SheetSpec(
    "sites",
    ("地点",),
    (
        C("site_id", "地点编号", kind=ID, required=True),
        C("name", "地点名称", required=True),
        C("kind", "类型", kind=Kind.ENUM, choices="site_kind", required=True),
        C("workplace_id", "职场编号", kind=ID),
        C("address", "地址", default=""),
    ),
    required=True,
)

TRAVEL = SheetSpec(
    "travel",
    ("交通",),
    (
        C("workplace_id", "职场编号", kind=ID, required=True),
        C("site_id", "地点编号", kind=ID, required=True),
        C(
            "minutes",
            "单程分钟",
            kind=INT,
            lo=0,
            hi=MINUTES_A_DAY,
            required=True,
        ),
    ),
)

PRODUCTS = SheetSpec(
    "products",
    ("疫苗",),
    (
        C("product", "疫苗", kind=ID, required=True),
        C("doses", "剂次", kind=INT, lo=1, hi=10, required=True),
        C(
            "min_interval_days",
            "最短间隔天数",
            kind=INT,
            lo=0,
            hi=TEN_YEARS,
            required=True,
        ),
        C(
            "max_interval_days",
            "最长间隔天数",
            kind=INT,
            lo=0,
            hi=TEN_YEARS,
            required=True,
        ),
        C("min_age", "最小年龄", kind=INT, lo=0, hi=150, default=18),
        C("max_age", "最大年龄", kind=INT, lo=0, hi=150),
        C("booster_after_days", "加强间隔天数", kind=INT, lo=0, hi=TEN_YEARS),
    ),
)

SESSIONS = SheetSpec(
    "sessions",
    ("场次",),
    (
        C("session_id", "场次编号", kind=ID, required=True),
        C(
            "service",
            "服务",
            kind=Kind.ENUM,
            choices="service",
            required=True,
        ),
        C("site_id", "地点编号", kind=ID, required=True),
        C("date", "日期", kind=DATE, required=True),
        C("start", "开始", kind=TIME, required=True),
        C("end", "结束", kind=END, required=True),
        C("slot_minutes", "时段分钟", kind=INT, lo=1, default=30),
        C("capacity_per_slot", "每时段人数", kind=INT, lo=1, required=True),
        C("product", "疫苗", kind=ID),
        C("doses_available", "疫苗数量", kind=INT, lo=1),
        C("observation_seats", "留观座位", kind=INT, lo=0),
        C("provider", "服务单位", default=""),
        C("workplaces", "限职场", kind=Kind.IDS),
    ),
    required=True,
)

SHIFT_PATTERNS = SheetSpec(
    "shift_patterns",
    ("班次",),
    (
        C("pattern_id", "班次编号", kind=ID, required=True),
        C("days", "工作日", kind=Kind.DAYS, required=True),
        C("start", "上班", kind=TIME, required=True),
        C("end", "下班", kind=END, required=True),
    ),
)

CALENDAR = SheetSpec(
    "calendar",
    ("日历",),
    (
        C("date", "日期", kind=DATE, required=True),
        C(
            "kind",
            "类型",
            kind=Kind.ENUM,
            choices="calendar_kind",
            required=True,
        ),
    ),
)

EMPLOYEES = SheetSpec(
    "employees",
    ("员工",),
    (
        C("employee_id", "工号", kind=ID, required=True),
        C("name", "姓名", required=True),
        C("workplace_id", "职场编号", kind=ID, required=True),
        C("department", "部门", kind=KEY, required=True),
        C("team", "团队", "班组", kind=KEY, default=""),
        C("role", "岗位", kind=KEY, default=""),
        C("shift_pattern", "班次", kind=ID, default="office"),
        C("birth_date", "出生日期", kind=DATE),
        C("age", "年龄", kind=INT, lo=0, hi=150),
        C("phone", "手机", default=""),
        C("doses_received", "已接种剂次", kind=INT, lo=0, hi=10, default=0),
        C("last_dose_date", "末次接种日期", kind=DATE),
        C("last_product", "末次疫苗", kind=ID),
        C("vaccination_exemption", "接种豁免", kind=Kind.EXEMPTION),
        C("last_test_date", "末次核酸日期", kind=DATE),
        C("priority", "优先级", kind=INT, lo=1, hi=5, default=3),
    ),
    required=True,
)

ABSENCES = SheetSpec(
    "absences",
    ("请假",),
    (
        C("employee_id", "工号", kind=ID, required=True),
        C("start_date", "开始日期", kind=DATE, required=True),
        C("end_date", "结束日期", kind=DATE, required=True),
        C("reason", "原因", default=""),
    ),
)

DUTY = SheetSpec(
    "duty",
    ("排班",),
    (
        C("employee_id", "工号", kind=ID, required=True),
        C("date", "日期", kind=DATE, required=True),
        C("start", "上班", kind=TIME, required=True),
        C("end", "下班", kind=END, required=True),
    ),
)

TEST_REQUIREMENTS = SheetSpec(
    "test_requirements",
    ("核酸要求",),
    (
        C("requirement_id", "要求编号", kind=ID, required=True),
        C("scope", "范围", kind=Kind.ENUM, choices="scope", required=True),
        C("value", "范围值", kind=KEY),
        C("every_days", "间隔天数", kind=INT, lo=1, hi=TEN_YEARS),
        C("window_start", "开始日期", kind=DATE),
        C("window_end", "结束日期", kind=DATE),
    ),
)

BOOKINGS = SheetSpec(
    "bookings",
    ("预约",),
    (
        C("employee_id", "工号", kind=ID, required=True),
        C("session_id", "场次编号", kind=ID, required=True),
        C("slot_start", "时段开始", kind=TIME, required=True),
        C("pinned", "锁定", kind=Kind.BOOL, default=False),
        C(
            "status",
            "状态",
            kind=Kind.ENUM,
            choices="booking_status",
            default=BookingStatus.BOOKED,
        ),
    ),
)

#: All sheets in the order a template shows them (and the reader checks).
SHEETS: tuple[SheetSpec, ...] = (
    SETTINGS,
    WORKPLACES,
    SITES,
    TRAVEL,
    PRODUCTS,
    SESSIONS,
    SHIFT_PATTERNS,
    CALENDAR,
    EMPLOYEES,
    ABSENCES,
    DUTY,
    TEST_REQUIREMENTS,
    BOOKINGS,
)
SHEET_BY_NAME: dict[str, SheetSpec] = {s.name: s for s in SHEETS}

#: Header rows for a template: English names, and the first Chinese alias.
HEADERS: dict[str, list[str]] = {
    s.name: [c.name for c in s.columns] for s in SHEETS
}
HEADERS_ZH: dict[str, list[str]] = {
    s.name: [c.aliases[0] if c.aliases else c.name for c in s.columns]
    for s in SHEETS
}
SHEET_NAMES_ZH: dict[str, str] = {s.name: s.aliases[0] for s in SHEETS}
REQUIRED_HEADERS: dict[str, list[str]] = {
    s.name: [c.name for c in s.required_columns] for s in SHEETS
}

_SEP = re.compile(r"[\s\-]+")


def label_key(text: object) -> str:
    """Comparable form of a sheet name, header or settings key.

    Case, surrounding spaces, full-width forms, a trailing ``*`` (required
    marker) and space/hyphen versus underscore do not matter.
    """
    s = unicodedata.normalize("NFKC", str(text)).strip().rstrip("*").strip()
    return _SEP.sub("_", s.casefold())


def _index(names: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canon, aliases in names.items():
        for n in (canon, *aliases):
            out.setdefault(label_key(n), canon)
    return out


SHEET_INDEX: dict[str, str] = _index({s.name: s.aliases for s in SHEETS})
COLUMN_INDEX: dict[str, dict[str, str]] = {
    s.name: _index({c.name: c.aliases for c in s.columns}) for s in SHEETS
}
SETTING_INDEX: dict[str, str] = _index({k.name: () for k in SETTING_KEYS})
SETTING_BY_NAME: dict[str, Column] = {k.name: k for k in SETTING_KEYS}

#: Sessions HR could still add (capacity.md): read only by
#: ``scheduler plan-capacity``, so kept out of ``SHEETS`` (a run, the
#: template and the generator know nothing of it).
SESSION_OPTIONS = SheetSpec(
    "session_options",
    ("候选场次",),
    (
        *SESSIONS.columns,
        C("cost", "费用", kind=Kind.NUMBER, lo=0, default=1.0),
    ),
)
OPTION_SHEET_KEYS: frozenset[str] = frozenset(
    label_key(n) for n in (SESSION_OPTIONS.name, *SESSION_OPTIONS.aliases)
)
COLUMN_INDEX[SESSION_OPTIONS.name] = _index(
    {c.name: c.aliases for c in SESSION_OPTIONS.columns}
)
