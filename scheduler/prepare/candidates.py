"""Candidates: which sessions and slots each need may use at all.

Everything a single appointment must satisfy on its own — service and
product (rule 2), reach (3), availability (4), need (10) — is settled here,
once, so the model only ever sees options that obey those rules. Rules that
tie appointments together (capacity, overlap, intervals, teams) are left to
the model, the greedy baseline and the checker.

Two simplifications keep the model small and are safe (they only forbid):
an employee gets at most one appointment per calendar day, and a test and a
vaccination whose slots *could* break rule 11 (or overlap across midnight)
are never both booked in the model. The greedy and the repair book single
slots, so they judge such pairs at the slots themselves (``slots_clash``):
a dose at 08:30 and a test two days later at 09:00 is 48.5 hours apart,
although the two sessions' other slots could come closer, and a test at
08:00 may come before a dose at 14:00 the same day.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from scheduler.core import ticks
from scheduler.core.domain import (
    MINUTES_PER_DAY,
    Employee,
    EmployeeId,
    Instance,
    Service,
    Session,
    SessionId,
)
from scheduler.prepare.duty import Duty, Period, duty_periods
from scheduler.prepare.lookups import Lookups, lookups_for

if TYPE_CHECKING:
    from scheduler.prepare.needs import Needs, VaccinationNeed


def away_interval(
    instance: Instance,
    session: Session,
    slot_start: int,
    travel: int,
) -> Period:
    """Absolute time away for one slot: travel, slot, observation, travel."""
    day = instance.settings.day_index(session.date) * MINUTES_PER_DAY
    extra = (
        instance.settings.observation_minutes
        if session.service is Service.VACCINATION
        else 0
    )
    end = slot_start + session.slot_minutes + extra + travel
    return (day + slot_start - travel, day + end)


@dataclass(frozen=True, slots=True)
class Option:
    """One session an employee may use, with the slots open to them."""

    session_id: SessionId
    day: int
    travel: int
    slots: tuple[int, ...]
    #: Absolute away interval of each slot, aligned with ``slots``.
    away: tuple[Period, ...]
    #: Slot starts as absolute minutes, aligned with ``slots``.
    starts: tuple[int, ...]


@dataclass(slots=True)
class EmployeeOptions:
    employee_id: EmployeeId
    #: Vaccination options per booking position k of the employee's need.
    vaccination: list[list[Option]] = field(default_factory=list)
    tests: list[Option] = field(default_factory=list)
    #: Session pairs on different days whose slots could overlap (rule 5).
    overlaps: frozenset[tuple[SessionId, SessionId]] = frozenset()
    #: (vaccination, test) session pairs that could break rule 11.
    blackouts: frozenset[tuple[SessionId, SessionId]] = frozenset()

    def may_clash(self, a: SessionId, b: SessionId) -> bool:
        """Could some slots of two sessions on different days break rule
        5 or 11 (``overlaps``, ``blackouts``), in either order?"""
        # Spelled out: the repair asks this millions of times.
        pairs, jabs = self.overlaps, self.blackouts
        return (
            (a, b) in pairs
            or (b, a) in pairs
            or (a, b) in jabs
            or (b, a) in jabs
        )


def options_for_session(
    instance: Instance,
    e: Employee,
    session: Session,
    periods: Duty,
    lookups: Lookups | None = None,
) -> Option | None:
    """The session as an option for ``e``: reach and availability."""
    if not session.open_to(e.workplace_id):
        return None
    travel = instance.travel_minutes(e.workplace_id, session.site_id)
    if travel is None:
        return None
    look = lookups_for(instance, lookups)
    cache = look.options
    key = (id(periods), session.id, travel)
    if key not in cache:
        opt = _option(instance, session, travel, periods, look)
        if opt is not None:
            # Interned: people on different duties often see the same
            # slots, and the conflicts are cached per option identity.
            same = look.option_intern
            opt = same.setdefault((session.id, travel, opt.slots), opt)
        cache[key] = opt
    return cache[key]


def _option(
    instance: Instance,
    session: Session,
    travel: int,
    periods: Duty,
    look: Lookups,
) -> Option | None:
    slots, away, starts = [], [], []
    for a, interval, start in _slot_spans(instance, session, travel, look):
        if periods.contains(*interval):
            slots.append(a)
            away.append(interval)
            starts.append(start)
    if not slots:
        return None
    return Option(
        session_id=session.id,
        day=instance.settings.day_index(session.date),
        travel=travel,
        slots=tuple(slots),
        away=tuple(away),
        starts=tuple(starts),
    )


def _slot_spans(
    instance: Instance, session: Session, travel: int, look: Lookups
) -> list[tuple[int, Period, int]]:
    """Every slot of a session with its away interval and absolute start:
    the same for everyone at one travel time, so computed once."""
    cache = look.slot_spans
    key = (session.id, travel)
    if key not in cache:
        day = instance.settings.day_index(session.date) * MINUTES_PER_DAY
        cache[key] = [
            (a, away_interval(instance, session, a, travel), day + a)
            for a, _ in session.slots
        ]
    return cache[key]


def vaccination_product_ok(
    instance: Instance,
    e: Employee,
    need: VaccinationNeed,
    session: Session,
    k: int,
) -> bool:
    """Rule 2 and the earliest dates for booking position ``k``."""
    p = session.product
    if p is None or p not in need.earliest:
        return False
    product = instance.products[p]
    if need.booster:
        if k > 0:
            return False
    elif need.first_dose + k > product.doses:
        return False
    age = e.age_on(session.date, instance.settings.horizon_start)
    if not product.allows_age(age):
        return False
    earliest = need.earliest[p] + timedelta(days=k * product.min_interval_days)
    return session.date >= earliest


def employee_options(
    instance: Instance,
    needs: Needs,
    e: Employee,
    conflicts: bool = True,
    lookups: Lookups | None = None,
) -> EmployeeOptions:
    """All options of one employee and the conflicts among them.

    Everyone with the same duty, building, need and age has the same
    options (teammates on one shift, mostly): they are found once.
    """
    look = lookups_for(instance, lookups)
    periods = duty_periods(instance, e, look)
    need = needs.vaccination.get(e.id)
    key = (
        id(periods),
        e.workplace_id,
        None
        if need is None
        else (
            need.booster,
            need.first_dose,
            need.max_doses,
            _earliest_key(instance, need, look),
        ),
        bool(needs.tests.get(e.id)),
        None if need is None else _age_key(instance, e),
    )
    cache = look.employee_options
    if key not in cache:
        cache[key] = _employee_options(instance, needs, e, periods, look)
    found = cache[key]
    out = EmployeeOptions(
        employee_id=e.id,
        vaccination=[list(row) for row in found.vaccination],
        tests=list(found.tests),
    )
    if conflicts:
        out.overlaps, out.blackouts = _shared_conflicts(instance, out, look)
    return out


def _earliest_key(
    instance: Instance, need: VaccinationNeed, look: Lookups
) -> tuple:
    """A need's earliest dates as the options see them: per product and
    dose position, the first vaccination date on or after it. Two people
    whose earliest dates fall between the same session dates have the same
    options, so these are shared too (most people's dates differ by days).
    """
    days = look.vaccination_days
    if days is None:
        days = sorted(
            {
                s.date.toordinal()
                for s in instance.horizon_sessions()
                if s.service is Service.VACCINATION
            }
        )
        look.vaccination_days = days
    key = []
    for p, first in sorted(need.earliest.items()):
        step = instance.products[p].min_interval_days
        day, found = first.toordinal(), []
        for _ in range(need.max_doses):
            found.append(bisect_left(days, day))
            if found[-1] >= len(days) or step <= 0:
                break  # the later positions see the same sessions
            day += step
        key.append((p, tuple(found)))
    return tuple(key)


def _age_key(instance: Instance, e: Employee) -> tuple:
    """Age as the product limits see it: which products allow it, when it
    is one age for the whole horizon; else the birth date."""
    s = instance.settings
    first = e.age_on(s.horizon_start, s.horizon_start)
    last = e.age_on(s.horizon_end, s.horizon_start)
    if first != last:
        return ("born", e.birth_date)
    return (
        "allowed",
        tuple(
            p.allows_age(first) for _, p in sorted(instance.products.items())
        ),
    )


def _employee_options(
    instance: Instance, needs: Needs, e: Employee, periods: Duty, look: Lookups
) -> EmployeeOptions:
    out = EmployeeOptions(employee_id=e.id)
    vacc, tests = _usable_sessions(instance, e, periods, look)
    need = needs.vaccination.get(e.id)
    if need is not None:
        rows: list[list[Option]] = [[] for _ in range(need.max_doses)]
        for s, opt in vacc:
            for k in range(need.max_doses):
                if vaccination_product_ok(instance, e, need, s, k):
                    rows[k].append(opt)
        for row in rows:
            if not row:
                break
            out.vaccination.append(row)
    if needs.tests.get(e.id):
        out.tests = list(tests)
    return out


def _shared_conflicts(
    instance: Instance, opts: EmployeeOptions, look: Lookups
) -> tuple[frozenset, frozenset]:
    """``_conflicts`` of a person's options. Options are shared by
    everyone with the same duty and reach, so are the conflicts among
    them: teammates on one shift compute them once."""
    key = (
        tuple(id(o) for row in opts.vaccination for o in row),
        tuple(id(o) for o in opts.tests),
    )
    cache = look.conflicts
    if key not in cache:
        cache[key] = _conflicts(instance, opts, look)
    return cache[key]


def _usable_sessions(
    instance: Instance, e: Employee, periods: Duty, look: Lookups
) -> tuple[list[tuple[Session, Option]], list[Option]]:
    """Vaccination sessions with their options, and test options, that
    ``e``'s building reaches with a slot inside ``e``'s duty: the same for
    everyone on one duty in one building, so found once for them."""
    cache = look.usable_sessions
    key = (id(periods), e.workplace_id)
    if key not in cache:
        vacc, tests = _sessions_in_reach(instance, e.workplace_id, look)
        cache[key] = (
            [
                (s, opt)
                for s in vacc
                if (opt := options_for_session(instance, e, s, periods, look))
            ],
            [
                opt
                for s in tests
                if (opt := options_for_session(instance, e, s, periods, look))
            ],
        )
    return cache[key]


def reachable_session_ids(
    instance: Instance, workplace_id: str, lookups: Lookups | None = None
) -> frozenset[SessionId]:
    """Ids of the horizon's sessions in reach of a workplace (rule 3)."""
    look = lookups_for(instance, lookups)
    cache = look.reachable_ids
    if workplace_id not in cache:
        vacc, tests = _sessions_in_reach(instance, workplace_id, look)
        cache[workplace_id] = frozenset(s.id for s in [*vacc, *tests])
    return cache[workplace_id]


def _sessions_in_reach(
    instance: Instance, workplace_id: str, look: Lookups
) -> tuple[list[Session], list[Session]]:
    """Vaccination and test sessions open to and in reach of a workplace."""
    cache = look.in_reach
    if workplace_id not in cache:
        ok = [
            s
            for s in instance.horizon_sessions()
            if s.open_to(workplace_id)
            and instance.travel_minutes(workplace_id, s.site_id) is not None
        ]
        cache[workplace_id] = (
            [s for s in ok if s.service is Service.VACCINATION],
            [s for s in ok if s.service is Service.NUCLEIC_TEST],
        )
    return cache[workplace_id]


def _conflicts(
    instance: Instance, opts: EmployeeOptions, look: Lookups
) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
    """Session pairs on different days that could overlap or break rule 11.

    Same-day pairs are handled by the one-appointment-a-day limit.
    """
    # Rounded up: a test 2,190 minutes after a dose breaks a blackout of
    # 36.5 hours, and rounding to 2,190 would not see the pair at all.
    blackout = math.ceil(
        instance.settings.test_blackout_hours_after_vaccination * 60
    )
    vacc = {o.session_id: o for row in opts.vaccination for o in row}
    tests = {o.session_id: o for o in opts.tests}
    every = sorted(
        {**vacc, **tests}.values(), key=lambda o: (o.day, o.session_id)
    )
    overlaps: set[tuple[SessionId, SessionId]] = set()
    blackouts: set[tuple[SessionId, SessionId]] = set()
    # Options are shared objects, so are their pairs: many people's option
    # sets differ in a few sessions, and each pair is judged once.
    judged = look.conflict_pairs
    for i, a in enumerate(every):
        for b in every[i + 1 :]:
            if b.day == a.day:
                continue
            if (
                b.day > a.day + 1
                and (b.day - a.day) * MINUTES_PER_DAY
                > blackout + MINUTES_PER_DAY
            ):
                break
            key = (id(a), id(b))
            found = judged.get(key)
            if found is None:
                found = judged[key] = _pair_conflicts(
                    a, b, vacc, tests, blackout
                )
            overlap, pairs = found
            if overlap:
                overlaps.add((a.session_id, b.session_id))
            blackouts.update(pairs)
    return frozenset(overlaps), frozenset(blackouts)


def _pair_conflicts(
    a: Option,
    b: Option,
    vacc: dict[SessionId, Option],
    tests: dict[SessionId, Option],
    blackout: int,
) -> tuple[bool, tuple[tuple[SessionId, SessionId], ...]]:
    """Could ``a`` and ``b`` (a before b) overlap, and which of them form
    a (jab, test) pair that could break rule 11? A session's service fixes
    its side, so the answer holds for every set the pair is in."""
    return _may_overlap(a, b), tuple(
        (v.session_id, t.session_id)
        for v, t in _blackout_pairs(a, b, vacc, tests, blackout)
    )


def _may_overlap(a: Option, b: Option) -> bool:
    """Could some slot of ``a`` overlap some slot of ``b`` (a before b)?"""
    return a.away[-1][1] > b.away[0][0]


def _blackout_pairs(
    a: Option,
    b: Option,
    vacc: dict[SessionId, Option],
    tests: dict[SessionId, Option],
    blackout: int,
) -> list[tuple[Option, Option]]:
    """(jab, test) pairs where a test slot could start too soon after."""
    pairs = []
    if a.session_id in vacc and b.session_id in tests:
        pairs.append((a, b))
    if b.session_id in vacc and a.session_id in tests:
        pairs.append((b, a))
    return [(v, t) for v, t in pairs if _too_soon(v, t, blackout)]


def slots_clash(
    a: Option, i: int, b: Option, j: int, jab: Option | None, blackout: float
) -> bool:
    """Do slot ``i`` of ``a`` and slot ``j`` of ``b`` (one person's) break
    rule 5 (times away overlap) or rule 11 (``jab``, one of the two, is a
    dose and the other a test that starts within ``blackout`` minutes of
    its start)? The session pairs that *could* clash (``overlaps``,
    ``blackouts``) are judged here at the slots actually booked."""
    (a0, a1), (b0, b1) = a.away[i], b.away[j]
    if a0 < b1 and b0 < a1:
        return True
    if jab is a:
        return a.starts[i] <= b.starts[j] < a.starts[i] + blackout
    if jab is b:
        return b.starts[j] <= a.starts[i] < b.starts[j] + blackout
    return False


def _too_soon(v: Option, t: Option, blackout: int) -> bool:
    for t0 in t.starts:
        # is there a jab start v0 with t0 - blackout < v0 <= t0?
        i = bisect_right(v.starts, t0)
        if i and v.starts[i - 1] > t0 - blackout:
            return True
    return False


def all_options(
    instance: Instance,
    needs: Needs,
    conflicts: bool = True,
    lookups: Lookups | None = None,
) -> dict[EmployeeId, EmployeeOptions]:
    """Options of every employee with a need, in employee order; without
    ``conflicts`` their ``overlaps`` and ``blackouts`` stay empty until
    ``add_conflicts`` (the LP needs none, and at 100,000 staff they are
    9 of the 20 s, which the LP need not wait for)."""
    look = lookups_for(instance, lookups)
    out = {}
    staff = list(instance.employees.values())
    for e in ticks.counted("candidates", staff):
        if e.id in needs.vaccination or e.id in needs.tests:
            out[e.id] = employee_options(instance, needs, e, conflicts, look)
    return out


def add_conflicts(
    instance: Instance,
    options: dict[EmployeeId, EmployeeOptions],
    lookups: Lookups | None = None,
) -> None:
    """Fill in the ``overlaps`` and ``blackouts`` that ``all_options``
    left out."""
    look = lookups_for(instance, lookups)
    for opts in ticks.counted("conflicts", [*options.values()]):
        opts.overlaps, opts.blackouts = _shared_conflicts(instance, opts, look)


def choices_of(options: dict[EmployeeId, EmployeeOptions]) -> dict[str, int]:
    """Booking choices of every employee: their share of a model's size."""
    return {
        eid: sum(len(row) for row in [*o.vaccination, o.tests])
        for eid, o in options.items()
    }
