"""Helpers shared by the Excel writers: safe text, titles, fast rows.

Input text (names, departments, sites, ...) comes from HR and from other
systems; a value such as ``=HYPERLINK(...)`` must never become a formula
in a workbook we hand back. Every text cell therefore goes through
:func:`safe_text` and is stored as a string cell (``t="inlineStr"``), with
Excel's quote-prefix set when the text starts like a formula, so that
editing the cell in Excel does not turn it into one either.

Big tables (100 000 appointments) are far too slow through openpyxl's
per-cell objects (about 25 s for 100 000 rows of 14 cells even in
write-only mode), so :class:`BulkWorkbook` lets openpyxl write everything
else (styles, print setup, merged titles, filters, charts) and splices the
table rows in as plain XML when saving, about ten times faster. Sheets are
serialised in memory, the rows spliced in on their way into the zip file,
and a big table is compressed by a second thread while it is made.
"""

from __future__ import annotations

import gc
import os
import queue
import re
import threading
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter

from scheduler.io.write.openpyxl_internals import (
    SheetWriter,
    SpliceError,
    marker_row,
    set_style,
    style_of,
)

if TYPE_CHECKING:
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.worksheet.worksheet import Worksheet

#: First characters that make Excel (or a CSV import) read a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Excel refuses longer cell text.
MAX_CELL_CHARS = 32767

TEXT_FORMAT = "@"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"

THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT_NAME = "Calibri"  # Excel's default; unnamed fonts print serif in LO
HEADER_FONT = Font(name=FONT_NAME, bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
MIDDLE = Alignment(vertical="center", wrap_text=True)

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MAX_SHEET_TITLE = 31


def font(**kw: Any) -> Font:
    """A font of the workbook's family (bold, size, colour ...)."""
    return Font(name=FONT_NAME, **kw)


# Text -----------------------------------------------------------------


def safe_text(value: object) -> str:
    """The text Excel will store for ``value``: never None, no characters
    XML forbids, no longer than a cell holds. Whether it *looks* like a
    formula is :func:`is_formula_like`; the cell writers here keep it a
    string either way."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text[:MAX_CELL_CHARS]


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def set_text(cell: Cell, value: object) -> Cell:
    """Store ``value`` in an openpyxl cell as a string, never a formula."""
    text = safe_text(value)
    cell.value = text
    cell.data_type = "s"  # openpyxl made '=...' a formula, '#N/A' an error
    if is_formula_like(text):
        cell.quotePrefix = True
    return cell


def header_footer_text(text: str, limit: int = 120) -> str:
    """Literal text for a page header: ``&`` (a code there) escaped, and
    short, since Excel refuses headers over 255 characters."""
    return safe_text(text)[:limit].replace("&", "&&")


def sheet_ref(title: str, cell: str = "A1") -> str:
    """``'It''s'!A1``: a reference to a cell of the sheet ``title``."""
    return "'" + title.replace("'", "''") + "'!" + cell


def mask_phone(phone: str | None) -> str:
    """``13812345678`` -> ``138****5678``: keep 3 first and 4 last digits.

    A mainland ``+86``/``86`` prefix is dropped first; fewer than 8 digits
    are masked entirely (nothing could be kept safely); no digits at all
    give an empty cell.
    """
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not digits:
        return ""
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def excel_date(day: date) -> date:
    """A ``datetime`` would get a time format; write the date alone."""
    return date(day.year, day.month, day.day)


# Sheets ---------------------------------------------------------------


def sheet_title(wanted: str, taken: set[str]) -> str:
    """A valid, unique sheet title close to ``wanted``.

    Excel allows 31 characters, none of ``[]:*?/\\``, no apostrophe at
    either end, and compares titles ignoring case. ``taken`` holds the
    case-folded titles already used; the result is added to it.
    """
    base = _SHEET_FORBIDDEN.sub("_", safe_text(wanted)).strip().strip("'")
    base = base or "sheet"
    title, n = base[:MAX_SHEET_TITLE], 1
    while title.casefold() in taken or title.casefold() == "history":
        n += 1
        suffix = f"~{n}"
        title = base[: MAX_SHEET_TITLE - len(suffix)].rstrip("'") + suffix
    taken.add(title.casefold())
    return title


def set_widths(ws: Worksheet, widths: Sequence[float]) -> None:
    """Column widths in characters."""
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width


#: Per workbook, the style arrays (style ids) of :func:`styled` by name.
_LOOKS: WeakKeyDictionary[Workbook, dict[str, StyleArray]] = (
    WeakKeyDictionary()
)


def styled(cell: Cell, name: str, **style: Any) -> Cell:
    """Give a new cell the style called ``name`` in its workbook.

    The first time, the attributes (font=, border= ...) are set one by
    one as usual; after that the cell gets a copy of the resulting style
    ids: setting them again would make openpyxl hash every style object,
    which costs more than the rest of a small sheet. ``name`` must always
    stand for the same attributes; set the value afterwards.
    """
    looks = _LOOKS.setdefault(cell.parent.parent, {})
    look = looks.get(name)
    if look is None:
        for attr, value in style.items():
            setattr(cell, attr, value)
        looks[name] = style_of(cell)
    else:
        set_style(cell, look)
    return cell


def write_header(ws: Worksheet, row: int, labels: Sequence[str]) -> None:
    """A bold, shaded, boxed header row."""
    for c, label in enumerate(labels, 1):
        cell = styled(
            ws.cell(row, c),
            "header",
            font=HEADER_FONT,
            fill=HEADER_FILL,
            border=BOX,
            alignment=CENTER,
        )
        set_text(cell, label)


def protect_sheets(wb: Workbook, password: str | None = None) -> None:
    """Sheet protection on every sheet, against accidental edits.

    Cells stay locked (openpyxl's default style), so typing over a name or
    a slot is refused; filtering and resizing rows and columns stay
    allowed so that HR can still find and read rows. ``password`` (stored
    hashed, as Excel does) is optional: without one, Excel's "Unprotect
    Sheet" lifts the protection.
    """
    for ws in wb.worksheets:
        lock = ws.protection
        lock.sheet = True
        lock.objects = True  # charts and pictures stay where they are
        lock.autoFilter = False  # False: the action is allowed
        lock.formatColumns = False
        lock.formatRows = False
        if password:
            lock.password = password


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cycle collector off while a workbook is built and saved.

    A writer makes millions of small objects (cells, styles, XML strings)
    and few reference cycles; each collection that they trigger also goes
    through everything the run holds (the instance, the needs, the
    schedule), which took a quarter of the writing time. Also usable as a
    decorator; the collector is on again afterwards if it was before.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def atomic_save(wb: Workbook, path: str | Path) -> None:
    """Save next to ``path`` and rename: a failed or interrupted write
    leaves no half-written workbook under the real name."""
    BulkWorkbook(wb).save(path)


# Fast rows ------------------------------------------------------------


class XfPair(NamedTuple):
    """Cell-format ids (``s=``) of one style, plain and quote-prefixed."""

    plain: int
    quoted: int


#: A row for :meth:`BulkWorkbook.add_rows`: height in points (None: the
#: default) and the cells as (value, style) from column A on; a value of
#: None or "" leaves the cell empty.
BulkRow = tuple[float | None, Sequence[tuple[object, XfPair]]]

_EPOCH = date(1899, 12, 30).toordinal()
_XML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
)
_CHUNK = 2000  # rows per write
#: Values whose cell XML is kept for reuse, keyed by (value, style): none
#: of these types compares equal to another (unlike 1, 1.0 and True).
_REUSED = frozenset({str, int, date, type(None)})
_REUSE_LIMIT = 100_000  # cells kept at most (names, ids repeat little)


class BulkWorkbook:
    """An openpyxl workbook whose big tables are spliced in on save."""

    def __init__(self, wb: Workbook | None = None) -> None:
        if wb is None:
            wb = Workbook()
            wb.remove(wb.active)
        self.wb = wb
        #: Per sheet with bulk rows: its marker, first row, rows, count
        #: and width.
        self._rows: dict[
            Worksheet, tuple[str, int, Iterable[BulkRow], int, int]
        ] = {}
        self._styles: dict[tuple, XfPair] = {}

    def style(self, ws: Worksheet, **style: Any) -> XfPair:
        """Register a cell style (font=, border=, number_format= ...);
        the ids hold for every sheet of the workbook."""
        key = tuple(sorted(style.items(), key=lambda kv: kv[0]))
        if key in self._styles:
            return self._styles[key]
        cell = Cell(ws)
        for name, value in style.items():
            setattr(cell, name, value)
        plain = cell.style_id
        cell.quotePrefix = True
        pair = self._styles[key] = XfPair(plain, cell.style_id)
        return pair

    def add_rows(
        self,
        ws: Worksheet,
        first_row: int,
        rows: Iterable[BulkRow],
        *,
        count: int,
        width: int,
    ) -> None:
        """``count`` rows of at most ``width`` cells from ``first_row``
        down, consumed when saving.

        Nothing else may be written to ``ws`` from ``first_row`` on; the
        caller sets filters and print areas, knowing the row count. One
        table of bulk rows a sheet.
        """
        if ws in self._rows:
            raise ValueError(f"sheet {ws.title!r} has bulk rows already")
        # Found in the sheet's XML on save and replaced by the rows.
        marker = f"bulk-rows-{uuid.uuid4().hex}"
        ws.cell(first_row, 1, marker)
        self._rows[ws] = (marker, first_row, rows, count, width)

    def save(self, path: str | Path) -> None:
        """openpyxl's save, but each sheet is serialised in memory (not
        through a temporary file of its own) and the bulk rows are
        spliced into it on the way into the zip file. ``SpliceError`` if
        some sheet's rows could not be spliced in."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with zipfile.ZipFile(
                tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True
            ) as archive:
                # As openpyxl's save_workbook does.
                self.wb.properties.modified = datetime.now(
                    tz=timezone.utc
                ).replace(tzinfo=None)
                self._spliced: set[Worksheet] = set()
                SheetWriter(self.wb, archive, self._store).save()
            lost = [ws.title for ws in self._rows if ws not in self._spliced]
            if lost:
                raise SpliceError(
                    f"the bulk rows of {lost} were not written: their "
                    "sheets are no longer in the workbook"
                )
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def _store(
        self,
        archive: zipfile.ZipFile,
        ws: Worksheet,
        name: str,
        data: bytes,
    ) -> None:
        """One sheet's XML into the archive, bulk rows spliced in."""
        if ws not in self._rows:
            archive.writestr(name, data)
            return
        chunks = self._sheet_xml(data.decode(), ws)
        if self._rows[ws][3] >= _CHUNK:
            _deflate_behind(archive, name, chunks)
        else:
            with archive.open(name, "w", force_zip64=True) as out:
                for chunk in chunks:
                    out.write(chunk.encode())
        self._spliced.add(ws)

    def _sheet_xml(self, xml: str, ws: Worksheet) -> Iterator[str]:
        """The sheet with the marker row replaced by the bulk rows."""
        marker, first, rows, count, width = self._rows[ws]
        # Found before the first chunk: a sheet without it raises here.
        start, end = marker_row(xml, marker)
        yield _fix_dimension(xml[:start], first - 1 + count, width)
        batch: list[str] = []
        for row in _rows_xml(rows, first):
            batch.append(row)
            if len(batch) >= _CHUNK:
                yield "".join(batch)
                batch.clear()
        yield "".join(batch)
        yield xml[end:]


def _deflate_behind(
    archive: zipfile.ZipFile, name: str, chunks: Iterable[str]
) -> None:
    """Store the text ``chunks`` as the part ``name``, compressed by a
    second thread while the next chunks are made: zlib lets go of the
    GIL, so on two cores the compression (a quarter of the time of a big
    table) is mostly off the writer's path."""
    todo: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
    failed: list[BaseException] = []

    def deflate() -> None:
        try:
            with archive.open(name, "w", force_zip64=True) as out:
                while (chunk := todo.get()) is not None:
                    out.write(chunk)
        except BaseException as error:
            failed.append(error)
            while todo.get() is not None:  # never leave the maker blocked
                pass

    worker = threading.Thread(target=deflate, name="deflate", daemon=True)
    worker.start()
    try:
        for chunk in chunks:
            if failed:
                break
            todo.put(chunk.encode())
    finally:
        todo.put(None)
        worker.join()
    if failed:
        raise failed[0]


def _fix_dimension(head: str, last_row: int, width: int) -> str:
    """Make the (advisory) used-range element cover the spliced rows."""
    found = re.search(
        r'<dimension ref="(?:[A-Z]+\d+:)?([A-Z]+)\d+"\s*/>', head
    )
    if found is None:
        return head
    cols = max(width, column_index_from_string(found.group(1)))
    ref = f"A1:{get_column_letter(cols)}{max(1, last_row)}"
    return (
        head[: found.start()]
        + f'<dimension ref="{ref}"/>'
        + head[found.end() :]
    )


def _cell_tail(value: object, xf: XfPair) -> str:
    """A cell's XML after its reference (``<c r="A1``): ``" s=...</c>``,
    or "" for an empty cell without a style (not written at all)."""
    if value is None or value == "":
        # An empty cell is written only to carry a style (a box to sign).
        return f'" s="{xf.plain}"/>' if xf.plain else ""
    if isinstance(value, str):
        text = safe_text(value)
        sid = xf.quoted if is_formula_like(text) else xf.plain
        space = ' xml:space="preserve"' if text != text.strip() else ""
        escaped = text.translate(_XML_ESCAPES)
        return (
            f'" s="{sid}" t="inlineStr"><is><t{space}>{escaped}</t></is></c>'
        )
    if isinstance(value, bool):
        return f'" s="{xf.plain}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        serial = (
            value.toordinal()
            - _EPOCH
            + (value.hour * 3600 + value.minute * 60 + value.second) / 86400
        )
        return f'" s="{xf.plain}"><v>{serial}</v></c>'
    if isinstance(value, date):
        serial = value.toordinal() - _EPOCH
        return f'" s="{xf.plain}"><v>{serial}</v></c>'
    if isinstance(value, int | float):
        return f'" s="{xf.plain}"><v>{value!r}</v></c>'
    return _cell_tail(str(value), xf)


def _rows_xml(rows: Iterable[BulkRow], first: int) -> Iterator[str]:
    heads: list[str] = []  # '<c r="A', '<c r="B', ...
    # A cell's XML after its reference, by (value, style): the cell tuple.
    tails: dict[tuple[object, XfPair], str] = {}
    known, reused = tails.get, _REUSED
    for r, (height, cells) in enumerate(rows, first):
        while len(heads) < len(cells):
            heads.append(f'<c r="{get_column_letter(len(heads) + 1)}')
        row = str(r)
        inner = []
        for head, cell in zip(heads, cells, strict=False):
            if type(cell[0]) in reused:
                tail = known(cell)
                if tail is None:
                    if len(tails) >= _REUSE_LIMIT:
                        tails.clear()
                    tail = tails[tuple(cell)] = _cell_tail(*cell)
            else:
                tail = _cell_tail(*cell)
            if tail:
                inner.append(head + row + tail)
        if height is None:
            yield f'<row r="{row}">{"".join(inner)}</row>'
        else:
            yield (
                f'<row r="{row}" ht="{height}" customHeight="1">'
                f"{''.join(inner)}</row>"
            )
