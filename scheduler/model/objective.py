"""Objective terms of domain.md "What best means", one function each.

Each function returns a ``Term`` (coefficients over the model's variables)
and may add the helper variables it needs. ``solve.py`` optimises them in
order, one stage per level, each level fixed before the next.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scheduler.core.domain import SiteKind
from scheduler.model.variables import TEST, ScheduleVars, total
from scheduler.prepare.booked import change_price, replan_bookings
from scheduler.prepare.needs import Urgency, need_weight

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

    from scheduler.model.constraints import ModelData


@dataclass(frozen=True, slots=True)
class Term:
    """One objective level: Σ coefs × variables (by proto index) + const."""

    name: str
    indices: tuple[int, ...]
    coefs: tuple[int, ...]
    const: int
    maximize: bool
    #: Objective units per reported unit (e.g. the need-weight scale).
    scale: int = 1

    @property
    def size(self) -> int:
        return len(self.indices)


class WeightedSum:
    """Collects coef × variable pairs. Levels are written straight into the
    model's proto (solve.py): flattening Python expressions of 100,000
    terms took seconds per stage."""

    def __init__(self) -> None:
        self.vars: list = []
        self.coefs: list[int] = []
        self.const = 0

    def add(self, var, coef: int = 1) -> None:
        if coef:
            self.vars.append(var)
            self.coefs.append(coef)

    def term(self, name: str, maximize: bool, scale: int = 1) -> Term:
        merged: dict[int, int] = {}
        for x, c in zip(self.vars, self.coefs):
            merged[x.index] = merged.get(x.index, 0) + c
        return Term(
            name,
            tuple(merged),
            tuple(merged.values()),
            self.const,
            maximize,
            scale,
        )


def needs_met(m: cp_model.CpModel, d: ModelData, v: ScheduleVars) -> Term:
    """Level 1: weighted needs met.

    A vaccination or window need counts ``weight × horizon days``; a
    cadence need counts ``weight`` per covered day, so a need met in full
    is worth the same whatever its kind.

    On a re-plan each booking kept counts ``change_price`` too (domain.md,
    "What best means" 1b): a booking is changed only when that meets more
    than it costs. A bonus for keeping rather than a charge for changing,
    so that the level's bound still bounds the needs met.
    """
    inst, needs = d.instance, d.needs
    days = inst.settings.days
    acc = WeightedSum()
    for eid, need in needs.vaccination.items():
        prio = inst.employees[eid].priority
        for key in v.keys_of.get(eid, []):
            k = key[1]
            if k == TEST:
                continue
            u = need.urgency if k == 0 else Urgency.DUE
            acc.add(v.book[key], need_weight(u, prio) * days)
    for eid, tneeds in needs.tests.items():
        prio = inst.employees[eid].priority
        w = need_weight(Urgency.DUE, prio)
        tests = [
            (inst.settings.day_index(inst.sessions[k[2]].date), v.book[k])
            for k in v.keys_of.get(eid, [])
            if k[1] == TEST
        ]
        for n in tneeds:
            if n.window is not None:
                lo = inst.settings.day_index(n.window[0])
                hi = inst.settings.day_index(n.window[1])
                xs = [x for day, x in tests if lo <= day <= hi]
                if xs:
                    met = m.new_bool_var(f"window[{eid},{n.requirement_id}]")
                    m.add(met <= total(xs))
                    acc.add(met, w * days)
                continue
            assert n.every_days is not None and n.last_test is not None
            last = inst.settings.day_index(n.last_test)
            for day in range(max(0, last + n.every_days), days):
                xs = [x for t, x in tests if day - n.every_days < t <= day]
                if xs:
                    c = m.new_bool_var(
                        f"covered[{eid},{n.requirement_id},{day}]"
                    )
                    m.add(c <= total(xs))
                    acc.add(c, w)
    price = change_price(inst)
    if price > 0:
        for n in kept_bookings(m, d, v):
            acc.add(n, price)
    return acc.term("needs_met", maximize=True, scale=days)


def kept_bookings(
    m: cp_model.CpModel, d: ModelData, v: ScheduleVars
) -> list[cp_model.IntVar]:
    """Per slot group and slot, how many of the re-plan's bookings there
    stay exactly as they are (session and slot): at most those of them
    still booked in the session, and at most the slot's count less the
    pinned bookings there, since ``solve.extract_solution`` hands pinned
    people their slot first and other booked people theirs next."""
    if v.kept is not None:
        return v.kept
    wanted: dict[tuple[int, int], list[str]] = defaultdict(list)
    for b in replan_bookings(d.instance):
        gi = v.group_of.get((b.employee_id, b.session_id))
        if gi is not None and (gi, b.slot_start) in v.slot_count:
            wanted[gi, b.slot_start].append(b.employee_id)
    pinned: dict[tuple[int, int], int] = defaultdict(int)
    for b in d.instance.active_bookings():
        gi = v.group_of.get((b.employee_id, b.session_id))
        if b.pinned and gi is not None:
            pinned[gi, b.slot_start] += 1
    v.kept = []
    for (gi, a), people in sorted(wanted.items()):
        sid = v.groups[gi].session_id
        xs = [x for e in people for x in v.bookings_of(e, sid)]
        n = m.new_int_var(
            0, min(len(people), v.slot_ub[gi, a]), f"kept[{gi},{a}]"
        )
        m.add(n <= v.slot_count[gi, a] - pinned[gi, a])
        m.add(n <= total(xs))
        v.kept.append(n)
    return v.kept


def target_progress(
    m: cp_model.CpModel, d: ModelData, v: ScheduleVars
) -> Term:
    """Level 1b, the tie-break among equal weights: series completions
    towards each workplace's coverage target.

    Each workplace counts completions up to its shortfall, weighted by how
    many percentage points it lies below the target, so the buildings
    furthest below come first and none is pushed past its target at the
    expense of another.
    """
    inst, needs = d.instance, d.needs
    target = inst.settings.coverage_target
    staff: dict[str, list] = defaultdict(list)
    for e in inst.employees.values():
        staff[e.workplace_id].append(e)
    completes: dict[str, list] = defaultdict(list)
    for eid, need in needs.vaccination.items():
        if need.booster:
            continue
        for key in v.keys_of.get(eid, []):
            k, sid = key[1], key[2]
            if k == TEST:
                continue
            product = inst.products[inst.sessions[sid].product]
            if need.first_dose + k == product.doses:
                completes[inst.employees[eid].workplace_id].append(v.book[key])
    acc = WeightedSum()
    for wp, people in sorted(staff.items()):
        done = sum(1 for e in people if _fully_vaccinated(inst, e))
        short = math.ceil(target * len(people) - 1e-9) - done
        if short <= 0 or not completes[wp]:
            continue
        below = math.ceil(100 * (target - done / len(people)))
        p = m.new_int_var(0, short, f"progress[{wp}]")
        m.add(p <= total(completes[wp]))
        acc.add(p, below)
    return acc.term("target_progress", maximize=True)


def _fully_vaccinated(inst, e) -> bool:
    if e.last_product is None:
        return False
    return e.doses_received >= inst.products[e.last_product].doses


def changes(m: cp_model.CpModel, d: ModelData, v: ScheduleVars) -> Term:
    """Re-plan: unpinned booked appointments not kept exactly (another
    session, another slot, or none): each is told to its person."""
    acc = WeightedSum()
    acc.const = len(replan_bookings(d.instance))
    for n in kept_bookings(m, d, v):
        acc.add(n, -1)
    return acc.term("changes", maximize=False)


def lateness(m: cp_model.CpModel, d: ModelData, v: ScheduleVars) -> Term:
    """Days between each booking and the start of its need's window."""
    inst, needs = d.instance, d.needs
    days = inst.settings.days
    acc = WeightedSum()
    for eid, opts in d.options.items():
        need = needs.vaccination.get(eid)
        prev_dates = None
        for k, row in enumerate(opts.vaccination):
            xs = [(o, v.book[eid, k, o.session_id]) for o in row]
            dates = sum(o.day * x for o, x in xs)
            if k == 0:
                for o, x in xs:
                    p = inst.sessions[o.session_id].product
                    early = inst.settings.day_index(need.earliest[p])
                    acc.add(x, o.day - early)
            else:
                mins = sum(
                    inst.products[
                        inst.sessions[o.session_id].product
                    ].min_interval_days
                    * x
                    for o, x in xs
                )
                late = m.new_int_var(0, days, f"late[{eid},{k}]")
                m.add(late >= dates - prev_dates - mins)
                acc.add(late)
            prev_dates = dates
        for n in needs.tests.get(eid, ()):
            if n.window is None:
                continue
            lo = inst.settings.day_index(n.window[0])
            hi = inst.settings.day_index(n.window[1])
            for o in opts.tests:
                if lo <= o.day <= hi:
                    acc.add(v.book[eid, TEST, o.session_id], o.day - lo)
    return acc.term("lateness_days", maximize=False)


def travel(m: cp_model.CpModel, d: ModelData, v: ScheduleVars) -> Term:
    """Travel minutes both ways, plus one per trip and per trip away from
    one's own building, so the own building wins ties and no appointment
    is booked that meets no need."""
    inst = d.instance
    acc = WeightedSum()
    for eid, opts in d.options.items():
        wp = inst.employees[eid].workplace_id
        rows = [(k, o) for k, row in enumerate(opts.vaccination) for o in row]
        rows += [(TEST, o) for o in opts.tests]
        for k, o in rows:
            site = inst.sites[inst.sessions[o.session_id].site_id]
            own = site.kind is SiteKind.ONSITE and site.workplace_id == wp
            cost = 2 * o.travel + 1 + (0 if own else 1)
            acc.add(v.book[eid, k, o.session_id], cost)
    return acc.term("travel", maximize=False)


def orderly(m: cp_model.CpModel, d: ModelData, v: ScheduleVars) -> Term:
    """Slots used per team and session: teammates sit together."""
    per: dict[tuple, list] = defaultdict(list)
    for (gi, a), n in v.slot_count.items():
        g = v.groups[gi]
        per[g.session_id, g.team, a].append((n, v.slot_ub[gi, a]))
    acc = WeightedSum()
    for key, ns in sorted(per.items()):
        u = m.new_bool_var(f"used[{key}]")
        m.add(total([n for n, _ in ns]) <= sum(ub for _, ub in ns) * u)
        acc.add(u)
    return acc.term("team_slots", maximize=False)


#: Objective levels in order; each is optimised with the ones before fixed.
OBJECTIVE_LEVELS = (
    needs_met,
    target_progress,
    changes,
    lateness,
    travel,
    orderly,
)
