"""compute_changes: bookings of an earlier run against the new schedule,
and the ``changes`` sheet of schedule.xlsx."""

from __future__ import annotations

from datetime import date, timedelta

from openpyxl import load_workbook

from scheduler.core.domain import Booking, BookingStatus, Service
from scheduler.core.solution import Solution
from scheduler.io.write.schedule import CHANGE_COLUMNS, write_schedule
from scheduler.report.changes import compute_changes
from tests.factories import (
    H0,
    make_appointment,
    make_employee,
    make_instance,
    make_session,
)

VAC = make_session("V1")  # 09:00-12:00 on H0, slots 540, 570, ...
VAC2 = make_session("V2", date=H0 + timedelta(days=2))
PCR = make_session("T1", service=Service.NUCLEIC_TEST, date=H0 + timedelta(1))
PCR2 = make_session("T2", service=Service.NUCLEIC_TEST, date=H0 + timedelta(3))
OLD = make_session("V0", date=H0 - timedelta(days=5))  # before the horizon


def instance(*bookings: Booking):
    return make_instance(
        employees=[make_employee(f"E{i}") for i in range(1, 6)],
        sessions=[VAC, VAC2, PCR, PCR2, OLD],
        bookings=tuple(bookings),
    )


def booking(emp, session, slot=0, **kw):
    return Booking(
        employee_id=emp,
        session_id=session.id,
        slot_start=session.slots[slot][0],
        **kw,
    )


def kinds(changes):
    return [(c.employee_id, str(c.service), c.change) for c in changes]


def test_without_bookings_every_appointment_is_new():
    sol = Solution(
        appointments=(
            make_appointment(VAC, "E1"),
            make_appointment(PCR, "E1"),
            make_appointment(VAC, "E2", slot=1),
        )
    )
    changes = compute_changes(instance(), sol)
    assert kinds(changes) == [
        ("E1", "nucleic_test", "new"),
        ("E1", "vaccination", "new"),
        ("E2", "vaccination", "new"),
    ]
    c = changes[2]
    assert c.old_session_id is c.old_date is c.old_slot_start is None
    assert (c.new_session_id, c.new_date, c.new_slot_start) == ("V1", H0, 570)


def test_kept_moved_cancelled_new():
    inst = instance(
        booking("E1", VAC),  # kept
        booking("E2", VAC, slot=2),  # moved to V2
        booking("E3", PCR),  # cancelled: no test any more
        booking("E4", VAC),  # vaccination kept; test new
    )
    sol = Solution(
        appointments=(
            make_appointment(VAC, "E1"),
            make_appointment(VAC2, "E2", slot=1),
            make_appointment(VAC, "E4"),
            make_appointment(PCR2, "E4"),
        )
    )
    changes = compute_changes(inst, sol)
    assert kinds(changes) == [
        ("E1", "vaccination", "kept"),
        ("E2", "vaccination", "moved"),
        ("E3", "nucleic_test", "cancelled"),
        ("E4", "nucleic_test", "new"),
        ("E4", "vaccination", "kept"),
    ]
    kept, moved, cancelled = changes[:3]
    assert (kept.old_session_id, kept.new_session_id) == ("V1", "V1")
    assert (moved.old_session_id, moved.old_date, moved.old_slot_start) == (
        "V1",
        H0,
        600,
    )
    assert (moved.new_session_id, moved.new_date, moved.new_slot_start) == (
        "V2",
        VAC2.date,
        570,
    )
    assert (
        cancelled.new_session_id is None and cancelled.old_session_id == "T1"
    )


def test_same_session_other_slot_is_moved():
    inst = instance(booking("E1", VAC, slot=0))
    sol = Solution(appointments=(make_appointment(VAC, "E1", slot=3),))
    (c,) = compute_changes(inst, sol)
    assert c.change == "moved"
    assert (c.old_slot_start, c.new_slot_start) == (540, 630)


def test_services_are_compared_separately():
    """A booked vaccination and a new test: cancelled and new, not moved."""
    inst = instance(booking("E1", VAC))
    sol = Solution(appointments=(make_appointment(PCR, "E1"),))
    assert kinds(compute_changes(inst, sol)) == [
        ("E1", "nucleic_test", "new"),
        ("E1", "vaccination", "cancelled"),
    ]


def test_two_bookings_one_kept_one_moved():
    inst = instance(booking("E1", PCR), booking("E1", PCR2))
    sol = Solution(
        appointments=(
            make_appointment(PCR2, "E1"),
            make_appointment(PCR, "E1", slot=2),
        )
    )
    assert [c.change for c in compute_changes(inst, sol)] == [
        "moved",
        "kept",
    ]


def test_only_active_bookings_inside_the_horizon_count():
    inst = instance(
        booking("E1", VAC, status=BookingStatus.ATTENDED),
        booking("E2", VAC, status=BookingStatus.CANCELLED),
        booking("E3", VAC, status=BookingStatus.NO_SHOW),
        booking("E4", OLD),  # before the horizon
        booking("E5", VAC, pinned=True),
    )
    sol = Solution(
        appointments=(
            make_appointment(VAC, "E1"),
            make_appointment(VAC, "E5"),
        )
    )
    assert kinds(compute_changes(inst, sol)) == [
        ("E1", "vaccination", "new"),
        ("E5", "vaccination", "kept"),
    ]


def test_changes_sheet(tmp_path):
    evil = '=HYPERLINK("http://x","y")'
    inst = make_instance(
        employees=[make_employee("00123", name=evil), make_employee("E2")],
        sessions=[VAC, VAC2],
        bookings=(booking("00123", VAC), booking("E2", VAC)),
    )
    sol = Solution(appointments=(make_appointment(VAC2, "00123", slot=1),))
    path = tmp_path / "schedule.xlsx"
    changes = compute_changes(inst, sol, {inst.bookings[1]: "away"})
    write_schedule(path, inst, sol, [], changes=changes, lang="zh")
    ws = load_workbook(path)["changes"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == CHANGE_COLUMNS
    assert len(rows) == 3
    first = rows[1]
    assert first[:4] == ("00123", evil, "vaccination", "moved")
    assert first[4] == "V1" and first[5].date() == H0 and first[6] == "09:00"
    assert first[7] == "V2" and first[8].date() == date(2021, 6, 3)
    assert first[9] == "09:30"
    assert first[10] == "为满足更多需求而改动（收益超过改动代价 2）"
    assert rows[2][3] == "cancelled" and rows[2][7:10] == (None, None, None)
    assert rows[2][10] == "本人届时请假或不在岗"  # the run's language
    cell = ws["B2"]
    assert cell.data_type == "s" and cell.quotePrefix
    assert ws["A2"].number_format == "@"


def test_changes_sheet_without_bookings_lists_every_appointment(tmp_path):
    inst = make_instance(employees=[make_employee("E1")], sessions=[VAC])
    sol = Solution(appointments=(make_appointment(VAC, "E1"),))
    path = tmp_path / "schedule.xlsx"
    write_schedule(path, inst, sol, [])
    rows = list(load_workbook(path)["changes"].iter_rows(values_only=True))
    assert [r[3] for r in rows[1:]] == ["new"]
