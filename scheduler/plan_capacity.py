"""``scheduler plan-capacity``: the least to add to reach every target.

read (with the ``session_options`` sheet) → options (the sheet's, else
generated) → classes (prepare/capacity.py) → the relaxed model on GLOP
(model/capacity.py): ceiling, maximin, least cost with its proven bound,
a whole plan, the curve → today's schedule → the workbook with the plan,
scheduled by the ordinary run (``pipeline.run``, checker included) → the
promise compared with that schedule, the plan tightened by the shortfall
until it is kept (or the gap reported) → one folder written whole.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler import __version__
from scheduler.core.errors import UsageError

if TYPE_CHECKING:
    from scheduler.core.domain import Instance, SessionOption, WorkplaceId

Say = Callable[[str], None]

#: Plans scheduled at most (the first, then tightened ones).
ROUNDS = 3
#: Curve points past the plan's size.
CURVE_PAST_PLAN = 3
#: Solver seconds of each ordinary schedule the planner makes, unless
#: ``--time-limit`` or a lower ``time_limit_seconds`` setting says
#: otherwise: two to four schedules fit in a minute on the example, and
#: ``run/`` keeps the one checked (benchmarks/measurements.md).
CHECK_TIME_LIMIT = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CapacityOptions:
    book: Path
    out: Path | None = None
    outputs_root: Path = Path("outputs")
    target: float | None = None  # a share, overriding coverage_target
    max_added: int | None = None
    time_limit: float | None = None  # of each ordinary run
    lang: str | None = None
    seed: int = 0
    rounds: int = ROUNDS


def plan_capacity(opts: CapacityOptions, say: Say = lambda _: None):
    """The whole command; returns the report with its folder."""
    from scheduler.io.read.read import read_instance
    from scheduler.model.capacity import CapacityModel, InfeasiblePlan
    from scheduler.prepare.capacity import (
        capacity_classes,
        generated_options,
    )
    from scheduler.report.capacity import (
        CapacityReport,
        WorkplaceFigures,
        ceiling_causes,
    )

    start = time.perf_counter()
    seconds: dict[str, float] = {}
    target_dir = _new_folder(opts.out, opts.outputs_root)
    say(f"Reading {opts.book} …")
    instance = read_instance(opts.book, with_options=True)
    s = instance.settings
    if opts.time_limit is None:
        opts = dataclasses.replace(
            opts, time_limit=min(s.time_limit_seconds, CHECK_TIME_LIMIT)
        )
    lang = opts.lang or s.language
    share = s.coverage_target if opts.target is None else opts.target
    options = dict(instance.session_options)
    generated = not options
    if generated:
        options = generated_options(instance)
    say(
        f"{len(options):,} session options "
        + ("generated (no sheet session_options)" if generated else "")
        + ("" if generated else "from sheet session_options")
    )
    data = capacity_classes(instance, options)
    needed = {
        w: math.ceil(round(share * h, 9)) for w, h in data.headcount.items()
    }
    targets = {w: max(0, needed[w] - data.done[w]) for w in needed}
    model = CapacityModel(data, targets)
    seconds["prepare"] = time.perf_counter() - start
    clock = time.perf_counter()
    say(
        f"Model: {len(data.classes):,} classes of "
        f"{sum(c.size for c in data.classes):,} people who could complete; "
        f"{len(model.z):,} options"
    )
    ceiling = model.ceiling()
    # The proof: the least cost any plan needs (loss-free model).
    _, clipped = model.hold_best(opts.max_added)
    reachable = clipped >= sum(targets.values()) - 1e-6
    bound = _bound(model.least_cost(), options)
    model.release()
    seconds["model"] = time.perf_counter() - clock
    names = {w.id: w.name for w in instance.workplaces.values()}
    figures = {
        w: WorkplaceFigures(
            workplace_id=w,
            name=names.get(w, ""),
            headcount=data.headcount[w],
            done=data.done[w],
            needed=needed[w],
            ceiling=data.done[w] + ceiling[w],
        )
        for w in sorted(data.headcount)
    }
    clock = time.perf_counter()
    say("Scheduling today's sessions (the ordinary schedule) …")
    today = _complete(instance, opts, say=lambda _: None)
    for w, f in figures.items():
        f.today = today.get(w, 0)
    seconds["today"] = time.perf_counter() - clock
    # What the ordinary schedule loses against the model (teams, tests,
    # needs that weigh more than a completion): the plan aims that much
    # higher, and the loss grows by any shortfall the check finds.
    zero = model.outcome(set(), full=False)
    loss = {
        w: max(0, zero.completions[w] - (today.get(w, 0) - data.done[w]))
        for w in figures
    }
    calibrated = dict(loss)
    for w, causes in ceiling_causes(data, ceiling).items():
        figures[w].causes = causes
    tmp = target_dir.parent / f".{target_dir.name}.partial-{os.getpid()}"
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    from scheduler.pipeline import remove_stale_partials

    remove_stale_partials(target_dir.parent)
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        kept, rounds, chosen, outcome = False, 0, set(), zero
        short: dict[WorkplaceId, int] = {}
        while True:
            rounds += 1
            clock = time.perf_counter()
            try:
                better = _replan(model, loss, opts.max_added)
            except InfeasiblePlan:
                break
            if rounds > 1 and better <= chosen:
                # The model sees no need for more: add the next option
                # for the buildings that fell short.
                extra = _next_option(model, chosen, short)
                if extra is None:
                    break  # nothing more to add: the gap stays
                better = chosen | {extra}
            chosen, outcome = better, model.outcome(better)
            say(
                f"Plan: {len(chosen)} sessions, cost "
                f"{_cost(options, chosen):g} (any plan costs at least "
                f"{bound:g})"
            )
            _promise(figures, data, outcome, loss, targets)
            real = _scheduled(tmp, opts, options, chosen, say)
            seconds[f"check_{rounds}"] = time.perf_counter() - clock
            short = _short(figures, real)
            kept = not short
            if kept:
                break
            for w, n in short.items():
                loss[w] += n
            if rounds >= opts.rounds:
                # No schedule left to make: re-solve with the shortfall.
                # Where the model, told of it, needs no other options, its
                # promise is checked against the schedule already made
                # (same plan, same schedule).
                kept = _restate(model, loss, opts, chosen, figures, real)
                if kept:
                    say(
                        "The promise re-stated with the shortfall: the "
                        "schedule keeps it"
                    )
                    outcome = model.outcome(chosen)
                break
            say(
                "The schedule falls short of the promise ("
                + ", ".join(f"{w} by {n}" for w, n in short.items())
                + "); planning for that many more …"
            )
        clock = time.perf_counter()
        # The curve as today's schedule calibrates it: k = 0 is today.
        model.set_loss(calibrated)
        curve = _curve(
            model,
            data,
            outcome,
            chosen,
            calibrated,
            {w: f.today for w, f in figures.items() if f.today is not None},
        )
        seconds["curve"] = time.perf_counter() - clock
        report = CapacityReport(
            book=str(opts.book),
            target=share,
            generated=generated,
            options=len(options),
            workplaces=list(figures.values()),
            plan=_plan_rows(instance, options, outcome),
            curve=curve,
            cost=_cost(options, chosen),
            cost_bound=bound,
            status="OPTIMAL"
            if _cost(options, chosen) <= bound + 1e-9
            else "FEASIBLE",
            rounds=rounds,
            kept=kept,
            reachable=reachable,
        )
        _write(tmp, report, lang, start, seconds)
        tmp.rename(target_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.folder = target_dir
    return report


def _replan(model, loss, max_added) -> set:
    """The least-cost whole plan for the best rates, with this loss."""
    from scheduler.model.capacity import round_plan

    try:
        model.set_loss(loss)
        model.hold_best(max_added)
        model.least_cost()
        return round_plan(model)
    finally:
        model.release()


def _restate(model, loss, opts, chosen, figures, real) -> bool:
    """Re-state the promise of ``chosen`` with the loss grown by the
    shortfall, if the model then asks for nothing that ``chosen`` lacks;
    True if the schedule already made keeps that promise."""
    from scheduler.model.capacity import InfeasiblePlan

    try:
        if not _replan(model, loss, opts.max_added) <= chosen:
            return False
    except InfeasiblePlan:
        return False
    first = {w: f.promised for w, f in figures.items()}
    _promise(figures, model.data, model.outcome(chosen), loss, model.targets)
    if _short(figures, real):
        for w, f in figures.items():  # not kept: the first promise stands
            f.promised = first[w]
        return False
    for w, f in figures.items():
        if f.promised < first[w]:
            f.restated_from = first[w]
    return True


def _promise(figures, data, outcome, loss, targets) -> None:
    """What the plan promises per building: the model's completions less
    the loss the ordinary schedule was seen to have, up to the target."""
    for w, f in figures.items():
        f.promised = data.done[w] + max(
            0, min(outcome.completions[w] - loss[w], targets[w])
        )


def _short(figures, real) -> dict:
    """Buildings whose real schedule falls short of the promise, by how
    many people; the real figures recorded."""
    for w, f in figures.items():
        f.real = real.get(w, 0)
    return {
        w: f.promised - f.real
        for w, f in figures.items()
        if f.real < f.promised
    }


def _cost(options: dict[str, SessionOption], chosen) -> float:
    return round(sum(options[s].cost for s in chosen), 6)


def _bound(relaxed: float, options: dict[str, SessionOption]) -> float:
    """The relaxed least cost, rounded up to a whole number when every
    cost is one (then any plan's cost is)."""
    value = max(0.0, relaxed - 1e-6)
    if all(float(o.cost).is_integer() for o in options.values()):
        return float(math.ceil(value))
    return round(value, 6)


def _complete(
    instance: Instance, opts: CapacityOptions, say: Say
) -> dict[WorkplaceId, int]:
    """People complete per workplace in the ordinary schedule of today's
    sessions (``pipeline.schedule``, checker included; nothing written)."""
    from scheduler.model.solve import solve_params
    from scheduler.pipeline import schedule
    from scheduler.report.stats import compute_coverage

    plain = dataclasses.replace(instance, session_options={})
    params = solve_params(plain.settings, opts.time_limit, None, opts.seed)
    found = schedule(plain, params, say)
    cov = compute_coverage(plain, found.needs, found.solution)
    return {w.workplace_id: w.fully_after for w in cov.workplaces}


def _scheduled(tmp: Path, opts, options, chosen, say: Say):
    """Write the workbook with the plan and schedule it with the ordinary
    run into ``tmp/run``; people complete per workplace."""
    from scheduler.io.write.input_with_plan import write_input_with_plan
    from scheduler.pipeline import RunOptions, run
    from scheduler.report.stats import compute_coverage

    book = tmp / "input-with-plan.xlsx"
    run_dir = tmp / "run"
    for old in (book, run_dir):
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()
    write_input_with_plan(
        opts.book,
        book,
        [options[s] for s in sorted(chosen)],
        from_sheet=not any(o.generated for o in options.values()),
    )
    say(f"Scheduling the workbook with the plan ({len(chosen)} added) …")
    result = run(
        RunOptions(
            book=book,
            out=run_dir,
            time_limit=opts.time_limit,
            seed=opts.seed,
            lang=opts.lang,
        ),
        lambda _: None,
    )
    cov = compute_coverage(result.instance, result.needs, result.solution)
    return {w.workplace_id: w.fully_after for w in cov.workplaces}


def _next_option(model, chosen: set, short: dict) -> str | None:
    """The option not chosen that would serve the short buildings most,
    with every option held (then the cheapest, then by id)."""
    rest = set(model.z) - chosen
    if not rest:
        return None
    every = model.outcome(set(model.z), full=False)
    opts = model.data.options

    def gain(sid: str) -> tuple:
        served = every.served.get(sid, {})
        return (-sum(served.get(w, 0) for w in short), opts[sid].cost, sid)

    return min(rest, key=gain)


def _plan_rows(instance, options, outcome):
    """The plan's options, those serving the most people first."""
    from scheduler.model.bounds import slot_places
    from scheduler.report.capacity import PlanRow

    rows = []
    for sid in outcome.chosen:
        o = options[sid]
        site = instance.sites.get(o.session.site_id)
        rows.append(
            PlanRow(
                option=o,
                site_name=site.name if site else o.session.site_id,
                places=slot_places(
                    instance, o.session, [a for a, _ in o.session.slots]
                ),
                served=outcome.served.get(sid, {}),
            )
        )
    rows.sort(
        key=lambda r: (
            -sum(r.served.values()),
            r.option.session.date,
            r.option.id,
        )
    )
    return rows


def _curve(model, data, first, chosen, loss, today) -> list:
    """For k = 0 … the plan's size + a few: the best rates k options give.

    The k options: among the plan's first k (by people served), and the k
    with the largest shares in the model's optimum with at most k options,
    the better; past the plan, the plan and the next options by share.
    Beside it, the model's bound on the lowest rate with k options. The
    rates: k = 0 today's schedule, then the model's less the loss
    measured on it, never below today's.
    """
    from scheduler.report.capacity import CurvePoint

    served = {
        sid: sum(n for n in first.served.get(sid, {}).values())
        for sid in chosen
    }
    order = sorted(chosen, key=lambda s: (-served.get(s, 0), s))
    top = min(len(model.z), len(chosen) + CURVE_PAST_PLAN)
    points = []
    for k in range(top + 1):
        bound = model.floor_bound(k)
        shares = model.shares()
        by_share = sorted(model.z, key=lambda s: (-shares[s], s))
        if k <= len(order):
            candidates = [set(order[:k]), set(by_share[:k])]
        else:
            rest = [s for s in by_share if s not in chosen]
            candidates = [set(order) | set(rest[: k - len(order)])]
        best = None
        if len(candidates) == 2 and candidates[0] == candidates[1]:
            candidates.pop()  # one LP less: the same choice twice
        for c in candidates:
            got = model.outcome(c, full=False)
            key = (round(got.floor, 9), sum(got.completions.values()))
            if best is None or key > best[0]:
                best = (key, got)
        got = best[1]
        points.append(
            CurvePoint(
                added=k,
                chosen=got.chosen,
                # k = 0 is today's schedule itself, not the model's
                # estimate of it: the maximin optimum may share places
                # between buildings otherwise, and a point below today
                # would say that a session takes people away.
                complete={
                    w: max(
                        today.get(w, 0),
                        0 if k == 0 else data.done[w] + max(0, n - loss[w]),
                    )
                    for w, n in got.completions.items()
                },
                value=got.value,
                floor_bound=bound,
            )
        )
    return points


def _new_folder(out: Path | None, root: Path) -> Path:
    if out is not None:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise UsageError(
                f"The output folder {out} already exists and is not empty; "
                "choose a new --out folder (answers never overwrite each "
                "other)."
            )
        return out
    stamp = datetime.now().strftime("capacity-%Y%m%d-%H%M%S")
    out, n = root / stamp, 2
    while out.exists():
        out, n = root / f"{stamp}-{n}", n + 1
    return out


def _write(tmp: Path, report, lang: str, start: float, seconds) -> None:
    from scheduler.io.write.capacity import write_capacity

    write_capacity(tmp / "capacity.xlsx", report, lang)
    seconds["total"] = time.perf_counter() - start
    report.seconds = {k: round(v, 3) for k, v in seconds.items()}
    (tmp / "plan.json").write_text(
        json.dumps(plan_json(report), indent=2, ensure_ascii=False),
        encoding="utf-8",
    )


def plan_json(report) -> dict:
    """Figures only: options, costs, rates; no names of people."""
    return {
        "status": report.status,
        "cost": report.cost,
        "cost_lower_bound": report.cost_bound,
        "gap": round(report.gap, 6),
        "targets_reachable": report.reachable,
        "promise_kept": report.kept,
        "rounds": report.rounds,
        "options": report.options,
        "options_generated": report.generated,
        "target": report.target,
        "chosen": [
            {
                "session_id": r.option.id,
                "service": str(r.option.session.service),
                "site_id": r.option.session.site_id,
                "date": r.option.session.date.isoformat(),
                "start": _hhmm(r.option.session.start),
                "end": _hhmm(r.option.session.end),
                "product": r.option.session.product,
                "cost": r.option.cost,
                "places": r.places,
                "serves": r.served,
            }
            for r in report.plan
        ],
        "workplaces": {
            f.workplace_id: {
                "headcount": f.headcount,
                "needed": f.needed,
                "complete_before": f.done,
                "today": f.today,
                "promised": f.promised,
                "promised_before_check": f.restated_from,
                "real": f.real,
                "ceiling": f.ceiling,
                "ceiling_causes": dict(sorted(f.causes.items())),
            }
            for f in report.workplaces
        },
        "curve": [
            {
                "added": p.added,
                "chosen": p.chosen,
                "complete": p.complete,
                "lowest_rate_bound": round(p.floor_bound, 6),
            }
            for p in report.curve
        ],
        "seconds": report.seconds,
        "version": __version__,
    }


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"
