"""Duty periods: when each employee is at work (domain.md "Duty period").

Times are absolute minutes after ``horizon_start`` 00:00, so a night shift
that starts the evening before the horizon (day -1) is negative at its start.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta

from scheduler.core.domain import (
    MINUTES_PER_DAY,
    Employee,
    Instance,
    ShiftPattern,
)
from scheduler.prepare.lookups import Lookups, lookups_for

Period = tuple[int, int]


def pattern_works(
    pattern: ShiftPattern,
    day: date,
    holidays: frozenset[date],
    workdays: frozenset[date],
) -> bool:
    """Does the pattern have a duty period starting on ``day``?

    Cycles ignore the calendar; weekday patterns rest on holidays and work
    a weekend ``workday`` when they work some weekday from Monday to Friday.
    """
    if pattern.is_cycle:
        assert pattern.cycle_on is not None and pattern.cycle_off is not None
        assert pattern.cycle_anchor is not None
        period = pattern.cycle_on + pattern.cycle_off
        return (day - pattern.cycle_anchor).days % period < pattern.cycle_on
    assert pattern.weekdays is not None
    if day in holidays:
        return False
    if day in workdays and day.weekday() >= 5:
        return any(d < 5 for d in pattern.weekdays)
    return day.weekday() in pattern.weekdays


def _span(day_index: int, start: int, end: int) -> Period:
    length = end - start if end > start else end + MINUTES_PER_DAY - start
    begin = day_index * MINUTES_PER_DAY + start
    return (begin, begin + length)


def duty_periods(
    instance: Instance, employee: Employee, lookups: Lookups | None = None
) -> Duty:
    """Every duty period touching the horizon, sorted, absences removed."""
    look = lookups_for(instance, lookups)
    found = look.duty.get(employee.id)
    if found is not None:
        return found
    s = instance.settings
    pattern = instance.pattern_of(employee)
    duty_rows = instance.duty_rows_of(employee.id)
    absent = instance.absences_of(employee.id)
    plain = id(pattern)
    # Most people follow their pattern all along: one Duty per pattern.
    if not duty_rows and not absent and plain in look.plain_duty:
        found = look.duty[employee.id] = look.plain_duty[plain]
        return found
    rows: dict[date, list[Period]] = {}
    for r in duty_rows:
        rows.setdefault(r.date, []).append(
            _span(s.day_index(r.date), r.start, r.end)
        )
    periods: list[Period] = []
    day = s.horizon_start - timedelta(days=1)
    while day <= s.horizon_end:
        if not any(a.covers(day) for a in absent):
            if day in rows:
                periods.extend(rows[day])
            elif pattern_works(
                pattern, day, instance.holidays, instance.workdays
            ):
                periods.append(
                    _span(s.day_index(day), pattern.start, pattern.end)
                )
        day += timedelta(days=1)
    # Interned: teammates on one pattern share one object, so callers can
    # cache per-duty results by identity.
    periods.sort()
    duty = look.duty_intern.get(tuple(periods))
    if duty is None:
        duty = look.duty_intern[tuple(periods)] = Duty(periods)
    look.duty[employee.id] = duty
    if not duty_rows and not absent:
        look.plain_duty[plain] = duty
    return duty


class Duty(tuple):
    """Sorted duty periods with fast "is this inside one?" look-ups.

    A tuple of (start, end) pairs, so it iterates like one; ``reach[i]`` is
    the latest end among the first i + 1 periods, which lets a bisection
    answer containment even where periods overlap.
    """

    reach: list[int]
    starts: list[int]

    def __new__(cls, periods):
        self = super().__new__(cls, sorted(periods))
        reach, best = [], None
        for _, b in self:
            best = b if best is None or b > best else best
            reach.append(best)
        self.reach = reach
        self.starts = [a for a, _ in self]
        return self

    def contains(self, start: int, end: int) -> bool:
        """Does [start, end) lie inside one period?"""
        i = bisect_right(self.starts, start) - 1
        return i >= 0 and self.reach[i] >= end

    def at(self, t: int) -> bool:
        """Is the employee on duty at minute t?"""
        i = bisect_right(self.starts, t) - 1
        return i >= 0 and self.reach[i] > t
