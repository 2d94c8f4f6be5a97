"""Repair: each person's tests planned anew against everyone else's.

The greedy books cadence tests one uncovered day at a time, and the
vaccinations before them; a person can end up with a test the day after
an earlier one, or a gap that a different set of dates would close. Here
each person with uncovered days has their tests taken out and put back
on the best set of dates still open to them (``best_test_days``, exact for
that person with everyone else fixed), kept only when it covers more.
Everyone else's bookings stay, so the schedule stays valid and no need
met before is lost.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from scheduler.core import ticks
from scheduler.core.domain import Instance, Service
from scheduler.heuristics.day_chain import anonymous, coverage_value, plan
from scheduler.heuristics.greedy import (
    BookingState,
    _find,
    _urgency,
    fill_open_needs,
    filled_state,
)
from scheduler.prepare.candidates import EmployeeOptions, Option, slots_clash
from scheduler.prepare.needs import Needs, Urgency, need_weight

if TYPE_CHECKING:
    from datetime import date

    from scheduler.core.solution import Appointment, Solution
    from scheduler.prepare.lookups import Lookups


def repair_tests(
    inst: Instance,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    solution: Solution,
    held: frozenset[str] = frozenset(),
    lookups: Lookups | None = None,
) -> Solution:
    """``solution`` with people's tests re-planned where that covers more
    of their test needs (people in ``held``, with pinned bookings, keep
    theirs)."""
    st, kept = BookingState.holding(inst, solution, options, lookups)
    repair_state(st, needs, options, held)
    return st.solution(kept)


def fill_and_repair(
    inst: Instance,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    solution: Solution,
    held: frozenset[str] = frozenset(),
    lookups: Lookups | None = None,
) -> tuple[Solution, BookingState]:
    """``fill_schedule``, ``repair_tests`` and ``take_places``, on one
    booking state (taking a big schedule in is slow); the schedule and
    that state (for ``greedy.refill_state``)."""
    st, kept = filled_state(inst, needs, options, solution, lookups)
    repair_state(st, needs, options, held)
    take_places(st, needs, options, held)
    return st.solution(kept), st


def fill_and_repair_state(
    st: BookingState,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    held: frozenset[str] = frozenset(),
) -> Solution:
    """``fill_and_repair`` on the state the greedy left (rather than
    taking its schedule in again)."""
    fill_open_needs(st, needs, options)
    repair_state(st, needs, options, held)
    take_places(st, needs, options, held)
    return st.solution()


def repair_state(
    st: BookingState,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    held: frozenset[str] = frozenset(),
    passes: tuple[bool, ...] = (True, False),
) -> None:
    """Re-plan everyone's tests in ``st`` (see the module's doc): first
    everyone, so that spare tests go back to the pool (a thin pass), then
    those still short."""
    inst = st.inst
    horizon = tuple(inst.settings.dates())
    order = _most_urgent(inst, needs, options, held)
    every = {
        eid: _all_dates(inst, options[eid]) for eid in order
    }  # the same in both passes
    steps = [(thin, eid) for thin in passes for eid in order]
    for thin, eid in ticks.counted("replanned", steps):
        _replan(
            st,
            inst,
            needs.tests[eid],
            options[eid],
            eid,
            (horizon, every[eid]),
            thin,
        )


def _most_urgent(inst, needs, options, held) -> list[str]:
    """The people whose tests may be re-planned, most urgent first."""
    return sorted(
        (e for e in needs.tests if e in options and e not in held),
        key=lambda e: (-_urgency(needs, e, inst), e),
    )


#: Occupants of a full session that a short person tries to trade places
#: with, per date (``take_places``).
OCCUPANTS = 4

#: Trades tried in all, at most: each costs two re-plans, and a tight
#: drive of 100,000 staff would try over ten times this many
#: (benchmarks/measurements.md, "Repair"), so the most urgent people go
#: first and the trades stop here.
TRADES = 10_000


def take_places(
    st: BookingState,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    held: frozenset[str] = frozenset(),
) -> None:
    """Trade places (an ejection move): a person still short of test days
    tries, on each date of their best plan alone that they lack, each full
    session open to them there: they take the place of one of a few of its
    occupants, who then re-plans around it (``_replan`` for both); the
    trade stays only when the two cover more, weighted, than before.
    Everyone else's bookings stay, so the schedule stays valid. People in
    ``held`` take part in no trade.

    The repair alone cannot do this: each person re-plans against the
    others' bookings as they are, and a full date stays full.
    """
    trader = _Trader(st, needs, options, held)
    horizon = trader.horizon
    for p in ticks.counted("trading", trader.order):
        ns = needs.tests[p]
        if _recorded_inside(ns, horizon):
            continue
        alone, chosen = plan(anonymous(ns), trader.every[p], horizon)
        mine = {a.date for a in st.mine[p] if a.service is _TEST}
        if coverage_value(ns, sorted(mine), horizon) >= alone:
            continue
        wanted = set(chosen) - mine
        memo = _Memo(st, p)
        for o in options[p].tests:
            if trader.tries >= TRADES:
                return
            if (
                st.inst.sessions[o.session_id].date in wanted
                and st.full(o.session_id)
                and trader.trade(p, o, memo)
            ):
                break


class _Trader:
    """``take_places``'s state: who may trade, the test bookings per
    session, and the trades tried so far."""

    def __init__(self, st: BookingState, needs, options, held) -> None:
        self.st, self.needs, self.options = st, needs, options
        inst = st.inst
        self.horizon = tuple(inst.settings.dates())
        self.order = _most_urgent(inst, needs, options, held)
        self.every = {e: _all_dates(inst, options[e]) for e in self.order}
        #: Per person, their test sessions per day.
        self.days = {
            e: Counter(t.day for t in options[e].tests) for e in self.order
        }
        self.at_session: dict[str, list[Appointment]] = {}
        for a in st.apps:
            if a.service is _TEST:
                self.at_session.setdefault(a.session_id, []).append(a)
        self.tries = 0

    def value(self, eid: str) -> float:
        """A person's test needs met, weighted."""
        dates = [a.date for a in self.st.mine[eid] if a.service is _TEST]
        e = self.st.inst.employees[eid]
        return coverage_value(
            self.needs.tests[eid], dates, self.horizon
        ) * need_weight(Urgency.DUE, e.priority)

    def replan(self, eid: str, memo: _Memo | None = None) -> None:
        st = self.st
        _replan(
            st,
            st.inst,
            self.needs.tests[eid],
            self.options[eid],
            eid,
            (self.horizon, self.every[eid]),
            False,
            memo,
        )

    def trade(self, p: str, o: Option, memo: _Memo) -> bool:
        """``p`` tries to take the place of each of a few occupants of the
        full session of option ``o``; True once a trade stays. ``memo``:
        ``p``'s fits, while no trade of theirs has stayed."""
        st, options = self.st, self.options
        booked = [
            a
            for a in self.at_session.get(o.session_id, [])
            if a.employee_id != p
            and a.employee_id in self.days
            and a in st.apps
        ]
        # Those with the most test sessions on other days are likeliest to
        # move (benchmarks/measurements.md, "Repair": better and faster than
        # the first booked; counting only sessions with room was as good,
        # but slow where sessions hold hundreds).
        occupants = sorted(
            booked,
            key=lambda a: (
                self.days[a.employee_id][o.day]
                - len(options[a.employee_id].tests)
            ),
        )[:OCCUPANTS]
        for a in occupants:
            self.tries += 1
            r = a.employee_id
            mine, theirs = list(st.mine[p]), list(st.mine[r])
            if memo.before is None:  # the same at every trade of p's
                memo.before = self.value(p)
            before_p, before_r = memo.before, self.value(r)
            ro = _find(options[r], a.session_id)
            st.unbook(a, ro)
            memo.leave(st, a, ro)
            self.replan(p, memo)
            gain = self.value(p) - before_p
            if gain > 0:
                self.replan(r)
                if gain > before_r - self.value(r):
                    for b in [*st.mine[p], *st.mine[r]]:
                        if b.service is _TEST:
                            self.at_session.setdefault(
                                b.session_id, []
                            ).append(b)
                    return True
            _restore(st, options, p, mine)
            _restore(st, options, r, theirs)
        return False


def _restore(st, options, eid: str, apps: list[Appointment]) -> None:
    """Put one person's bookings back to ``apps``."""
    keep = set(apps)
    for a in [a for a in st.mine[eid] if a not in keep]:
        st.unbook(a, _find(options[eid], a.session_id))
    now = set(st.mine[eid])
    for a in apps:
        if a not in now:
            st.rebook(a, options)


_TEST = Service.NUCLEIC_TEST


def _recorded_inside(ns, horizon) -> bool:
    """A test recorded inside the horizon: the person's tests are left as
    they are (the chain over dates assumes recorded tests before it)."""
    return any(n.is_cadence and n.last_test >= horizon[0] for n in ns)


class _Memo:
    """One person's fits (``_first_fit``, ``_first_and_last``) as their
    trades find them, each with one occupant out of a session.

    Every trade of the person starts from the same state (a failed one is
    undone), and their re-plan first takes out the same bookings of
    theirs; with an occupant out, only the occupant's session and, for
    the person's teammates (rule 7), the occupant's time away differ. A
    fit found with the occupant out holds for the state without them too,
    unless it is in that session or, the occupant being a teammate, some
    slot's time away meets the occupant's; and such a fit holds for every
    later trade likewise. The trades try many occupants of the same few
    sessions, so most fits are found once.
    """

    def __init__(self, st: BookingState, eid: str) -> None:
        self.team = st.inst.employees[eid].team_key
        self.first: dict[str, int | None] = {}
        self.both: dict[str, list[tuple[Option, int]]] = {}
        #: The session of the occupant out now, and their time away if
        #: they are in the person's team.
        self.out: str | None = None
        self.away: tuple[int, int] | None = None
        #: The person's test needs met, weighted, before each trade.
        self.before: float | None = None

    def leave(self, st: BookingState, a: Appointment, o: Option) -> None:
        """Occupant ``a`` (booked through option ``o``) is out now."""
        self.out = a.session_id
        same = st.inst.employees[a.employee_id].team_key == self.team
        self.away = o.away[o.slots.index(a.slot_start)] if same else None

    def _holds(self, o: Option) -> bool:
        """Are ``o``'s fits now those of the state without an occupant
        out? (Slots' times away grow with their starts.)"""
        if o.session_id == self.out:
            return False
        if self.away is None:
            return True
        t0, t1 = self.away
        return o.away[-1][1] <= t0 or o.away[0][0] >= t1

    def first_fit(self, st, eid, opts, o: Option) -> int | None:
        if not self._holds(o):
            return _first_fit(st, eid, opts, o)
        if o.session_id not in self.first:
            self.first[o.session_id] = _first_fit(st, eid, opts, o)
        return self.first[o.session_id]

    def first_and_last(self, st, eid, opts, o: Option) -> list:
        if not self._holds(o):
            return _first_and_last(st, eid, opts, o)
        found = self.both.get(o.session_id)
        if found is None:
            found = self.both[o.session_id] = _first_and_last(st, eid, opts, o)
        return found


def _replan(
    st, inst, ns, opts, eid, dates, thin: bool, memo: _Memo | None = None
) -> None:
    """One person's tests re-planned (see the module's doc). ``dates``:
    the horizon's and those of the person's test sessions; ``memo``: the
    person's fits found in earlier trades (``take_places``)."""
    horizon, every = dates
    if not opts.tests or _recorded_inside(ns, horizon):
        return
    old = [a for a in st.mine[eid] if a.service is Service.NUCLEIC_TEST]
    before = coverage_value(ns, [a.date for a in old], horizon)
    same = anonymous(ns)  # shared by many: the plans below are cached
    alone, fewest = plan(same, every, horizon)
    short = before < alone
    if not short and thin and len(old) > len(fewest):
        # Tests that cover nothing the others do not go first, with no fit
        # checks at all (more needs met, and faster:
        # benchmarks/measurements.md).
        old = _drop_spare_tests(st, ns, opts, old, before, horizon)
    if not short and (not thin or len(old) <= len(fewest)):
        return  # nothing to gain, even alone in the drive
    jabs = [a for a in st.mine[eid] if a.service is Service.VACCINATION]
    # A single booked dose (of any need) may move to another session of
    # its position: no other booked dose depends on its date.
    movable = short and len(jabs) == 1
    test_option = {o.session_id: o for o in opts.tests}
    taken = {a: test_option[a.session_id] for a in old}
    if movable:
        taken[jabs[0]] = _find(opts, jabs[0].session_id)
    for a, o in taken.items():
        st.unbook(a, o)
    open_days = _open_days(st, inst, eid, opts, movable, memo)
    # More covered, then fewer tests: a test saved is a place for others.
    best = ((before, -len(old)), None, [])
    for jab in (
        _jab_choices(st, eid, opts, jabs[0], taken, memo)
        if movable
        else [None]
    ):
        days = _free_days(st, open_days, opts, jab)
        value, chosen = plan(same, tuple(sorted(days)), horizon)
        score = (value, -len(chosen))
        if score > best[0]:
            best = (score, jab, [_slots_of(days[d]) for d in chosen])
    _, jab, slots = best
    if slots and _book_all(st, eid, opts, jab, jabs, slots):
        return
    for a, o in taken.items():  # nothing better: as it was
        st.book(eid, o, o.slots.index(a.slot_start), a.dose)


def _drop_spare_tests(st, ns, opts, tests, value, horizon) -> list:
    """Cancel the tests whose loss costs no covered day, latest first;
    the tests left (``value``: what they cover now)."""
    left = list(tests)
    for a in sorted(tests, key=lambda a: a.date, reverse=True):
        rest = [b for b in left if b is not a]
        if coverage_value(ns, [b.date for b in rest], horizon) >= value:
            st.unbook(a, _find(opts, a.session_id))
            left = rest
    return left


def _jab_choices(
    st, eid, opts, jab, taken, memo: _Memo | None = None
) -> list[tuple[Option, int]]:
    """The dose where it was, then the first and the last slot that fit in
    each session open to it: rule 11 counts from the dose's start, so an
    early dose frees the morning two days on, a late one the morning of
    its own day."""
    here = taken[jab]
    out = [(here, here.slots.index(jab.slot_start))]
    both = _first_and_last if memo is None else memo.first_and_last
    for o in opts.vaccination[0]:
        out.extend(c for c in both(st, eid, opts, o) if c not in out)
    return out


def _first_and_last(st, eid, opts, o: Option) -> list[tuple[Option, int]]:
    """The first and the last slot of ``o`` that fit now (none, one or
    two)."""
    first = _first_fit(st, eid, opts, o)
    if first is None:
        return []
    after = range(first + 1, len(o.slots))
    last = next(st.fitting(eid, opts, o, reversed(after)), first)
    return [(o, first)] if last == first else [(o, first), (o, last)]


def _first_fit(st, eid, opts, o: Option) -> int | None:
    """The first slot of ``o`` that fits now, if any."""
    return st.first_fit(eid, opts, o)


def _free_days(st, open_days, opts, jab) -> dict[date, list | _Day]:
    """The open test slots per date that do not clash with the dose
    booked at ``jab`` (None: no dose to place); a ``_Day`` is left as it
    is where no test can clash."""
    if jab is None:
        return open_days
    v, i = jab
    near = st.clash_dates(opts, v.session_id)
    out = {}
    for d, slots in open_days.items():
        if d not in near:  # no test that day can clash with the dose
            out[d] = slots
            continue
        # The dose and the test may not both be booked: rules 5 and 11 at
        # their slots, where their sessions could clash (the same day, or
        # ``overlaps`` and ``blackouts``).
        ok = [
            (t, j)
            for t, j in _slots_of(slots)
            if not (
                (t.day == v.day or opts.may_clash(v.session_id, t.session_id))
                and slots_clash(v, i, t, j, v, st.blackout)
            )
        ]
        if ok:
            out[d] = ok
    return out


def _book_all(st, eid, opts, jab, jabs, slots) -> bool:
    """Book the dose (if it moves) and one test per day's slots; undo
    and False if any no longer fits."""
    booked = []
    todo = [(jabs[0].dose, [jab])] if jab is not None else []
    for dose, options in [*todo, *((None, s) for s in slots)]:
        for o, i in options:
            if st.fits(eid, opts, o, i):
                st.book(eid, o, i, dose)
                booked.append((st.mine[eid][-1], o))
                break
        else:
            for a, o in booked:
                st.unbook(a, o)
            return False
    return True


def _all_dates(inst, opts) -> tuple[date, ...]:
    return tuple(
        sorted({inst.sessions[o.session_id].date for o in opts.tests})
    )


class _Day:
    """One date's test slots that fit (``_open_days`` with every
    session), found when first asked for: the date is known to have some
    at once, the slots themselves are needed only on the dates a dose may
    clash with and those the chain picks. The re-plan asks before it
    books anything, so they are what a search at once would have found.
    """

    __slots__ = ("args", "both", "options", "slots")

    def __init__(self, args: tuple, both, o: Option) -> None:
        self.args, self.both = args, both  # (st, eid, opts), the search
        #: The date's sessions from the first with a fit, roomiest first.
        self.options = [o]
        self.slots: list[tuple[Option, int]] | None = None

    def found(self) -> list[tuple[Option, int]]:
        if self.slots is None:
            st, eid, opts = self.args
            self.slots = [
                c for o in self.options for c in self.both(st, eid, opts, o)
            ]
        return self.slots


def _slots_of(day: list | _Day) -> list[tuple[Option, int]]:
    return day.found() if isinstance(day, _Day) else day


def _open_days(
    st, inst, eid, opts, every_session: bool, memo: _Memo | None = None
) -> dict[date, list[tuple[Option, int]]] | dict[date, _Day]:
    """Per date, the person's test slots that fit now, roomiest session
    first (as the greedy spreads the load): the first and the last per
    session (rule 11 may leave only one of them beside a dose; found when
    needed, see ``_Day``), or (without ``every_session``) only the first
    per date, which is all the chain needs when no dose moves (fit checks
    are most of the repair's time)."""
    first, both = _first_fit, _first_and_last
    if memo is not None:
        first, both = memo.first_fit, memo.first_and_last
    out: dict[date, list[tuple[Option, int]]] = {}
    days: dict[date, _Day] = {}
    for o in sorted(opts.tests, key=lambda o: -st.places_left(o.session_id)):
        if st.full(o.session_id):
            break  # and so are all after it: no slot to try
        d = inst.sessions[o.session_id].date
        if every_session:
            if d in days:
                days[d].options.append(o)
            elif first(st, eid, opts, o) is not None:
                days[d] = _Day((st, eid, opts), both, o)
        elif d not in out:
            i = first(st, eid, opts, o)
            if i is not None:
                out[d] = [(o, i)]
    return days if every_session else out
