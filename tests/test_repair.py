"""The tests' repair (scheduler/heuristics/repair.py): each person's
tests re-planned alone, on cases small enough to reason about by hand."""

from __future__ import annotations

from datetime import timedelta

from scheduler import pipeline
from scheduler.check.checker import check_solution, needs_met
from scheduler.core.domain import Scope, Service
from scheduler.core.domain import TestRequirement as Requirement
from scheduler.core.solution import Solution
from scheduler.dev.generate import generate_workbook
from scheduler.heuristics.day_chain import best_test_days, coverage_value
from scheduler.heuristics.greedy import (
    BookingState,
    _find,
    fill_schedule,
    greedy_schedule,
    refill_state,
)
from scheduler.heuristics.repair import (
    fill_and_repair,
    repair_tests,
    take_places,
)
from scheduler.io.read.read import read_instance
from scheduler.prepare.candidates import all_options
from scheduler.prepare.needs import TestNeed as Need
from scheduler.prepare.needs import compute_needs
from tests.factories import H0, make_employee, make_instance, make_session

DAYS = [H0 + timedelta(days=d) for d in range(14)]


def _day(d: int):
    return H0 + timedelta(days=d)


def test_best_test_days_covers_every_day_with_the_fewest_tests():
    weekly = Need(
        employee_id="E1",
        requirement_id="WEEKLY",
        every_days=7,
        last_test=_day(-1),
    )
    offered = [_day(d) for d in (1, 2, 3, 6, 9, 13)]
    chosen = best_test_days((weekly,), offered, DAYS)
    # The recorded test covers days 0-5; no single test covers days 6-13,
    # two do (one by day 6, the next at most 7 days later and by day 13).
    assert weekly.covered_days(chosen, DAYS) == 14
    assert len(chosen) == 2
    assert all(weekly.covered_days([d], DAYS) < 14 for d in offered)


def test_best_test_days_meets_a_window_with_the_same_tests():
    weekly = Need(
        employee_id="E1",
        requirement_id="WEEKLY",
        every_days=7,
        last_test=_day(-1),
    )
    screen = Need(
        employee_id="E1", requirement_id="SCREEN", window=(_day(2), _day(3))
    )
    offered = [_day(d) for d in (1, 2, 3, 6, 9, 13)]
    chosen = best_test_days((weekly, screen), offered, DAYS)
    assert screen.met_by(chosen)
    assert weekly.covered_days(chosen, DAYS) == 14
    assert len(chosen) == 2  # day 2 or 3 then day 9: nothing more needed
    assert coverage_value((weekly, screen), chosen, DAYS) == 14 + 14


def test_best_test_days_without_any_day_keeps_the_recorded_test():
    weekly = Need(
        employee_id="E1",
        requirement_id="WEEKLY",
        every_days=7,
        last_test=_day(-1),
    )
    assert best_test_days((weekly,), [], DAYS) == []


def test_best_test_days_without_windows_chains_as_with_one():
    """Cadence needs alone take a shorter path: it picks the chain the
    general one picks beside a window that no offered day meets."""
    weekly = Need(
        employee_id="E1",
        requirement_id="WEEKLY",
        every_days=7,
        last_test=_day(-1),
    )
    every3 = Need(
        employee_id="E1",
        requirement_id="EVERY3",
        every_days=3,
        last_test=_day(-2),
    )
    late = Need(
        employee_id="E1", requirement_id="LATE", window=(_day(13), _day(13))
    )
    offered = [_day(d) for d in (0, 1, 2, 4, 5, 7, 8, 10, 11, 12)]
    for needs in [(weekly,), (every3,), (weekly, every3)]:
        alone = best_test_days(needs, offered, DAYS)
        assert alone == best_test_days((*needs, late), offered, DAYS)
        assert alone and alone == sorted(alone)
    # Every three days from day 1 on covers the fortnight with 5 tests
    # (1, 4, 7, 10, 12 or the like; day 13 is not offered).
    chosen = best_test_days((every3,), offered, DAYS)
    assert every3.covered_days(chosen, DAYS) == 14
    assert len(chosen) == 5


def _blocking_dose_case():
    """E1 needs one dose (their second) and a test every 7 days. Doses on
    day 6 or day 9; tests only on days 6 and 13 (12 is a Sunday); day 6's
    dose and test both have one slot, at 09:00. The greedy books the
    earliest dose, day 6, which leaves no test for days 6-11 (one place
    at a time); the dose on day 9 lets both tests in."""
    weekly = Requirement(id="WEEKLY", scope=Scope.ALL, every_days=7)
    test = {"service": Service.NUCLEIC_TEST}
    sessions = [
        make_session("V6", date=_day(6), end=570),
        make_session("V9", date=_day(9)),
        make_session("T6", date=_day(6), end=570, **test),
        make_session("T13", date=_day(13), **test),
    ]
    return make_instance(
        employees=[make_employee("E1", doses_received=1)],
        sessions=sessions,
        test_requirements=(weekly,),
    )


def test_repair_moves_a_dose_that_blocks_a_test():
    inst = _blocking_dose_case()
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    greedy = greedy_schedule(inst, needs, options)
    assert {a.session_id for a in greedy.appointments} == {"V6", "T13"}
    repaired = repair_tests(inst, needs, options, greedy)
    assert check_solution(inst, needs, repaired) == []
    assert {a.session_id for a in repaired.appointments} == {
        "V9",
        "T6",
        "T13",
    }
    assert needs_met(inst, needs, repaired) > needs_met(inst, needs, greedy)
    # The dose keeps its label.
    (jab,) = [
        a for a in repaired.appointments if a.service.value == "vaccination"
    ]
    (old,) = [
        a for a in greedy.appointments if a.service.value == "vaccination"
    ]
    assert jab.dose == old.dose


def test_repair_leaves_held_people_as_they_are():
    inst = _blocking_dose_case()
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    greedy = greedy_schedule(inst, needs, options)
    kept = repair_tests(inst, needs, options, greedy, frozenset({"E1"}))
    assert kept.appointments == greedy.appointments


def test_repair_cancels_a_test_that_covers_nothing_more():
    """Tests on days 0 and 1 where the one on day 0 covers every day: the
    spare one goes, and its place is free for others."""
    fortnightly = Requirement(id="EVERY14", scope=Scope.ALL, every_days=14)
    test = {"service": Service.NUCLEIC_TEST}
    sessions = [
        make_session("T0", date=_day(0), **test),
        make_session("T1", date=_day(1), **test),
    ]
    inst = make_instance(
        employees=[make_employee("E1", exemption="declined")],
        sessions=sessions,
        test_requirements=(fortnightly,),
    )
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    st = BookingState(inst)
    for sid in ("T0", "T1"):
        st.book("E1", _find(options["E1"], sid), 0, None)
    two = Solution(appointments=tuple(st.apps))
    assert check_solution(inst, needs, two) == []
    repaired = repair_tests(inst, needs, options, two)
    assert check_solution(inst, needs, repaired) == []
    assert [a.session_id for a in repaired.appointments] == ["T0"]
    assert needs_met(inst, needs, repaired) == needs_met(inst, needs, two)


def test_refill_from_the_start_state_equals_a_fresh_fill(tmp_path):
    """The fill after the solve goes on from the start's booking state,
    taking out and in only what the solve changed: the same schedule as a
    fill of the solver's schedule from scratch."""
    path = generate_workbook(
        tmp_path / "book.xlsx", employees=150, workplaces=2, days=28, seed=1
    )
    inst = read_instance(path)
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    start, state = fill_and_repair(
        inst, needs, options, greedy_schedule(inst, needs, options)
    )
    # A "solver" that drops every third appointment and moves nothing.
    found = Solution(appointments=start.appointments[::3])
    kept = refill_state(state, needs, options, start, found)
    refilled = state.solution(kept)
    fresh = fill_schedule(inst, needs, options, found)
    assert check_solution(inst, needs, refilled) == []
    assert set(refilled.appointments) == set(fresh.appointments)
    assert needs_met(inst, needs, refilled) > needs_met(inst, needs, found)


def test_tests_are_re_planned_after_the_solve_too():
    """The fill after the solve (pipeline._filled) ends with a repair of
    those still short: a solver's schedule with the blocking dose gets
    the dose moved and both tests, unless the person is held."""
    inst = _blocking_dose_case()
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    found = greedy_schedule(inst, needs, options)
    assert {a.session_id for a in found.appointments} == {"V6", "T13"}
    for held, sessions in (
        (frozenset(), {"V9", "T6", "T13"}),
        (frozenset({"E1"}), {"V6", "T13"}),
    ):
        state, _ = BookingState.holding(inst, found, options)
        after = pipeline._filled(state, needs, options, found, found, held)
        assert {a.session_id for a in after.appointments} == sessions
        assert check_solution(inst, needs, after) == []


def _full_date_case():
    """E1 can be screened only on day 8, E2 on day 7 or 8 (a Tuesday and
    a Wednesday); each day has one place (one 30-minute slot of one
    person)."""
    test = {
        "service": Service.NUCLEIC_TEST,
        "end": 570,
        "capacity_per_slot": 1,
    }
    windows = (
        Requirement(
            id="ONLY8",
            scope=Scope.DEPARTMENT,
            value="A",
            window_start=_day(8),
            window_end=_day(8),
        ),
        Requirement(
            id="SEVEN_OR_EIGHT",
            scope=Scope.DEPARTMENT,
            value="B",
            window_start=_day(7),
            window_end=_day(8),
        ),
    )
    return make_instance(
        employees=[
            make_employee("E1", department="A", exemption="declined"),
            make_employee("E2", department="B", exemption="declined"),
        ],
        sessions=[
            make_session("T7", date=_day(7), **test),
            make_session("T8", date=_day(8), **test),
        ],
        test_requirements=windows,
    )


def test_a_short_person_takes_the_place_of_one_who_can_move():
    """E2 holds day 8's only place, which E1 alone needs. Re-planning each
    person against the others cannot help (day 8 is full for E1, and E2
    is not short); trading places can: E2 moves to day 7 and E1 takes day
    8. People held keep theirs."""
    inst = _full_date_case()
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    st = BookingState(inst)
    st.book("E2", _find(options["E2"], "T8"), 0, None)
    blocked = st.solution()
    assert check_solution(inst, needs, blocked) == []
    assert repair_tests(inst, needs, options, blocked) == blocked
    for held, booked in (
        (frozenset(), {("E1", "T8"), ("E2", "T7")}),
        (frozenset({"E2"}), {("E2", "T8")}),
    ):
        st, _ = BookingState.holding(inst, blocked, options)
        take_places(st, needs, options, held)
        traded = st.solution()
        assert {
            (a.employee_id, a.session_id) for a in traded.appointments
        } == (booked)
        assert check_solution(inst, needs, traded) == []
        if not held:
            assert needs_met(inst, needs, traded) > needs_met(
                inst, needs, blocked
            )


def _traded_drive(tmp_path):
    """A small tight drive with frequent tests: sessions fill up, people
    end short and trade places (take_places)."""
    path = generate_workbook(
        tmp_path / "book.xlsx",
        employees=600,
        workplaces=2,
        days=28,
        seed=3,
        tight=True,
        shape="frequent-tests",
    )
    inst = read_instance(path)
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    return inst, needs, options


def test_slot_scans_agree_with_fits_slot_by_slot(tmp_path):
    """BookingState.fitting and first_fit (the checks that do not depend
    on the slot made once per scan) find the slots that ``fits`` finds
    one by one, in either direction; clash_dates leaves out no date of a
    session that may clash."""
    inst, needs, options = _traded_drive(tmp_path)
    _, st = fill_and_repair(
        inst, needs, options, greedy_schedule(inst, needs, options)
    )
    fit = unfit = 0
    reasons = set()
    for eid, opts in options.items():
        for o in [o for row in opts.vaccination for o in row] + opts.tests:
            every = range(len(o.slots))
            one_by_one = [i for i in every if st.fits(eid, opts, o, i)]
            reasons |= {st.why_not(eid, opts, o, i) for i in every}
            assert list(st.fitting(eid, opts, o, every)) == one_by_one
            back = list(st.fitting(eid, opts, o, reversed(every)))
            assert back == one_by_one[::-1]
            tried = [i for i in st.slots_to_try(o) if i in one_by_one]
            assert st.first_fit(eid, opts, o) == next(iter(tried), None)
            fit += len(one_by_one)
            unfit += len(every) - len(one_by_one)
            near = st.clash_dates(opts, o.session_id)
            for t in opts.tests:
                if inst.sessions[t.session_id].date not in near:
                    assert not opts.may_clash(o.session_id, t.session_id)
    assert fit > 0 and unfit > 0
    assert {"full", "conflict", "team_limit"} <= reasons


def test_trades_reuse_fits_without_changing_the_schedule(
    tmp_path, monkeypatch
):
    """A trader's fits kept across their trades (repair._Memo) give the
    schedule that finding every fit anew gives, with fewer fits found."""
    from scheduler.heuristics import repair

    inst, needs, options = _traded_drive(tmp_path)
    greedy = greedy_schedule(inst, needs, options)
    scans = []
    first_fit = repair._first_fit

    def counted(st, eid, opts, o):
        scans.append(eid)
        return first_fit(st, eid, opts, o)

    monkeypatch.setattr(repair, "_first_fit", counted)
    kept, _ = fill_and_repair(inst, needs, options, greedy)
    with_memo = len(scans)
    scans.clear()
    monkeypatch.setattr(repair._Memo, "_holds", lambda self, o: False)
    anew, _ = fill_and_repair(inst, needs, options, greedy)
    assert kept.appointments == anew.appointments
    assert with_memo < len(scans)
    assert check_solution(inst, needs, kept) == []
