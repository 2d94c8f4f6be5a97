"""An input workbook for HR to fill in: ``scheduler template``.

Every sheet and column comes from :mod:`scheduler.io.read.schema`, so the
template always matches what the reader accepts. A first sheet (``README``
/ ``说明``) explains every sheet and column; each data sheet has its header
row (required columns bold), drop-down lists, number formats and one
example row whose first cell starts with ``e.g.`` (``例:``), which the
reader skips. With ``example=True`` the sheets hold the shipped example
drive (``inputs/campaign.xlsx``) instead.
"""

from __future__ import annotations

import math
import tempfile
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from scheduler.core.i18n import normalise_lang
from scheduler.io.read import cells
from scheduler.io.read.schema import (
    COLUMN_INDEX,
    SETTING_KEYS,
    SHEET_INDEX,
    SHEETS,
    Column,
    Kind,
    SheetSpec,
    label_key,
)
from scheduler.io.write.excel import (
    BOX,
    DATE_FORMAT,
    TEXT_FORMAT,
    atomic_save,
    font,
    set_text,
    sheet_ref,
)
from scheduler.io.write.layout import (
    CELL_PADDING,
    cell_points,
    content_width,
    print_setup,
    text_width,
)

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

DEFAULT_NAME = "campaign-template.xlsx"
#: Rows below the header that get formats and drop-down lists.
FORMATTED_ROWS = 1000
EXAMPLE_PREFIX = {"en": "e.g. ", "zh": "例: "}
#: The widest a column of a data sheet grows to show its examples.
MOST_WIDTH = 60

REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FILL = PatternFill("solid", fgColor="D9E1F2")
WRAP = Alignment(vertical="top", wrap_text=True)

# --- texts -------------------------------------------------------------------

#: What each sheet is for: sheet -> (en, zh).
SHEET_TEXT: dict[str, tuple[str, str]] = {
    "settings": (
        "Optional. Two columns, key and value: one row per setting. Keys are "
        "written with their English names. A key left out takes its default.",
        "可选。两列：项目和值，每行一项设置。项目用英文名填写；未填写的项目取默认值。",
    ),
    "workplaces": (
        "Required. The office buildings (职场) whose staff are scheduled.",
        "必填。需要安排员工的职场（办公楼）。",
    ),
    "sites": (
        "Required. Where sessions take place: a room in a building (onsite) "
        "or a community health centre (community).",
        "必填。场次所在地点：职场内的场地（驻场）或社区健康服务中心（社康）。",
    ),
    "travel": (
        "Optional. One-way travel minutes from a workplace to a site. A site "
        "a workplace has no row for is out of its reach (its own onsite site "
        "is always reachable, 0 minutes).",
        "可选。从职场到地点的单程分钟数。没有对应行的地点对该职场不可达"
        "（本职场的驻场地点始终可达，0 分钟）。",
    ),
    "products": (
        "Required when any vaccination session exists. One row per vaccine "
        "product.",
        "有接种场次时必填。每种疫苗一行。",
    ),
    "sessions": (
        "Required. One row per session of a service at a site on a date. "
        "Slots run from start in steps of slot_minutes; a slot that would "
        "end after end does not exist.",
        "必填。每个场次一行（某日某地点的某项服务）。时段从开始时间起按时段分钟"
        "划分；超出结束时间的时段不存在。",
    ),
    "shift_patterns": (
        "Optional. Working patterns named by employees; without this sheet "
        "everyone works 'office' (Mon-Fri 09:00-18:00).",
        "可选。员工所属的班次；没有此表时所有人按 office 班次"
        "（周一至周五 09:00-18:00）。",
    ),
    "calendar": (
        "Optional. Public holidays and swapped working days.",
        "可选。法定节假日和调休上班日。",
    ),
    "employees": (
        "Required. One row per employee to schedule.",
        "必填。每名需要安排的员工一行。",
    ),
    "absences": (
        "Optional. Leave: every duty period starting on a day from "
        "start_date to end_date (both included) is removed.",
        "可选。请假：开始日期至结束日期（含）内开始的班次都不上班。",
    ),
    "duty": (
        "Optional. Where an employee has rows here, these are their duty "
        "periods on those dates instead of their shift pattern.",
        "可选。员工在此表有记录的日期，按此表的上下班时间，而不按班次。",
    ),
    "test_requirements": (
        "Optional. Who needs nucleic-acid tests: regularly (every_days) or "
        "once within a window (window_start to window_end).",
        "可选。核酸检测要求：定期（间隔天数）或在某时间段内（开始日期至结束日期）检测一次。",
    ),
    "bookings": (
        "Optional. Appointments from an earlier run. Pinned bookings are "
        "kept; attended, no_show and cancelled rows are history only.",
        "可选。以前运行产生的预约。锁定的预约保持不变；已到、未到和取消的记录仅作历史。",
    ),
}

#: What each column (and each settings key) means: (sheet, column) ->
#: (en, zh). Every column of schema.SHEETS and every settings key is here
#: (a test checks it).
COLUMN_TEXT: dict[tuple[str, str], tuple[str, str]] = {
    ("settings", "key"): (
        "The setting's English name (see the keys below).",
        "设置项的英文名（见下方各项）。",
    ),
    ("settings", "value"): ("The setting's value.", "设置值。"),
    ("settings", "horizon_start"): (
        "First day planned.",
        "计划的第一天。",
    ),
    ("settings", "horizon_end"): (
        "Last day planned.",
        "计划的最后一天。",
    ),
    ("settings", "team_away_max_share"): (
        "Largest share of a team away at a session at the same time (rule 7).",
        "同一团队同时外出参加场次的最大比例（规则 7）。",
    ),
    ("settings", "team_vaccinated_per_day_max_share"): (
        "Largest share of a team vaccinated on one day (rule 8).",
        "同一团队一天内接种的最大比例（规则 8）。",
    ),
    ("settings", "observation_minutes"): (
        "Minutes kept after a vaccination for observation.",
        "接种后留观的分钟数。",
    ),
    ("settings", "test_blackout_hours_after_vaccination"): (
        "Hours after a vaccination during which no nucleic-acid test is "
        "booked (rule 11).",
        "接种后多少小时内不安排核酸检测（规则 11）。",
    ),
    ("settings", "coverage_target"): (
        "Vaccination-rate target per workplace (0.9, 90% or 90).",
        "每个职场的接种率目标（0.9、90% 或 90）。",
    ),
    ("settings", "boosters_enabled"): (
        "Schedule booster doses (yes/no).",
        "是否安排加强针（是/否）。",
    ),
    ("settings", "time_limit_seconds"): (
        "Solver time budget in seconds.",
        "求解时间上限（秒）。",
    ),
    ("settings", "gap_limit_percent"): (
        "Stop solving once the schedule is proven within this many percent "
        "of the best possible (0: use the whole time limit).",
        "排班方案经证明与最优方案相差不超过此百分比时即停止求解（0：用满求解时间）。",
    ),
    ("settings", "change_cost"): (
        "On a re-plan, what changing a booked appointment costs, in covered "
        "test days of a priority-3 person (a dose counts as the horizon's "
        "length): a booking moves only when that gains more (0: any gain).",
        "重新排班时改动一个已预约时段的代价，以优先级 3 员工的核酸覆盖天数计"
        "（一剂疫苗按排班天数计）：只有收益更大时才改动预约（0：有收益即改）。",
    ),
    ("settings", "language"): (
        "Language of the printed rosters and reports: en or zh.",
        "签到表和报告的语言：en 或 zh。",
    ),
    ("workplaces", "workplace_id"): (
        "Unique id of the workplace.",
        "职场的唯一编号。",
    ),
    ("workplaces", "name"): ("Name of the workplace.", "职场名称。"),
    ("workplaces", "city"): ("City.", "所在城市。"),
    ("workplaces", "address"): ("Address.", "地址。"),
    ("sites", "site_id"): ("Unique id of the site.", "地点的唯一编号。"),
    ("sites", "name"): ("Name of the site.", "地点名称。"),
    ("sites", "kind"): (
        "onsite (a room in one of the workplaces) or community (a community "
        "health centre).",
        "驻场（职场内的场地）或社康（社区健康服务中心）。",
    ),
    ("sites", "workplace_id"): (
        "The workplace the site is in; required for onsite sites.",
        "地点所在的职场；驻场地点必填。",
    ),
    ("sites", "address"): ("Address.", "地址。"),
    ("travel", "workplace_id"): (
        "The workplace travelled from.",
        "出发的职场。",
    ),
    ("travel", "site_id"): ("The site travelled to.", "前往的地点。"),
    ("travel", "minutes"): (
        "One-way travel time in minutes. A row for a workplace's own onsite "
        "site is ignored (always 0).",
        "单程分钟数。职场到本职场驻场地点的行会被忽略（始终为 0）。",
    ),
    ("products", "product"): (
        "Unique name of the vaccine product.",
        "疫苗名称（唯一）。",
    ),
    ("products", "doses"): (
        "Doses in the primary series.",
        "基础免疫的剂次数。",
    ),
    ("products", "min_interval_days"): (
        "Fewest days between two doses of the series.",
        "两剂之间最少间隔天数。",
    ),
    ("products", "max_interval_days"): (
        "Most days between two doses of the series.",
        "两剂之间最多间隔天数。",
    ),
    ("products", "min_age"): (
        "Youngest age that may receive it.",
        "可接种的最小年龄。",
    ),
    ("products", "max_age"): (
        "Oldest age that may receive it.",
        "可接种的最大年龄。",
    ),
    ("products", "booster_after_days"): (
        "Days after the series before a booster of this product; empty: "
        "not usable as a booster.",
        "完成基础免疫后多少天可用本疫苗加强；空：不能用作加强针。",
    ),
    ("sessions", "session_id"): (
        "Unique id of the session.",
        "场次的唯一编号。",
    ),
    ("sessions", "service"): (
        "vaccination or nucleic_test.",
        "接种或核酸。",
    ),
    ("sessions", "site_id"): ("Where the session takes place.", "场次地点。"),
    ("sessions", "date"): ("Date of the session.", "场次日期。"),
    ("sessions", "start"): (
        "Start time, such as 09:00.",
        "开始时间，如 09:00。",
    ),
    ("sessions", "end"): (
        "End time (after start; 24:00 allowed).",
        "结束时间（须晚于开始时间；可填 24:00）。",
    ),
    ("sessions", "slot_minutes"): (
        "Length of one slot in minutes.",
        "每个时段的分钟数。",
    ),
    ("sessions", "capacity_per_slot"): (
        "People served per slot (a positive whole number).",
        "每个时段可服务的人数（正整数）。",
    ),
    ("sessions", "product"): (
        "Vaccine offered; required for vaccination sessions.",
        "提供的疫苗；接种场次必填。",
    ),
    ("sessions", "doses_available"): (
        "Doses available in the session; empty: no limit.",
        "本场次可用疫苗数量；空：不限。",
    ),
    ("sessions", "observation_seats"): (
        "At most this many people of the session sit out their observation "
        "time at any moment; empty: no limit.",
        "任一时刻本场次最多留观人数；空：不限。",
    ),
    ("sessions", "provider"): (
        "Medical unit providing the service.",
        "提供服务的医疗单位。",
    ),
    ("sessions", "workplaces"): (
        "Comma-separated workplace ids the session is limited to; empty: "
        "open to all workplaces in reach.",
        "仅限这些职场（职场编号，逗号分隔）；空：可达的职场均可。",
    ),
    ("shift_patterns", "pattern_id"): (
        "Unique id of the pattern (a row named office replaces the "
        "built-in one).",
        "班次的唯一编号（名为 office 的行替换内置班次）。",
    ),
    ("shift_patterns", "days"): (
        "Weekdays such as Mon,Tue,Wed,Thu,Fri (周一,周二,… accepted), or a "
        "cycle such as cycle:4/2@2021-06-01 (4 days on, 2 off, first day on "
        "2021-06-01).",
        "工作日，如 Mon,Tue,Wed,Thu,Fri（也可写 周一,周二,…）；或轮班，"
        "如 cycle:4/2@2021-06-01"
        "（上 4 天休 2 天，2021-06-01 为第一个上班日）。",
    ),
    ("shift_patterns", "start"): ("Shift start time.", "上班时间。"),
    ("shift_patterns", "end"): (
        "Shift end time; before start means the next morning.",
        "下班时间；早于上班时间表示次日早上下班。",
    ),
    ("calendar", "date"): ("The date.", "日期。"),
    ("calendar", "kind"): (
        "holiday (no duty for weekday patterns) or workday (a weekend day "
        "worked).",
        "节假日（按工作日排班的不上班）或调休上班（周末上班）。",
    ),
    ("employees", "employee_id"): (
        "Unique employee number.",
        "员工工号（唯一）。",
    ),
    ("employees", "name"): ("Full name.", "姓名。"),
    ("employees", "workplace_id"): (
        "The workplace the employee works in (must exist in workplaces).",
        "所在职场（须在职场表中）。",
    ),
    ("employees", "department"): ("Department.", "所属部门。"),
    ("employees", "team"): (
        "Team; the continuity rules work per team.",
        "所属团队；团队相关规则按团队计算。",
    ),
    ("employees", "role"): (
        "Job role, used by test_requirements.",
        "岗位，用于核酸要求。",
    ),
    ("employees", "shift_pattern"): (
        "Shift pattern id (must exist, or be office).",
        "班次编号（须存在，或为 office）。",
    ),
    ("employees", "birth_date"): (
        "Date of birth (or give age).",
        "出生日期（或填写年龄）。",
    ),
    ("employees", "age"): (
        "Age on the first day planned; birth_date wins when both are given.",
        "计划首日的年龄；同时填写时以出生日期为准。",
    ),
    ("employees", "phone"): (
        "Mobile number (masked when printed).",
        "手机号（打印时隐去中间位）。",
    ),
    ("employees", "doses_received"): (
        "Vaccine doses already received.",
        "已接种的剂次数。",
    ),
    ("employees", "last_dose_date"): (
        "Date of the last dose; required when doses_received > 0; before "
        "the first day planned.",
        "末次接种日期；已接种剂次大于 0 时必填；须早于计划首日。",
    ),
    ("employees", "last_product"): (
        "Product of the last dose; required when doses_received > 0; must "
        "exist in products.",
        "末次接种的疫苗；已接种剂次大于 0 时必填；须在疫苗表中。",
    ),
    ("employees", "vaccination_exemption"): (
        "Any text (medical, declined, pregnant, ...) means exempt; blank, "
        "no, none, n/a, 否, 无 mean not exempt.",
        "填写任何内容（医学原因、拒绝、怀孕等）即为豁免；"
        "空、否、无、no 表示不豁免。",
    ),
    ("employees", "last_test_date"): (
        "Date of the last nucleic-acid test; before the first day planned.",
        "末次核酸日期；须早于计划首日。",
    ),
    ("employees", "priority"): (
        "1 (lowest) to 5 (highest).",
        "1（最低）至 5（最高）。",
    ),
    ("absences", "employee_id"): (
        "The employee on leave.",
        "请假员工的工号。",
    ),
    ("absences", "start_date"): ("First day of leave.", "请假第一天。"),
    ("absences", "end_date"): ("Last day of leave.", "请假最后一天。"),
    ("absences", "reason"): (
        "Reason (for HR only).",
        "请假原因（仅供参考）。",
    ),
    ("duty", "employee_id"): ("The employee.", "员工工号。"),
    ("duty", "date"): ("The date of the duty period.", "上班日期。"),
    ("duty", "start"): ("Start time.", "上班时间。"),
    ("duty", "end"): (
        "End time; before start means the next morning.",
        "下班时间；早于上班时间表示次日早上下班。",
    ),
    ("test_requirements", "requirement_id"): (
        "Unique id of the requirement.",
        "要求的唯一编号。",
    ),
    ("test_requirements", "scope"): (
        "Who it applies to: all, workplace, department, team or role.",
        "适用范围：全部、职场、部门、团队或岗位。",
    ),
    ("test_requirements", "value"): (
        "The workplace, department, team or role; required unless scope is "
        "all (a team name matches in any department).",
        "对应的职场、部门、团队或岗位；范围为全部时不填（团队名在所有部门中匹配）。",
    ),
    ("test_requirements", "every_days"): (
        "A test at least every this many days (or give a window).",
        "每隔多少天检测一次（或填写时间段）。",
    ),
    ("test_requirements", "window_start"): (
        "First day of a one-off window (with window_end).",
        "一次性检测时间段的第一天（与结束日期一起填写）。",
    ),
    ("test_requirements", "window_end"): (
        "Last day of a one-off window (with window_start).",
        "一次性检测时间段的最后一天（与开始日期一起填写）。",
    ),
    ("bookings", "employee_id"): ("The employee booked.", "预约员工的工号。"),
    ("bookings", "session_id"): ("The session booked.", "预约的场次。"),
    ("bookings", "slot_start"): (
        "Start time of the booked slot.",
        "预约时段的开始时间。",
    ),
    ("bookings", "pinned"): (
        "yes: the booking must be kept as it is.",
        "是：该预约必须保持不变。",
    ),
    ("bookings", "status"): (
        "booked, attended, no_show or cancelled.",
        "已预约、已到、未到或取消。",
    ),
}

#: Defaults that are not a plain value: (sheet, column) -> (en, zh).
DEFAULT_TEXT: dict[tuple[str, str], tuple[str, str]] = {
    ("settings", "horizon_start"): ("first session date", "最早场次日期"),
    ("settings", "horizon_end"): ("last session date", "最晚场次日期"),
    ("products", "max_age"): ("none", "不限"),
    ("products", "booster_after_days"): (
        "not usable as a booster",
        "不能用作加强针",
    ),
    ("sessions", "doses_available"): ("no limit", "不限"),
    ("sessions", "observation_seats"): ("no limit", "不限"),
    ("sessions", "workplaces"): ("all in reach", "可达的职场均可"),
    ("employees", "team"): ("the department", "同部门"),
}

_LABELS = {
    "en": {
        "title": "Input workbook for scheduler — how to fill it in",
        "intro": (
            "Fill in one sheet per table below. Header names and sheet names "
            "may be English or Chinese. Required columns have bold headers. "
            "Rows whose first cell starts with 'e.g.' are examples and are "
            "ignored: overwrite or delete them. Dates as 2021-06-01, times "
            "as 09:00, yes/no as yes or no. Then run: scheduler run FILE"
        ),
        "head": ("sheet", "column", "required", "default", "meaning"),
        "yes": "yes",
        "no": "no",
        "required_sheet": "required sheet",
        "optional_sheet": "optional sheet",
        "setting": "setting",
    },
    "zh": {
        "title": "排程输入工作簿 — 填写说明",
        "intro": (
            "按下列说明填写各工作表。工作表名和列名可用中文或英文。"
            "必填列的列名为粗体。首格以“例”开头的行是示例，读取时会被忽略，"
            "可覆盖或删除。日期如 2021-06-01，时间如 09:00，是/否填 是 或 否。"
            "填好后运行：scheduler run 文件名"
        ),
        "head": ("工作表", "列", "必填", "默认值", "说明"),
        "yes": "是",
        "no": "否",
        "required_sheet": "必填工作表",
        "optional_sheet": "可选工作表",
        "setting": "设置项",
    },
}

#: Drop-down values per enum, in the template's language.
ENUM_LISTS: dict[str, dict[str, tuple[str, ...]]] = {
    "service": {"en": ("vaccination", "nucleic_test"), "zh": ("接种", "核酸")},
    "site_kind": {"en": ("onsite", "community"), "zh": ("驻场", "社康")},
    "calendar_kind": {
        "en": ("holiday", "workday"),
        "zh": ("节假日", "调休上班"),
    },
    "scope": {
        "en": ("all", "workplace", "department", "team", "role"),
        "zh": ("全部", "职场", "部门", "团队", "岗位"),
    },
    "booking_status": {
        "en": ("booked", "attended", "no_show", "cancelled"),
        "zh": ("已预约", "已到", "未到", "取消"),
    },
}
YES_NO = {"en": ("yes", "no"), "zh": ("是", "否")}

#: Reference columns: column name -> sheet whose first column lists the ids.
REFERENCES = {
    "workplace_id": "workplaces",
    "site_id": "sites",
    "product": "products",
    "last_product": "products",
}

#: One example row per sheet (canonical values; enums and booleans are
#: translated). The first value gets the example prefix.
EXAMPLES: dict[str, dict[str, object]] = {
    "workplaces": {
        "workplace_id": "WP01",
        "name": "New Tower (新大楼)",
        "city": "Shenzhen",
        "address": "7088 Shennan Boulevard, Futian District",
    },
    "sites": {
        "site_id": "S-NT",
        "name": "New Tower 3F meeting room",
        "kind": "onsite",
        "workplace_id": "WP01",
        "address": "7088 Shennan Boulevard, Futian District",
    },
    "travel": {"workplace_id": "WP01", "site_id": "CHC01", "minutes": 18},
    "products": {
        "product": "CoronaVac",
        "doses": 2,
        "min_interval_days": 21,
        "max_interval_days": 56,
        "min_age": 18,
        "max_age": 59,
        "booster_after_days": 180,
    },
    "sessions": {
        "session_id": "V-S-NT-210607",
        "service": "vaccination",
        "site_id": "S-NT",
        "date": date(2021, 6, 7),
        "start": "09:00",
        "end": "12:00",
        "slot_minutes": 30,
        "capacity_per_slot": 10,
        "product": "CoronaVac",
        "doses_available": 60,
        "observation_seats": 20,
        "provider": "Futian District People's Hospital",
        "workplaces": "WP01,WP02",
    },
    "shift_patterns": {
        "pattern_id": "DAY-A",
        "days": "cycle:4/2@2021-06-01",
        "start": "08:00",
        "end": "20:00",
    },
    "calendar": {"date": "2021-06-14", "kind": "holiday"},
    "employees": {
        "employee_id": "0010001",
        "name": "张晨婷",
        "workplace_id": "WP01",
        "department": "Card Products",
        "team": "Rewards",
        "role": "product manager",
        "shift_pattern": "office",
        "birth_date": date(1988, 3, 2),
        "phone": "13800138000",
        "doses_received": 1,
        "last_dose_date": date(2021, 5, 17),
        "last_product": "CoronaVac",
        "last_test_date": date(2021, 6, 1),
        "priority": 3,
    },
    "absences": {
        "employee_id": "0010001",
        "start_date": date(2021, 6, 26),
        "end_date": date(2021, 7, 2),
        "reason": "training",
    },
    "duty": {
        "employee_id": "0010001",
        "date": date(2021, 6, 19),
        "start": "09:00",
        "end": "17:00",
    },
    "test_requirements": {
        "requirement_id": "TR01",
        "scope": "department",
        "value": "Customer Service Centre",
        "every_days": 7,
    },
    "bookings": {
        "employee_id": "0010001",
        "session_id": "V-S-NT-210607",
        "slot_start": "09:00",
        "pinned": False,
        "status": "booked",
    },
}
#: The settings sheet's example rows: keys without a plain default.
SETTINGS_EXAMPLES = (
    ("horizon_start", date(2021, 6, 7)),
    ("horizon_end", date(2021, 7, 4)),
)

_TEXT_KINDS = {Kind.ID, Kind.IDS, Kind.TIME, Kind.END_TIME, Kind.DAYS}
_WIDTHS = {
    Kind.DATE: 12,
    Kind.TIME: 9,
    Kind.END_TIME: 9,
    Kind.INT: 10,
    Kind.ID: 14,
    Kind.IDS: 16,
    Kind.DAYS: 24,
    Kind.ENUM: 14,
    Kind.BOOL: 9,
}
_WIDE = {
    "name": 26,
    "address": 40,
    "provider": 30,
    "vaccination_exemption": 18,
}


# --- helpers -----------------------------------------------------------------


def _i(lang: str) -> int:
    return 0 if lang == "en" else 1


def sheet_title(spec: SheetSpec, lang: str) -> str:
    return spec.name if lang == "en" else spec.aliases[0]


def header_label(col: Column, lang: str) -> str:
    if lang == "zh" and col.aliases:
        return col.aliases[0]
    return col.name


def default_text(sheet: str, col: Column, lang: str) -> str:
    """The default as HR reads it ("" when there is none)."""
    special = DEFAULT_TEXT.get((sheet, col.name))
    if special:
        return special[_i(lang)]
    return _value_text(col, col.default, lang)


def _value_text(col: Column, value: object, lang: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return YES_NO[lang][0 if value else 1]
    if col.choices:
        canon = str(value)
        en = ENUM_LISTS[col.choices]["en"]
        return ENUM_LISTS[col.choices][lang][en.index(canon)]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _setting_value(col: Column, lang: str) -> object:
    """The value written for a settings key: its default, typed."""
    if col.name == "language":
        return lang
    if isinstance(col.default, bool):
        return YES_NO[lang][0 if col.default else 1]
    if (
        isinstance(col.default, float)
        and col.default.is_integer()
        and col.kind is not Kind.SHARE
    ):
        return int(col.default)
    return col.default


def _width(col: Column, label: str) -> float:
    base = _WIDE.get(col.name, _WIDTHS.get(col.kind, 16))
    # The header is not wrapped: the whole label fits, a filter arrow
    # (two units) beside it.
    bold = col.required
    return max(base, math.ceil(text_width(label, bold) + CELL_PADDING + 2))


def _write_value(ws: Worksheet, row: int, c: int, value: object) -> None:
    cell = ws.cell(row, c)
    if value is None or value == "":
        return
    if isinstance(value, str):
        set_text(cell, value)
        return
    if isinstance(value, datetime):
        value = value.date()
    cell.value = value
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT


def _list_validation(
    values: tuple[str, ...] | str, lang: str, prompt: str
) -> DataValidation:
    formula = (
        values if isinstance(values, str) else '"' + ",".join(values) + '"'
    )
    dv = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        showInputMessage=True,
    )
    dv.error = prompt[:255]
    dv.errorTitle = "scheduler"
    dv.prompt = prompt[:255]
    return dv


# --- the example drive -------------------------------------------------------


def _example_source() -> Path:
    """The shipped example workbook (next to the package, or in the current
    folder); regenerated into a temporary file when neither exists."""
    import scheduler

    root = Path(scheduler.__file__).resolve().parents[1]
    for p in (root / "inputs" / "campaign.xlsx", Path("inputs/campaign.xlsx")):
        if p.is_file():
            return p
    from scheduler.dev.generate import generate_workbook

    tmp = Path(tempfile.mkdtemp(prefix="scheduler-template-"))
    return generate_workbook(tmp / "campaign.xlsx")


def example_data(
    path: Path | None = None,
) -> dict[str, list[dict[str, object]]]:
    """Canonical sheet -> data rows (canonical column -> value)."""
    wb = load_workbook(
        path or _example_source(), read_only=True, data_only=True
    )
    out: dict[str, list[dict[str, object]]] = {}
    try:
        for ws in wb.worksheets:
            name = SHEET_INDEX.get(label_key(ws.title))
            if name is None:
                continue
            spec = next(s for s in SHEETS if s.name == name)
            index = COLUMN_INDEX[name]
            columns: dict[int, Column] = {}
            rows: list[dict[str, object]] = []
            for cells_ in ws.iter_rows():
                values = {
                    c.column: c
                    for c in cells_
                    if c.value is not None and not cells.is_blank(c.value)
                }
                if not values:
                    continue
                if not columns:
                    for col, c in values.items():
                        canon = index.get(label_key(c.value))
                        if canon is not None:
                            columns[col] = spec.column(canon)
                    continue
                rows.append(
                    {
                        columns[col].name: _copied(columns[col], c)
                        for col, c in values.items()
                        if col in columns
                    }
                )
            out[name] = rows
    finally:
        wb.close()
    return out


def _copied(col: Column, cell: object) -> object:
    value = cell.value  # type: ignore[attr-defined]
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and col.kind in (Kind.ID, Kind.IDS):
        fmt = cell.number_format  # type: ignore[attr-defined]
        return cells.number_as_text(value, fmt)
    if isinstance(value, time) and col.kind in (Kind.TIME, Kind.END_TIME):
        return f"{value.hour:02d}:{value.minute:02d}"
    return value


# --- the workbook ------------------------------------------------------------


def write_template(
    path: str | Path = DEFAULT_NAME, lang: str = "en", example: bool = False
) -> Path:
    """Write an input workbook to fill in at ``path`` (which must not
    exist: FileExistsError) and return its path."""
    path = Path(path)
    lang = normalise_lang(lang)
    if path.exists():
        raise FileExistsError(path)
    data = example_data() if example else {}
    wb = Workbook()
    readme = wb.active
    readme.title = "README" if lang == "en" else "说明"
    _readme(readme, lang)
    titles = {s.name: sheet_title(s, lang) for s in SHEETS}
    # first data row of each sheet (after the example row, if any)
    first_data = {s.name: 2 if data.get(s.name) else 3 for s in SHEETS}
    for spec in SHEETS:
        ws = wb.create_sheet(titles[spec.name])
        if spec.name == "settings":
            _settings_sheet(ws, spec, lang, data.get("settings"))
        else:
            _data_sheet(
                ws, spec, lang, data.get(spec.name), titles, first_data
            )
    atomic_save(wb, path)
    return path


def _header(ws: Worksheet, spec: SheetSpec, lang: str) -> None:
    i = _i(lang)
    for c, col in enumerate(spec.columns, 1):
        label = header_label(col, lang)
        cell = set_text(ws.cell(1, c), label)
        cell.font = font(bold=col.required)
        cell.fill = REQUIRED_FILL if col.required else OPTIONAL_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center")
        note = COLUMN_TEXT[(spec.name, col.name)][i]
        req = _LABELS[lang]["yes" if col.required else "no"]
        head = _LABELS[lang]["head"][2]
        dflt = default_text(spec.name, col, lang)
        text = f"{note}\n{head}: {req}"
        if dflt:
            text += f"\n{_LABELS[lang]['head'][3]}: {dflt}"
        cell.comment = Comment(text, "scheduler", width=260, height=110)
        ws.column_dimensions[get_column_letter(c)].width = _width(col, label)
    print_setup(ws, 1, landscape=True)


def _data_sheet(
    ws: Worksheet,
    spec: SheetSpec,
    lang: str,
    rows: list[dict[str, object]] | None,
    titles: dict[str, str],
    first_data: dict[str, int],
) -> None:
    _header(ws, spec, lang)
    if rows:
        for r, values in enumerate(rows, 2):
            for c, col in enumerate(spec.columns, 1):
                _write_value(ws, r, c, values.get(col.name))
        used = len(rows) + 1
    else:
        values = EXAMPLES[spec.name]
        for c, col in enumerate(spec.columns, 1):
            v = values.get(col.name)
            if c == 1:
                v = EXAMPLE_PREFIX[lang] + str(v)
            elif col.kind in (Kind.ENUM, Kind.BOOL) and v is not None:
                v = _value_text(col, v, lang)
            _write_value(ws, 2, c, v)
            ws.cell(2, c).font = font(italic=True, color="808080")
        used = 2
    # Wide enough for the examples too, so that none is cut in print.
    for c in range(1, len(spec.columns) + 1):
        dim = ws.column_dimensions[get_column_letter(c)]
        texts = (ws.cell(r, c).value for r in range(2, used + 1))
        dim.width = content_width(
            (v for v in texts if isinstance(v, str)), dim.width, MOST_WIDTH
        )
    last = max(used + 1 + FORMATTED_ROWS // 5, FORMATTED_ROWS + 1)
    for c, col in enumerate(spec.columns, 1):
        letter = get_column_letter(c)
        fmt = (
            DATE_FORMAT
            if col.kind is Kind.DATE
            else TEXT_FORMAT
            if col.kind in _TEXT_KINDS or col.name == "phone"
            else None
        )
        if fmt:
            for r in range(2, last + 1):
                ws.cell(r, c).number_format = fmt
        dv = _column_validation(spec, col, lang, titles, first_data)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{last}")


def _column_validation(
    spec: SheetSpec,
    col: Column,
    lang: str,
    titles: dict[str, str],
    first_data: dict[str, int],
) -> DataValidation | None:
    text = COLUMN_TEXT[(spec.name, col.name)][_i(lang)]
    if col.choices:
        return _list_validation(ENUM_LISTS[col.choices][lang], lang, text)
    if col.kind is Kind.BOOL:
        return _list_validation(YES_NO[lang], lang, text)
    target = REFERENCES.get(col.name)
    if target and target != spec.name:
        start = first_data[target]
        ref = sheet_ref(titles[target], f"$A${start}:$A${FORMATTED_ROWS}")
        return _list_validation(ref, lang, text)
    return None


def _settings_sheet(
    ws: Worksheet,
    spec: SheetSpec,
    lang: str,
    rows: list[dict[str, object]] | None,
) -> None:
    _header(ws, spec, lang)
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 16
    given: dict[str, object] = {}
    for rec in rows or []:
        key = rec.get("key")
        if isinstance(key, str):
            given[label_key(key)] = rec.get("value")
    r = 2
    if not rows:
        for key, value in SETTINGS_EXAMPLES:
            set_text(ws.cell(r, 1), EXAMPLE_PREFIX[lang] + key)
            _write_value(ws, r, 2, value)
            for c in (1, 2):
                ws.cell(r, c).font = font(italic=True, color="808080")
            r += 1
    for col in SETTING_KEYS:
        if col.name == "language":
            value: object = lang
        elif label_key(col.name) in given:
            value = given[label_key(col.name)]
        elif col.default is None:
            continue  # horizon: the first / last session date
        else:
            value = _setting_value(col, lang)
        set_text(ws.cell(r, 1), col.name)
        _write_value(ws, r, 2, value)
        if col.kind is Kind.BOOL:
            dv = _list_validation(
                YES_NO[lang],
                lang,
                COLUMN_TEXT[("settings", col.name)][_i(lang)],
            )
            ws.add_data_validation(dv)
            dv.add(f"B{r}")
        elif col.kind is Kind.LANGUAGE:
            dv = _list_validation(
                ("en", "zh"),
                lang,
                COLUMN_TEXT[("settings", col.name)][_i(lang)],
            )
            ws.add_data_validation(dv)
            dv.add(f"B{r}")
        r += 1


def readme_rows(lang: str) -> list[tuple[str, str, str, str, str, bool]]:
    """(sheet, column, required, default, meaning, is_sheet_row) for the
    README sheet, from the schema."""
    i, lab = _i(lang), _LABELS[lang]
    out: list[tuple[str, str, str, str, str, bool]] = []
    for spec in SHEETS:
        title = sheet_title(spec, lang)
        shown = title if lang == "en" else f"{title} ({spec.name})"
        kind = lab["required_sheet" if spec.required else "optional_sheet"]
        out.append((shown, "", kind, "", SHEET_TEXT[spec.name][i], True))
        for col in spec.columns:
            label = header_label(col, lang)
            if lang == "zh" and label != col.name:
                label = f"{label} ({col.name})"
            out.append(
                (
                    shown,
                    label,
                    lab["yes" if col.required else "no"],
                    default_text(spec.name, col, lang),
                    COLUMN_TEXT[(spec.name, col.name)][i],
                    False,
                )
            )
        if spec.name == "settings":
            for key in SETTING_KEYS:
                out.append(
                    (
                        shown,
                        f"{lab['setting']}: {key.name}",
                        lab["no"],
                        default_text("settings", key, lang),
                        COLUMN_TEXT[("settings", key.name)][i],
                        False,
                    )
                )
    return out


def _readme(ws: Worksheet, lang: str) -> None:
    lab = _LABELS[lang]
    set_text(ws.cell(1, 1), lab["title"]).font = font(bold=True, size=14)
    set_text(ws.cell(2, 1), lab["intro"]).alignment = WRAP
    ws.merge_cells("A2:E2")
    widths = (24, 48, 10, 22, 80)
    ws.row_dimensions[2].height = cell_points(lab["intro"], sum(widths))
    for c, label in enumerate(lab["head"], 1):
        cell = set_text(ws.cell(4, c), label)
        cell.font, cell.fill, cell.border = font(bold=True), TITLE_FILL, BOX
    for letter, width in zip("ABCDE", widths, strict=True):
        ws.column_dimensions[letter].width = width
    for r, (sheet, col, req, dflt, meaning, is_sheet) in enumerate(
        readme_rows(lang), 5
    ):
        values = (sheet, col, req, dflt, meaning)
        for c, value in enumerate(values, 1):
            cell = set_text(ws.cell(r, c), value)
            cell.alignment = WRAP
            cell.border = BOX
            if is_sheet:
                cell.font = font(bold=True)
                cell.fill = OPTIONAL_FILL
        ws.row_dimensions[r].height = max(
            cell_points(v, w, is_sheet)
            for v, w in zip(values, widths, strict=True)
        )
    print_setup(ws, 4, landscape=True)
