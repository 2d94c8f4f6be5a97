"""Build the CP-SAT model, solve it level by level, extract a Solution.

Levels (objective.py) are solved lexicographically: each stage optimises
one level with every earlier level held at the value it reached, and
starts from the previous stage's schedule as a hint. The first stage gets
most of the time; unused time rolls on to the next.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.candidates import all_options
from scheduler.domain import Instance, Service
from scheduler.model.constraints import HARD_RULES, ModelData
from scheduler.model.objective import OBJECTIVE_LEVELS, Term
from scheduler.model.variables import TEST, ScheduleVars, create_vars
from scheduler.needs import Needs
from scheduler.solution import Appointment, Solution, SolveReport

log = logging.getLogger("scheduler")

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveParams:
    time_limit: float = 60.0
    seed: int = 0
    workers: int = 2
    #: Share of the time limit for the first (needs-met) level.
    first_level_share: float = 0.6


@dataclass(slots=True)
class BuiltModel:
    model: cp_model.CpModel
    data: ModelData
    vars: ScheduleVars
    terms: list[Term]


def build_model(instance: Instance, needs: Needs) -> BuiltModel:
    """Variables, every hard rule and every objective term."""
    model = cp_model.CpModel()
    options = all_options(instance, needs)
    v = create_vars(model, instance, options)
    data = ModelData(instance=instance, needs=needs, options=options)
    for _, rule in HARD_RULES:
        rule(model, data, v)
    terms = [level(model, data, v) for level in OBJECTIVE_LEVELS]
    log.info(
        "model: %d booking variables, %d slot groups, %d slot counts, "
        "%d constraints",
        len(v.book),
        len(v.groups),
        len(v.slot_count),
        len(model.proto.constraints),
    )
    return BuiltModel(model=model, data=data, vars=v, terms=terms)


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, stage: str, scale: int, report: Progress | None):
        super().__init__()
        self.stage, self.scale, self.report = stage, scale, report

    def on_solution_callback(self) -> None:
        if self.report is not None:
            self.report(
                f"{self.stage}: objective {self.objective_value / self.scale:,.2f}"
                f", bound {self.best_objective_bound / self.scale:,.2f}"
            )


def solve_built(
    built: BuiltModel,
    params: SolveParams,
    hint: dict[tuple, int] | None = None,
    progress: Progress | None = None,
) -> tuple[dict[tuple, int] | None, SolveReport]:
    """Solve level by level; returns variable values (or None) and report."""
    m, v = built.model, built.vars
    deadline = time.monotonic() + params.time_limit
    report = SolveReport(status="UNKNOWN")
    values = hint
    all_optimal = True
    levels = [t for t in built.terms if not _is_constant(t.expr)]
    for i, term in enumerate(levels):
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            all_optimal = False
            break
        share = params.first_level_share if i == 0 else 1 / (len(levels) - i)
        budget = remaining if i == len(levels) - 1 else remaining * share
        if values is not None:
            _set_hint(m, v, values)
        if term.maximize:
            m.maximize(term.expr)
        else:
            m.minimize(term.expr)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, budget)
        solver.parameters.random_seed = params.seed
        solver.parameters.num_workers = params.workers
        status = solver.solve(m, _Progress(term.name, term.scale, progress))
        name = solver.status_name(status)
        stage = {
            "level": term.name,
            "status": name,
            "seconds": round(solver.wall_time, 3),
        }
        report.stages.append(stage)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            all_optimal = False
            if i == 0 and values is None:
                report.status = name
                return None, report
            break
        value = round(solver.objective_value)
        bound = solver.best_objective_bound
        stage.update(value=value, bound=bound)
        all_optimal &= status == cp_model.OPTIMAL
        values = _values(solver, v)
        if i == 0:
            report.best_bound = bound / term.scale
            report.gap = (
                0.0 if status == cp_model.OPTIMAL
                else abs(bound - value) / max(1.0, abs(bound))
            )
        if term.maximize:
            m.add(term.expr >= value)
        else:
            m.add(term.expr <= value)
    report.status = "OPTIMAL" if all_optimal else "FEASIBLE"
    m.clear_objective()
    return values, report


def _is_constant(expr) -> bool:
    return isinstance(expr, int)


def _values(solver: cp_model.CpSolver, v: ScheduleVars) -> dict[tuple, int]:
    out: dict[tuple, int] = {}
    for key, x in v.book.items():
        out["b", *key] = solver.value(x)
    for key, n in v.slot_count.items():
        out["n", *key] = solver.value(n)
    return out


def _set_hint(m: cp_model.CpModel, v: ScheduleVars, values: dict) -> None:
    m.clear_hints()
    for key, x in v.book.items():
        m.add_hint(x, values.get(("b", *key), 0))
    for key, n in v.slot_count.items():
        m.add_hint(n, values.get(("n", *key), 0))


def extract_solution(built: BuiltModel, values: dict[tuple, int]) -> Solution:
    """Bookings from the values; slots handed out within each group.

    Within a slot group any hand-out matching the counts is valid; pinned
    and earlier bookings keep their slot, the rest go in employee order
    so that teammates sit in neighbouring slots.
    """
    inst, needs, v = built.data.instance, built.data.needs, built.vars
    position: dict[tuple[str, str], int] = {}
    for (eid, k, sid) in v.book:
        if values.get(("b", eid, k, sid)):
            position[eid, sid] = k
    wanted = {
        (b.employee_id, b.session_id): b.slot_start
        for b in inst.active_bookings()
    }
    appointments = []
    for gi, g in enumerate(v.groups):
        booked = [e for e in g.members if (e, g.session_id) in position]
        if not booked:
            continue
        free = {a: values.get(("n", gi, a), 0) for a in g.slots}
        slot_of: dict[str, int] = {}
        for e in booked:
            a = wanted.get((e, g.session_id))
            if a is not None and free.get(a, 0) > 0:
                slot_of[e] = a
                free[a] -= 1
        queue = [a for a in g.slots for _ in range(free[a])]
        rest = [e for e in booked if e not in slot_of]
        for e, a in zip(rest, queue, strict=False):
            slot_of[e] = a
        s = inst.sessions[g.session_id]
        for e, a in slot_of.items():
            k = position[e, g.session_id]
            vacc = s.service is Service.VACCINATION and k != TEST
            appointments.append(
                Appointment(
                    employee_id=e,
                    session_id=s.id,
                    date=s.date,
                    slot_start=a,
                    slot_end=s.slot_end(a),
                    service=s.service,
                    site_id=s.site_id,
                    travel_minutes=g.travel,
                    product=s.product if vacc else None,
                    dose=needs.vaccination[e].dose_label(k) if vacc else None,
                )
            )
    appointments.sort(
        key=lambda a: (a.date, a.slot_start, a.session_id, a.employee_id)
    )
    return Solution(appointments=tuple(appointments))


def hint_from_solution(built: BuiltModel, solution: Solution) -> dict:
    """Variable values that reproduce a schedule (e.g. the greedy one)."""
    inst, needs, v = built.data.instance, built.data.needs, built.vars
    values: dict[tuple, int] = {}
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for a in solution.appointments:
        if a.service is Service.NUCLEIC_TEST:
            k = TEST
        else:
            need = needs.vaccination[a.employee_id]
            k = 0 if a.dose == "booster" else int(a.dose) - need.first_dose
        values["b", a.employee_id, k, a.session_id] = 1
        gi = v.group_of.get((a.employee_id, a.session_id))
        if gi is not None:
            counts[gi, a.slot_start] += 1
    for key, c in counts.items():
        values["n", *key] = c
    _ = inst
    return values
