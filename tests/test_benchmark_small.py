"""The benchmark's own measurement, kept honest on a small size.

benchmarks/run.py is not part of the suite (it takes minutes); this runs
its ``measure`` on a small generated drive that is cut into blocks, so the
figures it reports come from the same checker and the same greedy
comparison as the README's table.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from scheduler.dev.generate import generate_workbook

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_run", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_measure_on_a_small_drive(tmp_path):
    bench = _bench()
    book = generate_workbook(
        tmp_path / "bench.xlsx",
        employees=600,
        workplaces=bench.workplaces_for(600),
        days=bench.DAYS,
        seed=bench.SEED,
    )
    row = bench.measure(book, time_limit=8, workers=1)
    assert row["violations"] == 0
    assert row["blocks"] > 1  # the block path, as at the large sizes
    assert row["needs_met"] >= row["greedy_needs_met"] - 1e-6
    assert row["best_bound"] >= row["needs_met"] - 1e-6
    assert row["bound_source"] in {"cp-sat", "lp", "alone"}
    assert 0 <= row["gap"] < 1
    assert row["peak_rss_mb"] > 0
    for stage in ("read", "needs", "check", "reasons", "write", "total"):
        assert row[stage] >= 0
    assert bench.table([{"size": 600, **row, "workplaces": 3}])


def test_suite_summary_names_the_worst_shape():
    """The suite's summary: min / median / max per size, how many shapes
    are within the targets, and the worst one with what it misses."""
    bench = _bench()

    def row(shape, total, gap, solve=10.0):
        return {
            "size": 10000,
            "shape": shape,
            "total": total,
            "gap": gap,
            "needs_met": 101.0,
            "greedy_needs_met": 100.0,
            "peak_rss_mb": 300.0,
            "time_limit": 30.0,
            "schedule_seconds": {"solve": solve},
            "violations": 0,
        }

    rows = [
        row("a", 20.0, 0.004),
        row("b", 25.0, 0.003),
        row("c", 57.7, 0.0138, solve=37.6),
    ]
    (line,) = bench.summary(rows)[2:]
    assert "20.0 / 25.0 / 57.7" in line
    assert "0.30% / 0.40% / 1.38%" in line
    assert "2 of 3" in line
    assert "| c (time 58 s > 30 s; gap 1.38% > 0.5%; solve 37.6 s" in line
    assert bench._misses(rows[0]) == []
