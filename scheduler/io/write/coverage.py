"""``coverage.xlsx``: the coverage report HR sends upwards.

Per workplace and per department the vaccination rate before and after the
run against the target, per session the use of capacity, per workplace the
test coverage; charts show the rates against the target. The numbers come
from :mod:`scheduler.report.stats`; this module only lays them out (normal
openpyxl mode: the report is small and the charts need the cells).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break

from scheduler.core.domain import Instance, hhmm
from scheduler.core.i18n import normalise_lang, service_label, t
from scheduler.io.write.excel import (
    BOX,
    DATE_FORMAT,
    MIDDLE,
    PERCENT_FORMAT,
    TEXT_FORMAT,
    atomic_save,
    excel_date,
    font,
    gc_paused,
    protect_sheets,
    set_text,
    set_widths,
    styled,
    write_header,
)
from scheduler.io.write.layout import (
    cell_points,
    content_width,
    header_points,
    header_widths,
    print_setup,
)
from scheduler.report.stats import (
    CoverageStats,
    DepartmentStats,
    GroupStats,
    SessionUse,
    WorkplaceStats,
    compute_coverage,
)

if TYPE_CHECKING:
    from pathlib import Path

    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

    from scheduler.core.solution import Solution
    from scheduler.prepare.needs import Needs

# A column: label key, width, kind (id / text / int / pct / date / label),
# and how to get the value from a row object.
Column = tuple[str, float, str, Callable[[Any], object]]

_FORMATS = {"id": TEXT_FORMAT, "pct": PERCENT_FORMAT, "date": DATE_FORMAT}
_TEXT = ("id", "text", "label")
CENTRED = Alignment(vertical="center")
#: Dates and slot times centred: a right-aligned date beside a
#: left-aligned time read as one string.
_ALIGN = {
    "id": MIDDLE,
    "text": MIDDLE,
    "label": Alignment(horizontal="center", vertical="center", wrap_text=True),
    "date": Alignment(horizontal="center", vertical="center"),
}
#: Printable height and width of a landscape A4 page with print_setup's
#: margins, header and footer, in points.
PAGE_POINTS = (440.0, 784.0)
#: The height of a chart printed on a page of its own.
OWN_PAGE_CHART_CM = 16.0
BOLD = font(bold=True)

TITLE_ROW, NOTE_ROW, HEADER_ROW = 1, 2, 4
#: The widest a text column grows to hold its longest text.
TEXT_MOST = 48
FIRST_ROW = HEADER_ROW + 1

_VACCINATION: list[Column] = [
    ("cov.col.headcount", 10, "int", lambda g: g.headcount),
    ("cov.col.exempt", 9, "int", lambda g: g.exempt),
    ("cov.col.fully_before", 12, "int", lambda g: g.fully_before),
    ("cov.col.rate_before", 10, "pct", lambda g: g.rate_before),
    ("cov.col.series_doses", 12, "int", lambda g: g.series_doses_booked),
    ("cov.col.boosters", 11, "int", lambda g: g.boosters_booked),
    ("cov.col.boosted_before", 11, "int", lambda g: g.boosted_before),
    ("cov.col.fully_after", 13, "int", lambda g: g.fully_after),
    ("cov.col.rate", 11, "pct", lambda g: g.rate),
    ("cov.col.rate_non_exempt", 13, "pct", lambda g: g.rate_non_exempt),
    ("cov.col.target", 9, "pct", lambda g: g.target),
    ("cov.col.gap", 10, "pct", lambda g: g.gap),
    ("cov.col.missing", 11, "int", lambda g: g.missing),
]
_TESTS: list[Column] = [
    ("cov.col.headcount", 10, "int", lambda g: g.headcount),
    ("cov.col.cadence_needs", 12, "int", lambda g: g.cadence_needs),
    ("cov.col.person_days", 11, "int", lambda g: g.person_days),
    (
        "cov.col.person_days_covered",
        12,
        "int",
        lambda g: g.person_days_covered,
    ),
    ("cov.col.person_day_rate", 12, "pct", lambda g: g.person_day_rate),
    ("cov.col.window_needs", 12, "int", lambda g: g.window_needs),
    ("cov.col.window_met", 12, "int", lambda g: g.window_met),
    ("cov.col.window_rate", 12, "pct", lambda g: g.window_rate),
]
_WORKPLACE: list[Column] = [
    ("col.workplace_id", 12, "id", lambda g: g.workplace_id),
    ("col.workplace", 20, "text", lambda g: g.name),
]


@gc_paused()
def write_coverage(
    path: str | Path,
    instance: Instance,
    needs: Needs,
    solution: Solution,
    lang: str,
    coverage: CoverageStats | None = None,
    *,
    protect: bool = False,
    password: str | None = None,
) -> None:
    """Write the four report sheets with their charts.

    ``coverage`` may be passed when the caller computed it already (for
    the terminal summary); otherwise it is computed here. With
    ``protect``, every sheet is protected against edits.
    """
    lang = normalise_lang(lang)
    cov = coverage or compute_coverage(instance, needs, solution)
    wb = Workbook()
    wb.remove(wb.active)
    _workplaces(wb, cov, lang)
    _departments(wb, cov, lang)
    _sessions(wb, cov, lang)
    _tests(wb, cov, lang)
    if protect:
        protect_sheets(wb, password)
    atomic_save(wb, path)


def _total_row(cov: CoverageStats, lang: str) -> WorkplaceStats | None:
    """The all-employees row, shown under the workplaces."""
    if cov.total is None:
        return None
    g: GroupStats = cov.total
    row = WorkplaceStats(
        target=g.target,
        workplace_id=t("total", lang),
        name=t("all_workplaces", lang),
    )
    for name in GroupStats.__dataclass_fields__:
        setattr(row, name, getattr(g, name))
    return row


def _workplaces(wb: Workbook, cov: CoverageStats, lang: str) -> None:
    ws = wb.create_sheet(t("cov.sheet.workplaces", lang))
    total = _total_row(cov, lang)
    rows: list[Any] = list(cov.workplaces)
    columns = _WORKPLACE + _VACCINATION
    last = _table(
        ws,
        t("cov.title.workplaces", lang),
        t("cov.note.rate", lang),
        columns,
        [*rows, total] if total else rows,
        lang,
        bold_last=total is not None,
    )
    if rows:
        # Bars named like the buildings HR knows, when every one has one.
        names = [w.name.casefold() for w in cov.workplaces]
        by_name = all(names) and len(set(names)) == len(names)
        _rate_chart(
            ws,
            t("cov.chart.workplaces", lang),
            columns,
            2 if by_name else 1,
            FIRST_ROW + len(rows) - 1,
            last + 2,
            lang,
        )


def _departments(wb: Workbook, cov: CoverageStats, lang: str) -> None:
    ws = wb.create_sheet(t("cov.sheet.departments", lang))
    depts: Sequence[DepartmentStats] = cov.departments
    columns: list[Column] = [
        ("col.workplace_id", 12, "id", lambda g: g.workplace_id),
        ("col.workplace", 18, "text", lambda g: g.workplace_name),
        ("col.department", 20, "text", lambda g: g.department),
        *_VACCINATION,
    ]
    names = [d.department.casefold() for d in depts]
    category = 3
    if len(set(names)) < len(names):
        # The same department in several workplaces: label the bars
        # with both.
        columns.append(
            (
                "cov.col.label",
                28,
                "text",
                lambda g: (
                    f"{g.workplace_name or g.workplace_id} / {g.department}"
                ),
            )
        )
        category = len(columns)
    last = _table(
        ws,
        t("cov.title.departments", lang),
        t("cov.note.rate", lang),
        columns,
        list(depts),
        lang,
    )
    if depts:
        _rate_chart(
            ws,
            t("cov.chart.departments", lang),
            columns,
            category,
            FIRST_ROW + len(depts) - 1,
            last + 2,
            lang,
            height=13.0,  # room for long, slanted department labels
        )


def _sessions(wb: Workbook, cov: CoverageStats, lang: str) -> None:
    ws = wb.create_sheet(t("cov.sheet.sessions", lang))
    columns: list[Column] = [
        ("col.session", 14, "id", lambda u: u.session_id),
        ("col.date", 11, "date", lambda u: excel_date(u.date)),
        (
            "col.time",
            12,
            "label",
            lambda u: f"{hhmm(u.session.start)}-{hhmm(u.session.end)}",
        ),
        ("col.site", 22, "text", lambda u: u.site_name),
        (
            "col.service",
            14,
            "label",
            lambda u: service_label(u.session.service, lang),
        ),
        ("col.product", 14, "text", lambda u: u.session.product),
        ("col.provider", 16, "text", lambda u: u.session.provider),
        ("cov.col.slots", 8, "int", lambda u: u.slots),
        ("cov.col.per_slot", 10, "int", lambda u: u.session.capacity_per_slot),
        ("cov.col.slot_capacity", 10, "int", lambda u: u.slot_capacity),
        (
            "cov.col.doses_available",
            10,
            "int",
            lambda u: u.session.doses_available,
        ),
        ("cov.col.capacity", 10, "int", lambda u: u.capacity),
        ("col.booked", 10, "int", lambda u: u.booked),
        ("cov.col.use", 9, "pct", lambda u: u.use),
    ]
    uses: list[SessionUse] = cov.sessions
    _table(ws, t("cov.title.sessions", lang), "", columns, list(uses), lang)


def _tests(wb: Workbook, cov: CoverageStats, lang: str) -> None:
    ws = wb.create_sheet(t("cov.sheet.tests", lang))
    total = _total_row(cov, lang)
    rows: list[Any] = list(cov.workplaces)
    _table(
        ws,
        t("cov.title.tests", lang),
        "",
        _WORKPLACE + _TESTS,
        [*rows, total] if total else rows,
        lang,
        bold_last=total is not None,
    )


def _table(
    ws: Worksheet,
    title: str,
    note: str,
    columns: Sequence[Column],
    rows: Sequence[Any],
    lang: str,
    bold_last: bool = False,
) -> int:
    """Title, note, header and rows; returns the last row written.

    A text column is as wide as its longest text (up to TEXT_MOST), a
    header wraps between words in a row tall enough."""
    ws.cell(TITLE_ROW, 1, title).font = font(bold=True, size=14)
    if note:
        ws.cell(NOTE_ROW, 1, note).font = font(italic=True, color="595959")
    labels = [t(c[0], lang) for c in columns]
    widths = [
        content_width((get(r) for r in rows), width, TEXT_MOST)
        if kind in _TEXT
        else width
        for _, width, kind, get in columns
    ]
    widths = header_widths(labels, widths)
    write_header(ws, HEADER_ROW, labels)
    set_widths(ws, widths)
    ws.row_dimensions[HEADER_ROW].height = max(
        30, header_points(labels, widths)
    )
    for r, obj in enumerate(rows, FIRST_ROW):
        bold = bold_last and r == FIRST_ROW + len(rows) - 1
        for c, (_, _, kind, get) in enumerate(columns, 1):
            _put(ws.cell(r, c), kind, get(obj), bold)
        texts = [
            (v, w)
            for (_, _, kind, get), w in zip(columns, widths, strict=True)
            if kind in _TEXT and (v := get(obj))
        ]
        # Rows with long or CJK text need more than the default height.
        ws.row_dimensions[r].height = max(
            (cell_points(v, w, bold) for v, w in texts), default=None
        )
    last = HEADER_ROW + len(rows)
    ws.auto_filter.ref = (
        f"A{HEADER_ROW}:{get_column_letter(len(columns))}{last}"
    )
    print_setup(ws, HEADER_ROW, landscape=True)
    ws.print_options.horizontalCentered = False
    return last


def _put(cell: Cell, kind: str, value: object, bold: bool) -> None:
    """A boxed cell, bold in the total row; ids as text, rates as
    percentages (the number format only on cells with a value)."""
    empty = value is None or value == ""
    # Text wraps in its (sized) row; everything sits in the row's middle.
    look = {"border": BOX, "alignment": _ALIGN.get(kind, CENTRED)}
    if bold:
        look["font"] = BOLD
    if not empty and kind in _FORMATS:
        look["number_format"] = _FORMATS[kind]
    name = f"coverage.{kind}.{'bold' if bold else 'plain'}.{empty}"
    styled(cell, name, **look)
    if empty:
        return
    if kind in ("id", "text"):
        set_text(cell, value)
    else:
        cell.value = value


def _column_of(columns: Sequence[Column], key: str) -> int:
    return next(i for i, c in enumerate(columns, 1) if c[0] == key)


def _rate_chart(
    ws: Worksheet,
    title: str,
    columns: Sequence[Column],
    category_col: int,
    last_row: int,
    anchor_row: int,
    lang: str,
    height: float = 9.0,
) -> None:
    """Bars of the projected rate with the target as a line over them."""
    rate = _column_of(columns, "cov.col.rate")
    target = _column_of(columns, "cov.col.target")
    n = last_row - FIRST_ROW + 1
    bar = BarChart()
    bar.type = "col"
    bar.title = title
    bar.y_axis.title = t("cov.chart.axis", lang)
    bar.y_axis.numFmt = "0%"
    bar.y_axis.scaling.min = 0
    bar.y_axis.scaling.max = 1
    bar.y_axis.majorUnit = 0.1
    bar.add_data(
        Reference(ws, min_col=rate, min_row=HEADER_ROW, max_row=last_row),
        titles_from_data=True,
    )
    cats = Reference(
        ws, min_col=category_col, min_row=FIRST_ROW, max_row=last_row
    )
    bar.set_categories(cats)
    line = LineChart()
    line.add_data(
        Reference(ws, min_col=target, min_row=HEADER_ROW, max_row=last_row),
        titles_from_data=True,
    )
    line.set_categories(cats)
    target_line = line.series[0]
    target_line.marker.symbol = "dash"
    target_line.graphicalProperties.line.solidFill = "C00000"
    target_line.graphicalProperties.line.width = 28575  # 2.25 pt
    bar += line
    # openpyxl 3.1 leaves axis deletion unset: Excel then hides the axes.
    bar.x_axis.delete = False
    bar.y_axis.delete = False
    bar.legend.position = "b"
    bar.width = min(40.0, max(16.0, 3.0 + 1.6 * n))
    bar.height = height
    if not _fits_page(ws, anchor_row, bar.width, height):
        # The chart would be cut by the page's end: a page of its own,
        # which it may fill.
        ws.row_breaks.append(Break(id=anchor_row - 1))
        bar.height = max(height, OWN_PAGE_CHART_CM)
    ws.add_chart(bar, f"A{anchor_row}")


def _fits_page(ws: Worksheet, row: int, width_cm: float, height_cm: float):
    """Whether the rows above ``row`` and a chart under them print on
    one landscape A4 page (scaled, as print_setup does, to the page's
    width)."""
    last = max(ws.max_column, 1)
    widths = [
        ws.column_dimensions[get_column_letter(c)].width or 13
        for c in range(1, last + 1)
    ]
    # A column of width w is 7w + 5 pixels, 0.75 points a pixel.
    wide = max(sum(0.75 * (7 * w + 5) for w in widths), width_cm * 28.35)
    scale = min(1.0, PAGE_POINTS[1] / wide)
    tall = (
        sum(ws.row_dimensions[r].height or 15 for r in range(1, row))
        + height_cm * 28.35
    )
    return tall * scale <= PAGE_POINTS[0]
