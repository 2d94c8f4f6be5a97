"""Every rule of ``HARD_RULES`` on the bare model, with the schedule fixed.

For each case: the model the pipeline solves admits a schedule that keeps
the rule; the rule alone (with ``STRUCTURE``) forbids one that breaks it;
every other rule together admits that breaking schedule, so it is this
rule that binds; and the checker judges both schedules the same way.
Cases at a rule's limit keep it exactly there and break it by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from scheduler.check.checker import check_solution
from scheduler.core.domain import Booking, Instance, Reserved, SiteKind
from scheduler.core.rules import Rule
from scheduler.model.constraints import HARD_RULES
from scheduler.prepare.needs import compute_needs
from tests.factories import (
    make_instance,
    make_product,
    make_session,
    make_site,
)
from tests.rules.bare import Pick, admits, as_solution, jab, swab
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
    from collections.abc import Callable, Iterable

ADMITTED = {"OPTIMAL", "FEASIBLE"}


@dataclass(frozen=True)
class Case:
    rule: Rule
    what: str
    instance: Callable[[], Instance]
    keeps: tuple[Pick, ...]
    breaks: tuple[Pick, ...]
    #: The rules the checker finds broken by ``breaks``; None where the
    #: checker cannot judge the case (capacity used outside the instance).
    checker: frozenset[Rule] | None

    @property
    def id(self) -> str:
        return f"{self.rule.value}-{self.what}"


def case(
    rule: Rule,
    what: str,
    instance: Callable[[], Instance],
    keeps: Iterable[Pick],
    breaks: Iterable[Pick],
    checker: Iterable[Rule] = (),
    judged: bool = True,
) -> Case:
    """A Case whose breaking schedule the checker finds breaking ``rule``
    (or, where the checker files it elsewhere, the rules ``checker``)."""
    found = frozenset(checker or (rule,)) if judged else None
    return Case(rule, what, instance, tuple(keeps), tuple(breaks), found)


# -- rule 1: capacity -------------------------------------------------------


def _capacity_slot() -> Instance:
    # Three teams of one, so three slot groups share the slot: the slot
    # counts' own bounds (at most the capacity per group) do not decide.
    return make_instance(
        employees=loners(3),
        sessions=[make_session("S1", end=570, capacity_per_slot=2)],
    )


def _capacity_doses() -> Instance:
    return make_instance(
        employees=loners(3),
        sessions=[make_session("S1", doses_available=2)],
    )


def _capacity_observation() -> Instance:
    # 15-minute slots, 30 minutes' observation, one seat: a jab at 09:00
    # sits until 09:45, when the 09:30 jab sits down (half-open: fine);
    # the 09:15 jab sits down at 09:30, while the first still sits.
    return make_instance(
        employees=loners(2),
        sessions=[
            make_session("S1", end=600, slot_minutes=15, observation_seats=1)
        ],
    )


def _capacity_reserved() -> Instance:
    # A block of a larger drive: one of the slot's two places is taken by
    # someone outside the instance.
    return make_instance(
        employees=loners(2),
        sessions=[make_session("S1", end=570, capacity_per_slot=2)],
        reserved=Reserved(slots={("S1", 540): 1}),
    )


CAPACITY = [
    case(
        Rule.CAPACITY,
        "slot",
        _capacity_slot,
        keeps=[jab("E1", "S1", 540), jab("E2", "S1", 540)],
        breaks=[jab(f"E{i}", "S1", 540) for i in (1, 2, 3)],
    ),
    case(
        Rule.CAPACITY,
        "dose-supply",
        _capacity_doses,
        keeps=[jab("E1", "S1", 540), jab("E2", "S1", 570)],
        breaks=[
            jab("E1", "S1", 540),
            jab("E2", "S1", 570),
            jab("E3", "S1", 600),
        ],
    ),
    case(
        Rule.CAPACITY,
        "observation-seats",
        _capacity_observation,
        keeps=[jab("E1", "S1", 540), jab("E2", "S1", 570)],
        breaks=[jab("E1", "S1", 540), jab("E2", "S1", 555)],
    ),
    case(
        Rule.CAPACITY,
        "reserved-places",
        _capacity_reserved,
        keeps=[jab("E1", "S1", 540)],
        breaks=[jab("E1", "S1", 540), jab("E2", "S1", 540)],
        judged=False,  # the checker sees whole drives, never a block
    ),
]


# -- rule 5: one place at a time --------------------------------------------


def _one_place_same_day() -> Instance:
    return make_instance(
        employees=pair_with_quiet(),
        sites=[make_site("SITE1"), make_site("SITE2")],
        sessions=[
            swab_session("T1", end=570),
            swab_session("T2", site_id="SITE2", end=570),
        ],
        test_requirements=(LAB_SCREEN,),
        settings={"team_away_max_share": 1},
    )


def _one_place_midnight() -> Instance:
    # Night shift 22:00-06:00. A test at the community centre 23:30-24:00
    # (15 minutes' travel) keeps E1 away until 00:15; a jab at 00:00 on
    # the next day starts away at 00:00, one at 01:00 after the test.
    return make_instance(
        employees=pair_with_quiet(shift_pattern="night"),
        patterns=[NIGHT],
        sites=[make_site("SITE1"), make_site("CHC", kind=SiteKind.COMMUNITY)],
        travel={("W1", "CHC"): 15},
        sessions=[
            swab_session("T1", site_id="CHC", start=1410, end=1440),
            make_session("V1", date=day(1), start=0, end=30),
            make_session("V2", date=day(1), start=60, end=90),
        ],
        test_requirements=(LAB_SCREEN,),
        settings={"team_away_max_share": 1},
    )


ONE_PLACE = [
    case(
        Rule.ONE_PLACE_AT_A_TIME,
        "same-time",
        _one_place_same_day,
        keeps=[swab("E1", "T1", 540)],
        breaks=[swab("E1", "T1", 540), swab("E1", "T2", 540)],
    ),
    case(
        Rule.ONE_PLACE_AT_A_TIME,
        "across-midnight",
        _one_place_midnight,
        keeps=[swab("E1", "T1", 1410), jab("E1", "V2", 60)],
        breaks=[swab("E1", "T1", 1410), jab("E1", "V1", 0)],
    ),
]


# -- rule 6: dose intervals -------------------------------------------------


def _intervals(*extra_products) -> Callable[[], Instance]:
    """CoronaVac 14 to 20 days apart; vaccination sessions on days 0, 1,
    14, 20 and 21 (D0 …), all weekdays; another product (``O14``) on day
    14 when one is given."""

    def build() -> Instance:
        products = [
            make_product(min_interval_days=14, max_interval_days=20),
            *extra_products,
        ]
        sessions = [
            make_session(f"D{d}", date=day(d)) for d in (0, 1, 14, 20, 21)
        ]
        sessions += [
            make_session("O14", date=day(14), product=p.name)
            for p in extra_products
        ]
        return make_instance(
            employees=loners(1),
            products=products,
            sessions=sessions,
            settings={"horizon_end": day(21)},
        )

    return build


OTHER = make_product("Other", min_interval_days=14, max_interval_days=20)

DOSE_INTERVALS = [
    case(
        Rule.DOSE_INTERVALS,
        "min-days-exactly",
        _intervals(),
        keeps=[jab("E1", "D0", 540), jab("E1", "D14", 540, k=1)],
        breaks=[jab("E1", "D1", 540), jab("E1", "D14", 540, k=1)],
    ),
    case(
        Rule.DOSE_INTERVALS,
        "max-days-exactly",
        _intervals(),
        keeps=[jab("E1", "D0", 540), jab("E1", "D20", 540, k=1)],
        breaks=[jab("E1", "D0", 540), jab("E1", "D21", 540, k=1)],
    ),
    case(
        Rule.DOSE_INTERVALS,
        "same-product",
        _intervals(OTHER),
        keeps=[jab("E1", "D0", 540), jab("E1", "D14", 540, k=1)],
        breaks=[jab("E1", "D0", 540), jab("E1", "O14", 540, k=1)],
        checker=[Rule.SERVICE_AND_PRODUCT],  # one series, two products
    ),
    case(
        Rule.DOSE_INTERVALS,
        "in-order",
        _intervals(),
        keeps=[jab("E1", "D0", 540)],
        breaks=[jab("E1", "D14", 540, k=1)],
        checker=[Rule.NEED],  # a dose 2 for someone who had none
    ),
    case(
        Rule.DOSE_INTERVALS,
        "one-session-per-dose",
        _intervals(),
        keeps=[jab("E1", "D0", 540)],
        breaks=[jab("E1", "D0", 540), jab("E1", "D1", 540)],
        checker=[Rule.DOSE_INTERVALS, Rule.NEED],  # dose 1 twice, 1 day
    ),
]


# -- rule 7: team continuity ------------------------------------------------


def _team_tests(n: int, share: float = 0.25, **kw) -> Callable[[], Instance]:
    """A team of ``n`` (E1..), a test session 09:00-10:00 with room for
    four a slot, everyone screened."""

    def build() -> Instance:
        return make_instance(
            employees=team(n),
            sessions=[swab_session("T1", end=600, capacity_per_slot=4)],
            test_requirements=(SCREEN,),
            settings={"team_away_max_share": share},
            **kw,
        )

    return build


def _team_duty_ends() -> Instance:
    # Eight on duty at 09:00 (limit 2); E5..E8 go off duty at 09:45, so
    # from then on four are on duty (limit 1).
    return make_instance(
        employees=[*team(4), *team(4, first=5, shift_pattern="early")],
        patterns=[EARLY],
        sessions=[swab_session("T1", end=600, capacity_per_slot=4)],
        test_requirements=(SCREEN,),
    )


TEAM = [
    case(
        Rule.TEAM_CONTINUITY,
        "limit-1-back-to-back",
        _team_tests(4),  # 0.25 × 4 = 1
        keeps=[swab("E1", "T1", 540), swab("E2", "T1", 570)],
        breaks=[swab("E1", "T1", 540), swab("E2", "T1", 540)],
    ),
    case(
        Rule.TEAM_CONTINUITY,
        "limit-2-exactly",
        _team_tests(8),  # 0.25 × 8 = 2
        keeps=[
            swab("E1", "T1", 540),
            swab("E2", "T1", 540),
            swab("E3", "T1", 570),
            swab("E4", "T1", 570),
        ],
        breaks=[swab(f"E{i}", "T1", 540) for i in (1, 2, 3)],
    ),
    case(
        Rule.TEAM_CONTINUITY,
        "at-least-1",
        _team_tests(3),  # ⌊0.25 × 3⌋ = 0, but one may always go
        keeps=[swab("E1", "T1", 540), swab("E2", "T1", 570)],
        breaks=[swab("E1", "T1", 540), swab("E2", "T1", 540)],
    ),
    case(
        Rule.TEAM_CONTINUITY,
        "on-duty-falls",
        _team_duty_ends,
        keeps=[swab("E1", "T1", 540), swab("E2", "T1", 540)],
        breaks=[swab("E1", "T1", 570), swab("E2", "T1", 570)],
    ),
]


# -- rule 8: side-effect spreading ------------------------------------------


def _jabs_per_day(n: int) -> Callable[[], Instance]:
    """A team of ``n`` (share 0.5), vaccination sessions on days 0 (V1)
    and 1 (V2) with room for all; rule 7 out of the way."""

    def build() -> Instance:
        return make_instance(
            employees=team(n),
            sessions=[
                make_session("V1", end=600, capacity_per_slot=4),
                make_session("V2", date=day(1), end=600, capacity_per_slot=4),
            ],
            settings={"team_away_max_share": 1},
        )

    return build


SIDE_EFFECTS = [
    case(
        Rule.SIDE_EFFECT_SPREADING,
        "limit-2-exactly",
        _jabs_per_day(4),  # 0.5 × 4 = 2
        keeps=[jab(e, "V1", 540) for e in ("E1", "E2")]
        + [jab(e, "V2", 540) for e in ("E3", "E4")],
        breaks=[jab(e, "V1", 540) for e in ("E1", "E2", "E3")]
        + [jab("E4", "V2", 540)],
    ),
    case(
        Rule.SIDE_EFFECT_SPREADING,
        "at-least-1",
        _jabs_per_day(3),  # ⌊0.5 × 3⌋ = 1
        keeps=[jab("E1", "V1", 540), jab("E2", "V2", 540)],
        breaks=[jab("E1", "V1", 540), jab("E2", "V1", 570)],
    ),
]


# -- rule 9: pinned bookings ------------------------------------------------


def _pinned() -> Instance:
    return make_instance(
        employees=loners(1),
        sessions=[make_session("S1"), make_session("S2", date=day(1))],
        bookings=(
            Booking(
                employee_id="E1", session_id="S2", slot_start=660, pinned=True
            ),
        ),
    )


PINNED = [
    case(
        Rule.PINNED_BOOKINGS,
        what,
        _pinned,
        keeps=[jab("E1", "S2", 660)],
        breaks=breaks,
    )
    for what, breaks in [
        ("other-session", [jab("E1", "S1", 540)]),
        ("other-slot", [jab("E1", "S2", 540)]),
        ("dropped", []),
    ]
]


# -- rule 11: no swab right after a jab -------------------------------------


def _blackout() -> Instance:
    # A jab at 10:00 on day 0; tests on day 2 at 10:00 (48 hours later,
    # allowed) and 09:59 (one-minute slots: 47 h 59 min, too soon).
    return make_instance(
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


NO_SWAB = [
    case(
        Rule.NO_SWAB_AFTER_JAB,
        "48-hours-exactly",
        _blackout,
        keeps=[jab("E1", "V1", 600), swab("E1", "T1", 600)],
        breaks=[jab("E1", "V1", 600), swab("E1", "T2", 599)],
    ),
]


CASES = [
    *CAPACITY,
    *ONE_PLACE,
    *DOSE_INTERVALS,
    *TEAM,
    *SIDE_EFFECTS,
    *PINNED,
    *NO_SWAB,
]
ALL = [pytest.param(c, id=c.id) for c in CASES]
JUDGED = [pytest.param(c, id=c.id) for c in CASES if c.checker is not None]


def test_every_model_rule_has_cases():
    assert {c.rule for c in CASES} == set(HARD_RULES)


@pytest.mark.parametrize("c", ALL)
def test_the_model_admits_a_schedule_that_keeps_the_rule(c: Case):
    assert admits(c.instance(), c.keeps) in ADMITTED


@pytest.mark.parametrize("c", ALL)
def test_the_rule_alone_forbids_a_schedule_that_breaks_it(c: Case):
    assert admits(c.instance(), c.breaks, rules=[c.rule]) == "INFEASIBLE"


@pytest.mark.parametrize("c", ALL)
def test_without_the_rule_the_model_admits_the_breaking_schedule(c: Case):
    others = [r for r in HARD_RULES if r is not c.rule]
    assert admits(c.instance(), c.breaks, rules=others) in ADMITTED


@pytest.mark.parametrize("c", JUDGED)
def test_the_checker_judges_both_schedules_alike(c: Case):
    inst = c.instance()
    needs = compute_needs(inst)
    kept = as_solution(inst, needs, c.keeps)
    broken = as_solution(inst, needs, c.breaks)
    assert check_solution(inst, needs, kept) == []
    assert {v.rule for v in check_solution(inst, needs, broken)} == c.checker


def test_a_pinned_booking_that_is_no_option_leaves_no_schedule():
    """Pinned into a session the person cannot reach: the rule alone
    admits nothing (the pipeline stops earlier, naming the booking)."""

    def build() -> Instance:
        inst = _pinned()
        pin = Booking(
            employee_id="E1", session_id="S1", slot_start=540, pinned=True
        )
        return make_instance(
            employees=inst.employees,
            sessions=[
                make_session("S1", workplaces=frozenset({"W2"})),
                make_session("S2", date=day(1)),
            ],
            bookings=(pin,),
        )

    assert admits(build(), [jab("E1", "S2", 540)], rules=[]) in ADMITTED
    for picks in ([], [jab("E1", "S2", 540)]):
        status = admits(build(), picks, rules=[Rule.PINNED_BOOKINGS])
        assert status == "INFEASIBLE"


def test_pinned_bookings_that_keep_rule_11_at_their_slots_leave_a_schedule():
    """The model judges rule 11 per pair of sessions: a jab session with
    slots at 10:00 and 10:30 and a test two days later at 10:00 could
    clash (the 10:30 jab), so it forbids the pair. Pinned at 10:00 and
    10:00 (48 hours apart, which the rule allows), the two must not
    leave the model without a schedule: a re-plan with everything pinned
    fell back to the greedy start so."""

    def build(pinned: bool) -> Instance:
        pins = (
            Booking(
                employee_id="E1", session_id="V1", slot_start=600, pinned=True
            ),
            Booking(
                employee_id="E1", session_id="T1", slot_start=600, pinned=True
            ),
        )
        return make_instance(
            employees=loners(1),
            sessions=[
                make_session("V1", start=600, end=660),
                swab_session("T1", date=day(2), start=600, end=630),
            ],
            test_requirements=(SCREEN,),
            bookings=pins if pinned else (),
        )

    picks = [jab("E1", "V1", 600), swab("E1", "T1", 600)]
    inst = build(pinned=True)
    assert (
        check_solution(
            inst,
            compute_needs(inst),
            as_solution(inst, compute_needs(inst), picks),
        )
        == []
    )
    assert admits(inst, picks) in ADMITTED
    # Unpinned, the model keeps its stricter per-session judgement.
    assert (
        admits(build(pinned=False), picks, rules=[Rule.NO_SWAB_AFTER_JAB])
        == "INFEASIBLE"
    )


def test_pinned_bookings_on_one_day_leave_a_schedule():
    """The model allows one appointment a day, stricter than rule 5 (a
    test at 09:00 and a jab at 11:00 the same day keep every rule). A
    round-1 schedule holds such days (729 people of a 10,000-staff
    drive); pinned, they must not leave the model without a schedule
    (88 of 174 blocks of a re-plan with every booking pinned were
    infeasible so). Nothing else may join such a day."""

    def build(pinned: bool, extra: bool = False) -> Instance:
        pins = (
            Booking(
                employee_id="E1", session_id="V1", slot_start=660, pinned=True
            ),
            Booking(
                employee_id="E1", session_id="T1", slot_start=540, pinned=True
            ),
        )
        sessions = [
            make_session("V1", start=660, end=720),
            swab_session("T1", start=540, end=570),
        ]
        if extra:
            sessions.append(swab_session("T2", start=780, end=810))
        return make_instance(
            employees=loners(1),
            sessions=sessions,
            test_requirements=(SCREEN,),
            bookings=pins if pinned else (),
        )

    picks = [jab("E1", "V1", 660), swab("E1", "T1", 540)]
    inst = build(pinned=True)
    needs = compute_needs(inst)
    assert check_solution(inst, needs, as_solution(inst, needs, picks)) == []
    assert admits(inst, picks) in ADMITTED
    # Unpinned, the model keeps one appointment a day.
    assert (
        admits(build(pinned=False), picks, rules=[Rule.ONE_PLACE_AT_A_TIME])
        == "INFEASIBLE"
    )
    # Beside the pinned pair, a third appointment that day is refused.
    third = [*picks, swab("E1", "T2", 780)]
    assert (
        admits(
            build(pinned=True, extra=True),
            third,
            rules=[Rule.ONE_PLACE_AT_A_TIME],
        )
        == "INFEASIBLE"
    )
