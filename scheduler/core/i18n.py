"""Printed labels in English and Simplified Chinese.

Only what people read (rosters, coverage report) is translated; the
machine-readable ``schedule.xlsx`` keeps its English headers. A missing
key raises ``KeyError`` so that a forgotten translation fails a test rather
than printing a key to HR. Labels may hold ``str.format`` fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date

LANGUAGES = ("en", "zh")

_EN: dict[str, str] = {
    # services, doses, tests
    "service.vaccination": "Vaccination",
    "service.nucleic_test": "Nucleic-acid test",
    "dose.n": "Dose {n}",
    "dose.booster": "Booster",
    "test": "Test",
    "weekday.0": "Mon",
    "weekday.1": "Tue",
    "weekday.2": "Wed",
    "weekday.3": "Thu",
    "weekday.4": "Fri",
    "weekday.5": "Sat",
    "weekday.6": "Sun",
    "total": "Total",
    "fmt.date": "{y:04d}-{m:02d}-{d:02d}",
    "all_workplaces": "All workplaces",
    # common columns
    "col.no": "No.",
    "col.date": "Date",
    "col.time": "Time",
    "col.slot": "Slot",
    "col.session": "Session",
    "col.site": "Site",
    "col.service": "Service",
    "col.product": "Product",
    "col.provider": "Provider",
    "col.booked": "Booked",
    "col.sheet": "Sheet",
    "col.employee_id": "Employee ID",
    "col.name": "Name",
    "col.department": "Department",
    "col.dose_or_test": "Dose / test",
    "col.phone": "Phone",
    "col.attendance": "Attendance",
    "col.signature": "Signature",
    "col.remarks": "Remarks",
    "col.workplace_id": "Workplace ID",
    "col.workplace": "Workplace",
    # rosters
    "roster.index_sheet": "index",
    "roster.index_title": "Sessions and sign-in sheets",
    "roster.title": "Sign-in sheet {session}",
    "roster.date_line": "Date: {date} ({weekday})    Time: {start}-{end}",
    "roster.site_line": "Site: {site}",
    "roster.service_line": "Service: {service}",
    "roster.product_line": "    Product: {product}",
    "roster.provider_line": "Provider: {provider}",
    "roster.booked_line": "Booked: {n}",
    "roster.no_sheet": "(none booked)",
    "attendance.attended": "attended",
    "attendance.no_show": "no-show",
    # coverage sheets
    "cov.sheet.workplaces": "workplaces",
    "cov.sheet.departments": "departments",
    "cov.sheet.sessions": "sessions",
    "cov.sheet.tests": "tests",
    "cov.title.workplaces": "Vaccination coverage per workplace",
    "cov.title.departments": "Vaccination coverage per department",
    "cov.title.sessions": "Use of session capacity",
    "cov.title.tests": "Nucleic-acid test coverage per workplace",
    "cov.col.headcount": "Headcount",
    "cov.col.exempt": "Exempt",
    "cov.col.fully_before": "Fully vaccinated before",
    "cov.col.rate_before": "Rate before",
    "cov.col.series_doses": "Series doses booked",
    "cov.col.boosters": "Boosters booked",
    "cov.col.boosted_before": "Boosted before",
    "cov.col.fully_after": "Projected fully vaccinated",
    "cov.col.rate": "Projected rate",
    "cov.col.rate_non_exempt": "Rate over non-exempt staff",
    "cov.col.target": "Target",
    "cov.col.gap": "Gap to target",
    "cov.col.missing": "People still needed",
    "cov.col.label": "Workplace / department",
    "cov.col.slots": "Slots",
    "cov.col.per_slot": "Capacity per slot",
    "cov.col.slot_capacity": "Slot capacity",
    "cov.col.doses_available": "Doses available",
    "cov.col.capacity": "Capacity",
    "cov.col.use": "Use",
    "cov.col.cadence_needs": "Regular-test needs",
    "cov.col.person_days": "Person-days",
    "cov.col.person_days_covered": "Person-days covered",
    "cov.col.person_day_rate": "Person-days coverage",
    "cov.col.window_needs": "Screening needs",
    "cov.col.window_met": "Screening needs met",
    "cov.col.window_rate": "Screening coverage",
    "cov.chart.workplaces": "Projected vaccination rate per workplace",
    "cov.chart.departments": "Projected vaccination rate per department",
    "cov.chart.axis": "Rate",
    "cov.note.rate": (
        "Rate = people with a complete primary series / headcount "
        "(exempt staff included in the headcount)."
    ),
    # notices (mail merge)
    "notice.vaccination": (
        "Vaccination ({dose}, {product}) on {weekday} {date} "
        "{start}-{end} at {site}"
    ),
    "notice.nucleic_test": (
        "Nucleic-acid test on {weekday} {date} {start}-{end} at {site}"
    ),
    "notice.dose.n": "dose {n}",
    "notice.dose.booster": "booster",
    "notice.sep": "; ",
    "notice.cancelled": "CANCELLED: {what}",
    "notice.vaccination.any": (
        "Vaccination ({product}) on {weekday} {date} {start}-{end} at {site}"
    ),
    "notice.change.new": "new",
    "notice.change.moved": "moved",
    "notice.change.cancelled": "cancelled",
    # changes sheet: why a booked appointment changed
    "change.reason.away": "the person is now away or off duty then",
    "change.reason.need_met": "the need is already met or no longer exists",
    "change.reason.dose_missed": (
        "booked for a later dose, and an earlier dose was missed"
    ),
    "change.reason.full": "the session is full because of pinned bookings",
    "change.reason.conflict": "it clashes with a pinned appointment",
    "change.reason.team_limit": (
        "pinned appointments use up the team's limit then"
    ),
    "change.reason.no_longer_open": (
        "no longer open to the person (reach, product, dose order or "
        "interval changed)"
    ),
    "change.reason.gain": (
        "moved to meet more needs (gain above change_cost {cost:g})"
    ),
    "cal.description.vaccination": "{dose}, {product}",
    "cal.description.nucleic_test": "Nucleic-acid test",
    "cal.person.summary": "{service} ({what})",
    "cal.person.description": "Session {session}, slot {start}-{end}.",
    "cal.person.calname": "My vaccination and test appointments",
    "cal.readme": (
        "Calendars of this run\n"
        "\n"
        "calendar-<workplace>.ics: for the workplace's shared calendar."
        " One event per session that the workplace's staff are booked in,"
        " with how many are booked. No names, no doses, no products.\n"
        "\n"
        "people/<employee_id>.ics: for that one person only. Send it to"
        " them alone (it shows their doses and tests), never to a group.\n"
        "\n"
        "Importing the files of a later run updates these events instead"
        " of adding copies (each event keeps its UID), and marks those the"
        " later run no longer holds as cancelled.\n"
    ),
    "cal.session.summary": "{what}: {n} booked",
    "cal.session.description": (
        "Session {session}. {workplace}: {n} booked. "
        "All workplaces: {booked} of {places} places booked."
    ),
    "cal.cancelled.summary": "Cancelled: {what}",
    "cal.person.cancelled": (
        "Cancelled by the re-plan. It was: session {session}, slot "
        "{start}-{end}."
    ),
    "cal.session.cancelled": (
        "Cancelled: no one of {workplace} is booked in session {session} "
        "any more."
    ),
    # scheduler history
    "hist.title": "History of the drives ({path})",
    "hist.runs": "Runs recorded",
    "hist.rounds": "Runs with attendance recorded",
    "hist.period": "Sessions attended from {first} to {last}",
    "hist.vaccinations": "Vaccinations given",
    "hist.tests": "Tests taken",
    "hist.people_vaccinated": "People vaccinated (at least one dose)",
    "hist.people_tested": "People tested",
    "hist.no_shows": "No-shows",
    "hist.sites": "Sessions held per site (someone attended)",
    "hist.site_line": "{site}: sessions held {sessions}, attended {attended}",
    "hist.col.figure": "Figure",
    "hist.col.value": "Value",
    "hist.col.sessions": "Sessions held",
    "hist.col.attended": "Attended",
    "hist.sheet.figures": "figures",
    "hist.sheet.sites": "sites",
}

_ZH: dict[str, str] = {
    "service.vaccination": "接种",
    "service.nucleic_test": "核酸检测",
    "dose.n": "第{n}剂",
    "dose.booster": "加强针",
    "test": "核酸",
    "weekday.0": "周一",
    "weekday.1": "周二",
    "weekday.2": "周三",
    "weekday.3": "周四",
    "weekday.4": "周五",
    "weekday.5": "周六",
    "weekday.6": "周日",
    "total": "合计",
    "fmt.date": "{y}年{m}月{d}日",
    "all_workplaces": "全部职场",
    "col.no": "序号",
    "col.date": "日期",
    "col.time": "时间",
    "col.slot": "时段",
    "col.session": "场次",
    "col.site": "地点",
    "col.service": "服务",
    "col.product": "疫苗",
    "col.provider": "服务单位",
    "col.booked": "预约人数",
    "col.sheet": "工作表",
    "col.employee_id": "工号",
    "col.name": "姓名",
    "col.department": "部门",
    "col.dose_or_test": "剂次/项目",
    "col.phone": "手机",
    "col.attendance": "到场",
    "col.signature": "签名",
    "col.remarks": "备注",
    "col.workplace_id": "职场编号",
    "col.workplace": "职场",
    "roster.index_sheet": "目录",
    "roster.index_title": "场次及签到表目录",
    "roster.title": "签到表 {session}",
    "roster.date_line": "日期：{date}（{weekday}）    时间：{start}-{end}",
    "roster.site_line": "地点：{site}",
    "roster.service_line": "服务：{service}",
    "roster.product_line": "    疫苗：{product}",
    "roster.provider_line": "服务单位：{provider}",
    "roster.booked_line": "预约人数：{n}",
    "roster.no_sheet": "（无预约）",
    "attendance.attended": "已到",
    "attendance.no_show": "未到",
    "cov.sheet.workplaces": "职场",
    "cov.sheet.departments": "部门",
    "cov.sheet.sessions": "场次",
    "cov.sheet.tests": "核酸",
    "cov.title.workplaces": "各职场疫苗接种率",
    "cov.title.departments": "各部门疫苗接种率",
    "cov.title.sessions": "场次容量使用情况",
    "cov.title.tests": "各职场核酸检测覆盖情况",
    "cov.col.headcount": "人数",
    "cov.col.exempt": "豁免人数",
    "cov.col.fully_before": "原已完成全程接种",
    "cov.col.rate_before": "原接种率",
    "cov.col.series_doses": "本次预约剂次（全程）",
    "cov.col.boosters": "本次预约加强针",
    "cov.col.boosted_before": "原已接种加强针",
    "cov.col.fully_after": "预计完成全程接种",
    "cov.col.rate": "预计接种率",
    "cov.col.rate_non_exempt": "非豁免人员接种率",
    "cov.col.target": "目标",
    "cov.col.gap": "距目标差距",
    "cov.col.missing": "尚需接种人数",
    "cov.col.label": "职场 / 部门",
    "cov.col.slots": "时段数",
    "cov.col.per_slot": "每时段人数",
    "cov.col.slot_capacity": "时段容量",
    "cov.col.doses_available": "疫苗数量",
    "cov.col.capacity": "容量",
    "cov.col.use": "使用率",
    "cov.col.cadence_needs": "定期检测需求",
    "cov.col.person_days": "人天",
    "cov.col.person_days_covered": "覆盖人天",
    "cov.col.person_day_rate": "人天覆盖率",
    "cov.col.window_needs": "筛查需求",
    "cov.col.window_met": "已满足筛查需求",
    "cov.col.window_rate": "筛查覆盖率",
    "cov.chart.workplaces": "各职场预计接种率",
    "cov.chart.departments": "各部门预计接种率",
    "cov.chart.axis": "接种率",
    "cov.note.rate": "接种率 = 完成全程接种人数 / 总人数（含豁免人员）。",
    "notice.vaccination": (
        "{date}（{weekday}）{start}-{end} 在 {site} 接种（{dose}，{product}）"
    ),
    "notice.nucleic_test": (
        "{date}（{weekday}）{start}-{end} 在 {site} 核酸检测"
    ),
    "notice.dose.n": "第{n}剂",
    "notice.dose.booster": "加强针",
    "notice.sep": "；",
    "notice.cancelled": "已取消：{what}",
    "notice.vaccination.any": (
        "{date}（{weekday}）{start}-{end} 在 {site} 接种（{product}）"
    ),
    "notice.change.new": "新预约",
    "notice.change.moved": "已改期",
    "notice.change.cancelled": "已取消",
    "change.reason.away": "本人届时请假或不在岗",
    "change.reason.need_met": "需求已满足或已不存在",
    "change.reason.dose_missed": "原为后续剂次的预约，但前一剂未接种",
    "change.reason.full": "该场次因固定预约已满",
    "change.reason.conflict": "与固定预约时间冲突",
    "change.reason.team_limit": "固定预约已用完该团队届时的限额",
    "change.reason.no_longer_open": (
        "本人已不能使用该场次（交通范围、疫苗、剂次顺序或间隔有变）"
    ),
    "change.reason.gain": "为满足更多需求而改动（收益超过改动代价 {cost:g}）",
    "cal.description.vaccination": "{dose}，{product}",
    "cal.description.nucleic_test": "核酸检测",
    "cal.person.summary": "{service}（{what}）",
    "cal.person.description": "场次 {session}，时段 {start}-{end}。",
    "cal.person.calname": "我的接种与检测预约",
    "cal.readme": (
        "本次运行的日历文件\n"
        "\n"
        "calendar-<职场编号>.ics：供职场共享日历使用。每个有本职场员工预约的"
        "场次一个事件，只含预约人数；不含姓名、剂次和疫苗。\n"
        "\n"
        "people/<工号>.ics：仅供本人使用。请单独发给本人（内含其接种剂次和"
        "检测安排），切勿群发。\n"
        "\n"
        "导入之后运行生成的文件会更新这些事件，而不会重复添加（每个事件的 UID"
        " 保持不变）；之后运行不再安排的事件会标为已取消。\n"
    ),
    "cal.session.summary": "{what}：已约 {n} 人",
    "cal.session.description": (
        "场次 {session}。{workplace}：已约 {n} 人。"
        "全部职场：{places} 个名额已约 {booked} 个。"
    ),
    "cal.cancelled.summary": "已取消：{what}",
    "cal.person.cancelled": (
        "重新排程后已取消。原为：场次 {session}，时段 {start}-{end}。"
    ),
    "cal.session.cancelled": "已取消：{workplace}已无人预约场次 {session}。",
    "hist.title": "历次活动汇总（{path}）",
    "hist.runs": "已记录排程次数",
    "hist.rounds": "已登记到场的排程次数",
    "hist.period": "到场日期 {first} 至 {last}",
    "hist.vaccinations": "已接种剂次",
    "hist.tests": "已检测人次",
    "hist.people_vaccinated": "已接种人数（至少一剂）",
    "hist.people_tested": "已检测人数",
    "hist.no_shows": "未到人次",
    "hist.sites": "各地点已开展场次（有人到场）",
    "hist.site_line": "{site}：{sessions} 场，到场 {attended} 人次",
    "hist.col.figure": "项目",
    "hist.col.value": "数值",
    "hist.col.sessions": "已开展场次",
    "hist.col.attended": "到场人次",
    "hist.sheet.figures": "汇总",
    "hist.sheet.sites": "地点",
}

LABELS: dict[str, dict[str, str]] = {"en": _EN, "zh": _ZH}


def normalise_lang(lang: str) -> str:
    """``'ZH'``, ``'zh-CN'`` → ``'zh'``; an unknown language is an error."""
    code = (lang or "en").strip().casefold().replace("_", "-").split("-")[0]
    if code not in LABELS:
        raise ValueError(f"unknown language {lang!r}; use en or zh")
    return code


def t(key: str, lang: str, **fmt: object) -> str:
    """The label ``key`` in ``lang``, with ``fmt`` filled in."""
    text = LABELS[normalise_lang(lang)][key]
    return text.format(**fmt) if fmt else text


def service_label(service: str, lang: str) -> str:
    return t(f"service.{service}", lang)


def date_label(day: date, lang: str) -> str:
    """``2021-06-01`` / ``2021年6月1日``."""
    return t("fmt.date", lang, y=day.year, m=day.month, d=day.day)


def weekday_label(day: date, lang: str) -> str:
    return t(f"weekday.{day.weekday()}", lang)


def dose_label(dose: str | None, lang: str) -> str:
    """``'2'`` → Dose 2 / 第2剂, ``'booster'``, None (a test) → Test."""
    if dose is None:
        return t("test", lang)
    if dose == "booster":
        return t("dose.booster", lang)
    return t("dose.n", lang, n=dose)
