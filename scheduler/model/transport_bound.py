"""An upper bound on needs met from a transportation relaxation.

Every person offers a few appointments of each service, the 1st, 2nd, …
worth at most what it could add to their needs (``bounds.appointment_
values``: decreasing, so the best are taken first); every session takes at
most its places (slots × capacity, or the doses available), and a person
at most one place in each of their candidate sessions. The most valuable
flow of appointments into sessions is a min-cost flow, solved exactly by
OR-Tools at any size in seconds.

It keeps capacity where it binds — per session and reach, which pooling
all places of a service cannot — and drops the rules that tie times
together (slots, one a day, teams, rule 11, dose dates), so no schedule
can meet more: ``bound_source: "transport"`` in run.json.
"""

from __future__ import annotations

import numpy as np
from ortools.graph.python import min_cost_flow

from scheduler.bounds import appointment_values, places
from scheduler.candidates import EmployeeOptions
from scheduler.domain import EmployeeId, Instance, Service
from scheduler.needs import Needs


def transport_bound(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
) -> float:
    """The relaxation's optimum, in weighted need units."""
    cap = places(instance)
    session_node = {sid: 2 + i for i, sid in enumerate(sorted(cap))}
    tails: list[int] = []
    heads: list[int] = []
    caps: list[int] = []
    costs: list[int] = []

    def arc(t: int, h: int, c: int, cost: int) -> None:
        tails.append(t)
        heads.append(h)
        caps.append(c)
        costs.append(cost)

    source, sink = 0, 1
    for sid, node in session_node.items():
        arc(node, sink, cap[sid], 0)
    node = 2 + len(session_node)
    units = 0
    for (eid, service), values in appointment_values(
        instance, needs, options
    ).items():
        opts = options[eid]
        rows = (
            opts.vaccination
            if service is Service.VACCINATION
            else [opts.tests]
        )
        sessions = sorted(
            {o.session_id for row in rows for o in row} & session_node.keys()
        )
        if not sessions:
            continue
        for v in values[: len(sessions)]:
            arc(source, node, 1, -v)
            units += 1
        for sid in sessions:
            arc(node, session_node[sid], 1, 0)
        node += 1
    if units == 0:
        return 0.0
    # Appointments nobody takes flow straight to the sink, at no value.
    arc(source, sink, units, 0)
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
        raise RuntimeError("transport bound: min-cost flow not optimal")
    return -flow.optimal_cost() / instance.settings.days
