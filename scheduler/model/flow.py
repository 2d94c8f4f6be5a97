"""A min-cost assignment of people to places (OR-Tools' min-cost flow).

The greedy start (heuristics/greedy.py) plans the screening windows with
it; the solver code stays in this folder, so the heuristics never import
OR-Tools themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortools.graph.python import min_cost_flow

if TYPE_CHECKING:
    from collections.abc import Hashable, Sequence


def assign(
    people: int,
    arcs: Sequence[tuple[int, Hashable, int]],
    capacity: dict[Hashable, int],
) -> dict[int, Hashable]:
    """Each person ``0 … people-1`` to at most one place, at least total
    cost: ``arcs`` are ``(person, place, unit cost)``, ``capacity`` the
    places each place takes. Empty if the flow has no optimum."""
    if not people:
        return {}
    nodes = {place: k for k, place in enumerate(capacity)}
    source, sink = people + len(nodes), people + len(nodes) + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    for i in range(people):
        flow.add_arc_with_capacity_and_unit_cost(source, i, 1, 0)
    first = {
        (i, place): flow.add_arc_with_capacity_and_unit_cost(
            i, people + nodes[place], 1, cost
        )
        for i, place, cost in arcs
    }
    for place, k in nodes.items():
        flow.add_arc_with_capacity_and_unit_cost(
            people + k, sink, capacity[place], 0
        )
    # Everyone may also go nowhere, at no cost.
    flow.add_arc_with_capacity_and_unit_cost(source, sink, people, 0)
    flow.set_node_supply(source, people)
    flow.set_node_supply(sink, -people)
    if flow.solve() != flow.OPTIMAL:
        return {}
    return {
        i: place for (i, place), arc in first.items() if flow.flow(arc) > 0
    }
