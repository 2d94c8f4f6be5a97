"""Blocks: a large drive cut into parts that are solved one at a time.

A block is a set of whole workplaces, and so of whole teams: team
continuity (rule 7), side-effect spreading (rule 8) and the workplace
target tie-break stay inside one block. Blocks meet only where they share
a session (rule 1's capacity), so a block is solved with what the other
blocks' current appointments leave free (``Instance.reserved``): whatever
the block's solve returns keeps the whole drive valid.

Nothing here knows the solver; ``scheduler/model/blockwise.py`` drives it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from scheduler.domain import (
    EmployeeId,
    Instance,
    Reserved,
    Service,
    SessionId,
    WorkplaceId,
)
from scheduler.needs import Needs
from scheduler.solution import Appointment

#: Staff per block: below this a drive is solved whole. Measured in
#: benchmarks/: one CP-SAT model of up to about this many people still
#: improves on the greedy start within seconds on one core.
BLOCK_STAFF = 2000


@dataclass(frozen=True, slots=True)
class Block:
    index: int
    workplaces: tuple[WorkplaceId, ...]
    employees: frozenset[EmployeeId]

    @property
    def size(self) -> int:
        return len(self.employees)


def plan_blocks(
    instance: Instance, staff_per_block: int = BLOCK_STAFF
) -> list[Block]:
    """Whole workplaces packed into blocks of about ``staff_per_block``.

    Workplaces that share a team always share a block. A block grows by
    the workplace that can use the most of its sessions, so neighbours
    that compete for the same community centres are solved together.
    """
    groups = _workplace_groups(instance)
    staff: dict[WorkplaceId, int] = {}
    for e in instance.employees.values():
        staff[e.workplace_id] = staff.get(e.workplace_id, 0) + 1
    reach = _reachable_sessions(instance)

    def size(g: tuple[WorkplaceId, ...]) -> int:
        return sum(staff.get(w, 0) for w in g)

    def sessions(g: tuple[WorkplaceId, ...]) -> set[SessionId]:
        return set().union(*(reach.get(w, set()) for w in g))

    left = sorted(groups, key=lambda g: (-size(g), g))
    blocks: list[tuple[WorkplaceId, ...]] = []
    while left:
        current = list(left.pop(0))
        total, mine = size(tuple(current)), sessions(tuple(current))
        while left and total < staff_per_block:
            fits = [g for g in left if total + size(g) <= staff_per_block]
            if not fits:
                break
            best = max(fits, key=lambda g: (len(sessions(g) & mine), -size(g)))
            left.remove(best)
            current.extend(best)
            total += size(best)
            mine |= sessions(best)
        blocks.append(tuple(sorted(current)))
    members: dict[WorkplaceId, list[EmployeeId]] = {}
    for e in instance.employees.values():
        members.setdefault(e.workplace_id, []).append(e.id)
    blocks.sort()
    return [
        Block(
            index=i,
            workplaces=ws,
            employees=frozenset(e for w in ws for e in members.get(w, [])),
        )
        for i, ws in enumerate(blocks)
    ]


def _workplace_groups(instance: Instance) -> list[tuple[WorkplaceId, ...]]:
    """Workplaces joined whenever one team has members in several."""
    parent = {w: w for w in instance.workplaces}

    def find(w: WorkplaceId) -> WorkplaceId:
        while parent[w] != w:
            parent[w] = parent[parent[w]]
            w = parent[w]
        return w

    for members in instance.teams().values():
        first = find(members[0].workplace_id)
        for e in members[1:]:
            other = find(e.workplace_id)
            if other != first:
                parent[max(first, other)] = min(first, other)
                first = min(first, other)
    out: dict[WorkplaceId, list[WorkplaceId]] = {}
    for w in sorted(instance.workplaces):
        out.setdefault(find(w), []).append(w)
    return [tuple(ws) for ws in out.values()]


def _reachable_sessions(
    instance: Instance,
) -> dict[WorkplaceId, set[SessionId]]:
    out: dict[WorkplaceId, set[SessionId]] = {}
    for w in instance.workplaces:
        out[w] = {
            s.id
            for s in instance.horizon_sessions()
            if s.open_to(w)
            and instance.travel_minutes(w, s.site_id) is not None
        }
    return out


def shared_sessions(
    instance: Instance, blocks: list[Block]
) -> dict[int, set[SessionId]]:
    """Per block, the sessions that staff outside it may use too."""
    reach = _reachable_sessions(instance)
    staff: dict[WorkplaceId, int] = {}
    for e in instance.employees.values():
        staff[e.workplace_id] = staff.get(e.workplace_id, 0) + 1
    out: dict[int, set[SessionId]] = {}
    for b in blocks:
        mine = set().union(*(reach.get(w, set()) for w in b.workplaces))
        others = set().union(
            *(
                reach[w]
                for w in instance.workplaces
                if w not in b.workplaces and staff.get(w)
            )
        )
        out[b.index] = mine & others
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
    keep = block.employees
    return replace(
        instance,
        employees={k: e for k, e in instance.employees.items() if k in keep},
        absences=tuple(a for a in instance.absences if a.employee_id in keep),
        duty=tuple(d for d in instance.duty if d.employee_id in keep),
        bookings=tuple(b for b in instance.bookings if b.employee_id in keep),
        reserved=reserved,
        _cache={},
    )


def block_needs(needs: Needs, block: Block) -> Needs:
    keep = block.employees
    return Needs(
        vaccination={k: n for k, n in needs.vaccination.items() if k in keep},
        tests={k: n for k, n in needs.tests.items() if k in keep},
        exempt={k: n for k, n in needs.exempt.items() if k in keep},
    )
