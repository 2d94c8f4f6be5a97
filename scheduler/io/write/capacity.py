"""``capacity.xlsx``: the plan, the curve with its chart, the ceiling.

Labels follow the report's language (report/capacity_labels.py); the
figures come from :class:`~scheduler.report.capacity.CapacityReport`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference

from scheduler.core.domain import hhmm
from scheduler.io.write.excel import (
    DATE_FORMAT,
    PERCENT_FORMAT,
    atomic_save,
    set_text,
    set_widths,
    write_header,
)
from scheduler.report.capacity import CAUSES, CapacityReport
from scheduler.report.capacity_labels import label

if TYPE_CHECKING:
    from pathlib import Path

    from openpyxl.worksheet.worksheet import Worksheet


def write_capacity(path: Path, report: CapacityReport, lang: str) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    _plan(wb.create_sheet(label(lang, "plan")), report, lang)
    _curve(wb.create_sheet(label(lang, "curve")), report, lang)
    _ceiling(wb.create_sheet(label(lang, "ceiling")), report, lang)
    if report.tests is not None:
        _tests(wb.create_sheet(label(lang, "tests_sheet")), report, lang)
    for ws in wb.worksheets:
        _printable(ws)
    atomic_save(wb, path)
    return path


def _printable(ws: Worksheet) -> None:
    """A4 landscape, one page wide."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _plan(ws: Worksheet, report: CapacityReport, lang: str) -> None:
    wps = [f.workplace_id for f in report.workplaces]
    key = "options_generated" if report.generated else "options_sheet"
    set_text(ws.cell(1, 1), label(lang, key, n=report.options))
    ws.cell(2, 1).value = (
        f"{label(lang, 'cost')}: {report.cost:g} (≥ {report.cost_bound:g}, "
        f"{report.status})"
    )
    heads = [
        label(lang, k)
        for k in (
            "order",
            "session_id",
            "service",
            "site",
            "date",
            "start",
            "end",
            "slot_minutes",
            "capacity_per_slot",
            "product",
            "cost",
            "places",
        )
    ] + [label(lang, "serves", wp=w) for w in wps]
    write_header(ws, 4, heads)
    ws.row_dimensions[4].height = 30
    for i, r in enumerate(report.plan, start=1):
        s = r.option.session
        row = 4 + i
        values = [
            i,
            s.id,
            str(s.service),
            r.site_name,
            s.date,
            hhmm(s.start),
            hhmm(s.end),
            s.slot_minutes,
            s.capacity_per_slot,
            s.product or "",
            r.option.cost,
            r.places,
            *[r.served.get(w, 0) for w in wps],
        ]
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row, c)
            if isinstance(v, str):
                set_text(cell, v)
            else:
                cell.value = v
            if c == 5:
                cell.number_format = DATE_FORMAT
    set_widths(ws, [5, 26, 12, 30, 11, 7, 7, 8, 9, 12, 7, 8] + [11] * len(wps))
    ws.freeze_panes = "A5"


def _curve(ws: Worksheet, report: CapacityReport, lang: str) -> None:
    wps = [f.workplace_id for f in report.workplaces]
    heads = [
        label(lang, "added"),
        *[label(lang, "rate", wp=w) for w in wps],
        label(lang, "target"),
        label(lang, "needs"),
        label(lang, "bound"),
    ]
    col = len(heads) + 1
    if report.tests is not None:
        heads += [label(lang, "tests_covered"), label(lang, "screened")]
    write_header(ws, 1, heads)
    ws.row_dimensions[1].height = 30
    heads_by = {f.workplace_id: f.headcount for f in report.workplaces}
    for i, p in enumerate(report.curve, start=2):
        ws.cell(i, 1).value = p.added
        for j, w in enumerate(wps, start=2):
            cell = ws.cell(i, j)
            h = heads_by[w]
            cell.value = p.complete.get(w, 0) / h if h else None
            cell.number_format = PERCENT_FORMAT
        t = ws.cell(i, len(wps) + 2)
        t.value = report.target
        t.number_format = PERCENT_FORMAT
        ws.cell(i, len(wps) + 3).value = round(p.value, 1)
        b = ws.cell(i, len(wps) + 4)
        b.value = p.floor_bound
        b.number_format = PERCENT_FORMAT
    last = 1 + len(report.curve)
    widths = [14] + [12] * len(wps) + [10, 18, 22]
    if report.tests is not None:
        _curve_tests(ws, report, col)
        widths += [16, 16]
    set_widths(ws, widths)
    if len(report.curve) < 2:
        return
    chart = LineChart()
    chart.title = label(lang, "chart_title")
    chart.x_axis.title = label(lang, "chart_x")
    chart.y_axis.title = label(lang, "chart_y")
    chart.y_axis.numFmt = "0%"
    low = min(
        (p.complete.get(w, 0) / heads_by[w])
        for p in report.curve
        for w in wps
        if heads_by[w]
    )
    chart.y_axis.scaling.min = max(0.0, round(low - 0.05, 1))
    chart.y_axis.scaling.max = 1
    chart.add_data(
        Reference(
            ws, min_col=2, max_col=len(wps) + 2, min_row=1, max_row=last
        ),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=last))
    for series in chart.series:
        series.smooth = False  # rates at whole numbers of sessions
    target = chart.series[-1]
    target.graphicalProperties.line.solidFill = "C00000"
    target.graphicalProperties.line.dashStyle = "dash"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "r"  # beside: below, it falls off the page
    chart.width, chart.height = 22.0, 9.0
    ws.add_chart(chart, f"A{last + 3}")


def _curve_tests(ws: Worksheet, report: CapacityReport, col: int) -> None:
    """With ``--tests``: per point, the share of test person-days covered
    and the screening windows met, over every workplace."""
    total = sum(f.tests.total for f in report.workplaces if f.tests)
    for i, p in enumerate(report.curve, start=2):
        cell = ws.cell(i, col)
        cell.value = sum(p.covered.values()) / total if total else None
        cell.number_format = PERCENT_FORMAT
        ws.cell(i, col + 1).value = sum(p.screened.values())


def _ceiling(ws: Worksheet, report: CapacityReport, lang: str) -> None:
    heads = [
        label(lang, k)
        for k in (
            "workplace",
            "name",
            "headcount",
            "today",
            "promised",
            "real",
            "ceiling_rate",
            "target",
        )
    ] + [label(lang, c) for c in CAUSES]
    write_header(ws, 1, heads)
    ws.row_dimensions[1].height = 45
    for i, f in enumerate(report.workplaces, start=2):
        set_text(ws.cell(i, 1), f.workplace_id)
        set_text(ws.cell(i, 2), f.name)
        ws.cell(i, 3).value = f.headcount
        for j, people in enumerate(
            (f.today, f.promised, f.real, f.ceiling), start=4
        ):
            cell = ws.cell(i, j)
            cell.value = f.rate(people)
            cell.number_format = PERCENT_FORMAT
        t = ws.cell(i, 8)
        t.value = report.target
        t.number_format = PERCENT_FORMAT
        for j, cause in enumerate(CAUSES, start=9):
            ws.cell(i, j).value = f.causes.get(cause, 0)
    set_widths(ws, [11, 24, 10, 10, 14, 14, 10, 8] + [13] * len(CAUSES))


#: The tests sheet's columns after the workplace (``--tests``): test
#: person-days as shares of the total, screening windows as counts.
TEST_COLUMNS = (
    ("tests", "tests_total", "total"),
    ("tests", "tests_today", "today"),
    ("tests", "tests_promised", "promised"),
    ("tests", "tests_real", "real"),
    ("tests", "tests_ceiling", "ceiling"),
    ("tests", "tests_target", "needed"),
    ("screening", "windows_total", "total"),
    ("screening", "windows_today", "today"),
    ("screening", "windows_promised", "promised"),
    ("screening", "windows_real", "real"),
    ("screening", "windows_ceiling", "ceiling"),
)


def _tests(ws: Worksheet, report: CapacityReport, lang: str) -> None:
    """Per workplace: test person-days covered and screening windows met,
    today, promised, in the real schedule, at most (``--tests``)."""
    heads = [label(lang, "workplace"), label(lang, "name")]
    write_header(ws, 1, heads + [label(lang, k) for _, k, _ in TEST_COLUMNS])
    ws.row_dimensions[1].height = 60  # four lines of the longest head
    for i, f in enumerate(report.workplaces, start=2):
        set_text(ws.cell(i, 1), f.workplace_id)
        set_text(ws.cell(i, 2), f.name)
        goals = f.goals()
        for j, (kind, _, field) in enumerate(TEST_COLUMNS, start=3):
            g = goals.get(kind)
            if g is None:
                continue
            value = getattr(g, field)
            cell = ws.cell(i, j)
            if kind == "tests" and field != "total":
                cell.value = g.rate(value)
                cell.number_format = PERCENT_FORMAT
            else:
                cell.value = value
    set_widths(ws, [11, 24] + [12] * len(TEST_COLUMNS))
