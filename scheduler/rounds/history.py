"""The history database: every run and every recorded attendance, kept
across rounds in one SQLite file beside the run folders.

Why a database: ``scheduler record`` writes a new input workbook each
round, and a drive's final report needs figures over all rounds (sessions
held per site, doses given, people covered, no-shows) that no single
workbook holds. The file is ``<outputs root>/history.sqlite``, the folder
that holds the run folders (for ``--out DIR``: DIR's parent).

Personal data is limited to employee ids: no names, phones, exemptions.

Idempotent: an attendance is keyed by (employee, session, date), so
recording the same marks twice changes nothing, whichever run they are
recorded from; a corrected mark (no-show → attended) replaces the old one.

The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS`
is the ordered list of steps, each run in its own transaction, so that
an older file is brought up to date when it is next opened.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.core.errors import SchedulerError
from scheduler.core.messages import Msg, render

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

FILE_NAME = "history.sqlite"
ATTENDED, NO_SHOW = "attended", "no_show"
DOSES = ("1", "2", "3", "booster")
BUSY_SECONDS = 5.0


class HistoryError(SchedulerError):
    """The history database cannot be read or updated (locked, damaged,
    not writable)."""

    exit_code = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """One appointment as history keeps it: ids, place, time, dose."""

    employee_id: str
    session_id: str
    site_id: str
    service: str
    date: date
    slot_start: str  # HH:MM
    product: str | None = None
    dose: str | None = None


def history_path(outputs_root: str | Path) -> Path:
    return Path(outputs_root) / FILE_NAME


# schema ------------------------------------------------------------------


def _v1(conn: sqlite3.Connection) -> None:
    # One execute per statement: executescript would commit first and
    # break the migration's transaction.
    for sql in _V1.split(";"):
        if sql.strip():
            conn.execute(sql)


_V1 = """
        CREATE TABLE runs (
            run TEXT PRIMARY KEY,          -- run folder name
            recorded_at TEXT NOT NULL,     -- ISO timestamp
            input_sha256 TEXT,
            version TEXT,
            seed INTEGER,
            workers INTEGER,
            time_limit REAL,
            language TEXT,
            status TEXT,
            best_bound REAL,
            gap REAL,
            objective TEXT,                -- JSON, as in run.json
            counts TEXT                    -- JSON, as in run.json
        );
        CREATE TABLE planned (
            run TEXT NOT NULL REFERENCES runs(run) ON DELETE CASCADE,
            employee_id TEXT NOT NULL,
            session_id TEXT NOT NULL,
            site_id TEXT NOT NULL,
            service TEXT NOT NULL,
            date TEXT NOT NULL,
            slot_start TEXT NOT NULL,
            product TEXT,
            dose TEXT,
            PRIMARY KEY (run, employee_id, session_id)
        );
        CREATE TABLE attendance (
            employee_id TEXT NOT NULL,
            session_id TEXT NOT NULL,
            date TEXT NOT NULL,
            site_id TEXT NOT NULL,
            service TEXT NOT NULL,
            slot_start TEXT NOT NULL,
            product TEXT,
            dose TEXT,
            status TEXT NOT NULL CHECK (status IN ('attended', 'no_show')),
            run TEXT NOT NULL,             -- the run it was recorded from
            recorded_at TEXT NOT NULL,
            UNIQUE (employee_id, session_id, date)
        );
        CREATE INDEX attendance_site ON attendance (site_id, status);
"""


#: Schema steps in order; version N is reached by running the first N.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date, one transaction per step."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise HistoryError(
            f"The history database is from a newer scheduler (schema "
            f"{version}); update the scheduler to use it."
        )
    for n, step in enumerate(MIGRATIONS[version:], version + 1):
        with transaction(conn):
            step(conn)
            conn.execute(f"PRAGMA user_version = {n}")
    return len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """An open, migrated connection (the file is created if missing).
    Autocommit mode: transactions are explicit, see :func:`transaction`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """All or nothing: BEGIN IMMEDIATE takes the write lock up front (a
    busy database fails here, before any work), commit on success,
    rollback on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# writing -----------------------------------------------------------------


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def _run_row(name: str, meta: dict, lang: str | None, when: str) -> tuple:
    return (
        name,
        when,
        meta.get("input_sha256"),
        meta.get("version"),
        meta.get("seed"),
        meta.get("workers"),
        meta.get("time_limit"),
        lang,
        meta.get("status"),
        meta.get("best_bound"),
        meta.get("gap"),
        json.dumps(meta.get("objective") or {}, sort_keys=True),
        json.dumps(meta.get("counts") or {}, sort_keys=True),
    )


def _visit_row(v: Visit) -> tuple:
    return (
        v.employee_id,
        v.session_id,
        v.site_id,
        v.service,
        v.date.isoformat(),
        v.slot_start,
        v.product,
        v.dose,
    )


def add_run(
    conn: sqlite3.Connection,
    name: str,
    meta: dict,
    lang: str | None,
    planned: Iterable[Visit],
    *,
    replace: bool = True,
    when: str | None = None,
) -> bool:
    """Record a run and its appointments; True if written. ``replace``:
    a folder name seen before now holds a new run (the old folder was
    removed), so its row and appointments are replaced; without it an
    existing row is kept (back-filling from ``record``)."""
    exists = conn.execute(
        "SELECT 1 FROM runs WHERE run = ?", (name,)
    ).fetchone()
    if exists and not replace:
        return False
    conn.execute("DELETE FROM runs WHERE run = ?", (name,))  # cascades
    conn.execute(
        "INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        _run_row(name, meta, lang, when or _now()),
    )
    conn.executemany(
        "INSERT OR IGNORE INTO planned VALUES (?,?,?,?,?,?,?,?,?)",
        ((name, *_visit_row(v)) for v in planned),
    )
    return True


def add_attendance(
    conn: sqlite3.Connection,
    run: str,
    marks: Iterable[tuple[Visit, str]],
) -> int:
    """Upsert (visit, status) marks; returns how many rows changed. The
    same mark again changes nothing (not even its timestamp)."""
    before = conn.total_changes
    now = _now()
    conn.executemany(
        """
        INSERT INTO attendance (employee_id, session_id, date, site_id,
            service, slot_start, product, dose, status, run, recorded_at)
        VALUES (?,?,?,?,?,?,?,?,?,?,?)
        ON CONFLICT (employee_id, session_id, date) DO UPDATE SET
            status = excluded.status,
            slot_start = excluded.slot_start,
            product = excluded.product,
            dose = excluded.dose,
            run = excluded.run,
            recorded_at = excluded.recorded_at
        WHERE attendance.status <> excluded.status
        """,
        (
            (
                v.employee_id,
                v.session_id,
                v.date.isoformat(),
                v.site_id,
                v.service,
                v.slot_start,
                v.product,
                v.dose,
                _status(status),
                run,
                now,
            )
            for v, status in marks
        ),
    )
    return conn.total_changes - before


def _status(status: str) -> str:
    if status not in (ATTENDED, NO_SHOW):
        raise ValueError(f"attendance status {status!r}")
    return status


def record_run_safely(
    db: Path,
    folder: Path,
    lang: str | None,
    planned: Iterable[Visit],
    warn: Callable[[str], None] | None = None,
) -> bool:
    """Add a finished run to the history; never fails the run.

    Called after the run folder is in place: the run's files are its
    product, history is a by-product. A locked, damaged or unwritable
    database only prints a warning (stderr); ``scheduler record`` adds the
    run later from its folder if it is missing.
    """
    warn = warn or _stderr
    try:
        meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        with closing(connect(db)) as conn, transaction(conn):
            add_run(conn, folder.name, meta, lang, planned)
    except (sqlite3.Error, OSError, ValueError, SchedulerError) as err:
        text = Msg(
            "warning.history",
            path=str(db),
            error=f"{type(err).__name__}: {err}",
        )
        warn(render(text, lang or "en"))
        return False
    return True


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


@contextmanager
def recording(
    db: Path,
    run_dir: Path,
    meta: dict,
    lang: str | None,
    planned: list[Visit],
    marks: list[tuple[Visit, str]],
) -> Iterator[int]:
    """Attendance of one ``record`` call in one transaction that commits
    when the block ends without error (the block writes the workbook):
    either both are kept or neither. Adds the run first if the history
    lacks it (run made while the database was locked, or before it
    existed). Yields the number of attendance rows changed."""
    try:
        conn = connect(db)
    except sqlite3.Error as err:
        raise _unusable(db, err) from err
    try:
        with transaction(conn):
            when = datetime.fromtimestamp(
                (run_dir / "run.json").stat().st_mtime
            ).isoformat(timespec="seconds")
            add_run(
                conn,
                run_dir.name,
                meta,
                lang,
                planned,
                replace=False,
                when=when,
            )
            yield add_attendance(conn, run_dir.name, marks)
    except sqlite3.Error as err:
        raise _unusable(db, err) from err
    finally:
        conn.close()


def _unusable(db: Path, err: sqlite3.Error) -> HistoryError:
    return HistoryError(
        f"The history database {db} could not be updated "
        f"({type(err).__name__}: {err}); nothing was written. If another "
        "scheduler is running, wait and try again; if the file is damaged, "
        "move it aside and record again (a new history starts)."
    )


# reading -----------------------------------------------------------------


@dataclass(slots=True)
class SiteFigures:
    site_id: str
    sessions_held: int
    attended: int


@dataclass(slots=True)
class Figures:
    """Cumulative figures over every recorded run and round."""

    runs: int = 0
    runs_with_attendance: int = 0
    first_date: date | None = None
    last_date: date | None = None
    vaccinations: int = 0
    doses: dict[str, int] = field(default_factory=dict)
    tests: int = 0
    people_vaccinated: int = 0
    people_tested: int = 0
    no_shows: int = 0
    no_shows_vaccination: int = 0
    no_shows_test: int = 0
    sites: list[SiteFigures] = field(default_factory=list)
    language: str | None = None  # of the latest run


def figures(conn: sqlite3.Connection) -> Figures:
    """What a drive's final report quotes; attended rows only count as
    given or taken."""

    def one(sql: str) -> tuple:
        return conn.execute(sql).fetchone()

    f = Figures()
    f.runs = one("SELECT COUNT(*) FROM runs")[0]
    f.runs_with_attendance = one("SELECT COUNT(DISTINCT run) FROM attendance")[
        0
    ]
    lo, hi = one(
        "SELECT MIN(date), MAX(date) FROM attendance WHERE status = 'attended'"
    )
    f.first_date = date.fromisoformat(lo) if lo else None
    f.last_date = date.fromisoformat(hi) if hi else None
    att = "status = 'attended'"
    f.doses = {d: 0 for d in DOSES}
    for dose, n in conn.execute(
        f"SELECT COALESCE(dose, '?'), COUNT(*) FROM attendance WHERE {att} "
        "AND service = 'vaccination' GROUP BY 1"
    ):
        f.doses[dose] = n
    f.vaccinations = sum(f.doses.values())
    f.tests, f.people_tested = one(
        "SELECT COUNT(*), COUNT(DISTINCT employee_id) FROM attendance "
        f"WHERE {att} AND service = 'nucleic_test'"
    )
    f.people_vaccinated = one(
        "SELECT COUNT(DISTINCT employee_id) FROM attendance "
        f"WHERE {att} AND service = 'vaccination'"
    )[0]
    for service, n in conn.execute(
        "SELECT service, COUNT(*) FROM attendance WHERE status = 'no_show' "
        "GROUP BY service"
    ):
        if service == "vaccination":
            f.no_shows_vaccination = n
        else:
            f.no_shows_test += n
    f.no_shows = f.no_shows_vaccination + f.no_shows_test
    f.sites = [
        SiteFigures(site, held, n)
        for site, held, n in conn.execute(
            "SELECT site_id, COUNT(DISTINCT session_id || '|' || date), "
            f"COUNT(*) FROM attendance WHERE {att} GROUP BY site_id "
            "ORDER BY site_id"
        )
    ]
    last = one("SELECT language FROM runs ORDER BY recorded_at DESC LIMIT 1")
    f.language = last[0] if last else None
    return f


def read_figures(db: Path) -> Figures:
    """Figures of an existing history file (never creates one)."""
    if not db.is_file():
        raise HistoryError(
            f"No history yet: {db} does not exist. It is created by "
            "'scheduler run' and 'scheduler record' in that outputs folder."
        )
    try:
        with closing(connect(db)) as conn:
            return figures(conn)
    except sqlite3.Error as err:
        raise HistoryError(
            f"The history database {db} cannot be read "
            f"({type(err).__name__}: {err})."
        ) from err
