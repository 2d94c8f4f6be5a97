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

With ``--tests`` (capacity.md, "Question" 2) it also counts, per class
of people sharing test needs and test sessions in reach (``TestClass``),
how many take a test in each session (``t[c, s]``, within the sessions'
places and options like the doses). A member is covered on day D by a
test at most ``every_days - 1`` days before, so the class's covered
members on D are at most its tests in that span (and at most its size);
a screening window is met by at most the class's tests inside it. Both
are relaxations of any schedule's counts.

It drops what ties people to one another besides places (teams, rules 7
and 8), slot times beyond the sets of slots, and what ties a person's
tests to their doses (rules 5 and 11); and it lets
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
from dataclasses import dataclass, field
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
    #: Test person-days covered and screening windows met, per workplace
    #: (empty without tests).
    covered: dict[WorkplaceId, int] = field(default_factory=dict)
    screened: dict[WorkplaceId, int] = field(default_factory=dict)

    def figure(self, goal: str) -> dict[WorkplaceId, int]:
        """Per workplace, a goal's figure: ``vaccination`` completions,
        ``tests`` person-days covered, ``screening`` windows met."""
        return {
            "vaccination": self.completions,
            "tests": self.covered,
            "screening": self.screened,
        }[goal]


class CapacityModel:
    """The model of the module doc, built once on GLOP. Stages change the
    objective and the bounds of a few variables (options, counts, the
    floor), then put them back."""

    def __init__(
        self,
        data: CapacityData,
        targets: dict[WorkplaceId, int],
        time_limit: float = 60.0,
        test_targets: dict[WorkplaceId, int] | None = None,
    ) -> None:
        """``targets``: completions wanted per workplace beyond those
        complete before; ``test_targets``: test person-days covered wanted
        (with ``data.tests``; every screening window is wanted)."""
        self.data = data
        self.targets = targets
        self.test_targets = test_targets or {}
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
        self.at: dict[SessionId, list[tuple[WorkplaceId, object]]] = (
            defaultdict(list)
        )
        completions: dict[WorkplaceId, list] = defaultdict(list)
        self.values: list[tuple[float, object]] = []
        for cls in d.classes:
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
                            self.at[sid].append((cls.workplace_id, x))
                    running = self._running(xs)
                    if prev is not None:
                        self._intervals(prev, running, chain)
                    prev = running
        tested = self._tests(seats) if d.tests is not None else None
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
        #: Per (goal, workplace), the row that counts the goal's loss
        #: (``set_loss``).
        self.loss_rows: dict[tuple[str, WorkplaceId], object] = {}
        # Negative only where a loss (``set_loss``) outweighs completions.
        self.floor = lp.NumVar(-1, 1, "floor")
        for w in sorted(d.headcount):
            c = self._sum_var(completions.get(w, []))
            a = lp.NumVar(-inf, self.targets[w], f"a[{w}]")
            ct = lp.Constraint(-inf, 0)
            ct.SetCoefficient(a, 1)
            ct.SetCoefficient(c, -1)
            self.loss_rows["vaccination", w] = ct
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
        self.covered: dict[WorkplaceId, object] = {}
        self.screened: dict[WorkplaceId, object] = {}
        self.test_totals: list = []
        if tested is not None:
            self._test_goals(*tested)

    def _tests(self, seats: dict) -> tuple[dict, dict, dict]:
        """The test classes' variables (module doc); per workplace the
        covered person-days (variables and a constant: days the last
        known test covers) and the windows met (variables)."""
        lp, d = self.lp, self.data
        assert d.tests is not None
        days = d.instance.settings.dates()
        covered: dict[WorkplaceId, list] = defaultdict(list)
        always: dict[WorkplaceId, int] = defaultdict(int)
        screened: dict[WorkplaceId, list] = defaultdict(list)
        for cls in d.tests.classes:
            w, size = cls.workplace_id, cls.size
            tests = []
            for sid, slots in cls.seats:
                x = lp.NumVar(0, size, "")
                tests.append((d.sessions[sid].date, x))
                seats[sid].append((slots, x))
                if sid in self.z:
                    self.at[sid].append((w, x))
            for need in cls.cadences:
                span = timedelta(days=need.every_days - 1)
                for day in days:
                    if day - need.last_test <= span:
                        always[w] += size
                        continue
                    xs = [x for t, x in tests if day - span <= t <= day]
                    if not xs:
                        continue
                    covered[w].append(self._at_most(size, xs))
            for lo, hi in cls.windows:
                xs = [x for t, x in tests if lo <= t <= hi]
                if xs:
                    screened[w].append(self._at_most(size, xs))
        return covered, always, screened

    def _at_most(self, size: int, xs: list):
        """A count of at most ``size`` and at most the sum of ``xs``."""
        lp = self.lp
        v = lp.NumVar(0, size, "")
        ct = lp.Constraint(-lp.infinity(), 0)
        ct.SetCoefficient(v, 1)
        for x in xs:
            ct.SetCoefficient(x, -1)
        return v

    def _test_goals(self, covered: dict, always: dict, screened: dict):
        """Per workplace the covered person-days and windows met, each
        clipped at its target less its loss (as completions are); their
        totals are the stages' goals (``_hold_tests``)."""
        lp, d = self.lp, self.data
        assert d.tests is not None
        inf = lp.infinity()
        clipped: dict[str, list] = {"tests": [], "screening": []}
        for w in sorted(d.headcount):
            self.covered[w] = self._sum_var(
                covered.get(w, []), plus=always.get(w, 0)
            )
            self.screened[w] = self._sum_var(screened.get(w, []))
            for kind, have, goal in (
                ("tests", self.covered[w], self.test_targets.get(w, 0)),
                ("screening", self.screened[w], d.tests.windows.get(w, 0)),
            ):
                a = lp.NumVar(-inf, goal, "")
                row = lp.Constraint(-inf, 0)
                row.SetCoefficient(a, 1)
                row.SetCoefficient(have, -1)
                self.loss_rows[kind, w] = row
                clipped[kind].append(a)
        for kind in ("screening", "tests"):
            total = self._sum_var(clipped[kind])
            total.SetBounds(-inf, inf)
            self.test_totals.append(total)

    def _sum_var(
        self, xs: list, coefs: list[float] | None = None, plus: float = 0
    ):
        """A variable equal to a weighted sum and ``plus`` (stages bound
        it)."""
        lp = self.lp
        v = lp.NumVar(0, lp.infinity(), "")
        ct = lp.Constraint(-plus, -plus)
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

    def test_ceiling(self) -> dict[str, dict[WorkplaceId, int]]:
        """Per workplace: at most this many test person-days covered
        (``tests``) and screening windows met (``screening``), whatever
        options are added (a proven bound)."""
        self.fix_options(set(self.z))
        out = {
            kind: {w: math.floor(self.solve(v) + EPS) for w, v in vs.items()}
            for kind, vs in (
                ("tests", self.covered),
                ("screening", self.screened),
            )
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
        self.clip_total.SetBounds(_whole(clipped), self.lp.infinity())
        self._hold_tests()
        return floor, clipped

    def tests_reach(self, targets: dict[WorkplaceId, int]) -> bool:
        """After ``hold_best``: do the person-days held reach every
        workplace's target (with no loss counted, as for the bound)?"""
        if not self.test_totals:
            return True
        return self.test_totals[-1].lb() + 2 * EPS >= sum(targets.values())

    def _hold_tests(self, last: bool = True) -> None:
        """The screening windows met, then the test person-days covered,
        each up to its target less its loss: the most, held (the last
        one only if ``last``)."""
        for i, total in enumerate(self.test_totals, start=1):
            best = self.solve(total)
            if last or i < len(self.test_totals):
                total.SetBounds(_whole(best), self.lp.infinity())

    def release(self) -> None:
        """Let go of what ``hold_best`` held."""
        self.floor.SetBounds(-1, 1)
        self.clip_total.SetBounds(-self.lp.infinity(), self.lp.infinity())
        for total in self.test_totals:
            total.SetBounds(-self.lp.infinity(), self.lp.infinity())
        self.count.SetBounds(0, self.lp.infinity())

    def keep_at_least(
        self, least: dict[tuple[str, WorkplaceId], float]
    ) -> bool:
        """From now on, no workplace gets less of a goal (``vaccination``:
        completions, ``tests``: person-days covered, ``screening``: windows
        met) than ``least``, if some choice of options allows it (else
        nothing changes and False). The planner holds what today's
        schedule reaches: an added session never takes people from one
        building to give them to another, so no promise reads below
        today."""
        inf = self.lp.infinity()
        have = {
            "vaccination": self.completions,
            "tests": self.covered,
            "screening": self.screened,
        }
        bounds = {
            key: have[key[0]][key[1]]
            for key in least
            if key[1] in have[key[0]]
        }
        saved = {key: v.lb() for key, v in bounds.items()}
        for key, v in bounds.items():
            v.SetBounds(max(0.0, least[key] - EPS), inf)
        if self.feasible(set(self.z)):
            return True
        for key, v in bounds.items():
            v.SetBounds(saved[key], inf)
        return False

    def set_loss(self, loss: dict[tuple[str, WorkplaceId], float]) -> None:
        """Count a workplace's goal (``vaccination``, ``tests``,
        ``screening``) ``loss[goal, workplace]`` lower towards its target
        (and completions towards the floor): what the ordinary schedule
        was seen to lose against this model (plan_capacity.py calibrates
        it on today's drive)."""
        for key, row in self.loss_rows.items():
            row.SetBounds(-self.lp.infinity(), -loss.get(key, 0.0))

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

    def outcome(
        self, chosen: set[SessionId], full: bool = True, tests: bool = True
    ) -> Outcome:
        """What exactly ``chosen`` allows: the highest floor, then the most
        completions up to the targets, then (``tests``) the most screening
        windows and test person-days, then (``full``) the most weighted
        needs (with nothing else held). Without ``tests`` the outcome's
        test figures are any the solve left."""
        saved = (self.floor.lb(), self.clip_total.lb(), self.count.ub())
        tests_lb = [t.lb() for t in self.test_totals]
        self.fix_options(chosen)
        self.count.SetBounds(0, self.lp.infinity())
        try:
            floor = self.solve(self.floor)
            self.floor.SetBounds(floor - EPS, 1)
            clipped = self.solve(self.clip_total)
            # The values are read from the last stage's solve (a bound
            # changed after it would leave none to read).
            held = tests and bool(self.test_totals)
            if held or full:
                self.clip_total.SetBounds(clipped - EPS, 10**9)
            if held:
                self._hold_tests(last=full)
            if full:
                self.solve(self.value)
            return self._read(sorted(chosen), floor)  # before any change
        finally:
            self.fix_options(None)
            self.floor.SetBounds(saved[0], 1)
            self.clip_total.SetBounds(saved[1], self.lp.infinity())
            self.count.SetBounds(0, saved[2])
            for t, lb in zip(self.test_totals, tests_lb, strict=True):
                t.SetBounds(lb, self.lp.infinity())

    def _read(self, chosen: list[SessionId], floor: float) -> Outcome:
        served: dict[SessionId, dict[WorkplaceId, int]] = {}
        for sid in chosen:
            by: dict[WorkplaceId, float] = defaultdict(float)
            for w, x in self.at.get(sid, []):
                by[w] += x.solution_value()
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
            covered={
                w: math.floor(v.solution_value() + EPS)
                for w, v in self.covered.items()
            },
            screened={
                w: math.floor(v.solution_value() + EPS)
                for w, v in self.screened.items()
            },
        )


def _whole(total: float) -> float:
    """What a stage holds of a total of people (or person-days): its
    whole part, so that no option is added for a fraction of a person
    that no promise counts (promises are whole, rounded down)."""
    return math.floor(total + EPS) - EPS


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
