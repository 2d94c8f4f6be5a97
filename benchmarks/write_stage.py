"""The write stage alone: capture a run's schedule, time or profile
writing it, and describe every workbook written for a comparison.

    python benchmarks/write_stage.py capture BOOK.xlsx RUN.pickle
    python benchmarks/write_stage.py time RUN.pickle [--repeat N]
    python benchmarks/write_stage.py sequential RUN.pickle [--repeat N]
    python benchmarks/write_stage.py profile RUN.pickle OUT.prof
    python benchmarks/write_stage.py describe RUN.pickle OUT.json
    python benchmarks/write_stage.py compare A.json B.json

``capture`` runs the pipeline once and pickles what ``write_run`` gets;
``time`` replays ``write_run`` (both cores, as a run does);
``sequential`` times each writer alone; ``profile`` runs every writer in
this process, one after the other, under cProfile; ``describe``
writes the files and records, per workbook and sheet, every cell value,
column width, row height, merged range and print setting; ``compare``
lists the differences between two descriptions (e.g. main's and a
branch's: run ``describe`` with PYTHONPATH set to each tree).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pickle
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path


def capture(book: str, out: str) -> None:
    from scheduler import pipeline

    got = {}

    def keep(target, result, meta, start, *, unmet=None, **lock):
        if unmet is not None:
            result.unmet = unmet()
        got["args"] = (result, meta)

    pipeline.write_run = keep
    with tempfile.TemporaryDirectory() as tmp:
        pipeline.run(
            pipeline.RunOptions(book=Path(book), out=Path(tmp) / "run")
        )
    Path(out).write_bytes(pickle.dumps(got["args"]))


def _load(path: str):
    return pickle.loads(Path(path).read_bytes())


def time_write(path: str, repeat: int) -> None:
    from scheduler.pipeline import write_run

    times, cpus = [], []
    for _ in range(repeat):
        result, meta = _load(path)
        with tempfile.TemporaryDirectory() as tmp:
            before = _cpu()
            start = time.perf_counter()
            write_run(Path(tmp) / "run", result, meta, start)
            times.append(result.seconds["write"])
            cpus.append(_cpu() - before)
    print(
        "write seconds:",
        " ".join(f"{t:.2f}" for t in times),
        f"median {statistics.median(times):.2f};",
        "CPU seconds (both processes):",
        " ".join(f"{t:.2f}" for t in cpus),
        f"median {statistics.median(cpus):.2f};",
        f"load {os.getloadavg()[0]:.1f}",
    )


def _cpu() -> float:
    """CPU seconds of this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def write_all(result, tmp: Path) -> None:
    """Every file of a run folder, one writer after the other."""
    from scheduler.io.write.calendars import write_calendars
    from scheduler.io.write.coverage import write_coverage
    from scheduler.io.write.notices import write_notices
    from scheduler.io.write.rosters import write_rosters
    from scheduler.io.write.schedule import write_schedule

    inst, sol, lang = result.instance, result.solution, result.lang
    clock, cpu = time.perf_counter(), time.process_time()
    marks = {}
    write_rosters(tmp / "rosters.xlsx", inst, sol, lang)
    marks["rosters"] = time.perf_counter(), time.process_time()
    write_schedule(
        tmp / "schedule.xlsx",
        inst,
        sol,
        result.unmet,
        changes=result.changes,
        lang=lang,
    )
    marks["schedule"] = time.perf_counter(), time.process_time()
    write_calendars(tmp / "calendars", inst, sol, lang, result.changes)
    marks["calendars"] = time.perf_counter(), time.process_time()
    write_coverage(tmp / "coverage.xlsx", inst, result.needs, sol, lang)
    marks["coverage"] = time.perf_counter(), time.process_time()
    write_notices(
        tmp / "notices.xlsx", inst, sol, lang, changes=result.changes
    )
    marks["notices"] = time.perf_counter(), time.process_time()
    for name, (at, used) in marks.items():
        print(
            f"{name:10s} {at - clock:6.2f} s wall {used - cpu:6.2f} s CPU",
            file=sys.stderr,
        )
        clock, cpu = at, used


def profile(path: str, out: str) -> None:
    result, _ = _load(path)
    with tempfile.TemporaryDirectory() as tmp:
        cProfile.runctx(
            "write_all(result, Path(tmp))",
            globals(),
            {"result": result, "tmp": tmp, "Path": Path},
            out,
        )


def sequential(path: str, repeat: int) -> None:
    for _ in range(repeat):
        result, _ = _load(path)
        with tempfile.TemporaryDirectory() as tmp:
            write_all(result, Path(tmp))


def _print_settings(ws) -> dict:
    ps, pm, po = ws.page_setup, ws.page_margins, ws.print_options
    return {
        "paper": ps.paperSize,
        "orientation": ps.orientation,
        "fitToWidth": ps.fitToWidth,
        "fitToHeight": ps.fitToHeight,
        "fitToPage": ws.sheet_properties.pageSetUpPr.fitToPage
        if ws.sheet_properties.pageSetUpPr
        else None,
        "scale": ps.scale,
        "margins": [
            pm.left,
            pm.right,
            pm.top,
            pm.bottom,
            pm.header,
            pm.footer,
        ],
        "centered": [po.horizontalCentered, po.verticalCentered],
        "gridLines": po.gridLines,
        "footer": [
            ws.oddFooter.left.text,
            ws.oddFooter.center.text,
            ws.oddFooter.right.text,
        ],
        "header": [
            ws.oddHeader.left.text,
            ws.oddHeader.center.text,
            ws.oddHeader.right.text,
        ],
        "title_rows": ws.print_title_rows,
        "title_cols": ws.print_title_cols,
        "print_area": ws.print_area,
        "freeze": ws.freeze_panes,
        "breaks": [b.id for b in ws.row_breaks.brk],
        "col_breaks": [b.id for b in ws.col_breaks.brk],
        "protected": ws.protection.sheet,
        "autofilter": ws.auto_filter.ref,
        "state": ws.sheet_state,
    }


def _style(cell) -> list:
    f, a = cell.font, cell.alignment
    return [
        f.b,
        f.i,
        f.sz,
        f.color.rgb if f.color is not None else None,
        cell.fill.fgColor.rgb if cell.fill.fill_type else None,
        a.wrap_text,
        a.horizontal,
        a.vertical,
        cell.number_format,
        [
            cell.border.left.style,
            cell.border.right.style,
            cell.border.top.style,
            cell.border.bottom.style,
        ],
    ]


def describe_book(path: Path) -> dict:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    sheets = {}
    for ws in wb.worksheets:
        cols = {
            k: [d.width, d.hidden, d.min, d.max]
            for k, d in sorted(ws.column_dimensions.items())
        }
        rows = {
            k: [d.height, d.hidden]
            for k, d in sorted(ws.row_dimensions.items())
            if d.height is not None or d.hidden
        }
        cells = [
            [
                c.coordinate,
                c.value
                if c.value is None
                or isinstance(c.value, (int, float, str, bool))
                else str(c.value),
                _style(c),
            ]
            for row in ws.iter_rows()
            for c in row
            if c.value is not None or c.has_style
        ]
        sheets[ws.title] = {
            "dims": ws.dimensions,
            "cols": cols,
            "rows": rows,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "print": _print_settings(ws),
            "cells": cells,
            "validations": sorted(
                f"{v.sqref} {v.type} {v.formula1}"
                for v in ws.data_validations.dataValidation
            ),
            "conditional": sorted(
                str(r.sqref) for r in ws.conditional_formatting
            ),
        }
    return {
        "sheets": list(wb.sheetnames),
        "sheet": sheets,
        "defined": sorted(wb.defined_names.keys()),
    }


def describe(path: str, out: str) -> None:
    from scheduler.pipeline import write_run

    result, meta = _load(path)
    desc = {}
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "run"
        write_run(target, result, meta, time.perf_counter())
        for f in sorted(target.rglob("*")):
            rel = str(f.relative_to(target))
            if f.suffix == ".xlsx":
                desc[rel] = describe_book(f)
            elif f.is_file() and f.name != "run.json":
                desc[rel] = f.read_text(encoding="utf-8")
    Path(out).write_text(json.dumps(desc, ensure_ascii=False, default=str))


def compare(a: str, b: str) -> int:
    da = json.loads(Path(a).read_text())
    db = json.loads(Path(b).read_text())
    diffs = []

    def walk(x, y, where):
        if len(diffs) > 200:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for k in sorted(set(x) | set(y)):
                if k not in x or k not in y:
                    diffs.append(
                        f"{where}/{k}: only in {'B' if k not in x else 'A'}"
                    )
                else:
                    walk(x[k], y[k], f"{where}/{k}")
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                diffs.append(f"{where}: {len(x)} vs {len(y)} items")
            for i, (p, q) in enumerate(zip(x, y)):
                walk(p, q, f"{where}[{i}]")
        elif x != y:
            diffs.append(f"{where}: {x!r} vs {y!r}")

    walk(da, db, "")
    files = len(da)
    cells = sum(
        len(s["cells"])
        for d in da.values()
        if isinstance(d, dict)
        for s in d["sheet"].values()
    )
    print(
        f"{files} files, {cells} styled or filled cells compared; "
        f"{len(diffs)} differences"
    )
    for d in diffs[:200]:
        print(" ", d)
    return 1 if diffs else 0


def main() -> int:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("book")
    c.add_argument("out")
    t = sub.add_parser("time")
    t.add_argument("run")
    t.add_argument("--repeat", type=int, default=3)
    s = sub.add_parser("sequential")
    s.add_argument("run")
    s.add_argument("--repeat", type=int, default=1)
    pr = sub.add_parser("profile")
    pr.add_argument("run")
    pr.add_argument("out")
    d = sub.add_parser("describe")
    d.add_argument("run")
    d.add_argument("out")
    k = sub.add_parser("compare")
    k.add_argument("a")
    k.add_argument("b")
    args = p.parse_args()
    if args.cmd == "capture":
        capture(args.book, args.out)
    elif args.cmd == "time":
        time_write(args.run, args.repeat)
    elif args.cmd == "sequential":
        sequential(args.run, args.repeat)
    elif args.cmd == "profile":
        profile(args.run, args.out)
    elif args.cmd == "describe":
        describe(args.run, args.out)
    else:
        return compare(args.a, args.b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
