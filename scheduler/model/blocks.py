"""Blocks: a large drive cut into parts that are solved one at a time.

A block is a set of whole teams (mostly of one building): team continuity
(rule 7) and side-effect spreading (rule 8) stay inside one block. Blocks
meet only where they share a session (rule 1's capacity), so a block is
solved with what the other blocks' current appointments leave free
(``Instance.reserved``): whatever the block's solve returns keeps the
whole drive valid.

Nothing here knows the solver; ``scheduler/model/blockwise.py`` drives it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from scheduler.core.domain import (
    EmployeeId,
    Instance,
    Reserved,
    Service,
    SessionId,
    WorkplaceId,
)
from scheduler.prepare.candidates import reachable_session_ids
from scheduler.prepare.lookups import Lookups, lookups_for
from scheduler.prepare.needs import Needs

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scheduler.core.solution import Appointment

#: Booking choices per block. CP-SAT with its full LP relaxation proves a
#: model of this size optimal in seconds (benchmarks/), where a model of
#: 10,000 or more choices does not move from its hint in a minute.
BLOCK_CHOICES = 4000


@dataclass(frozen=True, slots=True)
class Block:
    index: int
    workplaces: tuple[WorkplaceId, ...]
    #: In employee order (sets of ids iterate in an order that changes
    #: from run to run; the model must not).
    employees: tuple[EmployeeId, ...]

    @property
    def size(self) -> int:
        return len(self.employees)


def plan_blocks(
    instance: Instance,
    choices: dict[EmployeeId, int],
    per_block: int = BLOCK_CHOICES,
) -> list[Block]:
    """Whole teams packed into blocks of about ``per_block`` choices.

    ``choices`` is each employee's number of booking choices (the model's
    size). Teams are taken building by building, so a block mostly holds
    one building's teams; a drive small enough for one model (up to 1.5
    blocks) stays one block.
    """
    rank = {eid: i for i, eid in enumerate(instance.employees)}
    if sum(choices.values()) <= 1.5 * per_block:
        return [_block(0, list(instance.employees.values()), rank)]
    teams = sorted(
        instance.teams().items(),
        key=lambda kv: (kv[1][0].workplace_id, kv[0]),
    )
    blocks: list[Block] = []
    current: list = []
    size = 0
    for _, members in teams:
        n = sum(choices.get(e.id, 0) for e in members)
        if current and size + n > per_block:
            blocks.append(_block(len(blocks), current, rank))
            current, size = [], 0
        current.extend(members)
        size += n
    if current:
        blocks.append(_block(len(blocks), current, rank))
    return blocks


def _block(index: int, members: list, rank: dict[EmployeeId, int]) -> Block:
    return Block(
        index=index,
        workplaces=tuple(sorted({e.workplace_id for e in members})),
        employees=tuple(sorted((e.id for e in members), key=rank.__getitem__)),
    )


def shared_sessions(
    instance: Instance, blocks: list[Block], lookups: Lookups | None = None
) -> dict[int, set[SessionId]]:
    """Per block, the sessions that staff outside it may use too."""
    look = lookups_for(instance, lookups)
    staff: dict[WorkplaceId, int] = {}
    for e in instance.employees.values():
        staff[e.workplace_id] = staff.get(e.workplace_id, 0) + 1
    out: dict[int, set[SessionId]] = {}
    for b in blocks:
        mine: dict[WorkplaceId, int] = {}
        for eid in b.employees:
            w = instance.employees[eid].workplace_id
            mine[w] = mine.get(w, 0) + 1
        outside = [w for w, n in staff.items() if n > mine.get(w, 0)]
        own = set().union(
            *(reachable_session_ids(instance, w, look) for w in mine)
        )
        others = set().union(
            *(reachable_session_ids(instance, w, look) for w in outside)
        )
        out[b.index] = own & others
    return out


def reserved_by(
    instance: Instance, appointments: Iterable[Appointment]
) -> Reserved:
    """The capacity a set of appointments takes."""
    slots: dict[tuple[SessionId, int], int] = {}
    doses: dict[SessionId, int] = {}
    ends: dict[SessionId, list[int]] = {}
    for a in appointments:
        slots[a.session_id, a.slot_start] = (
            slots.get((a.session_id, a.slot_start), 0) + 1
        )
        if a.service is Service.VACCINATION:
            doses[a.session_id] = doses.get(a.session_id, 0) + 1
            ends.setdefault(a.session_id, []).append(a.slot_end)
    return Reserved(
        slots=slots,
        doses=doses,
        jab_ends={k: tuple(sorted(v)) for k, v in ends.items()},
    )


def block_instance(
    instance: Instance, block: Block, reserved: Reserved
) -> Instance:
    """The drive as one block sees it: its staff, the others' use."""
    keep = set(block.employees)
    return replace(
        instance,
        employees={k: instance.employees[k] for k in block.employees},
        absences=tuple(a for a in instance.absences if a.employee_id in keep),
        duty=tuple(d for d in instance.duty if d.employee_id in keep),
        bookings=tuple(b for b in instance.bookings if b.employee_id in keep),
        reserved=reserved,
    )


def block_needs(needs: Needs, block: Block) -> Needs:
    """The needs of a block's staff, in employee order."""
    ids = block.employees
    return Needs(
        vaccination={
            k: needs.vaccination[k] for k in ids if k in needs.vaccination
        },
        tests={k: needs.tests[k] for k in ids if k in needs.tests},
        exempt={k: needs.exempt[k] for k in ids if k in needs.exempt},
        met_before={
            k: needs.met_before[k] for k in ids if k in needs.met_before
        },
    )
