"""The ``session_options`` sheet: read by plan-capacity, ignored by a run."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.core.errors import InputError
from scheduler.io.read.read import read_instance
from tests.io.workbook_factory import find, minimal, write


def _with_options(rows: list[list[object]]):
    sheets = minimal()
    sheets["settings"].append(["horizon_end", "2021-06-14"])
    sheets["session_options"] = [[*sheets["sessions"][0], "cost"], *rows]
    return sheets


def _option(sid: str, **kw: object) -> list[object]:
    row = {
        "session_id": sid,
        "service": "vaccination",
        "site_id": "S1",
        "date": "2021-06-05",
        "start": "09:00",
        "end": "12:00",
        "slot_minutes": 30,
        "capacity_per_slot": 5,
        "product": "VaxA",
        "cost": 2,
    }
    row.update(kw)
    return list(row.values())


def test_options_are_read_with_their_cost(tmp_path):
    """A valid option becomes a SessionOption with its session and cost."""
    path = write(tmp_path, _with_options([_option("O1", cost=3.5)]))
    inst = read_instance(path, with_options=True)
    opt = inst.session_options["O1"]
    assert opt.cost == 3.5
    assert opt.session.date == date(2021, 6, 5)
    assert opt.session.capacity_per_slot == 5
    assert "O1" not in inst.sessions


def test_a_run_ignores_the_options_sheet_even_when_broken(tmp_path):
    """``scheduler run`` reads no options: a broken sheet is no error."""
    path = write(tmp_path, _with_options([_option("V1", site_id="S9")]))
    inst = read_instance(path)
    assert inst.session_options == {}
    assert not any("session_options" in n for n in inst.notices)


def test_an_option_outside_the_horizon_is_ignored_with_a_notice(tmp_path):
    """Like a session, an option dated after the horizon is not used."""
    path = write(tmp_path, _with_options([_option("O9", date="2021-07-01")]))
    inst = read_instance(path, with_options=True)
    assert inst.session_options == {}
    assert any("O9" in n and "outside the horizon" in n for n in inst.notices)


def test_bad_options_give_located_errors(tmp_path):
    """Repeated ids (among options, or of a session), an unknown site or
    product, a negative cost: each reported at its cell."""
    path = write(
        tmp_path,
        _with_options(
            [
                _option("O1"),
                _option("o1", date="2021-06-06"),
                _option("V1"),
                _option("O3", site_id="S9", product="VaxZ", cost=-1),
                _option("O4", end="08:00"),
            ]
        ),
    )
    with pytest.raises(InputError) as err:
        read_instance(path, with_options=True)
    got = err.value.issues
    assert (
        "already on row 2"
        in find(got, "session_options", 3, "session_id").expected
    )
    assert (
        "not in sheet 'sessions'"
        in find(got, "session_options", 4, "session_id").expected
    )
    assert find(got, "session_options", 5, "site_id").value == "S9"
    assert find(got, "session_options", 5, "product").value == "VaxZ"
    assert find(got, "session_options", 5, "cost").value == -1
    assert (
        "end after the start"
        in find(got, "session_options", 6, "end").expected
    )
    assert len(got) == 6


def test_chinese_sheet_name_and_headers(tmp_path):
    """候选场次 with the sessions' Chinese headers and 费用."""
    sheets = _with_options([_option("O1", cost=4)])
    rows = sheets.pop("session_options")
    zh = [
        "场次编号",
        "服务",
        "地点编号",
        "日期",
        "开始",
        "结束",
        "时段分钟",
        "每时段人数",
        "疫苗",
        "费用",
    ]
    sheets["候选场次"] = [zh, *rows[1:]]
    inst = read_instance(write(tmp_path, sheets), with_options=True)
    assert inst.session_options["O1"].cost == 4
