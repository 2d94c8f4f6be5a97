"""Counts inside a long stage, so that a large drive shows it is moving.

At 100,000 staff the stages before the solve take minutes. A long loop
opens a ``stage`` (what it counts, how many in all) and calls ``tick()``
once per step (a person, a block, a trade); while a listener is set
(``listening``, by the pipeline), it hears ``(what, done, total)`` at most
every ``EVERY_SECONDS`` and once at the end of a stage that reported. With
no listener a tick costs one comparison, so the loops need no extra
parameter, and what a listener hears never changes what the loop computes
(same input, same schedule).

Only the process that set the listener reports: a forked helper (the LP, a
block solved on the other core) inherits it and stays silent.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

#: Heard with (what, done, total): e.g. ("people", 40_000, 100_000).
Listener = Callable[[str, int, int], None]

#: Least seconds between two reports (the first comes after as long).
EVERY_SECONDS = 2.0


@dataclass(slots=True)
class _Stage:
    what: str
    total: int
    last: float
    done: int = 0
    reported: bool = False


_listener: tuple[Listener, int] | None = None  # with the listening pid
_stage: _Stage | None = None


@contextmanager
def listening(listener: Listener | None) -> Iterator[None]:
    """Stages opened inside report to ``listener`` (None: to nobody)."""
    global _listener
    outer = _listener
    _listener = None if listener is None else (listener, os.getpid())
    try:
        yield
    finally:
        _listener = outer


@contextmanager
def stage(what: str, total: int) -> Iterator[None]:
    """Count the ticks of the loop inside as ``done`` of ``total``
    ``what``; a stage inside another counts for itself until it ends."""
    global _stage
    outer = _stage
    if _listener is None:
        yield
        return
    _stage = here = _Stage(what, total, time.monotonic())
    try:
        yield
        if here.reported:
            _report(here)
    finally:
        _stage = outer


def tick(n: int = 1) -> None:
    """One more step (or ``n``) of the stage being counted, if any."""
    here = _stage
    if here is None:
        return
    here.done += n
    now = time.monotonic()
    if now - here.last >= EVERY_SECONDS:
        here.last = now
        _report(here)


def _report(here: _Stage) -> None:
    if _listener is not None and _listener[1] == os.getpid():
        here.reported = True
        _listener[0](here.what, min(here.done, here.total), here.total)


def counted(what: str, items: Sequence[T]) -> Iterator[T]:
    """``items`` one by one, each a tick of a stage of ``len(items)``."""
    with stage(what, len(items)):
        for item in items:
            tick()
            yield item
