"""Capacity planning's optimisation: which options to add, at least cost.

One linear model over classes of people (prepare/capacity.py), not over
people: ``x[c, p, k, s]`` is how many members of class ``c`` take dose
``k`` of product ``p`` in session ``s``, counting only members who
complete the series (the rate counts nothing else). It keeps:

* each option's places only as far as the option is held (``z[o]``), and
  every session's places per set of slots its classes reach (as the LP
  bound does: ``bounds.slot_places``, with doses and observation seats);
* the dose-interval chains: with a class's members sorted by date, the
  i-th dose k is at least ``min_interval_days`` and at most
  ``max_interval_days`` after the i-th dose k−1. On counts this is, for
  every date D, ``#k by D ≤ #(k−1) by D − min`` and ``#(k−1) by D ≤ #k by
  D + max`` (intervals whose both ends grow with the date are matched in
  sorted order), kept on running totals per date;
* one completion per person, one product per person.

It drops what ties people to one another besides places (teams, rules 7
and 8), slot times beyond the sets of slots, and tests; and it lets
counts and options be fractional. So it is a relaxation of every valid
schedule with any choice of options: what it proves impossible is
impossible, and its optimum is a proven bound (a lower bound on the cost,
an upper bound on the rates). CP-SAT on the same model with whole counts
took 12-20 s per stage at 10,000 staff, most of it in presolve; GLOP
solves it in about a second and re-solves from its last basis when only a
bound changes, which is all the stages do.

A whole choice of options comes from the relaxed one (``round_plan``);
what it promises is checked by scheduling the workbook with the plan
(scheduler/plan_capacity.py).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from ortools.linear_solver import pywraplp

from scheduler.model.bounds import slot_places

if TYPE_CHECKING:
    from scheduler.core.domain import SessionId, WorkplaceId
    from scheduler.prepare.capacity import CapacityData

#: Slack for GLOP's floating point when a stage holds an earlier result.
EPS = 1e-6


class InfeasiblePlan(RuntimeError):
    """GLOP found no solution where one must exist (a bug or a limit)."""


@dataclass(slots=True)
class Outcome:
    """What one choice of options allows, from the model."""

    chosen: list[SessionId]
    #: People who complete, per workplace (whole people: rounded down).
    completions: dict[WorkplaceId, int]
    #: option -> workplace -> appointments it takes (all doses).
    served: dict[SessionId, dict[WorkplaceId, int]]
    #: Weighted need units of the completions.
    value: float
    #: The lowest rate among workplaces, each counted up to its target.
    floor: float


class CapacityModel:
    """The model of the module doc, built once on GLOP. Stages change the
    objective and the bounds of a few variables (options, counts, the
    floor), then put them back."""

    def __init__(
        self,
        data: CapacityData,
        targets: dict[WorkplaceId, int],
        time_limit: float = 60.0,
    ) -> None:
        self.data = data
        self.targets = targets
        lp = pywraplp.Solver.CreateSolver("GLOP")
        if lp is None:  # pragma: no cover - GLOP ships with OR-Tools
            raise InfeasiblePlan("GLOP is not available")
        lp.SetTimeLimit(int(time_limit * 1000))
        # Without presolve every stage re-solves from the last basis: 1 s
        # instead of 5-10 s a stage at 10,000 staff.
        lp.SetSolverSpecificParametersAsString("use_preprocessing: false")
        self.lp = lp
        self._build()

    # --- the model ------------------------------------------------------

    def _build(self) -> None:
        lp, d = self.lp, self.data
        inf = lp.infinity()
        self.z = {
            sid: lp.NumVar(0, 1, f"z[{sid}]")
            for sid in sorted(d.options)
            if sid in d.sessions
        }
        seats: dict[SessionId, list[tuple[tuple[int, ...], object]]] = (
            defaultdict(list)
        )
        self.at: dict[SessionId, list[tuple[int, object]]] = defaultdict(list)
        completions: dict[WorkplaceId, list] = defaultdict(list)
        self.values: list[tuple[float, object]] = []
        for ci, cls in enumerate(d.classes):
            one = lp.Constraint(-inf, cls.size)
            for chain in cls.chains:
                n = lp.NumVar(0, cls.size, "")
                one.SetCoefficient(n, 1)
                completions[cls.workplace_id].append(n)
                self.values.append((cls.value, n))
                prev = None
                for row in chain.positions:
                    took = lp.Constraint(0, 0)
                    took.SetCoefficient(n, -1)
                    xs = []
                    for sid, slots in row:
                        x = lp.NumVar(0, cls.size, "")
                        took.SetCoefficient(x, 1)
                        xs.append((d.sessions[sid].date, x))
                        seats[sid].append((slots, x))
                        if sid in self.z:
                            self.at[sid].append((ci, x))
                    running = self._running(xs)
                    if prev is not None:
                        self._intervals(prev, running, chain)
                    prev = running
        for sid, group in seats.items():
            z = self.z.get(sid)
            for xs, places in _place_rows(d, sid, group):
                ct = lp.Constraint(-inf, 0 if z is not None else places)
                for x in xs:
                    ct.SetCoefficient(x, 1)
                if z is not None:
                    ct.SetCoefficient(z, -places)
        self.completions = {}
        self.clipped = {}
        self.clip_rows = {}
        # Negative only where a loss (``set_loss``) outweighs completions.
        self.floor = lp.NumVar(-1, 1, "floor")
        for w in sorted(d.headcount):
            c = self._sum_var(completions.get(w, []))
            a = lp.NumVar(-inf, self.targets[w], f"a[{w}]")
            ct = lp.Constraint(-inf, 0)
            ct.SetCoefficient(a, 1)
            ct.SetCoefficient(c, -1)
            self.clip_rows[w] = ct
            h = d.headcount[w]
            if h:
                ct = lp.Constraint(-inf, d.done[w])
                ct.SetCoefficient(self.floor, h)
                ct.SetCoefficient(a, -1)
            self.completions[w], self.clipped[w] = c, a
        self.count = self._sum_var(list(self.z.values()))
        self.cost = self._sum_var(
            list(self.z.values()),
            [self.data.options[s].cost for s in self.z],
        )
        self.total = self._sum_var(list(self.completions.values()))
        self.clip_total = self._sum_var(list(self.clipped.values()))
        self.clip_total.SetBounds(-inf, inf)
        self.value = self._sum_var(
            [n for _, n in self.values], [v for v, _ in self.values]
        )

    def _sum_var(self, xs: list, coefs: list[float] | None = None):
        """A variable equal to a weighted sum (stages bound it)."""
        lp = self.lp
        v = lp.NumVar(0, lp.infinity(), "")
        ct = lp.Constraint(0, 0)
        ct.SetCoefficient(v, -1)
        for i, x in enumerate(xs):
            ct.SetCoefficient(x, 1 if coefs is None else coefs[i])
        return v

    def _running(self, seats: list) -> tuple[list, list]:
        """Distinct dates of ``(date, var)`` seats, and per date a
        variable holding the seats' total up to that date."""
        lp = self.lp
        by: dict = defaultdict(list)
        for day, x in seats:
            by[day].append(x)
        dates, totals, last = sorted(by), [], None
        for day in dates:
            t = lp.NumVar(0, lp.infinity(), "")
            ct = lp.Constraint(0, 0)
            ct.SetCoefficient(t, -1)
            for x in by[day]:
                ct.SetCoefficient(x, 1)
            if last is not None:
                ct.SetCoefficient(last, 1)
            totals.append(t)
            last = t
        return dates, totals

    def _intervals(self, prev: tuple, cur: tuple, chain) -> None:
        """The chain's counts by date (see the module doc)."""
        lp = self.lp
        lo = timedelta(days=chain.min_interval_days)
        hi = timedelta(days=chain.max_interval_days)
        (pdates, ptotal), (dates, total) = prev, cur
        for day, t in zip(dates, total, strict=True):
            i = bisect_right(pdates, day - lo)
            ct = lp.Constraint(-lp.infinity(), 0)
            ct.SetCoefficient(t, 1)
            if i:
                ct.SetCoefficient(ptotal[i - 1], -1)
        for day, t in zip(pdates, ptotal, strict=True):
            i = bisect_right(dates, day + hi)
            ct = lp.Constraint(-lp.infinity(), 0)
            ct.SetCoefficient(t, 1)
            if i:
                ct.SetCoefficient(total[i - 1], -1)

    # --- stages -------------------------------------------------------------

    def solve(self, goal, maximize: bool = True) -> float:
        """Optimise one variable; its optimum (GLOP re-solves warm)."""
        obj = self.lp.Objective()
        obj.Clear()
        obj.SetCoefficient(goal, 1)
        obj.SetOptimizationDirection(maximize)
        if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
            raise InfeasiblePlan("GLOP found no optimum")
        self._shares = {sid: z.solution_value() for sid, z in self.z.items()}
        return goal.solution_value()

    def fix_options(self, chosen: set[SessionId] | None) -> None:
        """Hold exactly ``chosen`` (None: any share of every option)."""
        for sid, z in self.z.items():
            if chosen is None:
                z.SetBounds(0, 1)
            else:
                z.SetBounds(*((1, 1) if sid in chosen else (0, 0)))

    def ceiling(self) -> dict[WorkplaceId, int]:
        """Per workplace: at most this many complete, whatever options are
        added (every option held; a proven bound, in whole people)."""
        self.fix_options(set(self.z))
        out = {
            w: math.floor(self.solve(c) + EPS)
            for w, c in self.completions.items()
        }
        self.fix_options(None)
        return out

    def floor_bound(self, limit: int) -> float:
        """The highest floor any ``limit`` options allow (a bound)."""
        self.count.SetBounds(0, limit)
        try:
            return self.solve(self.floor)
        finally:
            self.count.SetBounds(0, self.lp.infinity())

    def hold_best(self, limit: int | None = None) -> tuple[float, float]:
        """Stage 2 with at most ``limit`` options (None: any number): the
        highest floor, then the most completions up to the targets; both
        held from now on (``release`` lets go). Returns them."""
        self.count.SetBounds(0, self.lp.infinity() if limit is None else limit)
        floor = self.solve(self.floor)
        self.floor.SetBounds(floor - EPS, 1)
        clipped = self.solve(self.clip_total)
        self.clip_total.SetBounds(clipped - EPS, self.lp.infinity())
        return floor, clipped

    def release(self) -> None:
        """Let go of what ``hold_best`` and ``require`` held."""
        self.floor.SetBounds(-1, 1)
        self.clip_total.SetBounds(-self.lp.infinity(), self.lp.infinity())
        self.count.SetBounds(0, self.lp.infinity())
        for c in self.completions.values():
            c.SetBounds(0, self.lp.infinity())

    def require(self, least: dict[WorkplaceId, int]) -> None:
        """At least this many completions in these workplaces."""
        for w, n in least.items():
            self.completions[w].SetBounds(n - EPS, self.lp.infinity())

    def set_loss(self, loss: dict[WorkplaceId, float]) -> None:
        """Count a workplace's completions ``loss`` lower towards its
        target and the floor: what the ordinary schedule was seen to lose
        against this model (planner.py calibrates it on today's drive)."""
        for w, row in self.clip_rows.items():
            row.SetBounds(-self.lp.infinity(), -loss.get(w, 0.0))

    def least_cost(self) -> float:
        """The relaxed least cost of what is held: a proven lower bound."""
        return self.solve(self.cost, maximize=False)

    def shares(self) -> dict[SessionId, float]:
        """The options' shares in the last stage's optimum."""
        return dict(self._shares)

    def feasible(self, chosen: set[SessionId]) -> bool:
        """Does holding exactly ``chosen`` keep what is held?"""
        self.fix_options(chosen)
        obj = self.lp.Objective()
        obj.Clear()
        try:
            return self.lp.Solve() == pywraplp.Solver.OPTIMAL
        finally:
            self.fix_options(None)

    def outcome(self, chosen: set[SessionId], full: bool = True) -> Outcome:
        """What exactly ``chosen`` allows: the highest floor, then the most
        completions up to the targets, then (``full``) the most weighted
        needs (with nothing else held)."""
        saved = (self.floor.lb(), self.clip_total.lb(), self.count.ub())
        self.fix_options(chosen)
        self.count.SetBounds(0, self.lp.infinity())
        try:
            floor = self.solve(self.floor)
            self.floor.SetBounds(floor - EPS, 1)
            if full:
                clipped = self.solve(self.clip_total)
                self.clip_total.SetBounds(clipped - EPS, 10**9)
                self.solve(self.value)
            else:
                self.solve(self.clip_total)
            return self._read(sorted(chosen), floor)  # before any change
        finally:
            self.fix_options(None)
            self.floor.SetBounds(saved[0], 1)
            self.clip_total.SetBounds(saved[1], self.lp.infinity())
            self.count.SetBounds(0, saved[2])

    def _read(self, chosen: list[SessionId], floor: float) -> Outcome:
        d = self.data
        served: dict[SessionId, dict[WorkplaceId, int]] = {}
        for sid in chosen:
            by: dict[WorkplaceId, float] = defaultdict(float)
            for ci, x in self.at.get(sid, []):
                by[d.classes[ci].workplace_id] += x.solution_value()
            served[sid] = {
                w: n
                for w, v in sorted(by.items())
                if (n := math.floor(v + EPS))
            }
        return Outcome(
            chosen=chosen,
            completions={
                w: math.floor(c.solution_value() + EPS)
                for w, c in self.completions.items()
            },
            served=served,
            value=self.value.solution_value(),
            floor=floor,
        )


#: Most single options ``round_plan`` tries to drop (one LP each).
DROP_TRIES = 12


def round_plan(model: CapacityModel) -> set[SessionId]:
    """A whole choice that keeps what the model holds, from its relaxed
    optimum: the shortest run of options by share (largest first, then
    cheapest) that keeps it, found by halving; then options dropped
    again one at a time, least share first, while the rest keeps it."""
    shares = model.shares()
    cost = {sid: model.data.options[sid].cost for sid in model.z}
    order = sorted(model.z, key=lambda s: (-shares.get(s, 0), cost[s], s))
    lo, hi = 0, len(order)  # hi keeps it (every option held)
    while lo < hi:
        mid = (lo + hi) // 2
        if model.feasible(set(order[:mid])):
            hi = mid
        else:
            lo = mid + 1
    chosen = set(order[:hi])
    for sid in sorted(chosen, key=lambda s: (shares.get(s, 0), -cost[s], s))[
        :DROP_TRIES
    ]:
        if model.feasible(chosen - {sid}):
            chosen.discard(sid)
    return chosen


def _place_rows(data: CapacityData, sid: SessionId, group: list) -> list:
    """A session's capacity rows (variables, places): the seats that
    reach only slots in S take at most the places of S, for every set of
    slots some class reaches and for all of them together."""
    session = data.sessions[sid]
    sets = {slots for slots, _ in group}
    union = tuple(sorted(set().union(*sets)))
    rows = []
    for slots in [union, *sorted(sets - {union}, key=len)]:
        inside = set(slots)
        rows.append(
            (
                [x for s, x in group if inside.issuperset(s)],
                slot_places(data.instance, session, slots),
            )
        )
    return rows
