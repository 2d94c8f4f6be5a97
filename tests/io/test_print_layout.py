"""Printed workbooks: no header broken inside a word, nothing cut, rows
tall enough for their wrapped lines — every sheet of every workbook a run,
``scheduler template`` or ``scheduler history --xlsx`` writes, in English
and in Chinese."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from scheduler.core.domain import Scope, Service, SiteKind
from scheduler.core.domain import TestRequirement as Requirement
from scheduler.core.solution import Solution, UnmetNeed
from scheduler.io.write.coverage import write_coverage
from scheduler.io.write.layout import (
    CELL_PADDING,
    cell_points,
    display_width,
    fits_unbroken,
    pieces,
    text_width,
    wrapped_lines,
)
from scheduler.io.write.notices import write_notices
from scheduler.io.write.rosters import write_rosters
from scheduler.io.write.schedule import write_schedule
from scheduler.io.write.template import write_template
from scheduler.prepare.needs import compute_needs
from scheduler.rounds.history import Figures, SiteFigures
from scheduler.rounds.history_report import write_history_xlsx
from tests.factories import (
    H0,
    make_appointment,
    make_employee,
    make_instance,
    make_session,
    make_site,
    make_workplace,
)

#: Excel's width of a column that has none set.
DEFAULT_WIDTH = 8.43
DEFAULT_HEIGHT = 15.0


def test_width_counts_cjk_double():
    assert display_width("ab") == 2
    assert display_width("香蜜湖") == 6
    assert text_width("香蜜湖") == 6
    assert text_width("Attendance", bold=True) > text_width("Attendance")
    assert text_width("ill") < text_width("MWM")


def test_lines_break_between_words_and_cjk_characters():
    assert pieces("Dose / test") == ["Dose ", "/ ", "test"]
    assert pieces("T-S-NT") == ["T-", "S-", "NT"]
    assert pieces("香蜜湖 CHC") == ["香", "蜜", "湖", " ", "CHC"]
    assert wrapped_lines("Card Activation Hotline", 15) == 2
    assert wrapped_lines("Card Activation Hotline", 40) == 1
    assert wrapped_lines("香蜜湖社康中心", 9) == 2
    assert wrapped_lines("a\nb", 40) == 2
    # One word longer than the line is cut inside: two lines, and a
    # header that would need that does not fit unbroken.
    assert wrapped_lines("Attendance", 8, bold=True) == 2
    assert not fits_unbroken("Attendance", 10, bold=True)
    assert fits_unbroken("Attendance", 13, bold=True)
    assert cell_points("x", 10) == DEFAULT_HEIGHT
    assert cell_points("香", 10) > DEFAULT_HEIGHT  # a CJK line is taller


def test_measured_text_is_kept_apart_by_boldness_and_width():
    """Text is measured once and kept: bold and plain, narrow and wide
    columns still get their own answers, in either order."""
    # "Attendance": 9.55 wide plain, 10.5 bold; 10.5 fits in 11.5.
    assert wrapped_lines("Attendance", 11.5) == 1
    assert wrapped_lines("Attendance", 11.5, bold=True) == 2
    assert wrapped_lines("Attendance", 11.5) == 1
    assert wrapped_lines("Attendance", 11.5, bold=True) == 2
    text = "Vaccination at Xiangmihu CHC (香蜜湖社康中心); test at New Tower"
    narrow = cell_points(text, 20)
    assert cell_points(text, 70) < narrow
    assert cell_points(text, 20) == narrow


# The workbooks ----------------------------------------------------------

LONG_SITE = "Xiangmihu Community Health Centre (香蜜湖社区健康服务中心)"
LONG_PROVIDER = "Futian District Chronic Disease Hospital outreach team"


def case():
    """Text as long as real drives have: ids, sites, providers, names
    and departments in English and Chinese, a long unmet detail."""
    vac = make_session(
        "V-CHC01-210608-PM-EXTRA",
        date=H0,
        site_id="CHC01",
        provider=LONG_PROVIDER,
    )
    pcr = make_session(
        "T-S-ZHX-210607-MO",
        service=Service.NUCLEIC_TEST,
        date=date(2021, 6, 3),
        start=480,
        end=600,
        provider="BGI Genomics (华大基因)",
    )
    idle = make_session("V-S-NT-210604-EV", date=date(2021, 6, 4))
    instance = make_instance(
        employees=[
            make_employee(
                "0010021",
                name="欧阳娜娜",
                department="Card Activation Hotline",
                team="Night shift team B",
                phone="13812345678",
            ),
            make_employee(
                "EMP-2021-000002",
                name="Alexandra Konstantinopoulou-Smith",
                department="客户服务中心（信用卡夜班热线）",
                workplace_id="WP02",
            ),
            make_employee("E3", name="Li Si", department="IT"),
        ],
        workplaces=[
            make_workplace("W1", name="New Tower (新大楼)"),
            make_workplace("WP02", name="Zhonghaixin (中海信) Building"),
        ],
        sessions=[vac, pcr, idle],
        sites=[
            make_site(address="7088 Shennan Boulevard, Futian District"),
            make_site(
                "CHC01",
                kind=SiteKind.COMMUNITY,
                workplace_id=None,
                name=LONG_SITE,
                address="171 Fuhua 3rd Road, Futian District, Shenzhen",
            ),
        ],
        travel={("W1", "CHC01"): 15, ("WP02", "CHC01"): 20},
        test_requirements=(
            Requirement(id="R7", scope=Scope.ALL, every_days=7),
        ),
    )
    solution = Solution(
        appointments=(
            make_appointment(vac, "0010021", dose="2"),
            make_appointment(vac, "EMP-2021-000002", dose="booster"),
            make_appointment(pcr, "0010021", slot=1),
            make_appointment(pcr, "E3", slot=2),
        )
    )
    unmet = [
        UnmetNeed(
            employee_id="E3",
            service=Service.VACCINATION,
            reason="not_available",
            need="dose 1 (any product)",
            detail=(
                "away on every day a session could be used: 2021-06-01, "
                "2021-06-02, 2021-06-04 (annual leave); sessions "
                "V-CHC01-210608-PM-EXTRA and V-S-NT-210604-EV were full"
            ),
            dose="1",
        )
    ]
    return instance, solution, unmet


def _written(kind: str, lang: str, folder) -> object:
    instance, solution, unmet = case()
    path = folder / f"{kind}-{lang}.xlsx"
    if kind == "rosters":
        write_rosters(path, instance, solution, lang)
    elif kind == "coverage":
        needs = compute_needs(instance)
        write_coverage(path, instance, needs, solution, lang)
    elif kind == "schedule":
        write_schedule(path, instance, solution, unmet)
    elif kind == "notices":
        write_notices(path, instance, solution, lang)
    elif kind == "template":
        write_template(path, lang)
    elif kind == "example":
        write_template(path, lang, example=True)
    elif kind == "history":
        figures = Figures(
            runs=3,
            vaccinations=804,
            doses={"1": 300, "2": 400, "booster": 104},
            sites=[SiteFigures("CHC01-Xiangmihu-Community", 12, 400)],
        )
        write_history_xlsx(path, figures, lang)
    return path


def _width(ws, col: int) -> float:
    letter = get_column_letter(col)
    dim = ws.column_dimensions.get(letter)
    return dim.width if dim is not None and dim.customWidth else DEFAULT_WIDTH


def print_problems(path) -> list[str]:
    """What would print badly, cell by cell: a header (a shaded cell)
    whose words do not fit its column, a wrapped cell in a row too low
    for its lines, a text that does not fit its column with a filled
    cell beside it (it would be cut)."""
    wb = load_workbook(path)
    problems = []
    for ws in wb.worksheets:
        spans: dict[tuple[int, int], float] = {}
        hidden: set[tuple[int, int]] = set()
        for rng in ws.merged_cells.ranges:
            spans[rng.min_row, rng.min_col] = sum(
                _width(ws, c) for c in range(rng.min_col, rng.max_col + 1)
            )
            hidden |= {
                (r, c)
                for r in range(rng.min_row, rng.max_row + 1)
                for c in range(rng.min_col, rng.max_col + 1)
            } - {(rng.min_row, rng.min_col)}
        for row in ws.iter_rows():
            for cell in row:
                text = cell.value
                at = (cell.row, cell.column)
                if not isinstance(text, str) or not text or at in hidden:
                    continue
                where = f"{ws.title}!{cell.coordinate} {text[:40]!r}"
                width = spans.get(at) or _width(ws, cell.column)
                bold = bool(cell.font.b)
                size = (cell.font.sz or 11) / 11
                height = ws.row_dimensions[cell.row].height or DEFAULT_HEIGHT
                header = cell.fill.fill_type == "solid"
                if cell.alignment.wrap_text:
                    if header and not fits_unbroken(text, width / size, bold):
                        problems.append(f"header breaks a word: {where}")
                    need = cell_points(text, width / size, bold) * size
                    if height + 0.01 < need:
                        problems.append(
                            f"row {height} < {need} for its lines: {where}"
                        )
                    continue
                fits = text_width(text, bold) * size + CELL_PADDING <= width
                if fits:
                    continue
                beside = ws.cell(cell.row, cell.column + 1).value
                if header:
                    problems.append(f"header cut: {where}")
                elif beside not in (None, ""):
                    problems.append(f"text cut by the next cell: {where}")
    return problems


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    "kind",
    [
        "rosters",
        "coverage",
        "schedule",
        "notices",
        "template",
        "example",
        "history",
    ],
)
def test_every_sheet_prints_without_cut_or_broken_text(kind, lang, tmp_path):
    """Every header's words fit its column, wrapped cells have rows tall
    enough for their lines, no text is cut by the cell beside it."""
    path = _written(kind, lang, tmp_path)
    assert print_problems(path) == []


def test_roster_header_attendance_fits_in_both_languages(tmp_path):
    """The sign-in sheet's header: 'Attendance' no longer breaks inside
    the word ('Attendanc e'); the row is as tall as its wrapped labels."""
    for lang in ("en", "zh"):
        path = _written("rosters", lang, tmp_path)
        ws = load_workbook(path)["V-CHC01-210608-PM-EXTRA"]
        header = {c.value: c for c in ws[6]}
        label = "Attendance" if lang == "en" else "到场"
        cell = header[label]
        assert fits_unbroken(label, _width(ws, cell.column), bold=True)


def test_roster_index_rows_hold_their_wrapped_text(tmp_path):
    """The index: ids on one line, a long site and provider wrap into a
    row tall enough (it was a default row: the lines overlapped)."""
    path = _written("rosters", "en", tmp_path)
    ws = load_workbook(path)["index"]
    row = next(
        r
        for r in range(3, ws.max_row + 1)
        if ws.cell(r, 2).value == "V-CHC01-210608-PM-EXTRA"
    )
    assert wrapped_lines(ws.cell(row, 2).value, _width(ws, 2)) == 1
    assert wrapped_lines(ws.cell(row, 5).value, _width(ws, 5)) >= 2
    assert ws.row_dimensions[row].height >= cell_points(
        LONG_PROVIDER, _width(ws, 8)
    )


@pytest.mark.parametrize(
    "kind", ["rosters", "coverage", "schedule", "notices", "history"]
)
def test_printed_a4_one_page_wide_header_repeated(kind, tmp_path):
    """Each sheet prints on A4, one page wide, its header on every page."""
    path = _written(kind, "en", tmp_path)
    for ws in load_workbook(path).worksheets:
        assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
        assert ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows, ws.title
