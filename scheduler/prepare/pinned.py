"""Pinned bookings as appointments: the part of the schedule HR fixed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scheduler.core.domain import BookingStatus, Instance
from scheduler.core.solution import Appointment

if TYPE_CHECKING:
    from scheduler.prepare.needs import Needs


def pinned_appointments(instance: Instance, needs: Needs) -> list[Appointment]:
    """Pinned bookings inside the horizon, as appointments."""
    out = []
    vacc_seen: dict[str, int] = {}
    rows = sorted(
        (
            b
            for b in instance.bookings
            if b.pinned
            and b.status is BookingStatus.BOOKED
            and b.session_id in instance.sessions
            and instance.settings.in_horizon(
                instance.sessions[b.session_id].date
            )
        ),
        key=lambda b: (instance.sessions[b.session_id].date, b.slot_start),
    )
    for b in rows:
        s = instance.sessions[b.session_id]
        e = instance.employees[b.employee_id]
        travel = instance.travel_minutes(e.workplace_id, s.site_id)
        dose = None
        if s.service.value == "vaccination":
            need = needs.vaccination.get(e.id)
            k = vacc_seen.get(e.id, 0)
            vacc_seen[e.id] = k + 1
            dose = need.dose_label(k) if need else "?"
        out.append(
            Appointment.in_session(
                s, e.id, b.slot_start, -1 if travel is None else travel, dose
            )
        )
    return out
