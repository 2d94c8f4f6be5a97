"""Re-plans keep booked appointments unless a change gains more than
``change_cost`` (domain.md, "What best means" 5 and 1b; issue 16).

Each case is small enough for one model, so the solver's answer is exact:
what the tests see is the price at work, not a time limit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from scheduler.check.checker import check_solution
from scheduler.core.domain import (
    Absence,
    Booking,
    Scope,
    Service,
)
from scheduler.core.domain import TestRequirement as Requirement
from scheduler.model.solve import SolveParams
from scheduler.pipeline import schedule
from scheduler.report.changes import change_counts, compute_changes
from tests.factories import H0, make_employee, make_instance, make_session

PARAMS = SolveParams(time_limit=10, workers=1)


def _replan(inst):
    found = schedule(inst, PARAMS)
    assert not check_solution(inst, found.needs, found.solution)
    changes = compute_changes(inst, found.solution, found.forced)
    return found, changes, change_counts(changes, inst)


def _where(found, emp: str) -> list[tuple[str, int]]:
    return sorted(
        (a.session_id, a.slot_start)
        for a in found.solution.appointments
        if a.employee_id == emp
    )


def _stage(found, level: str) -> int:
    return next(s["value"] for s in found.report.stages if s["level"] == level)


# A one-place dose session A is booked into; B can use no other (away on
# V2's day), while A could go to V2 as well.
V1 = make_session("V1", start=540, end=570, capacity_per_slot=1)
V2 = make_session("V2", date=H0 + timedelta(days=3))


def _dose_case(**settings):
    return make_instance(
        employees=[
            make_employee("A", department="Ops"),
            make_employee("B", department="Sales"),
        ],
        sessions=[V1, V2],
        absences=(
            Absence(employee_id="B", start_date=V2.date, end_date=V2.date),
        ),
        bookings=(Booking(employee_id="A", session_id="V1", slot_start=540),),
        settings=settings,
    )


def test_a_move_that_meets_a_dose_is_made_and_counted():
    """B's dose is worth the horizon's days (14) at its weight: far above
    two test days, so A moves and B takes the place."""
    found, changes, counts = _replan(_dose_case())
    assert _where(found, "A") == [("V2", V2.start)]
    assert _where(found, "B") == [("V1", 540)]
    (moved,) = [c for c in changes if c.change == "moved"]
    assert (moved.employee_id, moved.reason) == ("A", "gain")
    assert not moved.forced
    assert (counts.kept, counts.moved, counts.cancelled) == (0, 1, 0)
    assert found.report.objective["changes"] == counts.changes == 1
    assert _stage(found, "changes") == 1


# One test day: A's screening test (window H0..H0+1) holds the only place
# of T0; B's 7-day cadence starts uncovered on H0, so a test in T0 covers
# all 7 days of the horizon and one in T1 six.
T0 = make_session(
    "T0", service=Service.NUCLEIC_TEST, start=540, end=570, capacity_per_slot=1
)
T1 = make_session(
    "T1", service=Service.NUCLEIC_TEST, date=H0 + timedelta(days=1)
)


def _test_day_case(cost: float):
    return make_instance(
        employees=[
            make_employee("A", department="Ops", exemption="declined"),
            make_employee(
                "B",
                department="Sales",
                exemption="declined",
                last_test_date=H0 - timedelta(days=7),
            ),
        ],
        sessions=[T0, T1],
        test_requirements=(
            Requirement(
                id="SCREEN",
                scope=Scope.DEPARTMENT,
                value="Ops",
                window_start=H0,
                window_end=H0 + timedelta(days=1),
            ),
            Requirement(
                id="WEEKLY",
                scope=Scope.DEPARTMENT,
                value="Sales",
                every_days=7,
            ),
        ),
        bookings=(Booking(employee_id="A", session_id="T0", slot_start=540),),
        settings={
            "horizon_end": H0 + timedelta(days=6),
            "change_cost": cost,
        },
    )


def test_a_move_gaining_one_test_day_waits_at_the_default_cost():
    found, _, counts = _replan(_test_day_case(2))
    assert _where(found, "A") == [("T0", 540)]
    assert [s for s, _ in _where(found, "B")] == ["T1"]
    assert (counts.kept, counts.changes) == (1, 0)
    assert found.report.objective["changes"] == 0


def test_a_move_gaining_one_test_day_is_made_at_cost_zero():
    found, changes, counts = _replan(_test_day_case(0))
    assert [s for s, _ in _where(found, "A")] == ["T1"]
    assert ("T0", 540) in _where(found, "B")
    assert (counts.kept, counts.moved, counts.cancelled) == (0, 1, 0)
    assert [c.reason for c in changes if c.change == "moved"] == ["gain"]
    assert found.report.objective["changes"] == 1


def test_an_absence_over_the_booked_date_cancels_it_with_its_reason():
    """Whatever change_cost is: a forced change costs nothing."""
    inst = make_instance(
        employees=[make_employee("A")],
        sessions=[V1],
        absences=(Absence(employee_id="A", start_date=H0, end_date=H0),),
        bookings=(Booking(employee_id="A", session_id="V1", slot_start=540),),
        settings={"change_cost": 1e6},
    )
    found, changes, counts = _replan(inst)
    assert found.solution.appointments == ()
    (c,) = changes
    assert (c.change, c.reason, c.forced) == ("cancelled", "away", True)
    assert (counts.cancelled, counts.forced) == (1, 1)
    assert found.report.objective["changes"] == 1


def test_a_slot_move_within_the_session_is_a_change():
    """A pinned booking takes A's slot (one place a slot): A keeps the
    session but moves to the next slot, which the sheet and the
    objective both count, with its cause."""
    v = replace(V1, end=600, capacity_per_slot=1)
    inst = make_instance(
        employees=[
            make_employee("A", department="Ops"),
            make_employee("C", department="Sales"),
        ],
        sessions=[v],
        bookings=(
            Booking(
                employee_id="C", session_id="V1", slot_start=540, pinned=True
            ),
            Booking(employee_id="A", session_id="V1", slot_start=540),
        ),
    )
    found, changes, counts = _replan(inst)
    assert _where(found, "A") == [("V1", 570)]
    (c,) = [c for c in changes if c.employee_id == "A"]
    assert (c.change, c.old_session_id, c.new_session_id) == (
        "moved",
        "V1",
        "V1",
    )
    assert (c.old_slot_start, c.new_slot_start, c.reason) == (540, 570, "full")
    assert (counts.moved, counts.forced) == (1, 1)
    assert found.report.objective["changes"] == 1
    assert _stage(found, "changes") == 1


def test_a_pinned_booking_in_a_slot_is_no_kept_place_for_a_teammate():
    """A and C are one slot group (same team, travel and slots); C's
    pinned booking holds the only place of A's slot. The model once took
    the slot's count (C's place) as room to keep A, so its ``changes``
    stage said 0 while the schedule moved A, and handing the slot to A
    broke C's pin (the run fell back to the greedy schedule)."""
    v = replace(V1, end=600, capacity_per_slot=1)
    inst = make_instance(
        employees=[
            make_employee("A", department="Ops"),
            make_employee("C", department="Ops"),
        ],
        sessions=[v],
        bookings=(
            Booking(employee_id="A", session_id="V1", slot_start=540),
            Booking(
                employee_id="C", session_id="V1", slot_start=540, pinned=True
            ),
        ),
        settings={
            "team_vaccinated_per_day_max_share": 1.0,
            "team_away_max_share": 1.0,
        },
    )
    found, changes, counts = _replan(inst)
    assert found.report.status == "OPTIMAL"
    assert _where(found, "C") == [("V1", 540)]
    assert _where(found, "A") == [("V1", 570)]
    (c,) = [c for c in changes if c.employee_id == "A"]
    assert (c.change, c.new_slot_start, c.reason) == ("moved", 570, "full")
    assert (counts.moved, counts.forced) == (1, 1)
    assert _stage(found, "changes") == found.report.objective["changes"] == 1


def test_notices_mark_who_must_be_told():
    """notices.xlsx's change column: moved, cancelled (with the cancelled
    appointment in the notice) and new; nothing for a kept booking."""
    from scheduler.core.solution import Solution
    from scheduler.io.write.notices import notice_rows
    from tests.factories import make_appointment

    inst = make_instance(
        employees=[make_employee(e) for e in ("K", "M", "C", "N")],
        sessions=[V1, V2],
        bookings=tuple(
            Booking(employee_id=e, session_id=s.id, slot_start=s.start)
            for e, s in (("K", V2), ("M", V1), ("C", V2))
        ),
    )
    sol = Solution(
        appointments=(
            make_appointment(V2, "K"),
            make_appointment(V2, "M", slot=1),
            make_appointment(V2, "N", slot=2),
        )
    )
    rows = {r[0]: r for r in notice_rows(inst, sol, "en")}
    assert {e: r[4] for e, r in rows.items()} == {
        "K": "",
        "M": "moved",
        "C": "cancelled",
        "N": "new",
    }
    assert rows["C"][5] == (
        "CANCELLED: Vaccination (CoronaVac) on Fri 2021-06-04 09:00-09:30 "
        "at Site SITE1"
    )
    zh = {r[0]: r for r in notice_rows(inst, sol, "zh")}
    assert zh["C"][4] == "已取消" and zh["C"][5].startswith("已取消：")


def test_a_huge_change_cost_is_capped_where_it_keeps_everything():
    """Above what any change can gain (two needs met in full at the top
    weight) the price changes nothing, so it stops there: coefficients of
    millions slowed CP-SAT down by ten times on 10,000 staff."""
    from scheduler.prepare.booked import change_price
    from scheduler.prepare.needs import Urgency, need_weight

    top = need_weight(Urgency.OVERDUE, 5) * 14  # the factories' 14 days
    assert change_price(_dose_case(change_cost=2)) == 2 * 21
    assert change_price(_dose_case(change_cost=1e6)) == 2 * top + 1
