"""``scheduler record``: attendance marked on the rosters (or in a simple
sheet) becomes the next round's input workbook."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import timedelta

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from scheduler.cli import main
from scheduler.dev.generate import generate_workbook
from scheduler.io.read.read import read_instance
from scheduler.io.write.rosters import (
    ATTENDANCE_COLUMN,
    EMPLOYEE_ID_COLUMN,
    HEADER_ROW,
)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assignments(run_dir) -> pd.DataFrame:
    df = pd.read_excel(
        run_dir / "schedule.xlsx",
        sheet_name="assignments",
        dtype=str,
        keep_default_na=False,
    )
    df["date"] = pd.to_datetime(df["date"]).dt.date
    return df


@pytest.fixture(scope="module")
def run1(tmp_path_factory):
    base = tmp_path_factory.mktemp("record")
    book = base / "book.xlsx"
    generate_workbook(book, employees=120, workplaces=2, days=14, seed=7)
    run_dir = base / "run1"
    code = main(
        ["run", str(book), "--out", str(run_dir), "--time-limit", "5", "-q"]
    )
    assert code == 0
    return book, run_dir


def _mark_rosters(run_dir, days: int = 2) -> dict[tuple[str, str], str]:
    """Mark every sheet of the first ``days`` session dates: every fourth
    row no-show, the others attended. Returns (employee, session) ->
    status."""
    sched = _assignments(run_dir)
    dates = sorted(set(sched["date"]))[:days]
    sessions = set(sched.loc[sched["date"].isin(dates), "session_id"])
    path = run_dir / "rosters.xlsx"
    wb = load_workbook(path)
    index = wb.worksheets[0]
    sheet_of = {
        index.cell(r, 2).value: index.cell(r, 10).value
        for r in range(3, index.max_row + 1)
    }
    marks, n = {}, 0
    for sid in sorted(sessions):
        ws = wb[sheet_of[sid]]
        assert ws.cell(HEADER_ROW, ATTENDANCE_COLUMN).value == "Attendance"
        for r in range(HEADER_ROW + 1, ws.max_row + 1):
            emp = ws.cell(r, EMPLOYEE_ID_COLUMN).value
            if not emp:
                continue
            status = "no_show" if n % 4 == 0 else "attended"
            ws.cell(r, ATTENDANCE_COLUMN).value = (
                "no-show" if status == "no_show" else "attended"
            )
            marks[(emp, sid)] = status
            n += 1
    wb.save(path)
    return marks


def test_roster_has_attendance_dropdown(run1):
    _, run_dir = run1
    wb = load_workbook(run_dir / "rosters.xlsx")
    ws = wb.worksheets[1]
    header = [c.value for c in ws[HEADER_ROW]]
    assert header.index("Attendance") == header.index("Signature") - 1
    dvs = ws.data_validations.dataValidation
    assert any(dv.formula1 == '"attended,no-show"' for dv in dvs)
    assert ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage


def test_record_then_run_again(run1, tmp_path, capsys):
    book, run_dir = run1
    sha_before = _sha(book)
    marks = _mark_rosters(run_dir)
    assert marks
    assert main(["record", str(run_dir)]) == 0
    next_input = run_dir / "next-input.xlsx"
    assert next_input.exists()
    assert _sha(book) == sha_before  # the input is never edited

    old, new = read_instance(book), read_instance(next_input)
    sched = _assignments(run_dir)
    rows = {(r.employee_id, r.session_id): r for r in sched.itertuples()}
    latest = max(rows[k].date for k in marks)
    assert new.settings.horizon_start == latest + timedelta(days=1)
    attended_vacc = 0
    for key, status in marks.items():
        a = rows[key]
        before, after = (
            old.employees[a.employee_id],
            new.employees[a.employee_id],
        )
        if status == "no_show":
            continue
        if a.service == "vaccination":
            attended_vacc += 1
            if a.dose == "booster":  # above the series length
                series = old.products[a.product].doses
                assert after.doses_received > series
            else:
                assert after.doses_received == int(a.dose)
            assert after.doses_received > before.doses_received
            assert after.last_dose_date == a.date
            assert after.last_product == a.product
        else:
            assert after.last_test_date >= a.date
    assert attended_vacc > 0
    # No-shows with nothing attended change nothing.
    attended_people = {e for (e, _), s in marks.items() if s == "attended"}
    for (emp, _), status in marks.items():
        if status == "no_show" and emp not in attended_people:
            assert new.employees[emp] == old.employees[emp]

    got = {(b.employee_id, b.session_id): b.status for b in new.bookings}
    for key, status in marks.items():
        assert got[key] == status
    future = {k for k, r in rows.items() if r.date > latest}
    assert future
    assert {k for k, s in got.items() if s == "booked"} == future
    assert not any(b.pinned for b in new.bookings)
    out = capsys.readouterr().out
    assert "Recorded" in out

    # The next round: no attended dose again, intervals from the record.
    run2 = tmp_path / "run2"
    code = main(
        [
            "run",
            str(next_input),
            "--out",
            str(run2),
            "--time-limit",
            "5",
            "-q",
        ]
    )
    assert code == 0
    sched2 = _assignments(run2)
    vacc2 = sched2[sched2["service"] == "vaccination"]
    assert (sched2["date"] > latest).all()
    for r in vacc2.itertuples():
        e = new.employees[r.employee_id]
        if r.dose != "booster":
            assert int(r.dose) == e.doses_received + 1
        if e.last_dose_date and r.dose != "booster" and int(r.dose) > 1:
            p = new.products[e.last_product]
            gap = (r.date - e.last_dose_date).days
            assert gap >= p.min_interval_days
    recorded = {
        (e, old.employees[e].doses_received + 1)
        for (e, sid), s in marks.items()
        if s == "attended" and rows[(e, sid)].service == "vaccination"
    }
    for r in vacc2.itertuples():
        if r.dose != "booster":
            assert (r.employee_id, int(r.dose)) not in recorded


def test_record_refuses_to_overwrite(run1, tmp_path):
    _, run_dir = run1
    out = tmp_path / "taken.xlsx"
    out.write_bytes(b"keep me")
    assert main(["record", str(run_dir), "--out", str(out)]) == 2
    assert out.read_bytes() == b"keep me"


def test_record_from_attendance_file(run1, tmp_path):
    book, run_dir = run1
    sched = _assignments(run_dir)
    first = sorted(set(sched["date"]))[0]
    day = sched[sched["date"] == first]
    wb = Workbook()
    ws = wb.active
    ws.append(["工号", "session_id", "status"])
    marks = {}
    for i, r in enumerate(day.itertuples()):
        status = "未到" if i == 0 else ("已到" if i % 2 else "attended")
        ws.append([r.employee_id, r.session_id, status])
        marks[(r.employee_id, r.session_id)] = (
            "no_show" if status == "未到" else "attended"
        )
    for row in ws.iter_rows(min_row=2, max_col=1):
        row[0].number_format = "@"
    sheet = tmp_path / "attendance.xlsx"
    wb.save(sheet)
    out = tmp_path / "next.xlsx"
    code = main(
        [
            "record",
            str(run_dir),
            "--attendance",
            str(sheet),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    new = read_instance(out)
    got = {(b.employee_id, b.session_id): b.status for b in new.bookings}
    for key, status in marks.items():
        assert got[key] == status
    assert new.settings.horizon_start == first + timedelta(days=1)
    old = read_instance(book)
    for (emp, sid), status in marks.items():
        if status == "attended":
            r = day[(day.employee_id == emp) & (day.session_id == sid)]
            if r.iloc[0]["service"] == "nucleic_test":
                assert new.employees[emp].last_test_date == first
            else:
                assert (
                    new.employees[emp].doses_received
                    > old.employees[emp].doses_received
                )


def test_record_refuses_a_changed_input(run1, tmp_path, capsys):
    book, run_dir = run1
    copy_dir = tmp_path / "run"
    shutil.copytree(run_dir, copy_dir)
    (copy_dir / "next-input.xlsx").unlink(missing_ok=True)
    book2 = tmp_path / "book.xlsx"
    shutil.copy(book, book2)
    meta = json.loads((copy_dir / "run.json").read_text(encoding="utf-8"))
    meta["input"] = str(book2)
    (copy_dir / "run.json").write_text(json.dumps(meta), encoding="utf-8")
    wb = load_workbook(book2)
    wb["employees"].cell(2, 2).value = "Changed"
    wb.save(book2)
    assert main(["record", str(copy_dir)]) == 2
    assert "changed" in capsys.readouterr().err
    assert not (copy_dir / "next-input.xlsx").exists()
