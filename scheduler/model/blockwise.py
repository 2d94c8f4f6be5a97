"""Solve a large drive block by block (see scheduler/model/blocks.py).

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
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from scheduler.check.checker import net_value
from scheduler.core import ticks
from scheduler.core.background import Background
from scheduler.core.messages import Msg
from scheduler.core.solution import (
    Appointment,
    Solution,
    SolveReport,
    SolveStatus,
    roster_order,
)
from scheduler.model.blocks import (
    Block,
    block_instance,
    block_needs,
    reserved_by,
    shared_sessions,
)
from scheduler.model.bounds import needs_alone
from scheduler.model.solve import (
    SolveParams,
    budget_spent,
    build_model,
    extract_solution,
    hint_from_solution,
    solve_built,
)

if TYPE_CHECKING:
    from scheduler.core.domain import EmployeeId, Instance
    from scheduler.prepare.candidates import EmployeeOptions
    from scheduler.prepare.lookups import Lookups
    from scheduler.prepare.needs import Needs

Progress = Callable[[str], None]


#: Passes over the blocks; a later pass revisits only blocks that share
#: sessions, and stops when a pass gains nothing.
ROUNDS = 5

#: Budget seconds a block gets at least (its share of the time limit when
#: that is more): many short solves when time is short, longer ones when
#: not (benchmarks/measurements.md, "Blocks").
BLOCK_SECONDS = 4.0

#: Share of the time limit given to the blocks' solves, counted in
#: deterministic time; the rest is for building each block's model, which
#: that count does not see.
BUDGET_SHARE = 0.85

#: The wall clock's hard stop, as a multiple of the time limit: no block
#: starts after it, and a running one is cut there.
OVERRUN = 1.05

#: Seconds a pair of blocks needs at least before the hard stop to be
#: started (building their models alone takes about a second).
MIN_WALL = 2.0

#: Whether a block's later levels (the tie-breaks: progress, lateness,
#: travel, team slots) are solved as in one model. Not: each only while
#: every level before it was proven optimal, and all within their own
#: share of the block's time, none left over by the first level. On
#: 10,000-staff drives they took 45-70 % of each block's deterministic
#: time and mostly ended in CP-SAT's presolve without a solution; the
#: next blocks' needs met gain more (benchmarks/measurements.md, "Blocks").
TIE_BREAKS = False

#: Blocks ahead in the order searched for one sharing no session.
LOOKAHEAD = 64

#: Blocks solved side by side (the machine's two cores). A constant, not
#: the core count: the grouping decides the schedule, which must be the
#: same on every machine.
SIDE_BY_SIDE = 2


def solve_by_blocks(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
    start: Solution,
    params: SolveParams,
    blocks: list[Block],
    progress: Progress = lambda _: None,
    prepared: Prepared | None = None,
    enough: Callable[[float], bool] | None = None,
    since: float | None = None,
) -> tuple[Solution, SolveReport]:
    """Improve ``start`` (a valid schedule) one block at a time.

    Blocks go most promising first — the most weighted needs that the
    current schedule leaves open although some session could meet them —
    each with an equal share of the time limit (at least
    ``BLOCK_SECONDS``), until the time limit is spent; the rest keep their
    part of ``start``. A block and the next one that shares no session
    with it are solved side by side on two cores (``pairs``), and cost
    the longer one's time. Passes repeat over blocks that share sessions while
    they gain. Time is counted in CP-SAT's deterministic time, so the
    schedule is reproducible. ``prepared`` is ``prepare_blocks``'s
    answer, if the caller found it while it had time to spare. After each
    block, ``enough`` is told the weighted needs gained on ``start`` so far;
    when it says so, the solve stops (the pipeline's gap limit).
    ``since`` (``time.monotonic()``) is when the solve began, for the wall
    clock's hard stop (default: now).
    """
    since = time.monotonic() if since is None else since
    shared, alone = prepared or prepare_blocks(
        instance, needs, options, blocks
    )
    block_of = {e: b.index for b in blocks for e in b.employees}
    # Staff in none of the blocks (-1) keep their appointments.
    current = Current(blocks)
    for a in start.appointments:
        current.add(block_of.get(a.employee_id, -1), a)
    report = SolveReport(status=SolveStatus.FEASIBLE, bound_source="cp-sat")
    own_bounds: list[float | None] = []
    all_optimal = True
    left = params.time_limit * BUDGET_SHARE
    # The wall clock's hard stop: no block starts after it, and a block's
    # solve is cut at it (a cut is not reproducible; the report says so).
    deadline = since + params.time_limit * OVERRUN
    cap = max(BLOCK_SECONDS, params.time_limit / len(blocks))
    # Weighted needs each block meets now, and could meet alone: the gap
    # between them orders the blocks. A block's own appointments alone
    # decide what it meets, so ``met`` changes only when it is solved.
    met = {b.index: _met(instance, needs, b, current) for b in blocks}
    uses = {b.index: usable_sessions(options, b) for b in blocks}
    solved: set[int] = set()
    total_gain, stop, cut = 0.0, False, False
    for rnd in range(ROUNDS):
        order = sorted(
            blocks, key=lambda b: (met[b.index] - alone[b.index], b.index)
        )
        if rnd > 0:
            # Again only where others' moves may have freed capacity.
            order = [b for b in order if shared[b.index]]
        gained = 0.0
        # Several CP-SAT workers already use every core: one block at a time.
        for pair in pairs(order, uses, 1 if params.workers > 1 else 2):
            budget = min(left, cap)
            if budget < 0.5:
                break
            if time.monotonic() > deadline - MIN_WALL:
                cut = True
                break
            answers = _solve_pair(
                instance,
                needs,
                options,
                pair,
                current,
                replace(
                    params,
                    time_limit=budget,
                    roll_over=TIE_BREAKS,
                    polish_unproven=TIE_BREAKS,
                ),
                deadline,
                lambda b, size, rnd=rnd: progress(
                    Msg(
                        "progress.block",
                        round=rnd + 1,
                        block=b.index + 1,
                        blocks=len(blocks),
                        workplaces=", ".join(b.workplaces),
                        staff=f"{b.size:,}",
                        choices=f"{size:,}",
                    )
                ),
            )
            # Blocks solved side by side cost the longer one's time.
            spent = 0.0
            for b, (rep, size, apps) in zip(pair, answers, strict=True):
                solved.add(b.index)
                if rep is None:
                    continue
                spent = max(spent, budget_spent(rep, size))
                kept = list(current[b.index])
                if apps is not None:
                    current.replace(b.index, apps)
                now = _met(instance, needs, b, current)
                if now < met[b.index] - 1e-6:
                    # The hint lacked tests the model cannot hold (see
                    # solve.hint_from_solution) and the solve did not make
                    # up for them: the block keeps what it had.
                    current.replace(b.index, kept)
                    now = met[b.index]
                gained += now - met[b.index]
                total_gain += now - met[b.index]
                met[b.index] = now
                for stage in rep.stages:
                    report.stages.append({"block": b.index, **stage})
                report.warnings.extend(
                    w for w in rep.warnings if w not in report.warnings
                )
                if rnd == 0 and not shared[b.index]:
                    own_bounds.append(rep.best_bound)
                    all_optimal &= rep.status is SolveStatus.OPTIMAL
                else:
                    all_optimal = False
                # Asked after each block (the progress counts blocks); a
                # stop drops the rest of the pair, so where the solve stops
                # depends on the order alone.
                if enough is not None and enough(total_gain):
                    stop = True
                    break
            left -= spent
            if stop:
                break
        if stop or cut or gained <= 1e-6 or left < 0.5:
            break
    if stop:
        report.stopped_by = "gap_limit"
    elif len(solved) < len(blocks) or left < 0.5 or cut:
        report.stopped_by = "time_limit"
        if len(solved) < len(blocks):
            report.warnings.append(
                Msg("warning.blocks_time", done=len(solved), total=len(blocks))
            )
    if cut and not any("wall-clock" in w for w in report.warnings):
        report.warnings.append(Msg("warning.hard_stop"))
    bound = None
    if len(own_bounds) == len(blocks) and None not in own_bounds:
        bound = sum(own_bounds)
    report.status = (
        SolveStatus.OPTIMAL
        if all_optimal and len(solved) == len(blocks)
        else SolveStatus.FEASIBLE
    )
    report.best_bound = bound
    apps = sorted(
        (a for apps in current.values() for a in apps), key=roster_order
    )
    return Solution(appointments=tuple(apps)), report


#: Per block: the sessions it shares with others, and the weighted needs
#: it could meet alone (``needs_alone``).
Prepared = tuple[dict[int, set], dict[int, float]]


def prepare_blocks(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions],
    blocks: list[Block],
    lookups: Lookups | None = None,
) -> Prepared:
    """What ``solve_by_blocks`` needs of the blocks before any schedule
    (the pipeline finds it while the LP runs)."""
    alone = {
        b.index: needs_alone(
            instance, block_needs(needs, b), options, b.employees
        )
        for b in ticks.counted("blocks_measured", blocks)
    }
    return shared_sessions(instance, blocks, lookups), alone


def usable_sessions(options, b: Block) -> frozenset:
    """The sessions that some option of a block's staff uses."""
    return frozenset(
        o.session_id
        for e in b.employees
        if e in options
        for row in (*options[e].vaccination, options[e].tests)
        for o in row
    )


def pairs(
    order: list[Block], uses: dict[int, frozenset], workers: int = SIDE_BY_SIDE
) -> Iterator[tuple[Block, ...]]:
    """``order`` in groups solved side by side: each block with the next
    later ones that share no session with it nor with each other (up to
    ``workers`` blocks; one when the machine has one core). Sharing no
    session, they cannot change each other's model, so each is solved as
    it would be alone, and the grouping depends on ``order`` only."""
    left = list(order)
    while left:
        group = [left.pop(0)]
        taken = set(uses[group[0].index])
        for b in left[:LOOKAHEAD]:
            if len(group) >= workers:
                break
            if taken.isdisjoint(uses[b.index]):
                group.append(b)
                taken |= uses[b.index]
        for b in group[1:]:
            left.remove(b)
        yield tuple(group)


def _solve_pair(
    instance, needs, options, pair, current, params, deadline, starting
) -> list[tuple[SolveReport | None, int, list[Appointment] | None]]:
    """The blocks of ``pair`` solved side by side, the first here and the
    others each in a forked process on another core; the answers in the
    pair's order."""
    helpers = [
        Background(
            _solve_block,
            instance,
            needs,
            options,
            b,
            current,
            params,
            deadline,
            lambda _: None,
        )
        for b in pair[1:]
    ]
    try:
        first = _solve_block(
            instance,
            needs,
            options,
            pair[0],
            current,
            params,
            deadline,
            lambda size: starting(pair[0], size),
        )
        return [first, *(h.result() for h in helpers)]
    finally:
        for h in helpers:
            h.stop()


def _solve_block(
    instance, needs, options, b: Block, current, params, deadline, starting
) -> tuple[SolveReport | None, int, list[Appointment] | None]:
    """One block against the others' current appointments: the report,
    the model's size and the block's new appointments (None: the solver
    found no schedule). A None report: nothing to solve. ``starting`` is
    told the model's size before the solve."""
    mine = {e: options[e] for e in b.employees if e in options}
    usable = {
        o.session_id
        for opts in mine.values()
        for row in (*opts.vaccination, opts.tests)
        for o in row
    }
    # Only the sessions the block can use matter (a pass over every
    # appointment of a big drive, per block, was slow).
    others = (
        a
        for sid in sorted(usable)
        for a, i in current.at_session.get(sid, {}).items()
        if i != b.index
    )
    sub = block_instance(instance, b, reserved_by(instance, others))
    built = build_model(sub, block_needs(needs, b), mine)
    if not built.vars.book:
        return None, 0, None  # nobody in the block can use any session
    starting(len(built.vars.book))
    hint = hint_from_solution(
        built, Solution(appointments=tuple(current[b.index]))
    )
    budget = params.time_limit
    now = time.monotonic()
    values, rep = solve_built(
        built,
        params,
        hint,
        None,
        min(now + budget, deadline),
        # The deterministic limit ends each stage; the wall clock is a
        # generous safety net, so that reruns give the same schedule, up
        # to the solve's hard deadline.
        wall_slack=max(0.0, min(budget + 5, deadline - now - budget)),
    )
    apps = None
    if values is not None and rep.stages and "value" in rep.stages[0]:
        apps = list(extract_solution(built, values).appointments)
    return rep, len(built.vars.book), apps


class Current(dict):
    """Per block index, its current appointments; ``at_session`` indexes
    them all by session (appointment -> block), kept in step by
    ``replace``."""

    def __init__(self, blocks: list[Block]) -> None:
        super().__init__({-1: []} | {b.index: [] for b in blocks})
        self.at_session: dict[str, dict[Appointment, int]] = {}

    def add(self, index: int, a: Appointment) -> None:
        self[index].append(a)
        self.at_session.setdefault(a.session_id, {})[a] = index

    def replace(self, index: int, apps: list[Appointment]) -> None:
        for a in self[index]:
            del self.at_session[a.session_id][a]
        self[index] = []
        for a in apps:
            self.add(index, a)


def _met(instance, needs, b: Block, current) -> float:
    """Weighted needs a block's current appointments meet, less what
    their changes of its staff's bookings cost (checker.net_value)."""
    mine = Solution(appointments=tuple(current[b.index]))
    return net_value(instance, block_needs(needs, b), mine, set(b.employees))
