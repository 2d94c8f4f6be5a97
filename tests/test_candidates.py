"""Candidates (scheduler/prepare/candidates.py): each person's options,
the pairs of sessions that could clash, and the slot-level judgement of a
pair."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from scheduler.core.domain import Scope, Service
from scheduler.core.domain import TestRequirement as Requirement
from scheduler.dev.generate import generate_workbook
from scheduler.io.read.read import read_instance
from scheduler.prepare.candidates import (
    add_conflicts,
    all_options,
    slots_clash,
)
from scheduler.prepare.duty import duty_periods
from scheduler.prepare.lookups import Lookups
from scheduler.prepare.needs import compute_needs
from tests.factories import H0, make_employee, make_instance, make_session


def test_conflicts_added_later_are_the_same(tmp_path):
    """The pipeline finds the conflicts after the LP has forked (it needs
    none); the options must end up exactly as found in one go."""
    book = tmp_path / "drive.xlsx"
    generate_workbook(book, employees=400, workplaces=2, days=14, seed=4)
    inst = read_instance(book)
    needs = compute_needs(inst)
    whole = all_options(inst, needs)
    later = all_options(read_instance(book), needs, conflicts=False)
    assert all(not o.overlaps and not o.blackouts for o in later.values())
    add_conflicts(inst, later)
    assert any(o.blackouts for o in whole.values())
    assert {k: (o.overlaps, o.blackouts) for k, o in later.items()} == {
        k: (o.overlaps, o.blackouts) for k, o in whole.items()
    }


def test_slots_clash_counts_the_blackout_from_the_dose_start():
    """A dose session 09:00-12:00 and a test session two days later from
    09:00 (48 h blackout): the sessions could clash, so the pair is in
    ``blackouts``; at the slots, only a test less than 48 hours after the
    dose's start clashes."""
    day2 = H0 + timedelta(days=2)
    inst = make_instance(
        employees=[make_employee("E1")],
        sessions=[
            make_session("V1"),
            make_session("T1", service=Service.NUCLEIC_TEST, date=day2),
        ],
        test_requirements=(
            Requirement(
                id="SCREEN", scope=Scope.ALL, window_start=H0, window_end=day2
            ),
        ),
    )
    needs = compute_needs(inst)
    opts = all_options(inst, needs)["E1"]
    (jab,), (test,) = opts.vaccination[0], opts.tests
    assert ("V1", "T1") in opts.blackouts
    blackout = inst.settings.test_blackout_hours_after_vaccination * 60
    at = jab.slots.index
    assert not slots_clash(jab, at(540), test, 0, jab, blackout)  # 48 h
    assert slots_clash(jab, at(570), test, 0, jab, blackout)  # 47.5 h
    assert not slots_clash(jab, at(570), test, 1, jab, blackout)
    # Without a dose between them, only an overlap would clash.
    assert not slots_clash(jab, at(570), test, 0, None, blackout)


def test_lookups_of_another_instance_are_refused():
    """A block's own instance must not read the whole drive's lookups
    (its duty and options are keyed by the drive's objects)."""
    inst = make_instance(employees=[make_employee("E1")], sessions=[])
    other = replace(inst, employees=dict(inst.employees))
    look = Lookups(inst)
    e = next(iter(inst.employees.values()))
    assert duty_periods(inst, e, look) is duty_periods(inst, e, look)
    with pytest.raises(ValueError, match="another instance"):
        duty_periods(other, e, look)
