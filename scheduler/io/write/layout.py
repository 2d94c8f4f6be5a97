"""How text prints: its width, the lines it wraps to, the rows it needs.

HR print the workbooks from Excel and from LibreOffice. A column's width
is counted in widths of the digit ``0`` of the default font (Calibri 11);
LibreOffice without Calibri draws the text in DejaVu Sans, whose letters
are wider for the same digit, and CJK text in Noto Sans CJK, whose lines
are taller. Nothing here measures a font: the estimates lean to the wide
side of both, so a column sized with them holds its text in either
program, a header wraps between words and never inside one, and a row is
tall enough for the lines of its wrapped cells.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

from openpyxl.worksheet.worksheet import Worksheet

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: Points per line of 11-point text: CJK lines (Noto Sans CJK) are
#: taller than Latin ones (DejaVu Sans 12.8, Calibri 13.5).
LINE_POINTS = 14.0
WIDE_LINE_POINTS = 16.5
#: Excel's and LibreOffice's row height for one line of 11-point text.
DEFAULT_ROW_POINTS = 15.0
#: Room a cell keeps between its text and its borders, in column units.
CELL_PADDING = 1.0
#: Points above and below the lines of a wrapped cell.
ROW_PADDING = 3.0
BOLD_FACTOR = 1.1

#: Widths of ASCII characters in widths of ``0``, by class: rounded up
#: from DejaVu Sans (LibreOffice's stand-in for Calibri, wider than it).
_THIN = frozenset(" ,.:;'|ijl/\\")
_SLIM = frozenset("frtIJ-()[]!")
_WIDE_LATIN = frozenset("mwMW@%#&+<=>^~")


_WIDE: dict[str, bool] = {}


def is_wide(ch: str) -> bool:
    """A character that takes two columns (CJK, full-width forms)."""
    wide = _WIDE.get(ch)
    if wide is None:
        wide = _WIDE[ch] = unicodedata.east_asian_width(ch) in "WF"
    return wide


def display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count double."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


def _char_width(ch: str) -> float:
    if ch in _THIN:
        return 0.5
    if ch in _SLIM:
        return 0.65
    if ch in _WIDE_LATIN:
        return 1.6
    if ch.isascii():
        return 1.25 if ch.isupper() else 1.0
    return 2.0 if is_wide(ch) else 1.25


#: Widths by character code for ASCII; other characters as met.
_ASCII = [_char_width(chr(i)) for i in range(128)]
_OTHER: dict[str, float] = {}


def text_width(text: str, bold: bool = False) -> float:
    """The printed width of ``text`` in column units (widths of ``0``),
    estimated to the wide side: a wide (CJK) character counts 2, a
    capital 1.25, ``m``, ``w``, ``M``, ``W`` and some signs 1.6, other
    letters and digits 1, narrow ones (``i``, ``l``, space, punctuation)
    0.5 or 0.65; bold text is a tenth wider."""
    if text.isascii():
        width = sum(map(_ASCII.__getitem__, text.encode()))
    else:
        width = 0.0
        for ch in text:
            w = _OTHER.get(ch)
            if w is None:
                w = _OTHER[ch] = _char_width(ch)
            width += w
    return width * BOLD_FACTOR if bold else width


_ASCII_PIECES = re.compile(r"[^\s-]+[\s-]*|[\s-]+")


def pieces(text: str) -> list[str]:
    """``text`` cut where a line may break: after spaces and hyphens,
    and around every CJK character."""
    if text.isascii():
        return _ASCII_PIECES.findall(text)
    out: list[str] = []
    for chunk in _ASCII_PIECES.findall(text):
        part = ""
        for ch in chunk:
            if is_wide(ch):
                if part:
                    out.append(part)
                out.append(ch)
                part = ""
            else:
                part += ch
        if part:
            out.append(part)
    return out


def widest_piece(text: str, bold: bool = False) -> float:
    """The width of the widest part of ``text`` that cannot be broken
    (trailing spaces do not count: a line may end in them)."""
    return max(
        (text_width(p.rstrip(), bold) for p in pieces(text)), default=0.0
    )


def fits_unbroken(text: str, width: float, bold: bool = False) -> bool:
    """Whether ``text`` wraps in a column ``width`` wide without any word
    broken inside."""
    return all(
        widest_piece(line, bold) + CELL_PADDING <= width
        for line in text.splitlines() or [""]
    )


#: Each piece of a chunk as (width, width without the trailing spaces
#: that may hang over a line's end), and whether the chunk holds a wide
#: character. Text repeats (sites, dates, names), so a chunk is measured
#: once (``_measured``), and a cell's height worked out once per (text,
#: width, bold) (``cell_points``), not once per cell.
_Measured = tuple[tuple[tuple[float, float], ...], bool]


@lru_cache(maxsize=200_000)
def _measured(chunk: str, bold: bool) -> _Measured:
    """The pieces of ``chunk`` (one break opportunity of ASCII text, see
    ``_ASCII_PIECES``), measured."""
    ascii_ = chunk.isascii()
    parts = [chunk] if ascii_ else pieces(chunk)
    sizes = []
    for piece in parts:
        w = text_width(piece, bold)
        # Spaces may hang over the line's end.
        sizes.append((w, w - 0.5 * (len(piece) - len(piece.rstrip()))))
    return tuple(sizes), not ascii_ and any(map(is_wide, chunk))


def _wrapped(text: str, width: float, bold: bool) -> tuple[int, bool]:
    """Lines ``text`` takes in a column ``width`` wide, and whether it
    holds a wide (CJK) character."""
    usable = max(1.0, width - CELL_PADDING)
    # Quick answers for short text: it fits even if every character is
    # as wide as a character can be (CJK: 2, ASCII: 1.6).
    most = (1.6 if text.isascii() else 2.0) * len(text)
    if "\n" not in text and most * (BOLD_FACTOR if bold else 1) <= usable:
        return 1, not text.isascii() and any(map(is_wide, text))
    total = 0
    wide = False
    # A line breaks only between chunks (or inside a chunk's CJK
    # characters): each chunk's pieces are measured once, ever.
    for line in text.splitlines() or [""]:
        lines, used = 1, 0.0
        for chunk in _ASCII_PIECES.findall(line):
            sizes, chunk_wide = _measured(chunk, bold)
            wide = wide or chunk_wide
            for w, end in sizes:
                if used and used + end > usable:
                    lines, used = lines + 1, 0.0
                if end > usable:  # a word longer than the line: cut
                    extra = math.ceil(end / usable) - 1
                    lines += extra
                    used = end - extra * usable
                    continue
                used += w
        total += lines
    return total, wide


def wrapped_lines(text: str, width: float, bold: bool = False) -> int:
    """Lines ``text`` takes when wrapped in a column ``width`` wide:
    between words where it can, inside a word too long for a line."""
    return _wrapped(text, width, bold)[0]


def row_points(lines: int, wide: bool) -> float:
    """The row height that shows ``lines`` lines of 11-point text."""
    if lines <= 1 and not wide:
        return DEFAULT_ROW_POINTS
    # A line of CJK text does not fit a default row between borders.
    per = WIDE_LINE_POINTS if wide else LINE_POINTS
    return max(DEFAULT_ROW_POINTS, lines * per + ROW_PADDING)


@lru_cache(maxsize=100_000)
def cell_points(text: str, width: float, bold: bool = False) -> float:
    """The row height a wrapped cell of ``text`` needs in a column
    ``width`` wide."""
    return row_points(*_wrapped(text, width, bold))


def header_widths(
    labels: Sequence[str], widths: Sequence[float]
) -> list[float]:
    """``widths``, each widened where needed so that no word of its
    (bold) header label has to be broken."""
    return [
        max(w, math.ceil(widest_piece(label, bold=True) + CELL_PADDING))
        for label, w in zip(labels, widths, strict=True)
    ]


def header_points(labels: Sequence[str], widths: Sequence[float]) -> float:
    """The height of a header row whose labels wrap between words."""
    return max(
        (
            cell_points(label, w, bold=True)
            for label, w in zip(labels, widths, strict=True)
        ),
        default=DEFAULT_ROW_POINTS,
    )


def content_width(
    values: Iterable[object], least: float, most: float
) -> float:
    """A column width that holds every one of ``values`` on one line,
    at least ``least`` and at most ``most`` (longer text then wraps or
    is cut). Values are measured once each."""
    seen: set[str] = set()
    widest = 0.0
    for value in values:
        if value is None:
            continue
        text = value if isinstance(value, str) else str(value)
        if text in seen:
            continue
        seen.add(text)
        widest = max(widest, text_width(text))
    return float(min(most, max(least, math.ceil(widest + CELL_PADDING))))


def print_setup(
    ws: Worksheet,
    title_row: int | None,
    *,
    landscape: bool = False,
    freeze: bool = True,
) -> None:
    """A4, one page wide (as many long as needed), the header row
    repeated on every page, page numbers in the footer."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = "&P / &N"
    if title_row is not None:
        ws.print_title_rows = f"{title_row}:{title_row}"
        if freeze:
            ws.freeze_panes = f"A{title_row + 1}"
