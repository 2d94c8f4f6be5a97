"""``scheduler record``: attendance back into the next round's workbook.

HR marks the sign-in sheets (``rosters.xlsx``, column Attendance / 到场)
or hands in a simple sheet (employee_id, session_id, status). This writes
a NEW workbook: a copy of the run's input with, for every attended
appointment, the employee's history columns updated (doses_received,
last_dose_date, last_product; last_test_date), a ``bookings`` sheet
holding the attended / no-show history and the unmarked future
appointments as ``booked``, and ``horizon_start`` moved to the day after
the latest marked date (history dates must lie before the horizon).

Earlier rounds' history rows of the input's bookings sheet are carried
over, and pinned bookings stay pinned. The marks also go into the
history database beside the run folders (scheduler/rounds/history.py), in one
transaction with the workbook's final rename: both are kept or neither.

Nothing read is modified: the run folder is only read
(scheduler/io/read/attendance.py) and the next workbook is a new file
(scheduler/io/write/next_input.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scheduler.core.domain import BookingStatus, Instance, hhmm
from scheduler.core.errors import UsageError
from scheduler.core.messages import Msg
from scheduler.io.read import cells
from scheduler.io.read.attendance import (
    ATTENDED,
    Marks,
    Row,
    add_mark,
    mark_key,
    read_roster_marks,
    read_run,
    read_sheet_marks,
)
from scheduler.io.read.read import read_instance
from scheduler.io.write.next_input import (
    BookingRow,
    EmployeeUpdate,
    write_next_input,
)
from scheduler.rounds.history import Visit, history_path, recording


@dataclass(slots=True)
class RecordResult:
    out: Path
    attended: int
    no_show: int
    booked: int
    unmarked_past: int
    unknown: list[str]
    horizon_start: date | None


def _visit(r: Row) -> Visit:
    return Visit(
        employee_id=r.employee_id,
        session_id=r.session_id,
        site_id=r.site_id,
        service=r.service,
        date=r.date,
        slot_start=r.slot_start,
        product=r.product,
        dose=r.dose,
    )


def record(
    run_dir: str | Path,
    attendance: Iterable[str | Path] = (),
    out: str | Path | None = None,
    say: Callable[[str], None] = print,
    rosters: str | Path | None = None,
) -> RecordResult:
    """Read the marks (``attendance`` sheets, else the marked ``rosters``
    workbook, by default the run folder's rosters.xlsx) and write the next
    round's workbook."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(Msg("record.no_folder", path=str(run_dir)))
    target = Path(out) if out is not None else run_dir / "next-input.xlsx"
    if target.exists():
        raise UsageError(Msg("usage.file_exists", path=str(target)))
    meta, rows = read_run(run_dir)
    source = Path(meta["input"])
    if not source.exists():
        raise UsageError(Msg("record.input_missing", path=str(source)))
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    if digest != meta.get("input_sha256"):
        raise UsageError(Msg("record.input_changed", path=str(source)))
    files = [Path(p) for p in attendance]
    marks: Marks = {}
    if files:
        for f in files:
            for k, st in read_sheet_marks(f).items():
                add_mark(marks, *k, st, str(f))
    else:
        marks = read_roster_marks(
            Path(rosters) if rosters else run_dir / "rosters.xlsx"
        )
    instance = read_instance(source)
    db = history_path(run_dir.parent)

    def keep(history: list[tuple[Row, BookingStatus]]):
        return recording(
            db,
            run_dir,
            meta,
            instance.settings.language,
            [_visit(r) for r in rows],
            [(_visit(r), str(st)) for r, st in history],
        )

    return _write_next(instance, source, target, rows, marks, say, keep)


Keep = Callable[[list[tuple[Row, BookingStatus]]], AbstractContextManager]


def _write_next(
    instance: Instance,
    source: Path,
    target: Path,
    rows: list[Row],
    marks: Marks,
    say: Callable[[str], None],
    keep: Keep,
) -> RecordResult:
    """Build the next workbook; ``keep`` (the history transaction) wraps
    its final rename, so that the marks and the workbook are kept
    together or not at all."""
    by_key = {mark_key(r.employee_id, r.session_id): r for r in rows}
    unknown = sorted(f"{e} at {s}" for e, s in marks if (e, s) not in by_key)
    marked = [(by_key[k], st) for k, st in marks.items() if k in by_key]
    latest = max((r.date for r, _ in marked), default=None)
    history, booked, unmarked_past = [], [], 0
    for r in rows:
        st = marks.get(mark_key(r.employee_id, r.session_id))
        if st is not None:
            history.append((r, st))
        elif latest is None or r.date > latest:
            booked.append(r)
        else:
            unmarked_past += 1

    people = {cells.fold(e): p for e, p in instance.employees.items()}
    doses = {k: p.doses_received for k, p in people.items()}
    tests = {k: p.last_test_date for k, p in people.items()}
    attended = sorted(
        (r for r, st in history if st is ATTENDED),
        key=lambda r: (r.date, r.slot_start),
    )
    updates = []
    for r in attended:
        k = cells.fold(r.employee_id)
        values: dict[str, int | date | str]
        if r.service == "vaccination":
            if r.dose == "booster":
                product = instance.products.get(r.product or "")
                series = product.doses if product else doses.get(k, 0)
                n = max(series + 1, doses.get(k, 0) + 1)
            elif r.dose and r.dose.isdigit():
                n = max(int(r.dose), doses.get(k, 0) + 1)
            else:
                n = doses.get(k, 0) + 1
            doses[k] = n
            values = {
                "doses_received": n,
                "last_dose_date": r.date,
                "last_product": r.product or "",
            }
        else:
            day = max(filter(None, (tests.get(k), r.date)))
            tests[k] = day
            values = {"last_test_date": day}
        updates.append(EmployeeUpdate(r.employee_id, values))

    horizon = None
    if latest is not None and latest >= instance.settings.horizon_start:
        horizon = date.fromordinal(latest.toordinal() + 1)

    history.sort(key=lambda x: (x[0].date, x[0].slot_start, x[0].session_id))
    pins = _pinned(instance)
    out_rows = _earlier_history(instance, history) + [
        (r.employee_id, r.session_id, r.slot_start, False, str(st))
        for r, st in history
    ]
    out_rows += [
        (
            r.employee_id,
            r.session_id,
            r.slot_start,
            (*mark_key(r.employee_id, r.session_id), r.slot_start) in pins,
            "booked",
        )
        for r in booked
    ]
    missing = write_next_input(
        source, target, updates, horizon, out_rows, lambda: keep(history)
    )
    unknown += [f"{e} (not in the employees sheet)" for e in missing]

    n_att = sum(st is ATTENDED for _, st in history)
    result = RecordResult(
        out=target,
        attended=n_att,
        no_show=len(history) - n_att,
        booked=len(booked),
        unmarked_past=unmarked_past,
        unknown=unknown,
        horizon_start=horizon,
    )
    say(
        Msg(
            "record.recorded",
            attended=result.attended,
            no_show=result.no_show,
            booked=result.booked,
        )
    )
    if horizon is not None:
        say(Msg("record.horizon", date=horizon.isoformat()))
    if unmarked_past:
        say(
            Msg(
                "record.unmarked",
                n=unmarked_past,
                date=latest.isoformat(),
            )
        )
    if unknown:
        say(
            Msg(
                "record.unknown_marks",
                n=len(unknown),
                names=", ".join(unknown[:10])
                + (" …" if len(unknown) > 10 else ""),
            )
        )
    say(Msg("cli.wrote", path=str(target)))
    return result


def _earlier_history(
    instance: Instance, history: list[tuple[Row, BookingStatus]]
) -> list[BookingRow]:
    """The input's own history rows (attended, no-show, cancelled: earlier
    rounds), kept so that the bookings sheet grows round by round; a mark
    recorded now for the same appointment wins."""
    now = {mark_key(r.employee_id, r.session_id) for r, _ in history}
    sessions = instance.sessions
    old = [
        b
        for b in instance.bookings
        if b.status is not BookingStatus.BOOKED
        and mark_key(b.employee_id, b.session_id) not in now
    ]
    old.sort(
        key=lambda b: (
            sessions[b.session_id].date
            if b.session_id in sessions
            else date.min,
            b.slot_start,
            b.session_id,
        )
    )
    return [
        (b.employee_id, b.session_id, hhmm(b.slot_start), False, str(b.status))
        for b in old
    ]


def _pinned(instance: Instance) -> set[tuple[str, str, str]]:
    """(employee, session, HH:MM) of the input's pinned bookings: they stay
    pinned in the next round's workbook."""
    return {
        (*mark_key(b.employee_id, b.session_id), hhmm(b.slot_start))
        for b in instance.bookings
        if b.pinned and b.status is BookingStatus.BOOKED
    }
