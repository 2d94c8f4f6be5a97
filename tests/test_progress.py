"""The pipeline's structured progress: every stage in order, the blocks
counted as they are solved, and the last figures those of the run."""

from __future__ import annotations

import json

from scheduler.core.progress import RunProgress, Stage, gap_of
from scheduler.dev.generate import generate_workbook
from scheduler.io.read.read import read_instance
from scheduler.model.solve import SolveParams
from scheduler.pipeline import RunOptions, run, schedule


def test_a_run_reports_every_stage_in_order_and_its_final_figures(
    tmp_path,
):
    book = generate_workbook(
        tmp_path / "book.xlsx", employees=60, workplaces=2, days=10, seed=3
    )
    seen: list[RunProgress] = []
    result = run(
        RunOptions(book=book, out=tmp_path / "run", time_limit=3),
        progress=seen.append,
    )
    stages = [p.stage for p in seen]
    order = list(Stage)
    assert [s for s in order if s in stages] == order  # none missing
    assert stages == sorted(stages, key=order.index)  # never backwards
    elapsed = [p.elapsed for p in seen]
    assert elapsed == sorted(elapsed)
    last = seen[-1]
    assert last.stage is Stage.DONE
    figures = json.loads((result.folder / "run.json").read_text())
    assert last.needs_met == figures["objective"]["needs_met"]
    assert last.bound == figures["best_bound"]
    assert last.gap == figures["gap"]
    assert last.time_limit == 3
    solving = [p for p in seen if p.stage is Stage.SOLVE]
    assert solving[0].solve_elapsed is not None
    assert all(p.solve_elapsed is None for p in seen[: stages.index("solve")])
    json.dumps([p.as_dict() for p in seen])  # plain values for a page


def test_blocks_are_counted_as_they_are_solved(tmp_path):
    book = generate_workbook(
        tmp_path / "book.xlsx", employees=360, workplaces=3, days=21, seed=1
    )
    seen: list[RunProgress] = []
    found = schedule(
        read_instance(book),
        SolveParams(time_limit=6, gap_limit=0.0),
        block_choices=1500,
        progress=seen.append,
    )
    solving = [p for p in seen if p.stage is Stage.SOLVE]
    assert solving[0].total == found.blocks >= 3
    assert solving[0].done == 0
    counted = [p.done for p in solving[1:]]
    assert counted and counted == sorted(counted)
    assert all(1 <= d <= found.blocks for d in counted)
    met = [p.needs_met for p in solving]
    assert met == sorted(met)  # a block never loses what it met
    check = next(p for p in seen if p.stage is Stage.CHECK)
    assert check.needs_met == found.report.objective["needs_met"]


def test_gap_of_is_that_of_run_json():
    assert gap_of(95.0, 100.0) == 0.05
    assert gap_of(101.0, 100.0) == 0.0
    assert gap_of(None, 100.0) is None
    assert gap_of(50.0, None) is None
