"""Build the CP-SAT model, solve it level by level, extract a Solution.

Levels (objective.py) are solved lexicographically: each stage optimises
one level with every earlier level held at the value it reached, and
starts from the previous stage's schedule as a hint. The first stage gets
most of the time; unused time rolls on to the next.
"""

from __future__ import annotations

import importlib.metadata
import logging
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from scheduler.core.domain import EmployeeId, Instance, Service
from scheduler.core.messages import Msg
from scheduler.core.solution import (
    Appointment,
    Solution,
    SolveReport,
    SolveStatus,
    roster_order,
)
from scheduler.model.constraints import HARD_RULES, STRUCTURE, ModelData
from scheduler.model.objective import OBJECTIVE_LEVELS, Term
from scheduler.model.variables import TEST, ScheduleVars, create_vars
from scheduler.prepare.candidates import EmployeeOptions, all_options
from scheduler.prepare.lookups import Lookups, lookups_for

if TYPE_CHECKING:
    from scheduler.prepare.needs import Needs

log = logging.getLogger("scheduler")
INT_MAX = cp_model.INT_MAX
INT_MIN = cp_model.INT_MIN

Progress = Callable[[str], None]


#: Deterministic time granted per second of budget. A single CP-SAT worker
#: on this 2-core machine accrues about 0.1-0.2 units a second, so the
#: deterministic limit normally ends each stage, at the same point on every
#: run; the wall-clock limit is only the safety net.
DETERMINISTIC_PER_SECOND = 0.08


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveParams:
    """Solver settings.

    The solve is deterministic: the same input, seed and settings give
    the same schedule, as long as the deterministic limit, not the wall
    clock, ends each stage (run.json says which). Several workers take
    turns in fixed batches (CP-SAT's interleaved search), so they are
    deterministic too.
    """

    time_limit: float = 60.0
    #: A drive solved block by block stops once its schedule is proven
    #: within this share of the bound (0: the whole time limit).
    gap_limit: float = 0.0
    seed: int = 0
    workers: int = 1
    #: Share of the time limit for the first (needs-met) level.
    first_level_share: float = 0.55
    #: Whether time the first level leaves unused goes to the later
    #: levels (one model: nothing else could use it) or is left to the
    #: caller (a block: for the next blocks).
    roll_over: bool = True
    #: Whether a level is solved after one that the solver did not prove
    #: optimal (a block: see blockwise.TIE_BREAKS).
    polish_unproven: bool = True


@dataclass(slots=True)
class BuiltModel:
    model: cp_model.CpModel
    data: ModelData
    vars: ScheduleVars
    terms: list[Term]


def build_model(
    instance: Instance,
    needs: Needs,
    options: dict[EmployeeId, EmployeeOptions] | None = None,
    lookups: Lookups | None = None,
) -> BuiltModel:
    """Variables, every hard rule and every objective term.

    ``options`` (from ``candidates.all_options``) may be passed when the
    caller has them already, e.g. a block of a decomposed drive.
    """
    model = cp_model.CpModel()
    look = lookups_for(instance, lookups)
    if options is None:
        options = all_options(instance, needs, lookups=look)
    v = create_vars(model, instance, options)
    data = ModelData(
        instance=instance, needs=needs, options=options, lookups=look
    )
    for add in (*STRUCTURE, *HARD_RULES.values()):
        add(model, data, v)
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
            value = self.objective_value / self.scale
            bound = self.best_objective_bound / self.scale
            self.report(
                Msg(
                    "progress.objective",
                    stage=self.stage,
                    value=f"{value:,.2f}",
                    bound=f"{bound:,.2f}",
                )
            )


def solve_built(
    built: BuiltModel,
    params: SolveParams,
    hint: dict[tuple, int] | None = None,
    progress: Progress | None = None,
    deadline: float | None = None,
    wall_slack: float = 0.0,
) -> tuple[dict[tuple, int] | None, SolveReport]:
    """Solve level by level; returns variable values (or None) and report.

    ``deadline`` (a ``time.monotonic()`` value) defaults to the time limit
    from now; the pipeline starts the clock before the greedy hint. Each
    stage's deterministic limit comes from the deadline; ``wall_slack``
    lets the wall clock run that much past it before it cuts a stage (a
    cut by the wall clock is not reproducible).
    """
    m, v = built.model, built.vars
    if deadline is None:
        deadline = time.monotonic() + params.time_limit
    report = SolveReport(status=SolveStatus.UNKNOWN)
    values = hint
    all_optimal = True
    levels = [t for t in built.terms if t.size]
    # Seconds of budget left, counted in deterministic time (not the wall
    # clock), so every stage's limit is the same on every run.
    left = params.time_limit
    rate = _rate(len(v.book))
    keyed = _Keyed(v)
    # The hint's completion model, made on first use and kept in step
    # with ``m``'s levels held (``hold``).
    completion: _Completion | None = None

    def hold(term: Term, value: int) -> None:
        _hold_level(m, term, value)
        if completion is not None:
            completion.hold(term, value)

    for i, term in enumerate(levels):
        # Only the wall clock's safety net (deadline and slack) may cut the
        # run short here; the budget itself is deterministic.
        remaining = deadline + wall_slack - time.monotonic()
        if i > 0 and not (params.polish_unproven or all_optimal):
            break  # the bookings stand as the last level left them
        if remaining <= 0.05 or left <= 0.01:
            all_optimal = False
            break
        share = params.first_level_share if i == 0 else 1 / (len(levels) - i)
        budget = left * (0.8 if i == len(levels) - 1 else share)
        _set_objective(m, [(term, 1)], term.maximize)
        if values is not None:
            # Helper variables (coverage, lateness, progress …) take their
            # best values for this level given the bookings.
            if completion is None:
                completion = _Completion(m, v, levels, keyed)
            values = completion.complete(values)
            _set_hint(m, v, values)
        # The deterministic limit (from the stage's budget) ends the stage;
        # the wall clock only guards the whole solve's time limit.
        wall = max(
            0.05,
            deadline
            + wall_slack
            - time.monotonic()
            - 0.5 * (len(levels) - i - 1),
        )
        solver = _solver(params, budget, wall, i == 0, len(v.book))
        status = _solve(solver, m, _Progress(term.name, term.scale, progress))
        name = solver.status_name(status)
        stage = {
            "level": term.name,
            "status": name,
            "seconds": round(solver.wall_time, 3),
            "deterministic_time": round(
                solver.response_proto.deterministic_time, 3
            ),
            "stopped_by": _stopped_by(solver, wall, status),
        }
        report.stages.append(stage)
        left -= solver.response_proto.deterministic_time / rate
        if i == 0 and not params.roll_over:
            later = params.time_limit * (1 - params.first_level_share)
            left = min(left, later)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            all_optimal = False
            if values is None or "all" not in values:
                if i == 0:
                    report.status = SolveStatus(name)
                    return values, report
                break
            # Keep the schedule so far, hold this level at its value and
            # try the next level.
            hold(term, _term_value(term, values["all"]))
            continue
        value = round(solver.objective_value)
        bound = solver.best_objective_bound
        stage.update(value=value, bound=bound)
        all_optimal &= status == cp_model.OPTIMAL
        values = keyed.values(solver)
        if i == 0:
            report.best_bound = bound / term.scale
            report.gap = (
                0.0
                if status == cp_model.OPTIMAL
                else abs(bound - value) / max(1.0, abs(bound))
            )
        hold(term, value)
    report.status = (
        SolveStatus.OPTIMAL if all_optimal else SolveStatus.FEASIBLE
    )
    report.stopped_by = None if all_optimal else "time_limit"
    if not report.stages or "value" not in report.stages[0]:
        report.status = SolveStatus.HEURISTIC
        report.warnings.append(Msg("warning.no_schedule_in_time"))
    if any(st.get("stopped_by") == "wall_clock" for st in report.stages):
        report.warnings.append(Msg("warning.wall_clock"))
    m.proto.clear_objective()
    return values, report


#: Booking variables up to which a model counts as small (see _solver).
SMALL_MODEL = 5000
#: Booking variables from which even a light presolve does not pay.
LARGE_MODEL = 60000


def budget_spent(report: SolveReport, size: int) -> float:
    """Budget seconds a solve used, from its deterministic time."""
    dtime = sum(st.get("deterministic_time", 0.0) for st in report.stages)
    return dtime / _rate(size)


def _rate(size: int) -> float:
    """Deterministic time per second of budget for a model of ``size``
    booking variables. Small models, with the full LP relaxation, accrue
    deterministic time faster per second (measured 0.2-0.6/s, median 0.35,
    on blocks of 4,000 choices, against 0.1-0.2/s), so they get more."""
    return DETERMINISTIC_PER_SECOND * (4 if size <= SMALL_MODEL else 1)


def _solver(
    params: SolveParams, seconds: float, wall: float, first: bool, size: int
) -> cp_model.CpSolver:
    """CP-SAT for one stage.

    Small models get the full LP relaxation (``linearization_level`` 2),
    which proves most of them optimal in seconds. On larger ones that LP is
    too slow: a light presolve on the first level (a full one costs more
    than it saves) and none on later levels (they start from a complete
    hint and only polish); the largest skip presolve altogether, which
    CP-SAT cannot interrupt when the time limit comes.
    """
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = wall
    p.max_deterministic_time = max(0.05, seconds * _rate(size))
    p.random_seed = params.seed
    p.num_workers = max(1, params.workers)
    # Several workers take turns in fixed batches of deterministic time
    # (CP-SAT's interleaved search), so they too give the same schedule on
    # every run (without it, two runs of a 360-staff drive differed).
    p.interleave_search = p.num_workers > 1
    if size <= SMALL_MODEL:
        p.linearization_level = 2
    else:
        p.cp_model_presolve = first and size < LARGE_MODEL
        p.max_presolve_iterations = 1
        p.cp_model_probing_level = 0
        p.symmetry_level = 0
    return solver


def _solve(
    solver: cp_model.CpSolver,
    m: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback,
):
    """Solve; Ctrl-C stops the search and raises KeyboardInterrupt.

    CP-SAT's own SIGINT handling is off (it would swallow Ctrl-C and not
    give Python's handler back), so the pipeline can clean up and say
    that nothing was written.
    """
    solver.parameters.catch_sigint_signal = False
    if threading.current_thread() is not threading.main_thread():
        return solver.solve(m, callback)
    interrupted = []

    def stop(signum, frame):
        interrupted.append(signum)
        solver.stop_search()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        status = solver.solve(m, callback)
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt
    return status


def _term_value(term: Term, full: list[int]) -> int:
    return term.const + sum(
        c * full[i] for i, c in zip(term.indices, term.coefs, strict=True)
    )


def _set_objective(
    m: cp_model.CpModel, parts: list[tuple[Term, int]], maximize: bool
) -> None:
    """Σ weight × term as the objective, written into the proto directly."""
    total: dict[int, int] = {}
    const = 0
    for term, w in parts:
        const += w * term.const
        for i, c in zip(term.indices, term.coefs):
            total[i] = total.get(i, 0) + w * c
    sign = -1 if maximize else 1  # CP-SAT minimises; maximise negates
    m.proto.clear_objective()
    obj = m.proto.objective
    obj.vars.extend(list(total))
    obj.coeffs.extend([sign * c for c in total.values()])
    obj.offset = sign * const
    obj.scaling_factor = sign


def _hold_level(m: cp_model.CpModel, term: Term, value: int) -> None:
    """Keep a solved level at least as good as ``value``."""
    lo, hi = (
        (value - term.const, INT_MAX)
        if term.maximize
        else (INT_MIN, value - term.const)
    )
    linear = m.proto.constraints.add().linear
    linear.vars.extend(list(term.indices))
    linear.coeffs.extend(list(term.coefs))
    linear.domain.extend([lo, hi])


def _stopped_by(solver: cp_model.CpSolver, wall: float, status) -> str:
    """Why a stage ended; only a wall-clock stop can vary between runs."""
    if status == cp_model.OPTIMAL:
        return "optimal"
    if solver.wall_time >= 0.98 * wall:
        return "wall_clock"
    return "deterministic_limit"


class _Keyed:
    """The booking variables and slot counts, keyed as values are
    (``("b", *book key)``, ``("n", *slot key)``), with their proto
    indices, listed once per solve."""

    def __init__(self, v: ScheduleVars) -> None:
        self.keys: list[tuple] = [("b", *k) for k in v.book]
        self.keys += [("n", *k) for k in v.slot_count]
        self.index = [x.index for x in v.book.values()]
        self.index += [n.index for n in v.slot_count.values()]

    def values(self, solver: cp_model.CpSolver) -> dict:
        """The solver's values: ``"all"`` (every variable by index) and
        each keyed variable's."""
        full = list(solver.response_proto.solution)
        out: dict = {"all": full}
        out.update(zip(self.keys, map(full.__getitem__, self.index)))
        return out

    def of(self, values: dict) -> list[int]:
        """The keyed variables' values (0 where missing), in key order."""
        return [values.get(k, 0) for k in self.keys]


def _set_hint(m: cp_model.CpModel, v: ScheduleVars, values: dict) -> None:
    """Hint every variable: a complete hint is taken as a first solution."""
    m.clear_hints()
    full = values.get("all")
    if full is not None:
        m.proto.solution_hint.vars.extend(list(range(len(full))))
        m.proto.solution_hint.values.extend(full)
        return
    for key, x in v.book.items():
        m.add_hint(x, values.get(("b", *key), 0))
    for key, n in v.slot_count.items():
        m.add_hint(n, values.get(("n", *key), 0))


class _Completion:
    """Values for every helper variable too, best for every level.

    A partial hint is only a suggestion that CP-SAT may lose. With the
    bookings fixed the levels' helper variables (coverage, progress,
    lateness, slots used) do not interact, so one solve of the sum of all
    levels gives each its best value.

    That solve's model is ``m`` with every booking and slot count fixed.
    It is copied once per solve and kept: each level held on ``m`` is
    held here too (``hold``), and a completion changes only the domains
    of the variables whose values changed, so every completion solves
    the same model as a fresh copy would (copying ``m`` and fixing its
    10,000 domains anew took 30 ms a level, 5 levels a block).
    """

    def __init__(
        self,
        m: cp_model.CpModel,
        v: ScheduleVars,
        terms: list[Term],
        keyed: _Keyed,
    ) -> None:
        self.fixed = m.clone()
        self.fixed.clear_hints()
        self.keyed = keyed
        #: The values the keyed variables' domains are fixed at (None:
        #: their own domains still).
        self.at: list[int] | None = None
        _set_objective(
            self.fixed,
            [(t, 1 if t.maximize else -1) for t in terms],
            maximize=True,
        )

    def hold(self, term: Term, value: int) -> None:
        _hold_level(self.fixed, term, value)

    def complete(self, values: dict) -> dict:
        """``values`` with ``"all"`` the best completion of its bookings
        and slot counts (``values`` itself if there is none)."""
        wanted = self.keyed.of(values)
        variables = self.fixed.proto.variables
        at = self.at
        for n, (i, val) in enumerate(zip(self.keyed.index, wanted)):
            if at is None or at[n] != val:
                domain = variables[i].domain
                domain[0] = domain[1] = val
        self.at = wanted
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.max_deterministic_time = 10.0
        status = _solve(solver, self.fixed, None)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # Internal detail (issue 20 #7): the solver then starts from
            # the bookings alone and finds the helper values itself; HR
            # has nothing to act on, so this is no warning.
            log.debug(
                "the hint could not be completed (%s); the solver starts "
                "from the bookings alone",
                solver.status_name(status),
            )
            return values
        out = dict(values)
        out["all"] = list(solver.response_proto.solution)
        return out


def extract_solution(built: BuiltModel, values: dict[tuple, int]) -> Solution:
    """Bookings from the values; slots handed out within each group.

    Within a slot group any hand-out matching the counts is valid; pinned
    bookings keep their slot first (the model keeps room for them), then
    earlier bookings theirs, the rest go in employee order so that
    teammates sit in neighbouring slots.
    """
    inst, needs, v = built.data.instance, built.data.needs, built.vars
    position: dict[tuple[str, str], int] = {}
    for eid, k, sid in v.book:
        if values.get(("b", eid, k, sid)):
            position[eid, sid] = k
    wanted = {
        (b.employee_id, b.session_id): b.slot_start
        for b in inst.active_bookings()
    }
    pinned = {
        (b.employee_id, b.session_id)
        for b in inst.active_bookings()
        if b.pinned
    }
    appointments = []
    for gi, g in enumerate(v.groups):
        booked = [e for e in g.members if (e, g.session_id) in position]
        if not booked:
            continue
        free = {a: values.get(("n", gi, a), 0) for a in g.slots}
        slot_of: dict[str, int] = {}
        # Pinned first: a booked person wanting a pinned one's slot
        # must not take it (the slot's count may hold only the pinned).
        first = sorted(booked, key=lambda e: (e, g.session_id) not in pinned)
        for e in first:
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
    appointments.sort(key=roster_order)
    return Solution(appointments=tuple(appointments))


def hint_from_solution(built: BuiltModel, solution: Solution) -> dict:
    """Variable values that reproduce a schedule (e.g. the greedy one).

    The greedy judges a dose and a test whose sessions could clash at the
    slots it books (candidates.slots_clash); the model forbids every such
    pair of sessions, so such tests are left out of the hint, which stays
    a schedule the model allows."""
    inst, needs, v = built.data.instance, built.data.needs, built.vars
    values: dict[tuple, int] = {}
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for a in _representable(built.data.options, solution.appointments):
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


def _representable(options, appointments) -> list[Appointment]:
    """The appointments less the tests that the model forbids beside
    another of the person's appointments: on the same day, or in a pair of
    sessions that could clash (see ``hint_from_solution``)."""
    mine: dict[str, list[Appointment]] = defaultdict(list)
    for a in appointments:
        mine[a.employee_id].append(a)
    dropped: set[Appointment] = set()
    for eid, apps in mine.items():
        opts = options.get(eid)
        if opts is None or len(apps) < 2:
            continue
        for n, a in enumerate(apps):
            for b in apps[n + 1 :]:
                if a in dropped or b in dropped:
                    continue
                if a.date == b.date or opts.may_clash(
                    a.session_id, b.session_id
                ):
                    dropped.add(b if b.service is Service.NUCLEIC_TEST else a)
    return [a for a in appointments if a not in dropped]


def solver_version() -> str:
    """OR-Tools' version: the same input and seed give the same schedule
    only on the same one (run.json records it)."""
    return importlib.metadata.version("ortools")


def solve_params(
    settings,
    time_limit: float | None = None,
    gap_limit: float | None = None,
    seed: int = 0,
    workers: int = 1,
) -> SolveParams:
    """The solver's settings: the workbook's, unless given here (the
    command line's); ``gap_limit`` in percent, as in the workbook."""
    if time_limit is None:
        time_limit = settings.time_limit_seconds
    if gap_limit is None:
        gap_limit = settings.gap_limit_percent
    return SolveParams(
        time_limit=time_limit,
        gap_limit=gap_limit / 100,
        seed=seed,
        workers=workers,
    )
