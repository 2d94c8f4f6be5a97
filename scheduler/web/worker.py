"""One run for the page, in its own process (``python -m
scheduler.web.worker SPEC``), so that Cancel can end it and everything it
started at once.

It is ``scheduler run``'s code path: ``pipeline.run`` with the same
options, then the CLI's ``add_to_history``. It reports on stdout in lines
starting with ``MARK`` (JSON: progress figures, then the run folder or the
error); figures only, so the server may log them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MARK = "@@scheduler-web "


def emit(kind: str, data: object) -> None:
    print(MARK + json.dumps({kind: data}, default=str), flush=True)


def main(argv: list[str]) -> int:
    from scheduler.cli import add_to_history
    from scheduler.core.errors import InputError, SchedulerError
    from scheduler.pipeline import RunOptions, run

    spec = json.loads(argv[0])
    opts = RunOptions(
        book=Path(spec["book"]),
        outputs_root=Path(spec["outputs"]),
        time_limit=spec.get("time_limit"),
        gap_limit=spec.get("gap_limit"),
        seed=spec.get("seed", 0),
        workers=spec.get("workers", 1),
        lang=spec.get("lang"),
        protect=bool(spec.get("protect")),
    )
    try:
        result = run(opts, progress=lambda p: emit("progress", p.as_dict()))
        add_to_history(result)
    except InputError as err:
        emit("error", {"kind": "input", "issues": issue_dicts(err.issues)})
        return err.exit_code
    except SchedulerError as err:
        emit("error", {"kind": type(err).__name__, "message": texts(err)})
        return err.exit_code
    except Exception as err:  # the page shows it; no traceback for HR
        emit("error", {"kind": "internal", "message": type(err).__name__})
        return 1
    emit("done", {"folder": result.folder.name})
    return 0


def issue_dicts(issues) -> list[dict]:
    """The reader's located problems as plain values for the page, what
    was expected in each of the page's languages."""
    return [
        {
            "sheet": i.sheet,
            "row": i.row,
            "column": i.column,
            "value": "" if i.value is None else str(i.value),
            "expected": texts(i.expected),
        }
        for i in issues
    ]


def texts(message: object) -> dict[str, str]:
    """A message (a catalogue Msg, an error) in every language; the page
    shows the one it speaks (a plain text is the same in each)."""
    from scheduler.core.errors import SchedulerError
    from scheduler.core.i18n import LANGUAGES
    from scheduler.core.messages import render

    if isinstance(message, SchedulerError):
        return {lang: message.render(lang).strip() for lang in LANGUAGES}
    return {lang: render(message, lang) for lang in LANGUAGES}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
