"""Hand-built domain objects for tests, with a default for every field.

Every ``make_*`` takes keyword arguments named like the dataclass fields;
what a test does not name gets a plain default (horizon 2021-06-01 to
2021-06-14, workplace ``W1`` with onsite site ``SITE1``, product
``CoronaVac``: 2 doses 14-56 days apart, booster after 180 days).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from scheduler.core.domain import (
    Employee,
    Instance,
    Product,
    Service,
    Session,
    Settings,
    ShiftPattern,
    Site,
    SiteKind,
    Workplace,
)
from scheduler.core.solution import Appointment

H0 = date(2021, 6, 1)  # a Tuesday
H1 = H0 + timedelta(days=13)


def make_settings(**kw: Any) -> Settings:
    kw.setdefault("horizon_start", H0)
    kw.setdefault("horizon_end", H1)
    return Settings(**kw)


def make_workplace(id: str = "W1", **kw: Any) -> Workplace:
    kw.setdefault("name", f"Building {id}")
    return Workplace(id=id, **kw)


def make_site(id: str = "SITE1", **kw: Any) -> Site:
    kw.setdefault("name", f"Site {id}")
    kw["kind"] = SiteKind(kw.get("kind", SiteKind.ONSITE))
    if kw["kind"] is SiteKind.ONSITE:
        kw.setdefault("workplace_id", "W1")
    return Site(id=id, **kw)


def make_product(name: str = "CoronaVac", **kw: Any) -> Product:
    kw.setdefault("doses", 2)
    kw.setdefault("min_interval_days", 14)
    kw.setdefault("max_interval_days", 56)
    kw.setdefault("booster_after_days", 180)
    return Product(name=name, **kw)


def make_employee(id: str = "E1", **kw: Any) -> Employee:
    """An office worker of W1; ``doses_received`` > 0 fills in a history
    (last dose 2021-01-04 of CoronaVac) unless given."""
    kw.setdefault("name", f"Name {id}")
    kw.setdefault("workplace_id", "W1")
    kw.setdefault("department", "Ops")
    if kw.get("doses_received", 0) > 0:
        kw.setdefault("last_dose_date", date(2021, 1, 4))
        kw.setdefault("last_product", "CoronaVac")
    return Employee(id=id, **kw)


def make_session(id: str = "S1", **kw: Any) -> Session:
    """09:00-12:00 in 30-minute slots of 2 people on the first day; a
    vaccination session offers CoronaVac unless told otherwise."""
    kw["service"] = Service(kw.get("service", Service.VACCINATION))
    kw.setdefault("site_id", "SITE1")
    kw.setdefault("date", H0)
    kw.setdefault("start", 540)
    kw.setdefault("end", 720)
    kw.setdefault("capacity_per_slot", 2)
    if kw["service"] is Service.VACCINATION:
        kw.setdefault("product", "CoronaVac")
    return Session(id=id, **kw)


def _by(items: Iterable[Any] | Mapping[str, Any] | None, key: str) -> dict:
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return dict(items)
    return {getattr(x, key): x for x in items}


def make_instance(
    *,
    employees: Iterable[Employee] | Mapping[str, Employee] = (),
    sessions: Iterable[Session] | Mapping[str, Session] = (),
    workplaces: Iterable[Workplace] | Mapping[str, Workplace] | None = None,
    sites: Iterable[Site] | Mapping[str, Site] | None = None,
    products: Iterable[Product] | Mapping[str, Product] | None = None,
    patterns: Iterable[ShiftPattern]
    | Mapping[str, ShiftPattern]
    | None = None,
    travel: Mapping[tuple[str, str], int] | None = None,
    settings: Settings | Mapping[str, Any] | None = None,
    **kw: Any,
) -> Instance:
    """An Instance from lists (or dicts) of objects.

    Missing workplaces named by employees or sites are created; sites and
    products default to ``SITE1`` and ``CoronaVac``; ``settings`` may be a
    Settings or a dict of overrides; ``kw`` goes to Instance as is
    (absences, duty, test_requirements, bookings, holidays, …).
    """
    emps = _by(employees, "id")
    site_map = (
        _by(sites, "id") if sites is not None else {"SITE1": make_site()}
    )
    wps = _by(workplaces, "id")
    wanted = [e.workplace_id for e in emps.values()] + [
        s.workplace_id for s in site_map.values() if s.workplace_id
    ]
    for wid in ["W1", *wanted] if workplaces is None else wanted:
        if wid not in wps:
            wps[wid] = make_workplace(wid)
    prods = (
        _by(products, "name")
        if products is not None
        else {"CoronaVac": make_product()}
    )
    if not isinstance(settings, Settings):
        settings = make_settings(**dict(settings or {}))
    return Instance(
        settings=settings,
        workplaces=wps,
        sites=site_map,
        travel=dict(travel or {}),
        products=prods,
        sessions=_by(sessions, "id"),
        patterns=_by(patterns, "id"),
        employees=emps,
        **kw,
    )


def make_appointment(
    session: Session,
    employee_id: str = "E1",
    *,
    slot: int = 0,
    **kw: Any,
) -> Appointment:
    """``employee_id`` in slot number ``slot`` of ``session``; a
    vaccination gets the session's product and dose ``"1"`` unless
    given."""
    start, end = session.slots[slot]
    kw.setdefault("travel_minutes", 0)
    if session.service is Service.VACCINATION:
        kw.setdefault("product", session.product)
        kw.setdefault("dose", "1")
    return Appointment(
        employee_id=employee_id,
        session_id=session.id,
        date=session.date,
        slot_start=start,
        slot_end=end,
        service=session.service,
        site_id=session.site_id,
        **kw,
    )
