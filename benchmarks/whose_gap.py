"""Whose gap is it, the bound's or the schedule's? Per shape, a small drive
(one block, so CP-SAT can prove its model's optimum) beside the LP bound that
runs measure their gap against.

    python benchmarks/whose_gap.py --size 300 --time-limit 120 tight office

Prints one JSON line per shape: the LP bound (vaccinations + tests), what the
run meets, the best bound it reports and its source (``cp-sat`` where the
drive is one block and the solve proved it), and how far the LP is above it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scheduler.dev.generate import generate_workbook
from scheduler.io.read.read import read_instance
from scheduler.model.lp_bound import bound_on_tests, lp_relaxation
from scheduler.prepare.candidates import all_options
from scheduler.prepare.needs import compute_needs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("shapes", nargs="+")
    p.add_argument("--size", type=int, default=300)
    p.add_argument("--workplaces", type=int, default=2)
    p.add_argument("--time-limit", type=float, default=120.0)
    p.add_argument("--seed", type=int, default=2021)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shapes:
            book = generate_workbook(
                Path(tmp) / f"{shape}.xlsx",
                employees=args.size,
                workplaces=args.workplaces,
                days=28,
                seed=args.seed,
                shape=shape,
            )
            inst = read_instance(book)
            needs = compute_needs(inst)
            opts = all_options(inst, needs, conflicts=False)
            lp = (lp_relaxation(inst, needs, opts).value or 0.0) + (
                bound_on_tests(inst, needs, opts) or 0.0
            )
            out = Path(tmp) / f"run-{shape}"
            clock = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "scheduler",
                    "run",
                    str(book),
                    "--out",
                    str(out),
                    "-q",
                    "--time-limit",
                    f"{args.time_limit:g}",
                    "--gap-limit",
                    "0",
                ],
                check=True,
                capture_output=True,
            )
            run = json.loads((out / "run.json").read_text(encoding="utf-8"))
            met = run["objective"]["needs_met"]
            best = run["best_bound"]
            row = {
                "shape": shape,
                "staff": args.size,
                "lp_bound": round(lp, 1),
                "met": round(met, 1),
                "best_bound": round(best, 1),
                "source": run["bound_source"],
                "gap_vs_lp": round(1 - met / lp, 4),
                "gap_vs_best": round(1 - met / best, 4),
                "lp_above_best": round(lp / best - 1, 4),
                "seconds": round(time.perf_counter() - clock, 1),
            }
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
