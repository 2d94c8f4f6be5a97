"""Measure a re-plan (issue 16): what ``change_cost`` keeps, moves and
cancels of the bookings carried over from round 1.

    python benchmarks/replan.py [--employees 600] [--time-limit 60]
                                [--seed 2021] [--dir DIR] [--next FILE]

The drive: ``scheduler generate`` (28 days); ``scheduler run`` (round 1);
the rows of round 1's rosters in the horizon's first week marked as
attended, about 10 % (seeded) as no-shows; ``scheduler record`` →
``next-input.xlsx``; on a copy of it every ``--pin-every``-th booked row
pinned (a few pinned bookings, as HR makes them). Then ``scheduler run``
on one copy per variant: ``change_cost`` 0, the default (unset, 2),
1000000, and every ``booked`` row pinned. Each run's ``run.json`` and
``changes`` sheet give the table (printed, and written to
``DIR/replan.json``). README.md "Planning the next round" quotes it.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook

from scheduler.core.i18n import t
from scheduler.io.write.rosters import (
    ATTENDANCE_COLUMN,
    EMPLOYEE_ID_COLUMN,
    HEADER_ROW,
)

DAYS = 28
NO_SHOW_SHARE = 0.10
REASONS = (
    "away",
    "need_met",
    "dose_missed",
    "full",
    "conflict",
    "team_limit",
    "no_longer_open",
    "gain",
)
#: Variant name -> change_cost to set (None: the default), all pinned.
VARIANTS = {
    "cost0": (0, False),
    "default": (None, False),
    "cost1000000": (1000000, False),
    "all_pinned": (None, True),
}


def _cli(*args: str) -> None:
    cmd = [sys.executable, "-m", "scheduler", *args, "-q"]
    subprocess.run(cmd, check=True)


def _day(v: object) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str) and v:
        return date.fromisoformat(v[:10])
    return None


def _mark_first_week(run_dir: Path, book: Path, seed: int) -> Counter:
    """Mark every roster row of sessions in the horizon's first week;
    about NO_SHOW_SHARE of them (seeded) are no-shows."""
    wb = load_workbook(book, read_only=True)
    settings = dict(wb["settings"].iter_rows(min_row=2, values_only=True))
    start = _day(settings["horizon_start"])
    assert start is not None
    until = start + timedelta(days=6)
    sched = load_workbook(run_dir / "schedule.xlsx", read_only=True)
    rows = sched["assignments"].iter_rows(values_only=True)
    head = list(next(rows))
    sid_col, date_col = head.index("session_id"), head.index("date")
    week = {
        r[sid_col]
        for r in rows
        if r[sid_col] and (d := _day(r[date_col])) and d <= until
    }
    rng = random.Random(seed)
    marks: Counter = Counter()
    wb = load_workbook(run_dir / "rosters.xlsx")
    index = wb.worksheets[0]
    sheet_of = {
        index.cell(r, 2).value: index.cell(r, 10).value
        for r in range(3, index.max_row + 1)
    }
    for sid in sorted(week):
        ws = wb[sheet_of[sid]]
        for r in range(HEADER_ROW + 1, ws.max_row + 1):
            if ws.cell(r, EMPLOYEE_ID_COLUMN).value:
                st = "no-show" if rng.random() < NO_SHOW_SHARE else "attended"
                ws.cell(r, ATTENDANCE_COLUMN).value = st
                marks[st] += 1
    wb.save(run_dir / "rosters.xlsx")
    return marks


def _variant(
    src: Path, dst: Path, cost: int | None, pin_all: bool, pin_every: int
) -> int:
    """Copy ``src`` to ``dst`` with the variant's settings; returns the
    number of pinned booked rows."""
    wb = load_workbook(src)
    if cost is not None:
        wb["settings"].append(["change_cost", cost])
    bk = wb["bookings"]
    head = [c.value for c in bk[1]]
    pin_col, status_col = head.index("pinned") + 1, head.index("status") + 1
    booked = 0
    pinned = 0
    for r in range(2, bk.max_row + 1):
        if bk.cell(r, status_col).value != "booked":
            continue
        if pin_all or booked % pin_every == 0:
            bk.cell(r, pin_col).value = "yes"
            pinned += 1
        booked += 1
    wb.save(dst)
    return pinned


def _changes(run_dir: Path, cost: float) -> dict[str, Counter]:
    """(change, reason code) counts of the run's ``changes`` sheet."""
    code_of = {t(f"change.reason.{c}", "en", cost=cost): c for c in REASONS}
    wb = load_workbook(run_dir / "schedule.xlsx", read_only=True)
    rows = wb["changes"].iter_rows(values_only=True)
    head = list(next(rows))
    ch, why = head.index("change"), head.index("reason")
    out: dict[str, Counter] = {}
    for r in rows:
        if r[ch] is None:
            continue
        reason = code_of.get(r[why], r[why]) if r[why] else ""
        out.setdefault(r[ch], Counter())[reason] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--employees", type=int, default=600)
    p.add_argument("--seed", type=int, default=2021)
    p.add_argument("--time-limit", type=int, default=60)
    p.add_argument("--pin-every", type=int, default=100)
    p.add_argument("--dir", type=Path, default=None)
    p.add_argument(
        "--next",
        type=Path,
        default=None,
        help="re-plan this next-input.xlsx (of an earlier drive) instead "
        "of making round 1: round 1 under a wall-clock limit on a busy "
        "machine differs from run to run, so compare code on one drive",
    )
    a = p.parse_args(argv)
    base = a.dir or Path(tempfile.mkdtemp(prefix="replan-"))
    base.mkdir(parents=True, exist_ok=True)
    limit = str(a.time_limit)
    marks: Counter = Counter()
    if a.next is not None:
        next_input = a.next
    else:
        book, r1 = base / "round1.xlsx", base / "R1"
        _cli(
            "generate",
            "--employees",
            str(a.employees),
            "--days",
            str(DAYS),
            "--seed",
            str(a.seed),
            "--out",
            str(book),
        )
        _cli("run", str(book), "--out", str(r1), "--time-limit", limit)
        marks = _mark_first_week(r1, book, a.seed)
        _cli("record", str(r1))
        next_input = r1 / "next-input.xlsx"
    summary: dict = {
        "employees": a.employees,
        "seed": a.seed,
        "time_limit": a.time_limit,
        "marked": dict(marks),
        "next_input": str(next_input),
        "runs": {},
    }
    for name, (cost, pin_all) in VARIANTS.items():
        wb_path, out = base / f"{name}.xlsx", base / name
        pinned = _variant(next_input, wb_path, cost, pin_all, a.pin_every)
        t0 = time.monotonic()
        _cli("run", str(wb_path), "--out", str(out), "--time-limit", limit)
        wall = time.monotonic() - t0
        run = json.loads((out / "run.json").read_text())
        c = run["changes"]
        summary["runs"][name] = {
            "pinned": pinned,
            "wall_s": round(wall, 1),
            "status": run.get("status"),
            "stopped_by": run.get("stopped_by"),
            "needs_met": run["objective"]["needs_met"],
            "changes": c,
            "sheet": {
                k: dict(v) for k, v in _changes(out, c["change_cost"]).items()
            },
        }
        print(name, json.dumps(summary["runs"][name]), flush=True)
    (base / "replan.json").write_text(json.dumps(summary, indent=1))
    print(f"marked: {dict(marks)}; folder {base}")
    print(
        "| variant | kept (pinned too) | moved | cancelled | forced "
        "| needs met | status | stopped_by | changes sheet reasons |"
    )
    for name, r in summary["runs"].items():
        c, sheet = r["changes"], r["sheet"]
        kept = sum(sheet.get("kept", {}).values())
        print(
            f"| {name} | {kept} | {c['moved']} | {c['cancelled']} "
            f"| {c['forced']} | {r['needs_met']} | {r['status']} "
            f"| {r['stopped_by']} | {sheet} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
