"""The greedy baseline's own choices, on cases small enough to reason
about by hand (the schedule is checked against every rule each time)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.check.checker import check_solution
from scheduler.core.domain import Scope, Service, SiteKind
from scheduler.core.domain import TestRequirement as Requirement
from scheduler.heuristics.greedy import greedy_schedule, guide_from
from scheduler.model.lp_bound import lp_relaxation, vaccination_classes
from scheduler.prepare.candidates import all_options
from scheduler.prepare.needs import compute_needs
from tests.factories import (
    H0,
    make_employee,
    make_instance,
    make_product,
    make_session,
    make_site,
)

SCREEN = Requirement(
    id="SCREEN", scope=Scope.ALL, window_start=H0, window_end=H0
)


def _screening_case(early_places: int = 1):
    """Two buildings, one screening place each: the community site (first
    in time) is in reach of both, the onsite room of W1 only of W1's
    staff. A1 (W1) comes first in the greedy's order (higher priority)."""
    sites = [
        make_site("ROOM1", workplace_id="W1"),
        make_site("CHC", kind=SiteKind.COMMUNITY),
    ]
    test = {"service": Service.NUCLEIC_TEST, "capacity_per_slot": 1}
    sessions = [
        make_session(
            "EARLY",
            site_id="CHC",
            start=540,
            end=570,
            **{**test, "capacity_per_slot": early_places},
        ),
        make_session("LATE", site_id="ROOM1", start=600, end=630, **test),
    ]
    staff = [
        make_employee(
            "A1", workplace_id="W1", priority=5, exemption="declined"
        ),
        make_employee(
            "B1", workplace_id="W2", department="Sales", exemption="declined"
        ),
    ]
    return make_instance(
        employees=staff,
        sessions=sessions,
        sites=sites,
        travel={("W1", "CHC"): 0, ("W2", "CHC"): 0},
        test_requirements=(SCREEN,),
    )


def test_screening_places_are_matched_not_taken_first_come():
    inst = _screening_case()
    needs = compute_needs(inst)
    sol = greedy_schedule(inst, needs)
    assert check_solution(inst, needs, sol) == []
    where = {a.employee_id: a.session_id for a in sol.appointments}
    # First come, A1 would take the earlier CHC place and leave B1 none.
    assert where == {"A1": "LATE", "B1": "EARLY"}


def test_screening_plan_still_prefers_the_earliest_place_when_free():
    inst = _screening_case(early_places=2)
    needs = compute_needs(inst)
    sol = greedy_schedule(inst, needs)
    assert check_solution(inst, needs, sol) == []
    assert {a.session_id for a in sol.appointments} == {"EARLY"}
    assert len(sol.appointments) == 2


def _two_products_case():
    """One first-timer; product A only on the first day, B on the second
    and sixteen days later: only B completes the series in the horizon."""
    products = [make_product("A"), make_product("B")]
    sessions = [
        make_session("A-D0", product="A"),
        make_session("B-D1", product="B", date=H0 + timedelta(days=1)),
        make_session("B-D15", product="B", date=H0 + timedelta(days=15)),
    ]
    return make_instance(
        employees=[make_employee("E1")],
        sessions=sessions,
        products=products,
        settings={"horizon_end": H0 + timedelta(days=27)},
    )


def test_lp_guide_starts_a_series_where_it_can_be_completed():
    inst = _two_products_case()
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    relaxation = lp_relaxation(inst, needs, options)
    # The LP gives E1's class both doses of B.
    (plan,) = relaxation.plan.values()
    assert plan[0] == pytest.approx({"B-D1": 1.0})
    assert plan[1] == pytest.approx({"B-D15": 1.0})
    guide = guide_from(
        relaxation.plan, vaccination_classes(inst, needs, options)
    )
    sol = greedy_schedule(inst, needs, options, guide=guide)
    assert check_solution(inst, needs, sol) == []
    assert [a.session_id for a in sol.appointments] == ["B-D1", "B-D15"]
    # Unguided, the earliest slot comes first (product A) and the second
    # dose has nowhere to go.
    plain = greedy_schedule(inst, needs, options)
    assert [a.session_id for a in plain.appointments] == ["A-D0"]
    # The guide is a copy: the plan itself keeps its values.
    assert relaxation.plan[next(iter(relaxation.plan))][0]["B-D1"] == 1.0


def test_lp_guide_falls_back_to_the_earliest_slot_when_planned_ones_are_full():
    inst = _two_products_case()
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    key = vaccination_classes(inst, needs, options)["E1"]
    # A plan that names a session the class cannot use is ignored.
    guide = guide_from({key: [{"NOPE": 1.0}, {}]}, {"E1": key})
    sol = greedy_schedule(inst, needs, options, guide=guide)
    assert check_solution(inst, needs, sol) == []
    assert [a.session_id for a in sol.appointments] == ["A-D0"]


def test_cadence_days_before_a_screening_test_are_covered_too():
    """A screening test booked mid-horizon must not make the greedy skip
    the cadence days before it; alone, the person reaches the best
    coverage any choice of their candidate dates gives."""
    cadence = Requirement(id="EVERY3", scope=Scope.ALL, every_days=3)
    mid = H0 + timedelta(days=7)
    screen = Requirement(
        id="SCREEN", scope=Scope.ALL, window_start=mid, window_end=mid
    )
    test = {"service": Service.NUCLEIC_TEST, "capacity_per_slot": 1}
    sessions = [
        make_session(f"T{d}", date=H0 + timedelta(days=d), **test)
        for d in range(14)
    ]
    inst = make_instance(
        employees=[make_employee("E1", exemption="declined")],
        sessions=sessions,
        test_requirements=(cadence, screen),
    )
    needs = compute_needs(inst)
    options = all_options(inst, needs)
    sol = greedy_schedule(inst, needs, options)
    assert check_solution(inst, needs, sol) == []
    booked = [a.date for a in sol.appointments]
    assert mid in booked
    (need,) = [n for n in needs.tests["E1"] if n.every_days]
    days = inst.settings.dates()
    candidates = [
        inst.sessions[o.session_id].date for o in options["E1"].tests
    ]
    best = need.covered_days(candidates, days)
    assert best > need.covered_days([mid], days)  # the case has a gap
    assert need.covered_days(booked, days) == best
