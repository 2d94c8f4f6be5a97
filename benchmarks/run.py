"""Benchmark the scheduler stage by stage on generated workbooks.

    python benchmarks/run.py [--sizes 1000,10000,50000,100000] [--time-limit S]
    python benchmarks/run.py --suite [--sizes 10000,100000]

For each size a workbook is generated (seed 2021, 28 days, 3 workplaces up
to 1 500 employees, 5 up to 4 999, 8 up to 49 999, one per 2 500 from
50 000) into a temporary folder,
then a fresh Python process times the stages read → needs → build+solve
(``pipeline.schedule``) → check → write with the reasons beside it
(``pipeline.write_run``, as ``pipeline.run`` does)
and reports its peak resident memory (``ru_maxrss``; one process per size
so the peaks do not carry over). The Markdown table and the machine are
printed and written to ``benchmarks/results.md``. ``--suite`` runs the
named shapes of employers (scheduler/dev/shapes.py; ``SUITE``) instead, and
sums each size up against the targets of issue 18 (``suite.md``). See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.md"
SUITE_RESULTS = HERE / "suite.md"
DAYS = 28
SEED = 2021
#: A size that takes longer than this is stopped and reported as failed.
TIMEOUT = 3600

#: The suite's shapes per size (scheduler/dev/shapes.py).
SUITE = {
    10000: (
        "default",
        "call-centre",
        "small-teams",
        "large-teams",
        "tight",
        "ample",
        "night-heavy",
        "office",
        "frequent-tests",
        "long-naive",
        "short-boosted",
    ),
    100000: ("default", "call-centre", "large-teams"),
}
#: Targets per size (issue 18): seconds end to end, gap, peak memory MB.
TARGETS = {10000: (30.0, 0.005, 2048), 100000: (300.0, 0.01, 8192)}


def workplaces_for(employees: int) -> int:
    if employees <= 1500:
        return 3
    if employees < 5000:
        return 5
    if employees < 50000:
        return 8
    return employees // 2500  # 40 buildings at 100,000 staff


# ------------------------------------------------------- one size, measured


def measure(book: Path, time_limit: float | None, workers: int) -> dict:
    """Time every stage on ``book``; runs in its own process."""
    from scheduler.check.checker import check_solution
    from scheduler.core.background import Background
    from scheduler.io.read.read import read_instance
    from scheduler.pipeline import (
        run_result,
        schedule,
        solve_params,
        write_run,
    )
    from scheduler.prepare.needs import compute_needs
    from scheduler.report.reasons import unmet_needs

    row: dict = {"load_before": os.getloadavg()[0]}
    start = time.perf_counter()

    clock = time.perf_counter()
    inst = read_instance(book)
    row["read"] = time.perf_counter() - clock

    clock = time.perf_counter()
    compute_needs(inst)  # schedule() computes them again; timed alone here
    row["needs"] = time.perf_counter() - clock

    params = solve_params(inst.settings, time_limit, workers=workers)
    limit = params.time_limit
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    extra = schedule(inst, params, seconds=seconds)
    needs, sol, report = extra.needs, extra.solution, extra.report
    row["schedule"] = time.perf_counter() - clock
    row["schedule_seconds"] = seconds  # build (incl. needs), solve, check

    clock = time.perf_counter()
    violations = check_solution(inst, needs, sol)
    row["check"] = time.perf_counter() - clock

    result = run_result(inst, extra, dict(seconds), "en")
    meta = {
        "input": str(book),
        "input_sha256": "",
        "seed": 0,
        "time_limit": limit,
        "gap_limit": params.gap_limit,
        "workers": workers,
        "greedy_baseline": extra.greedy,
    }
    # As in pipeline.run: the unmet list is found on the other core while
    # the rosters are written; its own time is measured there.
    with (
        tempfile.TemporaryDirectory(prefix="bench-write-") as tmp,
        Background(
            _timed,
            unmet_needs,
            inst,
            needs,
            extra.options,
            sol,
            "en",
            extra.lookups,
        ) as reasons,
    ):
        clock = time.perf_counter()
        answer: dict = {}

        def unmet() -> list:
            answer["unmet"], row["reasons"] = reasons.result()
            return answer["unmet"]

        write_run(Path(tmp) / "run", result, meta, start, unmet=unmet)
        row["write"] = time.perf_counter() - clock
    unmet = answer["unmet"]
    # The needs and the check above are the benchmark's own extra work (a
    # run computes the needs once and checks inside schedule()): not in the
    # total, which is what `scheduler run` would take.
    row["total"] = time.perf_counter() - start - row["needs"] - row["check"]

    row.update(
        employees=len(inst.employees),
        sessions=len(inst.horizon_sessions()),
        appointments=len(sol.appointments),
        unmet=len(unmet),
        violations=len(violations),
        time_limit=limit,
        status=report.status,
        needs_met=report.objective["needs_met"],
        best_bound=report.best_bound,
        gap=report.gap,
        bound_source=report.bound_source,
        blocks=extra.blocks,
        gap_limit=params.gap_limit,
        stopped_by=report.stopped_by,
        greedy_needs_met=extra.greedy["needs_met"],
        warnings=report.warnings,
        stages=[
            {k: s.get(k) for k in ("level", "seconds", "stopped_by")}
            for s in report.stages
        ],
        # Other processes' load (1-minute average) as the run ended: on a
        # shared machine, times are only comparable at a similar load.
        load_after=os.getloadavg()[0],
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # The largest of the helper processes on the second core (LP,
        # unmet list, calendars); forked, they share most pages with the
        # main process, so the two peaks do not simply add up.
        peak_child_rss_mb=resource.getrusage(
            resource.RUSAGE_CHILDREN
        ).ru_maxrss
        / 1024,
    )
    return row


def _timed(fn, *args):
    clock = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - clock


# ------------------------------------------------------------- the driver


def run_size(
    size: int,
    time_limit: float | None,
    workers: int,
    folder: Path,
    shape: str = "default",
) -> dict:
    from scheduler.dev.generate import generate_workbook

    wp = workplaces_for(size)
    book = folder / f"bench-{size}-{shape}.xlsx"
    clock = time.perf_counter()
    generate_workbook(
        book, employees=size, workplaces=wp, days=DAYS, seed=SEED, shape=shape
    )
    generated = time.perf_counter() - clock
    cmd = [
        sys.executable,
        __file__,
        "--measure",
        str(book),
        "--workers",
        str(workers),
    ]
    if time_limit:
        cmd += ["--time-limit", str(time_limit)]
    base = {
        "size": size,
        "workplaces": wp,
        "generate": generated,
        "shape": shape,
    }
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return {**base, "error": f"timed out after {TIMEOUT} s"}
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        return {
            **base,
            "error": f"exit {done.returncode}: " + " | ".join(tail),
        }
    return {**base, **json.loads(done.stdout.strip().splitlines()[-1])}


def machine() -> list[str]:
    import ortools

    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return [
        f"- platform: {platform.platform()} ({platform.machine()})",
        f"- processor: {_cpu_name()}",
        f"- CPUs: {os.cpu_count()}",
        f"- memory: {mem}",
        f"- Python: {platform.python_version()}",
        f"- ortools: {ortools.__version__}",
    ]


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _f(x, fmt: str = ".1f") -> str:
    return "—" if x is None else format(x, fmt)


def table(rows: list[dict], shapes: bool = False) -> list[str]:
    head = ["shape"] if shapes else []
    head += [
        "employees",
        "workplaces",
        "sessions",
        "appointments",
        "read s",
        "needs s",
        "build s",
        "solve s",
        "check s",
        "reasons s",
        "write s",
        "total s",
        "peak RSS MB",
        "status",
        "needs_met",
        "best bound",
        "gap",
        "greedy needs_met",
        "vs greedy",
    ]
    out = [
        "| " + " | ".join(head) + " |",
        "|"
        + "|".join(
            "---:" if h not in {"status", "shape"} else "---" for h in head
        )
        + "|",
    ]
    for r in rows:
        lead = [r["shape"]] if shapes else []
        if "error" in r:
            cells = (
                lead
                + [f"{r['size']:,}", str(r["workplaces"])]
                + ["—"] * (len(head) - 4 - len(lead))
                + [f"FAILED: {r['error']}", "—"]
            )
            out.append("| " + " | ".join(cells) + " |")
            continue
        s = r["schedule_seconds"]
        gain = (
            r["needs_met"] / r["greedy_needs_met"] - 1
            if r["greedy_needs_met"]
            else None
        )
        out.append(
            "| "
            + " | ".join(
                [
                    *lead,
                    f"{r['employees']:,}",
                    str(r["workplaces"]),
                    f"{r['sessions']:,}",
                    f"{r['appointments']:,}",
                    _f(r["read"]),
                    _f(r["needs"], ".2f"),
                    _f(s.get("build")),
                    _f(s.get("solve")),
                    _f(r["check"]),
                    _f(r["reasons"]),
                    _f(r["write"]),
                    _f(r["total"]),
                    _f(r["peak_rss_mb"], ".0f"),
                    r["status"],
                    _f(r["needs_met"], ",.1f"),
                    _f(r["best_bound"], ",.1f"),
                    "—" if r["gap"] is None else f"{r['gap']:.2%}",
                    _f(r["greedy_needs_met"], ",.1f"),
                    "—" if gain is None else f"{gain:+.2%}",
                ]
            )
            + " |"
        )
    return out


def notes(rows: list[dict], time_limit: float | None) -> list[str]:
    out = []
    for r in rows:
        if "error" in r:
            continue
        extra = []
        if r["violations"]:
            extra.append(f"CHECKER FOUND {r['violations']} VIOLATIONS")
        extra += r["warnings"]
        stages = ", ".join(
            f"{s['level']} {s['seconds']:.1f} s ({s['stopped_by']})"
            for s in r["stages"]
            if s.get("seconds") is not None
        )
        if r.get("blocks", 1) > 1:
            stages = (
                f"{r['blocks']} blocks solved one after another, "
                f"{len(r['stages'])} stages in all"
            )
        if r.get("stopped_by") == "gap_limit":
            stages += (
                f"; stopped at the gap limit ({r['gap_limit']:.2%}), as "
                "`scheduler run` does"
            )
        sec = r["schedule_seconds"]
        out.append(
            f"- {r['employees']:,} employees"
            + (
                f", {r['shape']}"
                if r.get("shape", "default") != "default"
                else ""
            )
            + ": time limit "
            f"{r['time_limit']:g} s, gap limit {r.get('gap_limit', 0):.2%}; "
            f"generated in {r['generate']:.1f} s; "
            f"pipeline.schedule {r['schedule']:.1f} s in all (build "
            f"{sec.get('build', 0):.1f}, solve {sec.get('solve', 0):.1f}, "
            f"after the solve {sec.get('check', 0):.1f}); "
            f"{r['unmet']:,} unmet rows; helper processes' peak RSS "
            f"{r.get('peak_child_rss_mb', 0):,.0f} MB; bound from "
            f"{r.get('bound_source', 'cp-sat')}; load average "
            f"{r.get('load_before', 0):.1f} → {r.get('load_after', 0):.1f}; "
            f"solver stages: {stages}" + ("".join(f"; {w}" for w in extra))
        )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes",
        help="comma-separated employee counts (default 1000,10000,50000,"
        "100000; with --suite 10000,100000)",
    )
    p.add_argument(
        "--suite",
        action="store_true",
        help="the named shapes of employers per size (SUITE), summed up "
        f"against the targets, into {SUITE_RESULTS.name}",
    )
    p.add_argument(
        "--shapes",
        help="with --suite: only these shapes (comma-separated)",
    )
    p.add_argument(
        "--append",
        action="store_true",
        help="with --suite: keep the rows of earlier runs (kept as JSON "
        "beside the Markdown file) that this run does not measure again",
    )
    p.add_argument(
        "--time-limit",
        type=float,
        help="solver seconds per size (default: the workbook's "
        "setting, 30 s for generated workbooks)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="solver threads (default 1, as `scheduler run`)",
    )
    p.add_argument(
        "--out",
        type=Path,
        help=f"Markdown file to write (default {RESULTS}, with --suite "
        f"{SUITE_RESULTS})",
    )
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.measure:  # the child process: one workbook, JSON on stdout
        row = measure(args.measure, args.time_limit, args.workers)
        print(json.dumps(row))
        return 0

    if args.suite:
        return suite(args)
    args.sizes = args.sizes or "1000,10000,50000,100000"
    out = args.out or RESULTS
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for size in sizes:
            print(f"… {size:,} employees", file=sys.stderr, flush=True)
            rows.append(
                run_size(size, args.time_limit, args.workers, Path(tmp))
            )
            r = rows[-1]
            print(
                f"  {'FAILED: ' + r['error'] if 'error' in r else 'done'}"
                f" ({r.get('total', 0):.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    lines = [
        "# Benchmark results",
        "",
        f"`python benchmarks/run.py --sizes {args.sizes}"
        + (f" --time-limit {args.time_limit:g}" if args.time_limit else "")
        + (f" --workers {args.workers}" if args.workers != 1 else "")
        + f"` on {datetime.now():%Y-%m-%d %H:%M}; generated workbooks, "
        f"seed {SEED}, {DAYS} days.",
        "",
        *table(rows),
        "",
        "Seconds per stage; *build* includes computing the needs again "
        "and the greedy baseline, *check* is the independent checker "
        "(run again here, beside the check inside the build-and-solve), "
        "*reasons* the unmet list, found by a second process while the "
        "rosters are written (so inside *write*, not added to it). "
        "*total* is what `scheduler run` takes: it leaves out the "
        "benchmark's own repeat of the needs and the check. *peak RSS* is "
        "the main process's; the helper processes' peak is in the notes. "
        "*needs_met*, *best bound* and *gap* "
        "are the first objective level in weighted need units; *vs "
        "greedy* compares needs_met with the earliest-slot-first "
        "baseline.",
        "",
        *notes(rows, args.time_limit),
        "",
        "## Machine",
        "",
        *machine(),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out.write_text(text, encoding="utf-8")
    return 1 if any("error" in r for r in rows) else 0


# ------------------------------------------------------------ the suite


def suite(args: argparse.Namespace) -> int:
    """Every shape of ``SUITE`` per size, one fresh process each. The rows
    are kept as JSON beside the Markdown after each shape, so a suite
    stopped halfway keeps what it measured; ``--append`` goes on from
    them."""
    sizes = [int(x) for x in (args.sizes or "10000,100000").split(",")]
    only = set(args.shapes.split(",")) if args.shapes else None
    plan = [
        (size, shape)
        for size in sizes
        for shape in SUITE.get(size, SUITE[10000])
        if only is None or shape in only
    ]
    out = args.out or SUITE_RESULTS
    kept = out.with_suffix(".json")
    rows: list[dict] = []
    if args.append and kept.exists():
        rows = [
            r
            for r in json.loads(kept.read_text(encoding="utf-8"))
            if (r["size"], r["shape"]) not in plan
        ]
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for size, shape in plan:
            print(
                f"… {size:,} employees, {shape}", file=sys.stderr, flush=True
            )
            r = run_size(size, args.time_limit, args.workers, Path(tmp), shape)
            r["command"] = _command(args)
            rows.append(r)
            rows.sort(key=lambda r: (r["size"], _rank(r)))
            kept.write_text(json.dumps(rows, indent=1), encoding="utf-8")
            out.write_text(_suite_text(rows, args), encoding="utf-8")
            print(
                f"  {'FAILED: ' + r['error'] if 'error' in r else 'done'}"
                + (
                    ""
                    if "error" in r
                    else f" ({r['total']:.1f} s, gap {_pct(r['gap'])})"
                ),
                file=sys.stderr,
                flush=True,
            )
    print(_suite_text(rows, args))
    return 1 if any("error" in r for r in rows) else 0


def _rank(r: dict) -> int:
    shapes = SUITE.get(r["size"], SUITE[10000])
    return shapes.index(r["shape"]) if r["shape"] in shapes else len(shapes)


def _command(args) -> str:
    return (
        "python benchmarks/run.py --suite"
        + (f" --sizes {args.sizes}" if args.sizes else "")
        + (f" --shapes {args.shapes}" if args.shapes else "")
        + (f" --time-limit {args.time_limit:g}" if args.time_limit else "")
        + (f" --workers {args.workers}" if args.workers != 1 else "")
        + (" --append" if args.append else "")
    )


def _suite_text(rows: list[dict], args) -> str:
    commands = sorted({r.get("command", _command(args)) for r in rows})
    lines = [
        "# Benchmark suite: shapes of employers",
        "",
        f"{' and '.join(f'`{c}`' for c in commands)}, last on "
        f"{datetime.now():%Y-%m-%d %H:%M}; generated workbooks "
        f"(scheduler/dev/shapes.py), seed {SEED}, {DAYS} days unless the "
        "shape has its own horizon. The *load* column is the machine's "
        "1-minute load average before and after each run (2 cores: above "
        "2, other work shared them and the times are inflated).",
        "",
        *summary(rows),
        "",
        "## Per shape",
        "",
        *shape_table(rows),
        "",
        "## Every stage",
        "",
        *table(rows, shapes=True),
        "",
        *notes(rows, args.time_limit),
        "",
        "## Machine",
        "",
        *machine(),
        "",
    ]
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.2%}"


def _vs_greedy(r: dict) -> float | None:
    g = r.get("greedy_needs_met")
    return r["needs_met"] / g - 1 if g else None


def _misses(r: dict) -> list[str]:
    """The targets of its size that a run misses, each with its figure."""
    limit_s, limit_gap, limit_mb = TARGETS.get(r["size"], (None,) * 3)
    out = []
    if limit_s is not None and r["total"] > limit_s:
        out.append(f"time {r['total']:.0f} s > {limit_s:.0f} s")
    if limit_gap is not None and (r["gap"] is None or r["gap"] > limit_gap):
        out.append(f"gap {_pct(r['gap'])} > {limit_gap:.1%}")
    if limit_mb is not None and r["peak_rss_mb"] > limit_mb:
        out.append(f"memory {r['peak_rss_mb']:.0f} MB > {limit_mb} MB")
    solve = r["schedule_seconds"].get("solve", 0.0)
    if solve > 1.1 * r["time_limit"]:
        out.append(
            f"solve {solve:.1f} s > 1.1 × time limit {r['time_limit']:g} s"
        )
    if r["violations"]:
        out.append(f"{r['violations']} checker violations")
    return out


def _badness(r: dict) -> float:
    """How far a run is from its size's targets (1: on the target)."""
    limit_s, limit_gap, _ = TARGETS.get(r["size"], (1.0, 1.0, 0))
    return max(r["total"] / limit_s, (r["gap"] or 1.0) / limit_gap)


def summary(rows: list[dict]) -> list[str]:
    """Per size: min / median / max of time, gap and needs met against
    the greedy baseline, the shapes within the targets, the worst one."""
    import statistics

    out = [
        "| employees | shapes | time s (min / median / max) | gap (min / "
        "median / max) | vs greedy (min / median / max) | peak RSS MB "
        "(max) | within targets | worst shape |",
        "|---:|---:|---|---|---|---:|---|---|",
    ]
    for size in sorted({r["size"] for r in rows}):
        done = [r for r in rows if r["size"] == size and "error" not in r]
        failed = [r for r in rows if r["size"] == size and "error" in r]
        if not done:
            out.append(f"| {size:,} | {len(failed)} | all failed | | | | | |")
            continue

        def spread(values, fmt) -> str:
            v = sorted(x for x in values if x is not None)
            if not v:
                return "—"
            return " / ".join(
                fmt(x) for x in (v[0], statistics.median(v), v[-1])
            )

        worst = max(done, key=_badness)
        within = sum(not _misses(r) for r in done)
        out.append(
            f"| {size:,} | {len(done) + len(failed)} | "
            + spread([r["total"] for r in done], lambda x: f"{x:.1f}")
            + " | "
            + spread([r["gap"] for r in done], _pct)
            + " | "
            + spread([_vs_greedy(r) for r in done], lambda x: f"{x:+.2%}")
            + f" | {max(r['peak_rss_mb'] for r in done):,.0f} | "
            f"{within} of {len(done) + len(failed)} | {worst['shape']}"
            + (f" ({'; '.join(_misses(worst))})" if _misses(worst) else "")
            + " |"
        )
    return out


def shape_table(rows: list[dict]) -> list[str]:
    out = [
        "| employees | shape | total s | build s | solve s (limit) | gap | "
        "bound | vs greedy | peak RSS MB | blocks | stopped by | load | "
        "misses |",
        "|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            out.append(
                f"| {r['size']:,} | {r['shape']} | FAILED: {r['error']} "
                "| | | | | | | | | | |"
            )
            continue
        sec = r["schedule_seconds"]
        g = _vs_greedy(r)
        out.append(
            f"| {r['employees']:,} | {r['shape']} | {r['total']:.1f} | "
            f"{sec.get('build', 0):.1f} | {sec.get('solve', 0):.1f} "
            f"({r['time_limit']:g}) | {_pct(r['gap'])} | "
            f"{r.get('bound_source') or '—'} | "
            f"{'—' if g is None else f'{g:+.2%}'} | "
            f"{r['peak_rss_mb']:,.0f} | {r.get('blocks', 1):,} | "
            f"{r.get('stopped_by') or '—'} | "
            f"{r.get('load_before', 0):.1f}→{r.get('load_after', 0):.1f} | "
            f"{'; '.join(_misses(r)) or 'none'} |"
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
