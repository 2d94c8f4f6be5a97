"""Runs started from the page: one at a time per outputs folder, each in
a child process of its own session, so that Cancel ends it and the
helpers it forked together.

A run writes into a hidden ``.NAME.partial-PID`` folder and renames it
into place at the end (pipeline.write_run); a cancelled run's folder is
removed at once with ``remove_stale_partials``, so Cancel leaves no run
folder. A lock file in the outputs folder keeps a second page server on
the same folder from starting a run beside this one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scheduler.pipeline import remove_stale_partials
from scheduler.web.worker import MARK

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger("scheduler.web")

LOCK_NAME = ".page-run.lock"


@dataclass(slots=True)
class RunState:
    """What the page knows of one run. ``status``: running, done,
    failed or cancelled; ``error`` the worker's error (kind, message or
    issues); ``folder`` the run folder's name once done."""

    id: str
    book: str  # the workbook's file name, for the page's title
    started: float = field(default_factory=time.monotonic)
    status: str = "running"
    progress: dict | None = None
    progress_at: float = 0.0  # when the last progress came
    folder: str | None = None
    error: dict | None = None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "progress": self.progress,
            # seconds since that progress: the page counts on from it
            "since": round(time.monotonic() - self.progress_at, 1)
            if self.progress is not None and self.status == "running"
            else 0.0,
            "folder": self.folder,
            "error": self.error,
            "waited": round(time.monotonic() - self.started, 1),
        }


class Runs:
    """The page's runs in one outputs folder."""

    def __init__(self, outputs: Path) -> None:
        self.outputs = outputs
        self.lock = threading.Lock()
        self.states: dict[str, RunState] = {}
        self.proc: subprocess.Popen | None = None
        self.current: RunState | None = None
        self._lockfile = None

    def busy(self) -> bool:
        with self.lock:
            return self.current is not None

    def start(self, spec: dict, book_name: str) -> RunState | None:
        """Start a run, or None if one is going on in this folder."""
        with self.lock:
            if self.current is not None or not self._take_folder():
                return None
            state = RunState(id=uuid.uuid4().hex[:12], book=book_name)
            spec = {**spec, "outputs": str(self.outputs)}
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "scheduler.web.worker",
                    json.dumps(spec),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                start_new_session=True,  # Cancel ends its whole group
            )
            self.current = state
            self.states[state.id] = state
            log.warning("run %s started (pid %d)", state.id, self.proc.pid)
            threading.Thread(
                target=self._follow, args=(state, self.proc), daemon=True
            ).start()
            return state

    def get(self, run_id: str) -> RunState | None:
        return self.states.get(run_id)

    def cancel(self, run_id: str) -> None:
        with self.lock:
            state, proc = self.current, self.proc
            if state is None or state.id != run_id or proc is None:
                return
            state.status = "cancelled"
        _kill_group(proc)

    def wait(self, run_id: str, timeout: float = 30.0) -> RunState | None:
        """Block until the run has ended (tests; shutting down)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            # the follower clears ``current`` once the run has ended
            if self.current is None or self.current.id != run_id:
                return self.states.get(run_id)
            time.sleep(0.05)
        return self.states.get(run_id)

    def shutdown(self) -> None:
        """The server stops: a run going on is cancelled."""
        state = self.current
        if state is not None:
            self.cancel(state.id)
            self.wait(state.id, 10.0)

    def _follow(self, state: RunState, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not line.startswith(MARK):
                continue
            try:
                msg = json.loads(line[len(MARK) :])
            except ValueError:
                continue
            if "progress" in msg:
                state.progress, state.progress_at = (
                    msg["progress"],
                    time.monotonic(),
                )
            elif "done" in msg:
                state.folder = msg["done"]["folder"]
            elif "error" in msg:
                state.error = msg["error"]
        proc.wait()
        # A killed run may have left its hidden partial folder: its
        # process is gone now, so this removes it.
        with contextlib.suppress(OSError):
            remove_stale_partials(self.outputs)
        with self.lock:
            if state.status == "running":
                if state.folder is not None and proc.returncode == 0:
                    state.status = "done"
                else:
                    state.status = "failed"
                    state.error = state.error or {
                        "kind": "internal",
                        "message": f"exit {proc.returncode}",
                    }
            log.warning("run %s %s", state.id, state.status)
            self.current, self.proc = None, None
            self._release_folder()

    def _take_folder(self) -> bool:
        self.outputs.mkdir(parents=True, exist_ok=True)
        f = (self.outputs / LOCK_NAME).open("a")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            return False
        self._lockfile = f
        return True

    def _release_folder(self) -> None:
        if self._lockfile is not None:
            fcntl.flock(self._lockfile, fcntl.LOCK_UN)
            self._lockfile.close()
            self._lockfile = None


def _kill_group(proc: subprocess.Popen) -> None:
    """End the worker and every helper it forked (one session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
