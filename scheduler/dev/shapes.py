"""Shapes of employers for the workbook generator (generate.py).

The generator's model case is one bank's card centre: call-centre teams of
8-15 on 4/2 cycles, office departments, weekly tests for the call centre,
ample capacity. Other employers differ in team sizes, shift work, capacity,
test cadences and dose histories; a benchmark only on the model case says
little about them (issue 18). A :class:`Shape` names what differs;
``SHAPES`` holds the named ones the benchmark suite runs.
"""

from __future__ import annotations

from dataclasses import dataclass

#: History mix of ``_history``, as cumulative shares: unvaccinated, one
#: inactivated dose, two, Ad5-nCoV, part of ZF2001; the rest boosted.
DOSE_MIX = (0.35, 0.60, 0.90, 0.94, 0.97)


@dataclass(frozen=True, slots=True, kw_only=True)
class Shape:
    """What varies between employers; the defaults are the model case.

    Every default leaves the random draws as they were, so a workbook of
    the default shape is byte-identical to one from before shapes existed.

    Parameters
    ----------
    shift_share
        Share of each building's staff in call-centre (shift) departments
        (drawn within ±0.06 of it).
    shift_team, office_team
        Size ranges of call-centre shift teams and of office teams.
    night_share
        Share of shift teams on nights; None: per department (about one in
        five).
    night_hours
        Start and end of the night shift in minutes (``(960, 1440)``: 16:00
        to 24:00; the default 20:00 to 08:00 ends the next morning).
    capacity
        Planned capacity against demand, vaccination and tests (0.6 to 1.3);
        None: the default bands (or ``tight``'s).
    cadences
        ``every_days`` of the call-centre departments' test requirements,
        given to the departments in turn (3, 7, 14 …).
    office_cadence
        ``every_days`` of a test requirement for every office department
        too; None: office staff are tested only in the screening.
    screening_days
        Length of the mass screening window (1 to 3 days; 0: none); None:
        two or three days, drawn.
    observation
        None: three onsite sessions in ten have ample observation seats. A
        share: every vaccination session has that share of its capacity
        per slot as seats (below 1 they bind: with 30 minutes' observation
        and 30-minute slots, one slot's people sit out at a time).
    centres_per_building
        Community health centres per building; None: one for each of the
        first three buildings, then one per two.
    dose_mix
        Cumulative shares of the dose histories (see ``DOSE_MIX``).
    """

    shift_share: float = 0.55
    shift_team: tuple[int, int] = (8, 15)
    office_team: tuple[int, int] = (6, 25)
    night_share: float | None = None
    night_hours: tuple[int, int] = (20 * 60, 8 * 60)
    capacity: float | None = None
    cadences: tuple[int, ...] = (7,)
    office_cadence: int | None = None
    screening_days: int | None = None
    observation: float | None = None
    centres_per_building: float | None = None
    dose_mix: tuple[float, float, float, float, float] = DOSE_MIX
    days: int | None = None  # the shape's horizon; None: the caller's

    def __post_init__(self) -> None:
        problems = [
            not 0.0 <= self.shift_share <= 1.0,
            not 1 <= self.shift_team[0] <= self.shift_team[1],
            not 1 <= self.office_team[0] <= self.office_team[1],
            self.night_share is not None and not 0 <= self.night_share <= 1,
            self.capacity is not None and self.capacity <= 0,
            not self.cadences or min(self.cadences) < 1,
            self.office_cadence is not None and self.office_cadence < 1,
            self.screening_days is not None
            and not 0 <= self.screening_days <= 7,
            self.observation is not None and self.observation <= 0,
            self.centres_per_building is not None
            and self.centres_per_building <= 0,
            list(self.dose_mix) != sorted(self.dose_mix)
            or not 0 <= self.dose_mix[0] <= self.dose_mix[-1] <= 1,
        ]
        if any(problems):
            raise ValueError(f"not a possible shape: {self}")


#: Named shapes of employers (``scheduler generate --shape NAME``, the
#: benchmark suite): each differs from the model case where employers do.
SHAPES: dict[str, Shape] = {
    "default": Shape(),
    # The issue-18 workbook: big call-centre teams on 4/2 cycles with
    # nights ending at midnight, observation seats that bind, capacity
    # close to demand.
    "call-centre": Shape(
        shift_share=0.7,
        shift_team=(20, 25),
        night_share=0.3,
        night_hours=(16 * 60, 24 * 60),
        capacity=1.0,
        screening_days=3,
        observation=0.75,
    ),
    "small-teams": Shape(shift_team=(5, 8), office_team=(5, 9)),
    "large-teams": Shape(shift_team=(40, 60), office_team=(30, 60)),
    "tight": Shape(capacity=0.6),
    "ample": Shape(capacity=1.3, centres_per_building=1.5),
    "night-heavy": Shape(
        shift_share=0.8, night_share=0.5, night_hours=(16 * 60, 24 * 60)
    ),
    "office": Shape(
        shift_share=0.1,
        office_cadence=14,
        screening_days=1,
        centres_per_building=0.25,
    ),
    "frequent-tests": Shape(cadences=(3, 7, 14), screening_days=1),
    "long-naive": Shape(
        days=56, cadences=(14,), dose_mix=(0.7, 0.8, 0.95, 0.97, 0.99)
    ),
    "short-boosted": Shape(
        days=14, dose_mix=(0.05, 0.1, 0.85, 0.9, 0.93), observation=0.6
    ),
}
