"""End to end: whole workbooks through ``scheduler.cli.main``.

The run folder is read back the way another program would read it (pandas
for ``schedule.xlsx``, plain JSON for ``run.json``, openpyxl for the
printable workbooks) and checked against docs outputs.md. The schedule is
rebuilt from the written ``assignments`` sheet and given to the
independent checker, so the *file* is what obeys the hard rules, not just
the in-memory solution.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from scheduler.check.checker import check_solution, objective_terms
from scheduler.cli import main
from scheduler.core.domain import Service
from scheduler.core.solution import Appointment, Solution
from scheduler.dev.generate import generate_workbook
from scheduler.io.read.read import read_instance
from scheduler.prepare.needs import compute_needs

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = Path("inputs") / "campaign.xlsx"
RUN_FILES = {
    "schedule.xlsx",
    "rosters.xlsx",
    "coverage.xlsx",
    "notices.xlsx",
    "calendars",
    "run.json",
}

ASSIGNMENT_COLUMNS = [
    "employee_id",
    "name",
    "workplace_id",
    "department",
    "team",
    "service",
    "session_id",
    "site_id",
    "date",
    "slot_start",
    "slot_end",
    "product",
    "dose",
    "travel_minutes",
]
UNMET_COLUMNS = [
    "employee_id",
    "name",
    "workplace_id",
    "department",
    "team",
    "service",
    "dose",
    "requirement_id",
    "uncovered_days",
    "need",
    "reason",
    "detail",
]
#: domain.md, the table of reason codes.
REASONS = {
    "exempt",
    "no_session",
    "no_product",
    "out_of_reach",
    "not_available",
    "full",
    "team_limit",
    "conflict",
    "horizon",
    "other",
}
COUNT_KEYS = {
    "employees",
    "sessions",
    "appointments",
    "vaccination_needs",
    "vaccination_met",
    "test_windows",
    "test_windows_met",
    "test_person_days",
    "test_person_days_covered",
}
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
CJK = re.compile(r"[\u4e00-\u9fff]")
STAMP = re.compile(r"^\d{8}-\d{6}(-\d+)?$")

#: Small runs: the deterministic limit, not the clock, ends every stage.
SMALL_LIMIT = "5"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def read_sheet(folder: Path, sheet: str) -> pd.DataFrame:
    return pd.read_excel(
        folder / "schedule.xlsx",
        sheet_name=sheet,
        dtype=str,
        keep_default_na=False,
    )


def solution_from(frame: pd.DataFrame) -> Solution:
    """The written assignments as a Solution, field by field."""
    apps = []
    for r in frame.itertuples(index=False):
        apps.append(
            Appointment(
                employee_id=r.employee_id,
                session_id=r.session_id,
                date=date.fromisoformat(r.date[:10]),
                slot_start=minutes(r.slot_start),
                slot_end=minutes(r.slot_end),
                service=Service(r.service),
                site_id=r.site_id,
                travel_minutes=int(r.travel_minutes),
                product=r.product or None,
                dose=r.dose or None,
            )
        )
    return Solution(appointments=tuple(apps))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below ``folder`` with its bytes and mtime."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def header_row(ws) -> int:
    """The row repeated on every printed page (``$6:$6`` → 6)."""
    assert ws.print_title_rows, f"sheet {ws.title!r} has no print titles"
    return int(ws.print_title_rows.split(":")[0].strip("$"))


# ------------------------------------------------------------ the example


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """The shipped example through the CLI once, from the repo root."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(REPO)
        before = sha256(EXAMPLE)
        parent = tmp_path_factory.mktemp("example")
        out = parent / "run"
        code = main(
            [
                "run",
                str(EXAMPLE),
                "--out",
                str(out),
                "--time-limit",
                "20",
                "-q",
            ]
        )
        after = sha256(EXAMPLE)
    return {
        "code": code,
        "out": out,
        "parent": parent,
        "before": before,
        "after": after,
    }


@pytest.fixture(scope="module")
def example_instance():
    return read_instance(REPO / EXAMPLE)


@pytest.mark.slow
def test_example_run_folder(example_run):
    assert example_run["code"] == 0
    out = example_run["out"]
    assert {p.name for p in out.iterdir()} == RUN_FILES
    # the temporary folder was renamed into place, nothing left beside it
    # but the history of the runs in that folder
    assert sorted(p.name for p in example_run["parent"].iterdir()) == [
        "history.sqlite",
        "run",
    ]
    # the input is never changed
    assert example_run["after"] == example_run["before"]


@pytest.mark.slow
def test_example_schedule_obeys_every_rule(example_run, example_instance):
    inst = example_instance
    out = example_run["out"]
    frame = read_sheet(out, "assignments")
    assert list(frame.columns) == ASSIGNMENT_COLUMNS
    assert len(frame) > 0
    for r in frame.itertuples(index=False):
        e = inst.employees[r.employee_id]  # ids text, leading zeros kept
        assert (r.name, r.workplace_id, r.department) == (
            e.name,
            e.workplace_id,
            e.department,
        )
        s = inst.sessions[r.session_id]  # the session is in the input
        assert r.site_id == s.site_id
        assert date.fromisoformat(r.date[:10]) == s.date
        assert r.service == str(s.service)
        assert HHMM.match(r.slot_start) and HHMM.match(r.slot_end)
        if r.service == "vaccination":
            assert r.product == s.product
            assert r.dose in {"1", "2", "3", "booster"}
        else:
            assert r.service == "nucleic_test"
            assert r.product == "" and r.dose == ""
    assert frame.employee_id.str.fullmatch(r"0\d{6}").all()

    sol = solution_from(frame)
    needs = compute_needs(inst)
    assert check_solution(inst, needs, sol) == []

    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["counts"]["appointments"] == len(frame)
    assert objective_terms(inst, needs, sol)["needs_met"] == pytest.approx(
        meta["objective"]["needs_met"], abs=1e-3
    )


@pytest.mark.slow
def test_example_cells_are_typed(example_run):
    ws = openpyxl.load_workbook(
        example_run["out"] / "schedule.xlsx", read_only=True
    )["assignments"]
    rows = ws.iter_rows(min_row=2, max_row=50)
    for row in rows:
        cells = {c: row[i] for i, c in enumerate(ASSIGNMENT_COLUMNS)}
        for col in ("employee_id", "workplace_id", "session_id", "site_id"):
            assert isinstance(cells[col].value, str), col
        assert cells["employee_id"].value.startswith("00")
        assert cells["date"].is_date


@pytest.mark.slow
def test_example_unmet(example_run):
    frame = read_sheet(example_run["out"], "unmet")
    assert list(frame.columns) == UNMET_COLUMNS
    assert len(frame) > 0
    assert set(frame.reason) <= REASONS
    assert (frame.detail != "").all() and (frame.need != "").all()
    assert set(frame.service) <= {"vaccination", "nucleic_test"}
    vacc = frame[frame.service == "vaccination"]
    assert set(vacc.dose) <= {"1", "2", "3", "booster"}
    assert frame.employee_id.str.fullmatch(r"0\d{6}").all()


@pytest.mark.slow
def test_example_run_json(example_run, example_instance):
    out = example_run["out"]
    text = (out / "run.json").read_text(encoding="utf-8")
    meta = json.loads(text)
    for key in (
        "status",
        "objective",
        "best_bound",
        "gap",
        "seconds",
        "counts",
        "input_sha256",
        "version",
        "seed",
        "warnings",
    ):
        assert key in meta, key
    assert meta["status"] in {"OPTIMAL", "FEASIBLE"}
    assert "needs_met" in meta["objective"]
    assert all(isinstance(v, (int, float)) for v in meta["objective"].values())
    assert meta["best_bound"] >= meta["objective"]["needs_met"] - 1e-6
    assert 0 <= meta["gap"] <= 1
    assert {"read", "build", "solve", "write", "total"} <= set(meta["seconds"])
    assert meta["seconds"]["total"] >= meta["seconds"]["solve"]
    assert set(meta["counts"]) >= COUNT_KEYS
    assert meta["counts"]["employees"] == len(example_instance.employees)
    assert meta["counts"]["sessions"] == len(
        example_instance.horizon_sessions()
    )
    assert meta["input_sha256"] == example_run["before"]
    assert meta["seed"] == 0
    assert isinstance(meta["version"], str) and meta["version"]
    # The same seed gives the same schedule only on the same solver.
    assert meta["solver_version"] == importlib.metadata.version("ortools")
    assert isinstance(meta["warnings"], list)

    # no personal data: names, phones, exemption reasons (health data)
    people = pd.read_excel(
        REPO / EXAMPLE,
        sheet_name="employees",
        dtype=str,
        keep_default_na=False,
    )
    picked = people.iloc[::97]
    secrets = [
        *picked.name,
        *picked.phone,
        *{x for x in people.vaccination_exemption if len(x) > 3},
    ]
    assert len(secrets) > 20
    leaked = [s for s in secrets if s and s in text]
    assert leaked == []


@pytest.mark.slow
def test_example_rosters_print(example_run):
    wb = openpyxl.load_workbook(example_run["out"] / "rosters.xlsx")
    sessions = wb.worksheets[1:]  # the first sheet is the index
    assert sessions
    people = pd.read_excel(
        REPO / EXAMPLE,
        sheet_name="employees",
        dtype=str,
        keep_default_na=False,
    )
    phones = set(people.phone) - {""}
    for ws in sessions:
        header_row(ws)
        assert ws.page_setup.fitToWidth == 1, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.paperSize in (9, "9"), ws.title  # A4
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v in phones for v in row)


@pytest.mark.slow
def test_example_coverage_has_charts(example_run):
    with zipfile.ZipFile(example_run["out"] / "coverage.xlsx") as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert charts


# ------------------------------------------------------- a small workbook


@pytest.fixture(scope="module")
def small_book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("book") / "small.xlsx"
    return generate_workbook(
        path, employees=120, workplaces=2, days=14, seed=7
    )


@pytest.fixture(scope="module")
def zh_run(small_book, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("zh") / "run"
    code = main(
        [
            "run",
            str(small_book),
            "--out",
            str(out),
            "--lang",
            "zh",
            "--time-limit",
            SMALL_LIMIT,
            "--seed",
            "3",
            "-q",
        ]
    )
    assert code == 0
    return out


def _header_labels(ws) -> list:
    """The non-empty cells of a sheet's header row."""
    row = header_row(ws)
    cells = ws.iter_rows(min_row=row, max_row=row, values_only=True)
    return [v for v in next(cells) if v]


def test_zh_labels(zh_run):
    rosters = openpyxl.load_workbook(zh_run / "rosters.xlsx")
    index = rosters.worksheets[0]
    assert CJK.search(index.title)
    for ws in rosters.worksheets:
        labels = _header_labels(ws)
        assert labels and all(CJK.search(v) for v in labels), ws.title
        assert CJK.search(ws.cell(1, 1).value), ws.title  # the title
    coverage = openpyxl.load_workbook(zh_run / "coverage.xlsx")
    for ws in coverage.worksheets:
        assert CJK.search(ws.title), ws.title
        labels = _header_labels(ws)
        assert labels and all(CJK.search(v) for v in labels), ws.title
    # the machine-readable file stays English
    assert list(read_sheet(zh_run, "assignments").columns) == (
        ASSIGNMENT_COLUMNS
    )
    unmet = read_sheet(zh_run, "unmet")
    assert list(unmet.columns) == UNMET_COLUMNS
    assert set(unmet.reason) <= REASONS
    meta = json.loads((zh_run / "run.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 3


def test_same_input_and_seed_same_assignments(small_book, tmp_path):
    runs = [tmp_path / "first", tmp_path / "second"]
    for out in runs:  # back to back
        code = main(
            [
                "run",
                str(small_book),
                "--out",
                str(out),
                "--time-limit",
                SMALL_LIMIT,
                "--seed",
                "3",
                "-q",
            ]
        )
        assert code == 0
    first, second = (read_sheet(out, "assignments") for out in runs)
    assert len(first) > 0
    pd.testing.assert_frame_equal(first, second)
    a, b = (
        json.loads((out / "run.json").read_text(encoding="utf-8"))
        for out in runs
    )
    assert a["objective"] == b["objective"]
    assert a["input_sha256"] == b["input_sha256"] == sha256(small_book)


def test_out_to_non_empty_folder_is_refused(small_book, tmp_path, capsys):
    out = tmp_path / "earlier"
    out.mkdir()
    (out / "schedule.xlsx").write_bytes(b"an earlier run")
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    before = snapshot(out)
    code = main(
        [
            "run",
            str(small_book),
            "--out",
            str(out),
            "--time-limit",
            SMALL_LIMIT,
            "-q",
        ]
    )
    assert code != 0
    assert "not empty" in capsys.readouterr().err
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["earlier"]


def test_default_folders_never_collide(
    small_book, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    printed = []
    for _ in range(2):
        assert main(["run", str(small_book), "--time-limit", "2", "-q"]) == 0
        printed.append(capsys.readouterr().out.strip().splitlines()[-1])
    runs = sorted(p for p in (tmp_path / "outputs").iterdir() if p.is_dir())
    assert (tmp_path / "outputs" / "history.sqlite").is_file()
    assert len(runs) == 2
    assert all(STAMP.match(p.name) for p in runs), runs
    assert {Path(p).name for p in printed} == {p.name for p in runs}
    for p in runs:
        assert {f.name for f in p.iterdir()} == RUN_FILES


def test_bad_cell_exit_2_and_nothing_written(
    small_book, tmp_path, monkeypatch, capsys
):
    wb = openpyxl.load_workbook(small_book)
    ws = wb["employees"]
    col = [c.value for c in ws[1]].index("workplace_id") + 1
    row = 7
    ws.cell(row=row, column=col).value = "NOPE"
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    monkeypatch.chdir(tmp_path)

    out = tmp_path / "run"
    code = main(["run", str(bad), "--out", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert "'employees'" in err
    assert f"row {row}" in err
    assert "'workplace_id'" in err
    assert "NOPE" in err
    assert "Traceback" not in err

    assert main(["run", str(bad), "-q"]) == 2  # default folder naming
    capsys.readouterr()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xlsx"]
