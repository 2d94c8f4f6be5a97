"""Lookups: what the stages derive from one instance and reuse.

Duty periods, candidate options and their conflicts are worked out once
per duty, per building or per option and shared by everyone alike (most
people are on a pattern with teammates). The preparing station builds one
``Lookups`` per instance and the pipeline hands it to every stage that
asks the same questions again (greedy, model, checker, reasons); the
instance itself stays immutable. A stage called without one builds its
own: the answers are the same, only found again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scheduler.core.domain import EmployeeId, Instance, SessionId
    from scheduler.prepare.duty import Duty, Period


@dataclass(eq=False, slots=True)
class Lookups:
    """Memoised answers about ``instance``, keyed as their functions say
    (``duty.py`` and ``candidates.py``); several keys are object
    identities, which stay valid because the objects are kept here."""

    instance: Instance
    #: Duty of each employee; one shared Duty per pattern for people
    #: without duty rows or absences; one object per distinct duty.
    duty: dict[EmployeeId, Duty] = field(default_factory=dict)
    plain_duty: dict[int, Duty] = field(default_factory=dict)
    duty_intern: dict[tuple[Period, ...], Duty] = field(default_factory=dict)
    options: dict[tuple, Any] = field(default_factory=dict)
    option_intern: dict[tuple, Any] = field(default_factory=dict)
    slot_spans: dict[tuple[SessionId, int], list] = field(default_factory=dict)
    employee_options: dict[tuple, Any] = field(default_factory=dict)
    vaccination_days: list[int] | None = None
    conflicts: dict[tuple, tuple[frozenset, frozenset]] = field(
        default_factory=dict
    )
    usable_sessions: dict[tuple, tuple[list, list]] = field(
        default_factory=dict
    )
    reachable_ids: dict[str, frozenset[SessionId]] = field(
        default_factory=dict
    )
    in_reach: dict[str, tuple[list, list]] = field(default_factory=dict)
    conflict_pairs: dict[tuple[int, int], tuple] = field(default_factory=dict)
    #: Horizon sessions of each service, by date, with their dates.
    by_service: dict[Any, tuple[list, list]] = field(default_factory=dict)


def lookups_for(instance: Instance, lookups: Lookups | None) -> Lookups:
    """``lookups`` if given (it must be the instance's), else new ones."""
    if lookups is None:
        return Lookups(instance)
    if lookups.instance is not instance:
        raise ValueError("these lookups belong to another instance")
    return lookups
