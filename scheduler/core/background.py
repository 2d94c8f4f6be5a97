"""A function run on the machine's other core, in a forked process.

The solver works on one core (one worker keeps runs reproducible), so the
bound and the calendars, which need nothing from it, run beside it. Fork
shares the parent's data without copying or pickling it; only the result
comes back through a pipe. Where fork is unavailable, or the child fails,
``result()`` runs the function here instead: the answer is the same, only
later.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

#: How long ``result()`` waits for the child before doing the work itself.
WAIT_SECONDS = 900.0

#: The reading ends of the pipes of the children running now. A child
#: forked later closes its copies, so when the parent dies (killed while
#: writing, say) each pipe's reader is gone, and a child that finishes
#: gets a broken pipe and exits instead of waiting for a reader forever.
_READERS: set = set()

#: The Background jobs whose child may still run (``stop_all``).
_LIVE: set = set()


class Background:
    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.fn, self.args = fn, args
        self.proc = None
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        ctx = multiprocessing.get_context("fork")
        self.conn, send = ctx.Pipe(duplex=False)
        _READERS.add(self.conn)
        self.proc = ctx.Process(
            target=_run, args=(send, fn, *args), daemon=True
        )
        # Ctrl-C is held back during the fork: raised inside it, it left
        # a child that ``stop`` could not see (multiprocessing had not yet
        # recorded it), and that child went on writing into a folder the
        # run had just removed. Raised after it, the child is ended here,
        # since the caller never enters its with block.
        held = _hold_interrupts()
        try:
            try:
                self.proc.start()
            finally:
                send.close()
                _release_interrupts(held)
        except BaseException:
            self.stop()
            raise
        _LIVE.add(self)

    def result(self) -> Any:
        """The function's value: the child's, or computed here."""
        if self.proc is not None:
            ok, value = False, None
            try:
                # A forked child can in principle hang on a lock another
                # thread held at the fork; past the wait it is replaced.
                if self.conn.poll(WAIT_SECONDS):
                    ok, value = self.conn.recv()
            except EOFError:  # the child died without answering
                pass
            self.stop()
            if ok:
                return value
        return self.fn(*self.args)

    def ready(self, timeout: float) -> bool:
        """Has the child answered (waiting at most ``timeout`` seconds)?
        True also where ``result()`` would compute the value here."""
        if self.proc is None:
            return True
        try:
            return self.conn.poll(max(0.0, timeout))
        except (EOFError, OSError):  # died: ``result()`` computes it here
            return True

    def __enter__(self) -> Background:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """End the child, if it still runs (an interrupted run)."""
        if self.proc is not None and self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        if self.proc is not None:
            _READERS.discard(self.conn)
            self.conn.close()
        self.proc = None
        _LIVE.discard(self)


def stop_all() -> None:
    """End every child still running: for a caller cleaning up after an
    interrupt that may have come between a child's start and its with
    block."""
    for job in list(_LIVE):
        job.stop()


def _hold_interrupts() -> object:
    """Block SIGINT (where signals can be blocked); the mask before."""
    if not hasattr(signal, "pthread_sigmask"):
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


def _release_interrupts(held: object) -> None:
    """Restore the mask; a Ctrl-C that came meanwhile is raised now."""
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _run(send, fn: Callable[..., Any], *args: Any) -> None:
    for reader in _READERS:
        reader.close()
    try:
        answer = (True, fn(*args))
    except BaseException:
        answer = (False, None)
    try:
        send.send(answer)
    except OSError:  # the parent is gone: nobody to answer
        pass
    except BaseException:  # the value does not pickle: the parent redoes it
        with contextlib.suppress(OSError):
            send.send((False, None))
    finally:
        send.close()
