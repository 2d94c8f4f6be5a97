"""An upper bound on needs met from a linear relaxation (GLOP).

People with the same candidate sessions and the same appointment values
(``bounds.appointment_values``) form a class; the LP counts how many of a
class take each session, so its size follows the classes, not the staff.

What it keeps, per class and session:
* places: a session takes at most its places (slots × capacity, or the
  doses available when fewer);
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
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.linear_solver import pywraplp

from scheduler.bounds import appointment_values
from scheduler.candidates import EmployeeOptions
from scheduler.domain import EmployeeId, Instance, Service
from scheduler.needs import Needs

#: GLOP's time limit; past it the caller falls back to a cheaper bound.
LP_SECONDS = 120.0


#: A class of people in the vaccination part: the sessions open to each
#: dose position, and what each position is worth.
ClassKey = tuple[tuple[tuple[str, ...], ...], tuple[int, ...]]

#: Per class, per dose position: the places the LP gives it per session.
Plan = dict[ClassKey, list[dict[str, float]]]


@dataclass(frozen=True, slots=True)
class Relaxation:
    """The LP's optimum (weighted need units; None if GLOP gave none) and
    its vaccination part, which guides the greedy (greedy.py)."""

    value: float | None
    plan: Plan


def lp_bound(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
) -> float | None:
    """The LP optimum in weighted need units, or None if GLOP gave none."""
    return lp_relaxation(instance, needs, options).value


def vaccination_classes(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
) -> dict[EmployeeId, ClassKey]:
    """Every person with a vaccination need in reach: their class."""
    cap = {s.id for s in instance.horizon_sessions()}
    out = {}
    for (eid, service), values in appointment_values(
        instance, needs, options
    ).items():
        if service is Service.VACCINATION:
            out[eid] = (
                tuple(
                    tuple(
                        sorted(
                            o.session_id for o in row if o.session_id in cap
                        )
                    )
                    for row in options[eid].vaccination[: len(values)]
                ),
                tuple(values),
            )
    return out


def lp_relaxation(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
) -> Relaxation:
    """The LP's optimum and its plan (see the module's doc)."""
    cap = {s.id: s.places for s in instance.horizon_sessions()}
    vacc: dict[ClassKey, int] = defaultdict(int)
    for key in vaccination_classes(instance, needs, options).values():
        vacc[key] += 1
    tests: list[tuple[tuple[str, ...], list[int]]] = []
    for (eid, service), values in appointment_values(
        instance, needs, options
    ).items():
        opts = options[eid]
        if service is Service.VACCINATION:
            continue
        row = tuple(
            sorted(o.session_id for o in opts.tests if o.session_id in cap)
        )
        if row:
            tests.append((row, values[: len(row)]))
    lp = pywraplp.Solver.CreateSolver("GLOP")
    if lp is None:
        return Relaxation(None, {})
    lp.SetTimeLimit(int(LP_SECONDS * 1000))
    objective = lp.Objective()
    objective.SetMaximization()
    in_session: dict[str, list] = defaultdict(list)
    classes = {
        key: _vaccination_class(instance, lp, key, n, in_session)
        for key, n in sorted(vacc.items())
    }
    for sid, xs in in_session.items():
        ct = lp.Constraint(0, cap[sid])
        for x in xs:
            ct.SetCoefficient(x, 1)
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return Relaxation(None, {})
    # A hair above GLOP's optimum, for its floating-point tolerance.
    value = objective.Value() * (1 + 1e-9) + 1e-6
    plan = {
        key: [
            {
                sid: v
                for sid, x in row.items()
                if (v := x.solution_value()) > 1e-9
            }
            for row in rows
        ]
        for key, rows in classes.items()
    }
    days = instance.settings.days
    return Relaxation((value + _tests_by_flow(tests, cap)) / days, plan)


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
        for sid in row:
            x = lp.NumVar(0, n, "")
            objective.SetCoefficient(x, values[k])
            once.SetCoefficient(x, 1)
            in_session[sid].append(x)
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
