"""Large drives solved block by block, and the bounds that need no solver.

The decomposition must never break a rule across blocks (capacity of a
shared session is the only link), never fall below the greedy baseline,
and its reported bound must hold.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from ortools.linear_solver import linear_solver_pb2

from scheduler.check.checker import check_solution, objective_terms
from scheduler.core.domain import Scope, Service, SiteKind
from scheduler.core.domain import TestRequirement as Requirement
from scheduler.dev.generate import generate_workbook
from scheduler.heuristics.greedy import greedy_schedule
from scheduler.io.read.read import read_instance
from scheduler.model import blockwise
from scheduler.model import lp_bound as lp_module
from scheduler.model.blocks import (
    Block,
    block_instance,
    plan_blocks,
    reserved_by,
    shared_sessions,
)
from scheduler.model.blockwise import pairs
from scheduler.model.bounds import needs_alone, pooled_capacity, usable_places
from scheduler.model.lp_bound import bound_on_tests, lp_bound, lp_relaxation
from scheduler.model.solve import (
    SolveParams,
    build_model,
    extract_solution,
    solve_built,
)
from scheduler.pipeline import _gap_limit, schedule
from scheduler.prepare.candidates import all_options
from scheduler.prepare.needs import compute_needs
from tests.factories import (
    H0,
    make_appointment,
    make_employee,
    make_instance,
    make_session,
    make_site,
)


def _two_buildings_one_centre(capacity: int = 1, staff: int = 1):
    """W1 and W2, each with ``staff`` people needing a first dose, and one
    community session of one slot both can reach."""
    employees = [
        make_employee(f"{w}-{i}", workplace_id=w, department=f"D{w}")
        for w in ("W1", "W2")
        for i in range(staff)
    ]
    session = make_session(
        "CHC", site_id="C", start=600, end=630, capacity_per_slot=capacity
    )
    return make_instance(
        employees=employees,
        sessions=[session],
        sites=[make_site("C", kind=SiteKind.COMMUNITY)],
        travel={("W1", "C"): 10, ("W2", "C"): 10},
    ), session


def test_blocks_keep_workplaces_and_teams_whole():
    inst, _ = _two_buildings_one_centre(staff=3)
    one_each = dict.fromkeys(inst.employees, 1)
    apart = plan_blocks(inst, one_each, per_block=3)
    assert [b.workplaces for b in apart] == [("W1",), ("W2",)]
    assert sorted(e for b in apart for e in b.employees) == sorted(
        inst.employees
    )
    # one team with members in both buildings: one block
    joined = make_instance(
        employees=[
            make_employee("A", workplace_id="W1", department="Ops"),
            make_employee("B", workplace_id="W2", department="Ops"),
        ],
        sessions=[make_session()],
    )
    assert len(plan_blocks(joined, {"A": 1, "B": 1}, per_block=1)) == 1


def test_shared_sessions_are_found():
    inst, session = _two_buildings_one_centre()
    blocks = plan_blocks(inst, dict.fromkeys(inst.employees, 1), per_block=1)
    assert shared_sessions(inst, blocks) == {0: {session.id}, 1: {session.id}}


def test_reserved_capacity_binds_in_a_block():
    """The other block holds the only place: this block books nothing."""
    inst, session = _two_buildings_one_centre(capacity=1)
    blocks = plan_blocks(inst, dict.fromkeys(inst.employees, 1), per_block=1)
    taken = make_appointment(session, "W1-0", travel_minutes=10)
    sub = block_instance(inst, blocks[1], reserved_by(inst, [taken]))
    assert set(sub.employees) == {"W2-0"}
    needs = compute_needs(sub)
    built = build_model(sub, needs)
    values, report = solve_built(built, SolveParams(time_limit=5))
    assert report.status == "OPTIMAL"
    assert extract_solution(built, values).appointments == ()
    # with the place free, the same block books it
    free = block_instance(inst, blocks[1], reserved_by(inst, []))
    built = build_model(free, compute_needs(free))
    values, _ = solve_built(built, SolveParams(time_limit=5))
    assert len(extract_solution(built, values).appointments) == 1


def test_blockwise_never_overbooks_a_shared_session():
    inst, _ = _two_buildings_one_centre(capacity=2, staff=3)
    extra = schedule(inst, SolveParams(time_limit=5), block_choices=3)
    needs, sol, report = extra.needs, extra.solution, extra.report
    assert extra.blocks == 2
    assert check_solution(inst, needs, sol) == []
    assert len(sol.appointments) == 2  # one slot of two places
    assert report.best_bound >= report.objective["needs_met"] - 1e-6


def test_lp_bound_counts_places_per_session():
    """Three people, two places: the bound is two people's worth."""
    inst, _ = _two_buildings_one_centre(capacity=2, staff=2)
    inst = make_instance(
        employees=list(inst.employees.values())[:3],
        sessions=list(inst.sessions.values()),
        sites=list(inst.sites.values()),
        travel=inst.travel,
    )
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    weight = (
        objective_terms(
            inst,
            needs,
            greedy_schedule(inst, needs, options),
        )["needs_met"]
        / 2
    )
    assert len(needs.vaccination) == 3
    assert needs_alone(inst, needs, options) == pytest.approx(3 * weight)
    assert lp_bound(inst, needs, options) == pytest.approx(2 * weight)
    assert pooled_capacity(inst, needs, options) == pytest.approx(2 * weight)


@pytest.mark.parametrize(
    ("employees", "seed", "tight"), [(120, 3, False), (160, 4, True)]
)
def test_bounds_hold_against_proven_optima(tmp_path, employees, seed, tight):
    """No bound may fall below what the solver proves optimal."""
    path = generate_workbook(
        tmp_path / "book.xlsx",
        employees=employees,
        workplaces=2,
        days=14,
        seed=seed,
        tight=tight,
    )
    inst = read_instance(path)
    extra = schedule(inst, SolveParams(time_limit=20))
    needs, report = extra.needs, extra.report
    met = report.objective["needs_met"]
    options = all_options(inst, needs)
    for bound in (
        needs_alone(inst, needs, options),
        pooled_capacity(inst, needs, options),
        lp_bound(inst, needs, options),
        lp_relaxation(inst, needs, options).value
        + bound_on_tests(inst, needs, options),
    ):
        assert bound >= met - 1e-6
    assert report.best_bound >= met - 1e-6


def test_tests_bound_sees_team_continuity():
    """Five of a team (share 0.2: one away at a time) and one test session
    of two slots with room for all: the flow counts five screening tests,
    rule 7 allows two, and the bound by dates and teams says so."""
    window = Requirement(
        id="SCREEN", scope=Scope.ALL, window_start=H0, window_end=H0
    )
    inst = make_instance(
        employees=[
            make_employee(f"E{i}", exemption="declined") for i in range(5)
        ],
        sessions=[
            make_session(
                "T1",
                service=Service.NUCLEIC_TEST,
                end=600,
                capacity_per_slot=5,
            )
        ],
        test_requirements=(window,),
        settings={"team_away_max_share": 0.2},
    )
    extra = schedule(inst, SolveParams(time_limit=5))
    needs, sol, report = extra.needs, extra.solution, extra.report
    options = extra.options
    weight = report.objective["needs_met"] / 2
    assert len(sol.appointments) == 2
    assert lp_relaxation(inst, needs, options).value == pytest.approx(
        0, abs=1e-6
    )
    # Blind to teams, the min-cost flow would count all five.
    assert pooled_capacity(inst, needs, options) == pytest.approx(5 * weight)
    assert bound_on_tests(inst, needs, options) == pytest.approx(2 * weight)
    assert report.best_bound == pytest.approx(2 * weight)
    assert report.gap == pytest.approx(0.0, abs=1e-6)


def test_tests_bound_by_dates_alone_sees_a_full_day(monkeypatch):
    """Two people of two teams must test on day 0, where one place is
    left; a session on day 1 has room for both. Blind to dates, the flow
    counts two screening tests; the LP by dates alone (the one too large
    drives fall back to) counts one, and that is all a schedule meets."""
    window = Requirement(
        id="SCREEN", scope=Scope.ALL, window_start=H0, window_end=H0
    )
    inst = make_instance(
        employees=[
            make_employee(f"E{i}", department=f"D{i}", exemption="declined")
            for i in range(2)
        ],
        sessions=[
            make_session(
                "T0",
                service=Service.NUCLEIC_TEST,
                end=570,
                capacity_per_slot=1,
            ),
            make_session(
                "T1",
                service=Service.NUCLEIC_TEST,
                date=H0 + timedelta(days=1),
                capacity_per_slot=5,
            ),
        ],
        test_requirements=(window,),
    )
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    monkeypatch.setattr(lp_module, "TIGHT_TESTS_VARIABLES", 0)
    monkeypatch.setattr(lp_module, "DATED_VARIABLES", 0)
    flow = bound_on_tests(inst, needs, options)
    monkeypatch.setattr(lp_module, "DATED_VARIABLES", 10_000)
    dated = bound_on_tests(inst, needs, options)
    assert flow == pytest.approx(2 * dated)
    extra = schedule(inst, SolveParams(time_limit=5))
    sol, report = extra.solution, extra.report
    assert report.objective["needs_met"] == pytest.approx(dated)
    assert sum(a.session_id == "T0" for a in sol.appointments) == 1


def test_tests_bound_in_parts_equals_one_lp(tmp_path, monkeypatch):
    """Parts of a drive that share no test session are solved as separate
    LPs; their sum is the one LP's optimum, by teams and by dates alone."""
    inst, needs, options, cap = _drive(tmp_path, 600, 4, seed=3)
    classes, _ = lp_module._test_classes(inst, needs, options, cap)
    assert len(lp_module._apart(classes)) >= 2
    values = []
    for limit in (10**9, 0):  # by dates and teams; by dates alone
        monkeypatch.setattr(lp_module, "TIGHT_TESTS_VARIABLES", limit)
        apart = lp_module._tests_by_dates(inst, needs, options, cap)
        with monkeypatch.context() as m:
            m.setattr(lp_module, "_apart", lambda classes: [classes])
            whole = lp_module._tests_by_dates(inst, needs, options, cap)
        # PDLP stops within its tolerance of each optimum.
        assert apart == pytest.approx(whole, rel=1e-4)
        values.append(apart)
    assert values[0] < values[1]  # the teams' rows bind


def test_tests_lp_bound_from_pdlp_holds_and_is_tight(tmp_path, monkeypatch):
    """The LP by dates and teams is solved by PDLP, whose optimum is only
    approximate; its dual bound is never below GLOP's exact optimum of the
    same LP and within PDLP's tolerance above it."""
    inst, needs, options, cap = _drive(tmp_path, 400, 2, seed=8)
    pdlp = lp_module._tests_by_dates(inst, needs, options, cap)
    monkeypatch.setattr(lp_module, "_pdlp", lp_module._glop)
    monkeypatch.setattr(lp_module, "_dual_bound", _exact)
    exact = lp_module._tests_by_dates(inst, needs, options, cap)
    assert exact > 0
    assert exact - 1e-6 <= pdlp <= exact * (1 + 1e-4)


@pytest.fixture
def no_hard_stop(monkeypatch):
    """The deterministic budget alone ends the solve: the wall clock's hard
    stop (``blockwise.OVERRUN``) would make these tests depend on how busy
    the machine is (a loaded one reaches fewer blocks in the time limit)."""
    monkeypatch.setattr(blockwise, "OVERRUN", 1000.0)


def test_the_wall_clock_stops_the_blockwise_solve(tmp_path, monkeypatch):
    """Past the hard stop no block starts: the start stands, valid, and
    the report says the time limit ended the solve on the wall clock."""
    monkeypatch.setattr(blockwise, "OVERRUN", 0.0)
    path = generate_workbook(
        tmp_path / "book.xlsx", employees=240, workplaces=3, days=14, seed=7
    )
    inst = read_instance(path)
    extra = schedule(inst, SolveParams(time_limit=30), block_choices=800)
    report = extra.report
    assert extra.blocks >= 2
    assert report.stages == []  # no block was solved
    assert report.stopped_by == "time_limit"
    assert any("wall clock" in w for w in report.warnings)
    assert check_solution(inst, extra.needs, extra.solution) == []
    assert report.objective["needs_met"] >= extra.greedy["needs_met"] - 1e-6


def _drive(tmp_path, employees: int, workplaces: int, seed: int):
    """A generated two-week drive: instance, needs, options and the
    sessions' usable places."""
    book = tmp_path / "drive.xlsx"
    generate_workbook(
        book, employees=employees, workplaces=workplaces, days=14, seed=seed
    )
    inst = read_instance(book)
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    return inst, needs, options, usable_places(inst, options)


def _exact(lp) -> float:
    assert lp.Solve() == lp.OPTIMAL
    return lp.Objective().Value()


def test_lagrangian_bound_holds_for_any_prices():
    """max 3x + 2y, x + y ≤ 4, x ≤ 3, 0 ≤ x, y ≤ 10: optimum 11 (x 3,
    y 1). Any row prices bound it from above; the optimal ones (2, 1)
    meet it."""
    lp = lp_module._glop()
    x, y = lp.NumVar(0, 10, "x"), lp.NumVar(0, 10, "y")
    lp.Objective().SetCoefficient(x, 3)
    lp.Objective().SetCoefficient(y, 2)
    both = lp.Constraint(-lp.infinity(), 4)
    both.SetCoefficient(x, 1)
    both.SetCoefficient(y, 1)
    lp.Constraint(0, 3).SetCoefficient(x, 1)
    proto = linear_solver_pb2.MPModelProto()
    lp.ExportModelToProto(proto)
    bound = lp_module.lagrangian_bound
    assert bound(proto, [2, 1]) == pytest.approx(11)
    assert bound(proto, [0, 0]) == pytest.approx(50)  # boxes alone
    # A negative price on a row without a lower side counts as 0.
    assert bound(proto, [-5, 1]) == pytest.approx(bound(proto, [0, 1]))
    for prices in ([1, 1], [3, 0], [2.5, 0.7], [0, 3], [-1, -1]):
        assert bound(proto, prices) >= 11 - 1e-9


@pytest.mark.parametrize(("seed", "tight"), [(5, False), (6, True)])
def test_blockwise_schedule_is_valid_and_beats_greedy(
    tmp_path, seed, tight, no_hard_stop
):
    """A generated drive cut into blocks of a few teams each."""
    path = generate_workbook(
        tmp_path / "book.xlsx",
        employees=360,
        workplaces=3,
        days=21,
        seed=seed,
        tight=tight,
    )
    inst = read_instance(path)
    extra = schedule(inst, SolveParams(time_limit=9), block_choices=1500)
    needs, sol, report = extra.needs, extra.solution, extra.report
    assert extra.blocks >= 3
    assert len({st["block"] for st in report.stages}) >= 2  # two solved
    assert check_solution(inst, needs, sol) == []
    mine = objective_terms(inst, needs, sol)
    assert mine == report.objective
    base = objective_terms(inst, needs, greedy_schedule(inst, needs))
    assert mine["needs_met"] >= base["needs_met"] - 1e-6
    assert extra.greedy["needs_met"] == pytest.approx(base["needs_met"])
    assert report.bound_source in {"cp-sat", "lp"}
    assert report.best_bound >= mine["needs_met"] - 1e-6
    assert 0 <= report.gap < 1
    # every service of the drive is still scheduled across the blocks
    assert {a.service for a in sol.appointments} == set(Service)


def test_gap_limit_stops_the_blockwise_solve(tmp_path, no_hard_stop):
    """With a gap limit the start already meets, the solve stops after its
    first block (the bound is awaited there); without one it goes on. The
    final gap stays within the limit, and the schedule is still checked."""
    path = generate_workbook(
        tmp_path / "book.xlsx", employees=360, workplaces=3, days=21, seed=5
    )
    inst = read_instance(path)
    runs = {}
    for limit in (0.0, 0.5):
        extra = schedule(
            inst,
            SolveParams(time_limit=9, gap_limit=limit),
            block_choices=1500,
        )
        needs, sol, report = extra.needs, extra.solution, extra.report
        assert check_solution(inst, needs, sol) == []
        runs[limit] = report, {st["block"] for st in report.stages}
    (free, free_blocks), (stopped, stopped_blocks) = runs[0.0], runs[0.5]
    assert extra.blocks >= 3
    assert stopped.stopped_by == "gap_limit"
    assert len(stopped_blocks) == 1
    assert stopped.gap <= 0.5
    assert free.stopped_by != "gap_limit"
    assert len(free_blocks) >= 2


def test_blockwise_is_reproducible(tmp_path, no_hard_stop):
    path = generate_workbook(
        tmp_path / "book.xlsx", employees=240, workplaces=3, days=14, seed=7
    )
    inst = read_instance(path)
    runs = [
        schedule(
            read_instance(path), SolveParams(time_limit=4), block_choices=800
        ).solution
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert inst.employees


def test_lp_bound_sees_that_a_second_dose_needs_an_early_first():
    """One early place: only one of two people can finish the series in
    the horizon. Counting needs alone says four doses; the LP says three,
    which is what the solver proves optimal."""
    from datetime import timedelta

    from tests.factories import H0

    early = make_session("EARLY", start=600, end=630, capacity_per_slot=1)
    late = make_session(
        "LATE",
        date=H0 + timedelta(days=20),
        start=600,
        end=630,
        capacity_per_slot=2,
    )
    inst = make_instance(
        # two departments: rule 8 allows one jab a day in a team of two
        employees=[make_employee("A"), make_employee("B", department="HR")],
        sessions=[early, late],
        settings={"horizon_end": H0 + timedelta(days=27)},
    )
    extra = schedule(inst, SolveParams(time_limit=10))
    needs, sol, report = extra.needs, extra.solution, extra.report
    assert report.status == "OPTIMAL"
    assert len(sol.appointments) == 3
    options = all_options(inst, needs)
    met = report.objective["needs_met"]
    assert lp_bound(inst, needs, options) == pytest.approx(met)
    assert needs_alone(inst, needs, options) > met + 1


def test_a_broken_solver_schedule_falls_back_to_greedy(monkeypatch):
    """Should the model ever admit a broken schedule, the run keeps a
    valid one (the greedy start) and says so."""
    import scheduler.pipeline as pipeline

    inst, session = _two_buildings_one_centre(capacity=2, staff=3)
    real = pipeline.solve_by_blocks

    def overbooking(instance, needs, options, start, *args, **kw):
        found, report = real(instance, needs, options, start, *args, **kw)
        extra = make_appointment(session, "W2-2", travel_minutes=10)
        apps = (*found.appointments, extra, extra)
        return type(found)(appointments=apps), report

    monkeypatch.setattr(pipeline, "solve_by_blocks", overbooking)
    monkeypatch.setattr(
        pipeline, "_filled", lambda st, n, o, s, found, held: found
    )
    extra = schedule(inst, SolveParams(time_limit=5), block_choices=3)
    needs, sol, report = extra.needs, extra.solution, extra.report
    assert check_solution(inst, needs, sol) == []
    assert report.status == "HEURISTIC"
    assert any("internal error" in w for w in report.warnings)


def test_several_workers_give_the_same_schedule(tmp_path, no_hard_stop):
    """Two CP-SAT workers search in fixed turns, so two runs agree."""
    path = generate_workbook(
        tmp_path / "book.xlsx", employees=360, workplaces=3, days=21, seed=5
    )
    inst = read_instance(path)
    runs = [
        schedule(
            inst, SolveParams(time_limit=6, workers=2), block_choices=1500
        )
        for _ in range(2)
    ]
    first, second = runs
    assert first.solution.appointments == second.solution.appointments
    assert check_solution(inst, first.needs, first.solution) == []
    assert first.report.stages  # the solver ran


def test_pairs_share_no_session_and_keep_the_order():
    """Blocks solved side by side share no session; each group starts
    with the next block in the order, and every block comes once."""
    blocks = [
        Block(index=i, workplaces=("W",), employees=(f"e{i}",))
        for i in range(5)
    ]
    uses = {
        0: frozenset({"a"}),
        1: frozenset({"a", "b"}),
        2: frozenset({"c"}),
        3: frozenset({"b"}),
        4: frozenset({"c", "d"}),
    }
    groups = [[b.index for b in g] for g in pairs(blocks, uses)]
    assert groups == [[0, 2], [1, 4], [3]]
    assert [[b.index for b in g] for g in pairs(blocks, uses, 1)] == [
        [i] for i in range(5)
    ]


def test_vaccination_lp_falls_back_to_pdlp(tmp_path, monkeypatch):
    """When GLOP finds no optimum in its time limit (the issue-18 drive of
    100,000 staff), PDLP's dual bound still bounds the vaccinations, and
    its solution still plans them: a bound at least GLOP's optimum and a
    plan, instead of no LP at all."""
    inst, needs, options, _ = _drive(tmp_path, 240, 3, 7)
    exact = lp_relaxation(inst, needs, options)
    monkeypatch.setattr(lp_module, "_optimum", lambda lp: None)
    fallback = lp_relaxation(inst, needs, options)
    assert fallback.value is not None
    assert exact.value - 1e-6 <= fallback.value <= exact.value * 1.001
    assert fallback.plan.keys() == exact.plan.keys()
    assert any(any(row) for rows in fallback.plan.values() for row in rows)


def test_the_gap_limit_waits_for_the_bound_only_until_the_hard_stop():
    """The bound is awaited at a block's end, but not past the solve's
    hard stop: then the gap limit says 'go on' at once without the bound
    (and the next block does not start); with the bound there it judges
    the gap as before."""
    asked = []

    def bound():
        asked.append(True)
        return 100.0

    late = _gap_limit(0.05, 96.0, bound, lambda _: None, lambda _: False, 0)
    assert late is not None and late(0.0) is False and asked == []
    there = _gap_limit(0.05, 96.0, bound, lambda _: None)
    assert there is not None and there(0.0) is True and asked == [True]


def test_a_slow_bound_does_not_hold_the_solve_past_its_limit(
    tmp_path, monkeypatch
):
    """The tests' bound takes far longer than the time limit (a busy
    machine): the blocks stop at the hard stop instead of waiting for it
    after the first block, and the schedule is still valid."""
    import time as clock

    import scheduler.pipeline as pipeline

    def slow(*args):
        clock.sleep(12)
        return bound_on_tests(*args)

    monkeypatch.setattr(pipeline, "bound_on_tests", slow)
    path = generate_workbook(
        tmp_path / "book.xlsx", employees=360, workplaces=3, days=21, seed=5
    )
    inst = read_instance(path)
    seconds: dict[str, float] = {}
    found = schedule(
        inst,
        SolveParams(time_limit=3, gap_limit=0.5),
        seconds=seconds,
        block_choices=1500,
    )
    assert check_solution(inst, found.needs, found.solution) == []
    assert seconds["solve"] < 3 * blockwise.OVERRUN + 2
    assert found.report.stopped_by == "time_limit"
