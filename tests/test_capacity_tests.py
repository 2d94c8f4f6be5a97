"""plan-capacity with ``--tests``: test sessions to add, on tiny drives
with known answers."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from scheduler.cli import main
from scheduler.plan_capacity import CapacityOptions, plan_capacity
from scheduler.report.capacity import summary_text
from tests.io.workbook_factory import write
from tests.test_capacity import SESSION_HEAD as HEAD

if TYPE_CHECKING:
    from pathlib import Path


def _drive(
    *,
    people: int = 40,
    absent: int = 0,
    requirement: tuple = (3, None, None),
    options: list[tuple[str, str, float]] = (),
) -> dict:
    """One building of ``people``, everyone vaccinated (no vaccination
    need), last tested on Sunday 2021-06-06; a five-day horizon (Mon to
    Fri). ``requirement``: (every_days, window_start, window_end) for
    all. ``absent``: the last of them away all week. Held: one test
    session on Friday with 2 places. Options: (id, date, cost), each a
    test session of 4 slots of 5 (20 places, 5 away at once)."""
    every, lo, hi = requirement
    employees = [
        [
            "employee_id",
            "name",
            "workplace_id",
            "department",
            "doses_received",
            "last_dose_date",
            "last_product",
            "last_test_date",
        ]
    ] + [
        [
            f"E{i:03d}",
            f"Person {i}",
            "W1",
            "Service",
            1,
            "2021-05-01",
            "Vax",
            "2021-06-06",
        ]
        for i in range(people)
    ]
    return {
        "settings": [
            ["key", "value"],
            ["horizon_start", "2021-06-07"],
            ["horizon_end", "2021-06-11"],
            ["coverage_target", "90%"],
            ["time_limit_seconds", 3],
        ],
        "workplaces": [["workplace_id", "name"], ["W1", "Tower"]],
        "sites": [
            ["site_id", "name", "kind", "workplace_id"],
            ["S1", "Room 1", "onsite", "W1"],
        ],
        "products": [
            ["product", "doses", "min_interval_days", "max_interval_days"],
            ["Vax", 1, 0, 60],
        ],
        "sessions": [
            HEAD,
            [
                "T1",
                "nucleic_test",
                "S1",
                "2021-06-11",
                "14:00",
                "14:30",
                15,
                1,
                None,
            ],
        ],
        "employees": employees,
        "absences": [["employee_id", "start_date", "end_date"]]
        + [
            [f"E{i:03d}", "2021-06-07", "2021-06-11"]
            for i in range(people - absent, people)
        ],
        "test_requirements": [
            [
                "requirement_id",
                "scope",
                "value",
                "every_days",
                "window_start",
                "window_end",
            ],
            ["R1", "all", None, every, lo, hi],
        ],
        "session_options": [[*HEAD, "cost"]]
        + [
            [sid, "nucleic_test", "S1", day, "09:00", "11:00", 30, 5, None, c]
            for sid, day, c in options
        ],
    }


def _plan(tmp_path: Path, sheets: dict, share: float | None, **kw):
    book = write(tmp_path / "in.xlsx", sheets)
    out = tmp_path / "answer"
    report = plan_capacity(
        CapacityOptions(book=book, out=out, time_limit=3, tests=share, **kw)
    )
    return out, report


@pytest.mark.slow
def test_every_person_day_needs_the_two_cheap_sessions_on_wednesday(
    tmp_path,
):
    """Tests every 3 days, the last on Sunday: Monday and Tuesday are
    covered; only a test on Wednesday covers Wednesday to Friday. 40
    people, 20 places an option: all the person-days take both cheap
    Wednesday options (not the dear one, nor Tuesday's or Thursday's),
    proven least; the real schedule covers every person-day."""
    options = [
        ("A9", "2021-06-09", 1),
        ("B9", "2021-06-09", 1),
        ("C9", "2021-06-09", 3),
        ("D8", "2021-06-08", 1),
        ("E10", "2021-06-10", 1),
    ]
    out, report = _plan(tmp_path, _drive(options=options), 1.0)
    assert sorted(r.option.id for r in report.plan) == ["A9", "B9"]
    assert report.cost == 2 and report.cost_bound == 2
    assert report.status == "OPTIMAL"
    (w,) = report.workplaces
    assert w.tests is not None
    assert w.tests.total == 200 and w.tests.needed == 200
    # Today: Monday and Tuesday for all, Friday for the 2 held places.
    assert w.tests.today == 82
    assert w.tests.promised == 200 and w.tests.real == 200
    assert report.kept and report.tests_reachable is True
    assert report.plan[0].served == {"W1": 20}
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["tests_share"] == 1.0
    assert plan["workplaces"]["W1"]["tests"]["real"] == 200
    text = summary_text(report)
    assert "200 test person-days" in text and "100.0%" in text
    zh = summary_text(report, "zh")
    assert "核酸：当前 41.0%，按方案 100.0%，实际排程 100.0%" in zh
    assert "共 200 人天" in zh and "person-days" not in zh


@pytest.mark.slow
def test_a_share_below_all_takes_fewer_sessions(tmp_path):
    """The same drive at 80 %: 160 of 200 person-days; 80 are covered
    already, and a Wednesday test adds 3, so 27 people need one: still
    two options of 20, the cheap ones."""
    options = [("A9", "2021-06-09", 1), ("B9", "2021-06-09", 1)]
    _, report = _plan(tmp_path, _drive(options=options), 0.8)
    (w,) = report.workplaces
    assert w.tests is not None and w.tests.needed == 160
    assert len(report.plan) == 2 and report.kept
    assert w.tests.real is not None and w.tests.real >= 160


@pytest.mark.slow
def test_a_share_out_of_reach_covers_as_many_as_the_options_allow(tmp_path):
    """Only Thursday options: a Thursday test covers Thursday and Friday,
    never Wednesday, so 100 % is out of reach; the ceiling is 160 of 200
    person-days, the plan aims there (two options for 40 people) and
    the summary says the share cannot be reached."""
    options = [("E10", "2021-06-10", 1), ("F10", "2021-06-10", 1)]
    _, report = _plan(tmp_path, _drive(options=options), 1.0)
    (w,) = report.workplaces
    assert w.tests is not None and w.tests.ceiling == 160
    assert report.tests_reachable is False
    assert sorted(r.option.id for r in report.plan) == ["E10", "F10"]
    assert w.tests.promised == w.tests.real == 160 and report.kept
    assert "no choice of the options covers 100.0%" in summary_text(report)


@pytest.mark.slow
def test_a_screening_window_is_met_for_everyone_who_can_be(tmp_path):
    """A screening window on Tuesday and Wednesday; 10 of 40 are away
    all week. The 30 others can be screened: two options in the window
    (not Thursday's, outside it), and the ceiling says 30 of 40."""
    options = [
        ("W8", "2021-06-08", 1),
        ("W9", "2021-06-09", 1),
        ("X10", "2021-06-10", 1),
    ]
    sheets = _drive(
        absent=10,
        requirement=(None, "2021-06-08", "2021-06-09"),
        options=options,
    )
    _, report = _plan(tmp_path, sheets, 0.9)
    (w,) = report.workplaces
    assert w.screening is not None
    assert w.screening.total == 40 and w.screening.ceiling == 30
    assert w.screening.today == 0
    assert sorted(r.option.id for r in report.plan) == ["W8", "W9"]
    assert w.screening.promised == 30 and w.screening.real == 30
    assert report.kept


@pytest.mark.slow
def test_without_tests_the_test_options_are_left_alone(tmp_path):
    """Without ``--tests`` the plan is for vaccination rates only: test
    options are not added, and the report shows no test figures."""
    options = [("A9", "2021-06-09", 1)]
    _, report = _plan(tmp_path, _drive(options=options), None)
    assert report.plan == [] and report.cost == 0
    assert all(f.tests is None for f in report.workplaces)
    assert "test person-days" not in summary_text(report)


def test_the_command_takes_a_share_and_refuses_a_bad_one(tmp_path, capsys):
    book = write(tmp_path / "in.xlsx", _drive())
    assert main(["plan-capacity", str(book), "--tests", "150"]) == 2
    assert "--tests must be a share" in capsys.readouterr().err
    assert not (tmp_path / "outputs").exists()
