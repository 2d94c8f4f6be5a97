"""Faults (issue 4): killed runs, infeasible drives, time limits, exit codes.

A run writes into a hidden ``.NAME.partial-PID`` folder beside its target
and renames it into place at the end, so a process killed at any moment
leaves no run folder, or a complete one, never a partial one; the next run
removes the hidden folders of processes that are gone. The input and the
earlier runs are never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from scheduler import pipeline
from scheduler.check.checker import Violation
from scheduler.cli import main
from scheduler.core.errors import (
    CheckFailedError,
    InputError,
    NoSolutionError,
    PinnedBookingError,
    UsageError,
)
from scheduler.core.rules import Rule
from scheduler.core.solution import SolveReport
from scheduler.dev.generate import generate_workbook
from tests.io.workbook_factory import minimal, set_cell, write

REPO = Path(__file__).resolve().parents[1]
RUN_FILES = {
    "schedule.xlsx",
    "rosters.xlsx",
    "coverage.xlsx",
    "notices.xlsx",
    "calendars",
    "run.json",
}
PARTIAL = re.compile(r"^\.run\.partial-(\d+)$")
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


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# -- workbooks and an earlier run --------------------------------------------


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("books")
    return {
        # big enough that solving and writing take seconds
        "big": generate_workbook(
            folder / "big.xlsx",
            employees=1500,
            workplaces=3,
            days=28,
            seed=2021,
        ),
        "small": generate_workbook(
            folder / "small.xlsx", employees=120, workplaces=2, days=7, seed=7
        ),
    }


#: What ``place`` holds: the input, an earlier run and the history of runs.
BESIDE = {"input.xlsx", "earlier", "history.sqlite"}


@pytest.fixture
def place(tmp_path, books) -> dict:
    """A folder with a copy of the input and one finished earlier run."""
    book = tmp_path / "input.xlsx"
    book.write_bytes(books["big"].read_bytes())
    earlier = tmp_path / "earlier"
    assert (
        main(
            [
                "run",
                str(books["small"]),
                "--out",
                str(earlier),
                "--time-limit",
                "2",
                "-q",
            ]
        )
        == 0
    )
    return {
        "folder": tmp_path,
        "book": book,
        "earlier": earlier,
        "book_sha": sha256(book),
        "earlier_hashes": hashes(earlier),
    }


class Run:
    """``scheduler run`` in a child process whose output we watch."""

    def __init__(self, book: Path, out: Path, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-u",
                "-m",
                "scheduler",
                "run",
                str(book),
                "--out",
                str(out),
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=out.parent,
            env=env,
        )
        self.out, self.lines = out, []
        self._buf = b""

    def wait_for(self, text: str, timeout: float = 120) -> None:
        """Read progress lines until one contains ``text``."""
        end = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while time.monotonic() < end:
            if any(text in line for line in self.lines):
                return
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            self._buf += chunk
            *done, self._buf = self._buf.split(b"\n")
            self.lines += [d.decode("utf-8", "replace") for d in done]
        if any(text in line for line in self.lines):
            return
        self.kill(signal.SIGKILL)
        pytest.fail(f"never saw {text!r}; output:\n" + "\n".join(self.lines))

    def partial(self) -> Path:
        return self.out.parent / f".{self.out.name}.partial-{self.proc.pid}"

    def kill(self, sig: int) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        rest, _ = self.proc.communicate(timeout=60)
        self.lines += rest.decode("utf-8", "replace").splitlines()
        return self.proc.returncode


def assert_untouched(place: dict) -> None:
    assert sha256(place["book"]) == place["book_sha"]
    assert hashes(place["earlier"]) == place["earlier_hashes"]


def visible(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if not p.name.startswith(".")}


def has_files(folder: Path) -> bool:
    try:
        return any(folder.iterdir())
    except OSError:  # not there (yet, or renamed away)
        return False


def assert_whole_or_absent(out: Path) -> None:
    if out.exists():  # the rename won the race: then it is complete
        assert {p.name for p in out.iterdir()} == RUN_FILES
        json.loads((out / "run.json").read_text(encoding="utf-8"))


# -- killed runs ------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_killed_while_solving_leaves_nothing(place):
    folder = place["folder"]
    run = Run(place["book"], folder / "run", "--time-limit", "20")
    run.wait_for("Solving")
    time.sleep(0.5)  # well inside the solve (20 s)
    assert not any("Writing" in line for line in run.lines)
    assert run.kill(signal.SIGKILL) == -signal.SIGKILL
    assert not (folder / "run").exists()
    assert not any(PARTIAL.match(p.name) for p in folder.iterdir())
    assert visible(folder) == BESIDE
    assert_untouched(place)


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_killed_while_writing_leaves_no_partial_run(place, books):
    folder = place["folder"]
    out = folder / "run"
    run = Run(place["book"], out, "--time-limit", "2")
    run.wait_for("Writing")
    # Wait until the hidden folder holds a file, then kill at once.
    tmp, end = run.partial(), time.monotonic() + 60
    while time.monotonic() < end and not has_files(tmp):
        time.sleep(0.005)
    caught_writing = tmp.is_dir() and not out.exists()
    assert run.kill(signal.SIGKILL) == -signal.SIGKILL
    assert caught_writing, "the run finished before it could be killed"
    assert_whole_or_absent(out)
    assert not out.exists()
    # Left behind: at most the hidden folder, clearly marked partial.
    leftovers = {p.name for p in folder.iterdir()} - BESIDE
    assert leftovers <= {tmp.name}
    assert_untouched(place)

    # The next run beside it removes the dead run's hidden folder.
    code = main(
        [
            "run",
            str(books["small"]),
            "--out",
            str(folder / "next"),
            "--time-limit",
            "2",
            "-q",
        ]
    )
    assert code == 0
    assert {p.name for p in folder.iterdir()} == BESIDE | {"next"}
    assert {p.name for p in (folder / "next").iterdir()} == RUN_FILES
    assert_untouched(place)


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_interrupted_while_writing_cleans_up(place):
    """Ctrl-C (SIGINT) while writing: the run removes its own hidden
    folder and says that nothing was written."""
    folder = place["folder"]
    out = folder / "run"
    run = Run(place["book"], out, "--time-limit", "2")
    run.wait_for("Writing")
    tmp, end = run.partial(), time.monotonic() + 60
    while time.monotonic() < end and not tmp.is_dir():
        time.sleep(0.005)
    code = run.kill(signal.SIGINT)
    if code == 0:  # finished first: it must then be whole
        assert_whole_or_absent(out)
        pytest.skip("the run finished before the interrupt")
    assert code == 130
    assert "nothing was written" in "\n".join(run.lines)
    assert "Traceback" not in "\n".join(run.lines)
    assert {p.name for p in folder.iterdir()} == BESIDE
    assert_untouched(place)


def test_stale_partial_of_a_live_process_is_kept(tmp_path, books):
    """Only the hidden folders of dead processes are removed."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".old.partial-{dead.pid}"
    alive = tmp_path / f".busy.partial-{os.getppid()}"
    other = tmp_path / ".not-ours"
    for d in (stale, alive, other):
        d.mkdir()
        (d / "schedule.xlsx").write_bytes(b"half")
    assert (
        main(
            [
                "run",
                str(books["small"]),
                "--out",
                str(tmp_path / "run"),
                "--time-limit",
                "2",
                "-q",
            ]
        )
        == 0
    )
    names = {p.name for p in tmp_path.iterdir()}
    assert stale.name not in names
    assert {alive.name, other.name, "run"} <= names


# -- infeasible, over-subscribed, pinned ------------------------------------


def test_over_subscribed_drive_gives_best_partial_schedule(tmp_path, capsys):
    book = generate_workbook(
        tmp_path / "tight.xlsx",
        employees=200,
        workplaces=1,
        days=7,
        seed=4,
        tight=True,
    )
    out = tmp_path / "run"
    code = main(["run", str(book), "--out", str(out), "--time-limit", "3"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assigned = pd.read_excel(
        out / "schedule.xlsx",
        sheet_name="assignments",
        dtype=str,
        keep_default_na=False,
    )
    unmet = pd.read_excel(
        out / "schedule.xlsx",
        sheet_name="unmet",
        dtype=str,
        keep_default_na=False,
    )
    assert len(assigned) > 0 and len(unmet) > 0
    assert set(unmet.reason) <= REASONS
    assert "full" in set(unmet.reason)  # capacity is short
    assert (unmet.detail != "").all() and (unmet.need != "").all()
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["unmet_by_reason"]["full"] > 0
    assert sum(meta["unmet_by_reason"].values()) == len(unmet)
    assert "unmet" in captured.out and "full" in captured.out


def test_pinned_booking_breaking_a_rule_stops_before_writing(tmp_path, capsys):
    s = minimal()
    # E1 is pinned to V1 (2021-06-01) but now on leave that day
    set_cell(s, "absences", 2, "start_date", "2021-06-01")
    book = write(tmp_path, s)
    out = tmp_path / "runs" / "run"
    code = main(["run", str(book), "--out", str(out), "--time-limit", "2"])
    captured = capsys.readouterr()
    assert code == 3 == PinnedBookingError.exit_code
    assert "'bookings'" in captured.err
    assert re.search(r"V1 .*employees: E1", captured.err), captured.err
    assert "Traceback" not in captured.err + captured.out
    assert "Writing" not in captured.out
    assert not out.exists() and not (tmp_path / "runs").exists()


def test_two_pinned_bookings_over_capacity_are_named(tmp_path, capsys):
    s = minimal()
    set_cell(s, "sessions", 2, "capacity_per_slot", 1)
    set_cell(s, "employees", 3, "shift_pattern", None)  # E2: office hours
    s["bookings"].append(["E2", "V1", "09:30", "yes", "booked"])
    book = write(tmp_path, s)
    out = tmp_path / "run"
    code = main(["run", str(book), "--out", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 3
    assert "[capacity]" in err and "E1" in err and "E2" in err
    assert "V1" in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["input.xlsx"]


# -- time limits ----------------------------------------------------------


def test_time_limit_before_optimality_reports_feasible_and_gap(
    tmp_path, capsys
):
    book = generate_workbook(
        tmp_path / "mid.xlsx", employees=600, workplaces=2, days=14, seed=5
    )
    out = tmp_path / "run"
    code = main(["run", str(book), "--out", str(out), "--time-limit", "4"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["status"] == "FEASIBLE", meta["stages"]
    assert meta["gap"] is not None and 0 < meta["gap"] <= 1
    assert meta["best_bound"] >= meta["objective"]["needs_met"] - 1e-6
    assert meta["objective"]["needs_met"] >= (
        meta["greedy_baseline"]["needs_met"] - 1e-6
    )
    shown = re.search(r"solver: FEASIBLE, .*gap (\d+\.\d\d)%", captured.out)
    assert shown, captured.out
    assert float(shown.group(1)) == pytest.approx(100 * meta["gap"], abs=0.006)
    assert {p.name for p in out.iterdir()} == RUN_FILES


def test_no_solver_schedule_in_time_falls_back_to_greedy(
    books, tmp_path, capsys
):
    out = tmp_path / "run"
    code = main(
        ["run", str(books["small"]), "--out", str(out), "--time-limit", "0.01"]
    )
    captured = capsys.readouterr()
    assert code == 0
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["status"] == "HEURISTIC"
    assert any(
        "no schedule within its time limit" in w for w in meta["warnings"]
    )
    assert "solver: HEURISTIC" in captured.out
    assert "raise --time-limit" in captured.out


def test_no_schedule_at_all_exit_4_nothing_written(
    books, tmp_path, capsys, monkeypatch
):
    def nothing(built, params, hint=None, say=None, deadline=None):
        return None, SolveReport(status="UNKNOWN")

    monkeypatch.setattr(pipeline, "solve_built", nothing)
    out = tmp_path / "runs" / "run"
    code = main(
        ["run", str(books["small"]), "--out", str(out), "--time-limit", "3"]
    )
    captured = capsys.readouterr()
    assert code == 4 == NoSolutionError.exit_code
    assert "found no schedule within 3 s" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "runs").exists()


def test_checker_rejection_exit_5_nothing_written(
    books, tmp_path, capsys, monkeypatch
):
    bad = Violation(Rule.CAPACITY, ("E1",), "S1 slot 540: 3 > 2")
    monkeypatch.setattr(pipeline, "check_solution", lambda *a: [bad])
    out = tmp_path / "run"
    code = main(
        ["run", str(books["small"]), "--out", str(out), "--time-limit", "2"]
    )
    captured = capsys.readouterr()
    assert code == 5 == CheckFailedError.exit_code
    assert "breaks hard rules" in captured.err
    assert not out.exists() and list(tmp_path.iterdir()) == []


# -- exit codes, quiet and verbose -----------------------------------------


def test_internal_error_no_traceback_unless_verbose(
    books, tmp_path, capsys, monkeypatch
):
    def boom(opts, say):
        raise RuntimeError("boom at 0x1234")

    monkeypatch.setattr(pipeline, "run", boom)
    argv = ["run", str(books["small"]), "--out", str(tmp_path / "run")]
    assert main(argv) == 1
    quiet = capsys.readouterr()
    assert "Traceback" not in quiet.err + quiet.out
    assert "Internal error (RuntimeError)" in quiet.err
    assert "--verbose" in quiet.err
    assert main([*argv, "-v"]) == 1
    loud = capsys.readouterr()
    assert "Traceback" in loud.err and "boom at 0x1234" in loud.err
    assert not (tmp_path / "run").exists()


def test_bad_input_never_shows_a_traceback_even_verbose(tmp_path, capsys):
    s = minimal()
    set_cell(s, "sessions", 2, "date", "2021-02-30")
    book = write(tmp_path, s)
    assert main(["run", str(book), "--out", str(tmp_path / "run"), "-v"]) == 2
    err = capsys.readouterr().err
    assert "sheet 'sessions', row 2, column 'date'" in err
    assert "Traceback" not in err


def test_quiet_prints_only_the_run_folder(books, tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                str(books["small"]),
                "--out",
                str(out),
                "--time-limit",
                "2",
                "-q",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    assert captured.err == ""


def test_verbose_prints_progress_and_summary(books, tmp_path, capsys):
    out = tmp_path / "run"
    assert (
        main(
            [
                "run",
                str(books["small"]),
                "--out",
                str(out),
                "--time-limit",
                "2",
                "-v",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    for step in ("Reading", "Checked", "Solving", "Writing", "Summary"):
        assert step in printed


def test_exit_codes_are_distinct_and_documented():
    codes = {
        "bad input": InputError([]).exit_code,
        "usage": UsageError("x").exit_code,
        "pinned": PinnedBookingError("x").exit_code,
        "no solution": NoSolutionError("x").exit_code,
        "checker": CheckFailedError("x").exit_code,
    }
    assert codes == {
        "bad input": 2,
        "usage": 2,
        "pinned": 3,
        "no solution": 4,
        "checker": 5,
    }
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### When something is wrong", 1)[1]
    section = section.split("\n## ", 1)[0]
    table = dict(re.findall(r"^\| (\d) \| ([^|]+) \|", section, re.M))
    assert set(table) == {"0", "1", "2", "3", "4", "5"}
    assert "internal error" in table["1"]
    assert "bad input" in table["2"]
    assert "pinned" in table["3"]
    assert "no schedule" in table["4"]
    assert "sheet '" in section and "row " in section  # a sample message
