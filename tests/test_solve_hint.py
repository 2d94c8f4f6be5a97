"""A hint the model cannot complete is internal detail, not a warning."""

from __future__ import annotations

import logging

from scheduler.model.solve import SolveParams, build_model, solve_built
from scheduler.prepare.needs import compute_needs
from tests.factories import make_employee, make_instance, make_session


def test_an_impossible_hint_is_not_a_warning(caplog):
    """Issue 20 #7: two first doses hinted into a one-place session (as
    many pinned bookings can make the hint) are dropped quietly: ``run
    -q`` prints no "hint could not be completed" to HR."""
    session = make_session("S1", end=570, capacity_per_slot=1)  # one slot
    inst = make_instance(
        employees=[make_employee("E1"), make_employee("E2")],
        sessions=[session],
    )
    built = build_model(inst, compute_needs(inst))
    hint = {("b", "E1", 0, "S1"): 1, ("b", "E2", 0, "S1"): 1}
    with caplog.at_level(logging.DEBUG, logger="scheduler"):
        values, report = solve_built(built, SolveParams(time_limit=5), hint)
    assert values is not None and report.status == "OPTIMAL"
    assert any("hint" in r.getMessage() for r in caplog.records)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
