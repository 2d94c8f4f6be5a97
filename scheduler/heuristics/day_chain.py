"""Test days: the best dates for one person's tests, on their own.

A person's cadence and window needs, and the dates open to them, decide
which test dates cover the most: an exact chain over the dates
(``best_test_days``). The repair (repair.py) uses it against everyone
else's bookings.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date

    from scheduler.prepare.needs import TestNeed


def anonymous(ns: tuple[TestNeed, ...]) -> tuple[TestNeed, ...]:
    return tuple(replace(n, employee_id="", requirement_id="") for n in ns)


@lru_cache(maxsize=1 << 16)
def plan(ns: tuple[TestNeed, ...], days, horizon) -> tuple[int, tuple]:
    """``best_test_days`` and its value. The same needs and dates recur
    across a drive (needs compare by value), hence the cache."""
    chosen = tuple(best_test_days(ns, list(days), list(horizon)))
    return coverage_value(ns, chosen, horizon), chosen


def coverage_value(ns: tuple[TestNeed, ...], days: list[date], horizon) -> int:
    """Covered cadence days plus a horizon's worth of days per window met
    (one person's test needs all carry the same weight)."""
    total = 0
    for n in ns:
        if n.is_cadence:
            total += n.covered_days(days, horizon)
        elif n.met_by(days):
            total += len(horizon)
    return total


def best_test_days(
    ns: tuple[TestNeed, ...], days: list[date], horizon: list[date]
) -> list[date]:
    """The test dates, out of ``days`` (sorted), that cover the most of
    one person's needs (``coverage_value``), with the fewest tests among
    equals: a chain over the chosen dates, each link adding the cadence
    days the earlier test covers up to the next one.

    Cadence needs' recorded tests lie before the horizon (the caller
    checks).
    """
    h0, size = horizon[0], len(horizon)
    cadence = [
        (n.every_days, (n.last_test - h0).days) for n in ns if n.is_cadence
    ]
    windows = [
        ((n.window[0] - h0).days, (n.window[1] - h0).days)
        for n in ns
        if not n.is_cadence
    ]
    xs = [(d - h0).days for d in days]
    bits = [
        sum(1 << w for w, (lo, hi) in enumerate(windows) if lo <= x <= hi)
        for x in xs
    ]

    def head(x: int) -> int:  # days before the first test x
        return sum(max(0, min(last + every, x)) for every, last in cadence)

    # Scores count covered days ×(size + 1), less one per test: more days
    # first, then fewer tests.
    scale = size + 1
    everys = [every for every, _ in cadence]
    if not windows:
        return _cadence_chain(days, xs, everys, size, head)
    # best[k][mask]: (score, previous test, its mask) of the best chain
    # ending at test k having met the windows in mask
    best: list[dict[int, tuple[int, int, int]]] = []
    for k, x in enumerate(xs):
        bit = bits[k]
        here = {bit: (head(x) * scale - 1, -1, 0)}
        for j, gain in enumerate(_gains(x, xs[:k], everys, scale)):
            for mask, (score, _, _) in best[j].items():
                m = mask | bit
                old = here.get(m)
                if old is None or score + gain > old[0]:
                    here[m] = (score + gain, j, mask)
        best.append(here)
    top, end = head(size) * scale, None
    for k, masks in enumerate(best):
        tail = sum(min(size - xs[k], every) for every, _ in cadence)
        for mask, (score, _, _) in masks.items():
            total = score + (tail + size * bin(mask).count("1")) * scale
            if total > top:
                top, end = total, (k, mask)
    chain = []
    while end is not None:
        k, mask = end
        chain.append(days[k])
        _, j, prev = best[k][mask]
        end = (j, prev) if j >= 0 else None
    return chain[::-1]


def _gains(x: int, before: list[int], everys: list[int], scale: int) -> list:
    """Per earlier test at a in ``before``, the score a link from it to
    the test at x adds: the cadence days a..x-1 it covers, less one
    test."""
    if len(everys) == 1:
        (e,) = everys
        return [(x - a if x - a < e else e) * scale - 1 for a in before]
    return [
        sum(x - a if x - a < e else e for e in everys) * scale - 1
        for a in before
    ]


def _cadence_chain(days, xs, everys, size, head) -> list:
    """``best_test_days`` without windows: the same chain, each test's
    best score and previous test in flat lists (the repair's hot loop;
    the first best previous test is kept, as there)."""
    scale = size + 1
    scores: list[int] = []
    prev: list[int] = []
    for k, x in enumerate(xs):
        top, arg = head(x) * scale - 1, -1
        for j, gain in enumerate(_gains(x, xs[:k], everys, scale)):
            score = scores[j] + gain
            if score > top:
                top, arg = score, j
        scores.append(top)
        prev.append(arg)
    top, end = head(size) * scale, -1
    for k, x in enumerate(xs):
        tail = sum(min(size - x, every) for every in everys)
        total = scores[k] + tail * scale
        if total > top:
            top, end = total, k
    chain = []
    while end >= 0:
        chain.append(days[end])
        end = prev[end]
    return chain[::-1]
