"""What one run hands to the report and the writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from scheduler.core.domain import Instance
    from scheduler.core.solution import Solution, SolveReport, UnmetNeed
    from scheduler.prepare.needs import Needs
    from scheduler.report.changes import Change


@dataclass(slots=True, kw_only=True)
class RunResult:
    instance: Instance
    needs: Needs
    solution: Solution
    unmet: list[UnmetNeed]
    report: SolveReport
    counts: dict[str, int]
    objective: dict[str, float]
    seconds: dict[str, float] = field(default_factory=dict)
    folder: Path | None = None
    lang: str = "en"
    #: Against the bookings read (report/changes.py), with the causes of
    #: forced changes.
    changes: list[Change] = field(default_factory=list)
    #: Re-plan: needs met by the schedule that keeps every booking that
    #: fits (pipeline.Scheduled.kept_met).
    kept_met: float | None = None
