"""What capacity planning works on: the options and classes of people.

``generated_options`` proposes sessions when the workbook lists none
(capacity.md, "Options"). ``capacity_classes`` groups the people who could
still complete their primary series into classes that share a workplace
and, for every product that could complete it, the sessions open to each
remaining dose (reach, duty, product, age and the earliest dates all
folded in by ``candidates.employee_options``). People in one class are
interchangeable for the rate, so the optimisation (model/capacity.py)
counts how many of a class take each session, not who does: its size
follows the classes, not the staff.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scheduler.core.domain import (
    OFFICE,
    EmployeeId,
    Instance,
    ProductName,
    Service,
    Session,
    SessionId,
    SessionOption,
    WorkplaceId,
)
from scheduler.prepare.candidates import EmployeeOptions, employee_options
from scheduler.prepare.duty import pattern_works
from scheduler.prepare.lookups import Lookups
from scheduler.prepare.needs import (
    Needs,
    Urgency,
    VaccinationNeed,
    compute_needs,
    need_weight,
)

if TYPE_CHECKING:
    from datetime import date

#: A session open to a class at one dose position, with its open slots.
Seat = tuple[SessionId, tuple[int, ...]]

SHORT = {Service.VACCINATION: "V", Service.NUCLEIC_TEST: "T"}


def generated_options(
    instance: Instance,
    services: tuple[Service, ...] = (Service.VACCINATION,),
) -> dict[SessionId, SessionOption]:
    """One option per site, service and free working date (capacity.md).

    At every site holding a session of the service in the horizon, on
    every date of the horizon when it holds none of that service and the
    ``office`` pattern works (weekdays, holidays and swapped working days
    of the calendar; also for community centres, whose opening days the
    workbook does not give): a copy of the site's most frequent session of
    that service, at cost 1. Ids are ``ADD-<site>-<V|T>-<yyyymmdd>``.
    """
    office = instance.patterns.get(OFFICE.id, OFFICE)
    held: dict[tuple[str, Service], list[Session]] = defaultdict(list)
    for s in instance.horizon_sessions():
        if s.service in services:
            held[s.site_id, s.service].append(s)
    taken = {sid.casefold() for sid in instance.sessions}
    out: dict[SessionId, SessionOption] = {}
    for (site, service), sessions in sorted(held.items()):
        model = _most_frequent(sessions)
        busy = {s.date for s in sessions}
        for day in instance.settings.dates():
            if day in busy or not pattern_works(
                office, day, instance.holidays, instance.workdays
            ):
                continue
            sid = _free_id(f"ADD-{site}-{SHORT[service]}-{day:%Y%m%d}", taken)
            out[sid] = SessionOption(
                session=dataclasses.replace(model, id=sid, date=day),
                cost=1.0,
                generated=True,
            )
    return out


def _most_frequent(sessions: list[Session]) -> Session:
    """The session whose times, slots, capacity, product, doses and seats
    recur most often (the earliest of them on a tie)."""

    def shape(s: Session) -> tuple:
        return (
            s.start,
            s.end,
            s.slot_minutes,
            s.capacity_per_slot,
            s.product,
            s.doses_available,
            s.observation_seats,
            s.provider,
            s.workplaces,
        )

    counts = Counter(shape(s) for s in sessions)
    best = counts.most_common(1)[0][0]
    return next(s for s in sessions if shape(s) == best)


def _free_id(wanted: str, taken: set[str]) -> str:
    sid, n = wanted, 2
    while sid.casefold() in taken:
        sid, n = f"{wanted}-{n}", n + 1
    taken.add(sid.casefold())
    return sid


def with_options(
    instance: Instance,
    options: dict[SessionId, SessionOption],
    services: tuple[Service, ...] = tuple(Service),
) -> Instance:
    """The instance with every option held too, and only the sessions of
    ``services`` (a fresh cache: the candidates' caches are per
    instance)."""
    sessions = {
        **instance.sessions,
        **{sid: o.session for sid, o in options.items()},
    }
    return dataclasses.replace(
        instance,
        sessions={
            sid: s for sid, s in sessions.items() if s.service in services
        },
        session_options={},
    )


@dataclass(frozen=True, slots=True)
class Chain:
    """One product's way to complete a series: the sessions open to each
    remaining dose, in dose order, with the interval limits between
    consecutive doses."""

    product: ProductName
    positions: tuple[tuple[Seat, ...], ...]
    min_interval_days: int
    max_interval_days: int


@dataclass(slots=True)
class PersonClass:
    """People of one workplace with the same ways to complete."""

    workplace_id: WorkplaceId
    chains: tuple[Chain, ...]
    employees: list[EmployeeId] = field(default_factory=list)
    #: Weighted need units one completion is worth (class mean, rounded).
    weights: list[int] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.employees)

    @property
    def value(self) -> int:
        """Weighted need units of one completion, the members' mean."""
        return round(sum(self.weights) / max(1, len(self.weights)))


@dataclass(frozen=True, slots=True, order=True)
class Cadence:
    """A regular test need: a test at most ``every_days`` apart, the last
    known one on ``last_test``."""

    every_days: int
    last_test: date


@dataclass(slots=True)
class TestClass:
    """People of one workplace with the same test needs and the same test
    sessions (with their open slots) in reach."""

    workplace_id: WorkplaceId
    seats: tuple[Seat, ...]
    cadences: tuple[Cadence, ...]
    windows: tuple[tuple[date, date], ...]
    employees: list[EmployeeId] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.employees)


@dataclass(slots=True)
class TestDemand:
    """What ``--tests`` asks of the plan, per workplace (capacity.md,
    "Question" 2): the test person-days of regular needs, the screening
    windows of this run (and those met before it), and the classes."""

    classes: list[TestClass]
    person_days: dict[WorkplaceId, int]
    windows: dict[WorkplaceId, int]
    met_before: dict[WorkplaceId, int]


@dataclass(slots=True)
class CapacityData:
    """Everything the optimisation and the report need, solver-free."""

    instance: Instance  # with every option held
    options: dict[SessionId, SessionOption]
    needs: Needs
    classes: list[PersonClass]
    headcount: dict[WorkplaceId, int]
    #: People with a complete primary series before the run.
    done: dict[WorkplaceId, int]
    #: People not complete and not in any class, with their options
    #: (None: no vaccination need at all): the ceiling's causes.
    stuck: dict[EmployeeId, EmployeeOptions | None]
    #: Sessions (held and optional) by id: vaccination, and the tests'
    #: when ``tests`` is set.
    sessions: dict[SessionId, Session]
    #: The tests' demand and classes (None: the plan is for rates only).
    tests: TestDemand | None = None


def capacity_classes(
    instance: Instance,
    options: dict[SessionId, SessionOption],
    tests: bool = False,
) -> CapacityData:
    """Group everyone who could still complete a series (see module doc).

    With every option held, each person's options (``employee_options``)
    give, per product that could complete their series, the sessions of
    each remaining dose; people of one workplace with the same such
    chains form a class. Boosters change no rate and are left out.
    With ``tests``, the test sessions and options are held too, and
    everyone with a test need falls into a test class (``TestClass``).
    """
    services = tuple(Service) if tests else (Service.VACCINATION,)
    aug = with_options(instance, options, services)
    needs = compute_needs(aug)
    # One set of look-ups for everyone: options are shared objects.
    look = Lookups(aug)
    found: dict[tuple, tuple[Chain, ...]] = {}
    headcount: dict[WorkplaceId, int] = dict.fromkeys(instance.workplaces, 0)
    done: dict[WorkplaceId, int] = dict.fromkeys(instance.workplaces, 0)
    stuck: dict[EmployeeId, EmployeeOptions | None] = {}
    #: Each person's options, found once (the tests' classes use them too).
    found_opts: dict[EmployeeId, EmployeeOptions] = {}
    by_key: dict[tuple, PersonClass] = {}
    for e in aug.employees.values():
        headcount[e.workplace_id] += 1
        length = aug.products[e.last_product].doses if e.last_product else None
        if length is not None and e.doses_received >= length:
            done[e.workplace_id] += 1
            continue
        need = needs.vaccination.get(e.id)
        if need is None or need.booster:
            stuck[e.id] = None
            continue
        opts = employee_options(aug, needs, e, conflicts=False, lookups=look)
        found_opts[e.id] = opts
        # Options are shared objects (candidates.py): so are the chains.
        seen = (
            need.first_dose,
            need.products,
            tuple(tuple(map(id, row)) for row in opts.vaccination),
        )
        chains = found.get(seen)
        if chains is None:
            chains = found[seen] = _chains(aug, need, opts)
        if not chains:
            stuck[e.id] = opts
            continue
        key = (e.workplace_id, chains)
        cls = by_key.get(key)
        if cls is None:
            cls = by_key[key] = PersonClass(e.workplace_id, chains)
        cls.employees.append(e.id)
        cls.weights.append(_completion_weight(need, e.priority, chains))
    sessions = {s.id: s for s in aug.horizon_sessions()}
    return CapacityData(
        instance=aug,
        options=options,
        needs=needs,
        classes=sorted(
            by_key.values(), key=lambda c: (c.workplace_id, c.employees[0])
        ),
        headcount=headcount,
        done=done,
        stuck=stuck,
        sessions=sessions,
        tests=_test_demand(aug, needs, look, found_opts) if tests else None,
    )


def _test_demand(
    instance: Instance,
    needs: Needs,
    look: Lookups,
    found: dict[EmployeeId, EmployeeOptions],
) -> TestDemand:
    """Everyone with a test need of this run, in classes (``TestClass``),
    and the person-days and windows the rates of outputs.md count."""
    days = len(instance.settings.dates())
    wps = sorted(instance.workplaces)
    person_days = dict.fromkeys(wps, 0)
    windows = dict.fromkeys(wps, 0)
    met_before = dict.fromkeys(wps, 0)
    for eid, met in needs.met_before.items():
        met_before[instance.employees[eid].workplace_id] += len(met)
    by_key: dict[tuple, TestClass] = {}
    for eid, tests in needs.tests.items():
        e = instance.employees[eid]
        w = e.workplace_id
        cadences = tuple(
            sorted(
                Cadence(t.every_days, t.last_test)
                for t in tests
                if t.every_days is not None and t.last_test is not None
            )
        )
        spans = tuple(sorted(t.window for t in tests if t.window is not None))
        person_days[w] += days * len(cadences)
        windows[w] += len(spans)
        opts = found.get(eid) or employee_options(
            instance, needs, e, conflicts=False, lookups=look
        )
        seats = tuple(sorted((o.session_id, o.slots) for o in opts.tests))
        key = (w, cadences, spans, seats)
        cls = by_key.get(key)
        if cls is None:
            cls = by_key[key] = TestClass(w, seats, cadences, spans)
        cls.employees.append(eid)
    return TestDemand(
        classes=sorted(
            by_key.values(), key=lambda c: (c.workplace_id, c.employees[0])
        ),
        person_days=person_days,
        windows=windows,
        met_before=met_before,
    )


def _chains(
    instance: Instance, need: VaccinationNeed, opts: EmployeeOptions
) -> tuple[Chain, ...]:
    """Per product that may complete the series: its sessions per dose."""
    out = []
    for p in need.products:
        product = instance.products[p]
        remaining = product.doses - need.first_dose + 1
        if remaining < 1 or len(opts.vaccination) < remaining:
            continue
        positions = tuple(
            tuple(
                (o.session_id, o.slots)
                for o in sorted(
                    opts.vaccination[k],
                    key=lambda o: (o.day, o.session_id),
                )
                if instance.sessions[o.session_id].product == p
            )
            for k in range(remaining)
        )
        if all(positions):
            out.append(
                Chain(
                    product=p,
                    positions=positions,
                    min_interval_days=product.min_interval_days,
                    max_interval_days=product.max_interval_days,
                )
            )
    return tuple(out)


def _completion_weight(
    need: VaccinationNeed, priority: int, chains: tuple[Chain, ...]
) -> int:
    """Weighted need units of a completion by the shortest chain (the
    objective's weights: the first booking at the need's urgency, the
    next doses as due ones)."""
    n = min(len(c.positions) for c in chains)
    return need_weight(need.urgency, priority) + (n - 1) * need_weight(
        Urgency.DUE, priority
    )


def option_dates(data: CapacityData) -> list[date]:
    """Dates of the options, in order (for reports)."""
    return sorted({o.session.date for o in data.options.values()})
