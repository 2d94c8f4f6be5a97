"""One run, stage by stage: read → needs → model → solve → check → write.

Outputs are written into a hidden temporary folder beside the target and
renamed into place at the end, so a run that fails or is killed leaves no
half-written run folder, and an earlier run is never touched.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler import __version__
from scheduler.check.checker import (
    check_solution,
    counts_of,
    needs_met,
    net_value,
    objective_terms,
)
from scheduler.core import ticks
from scheduler.core.background import Background, stop_all
from scheduler.core.errors import (
    CheckFailedError,
    NoSolutionError,
    PinnedBookingError,
    UsageError,
)
from scheduler.core.messages import Msg, nothing
from scheduler.core.progress import (
    ProgressFn,
    RunProgress,
    Stage,
    gap_of,
    no_progress,
)
from scheduler.core.rules import Rule
from scheduler.core.solution import (
    Solution,
    SolveReport,
    SolveStatus,
    UnmetNeed,
)
from scheduler.heuristics.greedy import (
    BookingState,
    greedy_schedule,
    greedy_state,
    guide_from,
    hold_bookings,
    refill_state,
)
from scheduler.heuristics.repair import (
    fill_and_repair,
    fill_and_repair_state,
    repair_state,
)
from scheduler.model import blockwise
from scheduler.model.blocks import BLOCK_CHOICES, plan_blocks
from scheduler.model.blockwise import prepare_blocks, solve_by_blocks
from scheduler.model.bounds import needs_alone
from scheduler.model.lp_bound import (
    bound_on_tests,
    lp_relaxation,
    vaccination_classes,
)
from scheduler.model.solve import (
    SolveParams,
    build_model,
    extract_solution,
    hint_from_solution,
    solve_built,
    solve_params,
    solver_version,
)
from scheduler.prepare.booked import Keepable, keepable_bookings
from scheduler.prepare.candidates import (
    EmployeeOptions,
    add_conflicts,
    all_options,
    choices_of,
)
from scheduler.prepare.lookups import Lookups
from scheduler.prepare.needs import Needs, compute_needs
from scheduler.prepare.pinned import pinned_appointments
from scheduler.report.result import RunResult

if TYPE_CHECKING:
    from scheduler.core.domain import EmployeeId, Instance

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    book: Path
    out: Path | None = None
    outputs_root: Path = Path("outputs")
    time_limit: float | None = None
    gap_limit: float | None = None  # percent
    seed: int = 0
    workers: int = 1
    lang: str | None = None
    protect: bool = False  # sheet protection on the output workbooks
    protect_password: str | None = None


@dataclass(slots=True, kw_only=True)
class Scheduled:
    """What ``schedule`` found: the checked schedule, how the solver did,
    and what the rest of the run reuses (the options and the lookups they
    came from, the greedy baseline's objective terms, the number of
    blocks)."""

    needs: Needs
    solution: Solution
    report: SolveReport
    options: dict[EmployeeId, EmployeeOptions]
    lookups: Lookups
    greedy: dict[str, float]
    blocks: int
    #: Re-plan: the bookings that could not be kept whatever the cost,
    #: each with why (scheduler/prepare/booked.py).
    forced: dict = field(default_factory=dict)
    #: Re-plan with a change_cost: the needs met by the start, which keeps
    #: every booking that fits (what the changes since gained is measured
    #: against); None otherwise.
    kept_met: float | None = None

    @property
    def status(self) -> SolveStatus:
        return self.report.status


def schedule(
    instance: Instance,
    params: SolveParams,
    say: Say = lambda _: None,
    seconds: dict[str, float] | None = None,
    block_choices: int = BLOCK_CHOICES,
    progress: ProgressFn = no_progress,
    started: float | None = None,
) -> Scheduled:
    """Needs, model and solve: the best valid schedule for an instance.

    A drive of more than about ``block_choices`` booking choices is solved
    block by block (scheduler/model/blocks.py); a smaller one as one model.
    ``progress`` is told each stage and each solved block (``started``, a
    ``time.perf_counter()`` value, is when the run began; default now).
    Long stages also count their steps (scheduler/core/ticks.py), as
    lines for ``say`` and as ``done`` of ``total`` for ``progress``.
    """
    heard = _Counts(say)
    with ticks.listening(heard):
        return _schedule(
            instance,
            params,
            say,
            seconds,
            block_choices,
            progress,
            started,
            heard,
        )


class _Counts:
    """A long stage's counts (``ticks``): a line for ``say`` and, once the
    pipeline has set ``tell``, a ``RunProgress`` of the current stage."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.tell: Callable[..., None] | None = None

    def __call__(self, what: str, done: int, total: int) -> None:
        self.say(count_line(what, done, total))
        if self.tell is not None:
            self.tell(None, done=done, total=total)


def count_line(what: str, done: int, total: int) -> Msg:
    """A long stage's count (``what``: a ``count.*`` key) as a line."""
    return Msg(
        "progress.count",
        done=f"{done:,}",
        total=f"{total:,}",
        what=Msg(f"count.{what}"),
    )


def _schedule(
    instance: Instance,
    params: SolveParams,
    say: Say,
    seconds: dict[str, float] | None,
    block_choices: int,
    progress: ProgressFn,
    started: float | None,
    heard: _Counts,
) -> Scheduled:
    seconds = seconds if seconds is not None else {}
    clock = time.perf_counter()
    started = clock if started is None else started
    solve_from: list[float] = []  # when the solve started, once it has
    now_in = [Stage.PREPARE]  # the stage the run is in

    def tell(stage: Stage | None, **figures) -> None:
        """Progress of ``stage``, or of the current one (None)."""
        stage = now_in[0] = stage or now_in[0]
        now = time.perf_counter()
        progress(
            RunProgress(
                stage=stage,
                elapsed=now - started,
                solve_elapsed=now - solve_from[0] if solve_from else None,
                time_limit=params.time_limit,
                **figures,
            )
        )

    tell(Stage.PREPARE)
    heard.tell = tell
    needs = compute_needs(instance)
    # Duty periods, options and their conflicts, found once for every
    # stage below (the instance itself is immutable).
    look = Lookups(instance)
    say(Msg("progress.candidates"))
    options = all_options(instance, needs, conflicts=False, lookups=look)
    # The LP needs nothing else (not even the options' conflicts): the
    # other core computes it while this one finds the conflicts and builds
    # the greedy baseline; its plan then guides a second greedy pass.
    with Background(lp_relaxation, instance, needs, options) as lp:
        say(Msg("progress.conflicts"))
        add_conflicts(instance, options, look)
        blocks = plan_blocks(instance, choices_of(options), block_choices)
        built = None
        if len(blocks) == 1:
            say(Msg("progress.building"))
            built = build_model(instance, needs, options, look)
            say(
                Msg(
                    "progress.model",
                    choices=f"{len(built.vars.book):,}",
                    counts=f"{len(built.vars.slot_count):,}",
                    constraints=f"{len(built.model.proto.constraints):,}",
                )
            )
        pinned = pinned_appointments(instance, needs)
        _check_pinned(instance, needs, pinned, look)
        keep, forced = bookings_to_keep(instance, needs, options, pinned, look)
        # People with pinned bookings keep their tests in every repair, and
        # so do those whose bookings are kept when changes cost something
        # (the repair would move them for any gain).
        paid = instance.settings.change_cost > 0
        held = frozenset(
            [a.employee_id for a in pinned]
            + [x.booking.employee_id for x in keep if paid]
        )
        say(Msg("progress.greedy"))
        greedy = greedy_schedule(
            instance, needs, options, pinned, lookups=look, keep=keep
        )
        base = objective_terms(instance, needs, greedy)
        base_net = net_value(instance, needs, greedy)
        classes = vaccination_classes(instance, needs, options)
        prepared = None
        if built is None:
            say(Msg("progress.blocks_measured", blocks=f"{len(blocks):,}"))
            prepared = prepare_blocks(instance, needs, options, blocks, look)
        say(Msg("progress.waiting_lp"))
        relaxation = lp.result()
    # The tests' part of the bound needs nothing else; the other core
    # computes it during the solve.
    with Background(bound_on_tests, instance, needs, options) as tight:
        # The LP's bound, vaccinations and tests (None if GLOP or PDLP
        # gave none): awaited once, by the gap limit or after the solve.
        relaxation_bound = functools.cache(
            lambda: _sum(relaxation.value, tight.result())
        )
        tell(Stage.START)
        say(Msg("progress.starting"))
        start, state, start_met = _start(
            instance,
            needs,
            options,
            pinned,
            held,
            greedy,
            base_net,
            relaxation,
            classes,
            look,
            keep,
        )
        # start_met prices the changes in (checker.net_value); shown is
        # the needs met alone.
        shown = needs_met(instance, needs, start) if keep else start_met
        seconds["build"] = time.perf_counter() - clock
        clock = time.perf_counter()
        deadline = time.monotonic() + params.time_limit
        solve_from.append(time.perf_counter())
        tell(
            Stage.SOLVE,
            total=len(blocks) if built is None else 0,
            needs_met=shown,
        )
        say(Msg("progress.start", met=f"{shown:,.2f}"))
        say(
            Msg(
                "progress.solving",
                seconds=f"{params.time_limit:g}",
                gap=Msg("progress.gap_limit", limit=f"{params.gap_limit:.1%}")
                if params.gap_limit > 0
                else nothing(),
            )
        )
        if built is None:
            say(
                Msg(
                    "progress.blocks",
                    n=len(blocks),
                    choices=f"{block_choices:,}",
                )
            )
            found, report = solve_by_blocks(
                instance,
                needs,
                options,
                start,
                params,
                blocks,
                say,
                prepared,
                _after_block(
                    _gap_limit(
                        params.gap_limit,
                        start_met,
                        relaxation_bound,
                        say,
                        tight.ready,
                        deadline + params.time_limit * (blockwise.OVERRUN - 1),
                    ),
                    shown,
                    relaxation_bound,
                    len(blocks),
                    tell,
                ),
                since=deadline - params.time_limit,
            )
        else:
            values, report = solve_built(
                built, params, hint_from_solution(built, start), say, deadline
            )
            if values is None:
                raise NoSolutionError(
                    Msg(
                        "error.no_solution",
                        seconds=f"{params.time_limit:g}",
                        status=str(report.status),
                    )
                )
            found = extract_solution(built, values)
        seconds["solve"] = time.perf_counter() - clock
        clock = time.perf_counter()
        say(Msg("progress.filling"))
        relaxed = relaxation_bound()
    solution = _filled(state, needs, options, start, found, held)
    mine = objective_terms(instance, needs, solution)
    if net_value(instance, needs, solution) < start_met - 1e-6:
        # The model books one appointment a day and forbids whole session
        # pairs that could break rule 11; the start judges those pairs at
        # its slots, and here it met more than the solver's schedule.
        solution, mine = start, objective_terms(instance, needs, start)
        report.status = SolveStatus.FEASIBLE
    if base_net > net_value(instance, needs, solution) + 1e-6:
        report.warnings.append(Msg("warning.greedy_better"))
        solution, mine = greedy, base
    report.objective = mine
    source = "lp"
    if relaxed is None:
        relaxed, source = needs_alone(instance, needs, options), "alone"
    if (
        report.best_bound is None
        or relaxed < report.best_bound
        # CP-SAT bounds its model, which books one appointment a day and
        # forbids whole session pairs that could break rule 11; the greedy
        # and the repair judge those pairs at their slots, so they may
        # meet more, and then the model's bound is no bound at all.
        or report.best_bound < mine["needs_met"] - 1e-6
    ):
        report.best_bound, report.bound_source = relaxed, source
    tell(
        Stage.CHECK,
        needs_met=mine["needs_met"],
        bound=report.best_bound,
        gap=gap_of(mine["needs_met"], report.best_bound),
    )
    solution, violations = _valid_schedule(
        instance, needs, solution, (start, greedy), report, look
    )
    if report.best_bound:
        # The gap is that of the final schedule against the best bound.
        met = report.objective["needs_met"]
        report.gap = max(0.0, report.best_bound - met) / report.best_bound
    seconds["check"] = time.perf_counter() - clock
    if violations:
        lines = "\n".join(f"  - {v}" for v in violations[:20])
        raise CheckFailedError(Msg("error.check_failed", lines=lines))
    return Scheduled(
        needs=needs,
        solution=solution,
        report=report,
        options=options,
        lookups=look,
        greedy=base,
        blocks=len(blocks),
        forced=forced,
        kept_met=(
            needs_met(instance, needs, start) if keep and paid else None
        ),
    )


def _gap_limit(
    limit: float,
    start_met: float,
    bound: Callable[[], float | None],
    say,
    ready: Callable[[float], bool] = lambda _: True,
    hard_stop: float = math.inf,
) -> Callable[[float], bool] | None:
    """For ``solve_by_blocks``: whether the schedule, ``start_met`` plus
    what the blocks gained, is proven within ``limit`` (a share) of the LP
    bound. The bound (``bound()``, computed on the other core) is awaited at
    the first block's end, so that the stop never depends on the clock and
    reruns give the same schedule — but only until the solve's wall-clock
    ``hard_stop`` (``time.monotonic()``; ``ready(seconds)`` says whether
    the bound came within them): on a machine so busy that the bound is
    not there by then, the solve ends there, as any hard stop does, and
    does not wait past its time limit. None when there is no limit."""
    if limit <= 0:
        return None

    def enough(gained: float) -> bool:
        if not ready(hard_stop - time.monotonic()):
            return False  # the hard stop has come: no block starts now
        best = bound()
        if not best:
            return False
        gap = (best - start_met - gained) / best
        if gap > limit:
            return False
        say(Msg("progress.proven", gap=f"{gap:.2%}", limit=f"{limit:.2%}"))
        return True

    return enough


def _after_block(
    limit: Callable[[float], bool] | None,
    start_met: float,
    bound: Callable[[], float | None],
    blocks: int,
    tell: Callable[..., None],
) -> Callable[[float], bool]:
    """For ``solve_by_blocks``: tells the progress callback each solved
    block, then asks the gap ``limit`` (if any) whether to stop. The
    bound is shown once known (the gap limit awaits it at the first
    block's end); it is never awaited here, so progress costs no time."""
    solved = 0

    def after(gained: float) -> bool:
        nonlocal solved
        solved += 1
        stop = limit is not None and limit(gained)
        best = bound() if bound.cache_info().currsize else None
        met = start_met + gained
        tell(
            Stage.SOLVE,
            done=min(solved, blocks),
            total=blocks,
            needs_met=met,
            bound=best,
            gap=gap_of(met, best),
        )
        return stop

    return after


def _sum(*parts: float | None) -> float | None:
    return None if None in parts else sum(parts)


def bookings_to_keep(
    instance: Instance, needs: Needs, options, pinned, lookups=None
) -> tuple[list[Keepable], dict]:
    """A re-plan's bookings that fit together beside the pinned ones, in
    date order: the start keeps them all, and later stages change one only
    when that gains more than ``change_cost`` (any gain when it is 0); and
    those that cannot be kept whatever the cost, with why."""
    keep, forced = keepable_bookings(instance, needs, options, lookups)
    if not keep and not forced:
        return [], {}
    st = BookingState(instance, lookups)
    for a in pinned:
        st.rebook(a, options)
    forced |= hold_bookings(st, keep, options)
    return [x for x in keep if x.booking not in forced], forced


def _start(
    instance,
    needs,
    options,
    pinned,
    held,
    greedy,
    met,
    relaxation,
    classes,
    look,
    keep=(),
):
    """The solver's hint: the greedy schedule guided by the LP's plan,
    with its open needs filled in, everyone's tests re-planned and places
    traded (repair.py); from the plain ``greedy`` instead if the guided one
    meets less than its ``met`` (on generated drives it never did). With
    its booking state, which the fill after the solve goes on from, and
    what it meets, changes priced in (``net_value``). The people in
    ``held`` (those with ``pinned`` or kept appointments) keep their
    tests; the bookings in ``keep`` are taken in first."""
    if relaxation.plan:
        state = greedy_state(
            instance,
            needs,
            options,
            pinned,
            guide_from(relaxation.plan, classes),
            look,
            keep,
        )
        guided = fill_and_repair_state(state, needs, options, held)
        value = net_value(instance, needs, guided)
        if value >= met:
            return guided, state, value
    start, state = fill_and_repair(
        instance, needs, options, greedy, held, look
    )
    return start, state, net_value(instance, needs, start)


def _filled(state, needs, options, start, found, held) -> Solution:
    """The solver's schedule with open needs filled in (``fill_schedule``,
    going on from the start's booking state), and the tests of those still
    short re-planned (repair.py; people in ``held`` keep theirs)."""
    kept = refill_state(state, needs, options, start, found)
    repair_state(state, needs, options, held, passes=POST_SOLVE_PASSES)
    return state.solution(kept)


#: The repair's passes after the solve: only those still short (a thin
#: pass first gained less: benchmarks/measurements.md, "Repair").
POST_SOLVE_PASSES = (False,)


def _valid_schedule(
    instance: Instance,
    needs: Needs,
    solution: Solution,
    fallbacks: tuple[Solution, ...],
    report: SolveReport,
    look: Lookups,
) -> tuple[Solution, list]:
    """The schedule if it passes the checker, else the first fallback
    that does, with its violations (empty unless all fail).

    A bug in the model must not cost HR the run: the greedy schedule
    (valid by construction, and checked all the same) is written instead,
    and the run says so loudly.
    """
    violations = check_solution(instance, needs, solution, look)
    if not violations:
        return solution, violations
    for fallback in fallbacks:
        if fallback is not solution and not check_solution(
            instance, needs, fallback, look
        ):
            report.warnings.append(
                Msg("warning.fallback", violation=str(violations[0]))
            )
            report.status = SolveStatus.HEURISTIC
            report.objective = objective_terms(instance, needs, fallback)
            return fallback, []
    return solution, violations


def _check_pinned(
    instance: Instance, needs: Needs, pinned, look: Lookups
) -> None:
    if not pinned:
        return
    violations = [
        v
        for v in check_solution(
            instance, needs, Solution(appointments=tuple(pinned)), look
        )
        if v.rule is not Rule.PINNED_BOOKINGS
    ]
    if violations:
        lines = "\n".join(f"  - {v}" for v in violations)
        raise PinnedBookingError(
            Msg("error.pinned", sheet="bookings", lines=lines)
        )


def run(
    opts: RunOptions,
    say: Say = lambda _: None,
    progress: ProgressFn = no_progress,
) -> RunResult:
    """The whole run; raises SchedulerError subclasses for the user.
    ``say`` gets the command line's text lines, ``progress`` the same
    steps as figures (core/progress.py)."""
    return write_scheduled(scheduled_run(opts, say, progress))


@dataclass(slots=True)
class ScheduledRun:
    """A run read, scheduled and checked, not yet written
    (``scheduled_run``; ``write_scheduled`` writes it)."""

    opts: RunOptions
    target: Path
    raw_sha256: str
    params: SolveParams
    found: Scheduled
    result: RunResult
    started: float
    say: Say
    progress: ProgressFn


def scheduled_run(
    opts: RunOptions,
    say: Say = lambda _: None,
    progress: ProgressFn = no_progress,
) -> ScheduledRun:
    """``run`` up to the writing: read, schedule, check. A caller that
    may not keep this schedule (plan-capacity's checks) writes only the
    one it keeps."""
    from scheduler.io.read.read import read_instance

    seconds: dict[str, float] = {}
    start = time.perf_counter()
    target = _target_folder(opts)
    progress(RunProgress(stage=Stage.READ, elapsed=0.0))
    say(Msg("progress.reading", path=str(opts.book)))
    raw = Path(opts.book).read_bytes() if Path(opts.book).is_file() else b""
    instance = read_instance(opts.book)
    seconds["read"] = time.perf_counter() - start
    s = instance.settings
    lang = opts.lang or s.language
    params = solve_params(
        s, opts.time_limit, opts.gap_limit, opts.seed, opts.workers
    )
    say(
        Msg(
            "progress.checked",
            employees=f"{len(instance.employees):,}",
            sessions=f"{len(instance.horizon_sessions()):,}",
            start=str(s.horizon_start),
            end=str(s.horizon_end),
        )
    )
    found = schedule(
        instance, params, say, seconds, progress=progress, started=start
    )
    result = run_result(instance, found, seconds, lang)
    return ScheduledRun(
        opts=opts,
        target=target,
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        params=params,
        found=found,
        result=result,
        started=start,
        say=say,
        progress=progress,
    )


def run_result(
    instance: Instance, found: Scheduled, seconds: dict[str, float], lang: str
) -> RunResult:
    """What a run writes, from its schedule (no unmet reasons yet: they
    are found while the rosters are written)."""
    from scheduler.report.changes import compute_changes

    needs, solution, report = found.needs, found.solution, found.report
    return RunResult(
        instance=instance,
        needs=needs,
        solution=solution,
        unmet=[],
        report=report,
        counts={
            "employees": len(instance.employees),
            "sessions": len(instance.horizon_sessions()),
            "appointments": len(solution.appointments),
            **counts_of(instance, needs, solution),
        },
        objective=report.objective,
        seconds=seconds,
        lang=lang,
        changes=compute_changes(instance, solution, found.forced),
        kept_met=found.kept_met,
    )


def write_scheduled(done: ScheduledRun) -> RunResult:
    """Write a scheduled run's folder (whole or not at all)."""
    from scheduler.report.reasons import unmet_needs

    opts, params, found, result = (
        done.opts,
        done.params,
        done.found,
        done.result,
    )
    say, progress, start, target = (
        done.say,
        done.progress,
        done.started,
        done.target,
    )
    report = result.report
    # Why each open need stays open depends on the schedule alone: the
    # other core finds it while the rosters are written.
    with Background(
        unmet_needs,
        result.instance,
        result.needs,
        found.options,
        result.solution,
        result.lang,
        found.lookups,
    ) as reasons:
        say(Msg("progress.writing", path=str(target)))
        figures = {
            "time_limit": params.time_limit,
            "needs_met": report.objective.get("needs_met"),
            "bound": report.best_bound,
            "gap": report.gap,
        }
        progress(
            RunProgress(
                stage=Stage.WRITE,
                elapsed=time.perf_counter() - start,
                **figures,
            )
        )
        meta = {
            "input": str(opts.book),
            "input_sha256": done.raw_sha256,
            "seed": opts.seed,
            "time_limit": params.time_limit,
            "gap_limit": params.gap_limit,
            "workers": params.workers,
            "greedy_baseline": found.greedy,
        }

        def written(what: str, n: int, total: int) -> None:
            say(count_line(what, n, total))
            progress(
                RunProgress(
                    stage=Stage.WRITE,
                    elapsed=time.perf_counter() - start,
                    done=n,
                    total=total,
                    **figures,
                )
            )

        with ticks.listening(written):
            write_run(
                target,
                result,
                meta,
                start,
                unmet=reasons.result,
                protect=opts.protect,
                password=opts.protect_password,
            )
    result.folder = target
    progress(
        RunProgress(
            stage=Stage.DONE, elapsed=time.perf_counter() - start, **figures
        )
    )
    return result


def _target_folder(opts: RunOptions) -> Path:
    if opts.out is not None:
        out = Path(opts.out)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise UsageError(Msg("usage.out_not_empty", path=str(out)))
        return out
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = opts.outputs_root / stamp
    n = 2
    while out.exists():
        out = opts.outputs_root / f"{stamp}-{n}"
        n += 1
    return out


def write_run(
    target: Path,
    result: RunResult,
    meta: dict,
    start: float,
    *,
    unmet: Callable[[], list[UnmetNeed]] | None = None,
    protect: bool = False,
    password: str | None = None,
):
    """All files into a temporary folder, then one rename into place.

    ``unmet``, if given, yields ``result.unmet`` when first needed (the
    schedule workbook is written last): it may still be computed by
    another process meanwhile.
    """
    from scheduler.io.write.rosters import write_rosters
    from scheduler.io.write.schedule import write_schedule

    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(target.parent)
    lock = {"protect": protect, "password": password}
    tmp = target.parent / f".{target.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        tmp.mkdir()
        clock = time.perf_counter()
        inst, sol = result.instance, result.solution
        # The calendars (one event per appointment), the coverage report
        # and the notices are written by a second process on the second
        # core, the rosters and the schedule here (about equal shares);
        # leaving the block, also by an error, ends that process.
        with Background(
            _write_beside,
            tmp,
            inst,
            result.needs,
            sol,
            result.lang,
            lock,
            result.changes,
        ) as beside:
            write_rosters(tmp / "rosters.xlsx", inst, sol, result.lang, **lock)
            if unmet is not None:
                result.unmet = unmet()
            write_schedule(
                tmp / "schedule.xlsx",
                inst,
                sol,
                result.unmet,
                changes=result.changes,
                lang=result.lang,
                **lock,
            )
            beside.result()
        result.seconds["write"] = time.perf_counter() - clock
        result.seconds["total"] = time.perf_counter() - start
        (tmp / "run.json").write_text(
            json.dumps(run_json(result, meta), indent=2, ensure_ascii=False),
            encoding="utf-8",
        )
        if target.exists():  # an empty folder named by --out
            target.rmdir()
        tmp.rename(target)
    except BaseException:
        stop_all()  # no child may write into tmp once it is removed
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_beside(
    tmp: Path, inst, needs, sol, lang: str, lock: dict, changes=None
):
    """The files ``write_run`` leaves to the second core."""
    from scheduler.io.write.calendars import write_calendars
    from scheduler.io.write.coverage import write_coverage
    from scheduler.io.write.notices import write_notices

    write_calendars(tmp / "calendars", inst, sol, lang, changes)
    write_coverage(tmp / "coverage.xlsx", inst, needs, sol, lang, **lock)
    write_notices(
        tmp / "notices.xlsx", inst, sol, lang, changes=changes, **lock
    )


_PARTIAL = re.compile(r"^\..+\.partial-(\d+)$")


def remove_stale_partials(folder: Path) -> None:
    """Remove the hidden temporary folders (``.NAME.partial-PID``) of runs
    that were killed while writing: those whose process is gone."""
    if os.name != "posix":
        return  # no safe "is this process alive" probe: keep them
    for path in folder.iterdir():
        found = _PARTIAL.match(path.name)
        if (
            found
            and path.is_dir()
            and not path.is_symlink()
            and not _alive(int(found.group(1)))
        ):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def run_json(result: RunResult, meta: dict) -> dict:
    """run.json per outputs.md: figures only, no personal data."""
    r = result.report
    return {
        "status": r.status,
        "objective": r.objective,
        "best_bound": r.best_bound,
        "gap": r.gap,
        "bound_source": r.bound_source,
        "seconds": {k: round(v, 3) for k, v in result.seconds.items()},
        "counts": result.counts,
        "input": meta["input"],
        "input_sha256": meta["input_sha256"],
        "version": __version__,
        "solver_version": solver_version(),
        "seed": meta["seed"],
        "time_limit": meta["time_limit"],
        "gap_limit": meta.get("gap_limit"),
        "stopped_by": r.stopped_by,
        "workers": meta["workers"],
        "stages": r.stages,
        "greedy_baseline": meta["greedy_baseline"],
        "unmet_by_reason": _by_reason(result.unmet),
        "changes": _changes_json(result),
        "warnings": [
            *result.instance.notices,
            *result.instance.warnings,
            *r.warnings,
        ],
    }


def _changes_json(result: RunResult) -> dict:
    """The re-plan's bookings and what became of them (``changes`` is the
    objective's term), with what the changes gained over the start that
    kept every booking that fits."""
    from scheduler.report.changes import change_counts

    c = change_counts(result.changes, result.instance)
    out = {
        "change_cost": result.instance.settings.change_cost,
        "booked": c.booked,
        "kept": c.kept,
        "moved": c.moved,
        "cancelled": c.cancelled,
        "forced": c.forced,
        "changes": c.changes,
        "new": c.new,
    }
    if result.kept_met is not None:
        met = result.objective["needs_met"]
        out["needs_met_keeping_all"] = round(result.kept_met, 4)
        out["gained"] = round(met - result.kept_met, 4)
    return out


def _by_reason(unmet: list[UnmetNeed]) -> dict[str, int]:
    out: dict[str, int] = {}
    for u in unmet:
        out[u.reason] = out.get(u.reason, 0) + 1
    return dict(sorted(out.items()))
