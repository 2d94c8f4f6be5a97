"""A generated workbook (scheduler/dev/generate.py), written reproducibly.

Write-only mode keeps 100,000 staff fast; the file is then re-packed with
fixed dates, so that the same world gives the same bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

#: One sheet: title, headers, column widths and the rows below the header.
Sheet = tuple[str, Sequence[str], Sequence[int], Iterable[Sequence[object]]]


def write_generated(
    path: Path, sheets: Iterable[Sheet], creator: str, stamp: datetime
) -> None:
    """Every sheet in write-only mode, then the dates fixed to ``stamp``."""
    wb = Workbook(write_only=True)
    wb.properties.creator = creator
    wb.properties.created = stamp
    wb.properties.modified = stamp
    extents = {}
    for i, (title, headers, widths, body) in enumerate(sheets, 1):
        n = _write_sheet(wb, title, headers, widths, body)
        last = f"{get_column_letter(len(headers))}{n}"
        extents[f"xl/worksheets/sheet{i}.xml"] = f"A1:{last}"
    buffer = io.BytesIO()
    wb.save(buffer)
    _write_reproducible_zip(buffer.getvalue(), path, extents, stamp)


def _write_sheet(
    wb: Workbook,
    title: str,
    headers: Sequence[str],
    widths: Sequence[int],
    rows: Iterable[Sequence[object]],
) -> int:
    """Write one sheet with a bold, frozen header; return its row count."""
    ws = wb.create_sheet(title)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for h in headers:
        cell = WriteOnlyCell(ws, h)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    n = 1
    for row in rows:
        ws.append(row)
        n += 1
    return n


def _write_reproducible_zip(
    data: bytes, path: Path, extents: dict[str, str], stamp_at: datetime
) -> None:
    """Re-pack the file with fixed entry dates and a fixed modified date.

    Also records each sheet's used range (``<dimension>``), which
    write-only mode leaves out, so that readers in read-only mode know
    the sheet's size (openpyxl's ``max_row``).
    """
    stamp = stamp_at.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    content,
                )
            if info.filename in extents:
                ref = extents[info.filename].encode()
                content = content.replace(
                    b"<sheetViews",
                    b'<dimension ref="' + ref + b'" /><sheetViews',
                    1,
                )
            entry = zipfile.ZipInfo(
                info.filename, date_time=stamp_at.timetuple()[:6]
            )
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, content)
