"""Benchmark the scheduler stage by stage on generated workbooks.

    python benchmarks/run.py [--sizes 1000,10000,50000,100000] [--time-limit S]

For each size a workbook is generated (seed 2021, 28 days, 3 workplaces up
to 1 500 employees, 5 up to 4 999, 8 up to 49 999, one per 2 500 from
50 000) into a temporary folder,
then a fresh Python process times the stages read → needs → build+solve
(``pipeline.schedule``) → check → write with the reasons beside it
(``pipeline.write_run``, as ``pipeline.run`` does)
and reports its peak resident memory (``ru_maxrss``; one process per size
so the peaks do not carry over). The Markdown table and the machine are
printed and written to ``benchmarks/results.md``. See benchmarks/README.md.
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
DAYS = 28
SEED = 2021
#: A size that takes longer than this is stopped and reported as failed.
TIMEOUT = 3600


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
    from scheduler.check.checker import check_solution, counts_of
    from scheduler.core.background import Background
    from scheduler.io.read.read import read_instance
    from scheduler.pipeline import (
        RunResult,
        schedule,
        solve_params,
        write_run,
    )
    from scheduler.prepare.needs import compute_needs
    from scheduler.report.reasons import unmet_needs

    row: dict = {}
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

    result = RunResult(
        instance=inst,
        needs=needs,
        solution=sol,
        unmet=[],
        report=report,
        counts={
            "employees": len(inst.employees),
            "sessions": len(inst.horizon_sessions()),
            "appointments": len(sol.appointments),
            **counts_of(inst, needs, sol),
        },
        objective=report.objective,
        seconds=dict(seconds),
        lang="en",
    )
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
            _timed, unmet_needs, inst, needs, extra.options, sol, "en"
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
    size: int, time_limit: float | None, workers: int, folder: Path
) -> dict:
    from scheduler.dev.generate import generate_workbook

    wp = workplaces_for(size)
    book = folder / f"bench-{size}.xlsx"
    clock = time.perf_counter()
    generate_workbook(
        book, employees=size, workplaces=wp, days=DAYS, seed=SEED
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
    base = {"size": size, "workplaces": wp, "generate": generated}
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


def table(rows: list[dict]) -> list[str]:
    head = [
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
        + "|".join("---:" if h not in {"status"} else "---" for h in head)
        + "|",
    ]
    for r in rows:
        if "error" in r:
            cells = (
                [f"{r['size']:,}", str(r["workplaces"])]
                + ["—"] * (len(head) - 4)
                + [f"FAILED: {r['error']}", "—"]
            )
            cells = cells[: len(head)]
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
            f"- {r['employees']:,} employees: time limit "
            f"{r['time_limit']:g} s, gap limit {r.get('gap_limit', 0):.2%}; "
            f"generated in {r['generate']:.1f} s; "
            f"pipeline.schedule {r['schedule']:.1f} s in all (build "
            f"{sec.get('build', 0):.1f}, solve {sec.get('solve', 0):.1f}, "
            f"after the solve {sec.get('check', 0):.1f}); "
            f"{r['unmet']:,} unmet rows; helper processes' peak RSS "
            f"{r.get('peak_child_rss_mb', 0):,.0f} MB; bound from "
            f"{r.get('bound_source', 'cp-sat')}; solver stages: {stages}"
            + ("".join(f"; {w}" for w in extra))
        )
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes",
        default="1000,10000,50000,100000",
        help="comma-separated employee counts",
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
        default=RESULTS,
        help=f"Markdown file to write (default {RESULTS})",
    )
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.measure:  # the child process: one workbook, JSON on stdout
        row = measure(args.measure, args.time_limit, args.workers)
        print(json.dumps(row))
        return 0

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
    args.out.write_text(text, encoding="utf-8")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
