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
    "summary.unmet": "未满足 {n} 项：{top}",
    "summary.warning": "警告：{text}",
    "summary.written": "已写入：{folder}",
    "summary.sep": "，",
}
