"""Decision variables of the CP-SAT model, kept in one container.

Two layers, so the model stays small:

* ``book`` — one boolean per employee, need position and session: the
  employee is booked into the session for that booking (vaccination
  position ``k`` = the k-th dose of their need in this run, or a test).
* ``slot_count`` — for each session, the employees who reach it with the
  same travel, the same open slots and the same team form a *slot group*;
  an integer per group and slot says how many of them take that slot.

Members of a slot group are interchangeable for every rule that looks at
slot times (capacity, observation seats, team continuity), and rules that
look at one person (overlaps, rule 11) are settled per session and day, so
any hand-out of slots that matches the counts is valid (see solve.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model
from ortools.util.python.sorted_interval_list import Domain

if TYPE_CHECKING:
    from scheduler.core.domain import EmployeeId, Instance, SessionId, TeamKey
    from scheduler.prepare.candidates import EmployeeOptions, Option

TEST = -1  # need position of a test booking


def total(xs: list) -> cp_model.LinearExprT:
    """Σ xs as one flat expression, 0 if empty: the same constraint as
    ``sum(xs)``, which builds a new expression per term (a block's model
    has some 50,000)."""
    return cp_model.LinearExpr.sum(xs) if xs else 0


@dataclass(frozen=True, slots=True)
class SlotGroup:
    session_id: SessionId
    team: TeamKey
    travel: int
    slots: tuple[int, ...]
    away: tuple[tuple[int, int], ...]
    members: tuple[EmployeeId, ...]


@dataclass(slots=True)
class ScheduleVars:
    model: cp_model.CpModel
    #: (employee, position, session) -> booked; position TEST for tests.
    book: dict[tuple[EmployeeId, int, SessionId], cp_model.IntVar] = field(
        default_factory=dict
    )
    groups: list[SlotGroup] = field(default_factory=list)
    #: (group index, slot start) -> employees of the group in that slot.
    slot_count: dict[tuple[int, int], cp_model.IntVar] = field(
        default_factory=dict
    )
    #: Upper bound of each slot count.
    slot_ub: dict[tuple[int, int], int] = field(default_factory=dict)
    group_of: dict[tuple[EmployeeId, SessionId], int] = field(
        default_factory=dict
    )

    #: employee -> its booking keys, in creation order.
    keys_of: dict[EmployeeId, list[tuple[EmployeeId, int, SessionId]]] = field(
        default_factory=dict
    )
    #: (employee, session) -> its vaccination booking variables.
    jabs_at: dict[tuple[EmployeeId, SessionId], list[cp_model.IntVar]] = field(
        default_factory=dict
    )
    #: Re-plan: per slot group and slot, how many of the bookings there are
    #: kept (made by objective.kept_bookings on first use).
    kept: list[cp_model.IntVar] | None = None

    def jabs(
        self, employee_id: EmployeeId, session_id: SessionId
    ) -> list[cp_model.IntVar]:
        return self.jabs_at.get((employee_id, session_id), [])

    def bookings_of(
        self, employee_id: EmployeeId, session_id: SessionId
    ) -> list[cp_model.IntVar]:
        """Every booking variable of one employee in one session."""
        test = self.book.get((employee_id, TEST, session_id))
        jabs = self.jabs(employee_id, session_id)
        return jabs if test is None else [*jabs, test]


def create_vars(
    model: cp_model.CpModel,
    instance: Instance,
    options: dict[EmployeeId, EmployeeOptions],
) -> ScheduleVars:
    """Booking booleans for every option and slot counts per group."""
    v = ScheduleVars(model=model)
    proto = model.model_proto
    # model.new_bool_var, less a new Domain per variable.
    boolean = Domain(0, 1)
    members: dict[tuple, list[EmployeeId]] = {}
    opt_of: dict[tuple, Option] = {}
    for eid, opts in options.items():
        team = instance.employees[eid].team_key
        seen: set[SessionId] = set()
        for k, row in enumerate(opts.vaccination):
            for o in row:
                v.book[eid, k, o.session_id] = (
                    cp_model.IntVar(proto)
                    .with_name(f"vacc[{eid},{k},{o.session_id}]")
                    .with_domain(boolean)
                )
                v.keys_of.setdefault(eid, []).append((eid, k, o.session_id))
                v.jabs_at.setdefault((eid, o.session_id), []).append(
                    v.book[eid, k, o.session_id]
                )
                if o.session_id not in seen:
                    seen.add(o.session_id)
                    key = (o.session_id, team, o.travel, o.slots)
                    members.setdefault(key, []).append(eid)
                    opt_of[key] = o
        for o in opts.tests:
            v.book[eid, TEST, o.session_id] = (
                cp_model.IntVar(proto)
                .with_name(f"test[{eid},{o.session_id}]")
                .with_domain(boolean)
            )
            v.keys_of.setdefault(eid, []).append((eid, TEST, o.session_id))
            key = (o.session_id, team, o.travel, o.slots)
            members.setdefault(key, []).append(eid)
            opt_of[key] = o
    for key in sorted(members):
        sid, team, travel, slots = key
        o = opt_of[key]
        g = SlotGroup(
            session_id=sid,
            team=team,
            travel=travel,
            slots=slots,
            away=o.away,
            members=tuple(members[key]),
        )
        gi = len(v.groups)
        v.groups.append(g)
        cap = instance.sessions[sid].capacity_per_slot
        ub = min(cap, len(g.members))
        for a in slots:
            v.slot_count[gi, a] = model.new_int_var(
                0, ub, f"n[{sid},{gi},{a}]"
            )
            v.slot_ub[gi, a] = ub
        for eid in g.members:
            v.group_of[eid, sid] = gi
    return v
