"""The model alone: the chosen rules, every variable fixed to a schedule.

A test picks a schedule by hand, fixes every booking variable
(``book[e, k, s]``) and every slot count (``slot_count[g, a]``) of the
variable container to it, and asks CP-SAT whether the model admits it.
No pipeline, no greedy start, no repair and no fill pass stand between
the rule and the verdict, so a rule that does not bind shows up as
FEASIBLE where the test expects INFEASIBLE.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from scheduler.core.domain import EmployeeId, Instance, Service
from scheduler.core.solution import Appointment, Solution
from scheduler.model.constraints import HARD_RULES, STRUCTURE, ModelData
from scheduler.model.solve import build_model
from scheduler.model.variables import TEST, ScheduleVars, create_vars
from scheduler.prepare.candidates import EmployeeOptions, all_options
from scheduler.prepare.lookups import Lookups
from scheduler.prepare.needs import Needs, compute_needs

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scheduler.core.rules import Rule

#: One booking of a hand-made schedule: employee, need position (``k``,
#: or ``TEST``), session, slot start (minutes after midnight).
Pick = tuple[EmployeeId, int, str, int]


def jab(employee: str, session: str, slot: int, k: int = 0) -> Pick:
    """The ``k``-th dose of ``employee``'s need in ``session`` at ``slot``."""
    return (employee, k, session, slot)


def swab(employee: str, session: str, slot: int) -> Pick:
    return (employee, TEST, session, slot)


@dataclass(slots=True)
class Bare:
    instance: Instance
    needs: Needs
    options: dict[EmployeeId, EmployeeOptions]
    model: cp_model.CpModel
    vars: ScheduleVars


def bare_model(instance: Instance, rules: Iterable[Rule]) -> Bare:
    """The variables, ``STRUCTURE`` and the given rules of ``HARD_RULES``,
    nothing else (no objective)."""
    needs = compute_needs(instance)
    lookups = Lookups(instance)
    options = all_options(instance, needs, lookups=lookups)
    model = cp_model.CpModel()
    v = create_vars(model, instance, options)
    data = ModelData(
        instance=instance, needs=needs, options=options, lookups=lookups
    )
    for add in (*STRUCTURE, *(HARD_RULES[r] for r in rules)):
        add(model, data, v)
    return Bare(instance, needs, options, model, v)


def full_model(instance: Instance) -> Bare:
    """The model the pipeline solves (``build_model``: every rule and every
    objective term's helper constraints)."""
    built = build_model(instance, compute_needs(instance))
    d = built.data
    return Bare(d.instance, d.needs, d.options, built.model, built.vars)


def fix(bare: Bare, picks: Iterable[Pick]) -> None:
    """Fix every booking and slot count to the schedule ``picks``.

    A pick the variables cannot express (not an option of the person, or
    a slot outside their group's open slots) fails the test here: the
    schedule would be ruled out by construction, not by a rule.
    """
    v, m = bare.vars, bare.model
    picks = list(picks)
    chosen = {(e, k, s) for e, k, s, _ in picks}
    missing = sorted(chosen - v.book.keys(), key=str)
    assert not missing, f"not options, so no variables: {missing}"
    for key, x in v.book.items():
        m.add(x == int(key in chosen))
    counts: Counter[tuple[int, int]] = Counter()
    for e, _, s, a in picks:
        gi = v.group_of[e, s]
        assert (gi, a) in v.slot_count, f"slot {a} of {s} not open to {e}"
        counts[gi, a] += 1
    for key, n in v.slot_count.items():
        m.add(n == counts[key])


def verdict(bare: Bare) -> str:
    """CP-SAT's status name for the model as it stands."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 10.0
    return solver.status_name(solver.solve(bare.model))


def admits(
    instance: Instance,
    picks: Iterable[Pick],
    rules: Iterable[Rule] | None = None,
) -> str:
    """Status of the schedule ``picks`` under ``rules`` (default: the full
    model of ``build_model``)."""
    bare = (
        full_model(instance) if rules is None else bare_model(instance, rules)
    )
    fix(bare, picks)
    return verdict(bare)


def as_solution(
    instance: Instance, needs: Needs, picks: Iterable[Pick]
) -> Solution:
    """The same schedule as appointments, for the checker."""
    out = []
    for e, k, sid, a in picks:
        s = instance.sessions[sid]
        emp = instance.employees[e]
        travel = instance.travel_minutes(emp.workplace_id, s.site_id)
        vacc = s.service is Service.VACCINATION
        out.append(
            Appointment(
                employee_id=e,
                session_id=sid,
                date=s.date,
                slot_start=a,
                slot_end=s.slot_end(a),
                service=s.service,
                site_id=s.site_id,
                travel_minutes=travel if travel is not None else -1,
                product=s.product if vacc else None,
                dose=needs.vaccination[e].dose_label(k) if vacc else None,
            )
        )
    return Solution(appointments=tuple(out))
