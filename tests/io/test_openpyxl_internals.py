"""The openpyxl internals the writers rely on (openpyxl_internals.py).

Each test fails when an openpyxl release changes one of them, before a
user meets a workbook without rows or an internal error after the solve.
"""

from __future__ import annotations

import inspect
import io
import textwrap
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from scheduler.io.write.excel import BOX, BulkWorkbook
from scheduler.io.write.openpyxl_internals import (
    SpliceError,
    marker_row,
    set_style,
    style_of,
)

#: ExcelWriter.write_worksheet of openpyxl 3.1, which SheetWriter copies.
WRITE_WORKSHEET_31 = """
def write_worksheet(self, ws):
    ws._drawing = SpreadsheetDrawing()
    ws._drawing.charts = ws._charts
    ws._drawing.images = ws._images
    if self.workbook.write_only:
        if not ws.closed:
            ws.close()
        writer = ws._writer
    else:
        writer = WorksheetWriter(ws)
        writer.write()

    ws._rels = writer._rels
    self._archive.write(writer.out, ws.path[1:])
    self.manifest.append(ws)
    writer.cleanup()
"""


def _code(source: str) -> list[str]:
    return [line for line in source.strip().splitlines() if line.strip()]


def test_write_worksheet_is_the_one_copied():
    """SheetWriter.write_worksheet is a copy: a changed original must be
    copied again (and the copy checked), not silently diverge."""
    now = textwrap.dedent(inspect.getsource(ExcelWriter.write_worksheet))
    assert _code(now) == _code(WRITE_WORKSHEET_31)


def test_private_names_and_signatures():
    assert list(inspect.signature(WorksheetWriter).parameters) == [
        "ws",
        "out",
    ]
    assert list(inspect.signature(ExcelWriter).parameters) == [
        "workbook",
        "archive",
    ]
    wb = Workbook()
    ws = wb.active
    for name in ("_drawing", "_charts", "_images", "_rels"):
        assert hasattr(ws, name), name
    with zipfile.ZipFile(io.BytesIO(), "w") as archive:
        writer = ExcelWriter(wb, archive)
        assert writer._archive is archive
        assert writer.manifest is not None


def test_style_ids_are_copied_not_shared():
    ws = Workbook().active
    a, b = ws["A1"], ws["B1"]
    a.border = BOX
    look = style_of(a)
    assert isinstance(look, StyleArray)
    set_style(b, look)
    assert b.border == BOX and b.style_id == a.style_id
    b.quotePrefix = True  # changes b's ids only
    assert not a.quotePrefix and style_of(a) == look


def test_strings_are_written_inline(tmp_path):
    """The row splice finds its marker as an inline string in the sheet's
    XML; openpyxl writing strings to the shared strings would break it."""
    wb = Workbook()
    wb.active["B3"] = "bulk-rows-marker"
    path = tmp_path / "s.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    start, end = marker_row(xml, "bulk-rows-marker")
    assert xml[start:end].startswith('<row r="3"')
    assert xml[start:end].endswith("</row>")
    assert 't="inlineStr"' in xml[start:end]


def test_a_missing_marker_raises():
    with pytest.raises(SpliceError):
        marker_row('<sheetData><row r="1"><c r="A1"/></row>', "bulk-rows-x")


def test_bulk_rows_round_trip(tmp_path):
    book = BulkWorkbook()
    ws = book.wb.create_sheet("t")
    ws["A1"] = "head"
    xf = book.style(ws)
    rows = [(None, [("a", xf), (1, xf)]), (None, [("b", xf), (2, xf)])]
    book.add_rows(ws, 2, iter(rows), count=2, width=2)
    path = tmp_path / "b.xlsx"
    book.save(path)
    got = list(load_workbook(path)["t"].iter_rows(values_only=True))
    assert got == [("head", None), ("a", 1), ("b", 2)]


def test_rows_whose_marker_is_gone_fail_the_save(tmp_path):
    """Rows are never left out silently: a sheet whose marker cell was
    overwritten fails the save, and nothing is written."""
    book = BulkWorkbook()
    ws = book.wb.create_sheet("t")
    xf = book.style(ws)
    book.add_rows(ws, 2, iter([(None, [("a", xf)])]), count=1, width=1)
    ws["A2"] = "overwritten"
    with pytest.raises(SpliceError):
        book.save(tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_rows_of_a_removed_sheet_fail_the_save(tmp_path):
    book = BulkWorkbook()
    ws = book.wb.create_sheet("t")
    book.wb.create_sheet("u")
    xf = book.style(ws)
    book.add_rows(ws, 1, iter([(None, [("a", xf)])]), count=1, width=1)
    book.wb.remove(ws)
    with pytest.raises(SpliceError):
        book.save(tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_one_table_of_bulk_rows_a_sheet():
    book = BulkWorkbook()
    ws = book.wb.create_sheet("t")
    xf = book.style(ws)
    book.add_rows(ws, 1, iter([(None, [("a", xf)])]), count=1, width=1)
    with pytest.raises(ValueError, match="bulk rows already"):
        book.add_rows(ws, 5, iter([(None, [("b", xf)])]), count=1, width=1)
