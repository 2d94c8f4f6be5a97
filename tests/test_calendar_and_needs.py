"""Duty calendars and needs on small hand-made cases, solved and checked."""

from __future__ import annotations

from datetime import date, timedelta

from scheduler.core.domain import (
    DutyRow,
    Scope,
    Service,
    ShiftPattern,
)
from scheduler.core.domain import (
    TestRequirement as Requirement,
)
from scheduler.prepare.duty import duty_periods
from scheduler.prepare.needs import Urgency, compute_needs
from tests.factories import (
    H0,
    make_employee,
    make_instance,
    make_product,
    make_session,
)
from tests.test_rules import solve


def test_night_shift_is_vaccinated_in_an_evening_session():
    """A 20:00-08:00 shift reaches a 22:00-24:00 session; office staff not."""
    night = ShiftPattern(
        id="night", weekdays=frozenset(range(7)), start=1200, end=480
    )
    inst = make_instance(
        employees=[
            make_employee("N1", shift_pattern="night"),
            make_employee("O1", department="Office"),
        ],
        patterns=[night],
        sessions=[make_session("EVE", start=1320, end=1440)],
    )
    _, sol, _ = solve(inst)
    assert [a.employee_id for a in sol.appointments] == ["N1"]


def test_holiday_and_swapped_workday():
    """Office staff rest on a holiday and work a weekend ``workday``."""
    holiday = H0 + timedelta(days=1)  # a Wednesday
    saturday = H0 + timedelta(days=4)
    e = make_employee("E1")
    inst = make_instance(
        employees=[e],
        sessions=[
            make_session("HOL", date=holiday),
            make_session("SAT", date=saturday),
        ],
        holidays=frozenset({holiday}),
        workdays=frozenset({saturday}),
    )
    days = {p[0] // 1440 for p in duty_periods(inst, e)}
    assert 1 not in days and 4 in days
    _, sol, _ = solve(inst)
    assert [a.session_id for a in sol.appointments] == ["SAT"]


def test_cycle_pattern_and_duty_rows():
    """4-on/2-off from the horizon start; a duty row replaces day 5's rest."""
    cycle = ShiftPattern(
        id="c42",
        start=480,
        end=1200,
        cycle_on=4,
        cycle_off=2,
        cycle_anchor=H0,
    )
    day4 = H0 + timedelta(days=4)  # off in the cycle
    day5 = H0 + timedelta(days=5)  # off too, but a duty row puts them on
    e = make_employee("E1", shift_pattern="c42")
    inst = make_instance(
        employees=[e],
        patterns=[cycle],
        duty=(DutyRow(employee_id="E1", date=day5, start=540, end=1020),),
        sessions=[
            make_session("D4", date=day4),
            make_session("D5", date=day5),
        ],
    )
    days = sorted({p[0] // 1440 for p in duty_periods(inst, e)})
    assert 4 not in days and 5 in days
    _, sol, _ = solve(inst)
    assert [a.session_id for a in sol.appointments] == ["D5"]


def test_test_only_drive_without_products():
    """No vaccination sessions or products: tests are still scheduled."""
    window = Requirement(
        id="W", scope=Scope.ALL, window_start=H0, window_end=H0
    )
    inst = make_instance(
        employees=[make_employee("E1")],
        products=[],
        sessions=[
            make_session("T", service=Service.NUCLEIC_TEST, product=None)
        ],
        test_requirements=(window,),
    )
    needs, sol, _ = solve(inst)
    assert [a.session_id for a in sol.appointments] == ["T"]
    assert needs.vaccination["E1"].earliest == {}  # unmet: no product


def test_needs_follow_history():
    """Overdue, due, first, booster, booster received, boosters disabled."""
    last = date(2020, 11, 1)  # over 180 days before the horizon
    people = [
        make_employee("OVER", doses_received=1, last_dose_date=last),
        make_employee(
            "DUE", doses_received=1, last_dose_date=H0 - timedelta(days=20)
        ),
        make_employee("NEW"),
        make_employee("BOOST", doses_received=2, last_dose_date=last),
        make_employee("DONE", doses_received=3, last_dose_date=last),
        make_employee("EX", exemption="medical"),
    ]
    inst = make_instance(employees=people, sessions=[make_session()])
    needs = compute_needs(inst)
    v = needs.vaccination
    assert v["OVER"].urgency is Urgency.OVERDUE
    assert v["DUE"].urgency is Urgency.DUE
    assert v["DUE"].earliest == {"CoronaVac": H0}
    assert v["NEW"].urgency is Urgency.FIRST and v["NEW"].first_dose == 1
    assert v["BOOST"].booster
    assert "DONE" not in v and "EX" not in v
    assert needs.exempt == {"EX": 1}
    no_boost = make_instance(
        employees=people,
        sessions=[make_session()],
        settings={"boosters_enabled": False},
    )
    assert "BOOST" not in compute_needs(no_boost).vaccination


def test_dose_due_after_the_horizon_is_no_need():
    """Dose 2 whose earliest date lies after the horizon is not a need."""
    inst = make_instance(
        employees=[
            make_employee(
                "E1", doses_received=1, last_dose_date=H0 - timedelta(days=1)
            )
        ],
        products=[make_product(min_interval_days=21)],
        sessions=[make_session()],
    )
    assert compute_needs(inst).vaccination == {}


def test_second_dose_of_a_series_started_in_the_run():
    """Booking dose 1 early enough makes dose 2 a need, and it is met."""
    product = make_product(min_interval_days=7, max_interval_days=14)
    inst = make_instance(
        employees=[make_employee("E1")],
        products=[product],
        sessions=[
            make_session("S0"),
            make_session("S7", date=H0 + timedelta(days=7)),
        ],
    )
    _, sol, report = solve(inst)
    assert [(a.session_id, a.dose) for a in sol.appointments] == [
        ("S0", "1"),
        ("S7", "2"),
    ]
    assert report.objective["vaccinations_booked"] == 2
