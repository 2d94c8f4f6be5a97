"""Catalogue of the command's own messages: usage errors, run errors,
solver warnings and the summary printed after a run.

``usage.*`` a command asked for something it cannot do, ``error.*`` a run
that stopped, ``warning.*`` a run that went on, ``summary.*`` the lines
after a run, ``cli.*`` the command's last words. Option names
(``--time-limit``) stay as typed in every language.
"""

from __future__ import annotations

EN: dict[str, str] = {
    "usage.file_exists": "{path} exists; choose a new file name.",
    "usage.time_limit": "--time-limit must be a positive number of seconds.",
    "usage.gap_limit": "--gap-limit must be a percentage from 0 to 100.",
    "usage.workers": "--workers must be 1 or more.",
    "usage.book_missing": "Input workbook {path} not found.",
    "usage.example_missing": (
        "Input workbook {path} not found (run from the project folder, or "
        "name a workbook)."
    ),
    "usage.out_not_empty": (
        "The output folder {path} already exists and is not empty; choose "
        "a new --out folder (runs never overwrite each other)."
    ),
    "usage.argument": "{prog}: error: {detail}",
    "usage.arg.required": "the following arguments are required: {names}",
    "usage.arg.choice": (
        "argument {arg}: invalid choice: {value} (choose from {choices})"
    ),
    "usage.arg.value": "argument {arg}: invalid value: {value}",
    "usage.arg.one": "argument {arg}: expected one argument",
    "usage.arg.unrecognized": "unrecognized arguments: {names}",
    "usage.arg.other": "{detail}",
    "cli.interrupted": "Interrupted: nothing was written.",
    "cli.wrote": "Wrote {path}",
    "record.where": "{file}, sheet '{sheet}', row {row}",
    "record.bad_mark": (
        "{where}: attendance {value} is not one of attended / no-show / "
        "已到 / 未到."
    ),
    "record.not_run_folder": "{path} not found: is {folder} a run folder?",
    "record.both_marks": (
        "{where}: {employee} at {session} is marked both attended and no-show."
    ),
    "record.file_missing": "{path} not found.",
    "record.attendance_missing": "Attendance file {path} not found.",
    "record.no_mark_sheet": (
        "{path}: no sheet with columns employee_id, session_id and status."
    ),
    "record.no_header": "sheet '{sheet}': no header row naming {column}.",
    "record.no_folder": "Run folder {path} not found.",
    "record.input_missing": "The run's input workbook {path} is not found.",
    "record.input_changed": (
        "The input workbook {path} changed since this run (its sha256 "
        "differs from run.json): attendance can only be recorded into the "
        "workbook that was scheduled. Restore it, or run the schedule again."
    ),
    "record.no_employees": "{path}: no employees sheet.",
    "record.recorded": (
        "Recorded {attended} attended and {no_show} no-show appointments; "
        "{booked} later appointments kept as booked."
    ),
    "record.horizon": "horizon_start set to {date}.",
    "record.unmarked": (
        "Warning: {n} appointments on or before {date} were not marked "
        "attended or no-show; they are left out of the bookings (mark them "
        "and record again if they took place)."
    ),
    "record.unknown_marks": (
        "Warning: {n} marks name no appointment of this run and are "
        "ignored: {names}"
    ),
    "cli.internal": (
        "Internal error ({name}); nothing was written. Run again with "
        "--verbose and report the output."
    ),
    "error.no_solution": (
        "The solver found no schedule within {seconds} s (status {status})."
    ),
    "error.check_failed": (
        "Internal error: the schedule breaks hard rules and was not "
        "written:\n{lines}"
    ),
    "error.pinned": (
        "Pinned bookings break hard rules; fix or unpin them in the "
        "'{sheet}' sheet:\n{lines}"
    ),
    "warning.history": (
        "Warning: the run is written, but it could not be added to the "
        "history {path} ({error})."
    ),
    "warning.greedy_better": (
        "the solver's schedule met fewer needs than the greedy baseline; "
        "the greedy schedule is used"
    ),
    "warning.fallback": (
        "internal error, please report it: the solver's schedule broke a "
        "hard rule ({violation}); the greedy schedule is used instead"
    ),
    "warning.blocks_time": (
        "the time limit was spent after {done} of {total} blocks; the "
        "others keep the greedy schedule (raise --time-limit for a better "
        "one)"
    ),
    "warning.no_schedule_in_time": (
        "the solver found no schedule within its time limit; the greedy "
        "schedule with its open needs filled in is used (raise "
        "--time-limit for a better one)"
    ),
    "warning.wall_clock": (
        "the wall-clock limit ended a solver stage before its "
        "deterministic limit: a rerun may give a slightly different "
        "schedule (raise --time-limit for reproducible runs)"
    ),
    "warning.hard_stop": (
        "the wall clock ended the solve before its deterministic budget "
        "(a busy machine): a rerun may give a slightly different schedule"
    ),
    "progress.reading": "Reading {path} …",
    "progress.checked": (
        "Checked: {employees} employees, {sessions} sessions from {start} "
        "to {end}."
    ),
    "progress.candidates": "Finding every need's candidate sessions …",
    "progress.building": "Building the model …",
    "progress.model": (
        "Model: {choices} booking choices, {counts} slot counts, "
        "{constraints} constraints."
    ),
    "progress.start": (
        "Starting point: needs met {met} (greedy schedule guided by the "
        "LP, open needs filled, tests re-planned, places traded)"
    ),
    "progress.solving": "Solving (time limit {seconds} s{gap}) …",
    "progress.gap_limit": ", gap limit {limit}",
    "progress.blocks": (
        "{n} blocks of whole teams, about {choices} booking choices each, "
        "most promising first"
    ),
    "progress.proven": (
        "Proven within {gap} of the best possible (gap limit {limit}): the "
        "solver stops here."
    ),
    "progress.writing": "Writing {path} …",
    "progress.conflicts": (
        "Finding the sessions that clash (the linear relaxation is solved "
        "on the other core meanwhile) …"
    ),
    "progress.greedy": "Greedy baseline …",
    "progress.blocks_measured": "Measuring {blocks} blocks …",
    "progress.waiting_lp": "Waiting for the linear relaxation …",
    "progress.starting": (
        "Building the starting point: the greedy guided by the linear "
        "relaxation, open needs filled, tests re-planned, places traded …"
    ),
    "progress.filling": "Filling open needs again and checking the schedule …",
    "progress.count": "  … {done} of {total} {what}",
    "count.candidates": "people's candidate sessions",
    "count.conflicts": "people's clashing sessions",
    "count.greedy_series": "people's series booked (greedy)",
    "count.greedy_doses": "people's doses booked (greedy)",
    "count.greedy_screenings": "people's screenings booked (greedy)",
    "count.greedy_rounds": "rounds of cadence tests (greedy)",
    "count.replanned": "people's tests re-planned",
    "count.trading": "people short of tests, trading",
    "count.blocks_measured": "blocks measured",
    "count.rules_checked": "hard rules checked",
    "count.rosters": "sessions' rosters written",
    "progress.objective": "{stage}: objective {value}, bound {bound}",
    "progress.block": (
        "Pass {round}, block {block} of {blocks} ({workplaces}; {staff} "
        "staff, {choices} booking choices) …"
    ),
    "summary.title": "Summary",
    "summary.solver": (
        "solver: {status}, needs met {met} weighted units (bound {bound}, "
        "gap {gap})"
    ),
    "summary.workplace": (
        "{id} {name}: vaccinated {fully}/{headcount} = {rate} (target "
        "{target}, {mark})"
    ),
    "summary.ok": "ok",
    "summary.short": "{n} short",
    "summary.tests": (
        "tests: {covered}/{days} person-days covered ({day_rate}), "
        "{met}/{windows} screening needs met ({window_rate})"
    ),
    "summary.vaccinations": (
        "vaccinations booked {met} of {needs} needs; appointments {n}"
    ),
    "summary.replan": (
        "re-plan: kept {kept} of {booked} booked appointments, moved "
        "{moved}, cancelled {cancelled} (forced {forced}); {new} new "
        "(change_cost {cost})"
    ),
    "summary.replan_gain": (
        "the {n} changes not forced, with the rest of the solve, gained "
        "{gained} weighted units over keeping every booking that fits "
        "({kept_met})"
    ),
    "summary.unmet": "unmet {n}: {top}",
    "summary.warning": "warning: {text}",
    "summary.written": "written: {folder}",
    "summary.sep": ", ",
}

ZH: dict[str, str] = {
    "usage.file_exists": "{path} 已存在；请换一个文件名。",
    "usage.time_limit": "--time-limit 必须是正数（秒）。",
    "usage.gap_limit": "--gap-limit 必须是 0 到 100 之间的百分数。",
    "usage.workers": "--workers 必须不小于 1。",
    "usage.book_missing": "找不到输入工作簿 {path}。",
    "usage.example_missing": (
        "找不到输入工作簿 {path}（请在项目文件夹中运行，或指定工作簿）。"
    ),
    "usage.out_not_empty": (
        "输出文件夹 {path} 已存在且不是空的；请用 --out 指定新的文件夹"
        "（每次排程都不会覆盖之前的结果）。"
    ),
    "usage.argument": "{prog}：错误：{detail}",
    "usage.arg.required": "缺少必需的参数：{names}",
    "usage.arg.choice": "参数 {arg}：无效的选项 {value}（可选：{choices}）",
    "usage.arg.value": "参数 {arg}：无效的值 {value}",
    "usage.arg.one": "参数 {arg}：需要一个值",
    "usage.arg.unrecognized": "无法识别的参数：{names}",
    "usage.arg.other": "参数有误：{detail}",
    "cli.interrupted": "已中断：没有写入任何文件。",
    "cli.wrote": "已写入 {path}",
    "record.where": "{file}，工作表“{sheet}”，第 {row} 行",
    "record.bad_mark": (
        "{where}：到场标记 {value} 不是 "
        "已到 / 未到 / attended / no-show 之一。"
    ),
    "record.not_run_folder": "找不到 {path}：{folder} 是排程结果文件夹吗？",
    "record.both_marks": (
        "{where}：{employee} 在 {session} 同时被标记为已到和未到。"
    ),
    "record.file_missing": "找不到 {path}。",
    "record.attendance_missing": "找不到到场记录文件 {path}。",
    "record.no_mark_sheet": (
        "{path}：没有包含 employee_id、session_id 和 status 列的工作表。"
    ),
    "record.no_header": "工作表“{sheet}”：没有包含 {column} 的表头行。",
    "record.no_folder": "找不到排程结果文件夹 {path}。",
    "record.input_missing": "找不到本次排程的输入工作簿 {path}。",
    "record.input_changed": (
        "输入工作簿 {path} 在本次排程后被修改过（sha256 与 run.json 不同）："
        "到场记录只能写入当初排程所用的工作簿。请恢复该文件，或重新排程。"
    ),
    "record.no_employees": "{path}：没有员工工作表。",
    "record.recorded": (
        "已记录 {attended} 人次到场、{no_show} 人次未到；"
        "{booked} 个之后的预约保持为已预约。"
    ),
    "record.horizon": "horizon_start 已设为 {date}。",
    "record.unmarked": (
        "警告：{date} 及之前有 {n} 个预约没有标记已到或未到；"
        "它们不会写入预约表"
        "（如确已进行，请标记后重新记录）。"
    ),
    "record.unknown_marks": (
        "警告：有 {n} 个标记不对应本次排程的任何预约，已忽略：{names}"
    ),
    "cli.internal": (
        "内部错误（{name}）；没有写入任何文件。请加上 --verbose 重新运行，"
        "并报告输出内容。"
    ),
    "error.no_solution": (
        "求解器在 {seconds} 秒内没有找到排程（状态 {status}）。"
    ),
    "error.check_failed": (
        "内部错误：排程违反硬性规则，未写入任何文件：\n{lines}"
    ),
    "error.pinned": (
        "锁定的预约违反硬性规则；请在工作表“{sheet}”中修改或取消锁定：\n{lines}"
    ),
    "warning.history": (
        "警告：排程结果已写入，但无法加入历史记录 {path}（{error}）。"
    ),
    "warning.greedy_better": (
        "求解器的排程满足的需求少于贪心基准；已改用贪心排程"
    ),
    "warning.fallback": (
        "内部错误，请报告：求解器的排程违反了硬性规则（{violation}）；"
        "已改用贪心排程"
    ),
    "warning.blocks_time": (
        "时间限制在完成 {total} 个分组中的 {done} 个后用完；"
        "其余分组沿用贪心排程"
        "（加大 --time-limit 可得到更好的排程）"
    ),
    "warning.no_schedule_in_time": (
        "求解器在时间限制内没有找到排程；已使用补齐了未满足需求的贪心排程"
        "（加大 --time-limit 可得到更好的排程）"
    ),
    "warning.wall_clock": (
        "实际时间限制在求解阶段达到确定性限制之前将其终止：重新运行的排程可能"
        "略有不同（加大 --time-limit 可保证结果可重复）"
    ),
    "warning.hard_stop": (
        "墙钟时间在确定性预算用完之前结束了求解（机器繁忙）："
        "重新运行可能得到略有不同的方案"
    ),
    "progress.reading": "正在读取 {path} …",
    "progress.checked": (
        "已检查：{employees} 名员工，{start} 至 {end} 共 {sessions} 个场次。"
    ),
    "progress.candidates": "正在为每项需求查找可选场次 …",
    "progress.building": "正在建立模型 …",
    "progress.model": (
        "模型：{choices} 个预约选择，{counts} 个时段计数，"
        "{constraints} 个约束。"
    ),
    "progress.start": (
        "起点：已满足需求 {met}（以线性规划引导的贪心排程，"
        "补齐未满足需求，重排核酸，交换名额）"
    ),
    "progress.solving": "正在求解（时间限制 {seconds} 秒{gap}）…",
    "progress.gap_limit": "，差距限制 {limit}",
    "progress.blocks": (
        "共 {n} 个按整个团队划分的分组，每组约 {choices} 个预约选择，"
        "最有希望的先求解"
    ),
    "progress.proven": (
        "已证明与最优相差不超过 {gap}（差距限制 {limit}）：求解到此为止。"
    ),
    "progress.writing": "正在写入 {path} …",
    "progress.conflicts": (
        "正在查找相互冲突的场次（另一核心同时求解线性松弛）…"
    ),
    "progress.greedy": "正在生成贪心基准方案 …",
    "progress.blocks_measured": "正在评估 {blocks} 个分组 …",
    "progress.waiting_lp": "正在等待线性松弛结果 …",
    "progress.starting": (
        "正在构建起点：按线性松弛引导的贪心方案，补齐未满足需求，"
        "重排核酸，交换名额 …"
    ),
    "progress.filling": "正在再次补齐未满足需求并检查方案 …",
    "progress.count": "  … {done}/{total} {what}",
    "count.candidates": "人的可选场次已找到",
    "count.conflicts": "人的冲突场次已找到",
    "count.greedy_series": "人的疫苗系列已预约（贪心）",
    "count.greedy_doses": "人的疫苗剂次已预约（贪心）",
    "count.greedy_screenings": "人的筛查已预约（贪心）",
    "count.greedy_rounds": "轮定期核酸（贪心）",
    "count.replanned": "人的核酸已重排",
    "count.trading": "名核酸不足者尝试交换名额",
    "count.blocks_measured": "个分组已评估",
    "count.rules_checked": "条硬性规则已检查",
    "count.rosters": "个场次的签到表已写入",
    "progress.objective": "{stage}：目标值 {value}，上界 {bound}",
    "progress.block": (
        "第 {round} 轮，第 {block}/{blocks} 组（{workplaces}；{staff} 人，"
        "{choices} 个预约选择）…"
    ),
    "summary.title": "汇总",
    "summary.solver": (
        "求解器：{status}，已满足需求 {met} 加权单位"
        "（上界 {bound}，差距 {gap}）"
    ),
    "summary.workplace": (
        "{id} {name}：完成接种 {fully}/{headcount} = {rate}"
        "（目标 {target}，{mark}）"
    ),
    "summary.ok": "已达标",
    "summary.short": "还差 {n} 人",
    "summary.tests": (
        "核酸：覆盖 {covered}/{days} 人天（{day_rate}），"
        "筛查需求满足 {met}/{windows}（{window_rate}）"
    ),
    "summary.vaccinations": (
        "已预约接种 {met} 剂次，共 {needs} 项需求；预约总数 {n}"
    ),
    "summary.replan": (
        "重新排班：已预约 {booked} 个时段，保留 {kept} 个，改期 {moved} 个，"
        "取消 {cancelled} 个（其中不得不改 {forced} 个）；新预约 {new} 个"
        "（改动代价 {cost}）"
    ),
    "summary.replan_gain": (
        "非必要的 {n} 处改动连同其余优化，比保留全部仍可用的预约"
        "（{kept_met}）多满足 {gained} 加权需求"
    ),
    "summary.unmet": "未满足 {n} 项：{top}",
    "summary.warning": "警告：{text}",
    "summary.written": "已写入：{folder}",
    "summary.sep": "，",
}
