"""Low-level workbook access: open safely, stream non-empty rows, find
formulas Excel never calculated.

openpyxl in read-only, data-only mode streams a sheet quickly and gives the
value Excel last showed for a formula; a formula without a stored value
comes back as an empty cell, so the sheet XML is scanned for those (only in
sheets that contain formulas at all). Anything openpyxl or the zip layer
raises on a damaged file becomes one :class:`InputIssue`, never a traceback.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900

from scheduler.core.errors import InputError, InputIssue
from scheduler.core.messages import Msg

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime


def _not_xlsx(what: Msg) -> Msg:
    return Msg("file.not_xlsx", what=what)


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


@dataclass(slots=True)
class RawRow:
    """A row with at least one value: column number -> (value, format).

    The number format is kept for numeric cells only (ids padded with
    zeros, such as ``00123``, are numbers formatted ``00000``).
    """

    row: int
    cells: dict[int, tuple[object, str | None]]


@dataclass(slots=True)
class RawSheet:
    title: str
    rows: list[RawRow]
    #: (row, column) -> formula text, for formulas with no stored value
    uncalculated: dict[tuple[int, int], str] = field(default_factory=dict)


@dataclass(slots=True)
class RawWorkbook:
    sheets: list[RawSheet]
    other_sheets: list[str]  # chart sheets and the like
    epoch: datetime = CALENDAR_WINDOWS_1900


def _file_issue(path: Path, expected: Msg) -> InputError:
    return InputError([InputIssue(path.name, None, None, str(path), expected)])


def _sniff(path: Path) -> None:
    """Reject what is certainly not an .xlsx with a message HR can act on."""
    if not path.exists():
        raise _file_issue(path, Msg("file.missing"))
    if not path.is_file():
        raise _file_issue(path, Msg("file.folder"))
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith(_ZIP_MAGIC):
        return
    if head == _OLE_MAGIC:
        if path.stat().st_size < 50_000_000 and (
            "EncryptedPackage".encode("utf-16-le") in path.read_bytes()
        ):
            raise _file_issue(path, Msg("file.password"))
        raise _file_issue(path, _not_xlsx(Msg("file.what.xls")))
    if not head:
        raise _file_issue(path, _not_xlsx(Msg("file.what.empty")))
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        raise _file_issue(path, _not_xlsx(Msg("file.what.csv")))
    raise _file_issue(path, _not_xlsx(Msg("file.what.other")))


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part) of ``part``."""
    folder, name = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", name + ".rels")
    out = {}
    for rel in ElementTree.fromstring(zf.read(rels_part)).iter():
        if rel.tag.endswith("Relationship"):
            t = rel.get("Target", "")
            t = (
                t.lstrip("/")
                if t.startswith("/")
                else posixpath.join(folder, t)
            )
            out[rel.get("Id", "")] = (
                rel.get("Type", ""),
                posixpath.normpath(t),
            )
    return out


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> part name inside the zip ({} if the package is odd)."""
    try:
        book = next(
            target
            for kind, target in _rels(zf, "").values()
            if kind.endswith("/officeDocument")
        )
        targets = _rels(zf, book)
        out = {}
        for sheet in ElementTree.fromstring(zf.read(book)).iter():
            if sheet.tag.endswith("}sheet"):
                rid = next(
                    (v for k, v in sheet.attrib.items() if k.endswith("}id")),
                    "",
                )
                if rid in targets:
                    out[sheet.get("name", "")] = targets[rid][1]
    except (KeyError, StopIteration, ElementTree.ParseError):
        return {}
    return out


def _has_formula(zf: zipfile.ZipFile, part: str) -> bool:
    tail = b""
    with zf.open(part) as f:
        while chunk := f.read(1 << 20):
            if _FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _uncalculated(
    zf: zipfile.ZipFile, part: str
) -> dict[tuple[int, int], str]:
    """Formula cells without a stored value (never calculated)."""
    out: dict[tuple[int, int], str] = {}
    with zf.open(part) as f:
        for _, el in ElementTree.iterparse(f):
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "row":
                el.clear()
            if tag != "c":
                continue
            f_el = v_el = None
            for child in el:
                ctag = child.tag.rsplit("}", 1)[-1]
                if ctag == "f":
                    f_el = child
                elif ctag == "v":
                    v_el = child
            if f_el is None:
                continue
            stored = v_el is not None and (
                bool(v_el.text) or el.get("t") == "str"
            )
            ref = el.get("r")
            if not stored and ref:
                out[coordinate_to_tuple(ref)] = "=" + (f_el.text or "…")
    return out


def _rows(ws: object) -> Iterator[RawRow]:
    """Non-empty rows; cheap on sheets with many formatted empty rows."""
    ws.reset_dimensions()  # type: ignore[attr-defined]  # stored size lies
    for cells in ws.iter_rows():  # type: ignore[attr-defined]
        got: dict[int, tuple[object, str | None]] = {}
        row = 0
        for c in cells:
            v = c.value
            if v is None or (isinstance(v, str) and not v.strip()):
                continue
            row = c.row
            fmt = None
            if isinstance(v, int | float) and not isinstance(v, bool):
                fmt = c.number_format
            got[c.column] = (v, fmt)
        if got:
            yield RawRow(row, got)


def _add_uncalculated(sheet: RawSheet) -> None:
    """Make rows holding only uncalculated formulas visible too."""
    by_row = {r.row: r for r in sheet.rows}
    for r, c in sheet.uncalculated:
        if r not in by_row:
            by_row[r] = RawRow(r, {})
    sheet.rows = sorted(by_row.values(), key=lambda x: x.row)


#: Sheets whose XML is larger than this are slimmed before parsing.
SLIM_ABOVE_BYTES = 4_000_000
_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\s*>")


def slim_sheet(data: bytes) -> bytes | None:
    """The sheet XML without rows that hold no value, formula or text.

    Exporters sometimes write a million formatted empty rows; parsing them
    cell by cell takes many seconds, finding the few rows with values takes
    a fraction of one. Rows keep their ``r`` numbers, so Excel row numbers
    are unchanged; a sheet with rows lacking ``r`` is left alone (None).
    """
    m = _SHEET_DATA.search(data)
    if m is None:
        return None
    prefix = m.group(1)
    close = data.rfind(b"</" + prefix + b"sheetData>")
    if close < m.end():
        return None
    body = data[m.end() : close]
    open_tag, close_tag = b"<" + prefix + b"row", b"</" + prefix + b"row>"
    if body.count(open_tag) != body.count(open_tag + b' r="'):
        return None  # some row has no (leading) number
    value_tag = re.compile(b"<" + re.escape(prefix) + rb"(?:v|f|is)[\s>/]")
    kept: list[bytes] = []
    pos = 0
    while hit := value_tag.search(body, pos):
        start = body.rfind(open_tag, 0, hit.start())
        end = body.find(close_tag, hit.end())
        if start < pos or end < 0:
            return None  # not the structure expected: parse it all
        end += len(close_tag)
        kept.append(body[start:end])
        pos = end
    return data[: m.end()] + b"".join(kept) + data[close:]


_INLINE = re.compile(
    rb'(<(?:\w+:)?c\s[^>]*?)t="inlineStr"(\s*[^>]*)>'
    rb"<((?:\w+:)?)is><\3t(?:\s+xml:space=\"preserve\")?>([^<]+)"
    rb"</\3t></\3is></(?:\w+:)?c>"
)


def plain_strings(data: bytes) -> bytes:
    """The sheet XML with plain inline strings written as string values
    (``t="str"``), which openpyxl reads without building a rich-text object
    per cell: a third of the read time of a 100,000-staff workbook written
    by openpyxl's write-only mode (Excel itself writes shared strings).
    Rich text (runs) is left as it is."""
    return _INLINE.sub(rb'\1t="str"\2><\3v>\4</\3v></\3c>', data)


def _slimmed(path: Path) -> bytes | None:
    """A copy of the workbook with huge sheets slimmed and plain inline
    strings made string values (``plain_strings``), or None if neither
    changes anything."""
    with zipfile.ZipFile(path) as zf:
        sheets = [
            i
            for i in zf.infolist()
            if i.filename.startswith("xl/worksheets/")
            and i.filename.endswith(".xml")
        ]
        changed = {}
        for info in sheets:
            data = zf.read(info.filename)
            new = data
            if info.file_size > SLIM_ABOVE_BYTES:
                new = slim_sheet(new) or new
            if b'"inlineStr"' in new:
                new = plain_strings(new)
            if new is not data:
                changed[info.filename] = new
        if not changed:
            return None
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
            for info in zf.infolist():
                data = changed.get(info.filename)
                if data is None:
                    data = zf.read(info.filename)
                copy.writestr(info.filename, data)
        return out.getvalue()


def read_raw(path: str | Path) -> RawWorkbook:
    """Every sheet's non-empty rows; InputError if it is no readable .xlsx."""
    path = Path(path)
    _sniff(path)
    try:
        slim = _slimmed(path)
        fh = io.BytesIO(slim) if slim else path.open("rb")
        package = io.BytesIO(slim) if slim else path
        with fh, zipfile.ZipFile(package) as zf:
            wb = load_workbook(fh, read_only=True, data_only=True)
            try:
                paths = _sheet_paths(zf)
                sheets = []
                for ws in wb.worksheets:
                    sheet = RawSheet(ws.title, list(_rows(ws)))
                    part = paths.get(ws.title)
                    if part and _has_formula(zf, part):
                        sheet.uncalculated = _uncalculated(zf, part)
                        _add_uncalculated(sheet)
                    sheets.append(sheet)
                titles = {s.title for s in sheets}
                others = [n for n in wb.sheetnames if n not in titles]
                return RawWorkbook(sheets, others, wb.epoch)
            finally:
                wb.close()
    except InputError:
        raise
    except Exception as e:
        detail = f"{type(e).__name__}: {e}"[:200]
        raise _file_issue(
            path, _not_xlsx(Msg("file.what.damaged", detail=detail))
        ) from e
