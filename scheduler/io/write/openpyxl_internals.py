"""Every use of openpyxl's private API, fenced in one module.

The writers need three things openpyxl does not offer publicly; they are
here and nowhere else, for openpyxl 3.1 (pyproject.toml allows
``>=3.1,<3.2``; tests/io/test_openpyxl_internals.py fails when a release
changes any of them):

1. ``openpyxl.worksheet._writer.WorksheetWriter(ws, out=...)``: one sheet
   serialised into memory instead of a temporary file of its own.
2. ``SheetWriter.write_worksheet``: a copy of ``ExcelWriter.
   write_worksheet`` (3.1, normal mode), which reads and sets the sheet's
   ``_drawing``, ``_charts``, ``_images`` and ``_rels``, the writer's
   ``_rels`` and the workbook writer's ``_archive``; it hands the sheet's
   XML to a callback instead of writing it to the archive.
3. ``Cell._style``: a cell's style ids (a ``StyleArray``), read and
   copied so that many cells share one style without openpyxl hashing
   every style object again (``style_of``, ``set_style``).
4. Inline strings: openpyxl 3.1 writes a string cell's text inline in the
   sheet's XML (``<c t="inlineStr"><is><t>text</t></is></c>``), not in
   the shared strings, so a marker text can be found in a sheet's XML and
   its ``<row>`` replaced by rows written as plain XML (``marker_row``).
   A marker that is not found raises ``SpliceError``: rows are never
   left out silently.
"""

from __future__ import annotations

from copy import copy
from io import BytesIO
from typing import TYPE_CHECKING

from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

if TYPE_CHECKING:
    import zipfile
    from collections.abc import Callable

    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.worksheet.worksheet import Worksheet


class SpliceError(RuntimeError):
    """A sheet's XML lacks the marker its bulk rows replace: openpyxl no
    longer writes strings as it did (see the module's docstring, 4)."""


def style_of(cell: Cell) -> StyleArray:
    """A copy of the cell's style ids."""
    return copy(cell._style)


def set_style(cell: Cell, look: StyleArray) -> None:
    """Give the cell a copy of the style ids ``look``."""
    cell._style = copy(look)


class SheetWriter(ExcelWriter):
    """openpyxl's workbook writer that hands each sheet's XML to
    ``store`` (openpyxl 3.1 writes each sheet to a temporary file, whose
    creation and removal cost about a millisecond a sheet)."""

    def __init__(
        self,
        wb: Workbook,
        archive: zipfile.ZipFile,
        store: Callable[[zipfile.ZipFile, Worksheet, str, bytes], None],
    ) -> None:
        super().__init__(wb, archive)
        self._store_sheet = store

    def write_worksheet(self, ws: Worksheet) -> None:
        # ExcelWriter.write_worksheet of openpyxl 3.1, normal mode.
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = WorksheetWriter(ws, out=BytesIO())
        writer.write()
        ws._rels = writer._rels
        self._store_sheet(self._archive, ws, ws.path[1:], writer.read())
        self.manifest.append(ws)


def marker_row(xml: str, marker: str) -> tuple[int, int]:
    """Where the ``<row>`` holding the text ``marker`` starts and ends in a
    sheet's XML; ``SpliceError`` if it holds no such row."""
    at = xml.find(f"<t>{marker}</t>")
    start = xml.rfind("<row ", 0, at) if at >= 0 else -1
    end = xml.find("</row>", at) if at >= 0 else -1
    if start < 0 or end < 0:
        raise SpliceError(
            f"the marker {marker!r} of a sheet's bulk rows is not an inline "
            "string in a row of the sheet's XML; this openpyxl writes cells "
            "differently from 3.1, and the rows would be lost"
        )
    return start, end + len("</row>")
