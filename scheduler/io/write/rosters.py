"""``rosters.xlsx``: printable sign-in sheets, one per booked session.

HR prints these and lays them on the table at the session: the header row
repeats on every page, the table fits the width of A4, rows are numbered in
slot order and tall enough to sign, phones are masked. An index sheet comes
first so that HR can find a session among hundreds. The table rows go
through :class:`BulkWorkbook`: a drive of 100 000 appointments must not
take minutes.
"""

from __future__ import annotations

from collections import defaultdict
from copy import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.merge import MergedCellRange

from scheduler.core import ticks
from scheduler.core.domain import Employee, Instance, Session, hhmm
from scheduler.core.i18n import (
    date_label,
    dose_label,
    normalise_lang,
    service_label,
    t,
    weekday_label,
)
from scheduler.io.write.excel import (
    BOX,
    CENTER,
    DATE_FORMAT,
    MIDDLE,
    TEXT_FORMAT,
    BulkWorkbook,
    XfPair,
    excel_date,
    font,
    gc_paused,
    header_footer_text,
    mask_phone,
    protect_sheets,
    safe_text,
    set_text,
    set_widths,
    sheet_ref,
    sheet_title,
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
from scheduler.io.write.openpyxl_internals import set_style, style_of

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.worksheet.worksheet import Worksheet

    from scheduler.core.solution import Appointment, Solution

ROSTER_COLUMNS = (
    "col.no",
    "col.slot",
    "col.employee_id",
    "col.name",
    "col.department",
    "col.dose_or_test",
    "col.phone",
    "col.attendance",
    "col.signature",
    "col.remarks",
)
# The least widths; a column is widened where a word of its header in
# the run's language would not fit (layout.header_widths).
ROSTER_WIDTHS = [5, 12, 11, 14, 15, 9, 13, 10, 15, 9]
#: 1-based column of the attendance cell HR marks (record reads it back).
ATTENDANCE_COLUMN = ROSTER_COLUMNS.index("col.attendance") + 1
EMPLOYEE_ID_COLUMN = ROSTER_COLUMNS.index("col.employee_id") + 1
TITLE_ROWS = 5
HEADER_ROW = TITLE_ROWS + 1
ROW_HEIGHT = 26  # points: room for a handwritten signature
WRAPPED = (2, 3, 4)  # employee id, name and department may wrap
INDEX_COLUMNS = (
    "col.no",
    "col.session",
    "col.date",
    "col.time",
    "col.site",
    "col.service",
    "col.product",
    "col.provider",
    "col.booked",
    "col.sheet",
)
#: The least widths of the index; session, site, product, provider and
#: sheet grow with their text up to INDEX_MOST (1-based columns; site and
#: provider then wrap, in rows made tall enough).
INDEX_WIDTHS = [5, 10, 11, 12, 16, 12, 10, 12, 8, 10]
INDEX_MOST = {2: 32, 5: 32, 6: 16, 7: 16, 8: 30, 10: 32}

_NOBODY = Employee(id="", name="", workplace_id="", department="")
TITLE_FONT = font(bold=True, size=14)
LINK_FONT = font(color="0563C1", underline="single")


@gc_paused()
def write_rosters(
    path: str | Path,
    instance: Instance,
    solution: Solution,
    lang: str,
    *,
    protect: bool = False,
    password: str | None = None,
) -> None:
    """Write the index and one sign-in sheet per booked session; with
    ``protect``, every sheet is protected against edits."""
    lang = normalise_lang(lang)
    by_session: dict[str, list[Appointment]] = defaultdict(list)
    for a in solution.appointments:
        by_session[a.session_id].append(a)
    booked = (instance.sessions[sid] for sid in by_session)
    sessions = sorted(
        {*instance.horizon_sessions(), *booked},
        key=lambda s: (s.date, s.start, s.id),
    )
    book = BulkWorkbook()
    taken: set[str] = set()
    index_title = sheet_title(t("roster.index_sheet", lang), taken)
    titles = {
        s.id: sheet_title(s.id, taken) for s in sessions if s.id in by_session
    }
    _write_index(
        book.wb.create_sheet(index_title),
        instance,
        sessions,
        by_session,
        titles,
        lang,
    )
    shared = _Shared()
    for s in ticks.counted("rosters", sessions):
        if s.id in titles:
            _write_roster(
                book,
                book.wb.create_sheet(titles[s.id]),
                instance,
                s,
                by_session[s.id],
                lang,
                shared,
            )
    if protect:
        protect_sheets(book.wb, password)
    book.save(path)


@dataclass(slots=True)
class _Shared:
    """What the sign-in sheets share: the table's cell styles (registered
    with the first sheet), and the row heights, slot and dose labels
    already worked out (keys: id, name and department; start and end;
    dose).
    """

    looks: dict[str, XfPair] = field(default_factory=dict)
    heights: dict[tuple[str, str, str], float] = field(default_factory=dict)
    labels: dict[object, str] = field(default_factory=dict)


def _session_facts(instance: Instance, s: Session, lang: str) -> dict:
    site = instance.sites.get(s.site_id)
    site_text = site.name if site else s.site_id
    if site and site.address:
        site_text = f"{site_text} ({site.address})"
    return {
        "date": date_label(s.date, lang),
        "weekday": weekday_label(s.date, lang),
        "start": hhmm(s.start),
        "end": hhmm(s.end),
        "site": site_text,
        "site_name": site.name if site else s.site_id,
        "service": service_label(s.service, lang),
    }


def _title_lines(
    instance: Instance, s: Session, n: int, lang: str
) -> list[str]:
    f = _session_facts(instance, s, lang)
    service = t("roster.service_line", lang, service=f["service"])
    if s.product:
        service += t("roster.product_line", lang, product=s.product)
    last = t("roster.booked_line", lang, n=n)
    if s.provider:
        provider = t("roster.provider_line", lang, provider=s.provider)
        last = f"{provider}    {last}"
    return [
        t("roster.title", lang, session=s.id),
        t(
            "roster.date_line",
            lang,
            date=f["date"],
            weekday=f["weekday"],
            start=f["start"],
            end=f["end"],
        ),
        t("roster.site_line", lang, site=f["site"]),
        service,
        last,
    ]


def _write_roster(
    book: BulkWorkbook,
    ws: Worksheet,
    instance: Instance,
    s: Session,
    appointments: Sequence[Appointment],
    lang: str,
    shared: _Shared,
) -> None:
    last_col = get_column_letter(len(ROSTER_COLUMNS))
    labels = [t(k, lang) for k in ROSTER_COLUMNS]
    widths = header_widths(labels, ROSTER_WIDTHS)
    set_widths(ws, widths)
    print_setup(ws, HEADER_ROW)
    f = _session_facts(instance, s, lang)
    ws.oddHeader.center.text = header_footer_text(
        f"{t('roster.title', lang, session=s.id)}  {f['date']}  "
        f"{f['site_name']}"
    )
    lines = _title_lines(instance, s, len(appointments), lang)
    for r, text in enumerate(lines, 1):
        _merge(ws, f"A{r}:{last_col}{r}")
        cell = ws.cell(r, 1)
        if r == 1:
            styled(cell, "roster.title", alignment=MIDDLE, font=TITLE_FONT)
        else:
            styled(cell, "roster.line", alignment=MIDDLE)
        set_text(cell, text)
        # A long site or provider wraps in the merged title row.
        ws.row_dimensions[r].height = (
            max(24, 14 / 11 * cell_points(text, sum(widths) * 11 / 14))
            if r == 1
            else max(17, cell_points(text, sum(widths)))
        )
    write_header(ws, HEADER_ROW, labels)
    ws.row_dimensions[HEADER_ROW].height = max(
        30, header_points(labels, widths)
    )
    looks = shared.looks
    if not looks:
        looks["center"] = book.style(ws, border=BOX, alignment=CENTER)
        looks["ident"] = book.style(
            ws, border=BOX, alignment=CENTER, number_format=TEXT_FORMAT
        )
        looks["text"] = book.style(ws, border=BOX, alignment=MIDDLE)
    center, ident, text = looks["center"], looks["ident"], looks["text"]
    people = instance.employees
    ordered = sorted(
        appointments,
        key=lambda a: (
            a.slot_start,
            people.get(a.employee_id, _NOBODY).department.casefold(),
            a.employee_id,
        ),
    )

    heights, labels = shared.heights, shared.labels

    def rows():
        for i, a in enumerate(ordered, 1):
            e = people.get(a.employee_id, _NOBODY)
            key = (a.employee_id, e.name, e.department)
            height = heights.get(key)
            if height is None:
                height = max(
                    ROW_HEIGHT,
                    *(
                        cell_points(safe_text(v), widths[c])
                        for c, v in zip(WRAPPED, key, strict=True)
                    ),
                )
                heights[key] = height
            slot = labels.get((a.slot_start, a.slot_end))
            if slot is None:
                slot = f"{hhmm(a.slot_start)}-{hhmm(a.slot_end)}"
                labels[a.slot_start, a.slot_end] = slot
            dose = labels.get(a.dose)
            if dose is None:
                dose = labels[a.dose] = dose_label(a.dose, lang)
            yield (
                height,
                [
                    (i, center),
                    (slot, center),
                    (a.employee_id, ident),
                    (e.name, text),
                    (e.department, text),
                    (dose, center),
                    (mask_phone(e.phone), ident),
                    ("", center),  # attendance: marked from the dropdown
                    ("", text),  # signature: an empty box
                    ("", text),
                ],
            )

    book.add_rows(
        ws,
        HEADER_ROW + 1,
        rows(),
        count=len(ordered),
        width=len(ROSTER_COLUMNS),
    )
    ws.print_area = f"A1:{last_col}{HEADER_ROW + len(ordered)}"
    if ordered:
        _attendance_dropdown(
            ws, HEADER_ROW + 1, HEADER_ROW + len(ordered), lang
        )


def _merge(ws: Worksheet, ref: str) -> None:
    """``ws.merge_cells(ref)`` for a range whose cells other than the
    first stay empty and unstyled: openpyxl's version also fills the range
    with placeholder cells and copies the first cell's borders onto them,
    which makes no difference to the file here but costs more than
    writing the rest of the sheet."""
    ws.merged_cells.add(MergedCellRange(ws, ref))


def _attendance_dropdown(
    ws: Worksheet, first: int, last: int, lang: str
) -> None:
    """A list validation on the attendance cells: attended / no-show."""
    choices = [t("attendance.attended", lang), t("attendance.no_show", lang)]
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showDropDown=False,  # False means: show the in-cell arrow
        showErrorMessage=True,
    )
    col = get_column_letter(ATTENDANCE_COLUMN)
    dv.add(f"{col}{first}:{col}{last}")
    ws.add_data_validation(dv)


def _write_index(
    ws: Worksheet,
    instance: Instance,
    sessions: Sequence[Session],
    by_session: dict[str, list[Appointment]],
    titles: dict[str, str],
    lang: str,
) -> None:
    """A few hundred rows at most: plain openpyxl, with links.

    Ids and sheet names get columns wide enough to stay on one line;
    site and provider wrap between words, in rows tall enough for them.
    """
    title_row = 2
    table = []
    for n, s in enumerate(sessions, 1):
        f = _session_facts(instance, s, lang)
        table.append(
            [
                n,
                s.id,
                excel_date(s.date),
                f"{f['start']}-{f['end']}",
                f["site_name"],
                f["service"],
                s.product or "",
                s.provider,
                len(by_session.get(s.id, ())),
                titles.get(s.id, t("roster.no_sheet", lang)),
            ]
        )
    labels = [t(k, lang) for k in INDEX_COLUMNS]
    widths = [
        content_width((row[c - 1] for row in table), w, INDEX_MOST[c])
        if c in INDEX_MOST
        else w
        for c, w in enumerate(INDEX_WIDTHS, 1)
    ]
    widths = header_widths(labels, widths)
    set_widths(ws, widths)
    print_setup(ws, title_row, landscape=True)
    last_col = get_column_letter(len(INDEX_COLUMNS))
    ws.merge_cells(f"A1:{last_col}1")
    set_text(ws["A1"], t("roster.index_title", lang)).font = TITLE_FONT
    ws.row_dimensions[1].height = 24
    write_header(ws, title_row, labels)
    ws.row_dimensions[title_row].height = header_points(labels, widths)
    # The style of each column, with and without a link, as the first
    # such row got it cell attribute by attribute (see excel.styled).
    looks: dict[bool, list[StyleArray]] = {}
    for r, (s, values) in enumerate(
        zip(sessions, table, strict=True), title_row + 1
    ):
        ws.row_dimensions[r].height = max(
            cell_points(v, w)
            for v, w in zip(values, widths, strict=True)
            if isinstance(v, str)
        )
        linked = s.id in titles
        known = looks.get(linked)
        for c, value in enumerate(values, 1):
            cell = ws.cell(r, c)
            if known is not None:
                set_style(cell, known[c - 1])
            if isinstance(value, str):
                set_text(cell, value)
            else:
                cell.value = value
            if known is None:
                cell.border = BOX
                cell.alignment = CENTER if c in (1, 3, 4, 9) else MIDDLE
        if known is None:
            ws.cell(r, 2).number_format = TEXT_FORMAT
            ws.cell(r, 3).number_format = DATE_FORMAT
        if linked:
            link = ws.cell(r, len(values))
            link.hyperlink = Hyperlink(
                ref=link.coordinate, location=sheet_ref(titles[s.id])
            )
            if known is None:
                link.font = LINK_FONT
        if known is None:
            looks[linked] = [
                _unquoted(style_of(ws.cell(r, c)))
                for c in range(1, len(values) + 1)
            ]
    last = title_row + len(sessions)
    ws.auto_filter.ref = f"A{title_row}:{last_col}{last}"


def _unquoted(look: StyleArray) -> StyleArray:
    """A copy of a cell's style ids without the quote prefix of its text."""
    look = copy(look)
    look.quotePrefix = 0
    return look
