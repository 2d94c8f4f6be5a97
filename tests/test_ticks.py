"""Counts inside long stages (scheduler/core/ticks.py)."""

from __future__ import annotations

from scheduler.core import ticks
from scheduler.dev.generate import generate_workbook
from scheduler.io.read.read import read_instance
from scheduler.model.solve import SolveParams
from scheduler.pipeline import schedule


def test_a_listener_hears_the_counts(monkeypatch):
    monkeypatch.setattr(ticks, "EVERY_SECONDS", 0.0)
    heard = []
    with ticks.listening(lambda *a: heard.append(a)):
        assert list(ticks.counted("people", "abc")) == ["a", "b", "c"]
    assert heard == [
        ("people", 1, 3),
        ("people", 2, 3),
        ("people", 3, 3),
        ("people", 3, 3),  # the stage's end
    ]


def test_no_listener_no_counts_and_a_quiet_short_stage(monkeypatch):
    heard = []
    assert list(ticks.counted("people", range(3))) == [0, 1, 2]
    monkeypatch.setattr(ticks, "EVERY_SECONDS", 3600.0)
    with ticks.listening(lambda *a: heard.append(a)):
        list(ticks.counted("people", range(3)))
    assert heard == []  # shorter than EVERY_SECONDS: nothing to say


def test_a_stage_inside_another_counts_for_itself(monkeypatch):
    monkeypatch.setattr(ticks, "EVERY_SECONDS", 0.0)
    heard = []
    with ticks.listening(lambda *a: heard.append(a)):
        for _ in ticks.counted("blocks", [1, 2]):
            list(ticks.counted("people", [1]))
    assert ("people", 1, 1) in heard
    assert [h for h in heard if h[0] == "blocks"][-1] == ("blocks", 2, 2)


def test_the_pipeline_says_how_far_it_is_and_schedules_the_same(
    tmp_path, monkeypatch
):
    """Every long stage counts through ``say``; listening changes nothing
    in the schedule (a small drive, solved to optimality)."""
    path = generate_workbook(
        tmp_path / "book.xlsx", employees=60, workplaces=1, days=14, seed=7
    )
    quiet = schedule(read_instance(path), SolveParams(time_limit=60))
    assert quiet.report.status == "OPTIMAL"
    monkeypatch.setattr(ticks, "EVERY_SECONDS", 0.0)
    lines: list[str] = []
    loud = schedule(
        read_instance(path), SolveParams(time_limit=60), lines.append
    )
    assert loud.solution == quiet.solution
    counted = {
        line.split(" of ", 1)[1].split(" ", 1)[1]
        for line in lines
        if line.startswith("  … ")
    }
    for what in (
        "people's candidate sessions",
        "people's clashing sessions",
        "people's doses booked (greedy)",
        "people's tests re-planned",
        "hard rules checked",
    ):
        assert what in counted, (what, counted)


def test_a_run_counts_the_rosters_it_writes(tmp_path, monkeypatch):
    """The write counts its rosters too, as lines and as progress of the
    write stage (done of total sessions)."""
    from scheduler.core.progress import Stage
    from scheduler.pipeline import RunOptions, run

    monkeypatch.setattr(ticks, "EVERY_SECONDS", 0.0)
    path = generate_workbook(
        tmp_path / "book.xlsx", employees=60, workplaces=1, days=14, seed=7
    )
    lines: list[str] = []
    seen = []
    run(
        RunOptions(book=path, out=tmp_path / "run", time_limit=5),
        lines.append,
        seen.append,
    )
    assert any("rosters written" in line for line in lines)
    writes = [p for p in seen if p.stage is Stage.WRITE and p.total]
    assert writes and writes[-1].done == writes[-1].total
