"""The hard rules of domain.md, one id each, and the limits they set.

The model's registry (model/constraints.py ``HARD_RULES``), the checker's
registry (check/checker.py ``CHECKS``), every ``Violation``, the tests
(tests/rules/) and docs/model.md all name a rule by its ``Rule`` member;
a limit that more than one station needs is computed here, once.
"""

from __future__ import annotations

import math
from enum import StrEnum


class Rule(StrEnum):
    """A hard rule, valued by its id; ``number`` is its place in domain.md."""

    CAPACITY = "capacity"
    SERVICE_AND_PRODUCT = "service_and_product"
    REACH = "reach"
    AVAILABILITY = "availability"
    ONE_PLACE_AT_A_TIME = "one_place_at_a_time"
    DOSE_INTERVALS = "dose_intervals"
    TEAM_CONTINUITY = "team_continuity"
    SIDE_EFFECT_SPREADING = "side_effect_spreading"
    PINNED_BOOKINGS = "pinned_bookings"
    NEED = "need"
    NO_SWAB_AFTER_JAB = "no_swab_after_jab"

    @property
    def number(self) -> int:
        return list(Rule).index(self) + 1


def team_away_limit(share: float, on_duty: int) -> int:
    """Rule 7: how many of a team may be away at once, with ``on_duty``
    members on duty: max(1, ⌊share × on duty⌋)."""
    return max(1, math.floor(share * on_duty + 1e-9))


def team_jabs_limit(share: float, team_size: int) -> int:
    """Rule 8: how many of a team may be vaccinated on one day:
    max(1, ⌊share × team size⌋)."""
    return max(1, math.floor(share * team_size + 1e-9))
