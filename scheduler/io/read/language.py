"""The workbook's ``language`` setting, read on its own.

A usage error found before the workbook is read (an output folder in use)
is still told in the workbook's language: this reads the settings sheet
alone, and gives up quietly (None) on anything unexpected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openpyxl import load_workbook

from scheduler.io.read import cells
from scheduler.io.read.schema import SETTING_INDEX, SHEET_INDEX, label_key

if TYPE_CHECKING:
    from pathlib import Path

#: A settings sheet is a short key/value list: rows read at most.
MAX_ROWS = 200


def workbook_language(path: str | Path) -> str | None:
    """``en`` or ``zh`` from the settings sheet, None when not found."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # not a workbook: the reader will say so
        return None
    try:
        for ws in wb.worksheets:
            if SHEET_INDEX.get(label_key(ws.title)) != "settings":
                continue
            for row in ws.iter_rows(max_row=MAX_ROWS, values_only=True):
                texts = [v for v in row if v is not None]
                if len(texts) < 2 or not isinstance(texts[0], str):
                    continue
                if SETTING_INDEX.get(label_key(texts[0])) == "language":
                    try:
                        return cells.parse_language(texts[1])
                    except cells.CellError:
                        return None
        return None
    except Exception:
        return None
    finally:
        wb.close()
