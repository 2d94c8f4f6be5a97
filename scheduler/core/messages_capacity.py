"""Catalogue of ``scheduler plan-capacity``'s lines: its progress
(``cap.*``) and the summary it prints (``cap.summary.*``). Option names
and ids stay as typed in every language."""

from __future__ import annotations

EN: dict[str, str] = {
    "cap.reading": "Reading {path} …",
    "cap.options.generated": (
        "{n} session options generated (no sheet session_options)"
    ),
    "cap.options.sheet": "{n} session options from sheet session_options",
    "cap.model": (
        "Model: {classes} classes of {people} people who could complete; "
        "{options} options"
    ),
    "cap.today": "Scheduling today's sessions (the ordinary schedule) …",
    "cap.plan": "Plan: {n} sessions, cost {cost} (any plan costs at least "
    "{bound})",
    "cap.checking": "Scheduling the workbook with the plan ({n} added) …",
    "cap.short": (
        "The schedule falls short of the promise ({short}); planning for "
        "that many more …"
    ),
    "cap.short_by": "{wp} {goal} by {n}",
    "cap.restated": (
        "The promise re-stated with the shortfall: the schedule keeps it"
    ),
    "cap.goal.vaccination": "vaccination",
    "cap.goal.tests": "tests",
    "cap.goal.screening": "screening",
    "cap.summary.title": "Capacity plan",
    "cap.summary.figures": (
        "today {today}, with the plan {promised}{first}{real}, ceiling "
        "{ceiling}"
    ),
    "cap.summary.first": " (first {value}, re-stated)",
    "cap.summary.real": ", real schedule {value}",
    "cap.summary.rate": "{wp} {name}: {figures} (target {target})",
    "cap.summary.tests": (
        "tests: {figures} of {total} test person-days covered (target "
        "{target})"
    ),
    "cap.summary.screening": "screening: {figures} of {total} windows met",
    "cap.summary.add": "add {n} of {options} options ({where}):",
    "cap.summary.generated": "generated",
    "cap.summary.sheet": "from sheet session_options",
    "cap.summary.option": (
        "{id}: {service} at {site}, {date} {start}-{end}, cost {cost} "
        "(serves {serves})"
    ),
    "cap.summary.cost": (
        "total cost {cost}; proven lower bound {bound} ({status}, gap {gap})"
    ),
    "cap.summary.unreachable": (
        "no choice of the options reaches every target: the plan lifts the "
        "lowest rate as far as they allow (see the ceiling)"
    ),
    "cap.summary.tests_unreachable": (
        "no choice of the options covers {share} of the test person-days "
        "in every building: the plan covers as many as they allow"
    ),
    "cap.summary.kept": (
        "the ordinary schedule of the workbook with the plan keeps the "
        "promise in every building"
    ),
    "cap.summary.restated": (
        "re-stated after the check: the ordinary schedule reaches less than "
        "the model in {wps}, and no option lifts them further in the model "
        "told so"
    ),
    "cap.summary.not_kept": (
        "the promise is NOT kept after {rounds} round(s): {short}"
    ),
    "cap.summary.short": "{wp} {goal} {n} short",
    "cap.summary.written": "written: {path}",
}

ZH: dict[str, str] = {
    "cap.reading": "正在读取 {path} …",
    "cap.options.generated": "生成了 {n} 个候选场次（没有候选场次表）",
    "cap.options.sheet": "候选场次表中有 {n} 个候选场次",
    "cap.model": (
        "模型：{classes} 类、共 {people} 人可完成接种；{options} 个候选场次"
    ),
    "cap.today": "正在按现有场次排程（常规排程）…",
    "cap.plan": (
        "方案：{n} 个场次，费用 {cost}（任何方案的费用至少为 {bound}）"
    ),
    "cap.checking": "正在为加入方案的工作簿排程（新增 {n} 个场次）…",
    "cap.short": "排程未达到预计（{short}）；按差额重新规划 …",
    "cap.short_by": "{wp} {goal} 差 {n}",
    "cap.restated": "已按差额重述预计：排程达到了重述后的预计",
    "cap.goal.vaccination": "接种",
    "cap.goal.tests": "核酸",
    "cap.goal.screening": "筛查",
    "cap.summary.title": "场次规划",
    "cap.summary.figures": (
        "当前 {today}，按方案 {promised}{first}{real}，上限 {ceiling}"
    ),
    "cap.summary.first": "（最初 {value}，已重述）",
    "cap.summary.real": "，实际排程 {value}",
    "cap.summary.rate": "{wp} {name}：{figures}（目标 {target}）",
    "cap.summary.tests": "核酸：{figures}，共 {total} 人天（目标 {target}）",
    "cap.summary.screening": "筛查：{figures}，共 {total} 人次",
    "cap.summary.add": "新增 {n} 个场次（共 {options} 个候选，{where}）：",
    "cap.summary.generated": "系统生成",
    "cap.summary.sheet": "来自候选场次表",
    "cap.summary.option": (
        "{id}：{service}，{site}，{date} {start}-{end}，"
        "费用 {cost}（服务 {serves}）"
    ),
    "cap.summary.cost": (
        "总费用 {cost}；已证明的下界 {bound}（{status}，差距 {gap}）"
    ),
    "cap.summary.unreachable": (
        "任何候选组合都无法使所有职场达标：方案尽量提高最低的接种率（见上限表）"
    ),
    "cap.summary.tests_unreachable": (
        "任何候选组合都无法使每个职场的核酸覆盖达到 {share}："
        "方案尽量提高覆盖人天"
    ),
    "cap.summary.kept": "加入方案后的常规排程在每个职场都达到了预计",
    "cap.summary.restated": (
        "核对后重述：常规排程在 {wps} 低于模型，"
        "模型据此认为再无候选场次可以提高"
    ),
    "cap.summary.not_kept": "经过 {rounds} 轮仍未达到预计：{short}",
    "cap.summary.short": "{wp} {goal} 差 {n}",
    "cap.summary.written": "已写入：{path}",
}
