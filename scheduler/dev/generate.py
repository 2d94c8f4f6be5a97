"""Seeded generator of realistic input workbooks (input-workbook.md).

The scheduler needs believable data at every size, from a 50-person smoke
test to a 100,000-person benchmark: shift teams that are off on different
days, dose histories with overdue second doses and due boosters, sessions
that people can reach while on duty, and session capacity sized against
the demand it has to serve (ample by default, short with ``tight``), so
that a run exercises every rule and reason code of domain.md.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, and
the file is written with fixed timestamps, so the same arguments give the
same workbook byte for byte. ``python -m scheduler.dev.generate`` rebuilds the
shipped example ``inputs/campaign.xlsx``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from scheduler.core.domain import hhmm
from scheduler.dev.shapes import SHAPES, Shape
from scheduler.io.write.generated import write_generated

__all__ = [
    "SHAPES",
    "Balance",
    "Scenario",
    "Shape",
    "expected_follow_up_doses",
    "generate_workbook",
    "plan_balance",
]

#: Timestamp written into the file (document properties and zip entries),
#: so that a rebuilt workbook is byte-identical to the previous one.
FIXED_TIMESTAMP = datetime(2021, 1, 1, 0, 0, 0)

# --------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Product:
    name: str
    doses: int
    min_interval: int
    max_interval: int
    min_age: int = 18
    max_age: int | None = None
    booster_after: int | None = None


PRODUCTS = (
    _Product("CoronaVac", 2, 21, 56, max_age=59, booster_after=180),
    _Product("BBIBP-CorV", 2, 21, 56, booster_after=180),
    _Product("Ad5-nCoV", 1, 0, 0, booster_after=180),
    _Product("ZF2001", 3, 30, 60),
)
PRODUCT = {p.name: p for p in PRODUCTS}
INACTIVATED = ("CoronaVac", "BBIBP-CorV")

#: The model case's three buildings: (name, short name, site code,
#: district, address).
HOME_BUILDINGS = (
    (
        "New Tower (新大楼)",
        "New Tower",
        "NT",
        "Futian",
        "7088 Shennan Boulevard, Futian District, Shenzhen",
    ),
    (
        "Rongchao (荣超)",
        "Rongchao",
        "RC",
        "Futian",
        "Rongchao Business Centre, 6003 Yitian Road, Futian District, "
        "Shenzhen",
    ),
    (
        "Zhonghaixin (中海信)",
        "Zhonghaixin",
        "ZHX",
        "Futian",
        "Zhonghaixin Innovation Park, 8 Guihua Road, Futian Free Trade "
        "Zone, Futian District, Shenzhen",
    ),
)
#: Further buildings: (area, Chinese name, district).
MORE_AREAS = (
    ("Chegongmiao", "车公庙", "Futian"),
    ("Houhai", "后海", "Nanshan"),
    ("Keyuan", "科苑", "Nanshan"),
    ("Caiwuwei", "蔡屋围", "Luohu"),
    ("Huaqiangbei", "华强北", "Futian"),
    ("Qianhai", "前海", "Nanshan"),
    ("Bao'an Centre", "宝安中心", "Bao'an"),
    ("Minzhi", "民治", "Longhua"),
    ("Bantian", "坂田", "Longgang"),
    ("Sungang", "笋岗", "Luohu"),
    ("Shekou", "蛇口", "Nanshan"),
    ("Xixiang", "西乡", "Bao'an"),
    ("Xiangmihu", "香蜜湖", "Futian"),
    ("Buji", "布吉", "Longgang"),
    ("Longhua Centre", "龙华中心", "Longhua"),
)
ROADS = {
    "Futian": (
        "Shennan Boulevard",
        "Yitian Road",
        "Fuhua 3rd Road",
        "Jintian Road",
        "Hongli Road",
        "Binhe Boulevard",
        "Caitian Road",
        "Xinzhou Road",
        "Huaqiang North Road",
        "Lianhua Road",
    ),
    "Nanshan": (
        "Keyuan Road",
        "Houhai Boulevard",
        "Nanhai Boulevard",
        "Shahe West Road",
        "Gongye 8th Road",
    ),
    "Luohu": (
        "Shennan East Road",
        "Jianshe Road",
        "Dongmen Road",
        "Hubei Road",
    ),
    "Bao'an": ("Xin'an 6th Road", "Bao'an Boulevard", "Qianjin 2nd Road"),
    "Longhua": ("Minzhi Boulevard", "Meilong Road", "Renmin Road"),
    "Longgang": ("Bulong Road", "Longgang Boulevard", "Jihua Road"),
}
#: Community health service centres (社康中心) by district.
COMMUNITIES = {
    "Futian": (
        ("Xiangmihu", "香蜜湖"),
        ("Lianhua", "莲花"),
        ("Huafu", "华富"),
        ("Futian", "福田"),
        ("Shatou", "沙头"),
        ("Nanyuan", "南园"),
        ("Yuanling", "园岭"),
        ("Meilin", "梅林"),
        ("Huaqiang", "华强"),
        ("Fubao", "福保"),
        ("Xiasha", "下沙"),
        ("Chegongmiao", "车公庙"),
    ),
    "Nanshan": (
        ("Yuehai", "粤海"),
        ("Shekou", "蛇口"),
        ("Nantou", "南头"),
        ("Xili", "西丽"),
        ("Shahe", "沙河"),
        ("Zhaoshang", "招商"),
        ("Taoyuan", "桃源"),
    ),
    "Luohu": (
        ("Dongmen", "东门"),
        ("Cuizhu", "翠竹"),
        ("Sungang", "笋岗"),
        ("Huangbei", "黄贝"),
        ("Guiyuan", "桂园"),
        ("Liantang", "莲塘"),
    ),
    "Bao'an": (
        ("Xin'an", "新安"),
        ("Xixiang", "西乡"),
        ("Fuyong", "福永"),
        ("Shajing", "沙井"),
    ),
    "Longhua": (
        ("Minzhi", "民治"),
        ("Longhua", "龙华"),
        ("Dalang", "大浪"),
        ("Guanlan", "观澜"),
    ),
    "Longgang": (
        ("Bantian", "坂田"),
        ("Buji", "布吉"),
        ("Longcheng", "龙城"),
        ("Henggang", "横岗"),
    ),
}
ROOM_NAMES = (
    "3F meeting room",
    "5F training room",
    "2F multi-function hall",
    "B1 canteen annex",
    "7F meeting room",
    "1F lobby hall",
)
#: Swab teams; ``{district}`` is the building's district.
TEST_PROVIDERS = (
    "KingMed Diagnostics (金域医学)",
    "BGI Genomics (华大基因)",
    "{district} District People's Hospital",
)

#: Call-centre departments: (name, team prefix, weight, night share,
#: Mon-Sat share).
CALL_CENTRE = (
    ("Customer Service Centre", "CS", 0.50, 0.22, 0.0),
    ("Collections Centre", "COL", 0.25, 0.0, 0.4),
    ("Card Activation Hotline", "ACT", 0.15, 0.2, 0.0),
    ("VIP Service Hotline", "VIP", 0.10, 0.15, 0.0),
)
#: Office departments: (name, weight, sub-teams, staff role).
OFFICE = (
    (
        "Risk Management",
        0.17,
        (
            "Credit Approval",
            "Fraud Monitoring",
            "Risk Models",
            "Portfolio Risk",
            "Anti-Money Laundering",
        ),
        "analyst",
    ),
    (
        "IT",
        0.19,
        (
            "Core Systems",
            "Mobile App",
            "Infrastructure",
            "Data Platform",
            "Security",
            "Testing",
        ),
        "engineer",
    ),
    (
        "Operations",
        0.15,
        ("Card Issuance", "Disputes", "Payments", "Document Processing"),
        "officer",
    ),
    (
        "Marketing",
        0.11,
        ("Brand", "Digital Marketing", "Merchant Partnerships", "Campaigns"),
        "specialist",
    ),
    (
        "Card Products",
        0.10,
        ("Product Design", "Rewards", "Instalments", "Co-brand Cards"),
        "product manager",
    ),
    (
        "Finance",
        0.10,
        ("Accounting", "Planning & Analysis", "Treasury", "Procurement"),
        "analyst",
    ),
    ("HR", 0.06, ("Recruitment", "Payroll", "Learning"), "specialist"),
    (
        "Compliance",
        0.07,
        ("Regulatory Affairs", "Internal Control", "Legal"),
        "officer",
    ),
    ("Administration", 0.05, ("Facilities", "General Affairs"), "assistant"),
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江"
    "尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉玲丹萍鹏"
    "宇浩然子涵欣怡梓轩雨彤思远嘉豪佳琪志强晓东海燕婷婷俊杰晨阳一凡博文雪梅"
    "晶莹振宇慧敏海涛凯瑞梦瑶诗琪家乐泽宇若曦佳怡子豪雅琴永红春燕"
)
PHONE_PREFIXES = tuple(
    [f"13{d}" for d in range(10)]
    + [f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)]
    + [f"18{d}" for d in range(10)]
)
EXEMPTIONS = (
    ("medical", 4),
    ("pregnant", 2),
    ("declined", 3),
    ("过敏", 2),
    ("医学禁忌", 1),
    ("hepatitis B treatment (doctor's note)", 1),
)
ABSENCE_REASONS = (
    ("annual leave", 50),
    ("sick leave", 25),
    ("training", 15),
    ("business trip", 7),
    ("marriage leave", 3),
)

#: Official 2021-2022 public holidays on weekdays, and weekend workdays.
HOLIDAYS = tuple(
    date.fromisoformat(d)
    for d in (
        "2021-01-01",
        "2021-02-11",
        "2021-02-12",
        "2021-02-15",
        "2021-02-16",
        "2021-02-17",
        "2021-04-05",
        "2021-05-03",
        "2021-05-04",
        "2021-05-05",
        "2021-06-14",
        "2021-09-20",
        "2021-09-21",
        "2021-10-01",
        "2021-10-04",
        "2021-10-05",
        "2021-10-06",
        "2021-10-07",
        "2022-01-03",
        "2022-01-31",
        "2022-02-01",
        "2022-02-02",
        "2022-02-03",
        "2022-02-04",
        "2022-04-04",
        "2022-04-05",
        "2022-05-02",
        "2022-05-03",
        "2022-05-04",
        "2022-06-03",
        "2022-09-12",
        "2022-10-03",
        "2022-10-04",
        "2022-10-05",
        "2022-10-06",
        "2022-10-07",
    )
)
WORKDAYS = tuple(
    date.fromisoformat(d)
    for d in (
        "2021-02-07",
        "2021-02-20",
        "2021-04-25",
        "2021-05-08",
        "2021-09-18",
        "2021-09-26",
        "2021-10-09",
        "2022-01-29",
        "2022-01-30",
        "2022-04-02",
        "2022-04-24",
        "2022-05-07",
        "2022-10-08",
        "2022-10-09",
    )
)


def _t(hour: int, minute: int = 0) -> int:
    return hour * 60 + minute


# Session windows (minutes after midnight).
VAC_AM, VAC_PM, VAC_EVENING = (
    (_t(9), _t(12)),
    (_t(13, 30), _t(17)),
    (_t(20, 30), _t(23)),
)
CHC_AM, CHC_PM = (_t(8, 30), _t(11, 30)), (_t(14), _t(16, 30))
TEST_MORNING, TEST_LUNCH, TEST_EVENING = (
    (_t(8), _t(10)),
    (_t(12), _t(14)),
    (_t(20), _t(22)),
)
SCREEN_AM, SCREEN_PM, SCREEN_EVENING = (
    (_t(8), _t(12)),
    (_t(13), _t(17)),
    (_t(20), _t(22)),
)

#: Capacity per slot ranges (onsite and community vaccination, tests).
ONSITE_CAP, COMMUNITY_CAP, TEST_CAP = (4, 8), (3, 6), (10, 25)
#: Share of day-staff vaccination capacity planned at community centres.
COMMUNITY_SHARE = 0.45
#: Where in its capacity range a session is assumed to be when choosing
#: how many sessions a pool gets (0: lowest, 1: highest).
NOMINAL_CAP = 0.3
#: Share of vaccination sessions whose dose supply is below its slots.
LIMITED_SUPPLY_SHARE = 0.15
#: A building opens another onsite room when one would be this full.
ROOM_FILL = 0.75
#: Shortest test session, in slots, when trimming to the target.
MIN_TEST_SLOTS = 1
#: Share of first doses given with a two-dose product (follow-up demand).
TWO_DOSE_SHARE = 0.8
#: Interval of the two-dose inactivated products (days).
SECOND_DOSE_DAYS = 21


def expected_follow_up_doses(first_doses: float, days: int) -> float:
    """Second doses that first doses booked in this run are expected to add.

    A second dose becomes a need only when the first one is booked at least
    ``SECOND_DOSE_DAYS`` before the horizon ends (domain.md, Needs); with
    first doses spread over the horizon that is the share
    ``(days - 21) / days`` of them, times the share given with a two-dose
    product.
    """
    share = max(0, days - SECOND_DOSE_DAYS) / days
    return first_doses * TWO_DOSE_SHARE * share


# --------------------------------------------------------------------------
# Scenario and generated world
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """What to generate; every size is derived from these parameters.

    Parameters
    ----------
    employees, workplaces, days
        Staff count, buildings, and horizon length in days.
    seed
        Seed of the one random generator everything is drawn from.
    tight
        Plan less capacity than demand (vaccination ≈ 0.6-0.8x), to
        exercise the ``full`` reason and the objective's priorities.
    start
        First day of the horizon.
    shape
        What varies between employers (:class:`Shape`).
    """

    employees: int = 1500
    workplaces: int = 3
    days: int = 28
    seed: int = 2021
    tight: bool = False
    start: date = date(2021, 6, 7)
    shape: Shape = field(default_factory=Shape)

    def __post_init__(self) -> None:
        for name in ("employees", "workplaces", "days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    @property
    def end(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    @property
    def community_centres(self) -> int:
        """About one per building for the first three, then one per two
        (or the shape's number per building)."""
        w = self.workplaces
        per = self.shape.centres_per_building
        if per is not None:
            return max(1, round(w * per))
        return max(2, min(w, 3) + math.ceil(max(0, w - 3) / 2))

    @property
    def vaccination_ratio(self) -> tuple[float, float]:
        """Band the planned vaccination capacity / demand is drawn from."""
        if self.shape.capacity is not None:
            return _band(self.shape.capacity)
        return (0.65, 0.75) if self.tight else (1.08, 1.22)

    @property
    def test_ratio(self) -> tuple[float, float]:
        """Band the planned test capacity / demand is drawn from."""
        if self.shape.capacity is not None:
            return _band(self.shape.capacity)
        return (0.75, 0.88) if self.tight else (1.18, 1.32)


def _band(ratio: float) -> tuple[float, float]:
    return ratio * 0.97, ratio * 1.03


@dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    """Demand and capacity of a generated workbook, as planned.

    Vaccination demand counts the needs of domain.md plus
    ``expected_follow_up_doses``; capacity sums slots x capacity per slot,
    capped by ``doses_available``. Test demand is the weekly tests
    (``ceil(days / 7)`` per person on a cadence) plus one screening test
    per employee; capacity sums slots x capacity per slot.
    """

    vaccination_needs: int
    first_doses: int
    vaccination_demand: float
    vaccination_capacity: int
    test_demand: int
    test_capacity: int

    @property
    def vaccination_ratio(self) -> float:
        return self.vaccination_capacity / max(1.0, self.vaccination_demand)

    @property
    def test_ratio(self) -> float:
        return self.test_capacity / max(1, self.test_demand)


@dataclass(slots=True)
class _Room:
    site_id: str
    name: str


@dataclass(slots=True)
class _Building:
    id: str
    name: str
    short: str
    code: str
    district: str
    address: str
    vaccine_provider: str
    test_provider: str
    test_slot: int
    staff: int = 0
    rooms: list[_Room] = field(default_factory=list)

    def room(self, k: int) -> _Room:
        """The k-th onsite room (0 is the usual one), opened on demand."""
        while len(self.rooms) <= k:
            i = len(self.rooms)
            suffix = "" if i == 0 else f"-{i + 1}"
            label = (
                ROOM_NAMES[i]
                if i < len(ROOM_NAMES)
                else f"{2 * i + 1}F meeting room"
            )
            self.rooms.append(
                _Room(f"S-{self.code}{suffix}", f"{self.short} {label}")
            )
        return self.rooms[k]


@dataclass(slots=True)
class _Centre:
    id: str
    name: str
    district: str
    address: str


@dataclass(slots=True)
class _Unit:
    """A team: its people share department, team name and shift."""

    department: str
    building: int
    kind: str  # "day", "night", "six" (Mon-Sat), "office"
    size: int
    call_centre: bool
    prefix: str = ""
    pattern: str = ""
    team: str = ""


@dataclass(slots=True)
class _Person:
    unit: _Unit
    role: str
    age: int
    id: str = ""
    name: str = ""
    birth_date: date | None = None
    give_age: bool = False
    phone: str = ""
    doses: int = 0
    last_dose: date | None = None
    last_product: str | None = None
    exemption: str = ""
    last_test: date | None = None
    priority: int = 3
    shift_cell: str = ""


@dataclass(slots=True)
class _Session:
    id: str
    service: str
    site_id: str
    day: date
    start: int
    end: int
    slot_minutes: int
    capacity_per_slot: int = 0
    product: str | None = None
    doses_available: int | None = None
    observation_seats: int | None = None
    provider: str = ""
    workplaces: tuple[str, ...] = ()
    mandatory: bool = False

    @property
    def n_slots(self) -> int:
        return (self.end - self.start) // self.slot_minutes

    @property
    def capacity(self) -> int:
        """Bookable appointments: slots x capacity, capped by dose supply."""
        full = self.n_slots * self.capacity_per_slot
        if self.doses_available is None:
            return full
        return min(full, self.doses_available)


@dataclass(slots=True)
class _World:
    scenario: Scenario
    buildings: list[_Building]
    centres: list[_Centre]
    travel: list[tuple[str, str, int]]
    reach: list[list[int]]
    holidays: list[date]
    workdays: list[date]
    patterns: list[tuple[str, str, int, int]] = field(default_factory=list)
    units: list[_Unit] = field(default_factory=list)
    people: list[_Person] = field(default_factory=list)
    absences: list[tuple[str, date, date, str]] = field(default_factory=list)
    duty: list[tuple[str, date, int, int]] = field(default_factory=list)
    window: tuple[date, date] | None = None
    requirements: list[tuple] = field(default_factory=list)
    sessions: list[_Session] = field(default_factory=list)
    balance: Balance | None = None


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def generate_workbook(
    path: str | Path,
    *,
    employees: int = 1500,
    workplaces: int = 3,
    days: int = 28,
    seed: int = 2021,
    tight: bool = False,
    start: date = date(2021, 6, 7),
    shape: Shape | str = "default",
) -> Path:
    """Write a seeded, realistic input workbook and return its path.

    Parameters
    ----------
    path
        Where to write the ``.xlsx`` (parent folders are created).
    employees, workplaces, days, seed, tight, start
        See :class:`Scenario`.
    shape
        A :class:`Shape` or the name of one in ``SHAPES``; a shape with
        its own ``days`` overrides ``days``.

    Returns
    -------
    Path
        The path written. The same arguments always give the same bytes.
    """
    if isinstance(shape, str):
        shape = SHAPES[shape]
    scenario = Scenario(
        employees=employees,
        workplaces=workplaces,
        days=shape.days or days,
        seed=seed,
        tight=tight,
        start=start,
        shape=shape,
    )
    world = _build_world(scenario)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_workbook(world, out)
    return out


def _build_world(scenario: Scenario) -> _World:
    """Draw the whole scenario in memory (no file), in a fixed order."""
    rng = random.Random(scenario.seed)
    buildings = _make_buildings(scenario, rng)
    centres = _make_centres(scenario, buildings, rng)
    reach, travel = _make_travel(buildings, centres, rng)
    holidays, workdays = _make_calendar(scenario, rng)
    world = _World(
        scenario=scenario,
        buildings=buildings,
        centres=centres,
        travel=travel,
        reach=reach,
        holidays=holidays,
        workdays=workdays,
    )
    _make_staff(world, rng)
    _make_absences(world, rng)
    _make_duty(world, rng)
    world.window = _screening_window(scenario, holidays, rng)
    world.requirements = _make_requirements(world)
    _make_sessions(world, rng)
    return world


def plan_balance(scenario: Scenario) -> Balance:
    """Demand and capacity of the workbook ``scenario`` would give."""
    balance = _build_world(scenario).balance
    assert balance is not None
    return balance


# --------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------


def _make_buildings(sc: Scenario, rng: random.Random) -> list[_Building]:
    """The model case's three towers first, then named business areas."""
    width = max(2, len(str(sc.workplaces)))
    out = []
    for i in range(sc.workplaces):
        wid = f"WP{i + 1:0{width}d}"
        if i < len(HOME_BUILDINGS):
            name, short, code, district, address = HOME_BUILDINGS[i]
        else:
            area, zh, district = MORE_AREAS[(i - 3) % len(MORE_AREAS)]
            short = f"Building {i + 1} {area}"
            name, code = f"{short} ({zh})", wid
            address = _address(district, rng)
        out.append(
            _Building(
                id=wid,
                name=name,
                short=short,
                code=code,
                district=district,
                address=address,
                vaccine_provider=rng.choice(
                    (
                        f"{district} District CDC mobile team",
                        f"{district} District Chronic Disease Hospital "
                        "outreach team",
                    )
                ),
                test_provider=rng.choice(TEST_PROVIDERS).format(
                    district=district
                ),
                test_slot=rng.choice((15, 20)),
            )
        )
    weights = [rng.uniform(0.75, 1.25) for _ in out]
    for b, n in zip(out, _apportion(sc.employees, weights), strict=True):
        b.staff = n
    return out


def _address(district: str, rng: random.Random) -> str:
    road = rng.choice(ROADS[district])
    return (
        f"{rng.randint(1, 300) * 2 + 1} {road}, {district} District, Shenzhen"
    )


def _make_centres(
    sc: Scenario, buildings: list[_Building], rng: random.Random
) -> list[_Centre]:
    """Community health centres in the districts of the buildings."""
    n = sc.community_centres
    used: dict[str, int] = {}
    out = []
    for c in range(n):
        district = buildings[c * len(buildings) // n].district
        names = COMMUNITIES[district]
        k = used.get(district, 0)
        used[district] = k + 1
        en, zh = names[k % len(names)]
        if k >= len(names):
            n_th = k // len(names) + 1
            en, zh = f"{en} {n_th}", f"{zh}{n_th}"
        out.append(
            _Centre(
                id=f"CHC{c + 1:02d}",
                name=f"{en} Community Health Centre ({zh}社康中心)",
                district=district,
                address=_address(district, rng),
            )
        )
    return out


def _make_travel(
    buildings: list[_Building], centres: list[_Centre], rng: random.Random
) -> tuple[list[list[int]], list[tuple[str, str, int]]]:
    """Each building reaches 1-3 nearby centres, some a neighbour's room.

    Buildings and centres lie along one line (index order), so "near"
    means a close index: every centre is reached by at least one
    building and, with more than two centres, no building reaches all.
    """
    w, c = len(buildings), len(centres)
    reach: list[list[int]] = []
    travel: list[tuple[str, str, int]] = []
    for i, b in enumerate(buildings):
        home = {i * c // w} | {j for j in range(c) if j * w // c == i}
        wanted = rng.randint(1, 3)
        limit = c - 1 if c > 2 else c
        near = sorted(
            (j for j in range(c) if j not in home),
            key=lambda j, a=i * c / w: abs(j - a),
        )
        chosen = sorted(home)
        for j in near:
            if len(chosen) >= min(wanted, limit):
                break
            chosen.append(j)
        chosen.sort()
        reach.append(chosen)
        for j in chosen:
            minutes = rng.randint(10, 18) if j in home else rng.randint(15, 30)
            travel.append((b.id, centres[j].id, minutes))
        if w > 1 and rng.random() < 0.5:
            other = buildings[(i + 1) % w]
            travel.append((b.id, other.room(0).site_id, rng.randint(5, 15)))
    for b in buildings:
        b.room(0)
    return reach, travel


def _make_calendar(
    sc: Scenario, rng: random.Random
) -> tuple[list[date], list[date]]:
    """Official holidays in the horizon, else the Monday of week two."""
    inside = [d for d in HOLIDAYS if sc.start <= d <= sc.end]
    swaps = [d for d in WORKDAYS if sc.start <= d <= sc.end]
    if inside:
        return inside, swaps
    week2 = sc.start + timedelta(days=7)
    monday = week2 + timedelta(days=(7 - week2.weekday()) % 7)
    if monday > sc.end:
        return [], []
    saturday = monday + timedelta(days=5)
    workday = saturday if saturday <= sc.end and rng.random() < 0.5 else None
    return [monday], [workday] if workday else []


# --------------------------------------------------------------------------
# Staff
# --------------------------------------------------------------------------


def _make_staff(world: _World, rng: random.Random) -> None:
    """Teams per building, then people with ids, histories and duties."""
    sc = world.scenario
    for bi, b in enumerate(world.buildings):
        share = sc.shape.shift_share + rng.uniform(-0.06, 0.06)
        cc = round(b.staff * min(1.0, max(0.0, share)))
        world.units += _call_centre_units(bi, cc, sc.shape, rng)
        world.units += _office_units(bi, b.staff - cc, sc.shape, rng)
    _name_units(world)
    world.patterns = _patterns(world)
    people = [p for u in world.units for p in _members(u, rng)]
    rng.shuffle(people)
    number = 10000
    for p in people:
        number += rng.randint(1, 3)
        p.id = f"{number:07d}"
        _describe(p, sc, rng)
        _history(p, sc, rng)
    world.people = people


def _partition(total: int, lo: int, hi: int, rng: random.Random) -> list[int]:
    """Split ``total`` into random sizes in ``lo..hi`` (one if too few)."""
    if total <= 0:
        return []
    if total <= hi:
        return [total]
    k = max(
        math.ceil(total / hi), min(total // lo, round(total / ((lo + hi) / 2)))
    )
    sizes = [total // k] * k
    for i in range(total - sum(sizes)):
        sizes[i] += 1
    for _ in range(2 * k):
        a, b = rng.randrange(k), rng.randrange(k)
        step = rng.randint(1, 2)
        if sizes[a] - step >= lo and sizes[b] + step <= hi:
            sizes[a] -= step
            sizes[b] += step
    return sizes


def _call_centre_units(
    bi: int, staff: int, shape: Shape, rng: random.Random
) -> list[_Unit]:
    """Shift teams (8-15 people by default) plus a small office-hours
    support team."""
    units: list[_Unit] = []
    if staff >= 60:
        support = max(3, round(staff * 0.04))
        dept, prefix = CALL_CENTRE[0][0], CALL_CENTRE[0][1]
        units += [
            _Unit(dept, bi, "office", size, True, prefix)
            for size in _partition(support, 4, 15, rng)
        ]
        staff -= support
    weights = [d[2] for d in CALL_CENTRE]
    sizes = _partition(staff, *shape.shift_team, rng)
    for k, size in enumerate(sizes):
        name, prefix, _, night, six = rng.choices(CALL_CENTRE, weights)[0]
        if shape.night_share is not None:
            night = shape.night_share
        r = rng.random()
        kind = "night" if r < night else "six" if r < night + six else "day"
        if k == 4 and not any(u.kind == "night" for u in units):
            name, prefix, kind = CALL_CENTRE[0][0], CALL_CENTRE[0][1], "night"
        units.append(_Unit(name, bi, kind, size, True, prefix))
    return units


def _office_units(
    bi: int, staff: int, shape: Shape, rng: random.Random
) -> list[_Unit]:
    """Office departments in proportion to their weight, in units of 6-25
    people by default.

    A small building hosts only some departments (about one per 15
    people, the larger ones more likely), so that no team is a single
    person.
    """
    if staff <= 0:
        return []
    k = max(1, min(len(OFFICE), staff // 15))
    keys = [rng.random() ** (1 / d[1]) for d in OFFICE]
    top = sorted(range(len(OFFICE)), key=lambda i: -keys[i])[:k]
    depts = [OFFICE[i] for i in sorted(top)]
    weights = [d[1] * rng.uniform(0.7, 1.3) for d in depts]
    return [
        _Unit(dept[0], bi, "office", size, False)
        for dept, count in zip(depts, _apportion(staff, weights), strict=True)
        for size in _partition(count, *shape.office_team, rng)
    ]


def _name_units(world: _World) -> None:
    """Team names and shift patterns, unique within each department.

    Call-centre teams are numbered per department (``CS-T01``) and take
    the six staggered cycle anchors in turn, so neighbouring teams are off
    on different days. An office department with a single unit keeps a
    blank team (the team is the department).
    """
    counts: dict[tuple[str, str], int] = {}
    by_dept: dict[str, list[_Unit]] = {}
    for u in world.units:
        by_dept.setdefault(u.department, []).append(u)
    subteams = {d[0]: d[2] for d in OFFICE}
    for dept, units in by_dept.items():
        shift = [u for u in units if u.kind != "office"]
        support = [u for u in units if u.kind == "office" and u.call_centre]
        width = max(2, len(str(len(shift))))
        for n, u in enumerate(shift, 1):
            u.team = f"{u.prefix}-T{n:0{width}d}"
            k = counts.get((dept, u.kind), 0)
            counts[(dept, u.kind)] = k + 1
            phase = "ABCDEF"[(k + len(dept)) % 6]
            u.pattern = {
                "day": f"DAY-{phase}",
                "night": f"NIGHT-{phase}",
                "six": "MON-SAT",
            }[u.kind]
        for n, u in enumerate(support, 1):
            u.team = f"{u.prefix}-SUP{n:02d}"
        office = [u for u in units if not u.call_centre]
        if len(office) == 1:
            continue
        names = subteams.get(dept, (dept,))
        for n, u in enumerate(office):
            base = names[n % len(names)]
            again = n // len(names) + 1
            u.team = base if n < len(names) else f"{base} {again}"


def _patterns(world: _World) -> list[tuple[str, str, int, int]]:
    """Shift patterns used by some team: staggered 4/2 cycles, Mon-Sat."""
    sc = world.scenario
    used = {u.pattern for u in world.units if u.pattern}
    out = []
    for k, phase in enumerate("ABCDEF"):
        anchor = (sc.start - timedelta(days=6 - k)).isoformat()
        out.append((f"DAY-{phase}", f"cycle:4/2@{anchor}", _t(8), _t(20)))
        night = sc.shape.night_hours
        out.append((f"NIGHT-{phase}", f"cycle:4/2@{anchor}", *night))
    out.sort(key=lambda p: (p[0].startswith("NIGHT"), p[0]))
    out.append(("MON-SAT", "Mon,Tue,Wed,Thu,Fri,Sat", _t(9), _t(18)))
    return [p for p in out if p[0] in used]


def _members(u: _Unit, rng: random.Random) -> Iterator[_Person]:
    """The people of one team with their roles and ages."""
    if u.call_centre and u.kind == "office":
        roles = ["manager"] + [
            rng.choice(("trainer", "workforce analyst", "quality analyst"))
            for _ in range(u.size - 1)
        ]
    elif u.call_centre:
        roles = ["team lead"] + ["agent"] * (u.size - 1)
        if u.size > 10 and rng.random() < 0.3:
            roles[1] = "supervisor"
        if u.size > 9 and rng.random() < 0.3:
            roles[2] = "quality analyst"
    else:
        role = next(d[3] for d in OFFICE if d[0] == u.department)
        roles = ["manager"] + [
            role if rng.random() < 0.85 else "assistant"
            for _ in range(u.size - 1)
        ]
        if u.size > 12:
            roles[1] = "senior " + role
    young = u.call_centre and u.kind != "office"
    for role in roles[: u.size]:
        if young:
            age = round(rng.triangular(20, 45, 25))
        else:
            age = round(rng.triangular(23, 60, 34))
            if rng.random() < 0.015:
                age = rng.randint(59, 62)
        if role in ("manager", "supervisor"):
            age = max(age, rng.randint(28, 40))
        yield _Person(unit=u, role=role, age=min(62, max(20, age)))


def _describe(p: _Person, sc: Scenario, rng: random.Random) -> None:
    """Name, birth date or age, phone, shift cell and priority."""
    n = len(SURNAMES)
    surname = SURNAMES[min(n - 1, int(rng.expovariate(1 / 15)))]
    given_len = 1 if rng.random() < 0.3 else 2
    p.name = surname + "".join(rng.choice(GIVEN) for _ in range(given_len))
    anniversary = _years_before(sc.start, p.age)
    p.birth_date = anniversary - timedelta(days=rng.randint(0, 364))
    p.give_age = rng.random() < 0.08
    p.phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    u = p.unit
    if u.pattern:
        p.shift_cell = u.pattern
    else:
        p.shift_cell = "office" if rng.random() < 0.7 else ""
    front_line = u.call_centre and u.kind != "office"
    r = rng.random()
    if front_line and p.role == "agent":
        p.priority = 5 if r < 0.02 else 4 if r < 0.37 else 3
    elif front_line:
        p.priority = 4 if r < 0.5 else 3
    else:
        p.priority = 1 if r < 0.04 else 2 if r < 0.13 else 3
    if p.age >= 55:
        p.priority = max(p.priority, 4)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _history(p: _Person, sc: Scenario, rng: random.Random) -> None:
    """Dose history, exemption and last test, in the mix of the brief.

    ~35% unvaccinated, ~25% one inactivated dose (some overdue), ~30% two
    (some due a booster in the horizon), ~4% Ad5-nCoV, ~3% part of the
    three-dose ZF2001 series, ~3% boosted already; ~3.5% exempt.
    """
    h0 = sc.start
    old = p.age + math.ceil(sc.days / 365) >= 59
    inactivated = "BBIBP-CorV" if old else rng.choice(INACTIVATED)
    none, one, two, ad5, zf = sc.shape.dose_mix
    r = rng.random()
    if r < none:
        pass
    elif r < one:
        p.doses, p.last_product = 1, inactivated
        p.last_dose = h0 - timedelta(days=rng.randint(10, 70))
    elif r < two:
        p.doses, p.last_product = 2, inactivated
        p.last_dose = h0 - timedelta(days=rng.randint(25, 230))
    elif r < ad5:
        p.doses, p.last_product = 1, "Ad5-nCoV"
        p.last_dose = h0 - timedelta(days=rng.randint(20, 220))
    elif r < zf:
        p.doses, p.last_product = rng.choice((1, 2)), "ZF2001"
        p.last_dose = h0 - timedelta(days=rng.randint(10, 75))
    else:
        p.doses, p.last_product = 3, inactivated
        p.last_dose = h0 - timedelta(days=rng.randint(10, 120))
    exempt_chance = {0: 0.075, 1: 0.035}.get(p.doses, 0.0)
    if p.last_product != "ZF2001" and rng.random() < exempt_chance:
        p.exemption = _weighted(EXEMPTIONS, rng)
    front_line = p.unit.call_centre
    if rng.random() < (0.88 if front_line else 0.35):
        back = 7 if front_line else 21
        p.last_test = h0 - timedelta(days=rng.randint(1, back))


def _weighted(table: Sequence[tuple[str, int]], rng: random.Random) -> str:
    return rng.choices([t[0] for t in table], [t[1] for t in table])[0]


def _make_absences(world: _World, rng: random.Random) -> None:
    """Leaves of 1-7 days inside the horizon for 5-8% of the staff."""
    sc = world.scenario
    people = world.people
    k = round(len(people) * rng.uniform(0.05, 0.08))
    rows = []
    for i in sorted(rng.sample(range(len(people)), k)):
        length = rng.choice((1, 1, 2, 3, 3, 4, 5, 5, 5, 6, 7, 7))
        first = sc.start + timedelta(days=rng.randrange(sc.days))
        last = min(sc.end, first + timedelta(days=length - 1))
        rows.append(
            (people[i].id, first, last, _weighted(ABSENCE_REASONS, rng))
        )
    world.absences = rows


def _make_duty(world: _World, rng: random.Random) -> None:
    """A few explicit duty swaps: weekend cover, late cover, shift swaps."""
    sc = world.scenario
    people = world.people
    days = [sc.start + timedelta(days=i) for i in range(sc.days)]
    weekdays = [d for d in days if d.weekday() < 5] or days
    weekends = [d for d in days if d.weekday() >= 5] or days
    sundays = [d for d in days if d.weekday() == 6] or days
    k = min(len(people), max(2, round(len(people) * 0.004)))
    rows = []
    for i in sorted(rng.sample(range(len(people)), k)):
        p = people[i]
        kind = p.unit.kind
        if kind == "office" and rng.random() < 0.5:
            pool, hours = weekends, (_t(9), _t(17))
        elif kind == "office":
            pool, hours = weekdays, (_t(13), _t(22))
        elif kind == "day":
            pool, hours = days, (_t(20), _t(8))
        elif kind == "night":
            pool, hours = days, (_t(8), _t(20))
        else:
            pool, hours = sundays, (_t(9), _t(18))
        for d in sorted(rng.sample(pool, min(len(pool), rng.randint(1, 3)))):
            rows.append((p.id, d, *hours))
    world.duty = rows


# --------------------------------------------------------------------------
# Needs and test requirements
# --------------------------------------------------------------------------


def _need(p: _Person, sc: Scenario) -> str | None:
    """The person's vaccination need of domain.md, if any.

    Returns ``"first"``, ``"next"`` (the rest of a series) or
    ``"booster"``.
    """
    if p.exemption:
        return None
    if p.doses == 0:
        return "first"
    assert p.last_product is not None and p.last_dose is not None
    prod = PRODUCT[p.last_product]
    if p.doses < prod.doses:
        due = p.last_dose + timedelta(days=prod.min_interval)
        return "next" if due <= sc.end else None
    if p.doses > prod.doses:
        return None
    for b in PRODUCTS:
        if (
            b.booster_after is not None
            and p.last_dose + timedelta(days=b.booster_after) <= sc.end
        ):
            return "booster"
    return None


def _screening_window(
    sc: Scenario, holidays: list[date], rng: random.Random
) -> tuple[date, date] | None:
    """Two or three working days from mid-week of the second or third week.

    Three days are more likely: a 4-on/2-off worker is then on duty on
    at least one of them. The window starts on the Tuesday (else the
    Wednesday) and holds no holiday.
    """
    fixed = sc.shape.screening_days
    if fixed == 0:
        return None
    length = rng.choice((2, 3, 3)) if fixed is None else fixed
    span = timedelta(days=length - 1)
    starts = []
    for week in (1, 2):
        first = sc.start + timedelta(days=7 * week)
        tuesday = first + timedelta(days=(1 - first.weekday()) % 7)
        for begin in (tuesday, tuesday + timedelta(days=1)):
            days = [begin + timedelta(days=i) for i in range(length)]
            if begin + span <= sc.end and not set(days) & set(holidays):
                starts.append(begin)
                break
    if starts:
        begin = rng.choice(starts)
        return begin, begin + span
    begin = sc.start + timedelta(days=min(1, sc.days - 1))
    return begin, min(sc.end, begin + span)


def _cadences(world: _World) -> dict[str, int]:
    """Per department tested on a cadence, its ``every_days``: the
    shape's cadences in turn over the call-centre departments (weekly by
    default), and the office cadence, if any, for the others."""
    shape = world.scenario.shape
    present = {u.department for u in world.units}
    out = {
        dept: shape.cadences[i % len(shape.cadences)]
        for i, (dept, *_) in enumerate(CALL_CENTRE)
        if dept in present
    }
    if shape.office_cadence is not None:
        for dept, *_ in OFFICE:
            if dept in present:
                out[dept] = shape.office_cadence
    return out


def _make_requirements(world: _World) -> list[tuple]:
    """Tests on a cadence per department (weekly for call-centre ones by
    default), one mass screening."""
    rows: list[tuple] = []
    for dept, every in _cadences(world).items():
        rows.append(
            (f"TR{len(rows) + 1:02d}", "department", dept, every, None, None)
        )
    if world.window:
        rows.append(
            (f"TR{len(rows) + 1:02d}", "all", None, None, *world.window)
        )
    return rows


# --------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------


def _make_sessions(world: _World, rng: random.Random) -> None:
    """Vaccination and test sessions sized against each pool's demand."""
    sc = world.scenario
    nb = len(world.buildings)
    day_need, night_need = [0.0] * nb, [0.0] * nb
    # Per building, people tested every k days: {k: people}.
    cadence_day: list[dict[int, int]] = [{} for _ in range(nb)]
    cadence_night: list[dict[int, int]] = [{} for _ in range(nb)]
    night_staff, staff = [0] * nb, [0] * nb
    needs = firsts = 0
    follow = expected_follow_up_doses(1.0, sc.days)
    every_days = _cadences(world)
    for p in world.people:
        bi = p.unit.building
        night = p.unit.kind == "night"
        staff[bi] += 1
        night_staff[bi] += night
        every = every_days.get(p.unit.department)
        if every is not None:
            pool = (cadence_night if night else cadence_day)[bi]
            pool[every] = pool.get(every, 0) + 1
        need = _need(p, sc)
        if need is None:
            continue
        needs += 1
        firsts += need == "first"
        weight = 1.0 + (follow if need == "first" else 0.0)
        (night_need if night else day_need)[bi] += weight
    demand = needs + expected_follow_up_doses(firsts, sc.days)
    ratio = rng.uniform(*sc.vaccination_ratio)
    blocked = _blocked_days(world)
    vaccination = _vaccination_sessions(
        world,
        rng,
        [ratio * x for x in day_need],
        [ratio * x for x in night_need],
        blocked,
    )
    rounds = {
        every: math.ceil(sc.days / every) for every in every_days.values()
    }
    test_demand = sum(
        rounds[every] * x
        for pools in (cadence_day, cadence_night)
        for pool in pools
        for every, x in pool.items()
    ) + (len(world.people) if world.window else 0)
    t_ratio = rng.uniform(*sc.test_ratio)
    tests = _test_sessions(
        world,
        rng,
        regular=(
            [
                sum(t_ratio * rounds[k] * x for k, x in sorted(pool.items()))
                for pool in cadence_day
            ],
            [
                sum(t_ratio * rounds[k] * x for k, x in sorted(pool.items()))
                for pool in cadence_night
            ],
        ),
        screening=(
            [
                t_ratio * (s - n)
                for s, n in zip(staff, night_staff, strict=True)
            ],
            [t_ratio * n for n in night_staff],
        ),
        busy=_busy(vaccination),
    )
    seats = sc.shape.observation
    if seats is not None:
        for s in vaccination:
            s.observation_seats = max(1, round(seats * s.capacity_per_slot))
    sessions = vaccination + tests
    sessions.sort(key=lambda s: (s.day, s.start, s.site_id, s.id))
    world.sessions = sessions
    world.balance = Balance(
        vaccination_needs=needs,
        first_doses=firsts,
        vaccination_demand=round(demand, 1),
        vaccination_capacity=sum(s.capacity for s in vaccination),
        test_demand=test_demand,
        test_capacity=sum(s.capacity for s in tests),
    )


def _blocked_days(world: _World) -> set[date]:
    """No vaccination on holidays nor during the mass screening."""
    blocked = set(world.holidays)
    if world.window:
        d = world.window[0]
        while d <= world.window[1]:
            blocked.add(d)
            d += timedelta(days=1)
    return blocked


def _weeks(sc: Scenario, skip: set[date]) -> list[list[date]]:
    """Horizon days grouped by week from the start, without ``skip``."""
    weeks: list[list[date]] = [[] for _ in range(math.ceil(sc.days / 7))]
    for i in range(sc.days):
        d = sc.start + timedelta(days=i)
        if d not in skip:
            weeks[i // 7].append(d)
    return weeks


def _weekdays_first(days: list[date], rng: random.Random) -> list[date]:
    """Weekdays in random order, then weekend days in random order."""
    week = [d for d in days if d.weekday() < 5]
    end = [d for d in days if d.weekday() >= 5]
    rng.shuffle(week)
    rng.shuffle(end)
    return week + end


def _vaccination_sessions(
    world: _World,
    rng: random.Random,
    day_target: list[float],
    night_target: list[float],
    blocked: set[date],
) -> list[_Session]:
    """Community sessions first; onsite rooms make up the rest.

    Day staff get ``COMMUNITY_SHARE`` of their capacity at community
    centres in reach; what the centres cannot hold, and the remainder,
    goes to the building's onsite room on weekdays (and every other
    weekend, for cycle workers). Night staff get evening sessions.
    """
    sc = world.scenario
    weeks = _weeks(sc, blocked)
    nb = len(world.buildings)
    share = [[0.0] * len(world.centres) for _ in range(nb)]
    for bi, centres in enumerate(world.reach):
        for c in centres:
            share[bi][c] = day_target[bi] * COMMUNITY_SHARE / len(centres)
    sessions: list[_Session] = []
    onsite = list(day_target)
    for c, centre in enumerate(world.centres):
        target = sum(share[bi][c] for bi in range(nb))
        chosen = _fit(
            _community_candidates(world, c, weeks, rng),
            target,
            COMMUNITY_CAP,
            rng,
            trim_doses=True,
        )
        got = sum(s.capacity for s in chosen)
        for bi in range(nb):
            if target > 0:
                onsite[bi] -= got * share[bi][c] / target
        _community_details(world, c, centre, chosen, rng)
        sessions += chosen
    for bi, b in enumerate(world.buildings):
        cycle = any(u.building == bi and u.kind == "day" for u in world.units)
        day = _fit_rooms(
            b,
            onsite[bi],
            ONSITE_CAP,
            rng,
            lambda room, b=b, cycle=cycle: _onsite_candidates(
                b, room, weeks, cycle, rng
            ),
            trim_doses=True,
        )
        night = _fit_rooms(
            b,
            night_target[bi],
            ONSITE_CAP,
            rng,
            lambda room, b=b: _evening_candidates(b, room, weeks, rng),
            trim_doses=True,
            weekly=True,
        )
        _onsite_details(b, day + night, rng)
        sessions += day + night
    return sessions


def _community_candidates(
    world: _World, c: int, weeks: list[list[date]], rng: random.Random
) -> list[_Session]:
    """Half days of one centre, spread so centres cover most days."""
    centre = world.centres[c]
    cands: list[tuple[int, int, _Session]] = []
    for w, days in enumerate(weeks):
        order = sorted(days)
        rng.shuffle(order)
        # Rotate per centre so that centres favour different days.
        shift = (c * 3) % max(1, len(order))
        order = order[shift:] + order[:shift]
        for tier, d in enumerate(order):
            first, second = (
                ("AM", "PM") if rng.random() < 0.6 else ("PM", "AM")
            )
            for extra, period in ((0, first), (len(order), second)):
                start, end = CHC_AM if period == "AM" else CHC_PM
                s = _Session(
                    id=f"V-{centre.id}-{d:%y%m%d}-{period}",
                    service="vaccination",
                    site_id=centre.id,
                    day=d,
                    start=start,
                    end=end,
                    slot_minutes=30,
                    provider=centre.name,
                )
                cands.append((tier + extra, w, s))
    cands.sort(key=lambda x: (x[0], x[1]))
    return [s for *_, s in cands]


def _community_details(
    world: _World,
    c: int,
    centre: _Centre,
    chosen: list[_Session],
    rng: random.Random,
) -> None:
    """Products of every kind; some sessions reserved for some buildings."""
    reached_by = [
        world.buildings[bi].id for bi, r in enumerate(world.reach) if c in r
    ]
    names = [p.name for p in PRODUCTS]
    for s in chosen:
        s.product = rng.choices(names, (0.3, 0.3, 0.18, 0.22))[0]
        limit = 0.25 if len(reached_by) > 1 else 0.1
        if reached_by and rng.random() < limit:
            k = rng.randint(1, max(1, len(reached_by) - 1))
            s.workplaces = tuple(sorted(rng.sample(reached_by, k)))
    if len(chosen) >= 3 and not any(s.product == "ZF2001" for s in chosen):
        rng.choice(chosen[len(chosen) // 2 :]).product = "ZF2001"


def _onsite_candidates(
    b: _Building,
    room: int,
    weeks: list[list[date]],
    cycle: bool,
    rng: random.Random,
) -> list[_Session]:
    """Weekday half days in one room, and weekend mornings for shifts.

    Tier 0 (the first weekday morning of every week) is mandatory, so
    every week has an onsite session; further tiers add a weekend
    morning every other week (cycle workers are off on different days),
    a second weekday, the other halves of those days, then the rest.
    A weekday visit is a morning or, less often, an afternoon.
    """
    site = b.room(room).site_id
    cands: list[tuple[int, int, _Session]] = []
    for w, days in enumerate(weeks):
        week = [d for d in days if d.weekday() < 5]
        end = [d for d in days if d.weekday() >= 5] if cycle else []
        rng.shuffle(week)
        rng.shuffle(end)
        halves = [
            (("AM", "PM") if rng.random() < 0.7 else ("PM", "AM"))
            for _ in week
        ]
        slots = [(d, h[0]) for d, h in zip(week[:2], halves, strict=False)]
        if end:
            slots.insert(1 if w % 2 else len(slots), (end[0], "AM"))
        slots += [(d, h[1]) for d, h in zip(week[:2], halves, strict=False)]
        for d, h in zip(week[2:], halves[2:], strict=True):
            slots += [(d, h[0]), (d, h[1])]
        slots += [(d, "AM") for d in end[1:]]
        if not week and end:
            slots = [(d, p) for d in end for p in ("AM", "PM")]
        for tier, (d, period) in enumerate(slots):
            start, stop = VAC_AM if period == "AM" else VAC_PM
            s = _Session(
                id=f"V-{site}-{d:%y%m%d}-{period}",
                service="vaccination",
                site_id=site,
                day=d,
                start=start,
                end=stop,
                slot_minutes=30,
                provider=b.vaccine_provider,
                mandatory=tier == 0 and room == 0,
            )
            cands.append((tier, w, s))
    return [s for *_, s in sorted(cands, key=lambda x: (x[0], x[1]))]


def _evening_candidates(
    b: _Building, room: int, weeks: list[list[date]], rng: random.Random
) -> list[_Session]:
    """Evenings for night teams: a mid-week evening every week first."""
    site = b.room(room).site_id
    cands: list[tuple[int, int, _Session]] = []
    for w, days in enumerate(weeks):
        mid = [d for d in days if d.weekday() in (1, 2, 3)]
        rest = [d for d in days if d.weekday() not in (1, 2, 3)]
        rng.shuffle(mid)
        rng.shuffle(rest)
        for tier, d in enumerate(mid + rest):
            s = _Session(
                id=f"V-{site}-{d:%y%m%d}-EV",
                service="vaccination",
                site_id=site,
                day=d,
                start=VAC_EVENING[0],
                end=VAC_EVENING[1],
                slot_minutes=30,
                provider=b.vaccine_provider,
                mandatory=tier == 0 and room == 0,
            )
            cands.append((tier, w, s))
    return [s for *_, s in sorted(cands, key=lambda x: (x[0], x[1]))]


def _onsite_details(
    b: _Building, chosen: list[_Session], rng: random.Random
) -> None:
    """One product per room and visit, alternating the inactivated two.

    Day visits and evening visits alternate separately, so night teams
    are offered both inactivated vaccines too.
    """
    visits = sorted(
        {(s.start >= VAC_EVENING[0], s.site_id, s.day) for s in chosen}
    )
    product: dict[tuple[bool, str, date], str] = {}
    turn: dict[bool, int] = {}
    for key in visits:
        i = turn[key[0]] = turn.get(key[0], -1) + 1
        r = rng.random()
        product[key] = (
            "ZF2001"
            if r < 0.1
            else "Ad5-nCoV"
            if r < 0.16
            else INACTIVATED[i % 2]
        )
    for s in chosen:
        s.product = product[(s.start >= VAC_EVENING[0], s.site_id, s.day)]
        if rng.random() < 0.3:
            s.observation_seats = max(
                s.capacity_per_slot, rng.choice((8, 10, 12))
            )


def _test_sessions(
    world: _World,
    rng: random.Random,
    *,
    regular: tuple[list[float], list[float]],
    screening: tuple[list[float], list[float]],
    busy: dict[tuple[str, date], list[tuple[int, int]]],
) -> list[_Session]:
    """Weekly swab rounds (mornings, evenings for night teams), screening.

    Rooms busy with a vaccination session at the time are skipped.
    """
    sc = world.scenario
    window_days = _blocked_days(world) - set(world.holidays)
    weeks = _weeks(sc, set(world.holidays) | window_days)
    screen_days = sorted(window_days)
    out: list[_Session] = []
    for bi, b in enumerate(world.buildings):
        pools = (
            (
                regular[0][bi],
                lambda r, b=b: _regular_test_candidates(
                    b, r, weeks, busy, rng, evening=False
                ),
            ),
            (
                regular[1][bi],
                lambda r, b=b: _regular_test_candidates(
                    b, r, weeks, busy, rng, evening=True
                ),
            ),
            (
                screening[0][bi],
                lambda r, b=b: _screening_candidates(
                    b, r, screen_days, evening=False
                ),
            ),
            (
                screening[1][bi],
                lambda r, b=b: _screening_candidates(
                    b, r, screen_days, evening=True
                ),
            ),
        )
        for target, make in pools:
            out += _fit_rooms(b, target, TEST_CAP, rng, make, trim_doses=False)
    return out


def _busy(
    sessions: Iterable[_Session],
) -> dict[tuple[str, date], list[tuple[int, int]]]:
    busy: dict[tuple[str, date], list[tuple[int, int]]] = {}
    for s in sessions:
        busy.setdefault((s.site_id, s.day), []).append((s.start, s.end))
    return busy


def _regular_test_candidates(
    b: _Building,
    room: int,
    weeks: list[list[date]],
    busy: dict[tuple[str, date], list[tuple[int, int]]],
    rng: random.Random,
    *,
    evening: bool,
) -> list[_Session]:
    """Morning swab rounds on free weekdays first, then lunchtimes."""
    site = b.room(room).site_id
    cands: list[tuple[int, int, _Session]] = []
    windows = (
        (("EV", TEST_EVENING),)
        if evening
        else (("MO", TEST_MORNING), ("LU", TEST_LUNCH))
    )
    for w, days in enumerate(weeks):
        order = _weekdays_first(days, rng)
        tier = 0
        for period, (start, end) in windows:
            for d in order:
                if any(
                    a < end and start < z for a, z in busy.get((site, d), ())
                ):
                    continue
                s = _Session(
                    id=f"T-{site}-{d:%y%m%d}-{period}",
                    service="nucleic_test",
                    site_id=site,
                    day=d,
                    start=start,
                    end=end,
                    slot_minutes=b.test_slot,
                    provider=b.test_provider,
                    mandatory=tier == 0 and room == 0,
                )
                cands.append((tier, w, s))
                tier += 1
    return [s for *_, s in sorted(cands, key=lambda x: (x[0], x[1]))]


def _screening_candidates(
    b: _Building, room: int, days: list[date], *, evening: bool
) -> list[_Session]:
    """Mass screening: each window day's morning first, then afternoons."""
    site = b.room(room).site_id
    windows = (
        (("SE", SCREEN_EVENING),)
        if evening
        else (("SA", SCREEN_AM), ("SP", SCREEN_PM))
    )
    return [
        _Session(
            id=f"T-{site}-{d:%y%m%d}-{period}",
            service="nucleic_test",
            site_id=site,
            day=d,
            start=start,
            end=end,
            slot_minutes=15,
            provider=b.test_provider,
            mandatory=room == 0 and k == 0,
        )
        for k, (period, (start, end)) in enumerate(windows)
        for d in days
    ]


# --------------------------------------------------------------------------
# Sizing
# --------------------------------------------------------------------------


def _fit_rooms(
    b: _Building,
    target: float,
    caps: tuple[int, int],
    rng: random.Random,
    candidates: Callable[[int], list[_Session]],
    *,
    trim_doses: bool,
    weekly: bool = False,
) -> list[_Session]:
    """Fit a pool in as many rooms of the building as it needs.

    One room is used until its candidates would be ``ROOM_FILL`` full at a
    middling capacity per slot; then further rooms run in parallel.
    """
    if target <= 0:
        return []
    first = candidates(0)
    full = sum(s.n_slots for s in first) * sum(caps) / 2
    rooms = max(1, math.ceil(target / max(1.0, ROOM_FILL * full)))
    if rooms == 1:
        return _fit(
            first, target, caps, rng, trim_doses=trim_doses, weekly=weekly
        )
    pools = [first] + [candidates(k) for k in range(1, rooms)]
    merged = [
        s
        for i in range(len(first))
        for p in pools
        if i < len(p)
        for s in (p[i],)
    ]
    return _fit(
        merged, target, caps, rng, trim_doses=trim_doses, weekly=weekly
    )


def _fit(
    cands: list[_Session],
    target: float,
    caps: tuple[int, int],
    rng: random.Random,
    *,
    trim_doses: bool,
    weekly: bool = False,
) -> list[_Session]:
    """Choose sessions in candidate order and size them to ``target``.

    Mandatory sessions are always kept; others are added until a modest
    capacity per slot (``NOMINAL_CAP`` of the range) would meet the
    target, which favours more, smaller sessions over few full ones.
    Capacities per slot are then tuned within ``caps``; ``weekly`` keeps
    every mandatory session even in a small pool. A vaccination pool
    also gets some limited dose supplies, and its last excess is cut by
    ``doses_available``; a test pool's excess is cut by starting
    sessions later.
    """
    if target <= 0 or not cands:
        return []
    lo, hi = caps
    mid = lo + NOMINAL_CAP * (hi - lo)
    chosen = [s for s in cands if s.mandatory]
    if trim_doses and chosen and not weekly:
        # A small pool keeps only the mandatory sessions it can fill.
        least = sum(s.n_slots for s in chosen) * lo / len(chosen) / 3
        keep = max(1, min(len(chosen), int(target / least)))
        chosen = [chosen[i * len(chosen) // keep] for i in range(keep)]
        for s in cands:
            s.mandatory = s.mandatory and s in chosen
    nominal = sum(s.n_slots for s in chosen) * mid
    for s in cands:
        if nominal >= target:
            break
        if not s.mandatory:
            chosen.append(s)
            nominal += s.n_slots * mid
    base = target / sum(s.n_slots for s in chosen)
    for s in chosen:
        s.capacity_per_slot = min(
            hi, max(lo, round(base + rng.uniform(-1.0, 1.0)))
        )
    order = list(chosen)
    rng.shuffle(order)
    _tune(order, target, lo, hi)
    if trim_doses:
        for s in order:
            if rng.random() < LIMITED_SUPPLY_SHARE:
                full = s.n_slots * s.capacity_per_slot
                s.doses_available = max(1, int(full * rng.uniform(0.7, 0.92)))
        _tune(order, target, lo, hi)
        _trim_doses(order, target)
    else:
        _trim_slots(order, target)
    return chosen


def _tune(order: list[_Session], target: float, lo: int, hi: int) -> None:
    """Raise capacities until the target is met, then lower the excess."""
    total = sum(s.capacity for s in order)
    grew = True
    while total < target and grew:
        grew = False
        for s in order:
            if total >= target:
                break
            if s.capacity_per_slot < hi and s.doses_available is None:
                s.capacity_per_slot += 1
                total += s.n_slots
                grew = True
    shrank = True
    while shrank:
        shrank = False
        for s in order:
            if (
                s.capacity_per_slot > lo
                and s.doses_available is None
                and total - s.n_slots >= target
            ):
                s.capacity_per_slot -= 1
                total -= s.n_slots
                shrank = True


def _trim_doses(order: list[_Session], target: float) -> None:
    """Cut the excess over ``target`` by supplying fewer doses.

    A small excess comes off one session; a large one (a small pool with
    its weekly sessions) is spread evenly, as a mobile team would bring
    fewer doses to each visit.
    """
    excess = int(sum(s.capacity for s in order) - target)
    if excess < 1:
        return

    def spare(s: _Session) -> int:
        return s.capacity - math.ceil(s.n_slots * s.capacity_per_slot / 2)

    roomy = max(order, key=spare)
    if excess <= spare(roomy):
        roomy.doses_available = roomy.capacity - excess
        return
    for i, s in enumerate(order):
        share = math.ceil(excess / (len(order) - i))
        cut = min(share, s.capacity - s.capacity_per_slot)
        if cut >= 1:
            s.doses_available = s.capacity - cut
            excess -= cut


def _trim_slots(order: list[_Session], target: float) -> None:
    """Cut the excess over ``target`` by starting sessions later, evenly.

    The later slots are kept: a 08:00 swab round cut short to 08:00-08:45
    would miss everyone whose office day starts at 09:00.
    """
    total = sum(s.capacity for s in order)
    by_size = sorted(order, key=lambda s: -s.capacity)
    trimmed = True
    while trimmed:
        trimmed = False
        for s in by_size:
            if (
                s.n_slots > MIN_TEST_SLOTS
                and total - s.capacity_per_slot >= target
            ):
                s.start += s.slot_minutes
                total -= s.capacity_per_slot
                trimmed = True


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder)."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    rest = sorted(range(len(raw)), key=lambda i: out[i] - raw[i])
    for i in rest[: total - sum(out)]:
        out[i] += 1
    return out


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _write_workbook(world: _World, path: Path) -> None:
    """Every sheet, byte for byte the same for the same world."""
    sheets = (
        ("settings", _settings_rows),
        ("workplaces", _workplace_rows),
        ("sites", _site_rows),
        ("travel", _travel_rows),
        ("products", _product_rows),
        ("shift_patterns", _pattern_rows),
        ("calendar", _calendar_rows),
        ("employees", _employee_rows),
        ("absences", _absence_rows),
        ("duty", _duty_rows),
        ("test_requirements", _requirement_rows),
        ("sessions", _session_rows),
    )
    write_generated(
        path,
        [(title, *rows(world)) for title, rows in sheets],
        creator="scheduler.dev.generate",
        stamp=FIXED_TIMESTAMP,
    )


Rows = tuple[Sequence[str], Sequence[int], Iterable[Sequence[object]]]


def _settings_rows(world: _World) -> Rows:
    sc = world.scenario
    rows = [
        ("horizon_start", sc.start),
        ("horizon_end", sc.end),
        ("team_away_max_share", 0.25),
        ("team_vaccinated_per_day_max_share", 0.5),
        ("observation_minutes", 30),
        ("test_blackout_hours_after_vaccination", 48),
        ("coverage_target", 0.9),
        ("boosters_enabled", "yes"),
        ("time_limit_seconds", 30),
        ("language", "en"),
    ]
    return ("key", "value"), (40, 14), rows


def _workplace_rows(world: _World) -> Rows:
    rows = [(b.id, b.name, "Shenzhen", b.address) for b in world.buildings]
    return ("workplace_id", "name", "city", "address"), (14, 34, 12, 60), rows


def _site_rows(world: _World) -> Rows:
    rows: list[tuple] = [
        (r.site_id, r.name, "onsite", b.id, b.address)
        for b in world.buildings
        for r in b.rooms
        if r is b.rooms[0]
        or any(s.site_id == r.site_id for s in world.sessions)
    ]
    rows += [
        (c.id, c.name, "community", None, c.address) for c in world.centres
    ]
    return (
        ("site_id", "name", "kind", "workplace_id", "address"),
        (12, 52, 11, 14, 60),
        rows,
    )


def _travel_rows(world: _World) -> Rows:
    return (
        ("workplace_id", "site_id", "minutes"),
        (14, 12, 10),
        sorted(world.travel),
    )


def _product_rows(world: _World) -> Rows:
    rows = [
        (
            p.name,
            p.doses,
            p.min_interval,
            p.max_interval,
            p.min_age,
            p.max_age,
            p.booster_after,
        )
        for p in PRODUCTS
    ]
    return (
        (
            "product",
            "doses",
            "min_interval_days",
            "max_interval_days",
            "min_age",
            "max_age",
            "booster_after_days",
        ),
        (14, 8, 18, 18, 9, 9, 19),
        rows,
    )


def _pattern_rows(world: _World) -> Rows:
    rows = [
        (pid, days, hhmm(a), hhmm(b)) for pid, days, a, b in world.patterns
    ]
    return ("pattern_id", "days", "start", "end"), (14, 26, 8, 8), rows


def _calendar_rows(world: _World) -> Rows:
    rows = sorted(
        [(d, "holiday") for d in world.holidays]
        + [(d, "workday") for d in world.workdays]
    )
    return ("date", "kind"), (12, 10), rows


def _employee_rows(world: _World) -> Rows:
    def rows() -> Iterator[tuple]:
        for p in world.people:
            yield (
                p.id,
                p.name,
                world.buildings[p.unit.building].id,
                p.unit.department,
                p.unit.team or None,
                p.role,
                p.shift_cell or None,
                None if p.give_age else p.birth_date,
                p.age if p.give_age else None,
                p.phone,
                p.doses,
                p.last_dose,
                p.last_product,
                p.exemption or None,
                p.last_test,
                p.priority,
            )

    headers = (
        "employee_id",
        "name",
        "workplace_id",
        "department",
        "team",
        "role",
        "shift_pattern",
        "birth_date",
        "age",
        "phone",
        "doses_received",
        "last_dose_date",
        "last_product",
        "vaccination_exemption",
        "last_test_date",
        "priority",
    )
    widths = (12, 10, 13, 24, 18, 18, 14, 12, 6, 13, 15, 15, 13, 22, 15, 8)
    return headers, widths, rows()


def _absence_rows(world: _World) -> Rows:
    return (
        ("employee_id", "start_date", "end_date", "reason"),
        (12, 12, 12, 16),
        world.absences,
    )


def _duty_rows(world: _World) -> Rows:
    rows = [(e, d, hhmm(a), hhmm(b)) for e, d, a, b in world.duty]
    return ("employee_id", "date", "start", "end"), (12, 12, 8, 8), rows


def _requirement_rows(world: _World) -> Rows:
    return (
        (
            "requirement_id",
            "scope",
            "value",
            "every_days",
            "window_start",
            "window_end",
        ),
        (15, 11, 26, 11, 13, 13),
        world.requirements,
    )


def _session_rows(world: _World) -> Rows:
    def rows() -> Iterator[tuple]:
        for s in world.sessions:
            yield (
                s.id,
                s.service,
                s.site_id,
                s.day,
                hhmm(s.start),
                hhmm(s.end),
                s.slot_minutes,
                s.capacity_per_slot,
                s.product,
                s.doses_available,
                s.observation_seats,
                s.provider,
                ",".join(s.workplaces) or None,
            )

    headers = (
        "session_id",
        "service",
        "site_id",
        "date",
        "start",
        "end",
        "slot_minutes",
        "capacity_per_slot",
        "product",
        "doses_available",
        "observation_seats",
        "provider",
        "workplaces",
    )
    widths = (24, 13, 10, 12, 7, 7, 12, 17, 12, 15, 17, 44, 14)
    return headers, widths, rows()


if __name__ == "__main__":
    generate_workbook(
        Path(__file__).resolve().parents[1] / "inputs" / "campaign.xlsx"
    )
