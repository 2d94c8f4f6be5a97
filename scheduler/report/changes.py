"""What a schedule changes against the bookings of an earlier run.

The active ``booked`` bookings inside the horizon are compared with the
solution's appointments per employee and service:

* the same session and slot → ``kept``;
* a booking whose employee has a differing appointment of the same
  service → ``moved`` (old and new);
* a booking with no appointment of that service left → ``cancelled``;
* an appointment with no booking of that service left → ``new``.

A booking moved or cancelled carries a ``reason`` (codes of
scheduler/prepare/booked.py): the cause of a forced change, else ``gain``.
A move to another slot of the same session is a move too: its person must
be told. Without any bookings every appointment is ``new`` (a first run:
HR notifies everyone). Pure: no Excel, no solver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler.core.solution import Appointment
from scheduler.prepare.booked import FORCED, GAIN

if TYPE_CHECKING:
    from datetime import date

    from scheduler.core.domain import (
        Booking,
        EmployeeId,
        Instance,
        Service,
        SessionId,
    )
    from scheduler.core.solution import Solution

KEPT = "kept"
MOVED = "moved"
CANCELLED = "cancelled"
NEW = "new"


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    employee_id: EmployeeId
    service: Service
    change: str  # kept, moved, cancelled, new
    old_session_id: SessionId | None = None
    old_date: date | None = None
    old_slot_start: int | None = None
    new_session_id: SessionId | None = None
    new_date: date | None = None
    new_slot_start: int | None = None
    #: Moved or cancelled: why (a forced cause, or ``gain``).
    reason: str | None = None

    @property
    def forced(self) -> bool:
        return self.reason in FORCED


def current_bookings(instance: Instance) -> list[Booking]:
    """Active ``booked`` bookings of known people in known sessions
    inside the horizon."""
    s = instance.settings
    return [
        b
        for b in instance.active_bookings()
        if b.session_id in instance.sessions
        and b.employee_id in instance.employees
        and s.in_horizon(instance.sessions[b.session_id].date)
    ]


def compute_changes(
    instance: Instance,
    solution: Solution,
    forced: dict[Booking, str] | None = None,
) -> list[Change]:
    """One change per booking and per appointment (a move covers both),
    by employee, service and date; ``forced``: the bookings that could not
    be kept, with why (pipeline.Scheduled.forced)."""
    forced = forced or {}
    sessions = instance.sessions
    booked: dict[tuple[str, Service], list[Booking]] = {}
    for b in current_bookings(instance):
        key = (b.employee_id, sessions[b.session_id].service)
        booked.setdefault(key, []).append(b)
    apps: dict[tuple[str, Service], list[Appointment]] = {}
    for a in solution.appointments:
        apps.setdefault((a.employee_id, a.service), []).append(a)

    def b_key(b: Booking) -> tuple:
        return (sessions[b.session_id].date, b.slot_start, b.session_id)

    def a_key(a: Appointment) -> tuple:
        return (a.date, a.slot_start, a.session_id)

    out: list[Change] = []
    for key in sorted(set(booked) | set(apps)):
        emp, service = key
        old = sorted(booked.get(key, []), key=b_key)
        new = sorted(apps.get(key, []), key=a_key)
        rows: list[tuple[tuple, Change]] = []
        # Exact matches first: kept.
        left: list[Appointment] = []
        for a in new:
            hit = next(
                (
                    b
                    for b in old
                    if b.session_id == a.session_id
                    and b.slot_start == a.slot_start
                ),
                None,
            )
            if hit is None:
                left.append(a)
                continue
            old.remove(hit)
            rows.append(
                (a_key(a), _change(emp, service, KEPT, hit, a, sessions))
            )
        # Then pair the rest in date order: moved; leftovers cancelled / new.
        for b, a in zip(old, left):
            why = forced.get(b, GAIN)
            rows.append(
                (b_key(b), _change(emp, service, MOVED, b, a, sessions, why))
            )
        for b in old[len(left) :]:
            why = forced.get(b, GAIN)
            rows.append(
                (
                    b_key(b),
                    _change(emp, service, CANCELLED, b, None, sessions, why),
                )
            )
        for a in left[len(old) :]:
            rows.append(
                (a_key(a), _change(emp, service, NEW, None, a, sessions))
            )
        out.extend(c for _, c in sorted(rows, key=lambda r: r[0]))
    return out


@dataclass(frozen=True, slots=True)
class ChangeCounts:
    """A re-plan's bookings (unpinned ones) and what became of them."""

    booked: int
    kept: int
    moved: int
    cancelled: int
    forced: int
    new: int

    @property
    def changes(self) -> int:
        return self.moved + self.cancelled


def change_counts(changes: list[Change], instance: Instance) -> ChangeCounts:
    """The unpinned bookings kept, moved, cancelled (forced among them),
    and the new appointments; pinned bookings are always kept and left
    out, so ``changes`` is the objective's term."""
    pinned = {
        (b.employee_id, b.session_id, b.slot_start)
        for b in instance.active_bookings()
        if b.pinned
    }
    kinds = {KEPT: 0, MOVED: 0, CANCELLED: 0, NEW: 0}
    forced = 0
    for c in changes:
        key = (c.employee_id, c.old_session_id, c.old_slot_start)
        if c.change == KEPT and key in pinned:
            continue
        kinds[c.change] += 1
        forced += c.forced
    return ChangeCounts(
        booked=kinds[KEPT] + kinds[MOVED] + kinds[CANCELLED],
        kept=kinds[KEPT],
        moved=kinds[MOVED],
        cancelled=kinds[CANCELLED],
        forced=forced,
        new=kinds[NEW],
    )


def _change(emp, service, kind, b, a, sessions, reason=None) -> Change:
    return Change(
        employee_id=emp,
        service=service,
        change=kind,
        old_session_id=b.session_id if b else None,
        old_date=sessions[b.session_id].date if b else None,
        old_slot_start=b.slot_start if b else None,
        new_session_id=a.session_id if a else None,
        new_date=a.date if a else None,
        new_slot_start=a.slot_start if a else None,
        reason=reason,
    )


def booked_appointment(
    instance: Instance, c: Change, dose: str | None = None
) -> Appointment:
    """A change's old booking as the appointment it was (travel unknown:
    0; ``dose``: the label its run gave a vaccination, if known)."""
    assert c.old_session_id is not None and c.old_slot_start is not None
    return Appointment.in_session(
        instance.sessions[c.old_session_id],
        c.employee_id,
        c.old_slot_start,
        0,
        dose,
    )
