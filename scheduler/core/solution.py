"""A schedule and what a run found out about it, free of the solver."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date

    from scheduler.core.domain import (
        EmployeeId,
        ProductName,
        Service,
        Session,
        SessionId,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Appointment:
    """One employee in one slot of one session.

    ``dose`` is ``"1"``, ``"2"``, ``"3"`` … for a primary-series dose and
    ``"booster"`` for a booster; None for a test.
    """

    employee_id: EmployeeId
    session_id: SessionId
    date: date
    slot_start: int
    slot_end: int
    service: Service
    site_id: str
    travel_minutes: int
    product: ProductName | None = None
    dose: str | None = None

    @classmethod
    def in_session(
        cls,
        session: Session,
        employee_id: EmployeeId,
        slot_start: int,
        travel_minutes: int,
        dose: str | None = None,
    ) -> Appointment:
        """One person in the slot of ``session`` starting at
        ``slot_start``; the session's product for a vaccination only."""
        vacc = session.service.value == "vaccination"
        return cls(
            employee_id=employee_id,
            session_id=session.id,
            date=session.date,
            slot_start=slot_start,
            slot_end=session.slot_end(slot_start),
            service=session.service,
            site_id=session.site_id,
            travel_minutes=travel_minutes,
            product=session.product if vacc else None,
            dose=dose if vacc else None,
        )


def roster_order(a: Appointment) -> tuple:
    """The order of appointments in a Solution: by date, slot, session,
    employee."""
    return (a.date, a.slot_start, a.session_id, a.employee_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnmetNeed:
    """A need the schedule does not (fully) meet, with why.

    ``reason`` is a code of domain.md; ``need`` and ``detail`` are text in
    the run's language.
    """

    employee_id: EmployeeId
    service: Service
    reason: str
    need: str
    detail: str
    dose: str | None = None
    requirement_id: str | None = None
    uncovered_days: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    appointments: tuple[Appointment, ...] = ()


class SolveStatus(StrEnum):
    """How good the schedule is known to be: CP-SAT's own words where the
    solver decided, ``HEURISTIC`` where the greedy start stood in for it."""

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    HEURISTIC = "HEURISTIC"
    INFEASIBLE = "INFEASIBLE"
    MODEL_INVALID = "MODEL_INVALID"
    UNKNOWN = "UNKNOWN"


@dataclass(slots=True, kw_only=True)
class SolveReport:
    """How the solver did: status, objective terms, bound and gap.

    ``objective`` maps each term name to its value; ``best_bound`` and
    ``gap`` concern the first (needs-met) level, in weighted need units;
    ``bound_source`` says where the bound comes from.
    """

    status: SolveStatus
    objective: dict[str, float] = field(default_factory=dict)
    best_bound: float | None = None
    gap: float | None = None
    bound_source: str = "cp-sat"
    stages: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: What ended the solve: "gap_limit", "time_limit", or None (it ran
    #: to its end: every block, or the model's optimum).
    stopped_by: str | None = None
