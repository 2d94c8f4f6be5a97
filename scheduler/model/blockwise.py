"""Solve a large drive block by block (see scheduler/blocks.py).

Each block is one ordinary model (same rules, same levels) of its own
staff, built against the capacity that the other blocks' current
appointments leave free and hinted with its part of the current schedule.
That hint stays feasible, so no block's solve can make the drive worse,
and the drive stays valid after every block.

A block's own bound assumes the others' appointments fixed, so it bounds
nothing for the drive; the drive's bound comes from the linear
relaxation (lp_bound.py), unless every block is cut off from the
others (no shared session), when the blocks' bounds add up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from scheduler.blocks import (
    Block,
    block_instance,
    block_needs,
    plan_blocks,
    reserved_by,
    shared_sessions,
)
from scheduler.candidates import EmployeeOptions
from scheduler.domain import EmployeeId, Instance
from scheduler.model.solve import (
    SolveParams,
    build_model,
    extract_solution,
    hint_from_solution,
    solve_built,
)
from scheduler.needs import Needs
from scheduler.solution import Appointment, Solution, SolveReport

Progress = Callable[[str], None]


def solve_by_blocks(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
    start: Solution,
    params: SolveParams,
    blocks: list[Block] | None = None,
    progress: Progress = lambda _: None,
) -> tuple[Solution, SolveReport]:
    """Improve ``start`` (a valid schedule) one block at a time.

    ``params.time_limit`` is shared by the blocks' solves in proportion to
    their booking choices (building the blocks' models is not counted).
    """
    blocks = blocks if blocks is not None else plan_blocks(instance)
    shared = shared_sessions(instance, blocks)
    block_of = {e: b.index for b in blocks for e in b.employees}
    # Staff in none of the blocks (-1) keep their appointments.
    current: dict[int, list[Appointment]] = {-1: []}
    current.update({b.index: [] for b in blocks})
    for a in start.appointments:
        current[block_of.get(a.employee_id, -1)].append(a)
    work = {b.index: _work(options, b) for b in blocks}
    report = SolveReport(status="FEASIBLE", bound_source="cp-sat")
    bound, all_optimal = 0.0, True
    total = max(1, sum(work.values()))
    for b in blocks:
        others = (
            a for i, apps in current.items() if i != b.index for a in apps
        )
        sub = block_instance(instance, b, reserved_by(instance, others))
        built = build_model(
            sub,
            block_needs(needs, b),
            {e: o for e, o in options.items() if e in b.employees},
        )
        if not built.vars.book:
            continue  # nobody in the block can use any session: nothing met
        progress(
            f"Block {b.index + 1}/{len(blocks)} "
            f"({', '.join(b.workplaces)}; {b.size:,} staff, "
            f"{len(built.vars.book):,} booking choices)"
        )
        # A fixed share of the time limit (not what earlier blocks left):
        # the deterministic limits, and so the schedule, do not depend on
        # how fast the machine is.
        budget = params.time_limit * work[b.index] / total
        hint = hint_from_solution(
            built, Solution(appointments=tuple(current[b.index]))
        )
        values, rep = solve_built(
            built,
            replace(params, time_limit=max(0.1, budget)),
            hint,
            None,
            time.monotonic() + max(0.1, budget),
            # The deterministic limit ends each stage; the wall clock is a
            # generous safety net, so that reruns give the same schedule.
            wall_slack=budget + 5,
        )
        if values is not None and rep.stages and "value" in rep.stages[0]:
            current[b.index] = list(
                extract_solution(built, values).appointments
            )
        alone = not shared[b.index]
        all_optimal &= rep.status == "OPTIMAL" and alone
        if alone and rep.best_bound is not None:
            bound += rep.best_bound
        else:
            bound = float("inf")
        for stage in rep.stages:
            report.stages.append({"block": b.index, **stage})
        report.warnings.extend(
            w for w in rep.warnings if w not in report.warnings
        )
    report.status = "OPTIMAL" if all_optimal else "FEASIBLE"
    report.best_bound = None if bound == float("inf") else bound
    apps = sorted(
        (a for apps in current.values() for a in apps),
        key=lambda a: (a.date, a.slot_start, a.session_id, a.employee_id),
    )
    return Solution(appointments=tuple(apps)), report


def _work(options: dict[EmployeeId, EmployeeOptions], b: Block) -> int:
    """Booking choices of a block: its share of the time."""
    return sum(
        len(o)
        for e in b.employees
        if e in options
        for o in [*options[e].vaccination, options[e].tests]
    )
