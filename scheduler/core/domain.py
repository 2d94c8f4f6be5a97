"""Domain objects: what HR describes in the workbook, free of Excel and solver.

Every object is immutable. Dates are ``datetime.date``; times of day are
integer minutes after midnight (``540`` is 09:00, ``1440`` is 24:00). Ids are
the canonical spelling of the sheet that defines them: the reader resolves
every reference (case, spaces, full-width characters) to that spelling, so
code downstream compares ids with ``==``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

EmployeeId = str
WorkplaceId = str
SiteId = str
SessionId = str
ProductName = str
PatternId = str
TeamKey = tuple[str, str]  # (department, team), both case-folded

MINUTES_PER_DAY = 1440


class Service(StrEnum):
    VACCINATION = "vaccination"
    NUCLEIC_TEST = "nucleic_test"


class SiteKind(StrEnum):
    ONSITE = "onsite"
    COMMUNITY = "community"


class CalendarKind(StrEnum):
    HOLIDAY = "holiday"
    WORKDAY = "workday"


class Scope(StrEnum):
    ALL = "all"
    WORKPLACE = "workplace"
    DEPARTMENT = "department"
    TEAM = "team"
    ROLE = "role"


class BookingStatus(StrEnum):
    BOOKED = "booked"
    ATTENDED = "attended"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


def hhmm(minutes: int) -> str:
    """Format minutes after midnight as ``HH:MM`` (``1440`` is ``24:00``)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@lru_cache(maxsize=8)
def _dates(start: date, days: int) -> tuple[date, ...]:
    return tuple(start + timedelta(days=i) for i in range(days))


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    horizon_start: date
    horizon_end: date
    team_away_max_share: float = 0.25
    team_vaccinated_per_day_max_share: float = 0.5
    observation_minutes: int = 30
    test_blackout_hours_after_vaccination: float = 48.0
    coverage_target: float = 0.9
    boosters_enabled: bool = True
    time_limit_seconds: float = 60.0
    #: The solver stops once the schedule is proven within this many
    #: percent of the bound (0: it uses the whole time limit).
    gap_limit_percent: float = 0.5
    language: str = "en"
    #: On a re-plan, what changing a booked appointment costs, in covered
    #: test days of a priority-3 person (domain.md, "What best means" 1b).
    change_cost: float = 2.0

    def __post_init__(self) -> None:
        if self.horizon_end < self.horizon_start:
            raise ValueError("horizon_end before horizon_start")

    @property
    def days(self) -> int:
        """Number of days planned, both ends included."""
        return (self.horizon_end - self.horizon_start).days + 1

    def day_index(self, day: date) -> int:
        """Days after horizon_start (negative before it)."""
        return (day - self.horizon_start).days

    def in_horizon(self, day: date) -> bool:
        return self.horizon_start <= day <= self.horizon_end

    def dates(self) -> list[date]:
        return list(_dates(self.horizon_start, self.days))


@dataclass(frozen=True, slots=True, kw_only=True)
class Workplace:
    id: WorkplaceId
    name: str
    city: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    id: SiteId
    name: str
    kind: SiteKind
    workplace_id: WorkplaceId | None = None
    address: str = ""

    def __post_init__(self) -> None:
        if self.kind is SiteKind.ONSITE and not self.workplace_id:
            raise ValueError(f"onsite site {self.id} needs a workplace")


@dataclass(frozen=True, slots=True, kw_only=True)
class Product:
    name: ProductName
    doses: int
    min_interval_days: int
    max_interval_days: int
    min_age: int = 18
    max_age: int | None = None
    booster_after_days: int | None = None

    def __post_init__(self) -> None:
        if self.doses < 1:
            raise ValueError(f"product {self.name}: doses must be >= 1")
        if self.min_interval_days > self.max_interval_days:
            raise ValueError(f"product {self.name}: min interval > max")

    def allows_age(self, age: int | None) -> bool:
        """Unknown age is allowed; otherwise the limits are inclusive."""
        if age is None:
            return True
        if age < self.min_age:
            return False
        return self.max_age is None or age <= self.max_age


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    id: SessionId
    service: Service
    site_id: SiteId
    date: date
    start: int
    end: int
    capacity_per_slot: int
    slot_minutes: int = 30
    product: ProductName | None = None
    doses_available: int | None = None
    observation_seats: int | None = None
    provider: str = ""
    workplaces: frozenset[WorkplaceId] | None = None

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"session {self.id}: end not after start")
        if self.slot_minutes <= 0 or self.capacity_per_slot <= 0:
            raise ValueError(f"session {self.id}: bad slot or capacity")
        if not self.slots:
            raise ValueError(f"session {self.id}: no slot fits")
        if self.service is Service.VACCINATION and not self.product:
            raise ValueError(f"session {self.id}: vaccination needs product")

    @property
    def slots(self) -> tuple[tuple[int, int], ...]:
        """(start, end) minutes after midnight of every slot, in order."""
        n = (self.end - self.start) // self.slot_minutes
        return tuple(
            (
                self.start + i * self.slot_minutes,
                self.start + (i + 1) * self.slot_minutes,
            )
            for i in range(n)
        )

    def slot_end(self, slot_start: int) -> int:
        return slot_start + self.slot_minutes

    @property
    def places(self) -> int:
        """People the session can take: its slots' capacity, capped by
        ``doses_available`` when that is set."""
        n = len(self.slots) * self.capacity_per_slot
        return (
            n if self.doses_available is None else min(n, self.doses_available)
        )

    def open_to(self, workplace_id: WorkplaceId) -> bool:
        return self.workplaces is None or workplace_id in self.workplaces


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionOption:
    """A session HR could still arrange (sheet ``session_options``, or one
    the capacity planner proposes), and what holding it costs."""

    session: Session
    cost: float = 1.0
    generated: bool = False

    def __post_init__(self) -> None:
        if self.cost < 0:
            raise ValueError(f"option {self.session.id}: negative cost")

    @property
    def id(self) -> SessionId:
        return self.session.id


@dataclass(frozen=True, slots=True, kw_only=True)
class ShiftPattern:
    """Weekday pattern (``weekdays`` set, 0 = Monday) or an on/off cycle."""

    id: PatternId
    start: int
    end: int
    weekdays: frozenset[int] | None = None
    cycle_on: int | None = None
    cycle_off: int | None = None
    cycle_anchor: date | None = None

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError(f"pattern {self.id}: end equals start")
        is_cycle = self.cycle_anchor is not None
        if is_cycle == (self.weekdays is not None):
            raise ValueError(f"pattern {self.id}: weekdays xor cycle")

    @property
    def is_cycle(self) -> bool:
        return self.cycle_anchor is not None

    @property
    def length(self) -> int:
        """Minutes of one duty period (an overnight end adds a day)."""
        end = self.end if self.end > self.start else self.end + 1440
        return end - self.start


OFFICE = ShiftPattern(
    id="office", weekdays=frozenset(range(5)), start=540, end=1080
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Employee:
    id: EmployeeId
    name: str
    workplace_id: WorkplaceId
    department: str
    team: str = ""
    role: str = ""
    shift_pattern: PatternId = "office"
    birth_date: date | None = None
    age: int | None = None
    phone: str = ""
    doses_received: int = 0
    last_dose_date: date | None = None
    last_product: ProductName | None = None
    exemption: str | None = None
    last_test_date: date | None = None
    priority: int = 3

    def __post_init__(self) -> None:
        if self.doses_received < 0:
            raise ValueError(f"employee {self.id}: negative doses")
        if self.doses_received > 0 and (
            self.last_dose_date is None or self.last_product is None
        ):
            raise ValueError(f"employee {self.id}: dose history incomplete")
        if not 1 <= self.priority <= 5:
            raise ValueError(f"employee {self.id}: priority outside 1..5")

    @property
    def team_name(self) -> str:
        """The team, defaulting to the department."""
        return self.team or self.department

    @property
    def team_key(self) -> TeamKey:
        return (self.department.casefold(), self.team_name.casefold())

    @property
    def is_exempt(self) -> bool:
        return bool(self.exemption)

    def age_on(self, day: date, horizon_start: date) -> int | None:
        """Age on ``day``: from birth_date, else ``age`` (fixed)."""
        if self.birth_date is not None:
            b = self.birth_date
            years = day.year - b.year
            if (day.month, day.day) < (b.month, b.day):
                years -= 1
            return years
        return self.age


@dataclass(frozen=True, slots=True, kw_only=True)
class Absence:
    employee_id: EmployeeId
    start_date: date
    end_date: date
    reason: str = ""

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True, slots=True, kw_only=True)
class DutyRow:
    """An explicit duty period; ``end <= start`` ends the next morning."""

    employee_id: EmployeeId
    date: date
    start: int
    end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TestRequirement:
    id: str
    scope: Scope
    value: str | None = None
    every_days: int | None = None
    window_start: date | None = None
    window_end: date | None = None

    def __post_init__(self) -> None:
        has_window = (
            self.window_start is not None and self.window_end is not None
        )
        if (self.every_days is None) == (not has_window):
            raise ValueError(f"requirement {self.id}: cadence xor window")
        if self.every_days is not None and self.every_days < 1:
            raise ValueError(f"requirement {self.id}: every_days < 1")

    @property
    def is_cadence(self) -> bool:
        return self.every_days is not None

    def applies_to(self, e: Employee) -> bool:
        """Scope values compare ignoring case (reader normalised spaces)."""
        if self.scope is Scope.ALL:
            return True
        v = (self.value or "").casefold()
        match self.scope:
            case Scope.WORKPLACE:
                return e.workplace_id.casefold() == v
            case Scope.DEPARTMENT:
                return e.department.casefold() == v
            case Scope.TEAM:
                return e.team_name.casefold() == v
            case Scope.ROLE:
                return e.role.casefold() == v
        return False


@dataclass(frozen=True, slots=True, kw_only=True)
class Booking:
    employee_id: EmployeeId
    session_id: SessionId
    slot_start: int
    pinned: bool = False
    status: BookingStatus = BookingStatus.BOOKED


@dataclass(frozen=True, slots=True)
class Reserved:
    """Capacity that appointments of staff outside an instance already use.

    A block of a decomposed drive (scheduler/model/blocks.py) sees the sessions
    it shares with other blocks at what those blocks left free.
    """

    #: (session, slot start) -> places taken.
    slots: dict[tuple[SessionId, int], int] = field(default_factory=dict)
    #: session -> doses taken.
    doses: dict[SessionId, int] = field(default_factory=dict)
    #: session -> slot end of every vaccination taken (observation seats).
    jab_ends: dict[SessionId, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Instance:
    """A whole validated workbook, indexed by employee, team and date."""

    settings: Settings
    workplaces: dict[WorkplaceId, Workplace]
    sites: dict[SiteId, Site]
    travel: dict[tuple[WorkplaceId, SiteId], int]
    products: dict[ProductName, Product]
    sessions: dict[SessionId, Session]
    patterns: dict[PatternId, ShiftPattern]
    employees: dict[EmployeeId, Employee]
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    absences: tuple[Absence, ...] = ()
    duty: tuple[DutyRow, ...] = ()
    test_requirements: tuple[TestRequirement, ...] = ()
    bookings: tuple[Booking, ...] = ()
    #: Sessions that could be added (read only for capacity planning).
    session_options: dict[SessionId, SessionOption] = field(
        default_factory=dict
    )
    notices: tuple[str, ...] = ()
    #: Input that is valid but probably not meant (a test requirement
    #: that matches nobody): shown in the summary and in run.json.
    warnings: tuple[str, ...] = ()
    #: Capacity taken outside this instance's staff (decomposed solves).
    reserved: Reserved = field(default_factory=Reserved)
    # Indexes of the fields above, built once at construction (so the
    # instance stays immutable); ``prepare.lookups`` holds everything else
    # the stages derive from it.
    _horizon_sessions: tuple[Session, ...] = field(
        init=False, compare=False, repr=False
    )
    _absences_by_employee: dict[EmployeeId, list[Absence]] = field(
        init=False, compare=False, repr=False
    )
    _duty_by_employee: dict[EmployeeId, list[DutyRow]] = field(
        init=False, compare=False, repr=False
    )
    _teams: dict[TeamKey, list[Employee]] = field(
        init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        s = self.settings
        absences: dict[EmployeeId, list[Absence]] = {}
        for a in self.absences:
            absences.setdefault(a.employee_id, []).append(a)
        duty: dict[EmployeeId, list[DutyRow]] = {}
        for d in self.duty:
            duty.setdefault(d.employee_id, []).append(d)
        teams: dict[TeamKey, list[Employee]] = {}
        for e in self.employees.values():
            teams.setdefault(e.team_key, []).append(e)
        indexes = {
            "_horizon_sessions": tuple(
                sorted(
                    (
                        x
                        for x in self.sessions.values()
                        if s.in_horizon(x.date)
                    ),
                    key=lambda x: (x.date, x.start, x.id),
                )
            ),
            "_absences_by_employee": absences,
            "_duty_by_employee": duty,
            "_teams": teams,
        }
        for name, value in indexes.items():
            object.__setattr__(self, name, value)

    def travel_minutes(
        self, workplace_id: WorkplaceId, site_id: SiteId
    ) -> int | None:
        """One-way minutes, 0 for one's own building, None if out of reach."""
        site = self.sites[site_id]
        if site.kind is SiteKind.ONSITE and site.workplace_id == workplace_id:
            return 0
        return self.travel.get((workplace_id, site_id))

    def horizon_sessions(self) -> tuple[Session, ...]:
        """Sessions dated inside the horizon, by date, start and id."""
        return self._horizon_sessions

    def pattern_of(self, employee: Employee) -> ShiftPattern:
        return self.patterns.get(employee.shift_pattern, OFFICE)

    def absences_of(self, employee_id: EmployeeId) -> list[Absence]:
        return self._absences_by_employee.get(employee_id, [])

    def duty_rows_of(self, employee_id: EmployeeId) -> list[DutyRow]:
        return self._duty_by_employee.get(employee_id, [])

    def teams(self) -> dict[TeamKey, list[Employee]]:
        """Members of every team, in employee order."""
        return self._teams

    def requirements_of(self, employee: Employee) -> list[TestRequirement]:
        return [r for r in self.test_requirements if r.applies_to(employee)]

    def active_bookings(self) -> list[Booking]:
        return [b for b in self.bookings if b.status is BookingStatus.BOOKED]
