"""Coverage statistics of a schedule: what HR reports upwards.

Pure numbers from (instance, needs, solution), no Excel, so that the
coverage workbook, the terminal summary and the tests agree on one
definition. Vaccination rate = people with a complete primary series over
headcount, exempt people included in the headcount (outputs.md); the rate
over non-exempt staff counts the non-exempt fully vaccinated over the
non-exempt headcount.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scheduler.core.domain import (
    Employee,
    EmployeeId,
    Instance,
    Service,
    Session,
    SessionId,
)
from scheduler.core.messages import Msg

if TYPE_CHECKING:
    from datetime import date

    from scheduler.core.solution import Appointment, Solution
    from scheduler.prepare.needs import Needs

BOOSTER = "booster"


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonOutcome:
    """One employee before and (projected) after the run."""

    exempt: bool
    fully_before: bool
    fully_after: bool
    boosted_before: bool
    series_doses_booked: int
    boosters_booked: int
    cadence_needs: int
    person_days: int
    person_days_covered: int
    window_needs: int
    window_met: int


@dataclass(slots=True, kw_only=True)
class GroupStats:
    """Counts of a group of employees (a workplace, a department, all)."""

    target: float
    headcount: int = 0
    exempt: int = 0
    fully_before: int = 0
    boosted_before: int = 0
    series_doses_booked: int = 0
    boosters_booked: int = 0
    fully_after: int = 0
    fully_after_non_exempt: int = 0
    cadence_needs: int = 0
    person_days: int = 0
    person_days_covered: int = 0
    window_needs: int = 0
    window_met: int = 0

    def add(self, p: PersonOutcome) -> None:
        self.headcount += 1
        self.exempt += p.exempt
        self.fully_before += p.fully_before
        self.boosted_before += p.boosted_before
        self.series_doses_booked += p.series_doses_booked
        self.boosters_booked += p.boosters_booked
        self.fully_after += p.fully_after
        self.fully_after_non_exempt += p.fully_after and not p.exempt
        self.cadence_needs += p.cadence_needs
        self.person_days += p.person_days
        self.person_days_covered += p.person_days_covered
        self.window_needs += p.window_needs
        self.window_met += p.window_met

    @property
    def non_exempt(self) -> int:
        return self.headcount - self.exempt

    @property
    def rate_before(self) -> float | None:
        return _ratio(self.fully_before, self.headcount)

    @property
    def rate(self) -> float | None:
        """Projected vaccination rate after the run (None: nobody)."""
        return _ratio(self.fully_after, self.headcount)

    @property
    def rate_non_exempt(self) -> float | None:
        return _ratio(self.fully_after_non_exempt, self.non_exempt)

    @property
    def gap(self) -> float | None:
        """How far the projected rate stays below the target (>= 0)."""
        rate = self.rate
        return None if rate is None else max(0.0, self.target - rate)

    @property
    def missing(self) -> int:
        """People still to be fully vaccinated to reach the target."""
        # round() first: 0.7 * 10 is 7.000000000000001, not worth an 8th.
        needed = math.ceil(round(self.target * self.headcount, 9))
        return max(0, needed - self.fully_after)

    @property
    def meets_target(self) -> bool:
        return self.headcount == 0 or self.missing == 0

    @property
    def person_day_rate(self) -> float | None:
        return _ratio(self.person_days_covered, self.person_days)

    @property
    def window_rate(self) -> float | None:
        return _ratio(self.window_met, self.window_needs)


@dataclass(slots=True, kw_only=True)
class WorkplaceStats(GroupStats):
    workplace_id: str
    name: str


@dataclass(slots=True, kw_only=True)
class DepartmentStats(GroupStats):
    workplace_id: str
    workplace_name: str
    department: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionUse:
    """How much of one session the schedule uses.

    ``capacity`` is the number of people the session can take: its slot
    capacity, capped by ``doses_available`` when that is set.
    """

    session: Session
    site_name: str
    slots: int
    slot_capacity: int
    capacity: int
    booked: int

    @property
    def session_id(self) -> SessionId:
        return self.session.id

    @property
    def date(self) -> date:
        return self.session.date

    @property
    def use(self) -> float | None:
        return _ratio(self.booked, self.capacity)


@dataclass(slots=True, kw_only=True)
class CoverageStats:
    target: float
    workplaces: list[WorkplaceStats] = field(default_factory=list)
    departments: list[DepartmentStats] = field(default_factory=list)
    sessions: list[SessionUse] = field(default_factory=list)
    total: GroupStats | None = None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def series_length(instance: Instance, product: str | None) -> int | None:
    p = instance.products.get(product) if product else None
    return p.doses if p else None


def person_outcome(
    instance: Instance,
    needs: Needs,
    e: Employee,
    appointments: list[Appointment],
    days: list[date],
) -> PersonOutcome:
    """Before/after vaccination state and test coverage of one person.

    A series booked in the run completes when ``doses_received`` plus the
    booked series doses reach the series length of the booked product (a
    new series' product is the product of its booked doses).
    """
    before_len = series_length(instance, e.last_product)
    fully_before = before_len is not None and e.doses_received >= before_len
    boosted_before = before_len is not None and e.doses_received > before_len
    vacc = sorted(
        (a for a in appointments if a.service is Service.VACCINATION),
        key=lambda a: (a.date, a.slot_start),
    )
    series = [a for a in vacc if a.dose != BOOSTER]
    boosters = len(vacc) - len(series)
    fully_after = fully_before
    if not fully_after and series:
        length = series_length(instance, series[-1].product)
        fully_after = (
            length is not None and e.doses_received + len(series) >= length
        )
    test_dates = [
        a.date for a in appointments if a.service is Service.NUCLEIC_TEST
    ]
    cadence = windows = covered = met = 0
    for need in needs.tests.get(e.id, ()):
        if need.is_cadence:
            cadence += 1
            covered += need.covered_days(test_dates, days)
        elif need.window is not None:
            windows += 1
            met += need.met_by(test_dates)
    before = len(needs.met_before.get(e.id, ()))
    windows += before
    met += before
    return PersonOutcome(
        exempt=e.is_exempt,
        fully_before=fully_before,
        fully_after=fully_after,
        boosted_before=boosted_before,
        series_doses_booked=len(series),
        boosters_booked=boosters,
        cadence_needs=cadence,
        person_days=cadence * len(days),
        person_days_covered=covered,
        window_needs=windows,
        window_met=met,
    )


def session_uses(instance: Instance, solution: Solution) -> list[SessionUse]:
    """Every session in the horizon, and any other one booked, in order."""
    booked: dict[SessionId, int] = defaultdict(int)
    for a in solution.appointments:
        booked[a.session_id] += 1
    sessions = {s.id: s for s in instance.horizon_sessions()}
    for sid in booked:
        if sid not in sessions and sid in instance.sessions:
            sessions[sid] = instance.sessions[sid]
    out = []
    for s in sorted(sessions.values(), key=lambda x: (x.date, x.start, x.id)):
        slot_capacity = len(s.slots) * s.capacity_per_slot
        capacity = s.places
        site = instance.sites.get(s.site_id)
        out.append(
            SessionUse(
                session=s,
                site_name=site.name if site else s.site_id,
                slots=len(s.slots),
                slot_capacity=slot_capacity,
                capacity=capacity,
                booked=booked.get(s.id, 0),
            )
        )
    return out


def compute_coverage(
    instance: Instance, needs: Needs, solution: Solution
) -> CoverageStats:
    """Per workplace, per (workplace, department), per session, and all."""
    target = instance.settings.coverage_target
    days = instance.settings.dates()
    by_employee: dict[EmployeeId, list[Appointment]] = defaultdict(list)
    for a in solution.appointments:
        by_employee[a.employee_id].append(a)
    workplaces: dict[str, WorkplaceStats] = {
        w.id: WorkplaceStats(target=target, workplace_id=w.id, name=w.name)
        for w in sorted(instance.workplaces.values(), key=lambda w: w.id)
    }
    departments: dict[tuple[str, str], DepartmentStats] = {}
    total = GroupStats(target=target)
    for e in instance.employees.values():
        p = person_outcome(instance, needs, e, by_employee[e.id], days)
        wp = workplaces.get(e.workplace_id)
        if wp is None:  # not expected from a validated instance
            wp = workplaces[e.workplace_id] = WorkplaceStats(
                target=target, workplace_id=e.workplace_id, name=""
            )
        key = (e.workplace_id, e.department.casefold())
        dept = departments.get(key)
        if dept is None:
            dept = departments[key] = DepartmentStats(
                target=target,
                workplace_id=e.workplace_id,
                workplace_name=wp.name,
                department=e.department,
            )
        for group in (wp, dept, total):
            group.add(p)
    return CoverageStats(
        target=target,
        workplaces=list(workplaces.values()),
        departments=[departments[k] for k in sorted(departments)],
        sessions=session_uses(instance, solution),
        total=total,
    )


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def totals(coverage: CoverageStats, lang: str = "en") -> list[str]:
    """A few lines for the terminal: each workplace's projected rate
    against the target, then the tests covered."""
    lines = []
    for w in coverage.workplaces:
        mark = (
            Msg("summary.ok")
            if w.meets_target
            else Msg("summary.short", n=w.missing)
        )
        lines.append(
            Msg(
                "summary.workplace",
                id=w.workplace_id,
                name=w.name,
                fully=w.fully_after,
                headcount=w.headcount,
                rate=_pct(w.rate),
                target=_pct(w.target),
                mark=mark,
            ).render(lang)
        )
    t = coverage.total
    if t is not None and (t.person_days or t.window_needs):
        lines.append(
            Msg(
                "summary.tests",
                covered=t.person_days_covered,
                days=t.person_days,
                day_rate=_pct(t.person_day_rate),
                met=t.window_met,
                windows=t.window_needs,
                window_rate=_pct(t.window_rate),
            ).render(lang)
        )
    return lines
