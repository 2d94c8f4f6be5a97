"""A run folder's figures read back, for the page (scheduler/web/).

The page shows any run of the outputs folder, the command line's too, so
it reads what every run leaves: the coverage report's workplaces and tests
sheets (laid out by scheduler/io/write/coverage.py, whose column lists
give the positions here, whatever the language) and the ``unmet`` and
``changes`` sheets of schedule.xlsx (fixed English headers, outputs.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from scheduler.io.write.coverage import (
    _TESTS,
    _VACCINATION,
    _WORKPLACE,
    FIRST_ROW,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildingRow:
    """One workplace of coverage.xlsx (or the total of all, last)."""

    workplace_id: str
    name: str
    total: bool
    figures: dict[str, float | int | None]  # by the writer's column key


def _keys(columns) -> list[str]:
    return [c[0] for c in columns]


VACCINATION_KEYS = _keys(_WORKPLACE + _VACCINATION)
TEST_KEYS = _keys(_WORKPLACE + _TESTS)


def read_coverage(
    run_dir: Path,
) -> tuple[list[BuildingRow], list[BuildingRow]]:
    """The vaccination and test rows per workplace, each list ending with
    the total of all workplaces; empty lists if there is no report."""
    path = Path(run_dir) / "coverage.xlsx"
    if not path.is_file():
        return [], []
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = wb.worksheets
        vacc = _rows(sheets[0], VACCINATION_KEYS) if sheets else []
        tests = _rows(sheets[3], TEST_KEYS) if len(sheets) > 3 else []
    finally:
        wb.close()
    return vacc, tests


def _rows(ws, keys: list[str]) -> list[BuildingRow]:
    rows = [
        r
        for r in ws.iter_rows(
            min_row=FIRST_ROW, max_col=len(keys), values_only=True
        )
        if r and r[0] not in (None, "")
    ]
    out = []
    for i, r in enumerate(rows):
        values = dict(zip(keys, r, strict=False))
        out.append(
            BuildingRow(
                workplace_id=str(values.pop(keys[0])),
                name=str(values.pop(keys[1]) or ""),
                total=i == len(rows) - 1,
                figures=values,
            )
        )
    return out


def read_sheet(path: Path, sheet: str) -> list[dict[str, object]]:
    """Every row of a sheet with a header row, as dicts by header; dates
    as ``date``; a missing file or sheet gives no rows."""
    path = Path(path)
    if not path.is_file():
        return []
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet not in wb.sheetnames:
            return []
        rows = wb[sheet].iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows, ())]
        out = []
        for r in rows:
            if not any(v not in (None, "") for v in r):
                continue
            out.append(
                {h: _plain(v) for h, v in zip(header, r, strict=False) if h}
            )
        return out
    finally:
        wb.close()


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return value
