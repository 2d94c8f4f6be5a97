"""Needs: what each employee should get inside the horizon (domain.md).

A vaccination need is the *next* dose of a person (or their booster); the
further doses of a series become needs once the dose before is booked, so
the model sees them as a chain that may grow to ``max_doses`` bookings.
A test need is one matching test requirement, either a cadence (covered
person-days) or a screening window.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scheduler.core.domain import (
        Employee,
        EmployeeId,
        Instance,
        ProductName,
        TestRequirement,
    )


class Urgency(IntEnum):
    """Urgency ranks of domain.md objective 1, higher is more urgent."""

    BOOSTER = 1
    FIRST = 2
    DUE = 3
    OVERDUE = 4


#: Weight of a need = ``URGENCY_STEP * urgency + priority``; with priority in
#: 1..5 and a step of 6 every urgency rank outweighs every priority.
URGENCY_STEP = 6


def need_weight(urgency: Urgency, priority: int) -> int:
    return URGENCY_STEP * int(urgency) + priority


@dataclass(frozen=True, slots=True, kw_only=True)
class VaccinationNeed:
    """The next dose (or booster) of one employee.

    ``earliest`` maps every product that may serve the *first* booking of
    this need to its earliest date; a series that starts inside the run
    keeps its product for the following doses. ``first_dose`` is the dose
    number of the first booking (``0`` for a booster).
    """

    employee_id: EmployeeId
    booster: bool
    first_dose: int
    earliest: dict[ProductName, date]
    max_doses: int
    overdue: bool
    urgency: Urgency
    deadline: date | None = None

    def dose_label(self, k: int) -> str:
        """Label of the k-th booking of this need (k = 0, 1, ...)."""
        return "booster" if self.booster else str(self.first_dose + k)

    @property
    def products(self) -> tuple[ProductName, ...]:
        return tuple(sorted(self.earliest))


@dataclass(frozen=True, slots=True, kw_only=True)
class TestNeed:
    """One test requirement that one employee matches.

    Cadence: ``every_days`` set and ``last_test`` the last known test (the
    day before the horizon when there is none). Window: ``window`` is the
    part of the screening window inside the horizon.
    """

    employee_id: EmployeeId
    requirement_id: str
    every_days: int | None = None
    last_test: date | None = None
    window: tuple[date, date] | None = None

    @property
    def is_cadence(self) -> bool:
        return self.every_days is not None

    def covered_days(self, test_dates: list[date], days: list[date]) -> int:
        """Days of ``days`` holding a valid test (cadence needs)."""
        assert self.every_days is not None and self.last_test is not None
        tests = sorted({self.last_test, *test_dates})
        covered, i, last = 0, 0, None
        for d in days:
            while i < len(tests) and tests[i] <= d:
                last = tests[i]
                i += 1
            if last is not None and (d - last).days <= self.every_days - 1:
                covered += 1
        return covered

    def met_by(self, test_dates: list[date]) -> bool:
        """Window needs: a test dated inside the window."""
        assert self.window is not None
        lo, hi = self.window
        return any(lo <= d <= hi for d in test_dates)


@dataclass(frozen=True, slots=True, kw_only=True)
class Needs:
    vaccination: dict[EmployeeId, VaccinationNeed]
    tests: dict[EmployeeId, tuple[TestNeed, ...]]
    #: Exempt employees not fully vaccinated, with the dose they lack.
    exempt: dict[EmployeeId, int]
    #: Screening windows already met by the last recorded test: needs of
    #: the run, counted as met (domain.md), with nothing to schedule.
    met_before: dict[EmployeeId, tuple[str, ...]] = field(default_factory=dict)


def compute_needs(instance: Instance) -> Needs:
    """Derive every employee's needs from the validated instance."""
    vacc: dict[EmployeeId, VaccinationNeed] = {}
    exempt: dict[EmployeeId, int] = {}
    tests: dict[EmployeeId, tuple[TestNeed, ...]] = {}
    met_before: dict[EmployeeId, tuple[str, ...]] = {}
    for e in instance.employees.values():
        if e.is_exempt:
            lacking = _lacking_dose(instance, e)
            if lacking is not None:
                exempt[e.id] = lacking
        else:
            need = vaccination_need(instance, e)
            if need is not None:
                vacc[e.id] = need
        t = tuple(
            n
            for r in instance.requirements_of(e)
            if (n := test_need(instance, e, r)) is not None
        )
        if t:
            tests[e.id] = t
        done = windows_met_before(instance, e)
        if done:
            met_before[e.id] = done
    return Needs(
        vaccination=vacc, tests=tests, exempt=exempt, met_before=met_before
    )


def windows_met_before(instance: Instance, e: Employee) -> tuple[str, ...]:
    """Ids of the screening windows (overlapping the horizon) that the
    employee's last recorded test already meets, as after a first round
    recorded with ``scheduler record``."""
    h0, h1 = instance.settings.horizon_start, instance.settings.horizon_end
    last = e.last_test_date
    if last is None:
        return ()
    return tuple(
        r.id
        for r in instance.requirements_of(e)
        if r.every_days is None
        and r.window_start is not None
        and r.window_end is not None
        and max(r.window_start, h0) <= min(r.window_end, h1)
        and r.window_start <= last <= r.window_end
    )


def series_length(instance: Instance, e: Employee) -> int | None:
    if e.last_product is None:
        return None
    return instance.products[e.last_product].doses


def _lacking_dose(instance: Instance, e: Employee) -> int | None:
    """The first dose an employee lacks, None when fully vaccinated."""
    if e.doses_received == 0:
        return 1
    n = series_length(instance, e)
    return e.doses_received + 1 if n and e.doses_received < n else None


def vaccination_need(
    instance: Instance, e: Employee
) -> VaccinationNeed | None:
    """The next dose or booster of a non-exempt employee, if any."""
    s = instance.settings
    h0, h1 = s.horizon_start, s.horizon_end
    prio = e.priority
    if e.doses_received == 0:
        earliest = {p: h0 for p in instance.products}
        if not earliest:
            # No product at all: still a need, unmet for want of product.
            earliest = {}
        longest = max((p.doses for p in instance.products.values()), default=1)
        return VaccinationNeed(
            employee_id=e.id,
            booster=False,
            first_dose=1,
            earliest=earliest,
            max_doses=longest,
            overdue=False,
            urgency=Urgency.FIRST,
        )
    assert e.last_product is not None and e.last_dose_date is not None
    product = instance.products[e.last_product]
    last = e.last_dose_date
    if e.doses_received < product.doses:
        first = last + timedelta(days=product.min_interval_days)
        if first > h1:
            return None
        deadline = last + timedelta(days=product.max_interval_days)
        overdue = deadline < h0
        return VaccinationNeed(
            employee_id=e.id,
            booster=False,
            first_dose=e.doses_received + 1,
            earliest={product.name: max(first, h0)},
            max_doses=product.doses - e.doses_received,
            overdue=overdue,
            urgency=Urgency.OVERDUE if overdue else Urgency.DUE,
            deadline=deadline,
        )
    if e.doses_received > product.doses or not s.boosters_enabled:
        return None
    earliest = {
        p.name: max(last + timedelta(days=p.booster_after_days), h0)
        for p in instance.products.values()
        if p.booster_after_days is not None
        and last + timedelta(days=p.booster_after_days) <= h1
    }
    if not earliest:
        return None
    _ = prio
    return VaccinationNeed(
        employee_id=e.id,
        booster=True,
        first_dose=0,
        earliest=earliest,
        max_doses=1,
        overdue=False,
        urgency=Urgency.BOOSTER,
    )


def test_need(
    instance: Instance, e: Employee, r: TestRequirement
) -> TestNeed | None:
    s = instance.settings
    h0, h1 = s.horizon_start, s.horizon_end
    if r.every_days is not None:
        last = e.last_test_date or (h0 - timedelta(days=1))
        return TestNeed(
            employee_id=e.id,
            requirement_id=r.id,
            every_days=r.every_days,
            last_test=last,
        )
    assert r.window_start is not None and r.window_end is not None
    lo, hi = max(r.window_start, h0), min(r.window_end, h1)
    if lo > hi:
        return None
    if e.last_test_date and r.window_start <= e.last_test_date <= r.window_end:
        return None
    return TestNeed(employee_id=e.id, requirement_id=r.id, window=(lo, hi))
