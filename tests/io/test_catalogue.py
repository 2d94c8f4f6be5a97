"""The catalogue of broken and awkward input workbooks (issue 4).

Every broken case is one row of :data:`BROKEN`: an id, a function that
breaks the minimal valid workbook of :mod:`tests.io.workbook_factory` and
writes it, and the exact sheet, Excel row and column the message must
name. Each row asserts that :func:`read_instance` raises an InputError with
an issue at exactly that place and that the printed message says so; the
rows marked ``CLI`` also go through ``scheduler run`` and must exit 2 and
leave no run folder. Problems with the file itself (not a workbook, a
``.xls``, a password) have no sheet: they are reported under the file's
name, with no row and no column.

:data:`AWKWARD` lists what looks odd but is valid and must be read, and the
fuzz tests at the end put random values into every column of every sheet
and run the whole command: a located error or a valid run, never a
traceback.
"""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from scheduler.cli import main
from scheduler.core.errors import InputError
from scheduler.io.read.read import read_instance
from scheduler.io.read.schema import HEADERS, HEADERS_ZH, SHEET_NAMES_ZH
from scheduler.io.read.workbook import _sheet_paths
from tests.io.workbook_factory import minimal, set_cell, write

Breaker = Callable[[Path], Path]

#: The header of ``employees`` in the minimal workbook, column by column.
EMPLOYEE_COLUMNS = "ABCDEFGHIJ"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the header of .xls / encrypted
#: A hang guard, not a benchmark: a read never takes this long.
READ_SECONDS = 10.0


# How to break a workbook -----------------------------------------------


def cells(*changes: tuple[str, int, str, object]) -> Breaker:
    """Set cells of the minimal workbook: (sheet, Excel row, column, value)."""

    def make(folder: Path) -> Path:
        s = minimal()
        for sheet, row, column, value in changes:
            set_cell(s, sheet, row, column, value)
        return write(folder, s)

    return make


def sheets(change: Callable[[dict], None]) -> Breaker:
    """Change the minimal workbook as a whole (add rows, drop sheets …)."""

    def make(folder: Path) -> Path:
        s = minimal()
        change(s)
        return write(folder, s)

    return make


def patched(sheet: str, xml_by_cell: dict[str, str]) -> Breaker:
    """Write the minimal workbook, then replace cells in the sheet's XML
    (for what openpyxl cannot write: cached formula results, errors)."""

    def make(folder: Path) -> Path:
        good = write(folder, minimal())
        out = folder / "patched.xlsx"
        with zipfile.ZipFile(good) as zin, zipfile.ZipFile(out, "w") as zout:
            part = _sheet_paths(zin)[sheet]
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == part:
                    for coord, xml in xml_by_cell.items():
                        cell = rf'<c r="{coord}"[^>]*?(?:/>|>.*?</c>)'
                        data, n = re.subn(cell.encode(), xml.encode(), data)
                        assert n == 1, coord
                zout.writestr(info, data)
        return out

    return make


def file_bytes(name: str, data: Callable[[Path], bytes]) -> Breaker:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data(folder))
        return path

    return make


def _truncated(folder: Path) -> bytes:
    good = write(folder / "good.xlsx", minimal()).read_bytes()
    return good[: len(good) // 2]


def _drop_column(sheet: str, column: str) -> Callable[[dict], None]:
    def change(s: dict) -> None:
        i = s[sheet][0].index(column)
        for row in s[sheet]:
            del row[i]

    return change


def _append(sheet: str, *rows: list) -> Callable[[dict], None]:
    def change(s: dict) -> None:
        s[sheet].extend([list(r) for r in rows])

    return change


def _add_column(sheet: str, header: str, values: dict[int, object]):
    """A new column; ``values`` maps Excel rows to values."""

    def change(s: dict) -> None:
        for r, row in enumerate(s[sheet], 1):
            row.append(header if r == 1 else values.get(r))

    return change


def merged_header(folder: Path) -> Path:
    """``name`` merged over B1:C1 swallows the ``workplace_id`` header."""
    path = write(folder, minimal())
    wb = load_workbook(path)
    wb["employees"].merge_cells("B1:C1")
    wb.save(path)
    return path


def title_row_then_bad_cell(folder: Path) -> Path:
    """A title and a blank row above the header: rows as Excel shows."""
    s = minimal()
    set_cell(s, "employees", 3, "workplace_id", "WP9")
    s["employees"][:0] = [["Staff list, June 2021"], [None]]
    return write(folder, s)


def uncalculated_formula(folder: Path) -> Path:
    s = minimal()
    set_cell(s, "employees", 2, "department", '=UPPER("sales")')
    return write(folder, s)  # openpyxl stores no value for a formula


#: Excel row of the bad employee below a million formatted empty rows.
FAR_ROW = 1_000_004


def million_empty_rows(folder: Path) -> Path:
    """1,000,000 formatted, empty rows under the staff, then one bad row.

    Built as XML: openpyxl would take minutes to write them.
    """
    path = write(
        folder, minimal(), formats={("employees", "A2"): "@"}
    )  # style 1 exists
    empty = "".join(
        f'<row r="{r}" s="1" customFormat="1"><c r="A{r}" s="1"/></row>'
        for r in range(4, FAR_ROW)
    )
    bad = (
        f'<row r="{FAR_ROW}">'
        + "".join(
            f'<c r="{c}{FAR_ROW}" t="inlineStr"><is><t>{v}</t></is></c>'
            for c, v in zip("ABCD", ("E9", "Zed", "WP9", "Ops"), strict=True)
        )
        + "</row>"
    )
    out = folder / "million.xlsx"
    with (
        zipfile.ZipFile(path) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        part = _sheet_paths(zin)["employees"]
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                text = data.decode()
                at = text.index("</sheetData>")
                data = (text[:at] + empty + bad + text[at:]).encode()
                assert len(data) > 40_000_000
            zout.writestr(info.filename, data)
    return out


# The catalogue ---------------------------------------------------------

NONE = None  # no row / no column: a problem of a whole sheet or file
CLI = "cli"  # also run through `scheduler run`: exit 2, nothing written

#: (id, breaker, sheet, Excel row, column[, CLI])
BROKEN: list[tuple] = [
    # sheets and columns
    (
        "missing sheet employees",
        sheets(lambda s: s.pop("employees")),
        "employees",
        NONE,
        NONE,
        CLI,
    ),
    (
        "missing sheet sites",
        sheets(lambda s: s.pop("sites")),
        "sites",
        NONE,
        NONE,
    ),
    (
        "missing required column department",
        sheets(_drop_column("employees", "department")),
        "employees",
        NONE,
        "department",
        CLI,
    ),
    (
        "missing required column date",
        sheets(_drop_column("sessions", "date")),
        "sessions",
        NONE,
        "date",
    ),
    (
        "missing required column minutes",
        sheets(_drop_column("travel", "minutes")),
        "travel",
        NONE,
        "minutes",
    ),
    # duplicate ids
    (
        "duplicate employee id",
        cells(("employees", 3, "employee_id", "E1")),
        "employees",
        3,
        "employee_id",
    ),
    (
        "duplicate employee id differing in case",
        cells(("employees", 3, "employee_id", "e1")),
        "employees",
        3,
        "employee_id",
    ),
    (
        "duplicate workplace id",
        sheets(_append("workplaces", ["wp1", "Other"])),
        "workplaces",
        3,
        "workplace_id",
    ),
    (
        "duplicate full-width workplace id",
        sheets(_append("workplaces", ["ＷＰ１", "Other"])),
        "workplaces",
        3,
        "workplace_id",
    ),
    (
        "duplicate session id",
        sheets(lambda s: s["sessions"].append(list(s["sessions"][1]))),
        "sessions",
        4,
        "session_id",
    ),
    (
        "duplicate product",
        sheets(lambda s: s["products"].append(list(s["products"][1]))),
        "products",
        3,
        "product",
    ),
    (
        "duplicate pattern id",
        sheets(
            lambda s: s["shift_patterns"].append(list(s["shift_patterns"][1]))
        ),
        "shift_patterns",
        3,
        "pattern_id",
    ),
    # references to unknown things
    (
        "unknown workplace of employee",
        cells(("employees", 2, "workplace_id", "WP9")),
        "employees",
        2,
        "workplace_id",
        CLI,
    ),
    (
        "unknown workplace of site",
        cells(("sites", 2, "workplace_id", "WPX")),
        "sites",
        2,
        "workplace_id",
    ),
    (
        "unknown workplace in travel",
        cells(("travel", 2, "workplace_id", "W")),
        "travel",
        2,
        "workplace_id",
    ),
    (
        "unknown site of session",
        cells(("sessions", 3, "site_id", "S9")),
        "sessions",
        3,
        "site_id",
    ),
    (
        "unknown site in travel",
        cells(("travel", 2, "site_id", "C9")),
        "travel",
        2,
        "site_id",
    ),
    (
        "unknown product of session",
        cells(("sessions", 2, "product", "VaxZ")),
        "sessions",
        2,
        "product",
    ),
    (
        "unknown last product",
        cells(("employees", 3, "last_product", "VaxZ")),
        "employees",
        3,
        "last_product",
    ),
    (
        "unknown shift pattern",
        cells(("employees", 3, "shift_pattern", "day")),
        "employees",
        3,
        "shift_pattern",
    ),
    (
        "unknown session of booking",
        cells(("bookings", 2, "session_id", "V7")),
        "bookings",
        2,
        "session_id",
    ),
    (
        "unknown employee of booking",
        cells(("bookings", 2, "employee_id", "E7")),
        "bookings",
        2,
        "employee_id",
    ),
    (
        "unknown employee of absence",
        cells(("absences", 2, "employee_id", "E7")),
        "absences",
        2,
        "employee_id",
    ),
    (
        "unknown workplace in session workplaces",
        sheets(_add_column("sessions", "workplaces", {2: "WP1, WP404"})),
        "sessions",
        2,
        "workplaces",
    ),
    # dates and times
    (
        "impossible date 2021-02-30",
        cells(("sessions", 2, "date", "2021-02-30")),
        "sessions",
        2,
        "date",
        CLI,
    ),
    (
        "impossible date 2021-06-31",
        cells(("absences", 2, "end_date", "2021-06-31")),
        "absences",
        2,
        "end_date",
    ),
    (
        "unparseable date",
        cells(("absences", 2, "start_date", "soon")),
        "absences",
        2,
        "start_date",
    ),
    (
        "unparseable horizon date",
        sheets(_append("settings", ["horizon_start", "2021-13-01"])),
        "settings",
        3,
        "value",
    ),
    (
        "time 25:00",
        cells(("sessions", 2, "start", "25:00")),
        "sessions",
        2,
        "start",
    ),
    (
        "time 12:60",
        cells(("duty", 2, "end", "12:60")),
        "duty",
        2,
        "end",
    ),
    (
        "unparseable time",
        cells(("shift_patterns", 2, "start", "noon")),
        "shift_patterns",
        2,
        "start",
    ),
    (
        "24:00 as a start",
        cells(("duty", 2, "start", "24:00")),
        "duty",
        2,
        "start",
    ),
    (
        "session end before start",
        cells(("sessions", 2, "end", "08:00")),
        "sessions",
        2,
        "end",
    ),
    (
        "empty session: end equal to start",
        cells(("sessions", 3, "end", "14:00")),
        "sessions",
        3,
        "end",
    ),
    (
        "empty session: no whole slot",
        cells(("sessions", 3, "end", "14:20")),
        "sessions",
        3,
        "slot_minutes",
    ),
    (
        "window end before start",
        cells(("test_requirements", 3, "window_end", "2021-06-01")),
        "test_requirements",
        3,
        "window_end",
    ),
    (
        "horizon end before start",
        sheets(
            _append(
                "settings",
                ["horizon_start", "2021-06-10"],
                ["horizon_end", "2021-06-01"],
            )
        ),
        "settings",
        4,
        "value",
    ),
    # capacities and slots
    (
        "zero capacity",
        cells(("sessions", 2, "capacity_per_slot", 0)),
        "sessions",
        2,
        "capacity_per_slot",
    ),
    (
        "negative capacity",
        cells(("sessions", 2, "capacity_per_slot", -3)),
        "sessions",
        2,
        "capacity_per_slot",
    ),
    (
        "fractional capacity",
        cells(("sessions", 2, "capacity_per_slot", 2.5)),
        "sessions",
        2,
        "capacity_per_slot",
    ),
    (
        "zero dose supply",
        sheets(_add_column("sessions", "doses_available", {2: 0})),
        "sessions",
        2,
        "doses_available",
    ),
    (
        "negative observation seats",
        sheets(_add_column("sessions", "observation_seats", {2: -1})),
        "sessions",
        2,
        "observation_seats",
    ),
    (
        "zero slot minutes",
        cells(("sessions", 2, "slot_minutes", 0)),
        "sessions",
        2,
        "slot_minutes",
    ),
    (
        "slot longer than the session",
        cells(("sessions", 2, "slot_minutes", 240)),
        "sessions",
        2,
        "slot_minutes",
    ),
    # products and history
    (
        "min_interval_days > max_interval_days",
        cells(("products", 2, "min_interval_days", 60)),
        "products",
        2,
        "max_interval_days",
    ),
    (
        "zero doses in the series",
        cells(("products", 2, "doses", 0)),
        "products",
        2,
        "doses",
    ),
    (
        "negative doses_received",
        cells(("employees", 2, "doses_received", -1)),
        "employees",
        2,
        "doses_received",
    ),
    (
        "fractional doses_received",
        cells(("employees", 2, "doses_received", 1.5)),
        "employees",
        2,
        "doses_received",
    ),
    (
        "doses_received in words",
        cells(("employees", 2, "doses_received", "two")),
        "employees",
        2,
        "doses_received",
    ),
    (
        "dose history without date",
        cells(("employees", 3, "last_dose_date", None)),
        "employees",
        3,
        "last_dose_date",
    ),
    (
        "dose history without product",
        cells(("employees", 3, "last_product", None)),
        "employees",
        3,
        "last_product",
    ),
    (
        "last dose after the horizon",
        cells(("employees", 3, "last_dose_date", "2021-07-01")),
        "employees",
        3,
        "last_dose_date",
    ),
    (
        "last dose on the first day of the horizon",
        cells(("employees", 3, "last_dose_date", "2021-06-01")),
        "employees",
        3,
        "last_dose_date",
    ),
    (
        "last test after the horizon start",
        cells(("employees", 3, "last_test_date", "2021-06-02")),
        "employees",
        3,
        "last_test_date",
    ),
    # absences, patterns, settings
    (
        "absence start after end",
        cells(("absences", 2, "start_date", "2021-06-09")),
        "absences",
        2,
        "end_date",
    ),
    (
        "cycle without first day",
        cells(("shift_patterns", 2, "days", "cycle:4/2@")),
        "shift_patterns",
        2,
        "days",
    ),
    (
        "cycle with letters",
        cells(("shift_patterns", 2, "days", "cycle:x/2@2021-06-01")),
        "shift_patterns",
        2,
        "days",
    ),
    (
        "cycle with a dash",
        cells(("shift_patterns", 2, "days", "cycle:4-2@2021-06-01")),
        "shift_patterns",
        2,
        "days",
    ),
    (
        "cycle with no day on",
        cells(("shift_patterns", 2, "days", "cycle:0/2@2021-06-01")),
        "shift_patterns",
        2,
        "days",
    ),
    (
        "cycle with an impossible first day",
        cells(("shift_patterns", 2, "days", "cycle:4/2@2021-02-30")),
        "shift_patterns",
        2,
        "days",
    ),
    (
        "unknown weekday",
        cells(("shift_patterns", 2, "days", "Mon,Blursday")),
        "shift_patterns",
        2,
        "days",
    ),
    (
        "share over 1 (150%)",
        cells(("settings", 2, "value", "150%")),
        "settings",
        2,
        "value",
    ),
    (
        "negative share",
        sheets(_append("settings", ["team_away_max_share", -0.2])),
        "settings",
        3,
        "value",
    ),
    (
        "share over 100",
        sheets(
            _append("settings", ["team_vaccinated_per_day_max_share", 101])
        ),
        "settings",
        3,
        "value",
    ),
    (
        "unknown language",
        sheets(_append("settings", ["language", "fr"])),
        "settings",
        3,
        "value",
        CLI,
    ),
    # files that are no (readable) workbook
    (
        "text file named .xlsx",
        file_bytes("input.xlsx", lambda _: b"employee_id,name\nE1,Ann\n"),
        "input.xlsx",
        NONE,
        NONE,
        CLI,
    ),
    (
        "empty file",
        file_bytes("input.xlsx", lambda _: b""),
        "input.xlsx",
        NONE,
        NONE,
    ),
    (
        "corrupt workbook (cut in half)",
        file_bytes("broken.xlsx", _truncated),
        "broken.xlsx",
        NONE,
        NONE,
        CLI,
    ),
    (
        "zip that is no workbook",
        file_bytes("input.xlsx", lambda _: _zip_with({"hello.txt": "hi"})),
        "input.xlsx",
        NONE,
        NONE,
    ),
    (
        "password-protected workbook",
        file_bytes(
            "input.xlsx",
            lambda _: (
                OLE + b"\0" * 100 + "EncryptedPackage".encode("utf-16-le")
            ),
        ),
        "input.xlsx",
        NONE,
        NONE,
        CLI,
    ),
    (
        ".xls given by mistake",
        file_bytes("input.xls", lambda _: OLE + b"\0" * 4000),
        "input.xls",
        NONE,
        NONE,
    ),
    (
        ".csv given by mistake",
        file_bytes("staff.csv", lambda _: b"employee_id,name\nE1,Ann\n"),
        "staff.csv",
        NONE,
        NONE,
        CLI,
    ),
    # formulas and error values
    (
        "formula never calculated",
        uncalculated_formula,
        "employees",
        2,
        "department",
        CLI,
    ),
    (
        "cached formula error #N/A",
        patched(
            "employees",
            {"B2": '<c r="B2" t="e"><f>VLOOKUP(1,A:A,9)</f><v>#N/A</v></c>'},
        ),
        "employees",
        2,
        "name",
    ),
    (
        "error value #REF! in a cell",
        patched("sessions", {"H2": '<c r="H2" t="e"><v>#REF!</v></c>'}),
        "sessions",
        2,
        "capacity_per_slot",
    ),
    (
        "error value #N/A typed as text",
        cells(("employees", 2, "name", "#N/A")),
        "employees",
        2,
        "name",
    ),
    (
        "error value #REF! typed in an id",
        cells(("employees", 2, "employee_id", "#REF!")),
        "employees",
        2,
        "employee_id",
    ),
    # layout
    (
        "merged header cells swallow a column",
        merged_header,
        "employees",
        NONE,
        "workplace_id",
        CLI,
    ),
    (
        "header not on row 1: title row above it",
        title_row_then_bad_cell,
        "employees",
        5,
        "workplace_id",
    ),
    (
        "a million formatted empty rows, then a bad row",
        million_empty_rows,
        "employees",
        FAR_ROW,
        "workplace_id",
    ),
]


def _zip_with(files: dict[str, str]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def _params():
    for case in BROKEN:
        name, breaker, sheet, row, column, *flags = case
        yield pytest.param(
            breaker, (sheet, row, column), CLI in flags, id=name
        )


def test_catalogue_has_unique_ids():
    ids = [c[0] for c in BROKEN]
    assert len(ids) == len(set(ids))
    assert len(BROKEN) >= 70


@pytest.mark.parametrize(("breaker", "where", "via_cli"), list(_params()))
def test_broken_workbook_gives_located_message(
    tmp_path, capsys, breaker, where, via_cli
):
    book_dir = tmp_path / "book"
    book_dir.mkdir()
    path = breaker(book_dir)
    sheet, row, column = where

    started = time.perf_counter()
    with pytest.raises(InputError) as e:
        read_instance(path)
    assert time.perf_counter() - started < READ_SECONDS

    hits = [i for i in e.value.issues if (i.sheet, i.row, i.column) == where]
    listed = "\n".join(map(str, e.value.issues))
    assert hits, f"no issue at {where}; got:\n{listed}"
    issue = hits[0]
    assert isinstance(issue.expected, str) and len(issue.expected) > 5
    # the message names the place exactly as Excel shows it
    line = str(issue)
    assert line.startswith(f"sheet '{sheet}'")
    assert (f", row {row}," in line or f", row {row} " in line) == (
        row is not None
    )
    assert (f"column '{column}'" in line) == (column is not None)
    assert f"  - {line}" in e.value.report().splitlines()

    if via_cli:
        out = tmp_path / "runs" / "run"
        code = main(["run", str(path), "--out", str(out), "-q"])
        captured = capsys.readouterr()
        assert code == 2
        assert line in captured.err
        assert "Traceback" not in captured.err + captured.out
        assert not out.exists()
        assert not (tmp_path / "runs").exists() or not any(
            (tmp_path / "runs").iterdir()
        )


# Awkward but valid -----------------------------------------------------


def _chinese(s: dict) -> dict:
    zh = {}
    for name, rows in s.items():
        header = [HEADERS_ZH[name][HEADERS[name].index(h)] for h in rows[0]]
        zh[SHEET_NAMES_ZH[name]] = [header, *rows[1:]]
    return zh


def _awkward_ids(s: dict) -> dict:
    set_cell(s, "employees", 2, "employee_id", " Ｅ１ ")  # full width
    set_cell(s, "employees", 2, "workplace_id", "ｗｐ１ ")
    set_cell(s, "absences", 2, "employee_id", "  e1")
    set_cell(s, "bookings", 2, "session_id", " v1 ")
    set_cell(s, "employees", 3, "last_product", " vaxa")
    set_cell(s, "employees", 3, "shift_pattern", "NIGHT ")
    s["employees"].append(
        ["00123", "Cy", "WP1", "Ops", None, None, 0, None, None, None]
    )
    s["employees"].append(
        [789, "Ed", "WP1", "Ops", None, None, 0, None, None, None]
    )  # formatted 00000 below
    s["employees"].append(
        ["Ｅ２０", "Fu", "WP1", "Ops", None, None, 0, None, None, None]
    )
    return s


def _stray_spaces(s: dict) -> dict:
    s["employees"][0] = [
        " Employee ID* ",
        "NAME ",
        "Workplace-ID",
        " department",
        "Team",
        "shift pattern",
        "doses_received",
        "last_dose_date",
        "last_product",
        "last_test_date",
    ]
    s[" Employees "] = s.pop("employees")
    set_cell(s, "sessions", 2, "capacity_per_slot", " 5 ")
    set_cell(s, "sessions", 2, "start", " 9:00 ")
    return s


def _dates_and_times(s: dict) -> dict:
    set_cell(s, "sessions", 2, "date", 44348)  # Excel serial, no format
    set_cell(s, "sessions", 3, "date", "2021/6/3")
    set_cell(s, "absences", 2, "start_date", "20210602")
    set_cell(s, "absences", 2, "end_date", 20210604)
    set_cell(s, "calendar", 2, "date", "2021年6月14日")
    set_cell(s, "duty", 2, "date", datetime(2021, 6, 5))
    set_cell(s, "employees", 3, "last_dose_date", date(2021, 5, 10))
    set_cell(s, "employees", 3, "last_test_date", "2021-05-30")
    set_cell(s, "sessions", 2, "start", "0900")
    set_cell(s, "sessions", 2, "end", clock(12, 0))
    set_cell(s, "sessions", 3, "start", 0.5 + 1 / 12)  # Excel time 14:00
    set_cell(s, "sessions", 3, "end", "17:00")
    set_cell(s, "duty", 2, "start", "10:00")
    set_cell(s, "duty", 2, "end", "24:00")
    return s


def _check_dates(inst) -> None:
    assert inst.sessions["V1"].date == date(2021, 6, 1)
    assert inst.sessions["T1"].date == date(2021, 6, 3)
    assert (inst.sessions["V1"].start, inst.sessions["V1"].end) == (540, 720)
    assert (inst.sessions["T1"].start, inst.sessions["T1"].end) == (840, 1020)
    a = inst.absences[0]
    assert (a.start_date, a.end_date) == (date(2021, 6, 2), date(2021, 6, 4))
    assert inst.employees["E2"].last_dose_date == date(2021, 5, 10)
    assert inst.duty[0].date == date(2021, 6, 5)
    assert date(2021, 6, 14) in inst.holidays


def _check_ids(inst) -> None:
    assert {"E1", "E2", "00123", "00789", "E20"} <= set(inst.employees)
    assert inst.employees["E1"].workplace_id == "WP1"
    assert inst.absences[0].employee_id == "E1"
    assert inst.bookings[0].session_id == "V1"
    assert inst.employees["E2"].last_product == "VaxA"
    assert inst.employees["E2"].shift_pattern == "night"


AWKWARD = [
    (
        "Chinese sheet names and headers",
        _chinese,
        {},
        lambda inst: (
            set(inst.employees) == {"E1", "E2"}
            and inst.sessions["V1"].product == "VaxA"
        ),
    ),
    (
        "full-width digits, leading zeros, spaces in ids",
        _awkward_ids,
        {("employees", "A5"): "00000"},
        _check_ids,
    ),
    (
        "stray spaces in sheet names, headers and cells",
        _stray_spaces,
        {},
        lambda inst: (
            set(inst.employees) == {"E1", "E2"}
            and inst.sessions["V1"].capacity_per_slot == 5
        ),
    ),
    (
        "Excel serial dates, text dates in every form, times",
        _dates_and_times,
        {},
        _check_dates,
    ),
    (
        "Excel serial date formatted as a date",
        lambda s: (set_cell(s, "sessions", 2, "date", 44348), s)[1],
        {("sessions", "D2"): "yyyy-mm-dd"},
        lambda inst: inst.sessions["V1"].date == date(2021, 6, 1),
    ),
    (
        "title row above the header",
        lambda s: (s["employees"].insert(0, ["Staff, June 2021"]), s)[1],
        {},
        lambda inst: set(inst.employees) == {"E1", "E2"},
    ),
]


@pytest.mark.parametrize(
    ("change", "formats", "check"),
    [pytest.param(c, f, k, id=i) for i, c, f, k in AWKWARD],
)
def test_awkward_but_valid_is_accepted(tmp_path, change, formats, check):
    inst = read_instance(write(tmp_path, change(minimal()), formats=formats))
    assert check(inst) is not False


def test_awkward_but_valid_runs(tmp_path, capsys):
    """All the awkward forms at once through the whole command."""
    s = _dates_and_times(_awkward_ids(minimal()))
    path = write(tmp_path, s, formats={("employees", "A5"): "00000"})
    out = tmp_path / "run"
    code = main(["run", str(path), "--out", str(out), "--time-limit", "5"])
    assert code == 0, capsys.readouterr().err
    assert {p.name for p in out.iterdir()} == {
        "schedule.xlsx",
        "rosters.xlsx",
        "coverage.xlsx",
        "notices.xlsx",
        "calendars",
        "run.json",
    }


# Fuzz: random values in every column, through the whole run -------------

#: Every column of every sheet, including the optional ones the minimal
#: workbook lacks, and every settings key.
SETTINGS_KEYS = [
    "horizon_start",
    "horizon_end",
    "team_away_max_share",
    "team_vaccinated_per_day_max_share",
    "observation_minutes",
    "test_blackout_hours_after_vaccination",
    "coverage_target",
    "boosters_enabled",
    "time_limit_seconds",
    "gap_limit_percent",
    "language",
    "change_cost",
]
PLACES = [
    (sheet, column)
    for sheet, columns in HEADERS.items()
    if sheet != "settings"
    for column in columns
] + [("settings", key) for key in SETTINGS_KEYS]

VALUES = st.one_of(
    st.none(),
    st.text(  # what a cell can hold: no control characters
        alphabet=st.characters(blacklist_categories=("Cc", "Cs")),
        max_size=12,
    ),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "2.5",
            "25:00",
            "24:00",
            "2021-02-30",
            "2021-06-02",
            "2021年6月1日",
            "1e400",
            "150%",
            "#N/A",
            "#REF!",
            "=1+1",
            "yes",
            "否",
            "cycle:4/2@",
            "E1",
            "e2",
            "WP1",
            "V1",
            "T1",
            "VaxA",
            "night",
            "zh",
            "all",
            "ＷＰ１",
        ]
    ),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(date(1990, 1, 1), date(2030, 1, 1)),
    st.times(),
)


@st.composite
def edits(draw):
    return [
        (draw(st.sampled_from(PLACES)), draw(st.integers(2, 4)), draw(VALUES))
        for _ in range(draw(st.integers(1, 3)))
    ]


def _apply(s: dict, place: tuple[str, str], row: int, value: object):
    sheet, column = place
    rows = s[sheet]
    if sheet == "settings":
        rows.append([column, value])
        return
    if column not in rows[0]:
        for r in rows:
            r.append(None)
        rows[0][-1] = column
    i = rows[0].index(column)
    while len(rows) < row:
        rows.append([None] * len(rows[0]))
    rows[row - 1][i] = value


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits())
def test_fuzz_any_cell_gives_a_located_error_or_a_valid_run(
    tmp_path_factory, capsys, changes
):
    folder = tmp_path_factory.mktemp("fuzz")
    s = minimal()
    for place, row, value in changes:
        _apply(s, place, row, value)
    path = write(folder, s)
    out = folder / "run"
    code = main(["run", str(path), "--out", str(out), "--time-limit", "2"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert code in (0, 2, 3), (code, captured.err)
    if code == 0:
        assert {p.name for p in out.iterdir()} == {
            "schedule.xlsx",
            "rosters.xlsx",
            "coverage.xlsx",
            "notices.xlsx",
            "calendars",
            "run.json",
        }
        return
    assert not out.exists()
    assert [p.name for p in folder.iterdir()] == ["input.xlsx"]
    if code == 3:
        assert "'bookings'" in captured.err
        return
    with pytest.raises(InputError) as e:
        read_instance(path)
    titles = set(s)
    for issue in e.value.issues:  # located: a real sheet and a real row
        assert issue.sheet in titles, issue
        if issue.row is not None:
            assert 1 <= issue.row <= len(s[issue.sheet]), issue
        assert str(issue) in captured.err
