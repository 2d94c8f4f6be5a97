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

Nothing read is modified: the input is opened with openpyxl and saved
under the new name; the run folder is only read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.core.domain import BookingStatus, Instance, hhmm
from scheduler.core.errors import UsageError
from scheduler.core.i18n import LANGUAGES, t
from scheduler.core.messages import Msg
from scheduler.io.read import cells
from scheduler.io.read.read import read_instance
from scheduler.io.read.schema import (
    COLUMN_INDEX,
    SETTING_INDEX,
    SHEET_INDEX,
    label_key,
)
from scheduler.rounds.history import Visit, history_path, recording

ATTENDED, NO_SHOW = BookingStatus.ATTENDED, BookingStatus.NO_SHOW
DATE_FMT = "yyyy-mm-dd"
SCAN_ROWS = 30

#: Every way a mark may be written (compared after label_key).
_MARKS: dict[str, BookingStatus] = {
    label_key(k): v
    for k, v in {
        "attended": ATTENDED,
        "yes": ATTENDED,
        "已到": ATTENDED,
        "到": ATTENDED,
        "no-show": NO_SHOW,
        "no_show": NO_SHOW,
        "noshow": NO_SHOW,
        "no show": NO_SHOW,
        "未到": NO_SHOW,
        **{t("attendance.attended", lang): ATTENDED for lang in LANGUAGES},
        **{t("attendance.no_show", lang): NO_SHOW for lang in LANGUAGES},
    }.items()
}


@dataclass(frozen=True, slots=True)
class Row:
    """One appointment of the run's schedule.xlsx."""

    employee_id: str
    session_id: str
    service: str
    date: date
    slot_start: str
    product: str | None
    dose: str | None
    site_id: str = ""

    def visit(self) -> Visit:
        return Visit(
            employee_id=self.employee_id,
            session_id=self.session_id,
            site_id=self.site_id,
            service=self.service,
            date=self.date,
            slot_start=self.slot_start,
            product=self.product,
            dose=self.dose,
        )


@dataclass(slots=True)
class RecordResult:
    out: Path
    attended: int
    no_show: int
    booked: int
    unmarked_past: int
    unknown: list[str]
    horizon_start: date | None


def _key(emp: str, sid: str) -> tuple[str, str]:
    return cells.fold(emp), cells.fold(sid)


def _id(value: object) -> str:
    """A cell as an id: ``123`` (number) is ``123``; text normalised."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return cells.norm(str(value))


def _status(value: object, where: Msg) -> BookingStatus | None:
    text = _id(value)
    if not text:
        return None
    got = _MARKS.get(label_key(text))
    if got is None:
        raise UsageError(Msg("record.bad_mark", where=where, value=repr(text)))
    return got


# reading the run ---------------------------------------------------------


def read_run(run_dir: Path) -> tuple[dict, list[Row]]:
    meta_path, sched = run_dir / "run.json", run_dir / "schedule.xlsx"
    for p in (meta_path, sched):
        if not p.exists():
            raise UsageError(
                Msg("record.not_run_folder", path=str(p), folder=str(run_dir))
            )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    df = pd.read_excel(
        sched, sheet_name="assignments", dtype=str, keep_default_na=False
    )
    rows = []
    for r in df.to_dict("records"):
        rows.append(
            Row(
                employee_id=r["employee_id"].strip(),
                session_id=r["session_id"].strip(),
                service=r["service"].strip(),
                date=pd.to_datetime(r["date"]).date(),
                slot_start=r["slot_start"].strip(),
                product=r["product"].strip() or None,
                dose=r["dose"].strip() or None,
                site_id=r.get("site_id", "").strip(),
            )
        )
    return meta, rows


def _find_header(
    ws: Worksheet, wanted: dict[str, set[str]], need: set[str]
) -> tuple[int, dict[str, int]] | None:
    """(row, name -> column) of the first row naming every ``need``."""
    for r, row in enumerate(
        ws.iter_rows(max_row=SCAN_ROWS, values_only=True), 1
    ):
        found: dict[str, int] = {}
        for c, v in enumerate(row, 1):
            if isinstance(v, str):
                k = label_key(v)
                for name, labels in wanted.items():
                    if k in labels and name not in found:
                        found[name] = c
        if need <= set(found):
            return r, found
    return None


def _labels(key: str, *extra: str) -> set[str]:
    return {label_key(t(key, lang)) for lang in LANGUAGES} | {
        label_key(e) for e in extra
    }


Marks = dict[tuple[str, str], BookingStatus]


def _add(marks: Marks, emp: str, sid: str, st: BookingStatus, where: Msg):
    k = _key(emp, sid)
    if marks.get(k, st) != st:
        raise UsageError(
            Msg("record.both_marks", where=where, employee=emp, session=sid)
        )
    marks[k] = st


def read_roster_marks(path: Path) -> Marks:
    """Marks from a marked rosters.xlsx: the index sheet names each
    session's sheet; each sheet has Employee ID and Attendance columns."""
    if not path.exists():
        raise UsageError(Msg("record.file_missing", path=str(path)))
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet_session: dict[str, str] = {}
        index = wb.worksheets[0]
        head = _find_header(
            index,
            {
                "session": _labels("col.session"),
                "sheet": _labels("col.sheet"),
            },
            {"session", "sheet"},
        )
        if head is not None:
            hr, cols = head
            for row in index.iter_rows(min_row=hr + 1, values_only=True):
                sid = _id(_at(row, cols["session"]))
                title = _id(_at(row, cols["sheet"]))
                if sid and title:
                    sheet_session[title] = sid
        marks: Marks = {}
        wanted = {
            "employee_id": _labels("col.employee_id"),
            "attendance": _labels("col.attendance"),
        }
        for ws in wb.worksheets[1:]:
            head = _find_header(ws, wanted, set(wanted))
            if head is None:
                continue
            sid = sheet_session.get(ws.title, ws.title)
            hr, cols = head
            for r, row in enumerate(
                ws.iter_rows(min_row=hr + 1, values_only=True), hr + 1
            ):
                emp = _id(_at(row, cols["employee_id"]))
                where = Msg(
                    "record.where", file=path.name, sheet=ws.title, row=r
                )
                st = _status(_at(row, cols["attendance"]), where)
                if emp and st is not None:
                    _add(marks, emp, sid, st, where)
        return marks
    finally:
        wb.close()


def read_sheet_marks(path: Path) -> Marks:
    """Marks from a simple sheet: employee_id, session_id, status."""
    if not path.exists():
        raise UsageError(Msg("record.attendance_missing", path=str(path)))
    bookings = COLUMN_INDEX["bookings"]
    wanted = {
        name: {k for k, v in bookings.items() if v == name}
        for name in ("employee_id", "session_id", "status")
    }
    wanted["status"] |= _labels("col.attendance")
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        marks: Marks = {}
        found = False
        for ws in wb.worksheets:
            head = _find_header(ws, wanted, set(wanted))
            if head is None:
                continue
            found = True
            hr, cols = head
            for r, row in enumerate(
                ws.iter_rows(min_row=hr + 1, values_only=True), hr + 1
            ):
                emp = _id(_at(row, cols["employee_id"]))
                sid = _id(_at(row, cols["session_id"]))
                where = Msg(
                    "record.where", file=path.name, sheet=ws.title, row=r
                )
                st = _status(_at(row, cols["status"]), where)
                if emp and sid and st is not None:
                    _add(marks, emp, sid, st, where)
        if not found:
            raise UsageError(Msg("record.no_mark_sheet", path=str(path)))
        return marks
    finally:
        wb.close()


def _at(row: Sequence, col: int) -> object:
    return row[col - 1] if col - 1 < len(row) else None


# writing the next input --------------------------------------------------


def _sheet(wb, name: str) -> Worksheet | None:
    for ws in wb.worksheets:
        if SHEET_INDEX.get(label_key(ws.title)) == name:
            return ws
    return None


def _columns(ws: Worksheet, sheet: str, need: str) -> tuple[int, dict]:
    """Header row and canonical column name -> column number."""
    index = COLUMN_INDEX[sheet]
    for r in range(1, min(ws.max_row, SCAN_ROWS) + 1):
        cols: dict[str, int] = {}
        for c in range(1, ws.max_column + 1):
            v = ws.cell(r, c).value
            if isinstance(v, str) and (n := index.get(label_key(v))):
                cols.setdefault(n, c)
        if need in cols:
            return r, cols
    raise UsageError(Msg("record.no_header", sheet=ws.title, column=need))


def _col(ws: Worksheet, hr: int, cols: dict, name: str) -> int:
    if name not in cols:
        c = ws.max_column + 1
        ws.cell(hr, c, name)
        cols[name] = c
    return cols[name]


def _set_date(cell, day: date) -> None:
    cell.value = day
    cell.number_format = DATE_FMT


def _set_text(cell, text: str) -> None:
    cell.value = text
    cell.number_format = "@"


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
                _add(marks, *k, st, str(f))
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
            [r.visit() for r in rows],
            [(r.visit(), str(st)) for r, st in history],
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
    by_key = {_key(r.employee_id, r.session_id): r for r in rows}
    unknown = sorted(f"{e} at {s}" for e, s in marks if (e, s) not in by_key)
    marked = [(by_key[k], st) for k, st in marks.items() if k in by_key]
    latest = max((r.date for r, _ in marked), default=None)
    history, booked, unmarked_past = [], [], 0
    for r in rows:
        st = marks.get(_key(r.employee_id, r.session_id))
        if st is not None:
            history.append((r, st))
        elif latest is None or r.date > latest:
            booked.append(r)
        else:
            unmarked_past += 1

    wb = load_workbook(source)
    ws = _sheet(wb, "employees")
    if ws is None:
        raise UsageError(Msg("record.no_employees", path=str(source)))
    hr, cols = _columns(ws, "employees", "employee_id")
    where: dict[str, int] = {}
    for r in range(hr + 1, ws.max_row + 1):
        emp = _id(ws.cell(r, cols["employee_id"]).value)
        if emp:
            where.setdefault(cells.fold(emp), r)
    people = {cells.fold(e): p for e, p in instance.employees.items()}
    doses = {k: p.doses_received for k, p in people.items()}
    tests = {k: p.last_test_date for k, p in people.items()}
    attended = sorted(
        (r for r, st in history if st is ATTENDED),
        key=lambda r: (r.date, r.slot_start),
    )
    for r in attended:
        k = cells.fold(r.employee_id)
        row = where.get(k)
        if row is None:
            unknown.append(f"{r.employee_id} (not in the employees sheet)")
            continue
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
            ws.cell(row, _col(ws, hr, cols, "doses_received")).value = n
            _set_date(
                ws.cell(row, _col(ws, hr, cols, "last_dose_date")), r.date
            )
            _set_text(
                ws.cell(row, _col(ws, hr, cols, "last_product")),
                r.product or "",
            )
        else:
            day = max(filter(None, (tests.get(k), r.date)))
            tests[k] = day
            _set_date(ws.cell(row, _col(ws, hr, cols, "last_test_date")), day)

    horizon = None
    if latest is not None and latest >= instance.settings.horizon_start:
        horizon = date.fromordinal(latest.toordinal() + 1)
        _set_horizon_start(wb, horizon)

    old = _sheet(wb, "bookings")
    title = old.title if old is not None else "bookings"
    if old is not None:
        pos = wb.worksheets.index(old)
        wb.remove(old)
        bk = wb.create_sheet(title, pos)
    else:
        bk = wb.create_sheet(title)
    bk.append(["employee_id", "session_id", "slot_start", "pinned", "status"])
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
            (*_key(r.employee_id, r.session_id), r.slot_start) in pins,
            "booked",
        )
        for r in booked
    ]
    for i, (emp, sid, slot, pinned, status) in enumerate(out_rows, 2):
        _set_text(bk.cell(i, 1), emp)
        _set_text(bk.cell(i, 2), sid)
        _set_text(bk.cell(i, 3), slot)
        bk.cell(i, 4, "yes" if pinned else "no")
        bk.cell(i, 5, status)
    for col, width in zip("ABCDE", (12, 20, 11, 8, 10), strict=True):
        bk.column_dimensions[col].width = width

    _save(wb, target, lambda: keep(history))

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


BookingRow = tuple[str, str, str, bool, str]


def _earlier_history(
    instance: Instance, history: list[tuple[Row, BookingStatus]]
) -> list[BookingRow]:
    """The input's own history rows (attended, no-show, cancelled: earlier
    rounds), kept so that the bookings sheet grows round by round; a mark
    recorded now for the same appointment wins."""
    now = {_key(r.employee_id, r.session_id) for r, _ in history}
    sessions = instance.sessions
    old = [
        b
        for b in instance.bookings
        if b.status is not BookingStatus.BOOKED
        and _key(b.employee_id, b.session_id) not in now
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
        (*_key(b.employee_id, b.session_id), hhmm(b.slot_start))
        for b in instance.bookings
        if b.pinned and b.status is BookingStatus.BOOKED
    }


def _save(wb, target: Path, keep: Callable[[], AbstractContextManager]):
    """Save to a hidden file, then rename it into place inside the history
    transaction. The slow, fallible part (saving) comes before anything
    is committed; a failed commit removes the renamed workbook. Only a
    kill between rename and commit can leave the workbook without its
    history rows: recording again (``--out``) is then safe, as history
    ignores marks it already holds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    renamed = False
    try:
        wb.save(tmp)
        with keep():
            if target.exists():  # appeared meanwhile: never overwrite
                raise UsageError(Msg("usage.file_exists", path=str(target)))
            tmp.replace(target)
            renamed = True
    except BaseException:
        if renamed:
            target.unlink(missing_ok=True)
        raise
    finally:
        tmp.unlink(missing_ok=True)


def _set_horizon_start(wb, day: date) -> None:
    ws = _sheet(wb, "settings")
    if ws is None:
        ws = wb.create_sheet("settings", 0)
        ws.append(["key", "value"])
    hr, cols = _columns(ws, "settings", "key")
    kc = cols["key"]
    vc = _col(ws, hr, cols, "value")
    for r in range(hr + 1, ws.max_row + 1):
        v = ws.cell(r, kc).value
        if isinstance(v, str) and SETTING_INDEX.get(label_key(v)) == (
            "horizon_start"
        ):
            _set_date(ws.cell(r, vc), day)
            return
    r = ws.max_row + 1
    ws.cell(r, kc, "horizon_start")
    _set_date(ws.cell(r, vc), day)
