"""Coverage statistics on small cases computed by hand."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.core.domain import Scope, Service
from scheduler.core.domain import TestRequirement as Requirement
from scheduler.core.solution import Solution
from scheduler.prepare.needs import compute_needs
from scheduler.report.stats import compute_coverage, totals
from tests.factories import (
    H0,
    make_appointment,
    make_employee,
    make_instance,
    make_product,
    make_session,
    make_workplace,
)


def four_people():
    """W1, target 90 %, horizon 2021-06-01..14 (14 days).

    E1 Ops: fully vaccinated before (2 of CoronaVac), books a booster.
    E2 Ops: nothing before, books dose 1 of the 1-dose product OneShot.
    E3 IT:  nothing before, books doses 1 and 2 of CoronaVac in the run.
    E4 IT:  exempt, nothing.
    Tests: everyone every 7 days (R7); IT a screening window 06-01..03.
    E1 tests on 06-05, E3 on 06-02.
    """
    vac = make_session("V1", date=H0, doses_available=5)
    one = make_session("V2", date=H0, product="OneShot")
    vac2 = make_session("V3", date=date(2021, 6, 14))
    pcr = make_session(
        "T1", service=Service.NUCLEIC_TEST, date=date(2021, 6, 2)
    )
    pcr2 = make_session(
        "T2", service=Service.NUCLEIC_TEST, date=date(2021, 6, 5)
    )
    instance = make_instance(
        employees=[
            make_employee(
                "E1",
                department="Ops",
                doses_received=2,
                last_dose_date=date(2020, 11, 1),
            ),
            make_employee("E2", department="Ops"),
            make_employee("E3", department="IT"),
            make_employee("E4", department="it", exemption="medical"),
        ],
        sessions=[vac, one, vac2, pcr, pcr2],
        products=[
            make_product(),
            make_product(
                "OneShot", doses=1, min_interval_days=0, max_interval_days=0
            ),
        ],
        test_requirements=(
            Requirement(id="R7", scope=Scope.ALL, every_days=7),
            Requirement(
                id="SCR",
                scope=Scope.DEPARTMENT,
                value="IT",
                window_start=date(2021, 6, 1),
                window_end=date(2021, 6, 3),
            ),
        ),
    )
    solution = Solution(
        appointments=(
            make_appointment(vac, "E1", dose="booster"),
            make_appointment(one, "E2", dose="1"),
            make_appointment(vac, "E3", slot=1, dose="1"),
            make_appointment(vac2, "E3", dose="2"),
            make_appointment(pcr2, "E1"),
            make_appointment(pcr, "E3"),
        )
    )
    return instance, solution


def test_workplace_numbers_by_hand():
    instance, solution = four_people()
    cov = compute_coverage(instance, compute_needs(instance), solution)
    (w,) = cov.workplaces
    assert (w.workplace_id, w.headcount, w.exempt) == ("W1", 4, 1)
    assert w.fully_before == 1 and w.rate_before == 0.25
    assert w.series_doses_booked == 3 and w.boosters_booked == 1
    # E1 before, E2 (1-dose product), E3 (series completed in the run).
    assert w.fully_after == 3
    assert w.rate == 0.75
    assert w.rate_non_exempt == 1.0  # 3 of the 3 non-exempt
    assert w.target == 0.9
    assert w.gap == pytest.approx(0.15)
    assert w.missing == 1  # ceil(0.9 * 4) = 4 people, 3 projected
    assert not w.meets_target
    # Cadence: 4 people x 14 days. Without a test one is covered 06-01..06
    # (6 days); E1 tested 06-05 → 06-01..11 (11); E3 06-02 → 06-01..08 (8).
    assert w.cadence_needs == 4 and w.person_days == 56
    assert w.person_days_covered == 11 + 6 + 8 + 6
    assert w.person_day_rate == pytest.approx(31 / 56)
    # Screening: E3 tested inside the window, E4 not.
    assert (w.window_needs, w.window_met, w.window_rate) == (2, 1, 0.5)


def test_department_numbers_by_hand():
    instance, solution = four_people()
    cov = compute_coverage(instance, compute_needs(instance), solution)
    by = {d.department.casefold(): d for d in cov.departments}
    assert set(by) == {"ops", "it"}  # 'IT' and 'it' are one department
    ops, it = by["ops"], by["it"]
    assert (ops.headcount, ops.fully_after, ops.rate, ops.gap) == (
        2,
        2,
        1.0,
        0.0,
    )
    assert ops.missing == 0 and ops.meets_target
    assert (it.headcount, it.exempt, it.fully_after) == (2, 1, 1)
    assert it.rate == 0.5 and it.rate_non_exempt == 1.0
    assert it.gap == pytest.approx(0.4)
    assert it.missing == 1  # ceil(1.8) = 2
    assert it.workplace_id == "W1" and it.workplace_name == "Building W1"


def test_partial_series_is_not_fully_vaccinated():
    vac = make_session("V1")
    instance = make_instance(employees=[make_employee("E1")], sessions=[vac])
    solution = Solution(appointments=(make_appointment(vac, "E1"),))
    cov = compute_coverage(instance, compute_needs(instance), solution)
    (w,) = cov.workplaces
    assert w.series_doses_booked == 1 and w.fully_after == 0
    assert w.rate == 0.0 and w.missing == 1


def test_second_dose_of_a_series_begun_before_completes_it():
    vac = make_session("V1")
    instance = make_instance(
        employees=[
            make_employee(
                "E1", doses_received=1, last_dose_date=date(2021, 5, 1)
            )
        ],
        sessions=[vac],
    )
    solution = Solution(appointments=(make_appointment(vac, "E1", dose="2"),))
    cov = compute_coverage(instance, compute_needs(instance), solution)
    assert cov.workplaces[0].fully_after == 1


def test_target_rounding_does_not_ask_for_an_extra_person():
    # 0.7 * 10 is 7.000000000000001 in floating point.
    instance = make_instance(
        employees=[make_employee(f"E{i}", doses_received=2) for i in range(7)]
        + [make_employee(f"N{i}") for i in range(3)],
        settings={"coverage_target": 0.7},
    )
    cov = compute_coverage(instance, compute_needs(instance), Solution())
    (w,) = cov.workplaces
    assert w.rate == 0.7 and w.missing == 0 and w.gap == 0.0


def test_session_use():
    instance, solution = four_people()
    cov = compute_coverage(instance, compute_needs(instance), solution)
    by = {u.session_id: u for u in cov.sessions}
    v1 = by["V1"]  # 09:00-12:00, 6 slots x 2, but only 5 doses
    assert (v1.slots, v1.slot_capacity, v1.capacity, v1.booked) == (
        6,
        12,
        5,
        2,
    )
    assert v1.use == pytest.approx(0.4)
    assert by["T2"].capacity == 12 and by["T2"].booked == 1
    assert [u.session_id for u in cov.sessions] == [
        "V1",
        "V2",
        "T1",
        "T2",
        "V3",
    ]


def test_empty_workplace_has_no_rate():
    instance = make_instance(
        employees=[make_employee("E1")],
        workplaces=[make_workplace("W1"), make_workplace("W2")],
    )
    cov = compute_coverage(instance, compute_needs(instance), Solution())
    w2 = next(w for w in cov.workplaces if w.workplace_id == "W2")
    assert w2.headcount == 0 and w2.rate is None and w2.gap is None
    assert w2.missing == 0


def test_totals_lines():
    instance, solution = four_people()
    cov = compute_coverage(instance, compute_needs(instance), solution)
    lines = totals(cov)
    assert lines[0].startswith("W1 Building W1: vaccinated 3/4 = 75.0%")
    assert "target 90.0%, 1 short" in lines[0]
    assert "31/56 person-days" in lines[1]
    assert "1/2 screening" in lines[1]


def test_window_met_by_the_last_recorded_test_counts_as_met():
    """Issue 20 #5: a screening window (05-28..06-03) that the last
    recorded test (05-31) meets is a need of the run, counted as met, in
    run.json's counts and in coverage; E2 (tested 05-20) still needs
    one."""
    from scheduler.check.checker import counts_of

    inst = make_instance(
        employees=[
            make_employee("E1", last_test_date=date(2021, 5, 31)),
            make_employee("E2", last_test_date=date(2021, 5, 20)),
        ],
        test_requirements=(
            Requirement(
                id="S",
                scope=Scope.ALL,
                window_start=date(2021, 5, 28),
                window_end=date(2021, 6, 3),
            ),
        ),
    )
    needs = compute_needs(inst)
    assert "E1" not in needs.tests  # nothing to schedule for E1
    counts = counts_of(inst, needs, Solution())
    assert (counts["test_windows"], counts["test_windows_met"]) == (2, 1)
    (w,) = compute_coverage(inst, needs, Solution()).workplaces
    assert (w.window_needs, w.window_met) == (2, 1)
