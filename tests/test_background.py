"""Work on the other core: the value comes back, or is computed here."""

from __future__ import annotations

import os
import time

import scheduler.core.background as background
from scheduler.core.background import Background


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_result_comes_from_a_child_process():
    with Background(_pid_and_square, 7) as job:
        pid, value = job.result()
    assert value == 49
    assert pid != os.getpid()


def _fails_in_child(parent: int) -> str:
    if os.getpid() != parent:
        raise RuntimeError("only in the child")
    return "here"


def test_a_failing_child_is_replaced_by_the_work_done_here():
    with Background(_fails_in_child, os.getpid()) as job:
        assert job.result() == "here"


def _slow_in_child(parent: int) -> str:
    if os.getpid() != parent:
        time.sleep(60)
        return "child"
    return "here"


def test_a_hung_child_is_killed_and_replaced(monkeypatch):
    monkeypatch.setattr(background, "WAIT_SECONDS", 0.5)
    started = time.monotonic()
    with Background(_slow_in_child, os.getpid()) as job:
        assert job.result() == "here"
        assert job.proc is None
    assert time.monotonic() - started < 30


def test_a_later_child_closes_the_readers_of_earlier_children():
    """Else a parent killed with two children running would leave the
    first waiting for a reader forever, holding the run's output open."""
    with Background(time.sleep, 30) as first:
        with Background(lambda: (os.getpid(), first.conn.closed)) as later:
            pid, closed = later.result()
        assert pid != os.getpid()
        assert closed
        assert not first.conn.closed  # the parent's own copy stays open
