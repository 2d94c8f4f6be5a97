"""An upper bound on needs met from linear relaxations (GLOP, PDLP).

People with the same candidate sessions and the same appointment values
(``bounds.appointment_values``) form a class; the LP counts how many of a
class take each session, so its size follows the classes, not the staff.

What it keeps, per class and session:
* places: a session takes at most its usable places
  (``bounds.usable_places``: reachable slots × capacity, or the doses
  available or observation seats when fewer);
* each dose position of a series at most once per person, only in the
  sessions open to that position, and never before its predecessor: by
  every date D, the k-th doses of a product given by D are at most the
  (k−1)-th doses of that product given by D − its minimum interval — the
  relaxation that sees that a second dose inside the horizon needs an early
  first dose, which is where capacity binds in a real drive;
* tests: the j-th test of a person is worth at most its marginal value;
  this part is a transportation problem, solved as a min-cost flow.

What it drops: slots and times of day, one appointment a day, teams
(rules 7, 8), rule 11, maximum intervals, and whole-person choices (a class
may split fractionally). So no schedule meets more: ``bound_source: "lp"``.

The flow is blind to dates and teams, and on small generated drives that
is where the bound was loose (2–4 % above proven optima): a night team can
send only a few at a time to the two evening slots its shifts reach, and a
test counts only for the days after it. ``bound_on_tests`` is a second LP
over classes within teams that keeps both (see its doc); where it is small
enough to solve during the solve, the tests' part is the smaller of the two.
On those drives the bound then sits 0.1–0.2 % above the optimum.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.linear_solver import linear_solver_pb2, pywraplp

from scheduler.core.domain import EmployeeId, Instance, Service
from scheduler.core.rules import team_away_limit
from scheduler.model.bounds import (
    appointment_values,
    most_disjoint,
    slot_places,
    usable_places,
)
from scheduler.prepare.needs import Needs, Urgency, need_weight

if TYPE_CHECKING:
    from scheduler.prepare.candidates import EmployeeOptions

#: GLOP's and PDLP's time limit; past it the caller falls back to a cheaper
#: bound.
LP_SECONDS = 120.0


#: A session open to a class, with the slots open to it.
Seat = tuple[str, tuple[int, ...]]

#: A class of people in the vaccination part: the sessions (and slots)
#: open to each dose position, and what each position is worth.
ClassKey = tuple[tuple[Seat, ...], tuple[int, ...]]

#: Per class, per dose position: the places the LP gives it per session.
Plan = dict[ClassKey, list[dict[str, float]]]


@dataclass(frozen=True, slots=True)
class Relaxation:
    """The vaccination part of the LP: its optimum (weighted need units;
    None if GLOP gave none) and its plan, which guides the greedy
    (greedy.py). The tests' part is ``bound_on_tests``."""

    value: float | None
    plan: Plan


def lp_bound(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
) -> float | None:
    """The LP bound in weighted need units, or None if GLOP gave none."""
    vaccination = lp_relaxation(instance, needs, options).value
    tests = bound_on_tests(instance, needs, options)
    if vaccination is None or tests is None:
        return None
    return vaccination + tests


def vaccination_classes(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
) -> dict[EmployeeId, ClassKey]:
    """Every person with a vaccination need in reach: their class."""
    cap = {s.id for s in instance.horizon_sessions()}
    out = {}
    for (eid, _), values in appointment_values(
        instance, needs, options, (Service.VACCINATION,)
    ).items():
        rows = options[eid].vaccination[: len(values)]
        out[eid] = (
            tuple(_seats(row, cap) for row in rows),
            tuple(values),
        )
    return out


def lp_relaxation(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
) -> Relaxation:
    """The LP's optimum and its plan (see the module's doc)."""
    vacc: dict[ClassKey, int] = defaultdict(int)
    for key in vaccination_classes(instance, needs, options).values():
        vacc[key] += 1
    lp = _glop()
    if lp is None:
        return Relaxation(None, {})
    in_session: dict[str, list] = defaultdict(list)
    classes = {
        key: _vaccination_class(instance, lp, key, n, in_session)
        for key, n in sorted(vacc.items())
    }
    for sid, xs in in_session.items():
        for row in _places(instance, instance.sessions[sid], xs):
            _at_most(lp, *row)
    value, solution = _optimum_or_pdlp(lp)
    if value is None:
        return Relaxation(None, {})
    plan = {
        key: [
            {
                sid: v
                for sid, x in row.items()
                if (v := solution[x.index()]) > 1e-9
            }
            for row in rows
        ]
        for key, rows in classes.items()
    }
    days = instance.settings.days
    return Relaxation(value / days, plan)


def _vaccination_class(
    instance, lp, key: ClassKey, n: int, in_session
) -> list[dict[str, object]]:
    """One class's variables and rows; its variables per position."""
    rows, values = key
    objective = lp.Objective()
    prev: dict[str, tuple[list, list]] | None = None
    out: list[dict[str, object]] = []
    for k, row in enumerate(rows):
        if not row:
            break
        once = lp.Constraint(0, n)
        xs = []
        out.append({})
        for sid, slots in row:
            x = lp.NumVar(0, n, "")
            objective.SetCoefficient(x, values[k])
            once.SetCoefficient(x, 1)
            in_session[sid].append((slots, x))
            out[-1][sid] = x
            xs.append((instance.sessions[sid], x))
        by_product: dict[str, tuple[list, list]] = {}
        for s, x in sorted(xs, key=lambda sx: sx[0].date):
            dates, vs = by_product.setdefault(s.product, ([], []))
            dates.append(s.date)
            vs.append(x)
        if prev is not None:
            for p, (dates, vs) in by_product.items():
                before = prev.get(p, ([], []))
                gap = timedelta(days=instance.products[p].min_interval_days)
                for i, d in enumerate(dates):
                    if i + 1 < len(dates) and dates[i + 1] == d:
                        continue  # the last session of a date sums them all
                    ct = lp.Constraint(-lp.infinity(), 0)
                    for x in vs[: i + 1]:
                        ct.SetCoefficient(x, 1)
                    for y in before[1][: bisect_right(before[0], d - gap)]:
                        ct.SetCoefficient(y, -1)
        prev = by_product
    return out


def _places(instance: Instance, session, seats: list) -> list:
    """A session's capacity rows, (variables, limit): the classes that can
    reach only slots in S take at most the places of S (``slot_places``),
    for every set of slots some class can reach and for all of them
    together. With the whole session's row alone, the LP planned 30
    people into a session whose last 20 places only they could reach,
    and the greedy that followed its plan left a third of such sessions
    empty. The rows cost GLOP time (benchmarks/measurements.md, "LP
    bound"); adding only the rows the LP broke and solving again took
    longer still (each re-solve started afresh)."""
    sets = {slots for slots, _ in seats}
    union = tuple(sorted(set().union(*sets)))
    rows = []
    for slots in [union, *sorted(sets - {union}, key=len)]:
        inside = set(slots)
        rows.append(
            (
                [x for s, x in seats if inside.issuperset(s)],
                slot_places(instance, session, slots),
            )
        )
    return rows


def _tests_by_flow(
    tests: list[tuple[tuple[str, ...], list[int]]], cap: dict[str, int]
) -> int:
    """The tests' part of the LP, which is a transportation problem (no
    test session takes a dose): solved exactly, and much faster, as a
    min-cost flow. Each person's j-th test flows from the source at its
    value, at most one per candidate session, into sessions that pass at
    most their places to the sink; tests nobody takes bypass at no value.
    """
    nodes = {sid: 2 + i for i, sid in enumerate(sorted(cap))}
    tails, heads, caps, costs = [], [], [], []

    def arc(t: int, h: int, c: int, cost: int = 0) -> None:
        tails.append(t)
        heads.append(h)
        caps.append(c)
        costs.append(cost)

    source, sink = 0, 1
    for sid, node in nodes.items():
        arc(node, sink, cap[sid])
    node, units = 2 + len(nodes), 0
    for row, values in tests:
        for v in values:
            arc(source, node, 1, -v)
            units += 1
        for sid in row:
            arc(node, nodes[sid], 1)
        node += 1
    if units == 0:
        return 0
    arc(source, sink, units)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.array(tails, dtype=np.int32),
        np.array(heads, dtype=np.int32),
        np.array(caps, dtype=np.int64),
        np.array(costs, dtype=np.int64),
    )
    supplies = np.zeros(node, dtype=np.int64)
    supplies[source], supplies[sink] = units, -units
    flow.set_nodes_supplies(np.arange(node, dtype=np.int32), supplies)
    if flow.solve() != flow.OPTIMAL:
        raise RuntimeError("LP bound: the tests' min-cost flow failed")
    return -flow.optimal_cost()


#: Largest tests LP (class × session variables) solved by dates and teams,
#: in all and per part of the drive that shares no test session with the
#: rest (each part is its own LP); above them, by dates alone, up to
#: ``DATED_VARIABLES``; above that the min-cost flow alone bounds the tests.
#: PDLP's time grows about with the LP's size, and it runs on the second
#: core while the start is built and the solver runs: these sizes keep it
#: within that time (benchmarks/measurements.md, "LP bound").
TIGHT_TESTS_VARIABLES = 400_000
TIGHT_PART_VARIABLES = 200_000

#: Largest tests LP by dates alone (classes merged across teams, no team
#: rows); it covers the largest benchmark drive
#: (benchmarks/measurements.md, "LP bound").
DATED_VARIABLES = 600_000


def bound_on_tests(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
) -> float | None:
    """A bound on the tests' part of needs met, in weighted need units:
    the min-cost flow (``_tests_by_flow``), or where it is small enough
    the LP by dates and teams when that is lower. Where that LP is too
    large, classes merge across teams and the team rows go: the LP by
    dates alone still sees sessions full on the dates a cadence needs,
    below the flow.

    Per class of people (same team, candidate test sessions, needs and
    weight): a cadence day counts at most as many people as the class
    took tests dated in the ``every_days`` before it (the last recorded
    test covers its own days, which count for nobody); a window at most as
    many as took tests inside it. Per team and session, the tests are at
    most K × α: K = max(1, ⌊share × team size⌋), the most rule 7 ever lets
    away at once, times α, the most pairwise disjoint times away among the
    team's slots there — at no moment are more than K of them away.
    """
    cap = usable_places(instance, options)
    flow = _tests_by_flow(_test_rows(instance, needs, options, cap), cap)
    flow /= instance.settings.days
    dated = _tests_by_dates(instance, needs, options, cap)
    return flow if dated is None else min(flow, dated)


def _test_rows(instance, needs, options, cap) -> list:
    """Per person with tests: candidate sessions and test values."""
    rows = []
    for (eid, _), values in appointment_values(
        instance, needs, options, (Service.NUCLEIC_TEST,)
    ).items():
        row = _session_ids(options[eid].tests, cap)
        if row:
            rows.append((row, values[: len(row)]))
    return rows


def _tests_by_dates(instance, needs, options, cap) -> float | None:
    """The LP by dates and teams (see ``bound_on_tests``), or by dates
    alone when that is too large; None when both are, or PDLP fails.
    Parts of the drive that share no test session are solved apart."""
    classes, spans = _test_classes(instance, needs, options, cap)
    parts = _apart(classes)
    sizes = [_variables(part) for part in parts]
    if sum(sizes) > TIGHT_TESTS_VARIABLES or (
        max(sizes, default=0) > TIGHT_PART_VARIABLES
    ):
        merged: dict[tuple, int] = defaultdict(int)
        for (_, *rest), n in classes.items():
            merged[(None, *rest)] += n
        if _variables(merged) > DATED_VARIABLES:
            return None
        parts, spans = _apart(merged), {}
    total = 0.0
    for part in parts:
        value = _dated_lp(instance, part, spans, cap)
        if value is None:
            return None
        total += value
    return total


def _variables(classes: dict[tuple, int]) -> int:
    """The tests LP's class × session variables."""
    return sum(len(row) for _, row, _, _ in classes)


def _apart(classes: dict[tuple, int]) -> list[dict[tuple, int]]:
    """The classes in groups that share no session (a class's row links
    its sessions), each in the classes' order."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, row, _, _ in classes:
        for sid in row[1:]:
            a, b = root(row[0]), root(sid)
            if a != b:
                parent[max(a, b)] = min(a, b)
    parts: dict[str, dict[tuple, int]] = {}
    for key, n in classes.items():
        parts.setdefault(root(key[1][0]), {})[key] = n
    return list(parts.values())


def _dated_lp(instance, classes, spans, cap) -> float | None:
    """One part's LP by dates (and teams, unless merged: team None),
    solved by PDLP (``_dual_bound``)."""
    lp = _pdlp()
    if lp is None:
        return None
    h0 = instance.settings.horizon_start
    days = instance.settings.days
    in_session: dict[str, list] = defaultdict(list)
    in_team: dict[tuple, list] = defaultdict(list)
    for (team, row, sig, w), n in classes.items():  # in employee order
        on_day: dict[int, list] = defaultdict(list)
        for sid in row:
            z = lp.NumVar(0, n, "")
            in_session[sid].append(z)
            if team is not None:  # None: classes merged across teams
                in_team[team, sid].append(z)
            on_day[(instance.sessions[sid].date - h0).days].append(z)
        for every, last, window in sig:
            if every is not None:
                for t in range(days):
                    if last is not None and t - every < last <= t:
                        continue  # covered by the recorded test
                    _covered(lp, n, w / days, on_day, t - every + 1, t)
            else:
                _covered(lp, n, w, on_day, *window)
    for sid, zs in in_session.items():
        _at_most(lp, zs, cap[sid])
    share = instance.settings.team_away_max_share
    teams = instance.teams()
    for (team, sid), zs in sorted(in_team.items()):
        k = team_away_limit(share, len(teams[team]))
        _at_most(lp, zs, k * most_disjoint(spans[team, sid]))
    return _dual_bound(lp)


def _test_classes(instance, needs, options, cap) -> tuple[dict, dict]:
    """Classes of people for the tests LP, with their sizes, and every
    team's candidate times away per session."""
    h0 = instance.settings.horizon_start
    classes: dict[tuple, int] = defaultdict(int)
    spans: dict[tuple, set] = defaultdict(set)
    for eid, ns in sorted(needs.tests.items()):
        opts = options.get(eid)
        if opts is None:
            continue
        row = _session_ids(opts.tests, cap)
        if not row:
            continue
        e = instance.employees[eid]
        sig = tuple(
            (
                n.every_days,
                None if n.last_test is None else (n.last_test - h0).days,
                None
                if n.window is None
                else ((n.window[0] - h0).days, (n.window[1] - h0).days),
            )
            for n in ns
        )
        key = (e.team_key, row, sig, need_weight(Urgency.DUE, e.priority))
        classes[key] += 1
        for o in opts.tests:
            if o.session_id in cap:
                spans[e.team_key, o.session_id].update(o.away)
    return classes, spans


def _covered(lp, n: int, value: float, on_day, lo: int, hi: int) -> None:
    """A count of people (≤ n) worth ``value`` each, at most the tests the
    class took on days lo..hi."""
    tests = [z for d, zs in on_day.items() if lo <= d <= hi for z in zs]
    if not tests:
        return
    y = lp.NumVar(0, n, "")
    lp.Objective().SetCoefficient(y, value)
    ct = lp.Constraint(-lp.infinity(), 0)
    ct.SetCoefficient(y, 1)
    for z in tests:
        ct.SetCoefficient(z, -1)


def _seats(row, cap) -> tuple[Seat, ...]:
    """The sessions of a row of options that the LP knows, with their
    slots, sorted."""
    return tuple(
        sorted((o.session_id, o.slots) for o in row if o.session_id in cap)
    )


def _session_ids(row, cap) -> tuple[str, ...]:
    """The ids of a row of options that the LP knows, sorted."""
    return tuple(sorted(o.session_id for o in row if o.session_id in cap))


def _glop():
    """An empty maximising GLOP model with its time limit (None if GLOP is
    not available)."""
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is not None:
        lp.SetTimeLimit(int(LP_SECONDS * 1000))
        lp.Objective().SetMaximization()
    return lp


#: PDLP's relative and absolute tolerances: tight enough that its dual
#: bound is within a unit of GLOP's optimum, in a fraction of GLOP's time
#: (benchmarks/measurements.md, "LP bound").
PDLP_TOLERANCE = 1e-5


def _pdlp():
    """An empty maximising PDLP model, one thread (so deterministic), with
    its time limit (None if PDLP is not available)."""
    lp = pywraplp.Solver.CreateSolver("PDLP")
    if lp is not None:
        lp.SetTimeLimit(int(LP_SECONDS * 1000))
        lp.Objective().SetMaximization()
        eps = f"{PDLP_TOLERANCE:g}"
        lp.SetSolverSpecificParametersAsString(
            "num_threads: 1 termination_criteria { "
            "simple_optimality_criteria { "
            f"eps_optimal_relative: {eps} eps_optimal_absolute: {eps} }} }}"
        )
    return lp


def _dual_bound(lp) -> float | None:
    """An upper bound on a maximising LP's optimum from PDLP's row prices
    (None if PDLP found none).

    A first-order method's optimum is only near the true one, so it is no
    proof; its duals make one. For any prices y of the rows lo ≤ Ax ≤ hi
    and any feasible x (l ≤ x ≤ u): c·x = (c − Aᵀy)·x + y·Ax, at most
    Σⱼ max((c − Aᵀy)ⱼ lⱼ, (c − Aᵀy)ⱼ uⱼ) + Σᵢ max(yᵢ loᵢ, yᵢ hiᵢ) (weak
    Lagrangian duality; a price whose side of the row is unbounded counts
    as 0). Near-optimal prices make it near the optimum.
    """
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    proto = linear_solver_pb2.MPModelProto()
    lp.ExportModelToProto(proto)
    prices = [ct.dual_value() for ct in lp.constraints()]
    # A hair above, for floating-point sums.
    return lagrangian_bound(proto, prices) * (1 + 1e-9) + 1e-6


def lagrangian_bound(proto, prices) -> float:
    """``_dual_bound``'s sum for a maximising LP (an ``MPModelProto``)
    and any row prices."""
    y = np.array(prices, dtype=float)
    lo = np.array([ct.lower_bound for ct in proto.constraint])
    hi = np.array([ct.upper_bound for ct in proto.constraint])
    y[((y > 0) & np.isinf(hi)) | ((y < 0) & np.isinf(lo))] = 0.0
    rows = np.fromiter(
        (i for i, ct in enumerate(proto.constraint) for _ in ct.var_index),
        dtype=np.int64,
    )
    cols = np.fromiter(
        (j for ct in proto.constraint for j in ct.var_index), dtype=np.int64
    )
    coef = np.fromiter(
        (a for ct in proto.constraint for a in ct.coefficient), dtype=float
    )
    c = np.array([v.objective_coefficient for v in proto.variable])
    low = np.array([v.lower_bound for v in proto.variable])
    up = np.array([v.upper_bound for v in proto.variable])
    reduced = c - np.bincount(cols, weights=coef * y[rows], minlength=len(c))
    return _most(reduced, low, up) + _most(y, lo, hi)


def _most(a: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Σ max a·x over lo ≤ x ≤ hi (0 where a is)."""
    with np.errstate(invalid="ignore"):
        top = np.where(a > 0, a * hi, np.where(a < 0, a * lo, 0.0))
    return float(top.sum())


#: PDLP's time limit when GLOP found no optimum of the vaccination LP in
#: ``LP_SECONDS``.
PDLP_FALLBACK_SECONDS = 90.0


def _optimum_or_pdlp(lp) -> tuple[float | None, list[float]]:
    """GLOP's optimum of a maximising LP and its solution (per variable
    index); if GLOP found none in its time limit, PDLP's dual bound
    (``_dual_bound``, a proof) and its near-optimal solution instead,
    which guides the greedy less well but far better than none (100,000
    staff, default shape: 4,363,881 weighted units against GLOP's plan's
    4,416,942 and the unguided greedy's 4,326,587). (None, []) if neither
    found one."""
    value = _optimum(lp)
    if value is not None:
        return value, [x.solution_value() for x in lp.variables()]
    proto = linear_solver_pb2.MPModelProto()
    lp.ExportModelToProto(proto)
    pdlp = _pdlp()
    if pdlp is None or pdlp.LoadModelFromProto(proto):
        return None, []
    pdlp.SetTimeLimit(int(PDLP_FALLBACK_SECONDS * 1000))
    value = _dual_bound(pdlp)
    if value is None:
        return None, []
    return value, [x.solution_value() for x in pdlp.variables()]


def _optimum(lp) -> float | None:
    """GLOP's optimum a hair above, for its floating-point tolerance; None
    if it found none."""
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return lp.Objective().Value() * (1 + 1e-9) + 1e-6


def _at_most(lp, xs: list, limit: float) -> None:
    ct = lp.Constraint(0, limit)
    for x in xs:
        ct.SetCoefficient(x, 1)
