"""Booked appointments of an earlier run, and which of them can be kept.

On a re-plan (domain.md, "What best means" 5 and 1b) an unpinned
``booked`` appointment that still fits is kept exactly, session and slot,
unless changing it gains more than ``change_cost``; one that no longer
fits (its person is away, its need is met, …) is a forced change, made
whatever the cost, and reported with its cause. Pure: no solver, no Excel.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler.core.domain import Booking, BookingStatus, Instance, Service
from scheduler.core.solution import Appointment
from scheduler.prepare.candidates import (
    EmployeeOptions,
    Option,
    away_interval,
)
from scheduler.prepare.duty import duty_periods
from scheduler.prepare.needs import Needs, Urgency, need_weight

if TYPE_CHECKING:
    from scheduler.prepare.lookups import Lookups

# Why a booking changed. The forced ones are made whatever change_cost is.
AWAY = "away"  # its person is now absent or off duty then
NEED_MET = "need_met"  # the need is met or no longer exists
DOSE_MISSED = "dose_missed"  # booked for a later dose; an earlier missed
FULL = "full"  # its session is full because of pinned bookings
CONFLICT = "conflict"  # it clashes with a pinned appointment
TEAM_LIMIT = "team_limit"  # pinned appointments use the team's limit
NO_LONGER_OPEN = "no_longer_open"  # reach, product or interval changed
GAIN = "gain"  # not forced: the change meets more than it costs
FORCED = frozenset(
    {AWAY, NEED_MET, DOSE_MISSED, FULL, CONFLICT, TEAM_LIMIT, NO_LONGER_OPEN}
)


def change_price(instance: Instance) -> int:
    """What one change costs in the model's level-1 units: ``change_cost``
    covered test days of a priority-3 person (a dose met counts the
    horizon's days at its weight, so the scale matches), at most what
    keeps every booking."""
    cost = instance.settings.change_cost
    # No change can gain more than two needs met in full (the freed place
    # and the person's own): a price above that keeps every booking, and
    # huge coefficients slowed CP-SAT down (10,000 staff, change_cost
    # 1,000,000: a 120 s solve took 1,408 s).
    most = 2 * need_weight(Urgency.OVERDUE, 5) * instance.settings.days + 1
    return min(round(cost * need_weight(Urgency.DUE, 3)), most)


def change_penalty(instance: Instance) -> float:
    """``change_price`` in the reported needs-met units (per need)."""
    return change_price(instance) / instance.settings.days


def replan_bookings(instance: Instance) -> list[Booking]:
    """Unpinned active bookings of known people in sessions inside the
    horizon: those a re-plan keeps or changes."""
    s = instance.settings
    return [
        b
        for b in instance.active_bookings()
        if not b.pinned
        and b.session_id in instance.sessions
        and b.employee_id in instance.employees
        and s.in_horizon(instance.sessions[b.session_id].date)
    ]


@dataclass(frozen=True, slots=True)
class Keepable:
    """A booking that is still one of its person's options, as the
    appointment that keeps it, with its option and dose position."""

    booking: Booking
    appointment: Appointment
    option: Option
    #: Dose position in the person's need (scheduler/model/variables.py);
    #: -1 for a test.
    position: int = -1


def keepable_bookings(
    instance: Instance,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    lookups: Lookups | None = None,
) -> tuple[list[Keepable], dict[Booking, str]]:
    """The bookings that still fit alone (their session and slot are among
    the person's options, doses in order), by date; and the others, each
    with why it cannot be kept. Capacity, team limits and clashes with
    pinned appointments are judged when they are booked (greedy.py)."""
    inst = instance
    by: dict[str, list[Booking]] = defaultdict(list)
    for b in inst.active_bookings():
        if b.session_id in inst.sessions and inst.settings.in_horizon(
            inst.sessions[b.session_id].date
        ):
            by[b.employee_id].append(b)
    mine = {b for b in replan_bookings(inst)}
    # Every row of the bookings sheet per person, read once: each booked
    # dose is judged against the person's rows (``booked_dose``).
    sheet: dict[str, list[Booking]] = defaultdict(list)
    for r in inst.bookings:
        sheet[r.employee_id].append(r)
    keep: list[Keepable] = []
    forced: dict[Booking, str] = {}
    for eid in sorted(by):
        if eid not in inst.employees:
            continue
        rows = sorted(
            by[eid],
            key=lambda b: (inst.sessions[b.session_id].date, b.slot_start),
        )
        opts = options.get(eid)
        doses: dict[str, int] | None = None  # session -> booked dose
        jabs = 0  # dose position of the next booked vaccination
        for b in rows:
            s = inst.sessions[b.session_id]
            vacc = s.service is Service.VACCINATION
            k = jabs
            if vacc:
                jabs += 1
            if b not in mine:
                continue  # pinned: kept by rule 9
            if vacc:
                need = needs.vaccination.get(eid)
                row = (
                    opts.vaccination[k]
                    if opts and k < len(opts.vaccination)
                    else None
                )
                if need is None or (opts is not None and k >= need.max_doses):
                    forced[b] = NEED_MET
                    continue
                if doses is None:
                    doses = _doses_of(inst, eid, sheet[eid])
                if not need.booster and need.first_dose + k != doses[s.id]:
                    forced[b] = DOSE_MISSED
                    continue
            else:
                need = None
                row = opts.tests if opts else None
                if not needs.tests.get(eid):
                    forced[b] = NEED_MET
                    continue
            o = next((o for o in row or () if o.session_id == s.id), None)
            if o is None or b.slot_start not in o.slots:
                forced[b] = _why_not_open(inst, b, lookups)
                continue
            keep.append(
                Keepable(
                    booking=b,
                    appointment=Appointment.in_session(
                        s,
                        eid,
                        b.slot_start,
                        o.travel,
                        need.dose_label(k) if vacc else None,
                    ),
                    option=o,
                    position=k if vacc else -1,
                )
            )
    keep.sort(key=lambda x: (x.appointment.date, x.appointment.slot_start))
    return keep, forced


def _doses_of(inst: Instance, eid: str, rows: list[Booking]) -> dict[str, int]:
    """Session -> the dose that each of ``rows`` (one person's rows of the
    bookings sheet) that is a vaccination was booked for: the doses
    received before any of them, one per earlier row attended or booked,
    and one per no-show after the last of those (the earlier doses of the
    plan that booked it)."""
    e = inst.employees[eid]
    vacc = sorted(
        (inst.sessions[r.session_id].date, r.status, r.session_id)
        for r in rows
        if r.session_id in inst.sessions
        and inst.sessions[r.session_id].service is Service.VACCINATION
        and r.status is not BookingStatus.CANCELLED
    )
    attended = sum(1 for _, st, _ in vacc if st is BookingStatus.ATTENDED)
    dose = e.doses_received - attended + 1
    trailing = 0
    out: dict[str, int] = {}
    i = 0
    while i < len(vacc):
        day = vacc[i][0]
        # Every row of a day counts the rows of the days before only.
        j = i
        while j < len(vacc) and vacc[j][0] == day:
            out[vacc[j][2]] = dose + trailing
            j += 1
        for _, st, _ in vacc[i:j]:
            if st is BookingStatus.NO_SHOW:
                trailing += 1
            else:
                dose += 1 + trailing
                trailing = 0
        i = j
    return out


def booked_dose_labels(instance: Instance) -> dict[tuple[str, str], str]:
    """(employee, session) -> the dose label (``"1"``, ``"2"`` … or
    ``"booster"``) that the run which made each active vaccination booking
    gave it: its dose (``_doses_of``), a booster when that is past the
    series of the person's last product. What a re-plan's calendars need
    to name the events of that run (scheduler/io/write/calendars.py)."""
    rows: dict[str, list[Booking]] = defaultdict(list)
    for r in instance.bookings:
        rows[r.employee_id].append(r)
    active = defaultdict(set)
    for b in instance.active_bookings():
        s = instance.sessions.get(b.session_id)
        if s is not None and s.service is Service.VACCINATION:
            active[b.employee_id].add(b.session_id)
    out: dict[tuple[str, str], str] = {}
    for eid in sorted(active):
        e = instance.employees.get(eid)
        if e is None:
            continue
        doses = _doses_of(instance, eid, rows[eid])
        product = (
            instance.products.get(e.last_product) if e.last_product else None
        )
        for sid in sorted(active[eid]):
            n = doses[sid]
            booster = product is not None and n > product.doses
            out[eid, sid] = "booster" if booster else str(n)
    return out


def _why_not_open(
    inst: Instance, b: Booking, lookups: Lookups | None = None
) -> str:
    """AWAY if the person is not on duty for the booked slot's whole time
    away, else NO_LONGER_OPEN."""
    e = inst.employees[b.employee_id]
    s = inst.sessions[b.session_id]
    travel = inst.travel_minutes(e.workplace_id, s.site_id)
    if travel is None:
        return NO_LONGER_OPEN
    span = away_interval(inst, s, b.slot_start, travel)
    if not duty_periods(inst, e, lookups).contains(*span):
        return AWAY
    return NO_LONGER_OPEN
