"""Structured progress of a run, for a front that draws it (the page).

The command line prints ``say`` lines; a page needs figures instead: which
stage the run is in, how far through it, the time against the solver's
limit, and how close the schedule is proven to the best possible. The
pipeline emits one ``RunProgress`` at each stage boundary and after each
solved block; a stage may add in-stage counts (``done`` of ``total``)
through the same callback. Figures only: never names or other personal
data, so a progress line may be logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum


class Stage(StrEnum):
    """The stations of a run, in order."""

    READ = "read"  # reading and checking the workbook
    PREPARE = "prepare"  # needs, candidate sessions, blocks, the LP
    START = "start"  # the greedy start, repaired
    SOLVE = "solve"  # CP-SAT, block by block or as one model
    CHECK = "check"  # the independent checker
    WRITE = "write"  # the output files
    DONE = "done"  # the run folder is in place


@dataclass(frozen=True, slots=True, kw_only=True)
class RunProgress:
    """Where a run is. ``done``/``total`` count the stage's units (blocks
    solved of blocks, say; 0 of 0 when the stage has none); ``elapsed`` is
    seconds since the run started, ``solve_elapsed`` seconds since the
    solve started (None before it), ``time_limit`` the solver's limit;
    ``needs_met`` the schedule's weighted needs met so far, ``bound`` the
    proven best possible and ``gap`` (a share) the distance between them,
    each None until known."""

    stage: Stage
    elapsed: float
    done: int = 0
    total: int = 0
    solve_elapsed: float | None = None
    time_limit: float | None = None
    needs_met: float | None = None
    bound: float | None = None
    gap: float | None = None

    def as_dict(self) -> dict:
        """Plain values for JSON."""
        out = asdict(self)
        out["stage"] = str(self.stage)
        return out


ProgressFn = Callable[[RunProgress], None]


def no_progress(_: RunProgress) -> None:
    """The default callback: the command line needs none."""


def gap_of(needs_met: float | None, bound: float | None) -> float | None:
    """``(bound - needs_met) / bound``, as in run.json; None if unknown."""
    if needs_met is None or not bound:
        return None
    return max(0.0, bound - needs_met) / bound
