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
