"""Small drives in which one hard rule decides, shared by the rule tests.

Each builder returns a fresh Instance. People who should not meet the
team rules by accident sit in departments of their own (``loners``); a
team that must tolerate one person's two overlapping appointments gets
a teammate without needs and a share of 1 (``pair_with_quiet``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from scheduler.core.domain import (
    Employee,
    Scope,
    Service,
    Session,
    ShiftPattern,
    TestRequirement,
)
from tests.factories import H0, H1, make_employee, make_session

#: Mass screening over the whole horizon, for everyone.
SCREEN = TestRequirement(
    id="SCREEN", scope=Scope.ALL, window_start=H0, window_end=H1
)
#: The same, for the role ``lab`` only.
LAB_SCREEN = TestRequirement(
    id="LAB",
    scope=Scope.ROLE,
    value="lab",
    window_start=H0,
    window_end=H1,
)

ALL_WEEK = frozenset(range(7))
NIGHT = ShiftPattern(id="night", weekdays=ALL_WEEK, start=1320, end=360)
#: Monday to Friday 06:00-09:45: off duty from 09:45.
EARLY = ShiftPattern(
    id="early", weekdays=frozenset(range(5)), start=360, end=585
)


def day(n: int):
    """The horizon's ``n``-th day (day 0 is Tuesday 2021-06-01)."""
    return H0 + timedelta(days=n)


def loners(n: int, **kw: Any) -> list[Employee]:
    """E1..En, each a team of one (department D1..Dn)."""
    return [
        make_employee(f"E{i}", department=f"D{i}", **kw)
        for i in range(1, n + 1)
    ]


def team(n: int, first: int = 1, **kw: Any) -> list[Employee]:
    """E<first>.. of one team, department Ops."""
    return [make_employee(f"E{i}", **kw) for i in range(first, first + n)]


def pair_with_quiet(**kw: Any) -> list[Employee]:
    """E1 (role ``lab``) and E2, a teammate on the same duty without any
    need (exempt, not ``lab``): with a team share of 1 the team's limit is
    2, so E1's own two appointments never meet rule 7."""
    return [
        make_employee("E1", role="lab", **kw),
        make_employee("E2", exemption="medical", **kw),
    ]


def swab_session(id: str, **kw: Any) -> Session:
    """A nucleic-test session (make_session's defaults otherwise)."""
    return make_session(id, service=Service.NUCLEIC_TEST, **kw)
