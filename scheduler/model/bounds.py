"""Upper bounds on needs met that need no solver.

``needs_alone``: every person as if alone in the drive — each need met in
full wherever any candidate session exists, every cadence day covered
that some candidate test could cover. It drops every rule between people
(capacity, teams) and between one person's appointments (one a day,
rule 11), so no schedule can meet more: a valid bound, cheap at any size,
and tight where capacity is not what limits the drive.

``pooled_capacity``: the same, but the drive's appointments of a service
cannot outnumber all its sessions' places together (slots × capacity,
doses available). Each appointment is worth at most what it could add to
one person's needs (a dose its weight; a test its window needs and at
most ``every_days`` days of each cadence), so filling the pooled places
with the most valuable appointments first — the optimum of this fractional
knapsack — bounds every schedule.

``usable_places``: what a session can take at most, counting only the
slots somebody can reach in time (the relaxations' capacities).
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from scheduler.core.domain import (
    EmployeeId,
    Instance,
    Service,
    Session,
    SessionId,
)
from scheduler.prepare.needs import Needs, Urgency, need_weight

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scheduler.prepare.candidates import EmployeeOptions


def needs_alone(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
    employees: Iterable[EmployeeId] | None = None,
) -> float:
    """Weighted needs met if nobody competed (units of ``needs_met``)."""
    dates = instance.settings.dates()
    days = instance.settings.days
    total = 0.0
    chosen = options if employees is None else employees
    for eid in chosen:
        opts = options.get(eid)
        if opts is None:
            continue
        prio = instance.employees[eid].priority
        need = needs.vaccination.get(eid)
        if need is not None:
            for k, row in enumerate(opts.vaccination):
                if not row:
                    break
                total += need_weight(
                    need.urgency if k == 0 else Urgency.DUE, prio
                )
        tests = sorted(
            {instance.sessions[o.session_id].date for o in opts.tests}
        )
        w = need_weight(Urgency.DUE, prio)
        for n in needs.tests.get(eid, ()):
            if n.window is not None:
                lo, hi = n.window
                total += w * any(lo <= d <= hi for d in tests)
            else:
                gained = n.covered_days(tests, dates) - n.covered_days(
                    [], dates
                )
                total += w * gained / days
    return total


def appointment_values(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
    services: tuple[Service, ...] = tuple(Service),
) -> dict[tuple[EmployeeId, Service], list[int]]:
    """What a person's 1st, 2nd, … appointment of a service could add at
    most, in units of ``needs_met`` × horizon days (whole numbers)."""
    dates = instance.settings.dates()
    days = instance.settings.days
    out: dict[tuple[EmployeeId, Service], list[int]] = {}
    for eid, opts in options.items():
        prio = instance.employees[eid].priority
        need = needs.vaccination.get(eid)
        if need is not None and Service.VACCINATION in services:
            jabs = []
            for k, row in enumerate(opts.vaccination):
                if not row:
                    break
                urgency = need.urgency if k == 0 else Urgency.DUE
                jabs.append(need_weight(urgency, prio) * days)
            if jabs:
                out[eid, Service.VACCINATION] = jabs
        if Service.NUCLEIC_TEST not in services:
            continue
        tests = _test_values(instance, needs, eid, opts, dates)
        if tests:
            out[eid, Service.NUCLEIC_TEST] = tests
    return out


def pooled_capacity(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
) -> float:
    """Needs alone, with each service's places pooled (see module doc)."""
    pool = {Service.VACCINATION: 0, Service.NUCLEIC_TEST: 0}
    places = usable_places(instance, options)
    for s in instance.horizon_sessions():
        pool[s.service] += places[s.id]
    values: dict[Service, list[int]] = {k: [] for k in pool}
    for (_, service), vs in appointment_values(
        instance, needs, options
    ).items():
        values[service].extend(vs)
    total = 0
    for service, vs in values.items():
        vs.sort(reverse=True)
        total += sum(vs[: pool[service]])
    return total / instance.settings.days


def _test_values(instance, needs, eid, opts, dates) -> list[int]:
    """What a person's 1st, 2nd, ... test could add at most."""
    tests = sorted({instance.sessions[o.session_id].date for o in opts.tests})
    if not tests:
        return []
    w = need_weight(Urgency.DUE, instance.employees[eid].priority)
    window, per_test, left = 0, 0, 0
    for n in needs.tests.get(eid, ()):
        if n.window is not None:
            lo, hi = n.window
            window += w * len(dates) * any(lo <= d <= hi for d in tests)
        else:
            gained = n.covered_days(tests, dates) - n.covered_days([], dates)
            left += w * gained
            per_test += w * min(n.every_days, gained)
    out: list[int] = []
    while True:
        step = min(per_test, left)
        value = step + (window if not out else 0)
        if value <= 0:
            return out
        out.append(value)
        left -= step


def usable_places(
    instance: Instance, options: dict[EmployeeId, EmployeeOptions]
) -> dict[SessionId, int]:
    """Per session in the horizon: its places counting only the slots in
    somebody's options, and no more than its observation seats allow.

    A slot that nobody's time away fits (an 08:30 slot at a centre 20
    minutes away, for staff who start at 09:00) takes nobody, yet counts
    in ``Session.places``: relaxations that trusted that number planned
    a third of some sessions into slots no one can use. People observe
    from their slot's end for ``observation_minutes``; people whose
    observations share a moment sit at the same time, so the session
    takes at most the seats times the most pairwise disjoint observation
    intervals among its usable slots.
    """
    slots: dict[SessionId, set[int]] = defaultdict(set)
    seen: set[int] = set()
    for opts in options.values():
        for row in (*opts.vaccination, opts.tests):
            for o in row:
                if id(o) not in seen:  # options are interned (candidates)
                    seen.add(id(o))
                    slots[o.session_id].update(o.slots)
    return {
        s.id: slot_places(instance, s, sorted(slots.get(s.id, ())))
        for s in instance.horizon_sessions()
    }


def slot_places(instance: Instance, s: Session, slots: Iterable[int]) -> int:
    """The most people a session's slots (starts, in order) can take:
    capacity, doses and observation seats (see ``usable_places``)."""
    slots = list(slots)
    n = len(slots) * s.capacity_per_slot
    if s.doses_available is not None:
        n = min(n, s.doses_available)
    obs = instance.settings.observation_minutes
    if s.observation_seats is not None and obs > 0 and slots:
        ends = [a + s.slot_minutes for a in slots]
        intervals = [(e, e + obs) for e in ends]
        n = min(n, s.observation_seats * most_disjoint(intervals))
    return n


def most_disjoint(spans: Iterable[tuple[int, int]]) -> int:
    """Most pairwise disjoint half-open intervals (earliest end first)."""
    count, end = 0, None
    for a, b in sorted(spans, key=lambda ab: ab[1]):
        if end is None or a >= end:
            count, end = count + 1, b
    return count
