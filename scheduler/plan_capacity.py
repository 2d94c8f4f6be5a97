"""``scheduler plan-capacity``: the least to add to reach every target.

read (with the ``session_options`` sheet) → options (the sheet's, else
generated; with ``--tests`` test sessions too) → classes
(prepare/capacity.py) → the relaxed model on GLOP (model/capacity.py):
ceiling, maximin, least cost with its proven bound, a whole plan, the
curve → today's schedule → the workbook with the plan, scheduled as the
ordinary run does (``pipeline.scheduled_run``, checker included) → the
promise (completions, and with ``--tests`` test person-days and
screening windows) compared with that schedule, the plan tightened by
the shortfall until it is kept (or the gap reported) → the kept run and
the answer, one folder written whole.
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
from scheduler.core.messages import Msg

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
    #: ``--tests``: share of test person-days to cover (None: no tests).
    tests: float | None = None
    time_limit: float | None = None  # of each ordinary run
    lang: str | None = None
    seed: int = 0
    rounds: int = ROUNDS


def plan_capacity(opts: CapacityOptions, say: Say = lambda _: None):
    """The whole command; returns the report with its folder."""
    from scheduler.core.domain import Service
    from scheduler.io.read.read import read_instance
    from scheduler.model.capacity import CapacityModel, InfeasiblePlan
    from scheduler.prepare.capacity import (
        capacity_classes,
        generated_options,
    )
    from scheduler.report.capacity import (
        CapacityReport,
        Measure,
        WorkplaceFigures,
        ceiling_causes,
    )

    start = time.perf_counter()
    seconds: dict[str, float] = {}
    target_dir = _new_folder(opts.out, opts.outputs_root)
    say(Msg("cap.reading", path=str(opts.book)))
    instance = read_instance(opts.book, with_options=True)
    s = instance.settings
    if opts.time_limit is None:
        opts = dataclasses.replace(
            opts, time_limit=min(s.time_limit_seconds, CHECK_TIME_LIMIT)
        )
    lang = opts.lang or s.language
    share = s.coverage_target if opts.target is None else opts.target
    asked = opts.tests is not None
    services = tuple(Service) if asked else (Service.VACCINATION,)
    options = {
        sid: o
        for sid, o in instance.session_options.items()
        if o.session.service in services
    }
    generated = not instance.session_options
    if generated:
        options = generated_options(instance, services)
    where = "generated" if generated else "sheet"
    say(Msg(f"cap.options.{where}", n=f"{len(options):,}"))
    data = capacity_classes(instance, options, tests=asked)
    needed = {
        w: math.ceil(round(share * h, 9)) for w, h in data.headcount.items()
    }
    targets = {w: max(0, needed[w] - data.done[w]) for w in needed}
    demand = data.tests
    test_targets = (
        {
            w: math.ceil(round(opts.tests * n, 9))
            for w, n in demand.person_days.items()
        }
        if demand is not None and opts.tests is not None
        else None
    )
    model = CapacityModel(data, targets, test_targets=test_targets)
    seconds["prepare"] = time.perf_counter() - start
    clock = time.perf_counter()
    say(
        Msg(
            "cap.model",
            classes=f"{len(data.classes):,}",
            people=f"{sum(c.size for c in data.classes):,}",
            options=f"{len(model.z):,}",
        )
    )
    ceiling = model.ceiling()
    tests_ceiling = model.test_ceiling() if demand is not None else None
    # The proof: the least cost any plan needs (loss-free model).
    _, clipped = model.hold_best(opts.max_added)
    reachable = clipped >= sum(targets.values()) - 1e-6
    tests_reachable = (
        None if test_targets is None else model.tests_reach(test_targets)
    )
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
    if demand is not None and tests_ceiling is not None and test_targets:
        for w, f in figures.items():
            before = demand.met_before[w]
            f.tests = Measure(
                total=demand.person_days[w],
                needed=test_targets[w],
                ceiling=tests_ceiling["tests"][w],
            )
            f.screening = Measure(
                total=demand.windows[w] + before,
                needed=tests_ceiling["screening"][w] + before,
                ceiling=tests_ceiling["screening"][w] + before,
            )
    clock = time.perf_counter()
    say(Msg("cap.today"))
    today = _complete(instance, opts, say=lambda _: None)
    for w, f in figures.items():
        for kind, goal in f.goals().items():
            goal.today = today.get((kind, w), 0)
    seconds["today"] = time.perf_counter() - clock
    # What the ordinary schedule loses against the model (teams, tests,
    # needs that weigh more than a completion): the plan aims that much
    # higher, and the loss grows by any shortfall the check finds.
    # The model holds today's figures (a relaxation allows them with no
    # option added), then what it finds for today: no building loses.
    model.keep_at_least(
        {
            (k, w): n - _before(data, k, w)
            for (k, w), n in today.items()
            if k in figures[w].goals()
        }
    )
    zero = model.outcome(set(), full=False)
    model.keep_at_least(
        {
            (k, w): _modelled(data, zero, k, w) - _before(data, k, w)
            for w, f in figures.items()
            for k in f.goals()
        }
    )
    loss = {
        (k, w): max(0, _modelled(data, zero, k, w) - today.get((k, w), 0))
        for w, f in figures.items()
        for k in f.goals()
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
        real: dict = {}
        # The last plan scheduled: the chosen one, written as run/ (the
        # others are only checked; writing is a good part of a check).
        last = None
        short: dict[tuple[str, WorkplaceId], int] = {}
        restate = False  # re-state the promise with the shortfall
        while True:
            rounds += 1
            clock = time.perf_counter()
            try:
                # From the second round: does the model, told of the
                # shortfall, still make do with the plan?
                settled = rounds > 1 and _enough(
                    model, loss, opts.max_added, chosen
                )
                if not settled:
                    chosen = _replan(model, loss, opts.max_added)
            except InfeasiblePlan:
                break
            if settled:
                # Then add the next option for the buildings that fell
                # short; with none left, the schedule made stands.
                extra = _next_option(model, chosen, short)
                if extra is None:
                    restate = True
                    break
                chosen = chosen | {extra}
            outcome = model.outcome(chosen)
            say(
                Msg(
                    "cap.plan",
                    n=len(chosen),
                    cost=f"{_cost(options, chosen):g}",
                    bound=f"{bound:g}",
                )
            )
            _promise(figures, data, outcome, loss)
            real, last = _scheduled(tmp, opts, options, chosen, say)
            seconds[f"check_{rounds}"] = time.perf_counter() - clock
            short = _short(figures, real)
            kept = not short
            if kept:
                break
            for key, n in short.items():
                loss[key] += n
            if rounds >= opts.rounds:
                restate = True  # no schedule left to make
                break
            say(Msg("cap.short", short=_listed(short)))
        if restate:
            # Where the model, told of the shortfall, needs no other
            # options, its promise is checked against the schedule
            # already made (same plan, same schedule).
            kept = _restated(model, loss, opts, chosen, figures, real)
            if kept:
                say(Msg("cap.restated"))
                outcome = model.outcome(chosen)
        clock = time.perf_counter()
        if last is not None:
            from scheduler.pipeline import write_scheduled

            write_scheduled(last)
        seconds["write_run"] = time.perf_counter() - clock
        clock = time.perf_counter()
        # The curve as today's schedule calibrates it: k = 0 is today.
        model.set_loss(calibrated)
        curve = _curve(model, data, outcome, chosen, calibrated, figures)
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
            tests_reachable=tests_reachable,
            tests=opts.tests,
        )
        _write(tmp, report, lang, start, seconds)
        tmp.rename(target_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    report.folder = target_dir
    return report


def _listed(short: dict) -> list[Msg]:
    """The shortfalls per (goal, workplace), one message each (a list
    field: the catalogue joins them)."""
    return [
        Msg("cap.short_by", wp=w, goal=Msg(f"cap.goal.{k}"), n=f"{n:,}")
        for (k, w), n in short.items()
    ]


def _before(data, kind: str, w) -> int:
    """What a goal counts before the run that the model does not: people
    complete before, screening windows met before."""
    if kind == "vaccination":
        return data.done[w]
    if kind == "screening":
        return data.tests.met_before[w]
    return 0


def _modelled(data, outcome, kind: str, w) -> int:
    """The model's figure of a goal in a workplace (in the units of
    outputs.md's rates: people complete without those complete before,
    test person-days covered, screening windows met with those met
    before the run)."""
    return outcome.figure(kind)[w] + _before(data, kind, w)


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


def _enough(model, loss, max_added, chosen: set) -> bool:
    """Do the options ``chosen`` reach the best the model allows with
    this loss? (Then it asks for nothing more; among equal optima GLOP may
    name other options, so this is asked of ``chosen`` itself.)"""
    try:
        model.set_loss(loss)
        model.hold_best(max_added)
        return model.feasible(chosen)
    finally:
        model.release()


def _restated(model, loss, opts, chosen, figures, real) -> bool:
    """Re-state the promise of ``chosen`` with the loss grown by the
    shortfall, if the model then asks for nothing that ``chosen`` lacks;
    True if the schedule already made keeps that promise."""
    from scheduler.model.capacity import InfeasiblePlan

    try:
        if not _enough(model, loss, opts.max_added, chosen):
            return False
    except InfeasiblePlan:
        return False
    goals = {
        (k, w): g for w, f in figures.items() for k, g in f.goals().items()
    }
    first = {key: g.promised for key, g in goals.items()}
    _promise(figures, model.data, model.outcome(chosen), loss)
    if _short(figures, real):
        for key, g in goals.items():  # not kept: the first promise stands
            g.promised = first[key]
        return False
    for key, g in goals.items():
        if g.promised < first[key]:
            g.restated_from = first[key]
    return True


def _promise(figures, data, outcome, loss) -> None:
    """What the plan promises per building and goal: the model's figure
    less the loss the ordinary schedule was seen to have, up to what is
    needed or today's figure if higher (never below what is there before
    the run)."""
    for w, f in figures.items():
        for kind, g in f.goals().items():
            base = data.done[w] if kind == "vaccination" else 0
            got = _modelled(data, outcome, kind, w) - loss[kind, w]
            g.promised = max(base, min(got, max(g.needed, g.today or 0)))


def _short(figures, real) -> dict:
    """Goals whose real schedule falls short of the promise, per (goal,
    workplace), by how many people (or person-days, or windows); the
    real figures recorded."""
    out = {}
    for w, f in figures.items():
        for kind, g in f.goals().items():
            g.real = real.get((kind, w), 0)
            if g.real < g.promised:
                out[kind, w] = g.promised - g.real
    return out


def _cost(options: dict[str, SessionOption], chosen) -> float:
    return round(sum(options[s].cost for s in chosen), 6)


def _bound(relaxed: float, options: dict[str, SessionOption]) -> float:
    """The relaxed least cost, rounded up to a whole number when every
    cost is one (then any plan's cost is)."""
    value = max(0.0, relaxed - 1e-6)
    if all(float(o.cost).is_integer() for o in options.values()):
        return float(math.ceil(value))
    return round(value, 6)


def _complete(instance: Instance, opts: CapacityOptions, say: Say) -> dict:
    """The goals per workplace (``_reached``) in the ordinary schedule of
    today's sessions (``pipeline.schedule``, checker included; nothing
    written)."""
    from scheduler.model.solve import solve_params
    from scheduler.pipeline import schedule
    from scheduler.report.stats import compute_coverage

    plain = dataclasses.replace(instance, session_options={})
    params = solve_params(plain.settings, opts.time_limit, None, opts.seed)
    found = schedule(plain, params, say)
    return _reached(compute_coverage(plain, found.needs, found.solution))


def _reached(cov) -> dict[tuple[str, WorkplaceId], int]:
    """Per (goal, workplace) what a schedule reaches: people complete,
    test person-days covered, screening windows met (outputs.md)."""
    out = {}
    for w in cov.workplaces:
        out["vaccination", w.workplace_id] = w.fully_after
        out["tests", w.workplace_id] = w.person_days_covered
        out["screening", w.workplace_id] = w.window_met
    return out


def _scheduled(tmp: Path, opts, options, chosen, say: Say):
    """Write the workbook with the plan and schedule it as the ordinary
    run does (``pipeline.scheduled_run``: read, schedule, check); the
    goals it reaches per workplace, and the run, to be written into
    ``tmp/run`` if it is the one kept (``pipeline.write_scheduled``)."""
    from scheduler.io.write.input_with_plan import write_input_with_plan
    from scheduler.pipeline import RunOptions, scheduled_run
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
    say(Msg("cap.checking", n=len(chosen)))
    done = scheduled_run(
        RunOptions(
            book=book,
            out=run_dir,
            time_limit=opts.time_limit,
            seed=opts.seed,
            lang=opts.lang,
        ),
        lambda _: None,
    )
    result = done.result
    return _reached(
        compute_coverage(result.instance, result.needs, result.solution)
    ), done


def _next_option(model, chosen: set, short: dict) -> str | None:
    """The option not chosen that would serve the short buildings most
    in a goal of its service, with every option held (then the cheapest,
    then by id); None if none serves them."""
    from scheduler.core.domain import Service

    rest = set(model.z) - chosen
    if not rest:
        return None
    every = model.outcome(set(model.z), full=False)
    opts = model.data.options

    def gain(sid: str) -> tuple:
        served = every.served.get(sid, {})
        vaccinates = opts[sid].session.service is Service.VACCINATION
        people = sum(
            served.get(w, 0)
            for kind, w in short
            if (kind == "vaccination") == vaccinates
        )
        return (-people, opts[sid].cost, sid)

    best = min(rest, key=gain)
    return best if gain(best)[0] < 0 else None  # none serves them


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


def _curve(model, data, first, chosen, loss, figures) -> list:
    """For k = 0 … the plan's size + a few: the best rates k options give.

    The k options, the best of: the plan's first k (by people served);
    the k with the largest shares in the model's optimum with at most k
    options; the previous point's with the next option of the plan (or
    by share) added, so that the curve never falls; past the plan, the
    plan and the next options by share. Best: the lowest rate up to the
    target, then people complete up to it, as the point shows them
    (``_point``); the tests' figures are those of the best. Beside it,
    the model's bound on the lowest rate with k options.
    """
    from scheduler.core.domain import Service
    from scheduler.report.capacity import CurvePoint

    today = {
        (k, w): g.today or 0
        for w, f in figures.items()
        for k, g in f.goals().items()
    }
    served = {
        sid: sum(n for n in first.served.get(sid, {}).values())
        for sid in chosen
    }
    order = sorted(chosen, key=lambda s: (-served.get(s, 0), s))
    top = min(len(model.z), len(chosen) + CURVE_PAST_PLAN)
    points: list = []
    by_tests: dict[frozenset, object] = {}
    for k in range(top + 1):
        bound = model.floor_bound(k)
        shares = model.shares()
        by_share = sorted(model.z, key=lambda s: (-shares[s], s))
        if k <= len(order):
            candidates = [set(order[:k]), set(by_share[:k])]
        else:
            rest = [s for s in by_share if s not in chosen]
            candidates = [set(order) | set(rest[: k - len(order)])]
        if points:
            last = set(points[-1].chosen)
            nxt = next((s for s in order + by_share if s not in last), None)
            if nxt is not None:
                candidates.append(last | {nxt})
        best = None
        for c in {frozenset(c): c for c in candidates}.values():
            # Ranked on the rates; the tests' stages only for the best.
            got = model.outcome(c, full=False, tests=False)
            rank = _rank(
                _point(data, got, "vaccination", k, loss, today), figures
            )
            if best is None or rank > best[0]:
                best = (rank, c, got)
        assert best is not None
        got = tested = best[2]
        if data.tests is not None:
            # The model's tests depend on the test options alone.
            key = frozenset(
                s
                for s in best[1]
                if data.options[s].session.service is not Service.VACCINATION
            )
            if key not in by_tests:
                by_tests[key] = model.outcome(best[1], full=False)
            tested = by_tests[key]
        points.append(
            CurvePoint(
                added=k,
                chosen=got.chosen,
                complete=_point(data, got, "vaccination", k, loss, today),
                value=got.value,
                floor_bound=bound,
                covered=_point(data, tested, "tests", k, loss, today),
                screened=_point(data, tested, "screening", k, loss, today),
            )
        )
    return points


def _rank(complete: dict, figures) -> tuple:
    """How good a curve point's completions are (larger is better): the
    lowest rate up to the target, then people complete up to it."""
    floor = min(
        (
            min(n, f.needed) / f.headcount
            for w, n in complete.items()
            if (f := figures[w]).headcount
        ),
        default=0.0,
    )
    return (
        round(floor, 9),
        sum(min(n, figures[w].needed) for w, n in complete.items()),
    )


def _point(data, got, kind: str, k: int, loss: dict, today: dict) -> dict:
    """A curve point's figures of one goal per workplace (none if the
    goal is not asked): k = 0 is today's schedule itself, not the model's
    estimate of it (the maximin optimum may share places between
    buildings otherwise, and a point below today would say that a session
    takes people away); then the model's less the loss measured on today,
    never below today."""
    if kind != "vaccination" and data.tests is None:
        return {}
    out = {}
    for w in sorted(data.headcount):
        now = today.get((kind, w), 0)
        if k:
            now = max(now, _modelled(data, got, kind, w) - loss[kind, w])
        out[w] = now
    return out


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
        "tests_target_reachable": report.tests_reachable,
        "promise_kept": report.kept,
        "rounds": report.rounds,
        "options": report.options,
        "options_generated": report.generated,
        "target": report.target,
        "tests_share": report.tests,
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
                **{
                    kind: _goal_json(g)
                    for kind, g in f.goals().items()
                    if kind != "vaccination"
                },
            }
            for f in report.workplaces
        },
        "curve": [
            {
                "added": p.added,
                "chosen": p.chosen,
                "complete": p.complete,
                "lowest_rate_bound": round(p.floor_bound, 6),
                **(
                    {"test_person_days": p.covered, "screened": p.screened}
                    if report.tests is not None
                    else {}
                ),
            }
            for p in report.curve
        ],
        "seconds": report.seconds,
        "version": __version__,
    }


def _goal_json(g) -> dict:
    """A test goal's figures (``Measure``): test person-days covered or
    screening windows met, out of ``total``."""
    return {
        "total": g.total,
        "needed": g.needed,
        "today": g.today,
        "promised": g.promised,
        "promised_before_check": g.restated_from,
        "real": g.real,
        "ceiling": g.ceiling,
    }


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"
