"""The ``scheduler`` command: argument parsing, progress and exit codes.

Exit codes: 0 ok; 1 internal error; 2 bad input or usage (a missing file,
an output folder in use, a bad option, no or an unusable history, a page
served beyond this machine without a token); 3
pinned bookings break hard rules; 4 the solver found no schedule in time;
5 the checker rejected the schedule (a bug: nothing is written).
"""

from __future__ import annotations

import json
import logging
import os
import select
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler import __version__
from scheduler.cli_usage import HRParser, lang_in_argv
from scheduler.core.errors import SchedulerError, UsageError
from scheduler.core.messages import Msg, render
from scheduler.dev.shapes import SHAPES

if TYPE_CHECKING:
    import argparse

EXAMPLE = Path("inputs") / "campaign.xlsx"


def _parser() -> argparse.ArgumentParser:
    p = HRParser(
        prog="scheduler",
        description="Schedule vaccination and nucleic-test drives for staff.",
    )
    p.add_argument("--version", action="version", version=__version__)
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser(
        "run", help="schedule a workbook and write a run folder"
    )
    r.add_argument(
        "book",
        nargs="?",
        type=Path,
        default=EXAMPLE,
        help=f"input workbook (default {EXAMPLE})",
    )
    r.add_argument("--out", type=Path, help="new run folder to write")
    r.add_argument(
        "--time-limit",
        type=float,
        help="solver seconds (default: the workbook's setting)",
    )
    r.add_argument(
        "--gap-limit",
        type=float,
        metavar="PERCENT",
        help="stop once the schedule is proven within PERCENT %% of the "
        "best possible; 0 uses the whole time limit (default: the "
        "workbook's setting, else 0.5)",
    )
    r.add_argument("--seed", type=int, default=0, help="solver random seed")
    r.add_argument(
        "--workers",
        type=int,
        default=1,
        help="solver threads (default 1); several take turns in fixed "
        "batches, so runs stay reproducible",
    )
    r.add_argument(
        "--lang", choices=("en", "zh"), help="language of rosters and reports"
    )
    r.add_argument(
        "--protect",
        action="store_true",
        help="protect every sheet of the output workbooks against "
        "accidental edits (no password)",
    )
    r.add_argument(
        "--protect-password",
        metavar="PASSWORD",
        help="like --protect, with a password to lift the protection",
    )
    _verbosity(r)
    g = sub.add_parser("generate", help="write a realistic example workbook")
    g.add_argument("--employees", type=int, default=1500)
    g.add_argument("--workplaces", type=int, default=3)
    g.add_argument("--days", type=int, default=28)
    g.add_argument("--seed", type=int, default=2021)
    g.add_argument(
        "--tight",
        action="store_true",
        help="less capacity than demand (an over-subscribed drive)",
    )
    g.add_argument(
        "--shape",
        default="default",
        choices=sorted(SHAPES),
        help="the kind of employer (team sizes, shifts, capacity, test "
        "cadences …; scheduler/dev/shapes.py)",
    )
    g.add_argument("--out", type=Path, required=True)
    _verbosity(g)
    t = sub.add_parser(
        "template", help="write an empty input workbook to fill in"
    )
    t.add_argument(
        "file",
        nargs="?",
        type=Path,
        default=Path("campaign-template.xlsx"),
        help="workbook to write (default campaign-template.xlsx)",
    )
    t.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="language of sheet names, headers and explanations",
    )
    t.add_argument(
        "--example",
        action="store_true",
        help="fill it with the shipped example drive instead of example rows",
    )
    _verbosity(t)
    rec = sub.add_parser(
        "record",
        help="record attendance and write the next round's input workbook",
    )
    rec.add_argument("run_dir", type=Path, help="run folder of the round")
    rec.add_argument(
        "--attendance",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="sheet(s) with employee_id, session_id, status "
        "(default: the marked rosters.xlsx of the run folder)",
    )
    rec.add_argument(
        "--out",
        type=Path,
        help="new workbook to write (default RUN_DIR/next-input.xlsx)",
    )
    _verbosity(rec)
    h = sub.add_parser(
        "history",
        help="cumulative figures of every recorded run and round",
    )
    h.add_argument(
        "--outputs",
        type=Path,
        default=Path("outputs"),
        help="folder holding the run folders and history.sqlite "
        "(default outputs)",
    )
    h.add_argument(
        "--lang",
        choices=("en", "zh"),
        help="language of the labels (default: that of the latest run)",
    )
    h.add_argument(
        "--xlsx", type=Path, metavar="FILE", help="also write a workbook"
    )
    _verbosity(h)
    s = sub.add_parser(
        "serve", help="HR's page in the browser: the whole drive"
    )
    s.add_argument("--port", type=int, default=8765, help="default 8765")
    s.add_argument(
        "--outputs",
        type=Path,
        default=Path("outputs"),
        help="folder of the run folders and history.sqlite (default outputs)",
    )
    s.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open the browser",
    )
    s.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1: this computer "
        "only); any other needs --token",
    )
    s.add_argument(
        "--token", help="secret the page asks each browser for once"
    )
    s.add_argument(
        "--max-upload-mb",
        type=int,
        default=50,
        help="largest workbook accepted (default 50 MB)",
    )
    _verbosity(s)
    _plan_capacity_parser(sub)
    return p


def _plan_capacity_parser(sub) -> None:
    c = sub.add_parser(
        "plan-capacity",
        help="the least sessions to add so every building reaches its "
        "target, with a proven bound",
    )
    c.add_argument("book", nargs="?", type=Path, default=EXAMPLE)
    c.add_argument("--out", type=Path, help="new answer folder to write")
    c.add_argument(
        "--target",
        type=float,
        metavar="P",
        help="target rate for every workplace (0.9, or 90 for 90 %%)",
    )
    c.add_argument("--max-added", type=int, metavar="N")
    c.add_argument(
        "--tests",
        type=float,
        metavar="SHARE",
        help="also cover this share of the test person-days (0.95, or 95 "
        "for 95 %%) and every screening window that can be met",
    )
    c.add_argument(
        "--time-limit",
        type=float,
        help="solver seconds of each ordinary schedule",
    )
    c.add_argument("--lang", choices=("en", "zh"))
    _verbosity(c)


def _verbosity(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only errors and the run folder",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print debugging detail and tracebacks",
    )


class _Say:
    """Progress lines with elapsed seconds; solver updates throttled."""

    def __init__(self, quiet: bool, lang: str = "en") -> None:
        self.quiet, self.t0, self.last = quiet, time.monotonic(), 0.0
        self.lang = lang

    def __call__(self, msg: str) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if ": objective" in msg and now - self.last < 1.0:
            return
        self.last = now
        text = render(msg, self.lang)
        print(f"[{now - self.t0:6.1f}s] {text}", flush=True)


def main(argv: list[str] | None = None) -> int:
    code = _main(argv)
    try:
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except BrokenPipeError:
        return _quiet_after_broken_pipe()
    return code


def _main(argv: list[str] | None) -> int:
    HRParser.lang = lang_in_argv(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "generate":
            return _generate(args)
        if args.command == "template":
            return _template(args)
        if args.command == "record":
            return _record(args)
        if args.command == "history":
            return _history(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "plan-capacity":
            return _plan_capacity(args)
        return _run(args)
    except SchedulerError as err:
        print("\n" + err.render(_language(args, err)), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        text = Msg("cli.interrupted").render(_language(args))
        print(f"\n{text}", file=sys.stderr)
        return 130
    except BrokenPipeError as err:
        if _stdout_gone():
            return _quiet_after_broken_pipe()
        return _internal_error(err, args)
    except Exception as err:  # the last line of defence for HR users
        return _internal_error(err, args)


def _internal_error(err: Exception, args: argparse.Namespace) -> int:
    if args.verbose:
        traceback.print_exc()
    text = Msg("cli.internal", name=type(err).__name__)
    print(f"\n{text.render(_language(args))}", file=sys.stderr)
    return 1


def _language(
    args: argparse.Namespace, err: SchedulerError | None = None
) -> str:
    """The language to tell HR something in: ``--lang``, else the one the
    error was found in (the workbook's), else the workbook's setting."""
    lang = getattr(args, "lang", None) or (err.lang if err else None)
    if lang is None and args.command in ("run", "record", "plan-capacity"):
        from scheduler.io.read.language import workbook_language

        book = args.book if args.command != "record" else _run_input(args)
        lang = workbook_language(book) if book else None
    return lang or "en"


def _run_input(args: argparse.Namespace) -> Path | None:
    """The input workbook of the run folder being recorded, if known."""
    try:
        meta = json.loads((args.run_dir / "run.json").read_text("utf-8"))
        return Path(meta["input"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


#: The exit status of a command whose reader left (128 + SIGPIPE), as a
#: shell reports for tools that stop on a closed pipe.
BROKEN_PIPE_EXIT = 141


def _stdout_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it (as
    ``| head`` does), rather than some other pipe breaking inside."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & select.POLLERR for _, ev in poller.poll(0))
    except (AttributeError, OSError, ValueError):
        return False


def _quiet_after_broken_pipe() -> int:
    """``scheduler history | head``: the reader has what it wanted. Stop
    without a message; what Python still holds for stdout goes nowhere,
    so nothing complains at exit either."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return BROKEN_PIPE_EXIT


def _generate(args: argparse.Namespace) -> int:
    from scheduler.dev.generate import generate_workbook

    if args.out.exists():
        raise UsageError(Msg("usage.file_exists", path=str(args.out)))
    path = generate_workbook(
        args.out,
        employees=args.employees,
        workplaces=args.workplaces,
        days=args.days,
        seed=args.seed,
        tight=args.tight,
        shape=args.shape,
    )
    if not args.quiet:
        print(f"Wrote {path}")
    return 0


def _template(args: argparse.Namespace) -> int:
    from scheduler.io.write.template import write_template

    if args.file.exists():
        raise UsageError(Msg("usage.file_exists", path=str(args.file)))
    path = write_template(args.file, lang=args.lang, example=args.example)
    if not args.quiet:
        print(Msg("cli.wrote", path=str(path)).render(args.lang))
    return 0


def _record(args: argparse.Namespace) -> int:
    from scheduler.rounds.record import record

    lang = _language(args)

    def say(msg: str) -> None:
        if not args.quiet or msg.startswith("Warning"):
            print(render(msg, lang), flush=True)

    result = record(args.run_dir, args.attendance, args.out, say)
    if args.quiet:
        print(result.out)
    return 0


def _history(args: argparse.Namespace) -> int:
    from scheduler.rounds.history import history_path, read_figures
    from scheduler.rounds.history_report import (
        history_text,
        write_history_xlsx,
    )

    db = history_path(args.outputs)
    figures = read_figures(db)  # exit 2 when there is none yet
    lang = args.lang or figures.language or "en"
    if args.xlsx is not None and args.xlsx.exists():
        raise UsageError(Msg("usage.file_exists", path=str(args.xlsx)))
    if not args.quiet:
        print(history_text(figures, lang, db))
    if args.xlsx is not None:
        write_history_xlsx(args.xlsx, figures, lang)
        if not args.quiet:
            print(Msg("cli.wrote", path=str(args.xlsx)).render(lang))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from scheduler.web.serve import check_serving, serve

    check_serving(args.host, args.token)  # before importing the server
    serve(
        args.outputs,
        host=args.host,
        port=args.port,
        token=args.token,
        browser=not args.no_browser,
        max_upload_mb=args.max_upload_mb,
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    from scheduler.pipeline import RunOptions, run
    from scheduler.report.summary import summary_text

    if args.time_limit is not None and args.time_limit <= 0:
        raise UsageError(Msg("usage.time_limit"))
    if args.gap_limit is not None and not 0 <= args.gap_limit <= 100:
        raise UsageError(Msg("usage.gap_limit"))
    if args.workers < 1:
        raise UsageError(Msg("usage.workers"))
    if not args.book.exists():
        key = "example_missing" if args.book == EXAMPLE else "book_missing"
        raise UsageError(Msg(f"usage.{key}", path=str(args.book)))
    say = _Say(args.quiet, "en" if args.quiet else _language(args))
    result = run(
        RunOptions(
            book=args.book,
            out=args.out,
            time_limit=args.time_limit,
            gap_limit=args.gap_limit,
            seed=args.seed,
            workers=args.workers,
            lang=args.lang,
            protect=args.protect or bool(args.protect_password),
            protect_password=args.protect_password or None,
        ),
        say,
    )
    add_to_history(result)
    if args.quiet:
        print(result.folder)
    else:
        print(summary_text(result))
    return 0


def _plan_capacity(args: argparse.Namespace) -> int:
    from scheduler.plan_capacity import CapacityOptions, plan_capacity
    from scheduler.report.capacity import summary_text

    lang = _language(args)
    say = _Say(args.quiet, lang)
    target = _share(args.target, "--target")
    tests = _share(args.tests, "--tests")
    if args.max_added is not None and args.max_added < 0:
        raise UsageError("--max-added must be 0 or more.")
    if args.time_limit is not None and args.time_limit <= 0:
        raise UsageError("--time-limit must be a positive number of seconds.")
    if not args.book.exists():
        raise UsageError(f"Input workbook {args.book} not found.")
    report = plan_capacity(
        CapacityOptions(
            book=args.book,
            out=args.out,
            target=target,
            max_added=args.max_added,
            tests=tests,
            time_limit=args.time_limit,
            lang=args.lang,
        ),
        say,
    )
    print(report.folder if args.quiet else summary_text(report, lang))
    return 0


def _share(value: float | None, flag: str) -> float | None:
    """A share given as 0.9 or as 90 (per cent)."""
    if value is None:
        return None
    share = value / 100 if value > 1 else value
    if not 0 < share <= 1:
        raise UsageError(f"{flag} must be a share, 0.9 or 90.")
    return share


def add_to_history(result) -> None:
    """The run is in place: add it to history.sqlite beside it. Never
    fails the run (a warning on stderr instead; see history.py)."""
    from scheduler.core.domain import hhmm
    from scheduler.rounds.history import Visit, history_path, record_run_safely

    folder = result.folder
    visits = [
        Visit(
            employee_id=a.employee_id,
            session_id=a.session_id,
            site_id=a.site_id,
            service=str(a.service),
            date=a.date,
            slot_start=hhmm(a.slot_start),
            product=a.product,
            dose=a.dose,
        )
        for a in result.solution.appointments
    ]
    record_run_safely(history_path(folder.parent), folder, result.lang, visits)


if __name__ == "__main__":
    sys.exit(main())
