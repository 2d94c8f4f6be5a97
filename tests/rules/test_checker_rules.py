"""Every check of ``CHECKS`` on hand-made schedules.

Each scene is a small drive with two schedules written out as
appointments: a valid one, in which no check finds anything, and a broken
one, in which the checker finds exactly one violation, of the scene's
rule, naming exactly the people who break it. Where a rule has a limit,
the valid schedule sits on it and the broken one one step past it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

import pytest

from scheduler.check.checker import CHECKS, check_solution
from scheduler.core.domain import (
    Absence,
    Booking,
    BookingStatus,
    Instance,
    Service,
    SiteKind,
)
from scheduler.core.rules import Rule
from scheduler.core.solution import Appointment, Solution
from scheduler.prepare.needs import compute_needs
from tests.factories import (
    make_appointment,
    make_employee,
    make_instance,
    make_product,
    make_session,
    make_site,
)
from tests.rules.cases import (
    EARLY,
    LAB_SCREEN,
    NIGHT,
    SCREEN,
    day,
    loners,
    pair_with_quiet,
    swab_session,
    team,
)

if TYPE_CHECKING:
    from collections.abc import Callable


class Scene(NamedTuple):
    instance: Instance
    valid: list[Appointment]
    broken: list[Appointment]
    #: Who the one violation of ``broken`` names.
    who: set[str]


SCENES: list = []


def scene(rule: Rule, what: str):
    """Register a scene builder under the test id ``<rule>-<what>``."""

    def register(build: Callable[[], Scene]) -> Callable[[], Scene]:
        SCENES.append(pytest.param(rule, build, id=f"{rule.value}-{what}"))
        return build

    return register


def at(inst: Instance, sid: str, eid: str, slot: int = 0, **kw):
    """``eid`` in the ``slot``-th slot of session ``sid``, with the
    travel from their building."""
    s = inst.sessions[sid]
    e = inst.employees[eid]
    kw.setdefault(
        "travel_minutes", inst.travel_minutes(e.workplace_id, s.site_id)
    )
    return make_appointment(s, eid, slot=slot, **kw)


# -- rule 1: capacity -------------------------------------------------------


@scene(Rule.CAPACITY, "slot")
def _():
    inst = make_instance(
        employees=loners(3),
        sessions=[make_session("S1", end=570, capacity_per_slot=2)],
    )
    two = [at(inst, "S1", e) for e in ("E1", "E2")]
    return Scene(inst, two, [*two, at(inst, "S1", "E3")], {"E1", "E2", "E3"})


@scene(Rule.CAPACITY, "dose-supply")
def _():
    inst = make_instance(
        employees=loners(3), sessions=[make_session("S1", doses_available=2)]
    )
    two = [at(inst, "S1", "E1", 0), at(inst, "S1", "E2", 1)]
    three = [*two, at(inst, "S1", "E3", 2)]
    return Scene(inst, two, three, {"E1", "E2", "E3"})


@scene(Rule.CAPACITY, "observation-seats")
def _():
    # 15-minute slots, 30 minutes' observation, one seat.
    inst = make_instance(
        employees=loners(2),
        sessions=[
            make_session("S1", end=600, slot_minutes=15, observation_seats=1)
        ],
    )
    first = at(inst, "S1", "E1", 0)  # sits 09:15-09:45
    return Scene(
        inst,
        [first, at(inst, "S1", "E2", 2)],  # sits from 09:45
        [first, at(inst, "S1", "E2", 1)],  # sits from 09:30
        {"E1", "E2"},
    )


@scene(Rule.CAPACITY, "no-such-slot")
def _():
    inst = make_instance(employees=loners(1), sessions=[make_session("S1")])
    ok = at(inst, "S1", "E1")
    return Scene(
        inst, [ok], [replace(ok, slot_start=545, slot_end=575)], {"E1"}
    )


# -- rule 2: service and product -------------------------------------------

OTHER = make_product("Other", min_interval_days=14, max_interval_days=56)


@scene(Rule.SERVICE_AND_PRODUCT, "age-limit")
def _():
    inst = make_instance(
        employees=[make_employee("E1", age=65)],
        products=[make_product(max_age=59), OTHER],
        sessions=[
            make_session("S1"),
            make_session("S2", date=day(1), product="Other"),
        ],
    )
    return Scene(inst, [at(inst, "S2", "E1")], [at(inst, "S1", "E1")], {"E1"})


@scene(Rule.SERVICE_AND_PRODUCT, "series-product")
def _():
    inst = make_instance(
        employees=[
            make_employee("E1", doses_received=1, last_dose_date=day(-30))
        ],
        products=[make_product(), OTHER],
        sessions=[
            make_session("S1"),
            make_session("S2", date=day(1), product="Other"),
        ],
    )
    return Scene(
        inst,
        [at(inst, "S1", "E1", dose="2")],
        [at(inst, "S2", "E1", dose="2")],
        {"E1"},
    )


@scene(Rule.SERVICE_AND_PRODUCT, "test-in-vaccination-session")
def _():
    inst = make_instance(
        employees=[make_employee("E1", exemption="medical")],
        sessions=[make_session("V1"), swab_session("T1", date=day(1))],
        test_requirements=(SCREEN,),
    )
    swab_in_v1 = replace(
        at(inst, "V1", "E1"),
        service=Service.NUCLEIC_TEST,
        product=None,
        dose=None,
    )
    return Scene(inst, [at(inst, "T1", "E1")], [swab_in_v1], {"E1"})


# -- rule 3: reach ----------------------------------------------------------


def _reach() -> Instance:
    # E1 of W1, E2 of W2; the community centre is 20 minutes from W1
    # only; S3 is open to W2 only.
    return make_instance(
        employees=[
            make_employee("E1", department="D1"),
            make_employee("E2", department="D2", workplace_id="W2"),
        ],
        sites=[make_site(), make_site("CHC", kind=SiteKind.COMMUNITY)],
        travel={("W1", "CHC"): 20},
        sessions=[
            make_session("S1"),
            make_session("S2", site_id="CHC", date=day(1)),
            make_session("S3", date=day(2), workplaces=frozenset({"W2"})),
        ],
    )


@scene(Rule.REACH, "no-travel-row")
def _():
    inst = _reach()
    # W2 has no travel row to SITE1 (W1's building).
    e2 = make_appointment(inst.sessions["S1"], "E2")
    return Scene(inst, [at(inst, "S1", "E1")], [e2], {"E2"})


@scene(Rule.REACH, "session-closed")
def _():
    inst = _reach()
    return Scene(inst, [at(inst, "S1", "E1")], [at(inst, "S3", "E1")], {"E1"})


@scene(Rule.REACH, "travel-minutes")
def _():
    inst = _reach()
    # The 09:30 slot: 09:10 to 10:20 away with travel, inside duty.
    right = at(inst, "S2", "E1", 1)
    return Scene(inst, [right], [replace(right, travel_minutes=0)], {"E1"})


# -- rule 4: availability ---------------------------------------------------


@scene(Rule.AVAILABILITY, "absence")
def _():
    inst = make_instance(
        employees=loners(1),
        sessions=[make_session("S1"), make_session("S2", date=day(1))],
        absences=(
            Absence(employee_id="E1", start_date=day(0), end_date=day(0)),
        ),
    )
    return Scene(inst, [at(inst, "S2", "E1")], [at(inst, "S1", "E1")], {"E1"})


@scene(Rule.AVAILABILITY, "observation-past-duty-end")
def _():
    # Office hours end at 18:00: the 17:00 jab's observation ends then
    # exactly; the 17:30 jab's at 18:30.
    inst = make_instance(
        employees=loners(1),
        sessions=[make_session("S1", start=1020, end=1080)],
    )
    return Scene(
        inst, [at(inst, "S1", "E1", 0)], [at(inst, "S1", "E1", 1)], {"E1"}
    )


@scene(Rule.AVAILABILITY, "night-shift")
def _():
    inst = make_instance(
        employees=loners(1, shift_pattern="night"),
        patterns=[NIGHT],
        sessions=[
            make_session("S1"),
            make_session("S2", start=1380, end=1410),
        ],
    )
    return Scene(inst, [at(inst, "S2", "E1")], [at(inst, "S1", "E1")], {"E1"})


# -- rule 5: one place at a time --------------------------------------------


@scene(Rule.ONE_PLACE_AT_A_TIME, "same-day")
def _():
    # A test at the community centre 10:00-10:30 keeps E1 away from 09:45
    # to 10:45; jabs in 15-minute slots at W1 from 10:00.
    inst = make_instance(
        employees=pair_with_quiet(),
        sites=[make_site(), make_site("CHC", kind=SiteKind.COMMUNITY)],
        travel={("W1", "CHC"): 15},
        sessions=[
            swab_session("T1", site_id="CHC", start=600, end=630),
            make_session("V1", start=600, end=690, slot_minutes=15),
        ],
        test_requirements=(LAB_SCREEN,),
        settings={"team_away_max_share": 1},
    )
    swab = at(inst, "T1", "E1")
    return Scene(
        inst,
        [swab, at(inst, "V1", "E1", 3)],  # 10:45: away as the test ends
        [swab, at(inst, "V1", "E1", 2)],  # 10:30
        {"E1"},
    )


@scene(Rule.ONE_PLACE_AT_A_TIME, "across-midnight")
def _():
    inst = make_instance(
        employees=pair_with_quiet(shift_pattern="night"),
        patterns=[NIGHT],
        sites=[make_site(), make_site("CHC", kind=SiteKind.COMMUNITY)],
        travel={("W1", "CHC"): 15},
        sessions=[
            swab_session("T1", site_id="CHC", start=1410, end=1440),
            make_session("V1", date=day(1), start=0, end=60),
        ],
        test_requirements=(LAB_SCREEN,),
        settings={"team_away_max_share": 1},
    )
    swab = at(inst, "T1", "E1")  # away until 00:15
    return Scene(
        inst,
        [swab, at(inst, "V1", "E1", 1)],
        [swab, at(inst, "V1", "E1", 0)],
        {"E1"},
    )


# -- rule 6: dose intervals -------------------------------------------------


def _intervals(employees) -> Instance:
    """CoronaVac 14 to 20 days apart; sessions D0, D1, D13, D14, D20 and
    D21 on those days of a 22-day horizon (all weekdays)."""
    return make_instance(
        employees=employees,
        products=[make_product(min_interval_days=14, max_interval_days=20)],
        sessions=[
            make_session(f"D{d}", date=day(d), capacity_per_slot=2)
            for d in (0, 1, 13, 14, 20, 21)
        ],
        settings={"horizon_end": day(21)},
    )


@scene(Rule.DOSE_INTERVALS, "min-days")
def _():
    inst = _intervals(loners(1))
    first = at(inst, "D0", "E1")
    return Scene(
        inst,
        [first, at(inst, "D14", "E1", dose="2")],
        [first, at(inst, "D13", "E1", dose="2")],
        {"E1"},
    )


@scene(Rule.DOSE_INTERVALS, "max-days")
def _():
    inst = _intervals(loners(1))
    first = at(inst, "D0", "E1")
    return Scene(
        inst,
        [first, at(inst, "D20", "E1", dose="2")],
        [first, at(inst, "D21", "E1", dose="2")],
        {"E1"},
    )


@scene(Rule.DOSE_INTERVALS, "after-recorded-dose")
def _():
    # E1's last dose 13 days before the horizon; E2's 100 days before
    # (overdue: the maximum binds doses booked in the run only).
    inst = _intervals(
        [
            make_employee(
                "E1",
                department="D1",
                doses_received=1,
                last_dose_date=day(-13),
            ),
            make_employee(
                "E2",
                department="D2",
                doses_received=1,
                last_dose_date=day(-100),
            ),
        ]
    )
    e2 = at(inst, "D0", "E2", dose="2")
    return Scene(
        inst,
        [at(inst, "D1", "E1", dose="2"), e2],
        [at(inst, "D0", "E1", dose="2"), e2],
        {"E1"},
    )


@scene(Rule.DOSE_INTERVALS, "booster-wait")
def _():
    inst = _intervals(
        [make_employee("E1", doses_received=2, last_dose_date=day(-179))]
    )
    return Scene(
        inst,
        [at(inst, "D1", "E1", dose="booster")],  # 180 days: exactly
        [at(inst, "D0", "E1", dose="booster")],
        {"E1"},
    )


# -- rule 7: team continuity ------------------------------------------------


def _team_tests(employees, share: float = 0.25, **kw) -> Instance:
    return make_instance(
        employees=employees,
        sessions=[swab_session("T1", end=600, capacity_per_slot=4)],
        test_requirements=(SCREEN,),
        settings={"team_away_max_share": share},
        **kw,
    )


@scene(Rule.TEAM_CONTINUITY, "limit-2-exactly")
def _():
    inst = _team_tests(team(8))  # 0.25 × 8 = 2
    two = [at(inst, "T1", e, 0) for e in ("E1", "E2")]
    later = [at(inst, "T1", e, 1) for e in ("E3", "E4")]
    return Scene(
        inst,
        [*two, *later],
        [*two, at(inst, "T1", "E3", 0)],
        {"E1", "E2", "E3"},
    )


@scene(Rule.TEAM_CONTINUITY, "at-least-1")
def _():
    inst = _team_tests(team(3))  # ⌊0.75⌋ = 0, but one may always go
    e1 = at(inst, "T1", "E1", 0)
    return Scene(
        inst,
        [e1, at(inst, "T1", "E2", 1)],  # back to back
        [e1, at(inst, "T1", "E2", 0)],
        {"E1", "E2"},
    )


@scene(Rule.TEAM_CONTINUITY, "on-duty-falls")
def _():
    # Eight on duty until 09:45 (limit 2), four after (limit 1).
    inst = _team_tests(
        [*team(4), *team(4, first=5, shift_pattern="early")],
        patterns=[EARLY],
    )
    return Scene(
        inst,
        [at(inst, "T1", e, 0) for e in ("E1", "E2")],
        [at(inst, "T1", e, 1) for e in ("E1", "E2")],
        {"E1", "E2"},
    )


# -- rule 8: side-effect spreading ------------------------------------------


def _jabs(n: int) -> Instance:
    return make_instance(
        employees=team(n),
        sessions=[
            make_session("V1", end=600, capacity_per_slot=4),
            make_session("V2", date=day(1), end=600, capacity_per_slot=4),
        ],
        settings={"team_away_max_share": 1},
    )


@scene(Rule.SIDE_EFFECT_SPREADING, "limit-2-exactly")
def _():
    inst = _jabs(4)  # 0.5 × 4 = 2
    day0 = [at(inst, "V1", e) for e in ("E1", "E2")]
    return Scene(
        inst,
        [*day0, *(at(inst, "V2", e) for e in ("E3", "E4"))],
        [*day0, at(inst, "V1", "E3"), at(inst, "V2", "E4")],
        {"E1", "E2", "E3"},
    )


@scene(Rule.SIDE_EFFECT_SPREADING, "at-least-1")
def _():
    inst = _jabs(3)  # ⌊0.5 × 3⌋ = 1
    e1 = at(inst, "V1", "E1")
    return Scene(
        inst,
        [e1, at(inst, "V2", "E2")],
        [e1, at(inst, "V1", "E2", 1)],
        {"E1", "E2"},
    )


# -- rule 9: pinned bookings ------------------------------------------------


def _pinned() -> Instance:
    """E1 pinned into S2 at 11:00; a cancelled pin and a pin after the
    horizon bind nothing."""
    return make_instance(
        employees=loners(1),
        sessions=[
            make_session("S1"),
            make_session("S2", date=day(1)),
            make_session("S9", date=day(20)),
        ],
        bookings=(
            Booking(
                employee_id="E1", session_id="S2", slot_start=660, pinned=True
            ),
            Booking(
                employee_id="E1",
                session_id="S1",
                slot_start=600,
                pinned=True,
                status=BookingStatus.CANCELLED,
            ),
            Booking(
                employee_id="E1", session_id="S9", slot_start=540, pinned=True
            ),
        ),
    )


for _what, _broken in [
    ("other-session", ("S1", 0)),
    ("other-slot", ("S2", 0)),
    ("dropped", None),
]:

    def _build(broken=_broken) -> Scene:
        inst = _pinned()
        bad = [] if broken is None else [at(inst, broken[0], "E1", broken[1])]
        return Scene(inst, [at(inst, "S2", "E1", 4)], bad, {"E1"})

    scene(Rule.PINNED_BOOKINGS, _what)(_build)


# -- rule 10: need ----------------------------------------------------------


@scene(Rule.NEED, "exempt")
def _():
    inst = make_instance(
        employees=[
            make_employee("E1", department="D1", exemption="medical"),
            make_employee("E2", department="D2"),
        ],
        sessions=[make_session("S1")],
    )
    return Scene(inst, [at(inst, "S1", "E2")], [at(inst, "S1", "E1")], {"E1"})


@scene(Rule.NEED, "no-test-requirement")
def _():
    inst = make_instance(
        employees=[
            make_employee("E1", department="D1", role="lab"),
            make_employee("E2", department="D2"),
        ],
        sessions=[swab_session("T1")],
        test_requirements=(LAB_SCREEN,),
    )
    return Scene(inst, [at(inst, "T1", "E1")], [at(inst, "T1", "E2")], {"E2"})


@scene(Rule.NEED, "dose-number")
def _():
    inst = make_instance(employees=loners(1), sessions=[make_session("S1")])
    return Scene(
        inst,
        [at(inst, "S1", "E1", dose="1")],
        [at(inst, "S1", "E1", dose="2")],  # no dose 1 recorded
        {"E1"},
    )


# -- rule 11: no swab right after a jab -------------------------------------


@scene(Rule.NO_SWAB_AFTER_JAB, "48-hours-exactly")
def _():
    inst = make_instance(
        employees=loners(1),
        sessions=[
            make_session("V1", start=600, end=630),
            swab_session("T1", date=day(2), start=600, end=630),
            swab_session(
                "T2", date=day(2), start=599, end=600, slot_minutes=1
            ),
        ],
        test_requirements=(SCREEN,),
    )
    jab = at(inst, "V1", "E1")
    return Scene(
        inst,
        [jab, at(inst, "T1", "E1")],  # 48 hours after the jab's start
        [jab, at(inst, "T2", "E1")],  # 47 h 59 min
        {"E1"},
    )


@scene(Rule.NO_SWAB_AFTER_JAB, "test-first-same-day")
def _():
    inst = make_instance(
        employees=loners(1),
        sessions=[
            make_session("V1", start=840, end=870),
            swab_session("T1", start=540, end=570),
            swab_session("T2", start=960, end=990),
        ],
        test_requirements=(SCREEN,),
    )
    jab = at(inst, "V1", "E1")  # 14:00
    return Scene(
        inst,
        [at(inst, "T1", "E1"), jab],  # test at 09:00, then the jab
        [jab, at(inst, "T2", "E1")],  # test at 16:00, after it
        {"E1"},
    )


# -- the tests --------------------------------------------------------------


def test_every_check_has_scenes():
    assert {p.values[0] for p in SCENES} == set(CHECKS)


@pytest.mark.parametrize(("rule", "build"), SCENES)
def test_a_valid_schedule_breaks_no_rule(rule: Rule, build):
    inst, valid, _, _ = build()
    needs = compute_needs(inst)
    sol = Solution(appointments=tuple(valid))
    assert CHECKS[rule](inst, needs, sol) == []
    assert check_solution(inst, needs, sol) == []


@pytest.mark.parametrize(("rule", "build"), SCENES)
def test_a_broken_schedule_breaks_exactly_its_rule(rule: Rule, build):
    inst, _, broken, who = build()
    needs = compute_needs(inst)
    sol = Solution(appointments=tuple(broken))
    found = check_solution(inst, needs, sol)
    assert [(v.rule, set(v.employees)) for v in found] == [(rule, who)]
    assert type(found[0].rule) is Rule
    assert CHECKS[rule](inst, needs, sol) == found
