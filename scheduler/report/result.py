"""What one run hands to the report and the writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scheduler.core.domain import Instance
from scheduler.core.solution import Solution, SolveReport, UnmetNeed
from scheduler.prepare.needs import Needs


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
