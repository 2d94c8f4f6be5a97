"""Hard rules of domain.md, one function each (see docs/model.md).

Rules 2 (service and product), 3 (reach), 4 (availability) and 10 (need)
hold by construction: a booking variable exists only for an option that
obeys them (scheduler/prepare/candidates.py). Every function here has the same
signature so that ``HARD_RULES`` can apply them in order.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from scheduler.core.domain import EmployeeId, Instance, Service, SessionId
from scheduler.core.rules import Rule, team_away_limit, team_jabs_limit
from scheduler.model.variables import TEST, ScheduleVars, total
from scheduler.prepare.duty import Duty, duty_periods

if TYPE_CHECKING:
    from scheduler.prepare.candidates import EmployeeOptions
    from scheduler.prepare.lookups import Lookups
    from scheduler.prepare.needs import Needs


@dataclass(frozen=True, slots=True)
class ModelData:
    instance: Instance
    needs: Needs
    options: dict[EmployeeId, EmployeeOptions]
    lookups: Lookups
    #: (employee, session) of every pinned booking (``pinned_sessions``).
    pinned: frozenset[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "pinned", frozenset(pinned_sessions(self.instance))
        )


def add_slot_link(m: cp_model.CpModel, d: ModelData, v: ScheduleVars) -> None:
    """Slot counts of a group add up to the group's bookings."""
    for gi, g in enumerate(v.groups):
        booked = [x for e in g.members for x in v.bookings_of(e, g.session_id)]
        m.add(total([v.slot_count[gi, a] for a in g.slots]) == total(booked))


def add_capacity(m: cp_model.CpModel, d: ModelData, v: ScheduleVars) -> None:
    """Rule 1: slot capacity, dose supply and observation seats.

    Capacity that staff outside the instance already use (a block of a
    decomposed drive, ``Instance.reserved``) is taken off.
    """
    per_slot: dict[tuple[SessionId, int], list] = defaultdict(list)
    for (gi, a), n in v.slot_count.items():
        per_slot[v.groups[gi].session_id, a].append(n)
    by_session: dict[SessionId, dict[int, list]] = defaultdict(dict)
    for (sid, a), ns in per_slot.items():
        by_session[sid][a] = ns
    reserved = d.instance.reserved
    obs = d.instance.settings.observation_minutes

    def limit(expr, full: int, taken: int) -> None:
        m.add(expr <= full - taken)

    for sid, slots in sorted(by_session.items()):
        s = d.instance.sessions[sid]
        for a in sorted(slots):
            limit(
                total(slots[a]),
                s.capacity_per_slot,
                reserved.slots.get((sid, a), 0),
            )
        if s.service is not Service.VACCINATION:
            continue
        if s.doses_available is not None:
            limit(
                total([n for ns in slots.values() for n in ns]),
                s.doses_available,
                reserved.doses.get(sid, 0),
            )
        if s.observation_seats is not None and obs > 0:
            taken = reserved.jab_ends.get(sid, ())
            ends = sorted({a + s.slot_minutes for a in slots} | set(taken))
            for t in ends:
                sitting = [
                    n
                    for a, ns in slots.items()
                    if a + s.slot_minutes <= t < a + s.slot_minutes + obs
                    for n in ns
                ]
                if sitting:
                    limit(
                        total(sitting),
                        s.observation_seats,
                        sum(1 for x in taken if x <= t < x + obs),
                    )


def pinned_sessions(inst: Instance) -> set[tuple[str, str]]:
    """(employee, session) of every pinned booking. The model judges
    overlaps and rule 11 per pair of sessions (some slots of the two
    could clash), which is stricter than the rule; a pair of pinned
    bookings is held to the rule at its booked slots before the solve
    (pipeline._check_pinned), and must not make the model infeasible."""
    return {
        (b.employee_id, b.session_id)
        for b in inst.active_bookings()
        if b.pinned
    }


def add_one_place_at_a_time(
    m: cp_model.CpModel, d: ModelData, v: ScheduleVars
) -> None:
    """Rule 5: at most one appointment a day, no overlap across midnight.

    One a day is stricter than the rule (a test in the morning and a jab
    in the afternoon keep it); a day with several pinned bookings keeps
    them (checked at their slots before the solve) and takes no more."""
    pinned = d.pinned
    for eid, opts in d.options.items():
        per_day: dict[int, list] = defaultdict(list)
        pins: dict[int, set[str]] = defaultdict(set)
        day_of = {}
        for row in [*opts.vaccination, opts.tests]:
            for o in row:
                day_of[o.session_id] = o.day
        for key in v.keys_of.get(eid, []):
            day_n = day_of[key[2]]
            per_day[day_n].append(v.book[key])
            if (eid, key[2]) in pinned:
                pins[day_n].add(key[2])
        for day_n, xs in per_day.items():
            if len(xs) > 1:
                m.add(total(xs) <= max(1, len(pins[day_n])))
        for a, b in sorted(opts.overlaps):
            if (eid, a) in pinned and (eid, b) in pinned:
                continue  # checked at their slots before the solve
            m.add(total(v.bookings_of(eid, a) + v.bookings_of(eid, b)) <= 1)


def add_dose_intervals(
    m: cp_model.CpModel, d: ModelData, v: ScheduleVars
) -> None:
    """Rule 6: one session per dose, doses in order, intervals kept.

    The first booking's distance from the recorded last dose holds by
    construction (candidates start at the earliest date).
    """
    inst = d.instance
    for eid, opts in d.options.items():
        rows = opts.vaccination
        prev_dates = prev_products = None
        prev_booked = None
        for k, row in enumerate(rows):
            xs = [(o, v.book[eid, k, o.session_id]) for o in row]
            booked = total([x for _, x in xs])
            m.add(booked <= 1)
            if prev_booked is not None:
                m.add(booked <= prev_booked)
            dates = sum(o.day * x for o, x in xs)
            by_product: dict[str, list] = defaultdict(list)
            for o, x in xs:
                by_product[inst.sessions[o.session_id].product].append(x)
            if k > 0:
                for p, ys in sorted(by_product.items()):
                    product = inst.products[p]
                    uses = m.new_bool_var(f"uses[{eid},{k},{p}]")
                    m.add(total(ys) == uses)
                    m.add(uses <= total(prev_products.get(p, [])))
                    gap = dates - prev_dates
                    m.add(gap >= product.min_interval_days).only_enforce_if(
                        uses
                    )
                    m.add(gap <= product.max_interval_days).only_enforce_if(
                        uses
                    )
            prev_dates, prev_products, prev_booked = dates, by_product, booked


def add_team_continuity(
    m: cp_model.CpModel, d: ModelData, v: ScheduleVars
) -> None:
    """Rule 7: at every moment few enough of a team are away.

    The count of a team away only rises where an away interval starts and
    the limit only falls where a member's duty ends, so those moments are
    the only ones to check.
    """
    inst = d.instance
    share = inst.settings.team_away_max_share
    by_team: dict = defaultdict(list)
    for (gi, a), n in v.slot_count.items():
        g = v.groups[gi]
        by_team[g.team].append((g.away[g.slots.index(a)], v.slot_ub[gi, a], n))
    teams = inst.teams()
    for team, terms in sorted(by_team.items(), key=lambda kv: kv[0]):
        terms.sort(key=lambda t: t[0])
        starts = [iv[0] for iv, _, _ in terms]
        longest = max(iv[1] - iv[0] for iv, _, _ in terms)
        periods = [duty_periods(inst, e, d.lookups) for e in teams[team]]
        on_duty_at = _on_duty_count(periods)
        first, last = starts[0], max(iv[1] for iv, _, _ in terms)
        ends = {b for ps in periods for _, b in ps if first < b < last}
        seen: set[tuple[int, ...]] = set()
        for t in sorted(set(starts) | ends):
            lo = bisect_right(starts, t - longest)
            hi = bisect_right(starts, t)
            active = tuple(i for i in range(lo, hi) if t < terms[i][0][1])
            if not active:
                continue
            upper = sum(terms[i][1] for i in active)
            limit = team_away_limit(share, on_duty_at(t))
            if upper <= limit or (active, limit) in seen:
                continue
            seen.add((active, limit))
            m.add(total([terms[i][2] for i in active]) <= limit)


def _on_duty_count(periods: list[Duty]) -> Callable[[int], int]:
    """How many of the people with these duty periods are on duty at a
    minute (as ``Duty.at`` says, person by person): each person's periods
    merged, then two bisections (the person-by-person count was most of
    this rule's time in a block's model)."""
    starts: list[int] = []
    ends: list[int] = []
    for duty in periods:
        run: list[int] | None = None
        for a, b in duty:  # sorted by start
            if run is not None and a <= run[1]:
                run[1] = max(run[1], b)
                continue
            if run is not None:
                starts.append(run[0])
                ends.append(run[1])
            run = [a, b]
        if run is not None:
            starts.append(run[0])
            ends.append(run[1])
    starts.sort()
    ends.sort()
    # Merged, one person's periods are apart: each contains t at most once,
    # and a period contains t iff it starts at or before t and ends after.
    return lambda t: bisect_right(starts, t) - bisect_right(ends, t)


def add_side_effect_spreading(
    m: cp_model.CpModel, d: ModelData, v: ScheduleVars
) -> None:
    """Rule 8: per team and day, few enough members are vaccinated."""
    inst = d.instance
    share = inst.settings.team_vaccinated_per_day_max_share
    per_team_day: dict = defaultdict(list)
    for (eid, k, sid), x in v.book.items():
        if k == TEST:
            continue
        e = inst.employees[eid]
        per_team_day[e.team_key, inst.sessions[sid].date].append(x)
    teams = inst.teams()
    for (team, _), xs in sorted(per_team_day.items()):
        limit = team_jabs_limit(share, len(teams[team]))
        if len(xs) > limit:
            m.add(total(xs) <= limit)


def add_no_swab_after_jab(
    m: cp_model.CpModel, d: ModelData, v: ScheduleVars
) -> None:
    """Rule 11: no test slot soon after the start of one's vaccination."""
    pinned = d.pinned
    for eid, opts in d.options.items():
        for vacc, test in sorted(opts.blackouts):
            if (eid, vacc) in pinned and (eid, test) in pinned:
                continue  # checked at their slots before the solve
            jabs = v.jabs(eid, vacc)
            swab = v.book.get((eid, TEST, test))
            if jabs and swab is not None:
                m.add(total([*jabs, swab]) <= 1)


def add_pinned_bookings(
    m: cp_model.CpModel, d: ModelData, v: ScheduleVars
) -> None:
    """Rule 9: pinned bookings stay exactly (slot included)."""
    inst = d.instance
    per_slot: dict[tuple[int, int], int] = defaultdict(int)
    for b in inst.active_bookings():
        if not b.pinned or b.session_id not in inst.sessions:
            continue
        s = inst.sessions[b.session_id]
        if not inst.settings.in_horizon(s.date):
            continue
        if s.service is Service.NUCLEIC_TEST:
            xs = (
                [v.book[b.employee_id, TEST, b.session_id]]
                if ((b.employee_id, TEST, b.session_id) in v.book)
                else []
            )
        else:
            xs = v.jabs(b.employee_id, b.session_id)
        gi = v.group_of.get((b.employee_id, b.session_id))
        if not xs or gi is None or (gi, b.slot_start) not in v.slot_count:
            # Not an option: the pipeline stops before solving, naming the
            # booking; should the model be used alone, it is infeasible.
            m.add_bool_or([])
            continue
        m.add(total(xs) == 1)
        per_slot[gi, b.slot_start] += 1
    for key, count in per_slot.items():
        m.add(v.slot_count[key] >= count)


AddRule = Callable[[cp_model.CpModel, ModelData, ScheduleVars], None]

#: What ties the model's variables together before any rule: slot counts.
STRUCTURE: tuple[AddRule, ...] = (add_slot_link,)

#: The hard rules the model states as constraints, by the rule's id, in
#: the order of domain.md. Rules 2 (service and product), 3 (reach),
#: 4 (availability) and 10 (need) hold by construction: a booking variable
#: exists only for an option that keeps them (prepare/candidates.py).
HARD_RULES: dict[Rule, AddRule] = {
    Rule.CAPACITY: add_capacity,
    Rule.ONE_PLACE_AT_A_TIME: add_one_place_at_a_time,
    Rule.DOSE_INTERVALS: add_dose_intervals,
    Rule.TEAM_CONTINUITY: add_team_continuity,
    Rule.SIDE_EFFECT_SPREADING: add_side_effect_spreading,
    Rule.PINNED_BOOKINGS: add_pinned_bookings,
    Rule.NO_SWAB_AFTER_JAB: add_no_swab_after_jab,
}

#: The rules that hold by construction of the options.
BY_CONSTRUCTION: tuple[Rule, ...] = (
    Rule.SERVICE_AND_PRODUCT,
    Rule.REACH,
    Rule.AVAILABILITY,
    Rule.NEED,
)
