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

from datetime import date

from scheduler.candidates import EmployeeOptions, Option, slots_clash
from scheduler.domain import Instance, Service
from scheduler.greedy import (
    BookingState,
    _find,
    _urgency,
    fill_open_needs,
    filled_state,
)
from scheduler.needs import Needs
from scheduler.solution import Solution
from scheduler.test_days import anonymous, coverage_value, plan


def repair_tests(
    inst: Instance,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    solution: Solution,
    held: frozenset[str] = frozenset(),
) -> Solution:
    """``solution`` with people's tests re-planned where that covers more
    of their test needs (people in ``held``, with pinned bookings, keep
    theirs)."""
    st, kept = BookingState.holding(inst, solution, options)
    repair_state(st, needs, options, held)
    return st.solution(kept)


def fill_and_repair(
    inst: Instance,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    solution: Solution,
    held: frozenset[str] = frozenset(),
) -> tuple[Solution, BookingState]:
    """``fill_schedule`` then ``repair_tests``, on one booking state (at
    100,000 staff, taking the schedule in costs about 10 s); the schedule
    and that state (for ``greedy.refill_state``)."""
    st, kept = filled_state(inst, needs, options, solution)
    repair_state(st, needs, options, held)
    return st.solution(kept), st


def fill_and_repair_state(
    st: BookingState,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    held: frozenset[str] = frozenset(),
) -> Solution:
    """``fill_and_repair`` on the state the greedy left (taking its
    schedule in again cost 7 s at 100,000 staff)."""
    fill_open_needs(st, needs, options)
    repair_state(st, needs, options, held)
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
    order = sorted(
        (e for e in needs.tests if e in options and e not in held),
        key=lambda e: (-_urgency(needs, e, inst), e),
    )
    every = {
        eid: _all_dates(inst, options[eid]) for eid in order
    }  # the same in both passes
    for thin in passes:
        for eid in order:
            _replan(
                st,
                inst,
                needs.tests[eid],
                options[eid],
                eid,
                (horizon, every[eid]),
                thin,
            )


def _replan(st, inst, ns, opts, eid, dates, thin: bool) -> None:
    """One person's tests re-planned (see the module's doc). ``dates``:
    the horizon's and those of the person's test sessions."""
    horizon, every = dates
    if not opts.tests or any(
        n.is_cadence and n.last_test >= horizon[0] for n in ns
    ):
        return  # a recorded test inside the horizon: left as it is
    old = [a for a in st.mine[eid] if a.service is Service.NUCLEIC_TEST]
    before = coverage_value(ns, [a.date for a in old], horizon)
    same = anonymous(ns)  # shared by many: the plans below are cached
    alone, fewest = plan(same, every, horizon)
    short = before < alone
    if not short and thin and len(old) > len(fewest):
        # Tests that cover nothing the others do not go first, with no fit
        # checks at all (10,000 staff: 73 more units, and a little faster).
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
    open_days = _open_days(st, inst, eid, opts, movable)
    # More covered, then fewer tests: a test saved is a place for others.
    best = ((before, -len(old)), None, [])
    for jab in (
        _jab_choices(st, eid, opts, jabs[0], taken) if movable else [None]
    ):
        days = _free_days(st, open_days, opts, jab)
        value, chosen = plan(same, tuple(sorted(days)), horizon)
        score = (value, -len(chosen))
        if score > best[0]:
            best = (score, jab, [days[d] for d in chosen])
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


def _jab_choices(st, eid, opts, jab, taken) -> list[tuple[Option, int]]:
    """The dose where it was, then the first and the last slot that fit in
    each session open to it: rule 11 counts from the dose's start, so an
    early dose frees the morning two days on, a late one the morning of
    its own day."""
    here = taken[jab]
    out = [(here, here.slots.index(jab.slot_start))]
    for o in opts.vaccination[0]:
        out.extend(
            c for c in _first_and_last(st, eid, opts, o) if c not in out
        )
    return out


def _first_and_last(st, eid, opts, o: Option) -> list[tuple[Option, int]]:
    """The first and the last slot of ``o`` that fit now (none, one or
    two)."""
    first = _first_fit(st, eid, opts, o)
    if first is None:
        return []
    last = next(
        i
        for i in reversed(st.slots_to_try(o))
        if i == first or st.fits(eid, opts, o, i)
    )
    return [(o, first)] if last == first else [(o, first), (o, last)]


def _first_fit(st, eid, opts, o: Option) -> int | None:
    """The first slot of ``o`` that fits now, if any."""
    return next(
        (i for i in st.slots_to_try(o) if st.fits(eid, opts, o, i)), None
    )


def _free_days(st, open_days, opts, jab) -> dict[date, list]:
    """The open test slots per date that do not clash with the dose
    booked at ``jab`` (None: no dose to place)."""
    if jab is None:
        return open_days
    out = {}
    for d, slots in open_days.items():
        ok = [(t, i) for t, i in slots if not _clash(st, opts, jab, (t, i))]
        if ok:
            out[d] = ok
    return out


def _clash(st, opts: EmployeeOptions, jab, test) -> bool:
    """The dose and the test, (option, slot index) each, may not both be
    booked: rules 5 and 11 at their slots, where their sessions could
    clash (the same day, or ``overlaps`` and ``blackouts``)."""
    (v, i), (t, j) = jab, test
    if v.day != t.day and not opts.may_clash(v.session_id, t.session_id):
        return False
    return slots_clash(v, i, t, j, v, st.blackout)


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


def _open_days(
    st, inst, eid, opts, every_session: bool
) -> dict[date, list[tuple[Option, int]]]:
    """Per date, the person's test slots that fit now, roomiest session
    first (as the greedy spreads the load): the first and the last per
    session (rule 11 may leave only one of them beside a dose), or
    (without ``every_session``) only the first per date, which is all the
    chain needs when no dose moves (fit checks are most of the repair's
    time)."""
    out: dict[date, list[tuple[Option, int]]] = {}
    for o in sorted(opts.tests, key=lambda o: -st.places_left(o.session_id)):
        d = inst.sessions[o.session_id].date
        if every_session:
            found = _first_and_last(st, eid, opts, o)
        elif d in out:
            continue
        else:
            i = _first_fit(st, eid, opts, o)
            found = [] if i is None else [(o, i)]
        if found:
            out.setdefault(d, []).extend(found)
    return out
