"""The history database (scheduler/rounds/history.py): schema and migrations,
idempotent attendance, a run that never fails for history's sake, and a
``record`` that keeps workbook and history together or not at all."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from scheduler.cli import main
from scheduler.dev.generate import generate_workbook
from scheduler.io.read.read import read_instance
from scheduler.io.write.rosters import ATTENDANCE_COLUMN, HEADER_ROW
from scheduler.rounds import history
from scheduler.rounds.history import (
    MIGRATIONS,
    HistoryError,
    Visit,
    add_attendance,
    connect,
    history_path,
    read_figures,
    transaction,
)


def _visit(emp: str = "E1", sid: str = "V1", **kw) -> Visit:
    kw.setdefault("site_id", "S1")
    kw.setdefault("service", "vaccination")
    kw.setdefault("date", date(2021, 6, 1))
    kw.setdefault("slot_start", "09:00")
    kw.setdefault("product", "VaxA")
    kw.setdefault("dose", "1")
    return Visit(employee_id=emp, session_id=sid, **kw)


def _rows(db: Path, table: str) -> list[tuple]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()


# the database alone ------------------------------------------------------


def test_schema_is_versioned_and_migrated_once(tmp_path):
    db = tmp_path / "h.sqlite"
    with closing(connect(db)) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == len(MIGRATIONS) >= 1
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        }
        assert {"runs", "planned", "attendance"} <= tables
    with closing(connect(db)) as conn:  # reopening migrates nothing
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version


def test_newer_schema_is_refused(tmp_path):
    db = tmp_path / "h.sqlite"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(HistoryError, match="newer"):
        connect(db)


def test_a_failed_migration_leaves_the_old_version(tmp_path, monkeypatch):
    db = tmp_path / "h.sqlite"
    connect(db).close()

    def broken(conn):
        conn.execute("CREATE TABLE extra (x)")
        raise sqlite3.OperationalError("disk gone")

    monkeypatch.setattr(history, "MIGRATIONS", [*MIGRATIONS, broken])
    with pytest.raises(sqlite3.OperationalError):
        connect(db)
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(
            MIGRATIONS
        )
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
        assert "extra" not in names


def test_attendance_is_idempotent_and_corrections_win(tmp_path):
    db = tmp_path / "h.sqlite"
    marks = [
        (_visit("E1"), "attended"),
        (_visit("E2"), "no_show"),
        (_visit("E3", "T1", service="nucleic_test", dose=None), "attended"),
    ]
    with closing(connect(db)) as conn:
        with transaction(conn):
            assert add_attendance(conn, "run1", marks) == 3
        first = _rows(db, "attendance")
        with transaction(conn):  # the same marks, even from another run
            assert add_attendance(conn, "run2", marks) == 0
        assert _rows(db, "attendance") == first
        with transaction(conn):  # E2 came after all
            assert add_attendance(conn, "run2", [(_visit("E2"), "attended")])
    f = read_figures(db)
    assert (f.vaccinations, f.doses["1"], f.tests, f.no_shows) == (2, 2, 1, 0)
    assert (f.people_vaccinated, f.people_tested) == (2, 1)
    assert [(s.site_id, s.sessions_held, s.attended) for s in f.sites] == [
        ("S1", 2, 3)
    ]


def test_a_failed_transaction_keeps_nothing(tmp_path):
    db = tmp_path / "h.sqlite"
    with (
        closing(connect(db)) as conn,
        pytest.raises(RuntimeError),
        transaction(conn),
    ):
        add_attendance(conn, "run1", [(_visit(), "attended")])
        raise RuntimeError("crash mid-record")
    assert _rows(db, "attendance") == []


def test_history_without_a_database_is_exit_2(tmp_path, capsys):
    assert main(["history", "--outputs", str(tmp_path)]) == 2
    assert "No history yet" in capsys.readouterr().err
    assert not history_path(tmp_path).exists()  # reading creates nothing


# through the CLI ---------------------------------------------------------


@pytest.fixture(scope="module")
def small_book(tmp_path_factory) -> Path:
    book = tmp_path_factory.mktemp("hist") / "book.xlsx"
    generate_workbook(book, employees=40, workplaces=1, days=7, seed=11)
    return book


def _run(book: Path, out: Path) -> int:
    return main(["run", str(book), "--out", str(out), "--time-limit", "3"])


def _mark_all(run_dir: Path) -> int:
    """Mark every roster row attended; returns how many."""
    wb = load_workbook(run_dir / "rosters.xlsx")
    n = 0
    for ws in wb.worksheets[1:]:
        for r in range(HEADER_ROW + 1, ws.max_row + 1):
            if ws.cell(r, 3).value:
                ws.cell(r, ATTENDANCE_COLUMN).value = "attended"
                n += 1
    wb.save(run_dir / "rosters.xlsx")
    return n


def test_run_is_recorded_without_personal_data(small_book, tmp_path, capsys):
    out = tmp_path / "run"
    assert _run(small_book, out) == 0
    assert capsys.readouterr().err == ""
    db = history_path(tmp_path)
    runs = _rows(db, "runs")
    assert [(r[0], r[4], r[5], r[6], r[7]) for r in runs] == [
        ("run", 0, 1, 3.0, "en")
    ]
    planned = _rows(db, "planned")
    assert len(planned) > 0
    inst = read_instance(small_book)
    personal = {
        v
        for e in inst.employees.values()
        for v in (e.name, e.phone, e.exemption)
        if v
    }
    with closing(sqlite3.connect(db)) as conn:
        cells = {
            str(v)
            for t in ("runs", "planned", "attendance")
            for row in conn.execute(f"SELECT * FROM {t}")
            for v in row
        }
    assert personal and not personal & cells
    assert not any(p in c for p in personal for c in cells if len(c) > 20)


def test_a_broken_database_never_fails_the_run(small_book, tmp_path, capsys):
    db = history_path(tmp_path)
    db.write_bytes(b"not a database, do not touch" * 100)
    before = db.read_bytes()
    out = tmp_path / "run"
    assert _run(small_book, out) == 0
    err = capsys.readouterr().err
    assert "could not be added to the history" in err
    assert (out / "run.json").exists() and (out / "schedule.xlsx").exists()
    assert db.read_bytes() == before
    # Once the file is moved aside, 'record' adds the run it missed.
    db.rename(tmp_path / "broken.sqlite")
    n = _mark_all(out)
    assert main(["record", str(out), "-q"]) == 0
    f = read_figures(db)
    assert f.runs == 1
    assert f.vaccinations + f.tests == n > 0


def test_a_locked_database_stops_record_and_writes_nothing(
    small_book, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "run"
    assert _run(small_book, out) == 0
    _mark_all(out)
    db = history_path(tmp_path)
    monkeypatch.setattr(history, "BUSY_SECONDS", 0.1)
    with closing(sqlite3.connect(db, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # another process is writing
        assert main(["record", str(out)]) == 2
        other.execute("ROLLBACK")
    assert "could not be updated" in capsys.readouterr().err
    assert not (out / "next-input.xlsx").exists()
    assert _rows(db, "attendance") == []


def test_a_failed_rename_rolls_the_history_back(
    small_book, tmp_path, monkeypatch
):
    out = tmp_path / "run"
    assert _run(small_book, out) == 0
    _mark_all(out)

    def fail(self, target):
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", fail)
    assert main(["record", str(out)]) == 1
    monkeypatch.undo()
    assert not (out / "next-input.xlsx").exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert _rows(history_path(tmp_path), "attendance") == []
    # Nothing half-done: the same command now succeeds.
    assert main(["record", str(out), "-q"]) == 0
    assert _rows(history_path(tmp_path), "attendance")


def test_history_lives_beside_the_run_folders(
    small_book, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "a" / "run"
    assert _run(small_book, out) == 0
    assert history_path(tmp_path / "a").is_file()  # --out DIR: DIR's parent
    assert not history_path(out).exists()
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(small_book), "--time-limit", "3", "-q"]) == 0
    assert main(["run", str(small_book), "--time-limit", "3", "-q"]) == 0
    capsys.readouterr()
    assert main(["history"]) == 0  # default: outputs/
    assert "Runs recorded: 2" in capsys.readouterr().out
