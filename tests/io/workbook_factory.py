"""Build input workbooks in tests: a minimal valid one, then overrides.

A workbook is a dict ``sheet title -> rows`` (first row: the header). Tests
copy :func:`minimal`, change one sheet or cell, and :func:`write` it.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import pytest
from openpyxl import Workbook

from scheduler.core.errors import InputError, InputIssue
from scheduler.io.read.read import read_instance

if TYPE_CHECKING:
    from pathlib import Path

Sheets = dict[str, list[list[object]]]

MINIMAL: Sheets = {
    "settings": [["key", "value"], ["coverage_target", "90%"]],
    "workplaces": [
        ["workplace_id", "name", "city"],
        ["WP1", "HQ", "Shenzhen"],
    ],
    "sites": [
        ["site_id", "name", "kind", "workplace_id"],
        ["S1", "Room 1", "onsite", "WP1"],
        ["C1", "Community centre", "community", None],
    ],
    "travel": [["workplace_id", "site_id", "minutes"], ["WP1", "C1", 20]],
    "products": [
        [
            "product",
            "doses",
            "min_interval_days",
            "max_interval_days",
            "booster_after_days",
        ],
        ["VaxA", 2, 21, 56, 180],
    ],
    "sessions": [
        [
            "session_id",
            "service",
            "site_id",
            "date",
            "start",
            "end",
            "slot_minutes",
            "capacity_per_slot",
            "product",
        ],
        [
            "V1",
            "vaccination",
            "S1",
            "2021-06-01",
            "09:00",
            "12:00",
            30,
            5,
            "VaxA",
        ],
        [
            "T1",
            "nucleic_test",
            "C1",
            "2021-06-03",
            "14:00",
            "17:00",
            30,
            10,
            None,
        ],
    ],
    "shift_patterns": [
        ["pattern_id", "days", "start", "end"],
        ["night", "cycle:4/2@2021-06-01", "22:00", "06:00"],
    ],
    "calendar": [["date", "kind"], ["2021-06-14", "holiday"]],
    "employees": [
        [
            "employee_id",
            "name",
            "workplace_id",
            "department",
            "team",
            "shift_pattern",
            "doses_received",
            "last_dose_date",
            "last_product",
            "last_test_date",
        ],
        ["E1", "Ann", "WP1", "Sales", None, None, 0, None, None, None],
        [
            "E2",
            "Bob",
            "WP1",
            "Ops",
            "Night",
            "night",
            1,
            "2021-05-10",
            "VaxA",
            "2021-05-30",
        ],
    ],
    "absences": [
        ["employee_id", "start_date", "end_date", "reason"],
        ["E1", "2021-06-02", "2021-06-04", "leave"],
    ],
    "duty": [
        ["employee_id", "date", "start", "end"],
        ["E1", "2021-06-05", "10:00", "16:00"],
    ],
    "test_requirements": [
        [
            "requirement_id",
            "scope",
            "value",
            "every_days",
            "window_start",
            "window_end",
        ],
        ["R1", "all", None, 7, None, None],
        ["R2", "department", "Ops", None, "2021-06-10", "2021-06-12"],
    ],
    "bookings": [
        ["employee_id", "session_id", "slot_start", "pinned", "status"],
        ["E1", "V1", "09:30", "yes", "booked"],
    ],
}


def minimal() -> Sheets:
    return copy.deepcopy(MINIMAL)


def set_cell(
    sheets: Sheets, sheet: str, row: int, column: str, value: object
) -> None:
    """Set the cell at Excel ``row`` (1 = header) under header ``column``."""
    rows = sheets[sheet]
    col = rows[0].index(column)
    rows[row - 1][col] = value


def write(
    path: Path,
    sheets: Sheets,
    formats: dict[tuple[str, str], str] | None = None,
) -> Path:
    """Write ``sheets``; ``formats`` maps (sheet, coordinate) to a number
    format. Returns the file path."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
    for (title, coord), fmt in (formats or {}).items():
        wb[title][coord].number_format = fmt
    if path.suffix != ".xlsx":
        path = path / "input.xlsx"
    wb.save(path)
    return path


def read(tmp_path: Path, sheets: Sheets, **kw: object):
    return read_instance(write(tmp_path, sheets, **kw))  # type: ignore[arg-type]


def issues(tmp_path: Path, sheets: Sheets, **kw: object) -> list[InputIssue]:
    with pytest.raises(InputError) as e:
        read(tmp_path, sheets, **kw)
    return e.value.issues


def find(
    found: list[InputIssue],
    sheet: str,
    row: int | None,
    column: str | None,
) -> InputIssue:
    """The one issue at this place; fails listing all issues otherwise."""
    hits = [
        i for i in found if (i.sheet, i.row, i.column) == (sheet, row, column)
    ]
    assert hits, f"no issue at {sheet}/{row}/{column}; got:\n" + "\n".join(
        map(str, found)
    )
    return hits[0]
