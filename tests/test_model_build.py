"""Shortcuts in building and solving a model give what the long way did."""

from __future__ import annotations

import random
from datetime import timedelta

from ortools.sat.python import cp_model

from scheduler.model import solve as solve_mod
from scheduler.model.constraints import _on_duty_count
from scheduler.model.solve import (
    SolveParams,
    _Completion,
    _hold_level,
    _Keyed,
    _set_objective,
    build_model,
    solve_built,
)
from scheduler.prepare.duty import Duty
from scheduler.prepare.needs import compute_needs
from tests.factories import H0, make_employee, make_instance, make_session


def test_on_duty_count_is_each_persons_duty_added_up():
    """Overlapping, touching and empty periods: the merged count agrees
    with asking each person's ``Duty.at`` at every minute."""
    rng = random.Random(7)
    for _ in range(50):
        duties = []
        for _ in range(rng.randint(1, 6)):
            periods = []
            for _ in range(rng.randint(0, 5)):
                a = rng.randint(0, 60)
                periods.append((a, a + rng.choice([0, 1, 5, 10, 30])))
            duties.append(Duty(periods))
        count = _on_duty_count(duties)
        for t in range(-2, 100):
            assert count(t) == sum(d.at(t) for d in duties), (duties, t)


def test_a_kept_completion_solves_what_a_fresh_copy_would():
    """The completion model is copied once per solve: after a level is
    held and a booking moves, it gives the values a fresh copy of the
    model (fixed anew) gives."""
    sessions = [
        make_session(f"S{d}", date=H0 + timedelta(days=d), end=600)
        for d in range(3)
    ]
    inst = make_instance(
        employees=[make_employee(f"E{i}") for i in range(3)],
        sessions=sessions,
    )
    built = build_model(inst, compute_needs(inst))
    m, v = built.model, built.vars
    levels = [t for t in built.terms if t.size]
    keyed = _Keyed(v)
    _set_objective(m, [(levels[0], 1)], levels[0].maximize)
    kept = _Completion(m, v, levels, keyed)
    first = kept.complete({("b", "E0", 0, "S0"): 1, ("n", 0, 540): 1})
    held = levels[0].const + sum(
        c * first["all"][i]
        for i, c in zip(levels[0].indices, levels[0].coefs, strict=True)
    )
    _hold_level(m, levels[0], held)
    kept.hold(levels[0], held)
    # E0 moves to the next day: another group, another slot count.
    moved = {("b", "E0", 0, "S1"): 1}
    gi = v.group_of["E0", "S1"]
    moved["n", gi, 540] = 1
    again = kept.complete(moved)
    fresh = _Completion(m, v, levels, keyed).complete(moved)
    assert again["all"] == fresh["all"]
    assert again["all"] != first["all"]


def _small_drive():
    sessions = [
        make_session(f"S{d}", date=H0 + timedelta(days=d), end=600)
        for d in range(3)
    ]
    inst = make_instance(
        employees=[make_employee(f"E{i}") for i in range(3)],
        sessions=sessions,
    )
    return build_model(inst, compute_needs(inst))


def test_a_blocks_first_level_leaves_its_spare_time_to_the_caller(
    monkeypatch,
):
    """``roll_over`` off: the later levels share at most their own part
    of the time limit, though the first level, proven at once, left most
    of its part unused; on (one model), they get that too."""
    budgets: dict[bool, list[float]] = {}
    real = solve_mod._solver

    def spy(params, seconds, wall, first, size):
        budgets[params.roll_over].append(seconds)
        return real(params, seconds, wall, first, size)

    monkeypatch.setattr(solve_mod, "_solver", spy)
    for roll in (True, False):
        budgets[roll] = []
        params = SolveParams(time_limit=10, roll_over=roll)
        _, report = solve_built(_small_drive(), params)
        assert report.stages[0]["status"] == "OPTIMAL"
    own = 10 * (1 - SolveParams().first_level_share)
    # Each later level gets a share of what is left, at most ``own``.
    assert max(budgets[False][1:]) <= own + 1e-9
    assert max(budgets[True][1:]) > own


def test_later_levels_wait_for_proven_earlier_ones(monkeypatch):
    """``polish_unproven`` off: a level the solver did not prove optimal
    (here the first) ends the solve, its bookings kept; on, every level
    runs."""
    real = solve_mod._solve
    calls = []

    def unproven(solver, m, callback):
        status = real(solver, m, callback)
        if callback is not None:  # a level's solve, not a completion
            calls.append(status)
            if len(calls) == 1:
                return cp_model.FEASIBLE
        return status

    monkeypatch.setattr(solve_mod, "_solve", unproven)
    built = _small_drive()
    levels = [t for t in built.terms if t.size]
    values, report = solve_built(
        built, SolveParams(time_limit=5, polish_unproven=False)
    )
    assert [s["level"] for s in report.stages] == [levels[0].name]
    assert values is not None and report.status == "FEASIBLE"
    calls.clear()
    _, report = solve_built(_small_drive(), SolveParams(time_limit=5))
    assert len(report.stages) == len(levels) > 1
