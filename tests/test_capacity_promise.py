"""plan-capacity keeps its promise on generated drives: the ordinary
schedule of the workbook with the plan reaches what the plan says."""

from __future__ import annotations

import json

import pytest

from scheduler.dev.generate import generate_workbook
from scheduler.io.read.read import read_instance
from scheduler.pipeline import RunOptions, run
from scheduler.plan_capacity import CapacityOptions, plan_capacity
from scheduler.report.stats import compute_coverage


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "tests"), [(7, None), (2021, None), (7, 0.9)]
)
def test_the_schedule_of_the_plan_keeps_the_promise(tmp_path, seed, tests):
    """A few hundred staff, tight capacity: the plan's workbook scheduled
    again from scratch (checker included) reaches, in every building, the
    rate the plan promised (and with ``--tests`` the test person-days and
    screening windows); plan.json says so and names no person."""
    book = generate_workbook(
        tmp_path / "drive.xlsx", employees=300, days=14, seed=seed, tight=True
    )
    out = tmp_path / "answer"
    report = plan_capacity(
        CapacityOptions(book=book, out=out, time_limit=5, tests=tests)
    )
    assert report.kept, [
        (f.workplace_id, f.promised, f.real) for f in report.workplaces
    ]
    # Independently: schedule the written workbook again, as HR would.
    again = run(
        RunOptions(
            book=out / "input-with-plan.xlsx",
            out=tmp_path / "again",
            time_limit=5,
        )
    )
    cov = compute_coverage(again.instance, again.needs, again.solution)
    real = {w.workplace_id: w for w in cov.workplaces}
    for f in report.workplaces:
        assert real[f.workplace_id].fully_after >= f.promised
        assert f.ceiling >= f.promised >= f.done
        if tests is None:
            assert f.tests is None and f.screening is None
            continue
        assert f.tests is not None and f.screening is not None
        assert real[f.workplace_id].person_days_covered >= f.tests.promised
        assert real[f.workplace_id].window_met >= f.screening.promised
        assert f.tests.promised <= f.tests.total
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["promise_kept"] is True
    assert plan["cost"] >= plan["cost_lower_bound"]
    names = {e.name for e in read_instance(book).employees.values()}
    text = (out / "plan.json").read_text(encoding="utf-8")
    assert not any(n in text for n in names)
