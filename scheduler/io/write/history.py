"""``scheduler history --xlsx``: the cumulative figures as a workbook.

The figures and their labels are made by scheduler/rounds/history_report.py;
this lays them out to print (A4, one page wide, the header on every page),
in a new file (never over an existing one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openpyxl import Workbook

from scheduler.core.errors import UsageError
from scheduler.core.i18n import t
from scheduler.core.messages import Msg
from scheduler.io.write.excel import set_text, write_header
from scheduler.io.write.layout import (
    content_width,
    header_points,
    print_setup,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path


def write_history_workbook(
    path: Path,
    figures: Sequence[tuple[str, int]],
    sites: Sequence[tuple[str, int, int]],
    lang: str,
) -> Path:
    """(label, value) rows on one sheet; the sites (site, sessions held,
    attended) on another."""
    if path.exists():
        raise UsageError(Msg("usage.file_exists", path=str(path)))
    wb = Workbook()
    ws = wb.active
    ws.title = t("hist.sheet.figures", lang)
    _table(
        ws,
        [t("hist.col.figure", lang), t("hist.col.value", lang)],
        list(figures),
    )
    _table(
        wb.create_sheet(t("hist.sheet.sites", lang)),
        [
            t("col.site", lang),
            t("hist.col.sessions", lang),
            t("hist.col.attended", lang),
        ],
        list(sites),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        wb.save(tmp)
        if path.exists():
            raise UsageError(Msg("usage.file_exists", path=str(path)))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _table(ws, head: list[str], rows: list[tuple]) -> None:
    """A header and rows, columns wide enough for both to print whole
    (A4, one page wide, the header on every page)."""
    write_header(ws, 1, head)
    for r, row in enumerate(rows, 2):
        for c, value in enumerate(row, 1):
            if isinstance(value, str):
                set_text(ws.cell(r, c), value)
            else:
                ws.cell(r, c, value)
    widths = []
    for c, label in enumerate(head, 1):
        texts = [label, *(str(row[c - 1]) for row in rows)]
        widths.append(content_width(texts, 10, 60) + 1)  # + 1: bold
        ws.column_dimensions[ws.cell(1, c).column_letter].width = widths[-1]
    ws.row_dimensions[1].height = header_points(head, widths)
    print_setup(ws, 1)
