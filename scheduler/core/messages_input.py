"""Catalogue of the input workbook's messages: reader and validator.

Keys are grouped by what they describe: ``issue.*`` how a problem is
located, ``file.*`` the file itself, ``sheet.*`` / ``column.*`` the
layout, ``cell.*`` one value, the others a sheet's own rules;
``notice.*`` and ``warning.*`` are not errors. Sheet and column names
arrive as fields, spelt as the workbook spells them.
"""

from __future__ import annotations

EN: dict[str, str] = {
    "empty": "",
    # how an issue is located and the report heading
    "issue.sheet": "sheet '{sheet}'",
    "issue.row": ", row {row}",
    "issue.column": ", column '{column}'",
    "issue.value": ": {value}",
    "issue.line": "{where}{value} — {expected}",
    "issue.heading": "The input workbook has {n} problem{s}:",
    "where.row": "sheet '{sheet}', row {row}",
    "where.sheet": "sheet '{sheet}'",
    # the file
    "file.missing": "an existing .xlsx file (file not found)",
    "file.folder": "an .xlsx file, not a folder",
    "file.password": (
        "an .xlsx workbook without a password, but this one is "
        "password-protected; open it in Excel, remove the password "
        "and save it as .xlsx"
    ),
    "file.not_xlsx": (
        "an .xlsx workbook (Excel 2007+), but {what}; open it in Excel "
        "and save it as .xlsx"
    ),
    "file.what.xls": "this is an old .xls file",
    "file.what.empty": "the file is empty",
    "file.what.csv": "this is a text (CSV) file",
    "file.what.other": "this is not an Excel file",
    "file.what.damaged": "the file is damaged ({detail})",
    # sheets and columns
    "sheet.twice": "one sheet '{name}': sheet '{other}' is the same sheet",
    "sheet.required": "a sheet named '{name}' (or '{alias}')",
    "sheet.products_needed": (
        "a sheet named '{name}' (or '{alias}'): there are vaccination sessions"
    ),
    "header.none": (
        "a header row naming the columns ({names}); none was found"
    ),
    "column.twice": "each column once: '{first}' is the same column ({name})",
    "column.required": "a column '{name}' in the header row (row {row})",
    "column.required_alias": (
        "a column '{name}' (or '{alias}') in the header row (row {row})"
    ),
    "notice.not_worksheet": (
        "sheet '{sheet}' is not a worksheet and is ignored"
    ),
    "notice.unknown_sheet": "sheet '{sheet}' is not used (unknown name)",
    "notice.unused_column": "sheet '{sheet}': column '{column}' is not used",
    "notice.unheaded": (
        "sheet '{sheet}': values in column {col} have no header and are "
        "not used"
    ),
    # one cell
    "cell.required": "a value (this column is required)",
    "cell.excel_error": "a value, not the Excel error {code}",
    "cell.uncalculated": (
        "a stored value: this formula was never calculated; open the file "
        "in Excel and save it"
    ),
    "cell.finite": "a finite number",
    "cell.text": "text",
    "cell.id": "an id (text or a number)",
    "cell.name": "a name (text)",
    "cell.ids": "ids separated by commas, such as WP1,WP2",
    "cell.int_positive": "a positive whole number (1, 2, 3, …)",
    "cell.int": "a whole number{range}",
    "cell.number": "a number{range}",
    "range.between": " from {lo} to {hi}",
    "range.greater": " greater than {lo}",
    "range.one_or_more": " of 1 or more",
    "range.at_least": ", {lo} or more",
    "range.at_most": ", at most {hi}",
    "cell.share": "a share from 0 to 1, such as 0.9, 90% or 90",
    "cell.bool": "yes or no (also true/false, 1/0, 是/否, Y/N)",
    "cell.date": "a date such as 2021-06-01",
    "cell.date_real": (
        "a real date ({day} does not exist), such as 2021-06-01"
    ),
    "cell.time": "a time such as 09:00 (00:00 to 23:59)",
    "cell.end_time": "a time such as 09:00 (00:00 to 24:00)",
    "cell.time_minutes": "a time in whole minutes, such as 09:30",
    "cell.time_before_2400": "a time before 24:00 (24:00 is only an end)",
    "cell.enum.service": "a service: vaccination/接种 or nucleic_test/核酸",
    "cell.enum.site_kind": "onsite/驻场 or community/社康",
    "cell.enum.calendar_kind": "holiday/节假日 or workday/调休上班",
    "cell.enum.scope": (
        "all/全部, workplace/职场, department/部门, team/团队 or role/岗位"
    ),
    "cell.enum.booking_status": (
        "booked, attended/已到, no_show/未到 or cancelled/取消"
    ),
    "cell.language": "en or zh (the language of rosters and reports)",
    "cell.days": (
        "weekdays such as Mon,Tue,Wed,Thu,Fri (or 周一,周二,…) "
        "or a cycle such as cycle:4/2@2021-06-01"
    ),
    "cell.cycle": (
        "a cycle such as cycle:4/2@2021-06-01 "
        "(days on ≥ 1 / days off @ first day on)"
    ),
    "cell.cycle_first_day": "a cycle whose first day is {expected}",
    # rows, ids and references
    "row.invalid": "a valid row ({error})",
    "id.unique": "a unique {column}: '{first}' is already on row {row}",
    "ref.listed": "{a} {column} listed in sheet '{sheet}'{missing}{extra}",
    "ref.sheet_missing": " (that sheet is missing)",
    "ref.or_office": " (or office)",
    "ref.workplaces_listed": (
        "workplace ids listed in sheet '{sheet}' (unknown: {unknown})"
    ),
    # settings and horizon
    "notice.setting_unknown": (
        "sheet '{sheet}', row {row}: setting '{key}' is unknown and ignored"
    ),
    "setting.twice": "each setting once: '{name}' is already on row {row}",
    "setting.value": "{name}: {expected}",
    "horizon.none": (
        "horizon_start and horizon_end in sheet '{sheet}', or at least "
        "one session to take them from"
    ),
    "horizon.order": (
        "horizon_end on or after horizon_start ({start}); horizon_end is {end}"
    ),
    "settings.invalid": "{error}",
    # places, products, sessions
    "site.onsite_workplace": (
        "the {column} of the building an onsite site is in"
    ),
    "travel.pair_twice": (
        "one row per workplace and site: this pair is already on row {row}"
    ),
    "notice.travel_own": (
        "sheet '{sheet}', row {row}: {site} is in {workplace}'s own "
        "building; travel there is 0 minutes"
    ),
    "product.max_interval": "{column} of at least {low_column} ({low})",
    "product.max_age": "{column} of at least {low_column} ({low})",
    "session.product_needed": "a product: a vaccination session offers one",
    "notice.test_product": (
        "sheet '{sheet}', row {row}: a nucleic_test session offers no "
        "product; the product is ignored"
    ),
    "session.end_after_start": "an end after the start ({start})",
    "session.slots_fit": (
        "slots that fit in the session: {start} to {end} is {minutes} minutes"
    ),
    "end.differs": (
        "an end different from the start (an end before the start means "
        "the next morning)"
    ),
    "calendar.one_kind": "one kind per date: row {row} makes {date} a {kind}",
    # people
    "employee.last_dose_date": ("the last dose's date ({column} is {doses})"),
    "employee.last_product": ("the last dose's product ({column} is {doses})"),
    "employee.before_horizon": "a date before horizon_start ({start})",
    "employee.history_before_horizon": (
        "a date before horizon_start ({start}): history lies before the "
        "horizon"
    ),
    "absence.end_order": "{column} on or after {low_column} ({start})",
    # test requirements
    "requirement.value_needed": "a value for scope '{scope}'",
    "requirement.both": (
        "either {every} or a window ({start} and {end}), not both"
    ),
    "requirement.window_both": "{missing} too: a window needs both",
    "requirement.cadence_or_window": "{every}, or {start} and {end}",
    "requirement.window_order": (
        "{column} on or after {low_column} ({start})"
    ),
    "warning.requirement_nobody": (
        "sheet '{sheet}', row {row}, column '{column}': no employee has "
        "{scope} '{value}'; requirement '{id}' applies to no one"
    ),
    # bookings
    "notice.history_unknown": (
        "{where}: history row names an unknown {what}; ignored"
    ),
    "word.employee": "employee",
    "word.session": "session",
    "word.scope.all": "all",
    "word.scope.workplace": "workplace",
    "word.scope.department": "department",
    "word.scope.team": "team",
    "word.scope.role": "role",
    "booking.slot_start": "a slot start of session {session} ({shown})",
    "notice.history_slot": "{where}: expected {expected}",
    "booking.twice": (
        "one booking per employee and session: {employee} is already "
        "booked there on row {row}"
    ),
    "warning.pinned_outside": (
        "{where}: pinned booking of {employee} in session "
        "{session} on {date} is outside the horizon ({start} to {end}); "
        "ignored"
    ),
}

ZH: dict[str, str] = {
    "empty": "",
    "issue.sheet": "工作表“{sheet}”",
    "issue.row": "，第 {row} 行",
    "issue.column": "，列“{column}”",
    "issue.value": "：{value}",
    "issue.line": "{where}{value} — 应为：{expected}",
    "issue.heading": "输入工作簿有 {n} 个问题：",
    "where.row": "工作表“{sheet}”第 {row} 行",
    "where.sheet": "工作表“{sheet}”",
    "file.missing": "一个存在的 .xlsx 文件（找不到该文件）",
    "file.folder": ".xlsx 文件，而不是文件夹",
    "file.password": (
        "没有密码的 .xlsx 工作簿，但此文件设有密码；请在 Excel 中打开，"
        "取消密码后另存为 .xlsx"
    ),
    "file.not_xlsx": (
        ".xlsx 工作簿（Excel 2007 及以上），但{what}；请在 Excel 中打开并"
        "另存为 .xlsx"
    ),
    "file.what.xls": "这是旧版 .xls 文件",
    "file.what.empty": "文件是空的",
    "file.what.csv": "这是文本（CSV）文件",
    "file.what.other": "这不是 Excel 文件",
    "file.what.damaged": "文件已损坏（{detail}）",
    "sheet.twice": "“{name}”只能有一个工作表：工作表“{other}”与它是同一个",
    "sheet.required": "名为“{alias}”（或“{name}”）的工作表",
    "sheet.products_needed": (
        "名为“{alias}”（或“{name}”）的工作表：存在接种场次"
    ),
    "header.none": "列出各列名称的表头行（{names}）；未找到",
    "column.twice": "每列只出现一次：“{first}”是同一列（{name}）",
    "column.required": "表头行（第 {row} 行）中的“{name}”列",
    "column.required_alias": (
        "表头行（第 {row} 行）中的“{alias}”列（或“{name}”）"
    ),
    "notice.not_worksheet": "“{sheet}”不是普通工作表，已忽略",
    "notice.unknown_sheet": "工作表“{sheet}”未使用（名称无法识别）",
    "notice.unused_column": "工作表“{sheet}”：列“{column}”未使用",
    "notice.unheaded": "工作表“{sheet}”：第 {col} 列的内容没有表头，未使用",
    "cell.required": "一个值（此列必填）",
    "cell.excel_error": "一个值，而不是 Excel 错误 {code}",
    "cell.uncalculated": (
        "已保存的值：此公式从未计算过；请在 Excel 中打开文件并保存"
    ),
    "cell.finite": "一个有限的数字",
    "cell.text": "文本",
    "cell.id": "编号（文本或数字）",
    "cell.name": "名称（文本）",
    "cell.ids": "以逗号分隔的编号，例如 WP1,WP2",
    "cell.int_positive": "正整数（1、2、3……）",
    "cell.int": "整数{range}",
    "cell.number": "数字{range}",
    "range.between": "，范围 {lo} 至 {hi}",
    "range.greater": "，大于 {lo}",
    "range.one_or_more": "，1 或以上",
    "range.at_least": "，{lo} 或以上",
    "range.at_most": "，最多 {hi}",
    "cell.share": "0 到 1 之间的比例，例如 0.9、90% 或 90",
    "cell.bool": "是或否（也可写 yes/no、true/false、1/0、Y/N）",
    "cell.date": "日期，例如 2021-06-01",
    "cell.date_real": "真实存在的日期（{day} 不存在），例如 2021-06-01",
    "cell.time": "时间，例如 09:00（00:00 至 23:59）",
    "cell.end_time": "时间，例如 09:00（00:00 至 24:00）",
    "cell.time_minutes": "整分钟的时间，例如 09:30",
    "cell.time_before_2400": "24:00 之前的时间（24:00 只能作为结束时间）",
    "cell.enum.service": "服务：接种/vaccination 或 核酸/nucleic_test",
    "cell.enum.site_kind": "驻场/onsite 或 社康/community",
    "cell.enum.calendar_kind": "节假日/holiday 或 调休上班/workday",
    "cell.enum.scope": (
        "全部/all、职场/workplace、部门/department、团队/team 或 岗位/role"
    ),
    "cell.enum.booking_status": (
        "booked（已预约）、已到/attended、未到/no_show 或 取消/cancelled"
    ),
    "cell.language": "en 或 zh（签到表和报告的语言）",
    "cell.days": (
        "工作日，例如 周一,周二,周三,周四,周五（或 Mon,Tue,…），"
        "或轮班周期，例如 cycle:4/2@2021-06-01"
    ),
    "cell.cycle": (
        "轮班周期，例如 cycle:4/2@2021-06-01"
        "（上班天数 ≥ 1 / 休息天数 @ 第一个上班日）"
    ),
    "cell.cycle_first_day": "第一个上班日为{expected}的轮班周期",
    "row.invalid": "有效的一行（{error}）",
    "id.unique": "唯一的{column}：“{first}”已在第 {row} 行出现",
    "ref.listed": "工作表“{sheet}”中列出的{column}{missing}{extra}",
    "ref.sheet_missing": "（该工作表缺失）",
    "ref.or_office": "（或 office）",
    "ref.workplaces_listed": (
        "工作表“{sheet}”中列出的职场编号（未知：{unknown}）"
    ),
    "notice.setting_unknown": (
        "工作表“{sheet}”第 {row} 行：设置项“{key}”无法识别，已忽略"
    ),
    "setting.twice": "每个设置项只出现一次：“{name}”已在第 {row} 行出现",
    "setting.value": "{name}：{expected}",
    "horizon.none": (
        "工作表“{sheet}”中的 horizon_start 和 horizon_end，"
        "或至少一个可据以确定日期的场次"
    ),
    "horizon.order": (
        "horizon_end 不早于 horizon_start（{start}）；horizon_end 为 {end}"
    ),
    "settings.invalid": "{error}",
    "site.onsite_workplace": "驻场地点所在职场的{column}",
    "travel.pair_twice": "每个职场和地点只占一行：此组合已在第 {row} 行出现",
    "notice.travel_own": (
        "工作表“{sheet}”第 {row} 行：{site} 位于 {workplace} 自己的楼内；"
        "交通时间为 0 分钟"
    ),
    "product.max_interval": "不小于{low_column}（{low}）的{column}",
    "product.max_age": "不小于{low_column}（{low}）的{column}",
    "session.product_needed": "疫苗：接种场次须提供一种疫苗",
    "notice.test_product": (
        "工作表“{sheet}”第 {row} 行：核酸场次不提供疫苗；已忽略该疫苗"
    ),
    "session.end_after_start": "晚于开始时间（{start}）的结束时间",
    "session.slots_fit": (
        "能放进场次的时段：{start} 至 {end} 只有 {minutes} 分钟"
    ),
    "end.differs": "与开始时间不同的结束时间（结束早于开始表示次日早晨）",
    "calendar.one_kind": (
        "每个日期只有一种类型：第 {row} 行已把 {date} 设为 {kind}"
    ),
    "employee.last_dose_date": "末次接种日期（{column} 为 {doses}）",
    "employee.last_product": "末次接种的疫苗（{column} 为 {doses}）",
    "employee.before_horizon": "早于 horizon_start（{start}）的日期",
    "employee.history_before_horizon": (
        "早于 horizon_start（{start}）的日期：历史记录应在计划期之前"
    ),
    "absence.end_order": "不早于{low_column}（{start}）的{column}",
    "requirement.value_needed": "范围“{scope}”的范围值",
    "requirement.both": (
        "{every}或检测窗口（{start}和{end}）二选一，不能同时填写"
    ),
    "requirement.window_both": (
        "还需要{missing}：检测窗口需要开始和结束两个日期"
    ),
    "requirement.cadence_or_window": "{every}，或{start}和{end}",
    "requirement.window_order": "不早于{low_column}（{start}）的{column}",
    "warning.requirement_nobody": (
        "工作表“{sheet}”第 {row} 行，列“{column}”：没有员工的{scope}为"
        "“{value}”；要求“{id}”不适用于任何人"
    ),
    "notice.history_unknown": "{where}：历史记录中的{what}不存在；已忽略",
    "word.employee": "员工",
    "word.session": "场次",
    "word.scope.all": "全部",
    "word.scope.workplace": "职场",
    "word.scope.department": "部门",
    "word.scope.team": "团队",
    "word.scope.role": "岗位",
    "booking.slot_start": "场次 {session} 的时段开始时间（{shown}）",
    "notice.history_slot": "{where}：应为{expected}",
    "booking.twice": (
        "每位员工在每个场次只能有一条预约："
        "{employee} 已在第 {row} 行预约该场次"
    ),
    "warning.pinned_outside": (
        "{where}：{employee} 在场次 {session}（{date}）的锁定预约"
        "不在计划期内（{start} 至 {end}）；已忽略"
    ),
}
