"""Tests of the seeded workbook generator (scheduler/dev/generate.py).

The workbook is read back with openpyxl and turned into the domain objects
of scheduler/core/domain.py (so their invariants are checked too); demand is
counted with scheduler.prepare.needs, independently of the generator's
own plan.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook

from scheduler.core.domain import (
    Employee,
    Instance,
    Product,
    Scope,
    Service,
    Session,
    Settings,
)
from scheduler.core.domain import (
    TestRequirement as Requirement,
)
from scheduler.dev.generate import (
    CALL_CENTRE,
    expected_follow_up_doses,
    generate_workbook,
)
from scheduler.dev.shapes import SHAPES, Shape
from scheduler.io.read.schema import HEADERS
from scheduler.prepare.needs import compute_needs

if TYPE_CHECKING:
    from pathlib import Path

SMALL = {"employees": 240, "workplaces": 3, "days": 21, "seed": 7}

# The generator writes every sheet of the contract with the reader's headers
# (declared once, in scheduler/io/read/schema.py); bookings stay out.
SHEETS = {name: cols for name, cols in HEADERS.items() if name != "bookings"}

Book = dict[str, list[dict[str, object]]]


def read_book(path: Path) -> Book:
    """Every sheet as a list of {header: value} rows."""
    wb = load_workbook(path, read_only=True)
    out: Book = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        header = list(rows[0])
        out[ws.title] = [
            dict(
                zip(
                    header,
                    list(r) + [None] * (len(header) - len(r)),
                    strict=True,
                )
            )
            for r in rows[1:]
        ]
        out[ws.title + ".header"] = [dict.fromkeys(header)]
    wb.close()
    return out


def day(value: object) -> date:
    assert isinstance(value, datetime), value
    return value.date()


def minutes(text: object) -> int:
    assert isinstance(text, str) and len(text) == 5 and text[2] == ":", text
    return int(text[:2]) * 60 + int(text[3:])


def settings_of(book: Book) -> dict[str, object]:
    return {r["key"]: r["value"] for r in book["settings"]}


def instance_of(book: Book) -> Instance:
    """The parts of an Instance that needs and capacity depend on."""
    s = settings_of(book)
    settings = Settings(
        horizon_start=day(s["horizon_start"]),
        horizon_end=day(s["horizon_end"]),
    )
    products = {
        r["product"]: Product(
            name=r["product"],
            doses=r["doses"],
            min_interval_days=r["min_interval_days"],
            max_interval_days=r["max_interval_days"],
            min_age=r["min_age"] or 18,
            max_age=r["max_age"],
            booster_after_days=r["booster_after_days"],
        )
        for r in book["products"]
    }
    employees = {
        r["employee_id"]: Employee(
            id=r["employee_id"],
            name=r["name"],
            workplace_id=r["workplace_id"],
            department=r["department"],
            team=r["team"] or "",
            role=r["role"] or "",
            shift_pattern=r["shift_pattern"] or "office",
            birth_date=r["birth_date"] and day(r["birth_date"]),
            age=r["age"],
            phone=r["phone"] or "",
            doses_received=r["doses_received"] or 0,
            last_dose_date=r["last_dose_date"] and day(r["last_dose_date"]),
            last_product=r["last_product"],
            exemption=r["vaccination_exemption"],
            last_test_date=r["last_test_date"] and day(r["last_test_date"]),
            priority=r["priority"],
        )
        for r in book["employees"]
    }
    sessions = {
        r["session_id"]: Session(
            id=r["session_id"],
            service=Service(r["service"]),
            site_id=r["site_id"],
            date=day(r["date"]),
            start=minutes(r["start"]),
            end=minutes(r["end"]),
            slot_minutes=r["slot_minutes"],
            capacity_per_slot=r["capacity_per_slot"],
            product=r["product"],
            doses_available=r["doses_available"],
            observation_seats=r["observation_seats"],
            workplaces=(
                frozenset(r["workplaces"].split(","))
                if r["workplaces"]
                else None
            ),
        )
        for r in book["sessions"]
    }
    requirements = tuple(
        Requirement(
            id=r["requirement_id"],
            scope=Scope(r["scope"]),
            value=r["value"],
            every_days=r["every_days"],
            window_start=r["window_start"] and day(r["window_start"]),
            window_end=r["window_end"] and day(r["window_end"]),
        )
        for r in book["test_requirements"]
    )
    return Instance(
        settings=settings,
        workplaces={},
        sites={},
        travel={},
        products=products,
        sessions=sessions,
        patterns={},
        employees=employees,
        test_requirements=requirements,
    )


def ratios(book: Book) -> tuple[float, float]:
    """Vaccination and test capacity over demand (see generate.Balance)."""
    inst = instance_of(book)
    needs = compute_needs(inst)
    firsts = sum(n.first_dose == 1 for n in needs.vaccination.values())
    demand = len(needs.vaccination) + expected_follow_up_doses(
        firsts, inst.settings.days
    )
    vaccination = [
        s for s in inst.sessions.values() if s.service is Service.VACCINATION
    ]
    capacity = sum(
        min(len(s.slots) * s.capacity_per_slot, s.doses_available or math.inf)
        for s in vaccination
    )
    weeks = math.ceil(inst.settings.days / 7)
    tests = sum(
        weeks if n.is_cadence else 1 for ns in needs.tests.values() for n in ns
    )
    test_capacity = sum(
        len(s.slots) * s.capacity_per_slot
        for s in inst.sessions.values()
        if s.service is Service.NUCLEIC_TEST
    )
    return capacity / demand, test_capacity / tests


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 240-person, three-week workbook."""
    return generate_workbook(
        tmp_path_factory.mktemp("small") / "small.xlsx", **SMALL
    )


@pytest.fixture(scope="module")
def default(tmp_path_factory: pytest.TempPathFactory) -> Book:
    """The shipped example's arguments (1,500 people, 3 buildings)."""
    return read_book(
        generate_workbook(tmp_path_factory.mktemp("default") / "d.xlsx")
    )


def test_same_seed_same_workbook(small: Path, tmp_path: Path) -> None:
    """Same arguments give the same cell values, and the same bytes."""
    again = generate_workbook(tmp_path / "again.xlsx", **SMALL)
    assert read_book(again) == read_book(small)
    assert again.read_bytes() == small.read_bytes()


def test_different_seed_different_workbook(
    small: Path, tmp_path: Path
) -> None:
    """Another seed draws other people and sessions."""
    other = generate_workbook(tmp_path / "o.xlsx", **{**SMALL, "seed": 8})
    a, b = read_book(small), read_book(other)
    assert a["employees"] != b["employees"]
    assert a["sessions"] != b["sessions"]


def test_sheets_and_headers(small: Path) -> None:
    """Sheet names and headers are exactly those of the contract."""
    book = read_book(small)
    for name, header in SHEETS.items():
        assert list(book[name + ".header"][0]) == header, name
    assert "bookings" not in book


@pytest.mark.parametrize(("employees", "workplaces"), [(60, 1), (500, 6)])
def test_sizes_scale(tmp_path: Path, employees: int, workplaces: int) -> None:
    """Employee rows and buildings follow the arguments."""
    book = read_book(
        generate_workbook(
            tmp_path / "s.xlsx",
            employees=employees,
            workplaces=workplaces,
            days=14,
        )
    )
    assert len(book["employees"]) == employees
    assert len(book["workplaces"]) == workplaces
    kinds = [r["kind"] for r in book["sites"]]
    assert kinds.count("onsite") >= workplaces
    assert kinds.count("community") >= 2
    assert len({r["workplace_id"] for r in book["employees"]}) == workplaces


def check_references(book: Book) -> None:
    workplaces = {r["workplace_id"] for r in book["workplaces"]}
    sites = {r["site_id"]: r for r in book["sites"]}
    products = {r["product"] for r in book["products"]}
    patterns = {r["pattern_id"] for r in book["shift_patterns"]}
    employees = {r["employee_id"] for r in book["employees"]}
    departments = {r["department"] for r in book["employees"]}
    assert len(employees) == len(book["employees"])
    assert len(sites) == len(book["sites"])
    for s in sites.values():
        assert s["kind"] in ("onsite", "community")
        if s["kind"] == "onsite":
            assert s["workplace_id"] in workplaces
    for r in book["travel"]:
        assert r["workplace_id"] in workplaces and r["site_id"] in sites
        assert sites[r["site_id"]]["workplace_id"] != r["workplace_id"]
    for r in book["employees"]:
        assert r["workplace_id"] in workplaces
        assert r["shift_pattern"] in patterns | {None, "office"}
        if r["doses_received"]:
            assert r["last_product"] in products
    reach = {(r["workplace_id"], r["site_id"]) for r in book["travel"]}
    reach |= {
        (s["workplace_id"], k)
        for k, s in sites.items()
        if s["kind"] == "onsite"
    }
    ids = [r["session_id"] for r in book["sessions"]]
    assert len(set(ids)) == len(ids)
    for r in book["sessions"]:
        assert r["site_id"] in sites
        assert r["service"] in ("vaccination", "nucleic_test")
        if r["service"] == "vaccination":
            assert r["product"] in products
        allowed = r["workplaces"].split(",") if r["workplaces"] else []
        assert set(allowed) <= workplaces
        for w in allowed:
            assert (w, r["site_id"]) in reach
    for sheet in ("absences", "duty"):
        assert {r["employee_id"] for r in book[sheet]} <= employees
    for r in book["test_requirements"]:
        if r["scope"] == "department":
            assert r["value"] in departments


def test_references_resolve(small: Path, default: Book) -> None:
    """Every id named in one sheet is defined in its own sheet."""
    check_references(read_book(small))
    check_references(default)


def test_dates_inside_horizon(small: Path) -> None:
    """Sessions, leaves and duty rows lie in the horizon, history before."""
    book = read_book(small)
    s = settings_of(book)
    h0, h1 = day(s["horizon_start"]), day(s["horizon_end"])
    assert (h1 - h0).days + 1 == SMALL["days"]
    for r in book["sessions"]:
        assert h0 <= day(r["date"]) <= h1
    for r in book["absences"]:
        assert h0 <= day(r["start_date"]) <= day(r["end_date"]) <= h1
    for r in book["duty"]:
        assert h0 <= day(r["date"]) <= h1
    for r in book["employees"]:
        for col in ("last_dose_date", "last_test_date"):
            if r[col] is not None:
                assert day(r[col]) < h0


def test_sheet_extents_recorded(small: Path) -> None:
    """Read-only readers see each sheet's size (``<dimension>`` written)."""
    wb = load_workbook(small, read_only=True)
    employees = wb["employees"]
    assert employees.max_row == SMALL["employees"] + 1
    assert employees.max_column == len(SHEETS["employees"])
    wb.close()


def test_cells_are_typed(small: Path) -> None:
    """Ids and phones are text, dates are dates, times are HH:MM text."""
    book = read_book(small)
    for r in book["employees"]:
        assert isinstance(r["employee_id"], str)
        assert isinstance(r["phone"], str) and len(r["phone"]) == 11
        assert r["phone"][:2] in ("13", "15", "18")
        assert (r["birth_date"] is None) != (r["age"] is None)
    for r in book["sessions"]:
        assert isinstance(r["date"], datetime)
        assert minutes(r["start"]) < minutes(r["end"])
    for r in book["shift_patterns"]:
        assert minutes(r["start"]) != minutes(r["end"])


def test_domain_objects_build(small: Path) -> None:
    """The rows satisfy the invariants of the domain types."""
    inst = instance_of(read_book(small))
    assert len(inst.employees) == SMALL["employees"]
    assert all(s.slots for s in inst.sessions.values())


def test_default_capacity_near_demand(default: Book) -> None:
    """Default: vaccination 1.0-1.3x demand, tests 1.1-1.4x."""
    vaccination, tests = ratios(default)
    assert 1.0 <= vaccination <= 1.3
    assert 1.1 <= tests <= 1.4


def test_tight_gives_less_capacity(small: Path, tmp_path: Path) -> None:
    """``tight`` plans clearly less capacity per demand."""
    tight = generate_workbook(tmp_path / "t.xlsx", **SMALL, tight=True)
    v_ample, t_ample = ratios(read_book(small))
    v_tight, t_tight = ratios(read_book(tight))
    assert 0.95 <= v_ample <= 1.5 and 1.0 <= t_ample <= 1.7
    assert v_tight < 0.9 and v_tight < v_ample - 0.25
    assert t_tight < t_ample - 0.2


def test_default_mix(default: Book) -> None:
    """The shipped example has the mix of staff and history it promises."""
    people = default["employees"]
    n = len(people)
    assert n == 1500
    call_centre = {
        r["value"]
        for r in default["test_requirements"]
        if r["scope"] == "department"
    }
    cc = sum(r["department"] in call_centre for r in people)
    assert 0.45 <= cc / n <= 0.65
    doses = [r["doses_received"] for r in people]
    assert 0.28 <= doses.count(0) / n <= 0.42
    exempt = sum(r["vaccination_exemption"] is not None for r in people)
    assert 0.02 <= exempt / n <= 0.05
    inst = instance_of(default)
    needs = compute_needs(inst).vaccination.values()
    assert sum(n.overdue for n in needs) > 20
    assert sum(n.booster for n in needs) > 50
    night = {
        r["pattern_id"]
        for r in default["shift_patterns"]
        if minutes(r["end"]) < minutes(r["start"])
    }
    assert night and any(r["shift_pattern"] in night for r in people)
    assert default["calendar"] == [
        {"date": datetime(2021, 6, 14), "kind": "holiday"}
    ]
    windows = [r for r in default["test_requirements"] if r["scope"] == "all"]
    assert len(windows) == 1
    first, last = (
        day(windows[0]["window_start"]),
        day(windows[0]["window_end"]),
    )
    assert (last - first).days + 1 in (2, 3)
    absent = {r["employee_id"] for r in default["absences"]}
    assert len(absent) / n >= 0.05
    assert default["duty"]


def test_default_sessions_reach_every_shift(default: Book) -> None:
    """Each building has weekly onsite evening jabs and swab rounds."""
    sites = {r["site_id"]: r for r in default["sites"]}
    h0 = day(settings_of(default)["horizon_start"])
    evening, tests = set(), set()
    for r in default["sessions"]:
        site = sites[r["site_id"]]
        week = (day(r["date"]) - h0).days // 7
        if site["kind"] != "onsite":
            continue
        if r["service"] == "vaccination" and minutes(r["start"]) >= 20 * 60:
            evening.add((site["workplace_id"], week))
        if r["service"] == "nucleic_test":
            tests.add((site["workplace_id"], week))
    buildings = {r["workplace_id"] for r in default["workplaces"]}
    every = {(w, k) for w in buildings for k in range(4)}
    assert evening == every
    assert tests == every
    holiday = datetime(2021, 6, 14)
    assert all(r["date"] != holiday for r in default["sessions"])
    community = [
        r
        for r in default["sessions"]
        if sites[r["site_id"]]["kind"] == "community"
    ]
    assert len({r["date"] for r in community}) >= 14


# ------------------------------------------------------------------ shapes


def team_sizes(book: Book) -> dict[tuple[str, str], int]:
    sizes: dict[tuple[str, str], int] = {}
    for r in book["employees"]:
        key = (r["department"], r["team"] or "")
        sizes[key] = sizes.get(key, 0) + 1
    return sizes


def test_call_centre_shape(tmp_path: Path) -> None:
    """The issue-18 shape: shift teams of 20-25, nights ending at 24:00,
    seats below every vaccination session's capacity per slot, capacity
    close to demand."""
    book = read_book(
        generate_workbook(
            tmp_path / "cc.xlsx",
            **SMALL | {"employees": 600},
            shape="call-centre",
        )
    )
    shift = [
        n
        for (dept, team), n in team_sizes(book).items()
        if "-T" in team  # shift teams are numbered, e.g. CS-T01
    ]
    assert shift and all(20 <= n <= 25 for n in shift)
    nights = [
        r for r in book["shift_patterns"] if r["pattern_id"].startswith("NI")
    ]
    assert nights and all(
        (r["start"], r["end"]) == ("16:00", "24:00") for r in nights
    )
    jabs = [r for r in book["sessions"] if r["service"] == "vaccination"]
    assert all(
        r["observation_seats"] == max(1, round(0.75 * r["capacity_per_slot"]))
        for r in jabs
    )
    assert any(r["observation_seats"] < r["capacity_per_slot"] for r in jabs)
    vaccination, tests = ratios(book)
    assert 0.9 <= vaccination <= 1.1 and 0.9 <= tests <= 1.15


def test_team_sizes_follow_the_shape(tmp_path: Path) -> None:
    """Shift teams (numbered, e.g. CS-T01) within the shape's range."""
    for name, (lo, hi) in (("small-teams", (5, 8)), ("large-teams", (40, 60))):
        book = read_book(
            generate_workbook(
                tmp_path / f"{name}.xlsx",
                **SMALL | {"employees": 900},
                shape=name,
            )
        )
        shift = [
            n for (_, team), n in team_sizes(book).items() if "-T" in team
        ]
        assert shift and all(lo <= n <= hi for n in shift), (name, shift)


def test_cadences_and_screening_follow_the_shape(tmp_path: Path) -> None:
    """Cadences in turn over the call-centre departments, a one-day
    screening; no screening at all with ``screening_days=0``."""
    shape = Shape(cadences=(3, 14), screening_days=1, office_cadence=10)
    book = read_book(
        generate_workbook(tmp_path / "c.xlsx", **SMALL, shape=shape)
    )
    reqs = book["test_requirements"]
    every = {r["value"]: r["every_days"] for r in reqs if r["every_days"]}
    centre = {c: (3, 14)[i % 2] for i, (c, *_) in enumerate(CALL_CENTRE)}
    assert {k: v for k, v in every.items() if k in centre} == {
        k: v for k, v in centre.items() if k in every
    }
    assert len(set(every) & set(centre)) >= 2
    assert {v for k, v in every.items() if k not in centre} == {10}
    (window,) = [r for r in reqs if r["scope"] == "all"]
    assert window["window_start"] == window["window_end"]
    none = read_book(
        generate_workbook(
            tmp_path / "n.xlsx", **SMALL, shape=Shape(screening_days=0)
        )
    )
    assert all(r["scope"] != "all" for r in none["test_requirements"])


def test_capacity_and_history_follow_the_shape(tmp_path: Path) -> None:
    """Capacity at 60 % of demand; a mostly unvaccinated staff."""
    shape = Shape(capacity=0.6, dose_mix=(0.8, 0.85, 0.95, 0.97, 0.99))
    book = read_book(
        generate_workbook(tmp_path / "t.xlsx", **SMALL, shape=shape)
    )
    vaccination, tests = ratios(book)
    assert vaccination < 0.75 and tests < 0.75
    doses = [r["doses_received"] for r in book["employees"]]
    assert doses.count(0) / len(doses) >= 0.7


def test_shape_horizon_and_centres(tmp_path: Path) -> None:
    """A shape's own horizon overrides ``days``; centres per building."""
    book = read_book(
        generate_workbook(
            tmp_path / "l.xlsx",
            **SMALL,
            shape=Shape(days=56, centres_per_building=2),
        )
    )
    s = settings_of(book)
    assert (day(s["horizon_end"]) - day(s["horizon_start"])).days == 55
    community = [r for r in book["sites"] if r["kind"] == "community"]
    assert len(community) == 6


def test_every_named_shape_reads_back(tmp_path: Path) -> None:
    """Every named shape gives a workbook the reader accepts, with needs."""
    from scheduler.io.read.read import read_instance

    for name in SHAPES:
        inst = read_instance(
            generate_workbook(
                tmp_path / f"{name}.xlsx",
                employees=300,
                workplaces=2,
                seed=3,
                shape=name,
            )
        )
        needs = compute_needs(inst)
        assert needs.vaccination and needs.tests, name


def test_impossible_shape_refused() -> None:
    with pytest.raises(ValueError):
        Shape(shift_team=(9, 5))
    with pytest.raises(ValueError):
        Shape(dose_mix=(0.5, 0.4, 0.9, 0.95, 0.97))
