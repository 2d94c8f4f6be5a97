"""Earliest-slot-first greedy schedule: the baseline and the solver's hint.

Needs are taken most urgent first (then by priority and employee id); a
dose gets the earliest slot that keeps every hard rule given what is
already booked, a screening test the session a matching of the window's
places gives it, and a cadence test a slot in the session with the most
places left among those that cover the person's first uncovered day, one
test per person in turn. It uses the same candidate options as the model,
but judges a person's own appointments at their slots (rules 5 and 11,
candidates.slots_clash) where the model forbids whole pairs of sessions,
so the model's hint leaves out the few tests it cannot hold
(solve.hint_from_solution).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections import defaultdict
from datetime import timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

from scheduler.core import ticks
from scheduler.core.domain import Instance, Service, Session
from scheduler.core.rules import team_away_limit, team_jabs_limit
from scheduler.core.solution import Appointment, Solution, roster_order
from scheduler.model.flow import assign
from scheduler.prepare.booked import (
    CONFLICT,
    FULL,
    NO_LONGER_OPEN,
    TEAM_LIMIT,
    Keepable,
)
from scheduler.prepare.candidates import (
    EmployeeOptions,
    Option,
    all_options,
    slots_clash,
)
from scheduler.prepare.duty import duty_periods
from scheduler.prepare.lookups import Lookups, lookups_for
from scheduler.prepare.needs import Needs, Urgency, need_weight

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence


class BookingState:
    """What is booked so far, with the checks each new booking needs."""

    def __init__(self, inst: Instance, lookups: Lookups | None = None) -> None:
        self.inst = inst
        self.lookups = lookups_for(inst, lookups)
        self.slot_used: dict[tuple[str, int], int] = defaultdict(int)
        #: People booked per session, to pass over full ones at once.
        self.taken: dict[str, int] = defaultdict(int)
        self._places = {s.id: s.places for s in inst.sessions.values()}
        #: Per session, the start of its earliest slot with room: slots
        #: fill up for everyone alike, so none before it need be tried.
        self._open_from: dict[str, int] = {}
        self.doses_used: dict[str, int] = defaultdict(int)
        #: Per session, the ends of its jabs' slots (sorted): when each
        #: observation begins.
        self.obs_ends: dict[str, list[int]] = defaultdict(list)
        #: Per team, the starts and the ends of its away intervals, each
        #: sorted: how many are away at t is a difference of two counts.
        self.away_starts: dict = defaultdict(list)
        self.away_ends: dict = defaultdict(list)
        self.team_day: dict = defaultdict(int)
        #: Insertion-ordered (a dict, so that unbooking is cheap).
        self.apps: dict[Appointment, None] = {}
        self.mine: dict[str, list[Appointment]] = defaultdict(list)
        s = inst.settings
        self.away_share = s.team_away_max_share
        self.jab_share = s.team_vaccinated_per_day_max_share
        self.blackout = s.test_blackout_hours_after_vaccination * 60
        self._duty: dict = {}
        #: (team, minute) -> how many of the team may be away then, by
        #: the members on duty (duty is fixed input).
        self._away_limit: dict[tuple, int] = {}
        #: employee -> (team, rule-8 limit): fixed input too.
        self._teams: dict[str, tuple] = {}
        #: session -> slot -> doses and observation seats allow a jab;
        #: forgotten for a session when its jabs change.
        self._jab_ok: dict[str, dict[int, bool]] = defaultdict(dict)
        self._slot_starts: dict[str, tuple[int, ...]] = {}
        self._test_dates: dict[str, tuple[list, bool]] = {}
        #: (overlaps, blackouts) -> session -> ``clash_dates``: options
        #: share their pairs, so this is found once per set of pairs.
        self._clash_dates: dict[tuple, dict[str, frozenset]] = {}

    def fits(self, eid: str, opts: EmployeeOptions, o: Option, i: int) -> bool:
        return self.why_not(eid, opts, o, i) is None

    def why_not(
        self, eid: str, opts: EmployeeOptions, o: Option, i: int
    ) -> str | None:
        """None if the slot fits, else the reason code of domain.md."""
        s = self.inst.sessions[o.session_id]
        a = o.slots[i]
        if self.slot_used[s.id, a] >= s.capacity_per_slot:
            return "full"
        if s.service is Service.VACCINATION:
            known = self._jab_ok[s.id]
            ok = known.get(a)
            if ok is None:
                ok = known[a] = self._jab_fits(s, a)
            if not ok:
                return "full"
        if self._clashes(eid, opts, o, i):
            return "conflict"
        team, jab_limit = self._team_of(eid)
        if (
            s.service is Service.VACCINATION
            and self.team_day[team, s.date] >= jab_limit
        ):
            return "team_limit"
        if not self._team_fits(team, o.away[i]):
            return "team_limit"
        return None

    def first_fit(
        self, eid: str, opts: EmployeeOptions, o: Option
    ) -> int | None:
        """The first slot of ``o`` that fits now, if any."""
        todo = self.slots_to_try(o)
        if not todo:  # full: no scan to set up
            return None
        return next(self.fitting(eid, opts, o, todo), None)

    def fitting(
        self, eid: str, opts: EmployeeOptions, o: Option, indices
    ) -> Iterator[int]:
        """The slot indices out of ``indices`` that fit now (``fits``),
        lazily and in their order, for scans that stop at the first: the
        checks that do not depend on the slot are made once."""
        s = self.inst.sessions[o.session_id]
        team, jab_limit = self._teams.get(eid) or self._team_of(eid)
        vacc = s.service is Service.VACCINATION
        if vacc and self.team_day[team, s.date] >= jab_limit:
            return
        near = None  # found at the first slot with room (most are full)
        sid, cap, blackout = s.id, s.capacity_per_slot, self.blackout
        used, slots, away = self.slot_used, o.slots, o.away
        known = self._jab_ok[sid] if vacc else None
        starts, stops = self.away_starts[team], self.away_ends[team]
        for i in indices:
            a = slots[i]
            if used[sid, a] >= cap:
                continue
            if known is not None:
                ok = known.get(a)
                if ok is None:
                    ok = known[a] = self._jab_fits(s, a)
                if not ok:
                    continue
            if near is None:
                near = self._near(eid, opts, o)
                if near is None:
                    return
            if near and any(
                slots_clash(ob, k, o, i, jab, blackout) for ob, k, jab in near
            ):
                continue
            # ``_team_fits``, its first test here (nobody of the team away
            # in the span: most slots).
            t0, t1 = away[i]
            if bisect_left(starts, t1) <= bisect_right(
                stops, t0
            ) or self._team_fits(team, away[i]):
                yield i

    def _near(self, eid: str, opts: EmployeeOptions, o: Option) -> list | None:
        """The person's bookings that may clash with a slot of ``o`` (see
        ``_clashes``), each as (option, slot index, the dose's option or
        None); None if one on its day rules the whole session out."""
        s = self.inst.sessions[o.session_id]
        vacc = s.service is Service.VACCINATION
        near = []
        for b in self.mine[eid]:
            if b.date != s.date and not opts.may_clash(b.session_id, s.id):
                continue
            old = b.service is Service.VACCINATION
            if b.date == s.date and vacc == old:
                return None
            ob = _find(opts, b.session_id)
            jab = None if vacc == old else o if vacc else ob
            near.append((ob, ob.slots.index(b.slot_start), jab))
        return near

    def clash_dates(self, opts: EmployeeOptions, sid: str) -> frozenset:
        """The session's date and those of every session that
        ``opts.may_clash`` pairs it with: a booking on any other date
        cannot clash with one in it."""
        key = (opts.overlaps, opts.blackouts)
        index = self._clash_dates.get(key)
        if index is None:
            partners: dict[str, set] = defaultdict(set)
            for a, b in (*opts.overlaps, *opts.blackouts):
                partners[a].add(b)
                partners[b].add(a)
            on = self.inst.sessions
            index = self._clash_dates[key] = {
                x: frozenset({on[x].date, *(on[y].date for y in ys)})
                for x, ys in partners.items()
            }
        found = index.get(sid)
        if found is None:
            found = index[sid] = frozenset({self.inst.sessions[sid].date})
        return found

    def _team_of(self, eid: str) -> tuple:
        """The person's team and its rule-8 limit of jabs a day."""
        got = self._teams.get(eid)
        if got is None:
            team = self.inst.employees[eid].team_key
            size = len(self.inst.teams()[team])
            got = self._teams[eid] = (
                team,
                team_jabs_limit(self.jab_share, size),
            )
        return got

    def _clashes(self, eid: str, opts: EmployeeOptions, o: Option, i: int):
        """Rules 5 and 11 against the person's bookings, at the slots (see
        ``slots_clash``): on the same day (one test and one dose at most,
        the test first) and where two days' sessions could clash at all."""
        s = self.inst.sessions[o.session_id]
        new = s.service is Service.VACCINATION
        for b in self.mine[eid]:
            if b.date != s.date and not opts.may_clash(b.session_id, s.id):
                continue
            old = b.service is Service.VACCINATION
            if b.date == s.date and new == old:
                return True
            ob = _find(opts, b.session_id)
            jab = None if new == old else o if new else ob
            if slots_clash(
                ob, ob.slots.index(b.slot_start), o, i, jab, self.blackout
            ):
                return True
        return False

    def _jab_fits(self, s: Session, a: int) -> bool:
        if s.doses_available is not None and (
            self.doses_used[s.id] >= s.doses_available
        ):
            return False
        obs = self.inst.settings.observation_minutes
        if s.observation_seats is None or obs == 0:
            return True
        # Every observation lasts ``obs``: the most seats taken during the
        # new one's [end, end + obs) is at its start or at a later one's
        # start; at t, those seated are the ends in (t - obs, t], counted
        # on the sorted ends, plus the new one.
        end = a + s.slot_minutes
        ends = self.obs_ends[s.id]
        seats = s.observation_seats
        lo, hi = bisect_left(ends, end), bisect_left(ends, end + obs)
        for t in (end, *ends[lo:hi]):
            if bisect_right(ends, t) - bisect_right(ends, t - obs) >= seats:
                return False
        return True

    def _team_fits(self, team, span: tuple[int, int]) -> bool:
        t0, t1 = span
        starts, stops = self.away_starts[team], self.away_ends[team]
        # At most those away before t1 and not back by t0 are away with
        # the new one: with nobody, it fits at once.
        if bisect_left(starts, t1) <= bisect_right(stops, t0):
            return True
        periods, ends = self._team_duty(team)
        points = {t0}
        points.update(
            starts[bisect_right(starts, t0) : bisect_left(starts, t1)]
        )
        points.update(ends[bisect_right(ends, t0) : bisect_left(ends, t1)])
        for t in points:
            here = 1 + bisect_right(starts, t) - bisect_right(stops, t)
            if here == 1:
                continue
            limit = self._away_limit.get((team, t))
            if limit is None:
                on = sum(1 for ps in periods if ps.at(t))
                limit = self._away_limit[team, t] = team_away_limit(
                    self.away_share, on
                )
            if here > limit:
                return False
        return True

    def _team_duty(self, team) -> tuple[list, list[int]]:
        """Duty periods of a team's members and all their ends, sorted:
        the limit of rule 7 only falls where a duty ends."""
        if team not in self._duty:
            members = self.inst.teams()[team]
            periods = [
                duty_periods(self.inst, m, self.lookups) for m in members
            ]
            ends = sorted({b for ps in periods for _, b in ps})
            self._duty[team] = (periods, ends)
        return self._duty[team]

    def places_left(self, sid: str) -> int:
        return self._places[sid] - self.taken[sid]

    def full(self, sid: str) -> bool:
        """Every place of the session taken (slots, or doses)."""
        return self.taken[sid] >= self._places[sid]

    def _slot_full(self, s: Session, a: int) -> bool:
        return self.slot_used[s.id, a] >= s.capacity_per_slot

    def slots_to_try(self, o: Option) -> range:
        """Indices of an option's slots that may still have room."""
        if self.full(o.session_id):
            return range(0)
        start = self._open_from.get(o.session_id)
        if start is None:
            return range(len(o.slots))
        return range(bisect_left(o.slots, start), len(o.slots))

    @classmethod
    def holding(
        cls,
        inst: Instance,
        solution: Solution,
        options: dict,
        lookups: Lookups | None = None,
    ) -> tuple[BookingState, list[Appointment]]:
        """A state with a schedule's appointments booked, and those it
        could not take in (not an option: cannot happen for valid
        input)."""
        st = cls(inst, lookups)
        return st, [
            a for a in solution.appointments if not st.rebook(a, options)
        ]

    def rebook(self, a: Appointment, options: dict) -> bool:
        """Take an existing appointment into the state (False if it is not
        one of the employee's options)."""
        opts = options.get(a.employee_id)
        o = _find(opts, a.session_id) if opts else None
        if o is None or a.slot_start not in o.slots:
            return False
        self.book(a.employee_id, o, o.slots.index(a.slot_start), a.dose)
        return True

    def book(self, eid: str, o: Option, i: int, dose: str | None) -> None:
        inst, s = self.inst, self.inst.sessions[o.session_id]
        a = o.slots[i]
        e = inst.employees[eid]
        self.slot_used[s.id, a] += 1
        self.taken[s.id] += 1
        if a == self._open_from.get(s.id, s.start):
            self._open_from[s.id] = next(
                (
                    b
                    for b in self._starts(s)
                    if b >= a and not self._slot_full(s, b)
                ),
                s.end,
            )
        team = e.team_key
        insort(self.away_starts[team], o.away[i][0])
        insort(self.away_ends[team], o.away[i][1])
        vacc = s.service is Service.VACCINATION
        if vacc:
            self.doses_used[s.id] += 1
            self._jab_ok.pop(s.id, None)
            insort(self.obs_ends[s.id], a + s.slot_minutes)
            self.team_day[team, s.date] += 1
        app = Appointment.in_session(s, eid, a, o.travel, dose)
        self.apps[app] = None
        self.mine[eid].append(app)

    def unbook(self, app: Appointment, o: Option) -> None:
        """Undo ``book`` of ``app`` (booked through option ``o``)."""
        s, a = self.inst.sessions[app.session_id], app.slot_start
        team = self.inst.employees[app.employee_id].team_key
        i = o.slots.index(a)
        self.slot_used[s.id, a] -= 1
        self.taken[s.id] -= 1
        if a < self._open_from.get(s.id, s.start):
            self._open_from[s.id] = a
        for sorted_list, t in (
            (self.away_starts[team], o.away[i][0]),
            (self.away_ends[team], o.away[i][1]),
        ):
            del sorted_list[bisect_left(sorted_list, t)]
        if s.service is Service.VACCINATION:
            self.doses_used[s.id] -= 1
            self._jab_ok.pop(s.id, None)
            ends = self.obs_ends[s.id]
            del ends[bisect_left(ends, a + s.slot_minutes)]
            self.team_day[team, s.date] -= 1
        del self.apps[app]
        self.mine[app.employee_id].remove(app)

    def solution(self, extra: list[Appointment] = ()) -> Solution:
        """The appointments booked (and ``extra``), in roster order."""
        return Solution(
            appointments=tuple(sorted([*self.apps, *extra], key=roster_order))
        )

    def tests_between(
        self, eid: str, opts: EmployeeOptions, lo, hi
    ) -> list[Option]:
        """The person's test options dated lo to hi, latest first."""
        found = self._test_dates.get(eid)
        if found is None:
            d = [self.inst.sessions[o.session_id].date for o in opts.tests]
            found = self._test_dates[eid] = (
                d,
                all(a <= b for a, b in pairwise(d)),
            )
        dates, in_order = found
        if in_order:
            i, j = bisect_left(dates, lo), bisect_right(dates, hi)
            return opts.tests[i:j][::-1]
        return [
            o
            for o, d in zip(reversed(opts.tests), reversed(dates), strict=True)
            if lo <= d <= hi
        ]

    def _starts(self, s: Session) -> tuple[int, ...]:
        """Slot starts of a session (``Session.slots`` builds them anew)."""
        found = self._slot_starts.get(s.id)
        if found is None:
            found = self._slot_starts[s.id] = tuple(a for a, _ in s.slots)
        return found

    def dates_of(self, eid: str, service: Service) -> list:
        return sorted(a.date for a in self.mine[eid] if a.service is service)


def greedy_schedule(
    inst: Instance,
    needs: Needs,
    options: dict[str, EmployeeOptions] | None = None,
    pinned: Sequence[Appointment] = (),
    guide: Guide | None = None,
    lookups: Lookups | None = None,
    keep: list[Keepable] = (),
) -> Solution:
    """Book needs most urgent first, each in its earliest fitting slot
    (see ``greedy_state``)."""
    return greedy_state(
        inst, needs, options, pinned, guide, lookups, keep
    ).solution()


def greedy_state(
    inst: Instance,
    needs: Needs,
    options: dict[str, EmployeeOptions] | None = None,
    pinned: Sequence[Appointment] = (),
    guide: Guide | None = None,
    lookups: Lookups | None = None,
    keep: list[Keepable] = (),
) -> BookingState:
    """The greedy schedule's booking state (for a caller that goes on
    from it): needs most urgent first, each in its earliest fitting slot.

    Series that can be completed inside the horizon go first: a second
    dose in the horizon needs an early first dose, and a single dose
    (a due second dose, a booster) loses nothing by a later place. This
    pass alone met about 2 % more weighted needs on generated drives.

    With a ``guide`` (see ``guide_from``), each dose goes first to the
    sessions the LP relaxation gives the person's class, while places
    that the LP planned for the class are left.

    The booked appointments in ``keep`` (a re-plan's, see
    scheduler/prepare/booked.py) are taken in first, after the pinned
    ones, where they still fit (``hold_bookings``).
    """
    look = lookups_for(inst, lookups)
    if options is None:
        options = all_options(inst, needs, lookups=look)
    st = BookingState(inst, look)
    for a in pinned:
        st.rebook(a, options)
    hold_bookings(st, keep, options)
    held = {a.employee_id for a in pinned}
    order = [
        eid
        for eid in sorted(
            options, key=lambda eid: (-_urgency(needs, eid, inst), eid)
        )
        if eid not in held
    ]
    guide = guide or {}
    for eid in ticks.counted("greedy_series", order):
        if sum(1 for row in options[eid].vaccination if row) >= 2:
            _book_vaccination(
                st, inst, needs, eid, options[eid], guide.get(eid)
            )
    for eid in ticks.counted("greedy_doses", order):
        _book_vaccination(st, inst, needs, eid, options[eid], guide.get(eid))
    plan = _window_plan(st, inst, needs, order, options)
    for eid in ticks.counted("greedy_screenings", order):
        _book_windows(st, inst, needs, eid, options[eid], plan.get(eid))
    # Cadence tests in rounds, one per person each: nobody's fourth test
    # takes a place before everyone's first has had its turn.
    skips: dict[tuple[str, int], set] = defaultdict(set)
    horizon = inst.settings.dates()
    # Fewest test sessions first (ties: most urgent, then by id): the
    # flexible take what the others cannot reach; it met more weighted
    # needs than urgency order alone (benchmarks/measurements.md, "Greedy").
    active = sorted(order, key=lambda eid: len(options[eid].tests))
    # A round per test at most, so at most a round per day.
    rounds = ticks.counted("greedy_rounds", horizon)
    while active:
        next(rounds, None)
        active = [
            eid
            for eid in active
            if _next_cadence_test(
                st, inst, needs, eid, options[eid], skips, horizon
            )
        ]
    rounds.close()
    return st


_WHY = {"full": FULL, "conflict": CONFLICT, "team_limit": TEAM_LIMIT}


def hold_bookings(
    st: BookingState,
    keep: list[Keepable],
    options: dict[str, EmployeeOptions],
) -> dict:
    """Book each booking of ``keep`` exactly as it was, in date order,
    where it still fits beside what ``st`` holds (the pinned ones): the
    bookings that did not fit, each with why (scheduler/prepare/booked.py;
    a later dose whose earlier one was not kept cannot be kept either)."""
    forced = {}
    for x in keep:
        a, o = x.appointment, x.option
        eid, opts = a.employee_id, options[a.employee_id]
        i = o.slots.index(a.slot_start)
        code = st.why_not(eid, opts, o, i)
        why = None if code is None else _WHY.get(code, NO_LONGER_OPEN)
        if why is None and a.service is Service.VACCINATION:
            jabs = sorted(
                (b for b in st.mine[eid] if b.service is Service.VACCINATION),
                key=lambda b: b.date,
            )
            if x.position != len(jabs):
                why = NO_LONGER_OPEN
            elif jabs:
                p = st.inst.products[a.product]
                gap = (a.date - jabs[-1].date).days
                if jabs[-1].product != a.product or not (
                    p.min_interval_days <= gap <= p.max_interval_days
                ):
                    why = NO_LONGER_OPEN
        if why is not None:
            forced[x.booking] = why
            continue
        st.book(eid, o, i, a.dose)
    return forced


def _urgency(needs: Needs, eid: str, inst: Instance) -> int:
    need = needs.vaccination.get(eid)
    u = need.urgency if need else Urgency.DUE
    return need_weight(u, inst.employees[eid].priority)


def _find(opts: EmployeeOptions, sid: str) -> Option | None:
    for row in [*opts.vaccination, opts.tests]:
        for o in row:
            if o.session_id == sid:
                return o
    return None


#: Per person, per dose position: the places the LP relaxation left for
#: the person's class per session (shared by the class, so booking one
#: lowers it for all).
Guide = dict[str, list[dict[str, float]]]


def guide_from(plan: dict, classes: dict[str, object]) -> Guide:
    """A Guide from the LP's plan and every person's class
    (scheduler/model/lp_bound.py); a copy, so the plan stays as it is."""
    quotas = {key: [dict(row) for row in rows] for key, rows in plan.items()}
    return {eid: quotas[key] for eid, key in classes.items() if key in quotas}


def _guided(row: list[Option], quota: dict[str, float] | None) -> list:
    """The options of a dose, those the LP planned places in first."""
    if not quota:
        return row
    planned = [o for o in row if quota.get(o.session_id, 0.0) > 1e-6]
    if not planned:
        return row
    ids = {o.session_id for o in planned}
    return [*planned, *(o for o in row if o.session_id not in ids)]


def _book_vaccination(st, inst, needs, eid, opts, guide=None) -> None:
    """The next doses in order, continuing after any already booked."""
    need = needs.vaccination.get(eid)
    if need is None:
        return
    jabs = sorted(
        (a for a in st.mine[eid] if a.service is Service.VACCINATION),
        key=lambda a: a.date,
    )
    prev = (jabs[-1].date, jabs[-1].product) if jabs else None
    for k in range(len(jabs), len(opts.vaccination)):
        booked = False
        quota = guide[k] if guide and k < len(guide) else None
        for o in _guided(opts.vaccination[k], quota):
            s = inst.sessions[o.session_id]
            p = inst.products[s.product]
            if prev is not None:
                gap = (s.date - prev[0]).days
                if s.product != prev[1] or not (
                    p.min_interval_days <= gap <= p.max_interval_days
                ):
                    continue
            i = st.first_fit(eid, opts, o)
            if i is not None:
                st.book(eid, o, i, need.dose_label(k))
                prev, booked = (s.date, s.product), True
                if quota and o.session_id in quota:
                    quota[o.session_id] -= 1
                break
        if not booked:
            return


def _window_plan(st, inst, needs, order, options) -> dict[str, str]:
    """Which session each person's screening test should go to.

    Screening places are where a test drive is tightest: one window for
    all staff, a few days long, each site in reach of some buildings only.
    Taking people one by one, the first ones take places that the only
    sessions others can reach have; a maximum matching of people to the
    window's sessions (a min-cost flow, most weighted people first, then
    earliest sessions) does not.
    """
    people, arcs, nodes = [], [], {}
    for eid in order:
        opts = options[eid]
        wins = [n.window for n in needs.tests.get(eid, ()) if n.window]
        if not wins or st.dates_of(eid, Service.NUCLEIC_TEST):
            continue
        lo, hi = wins[0]
        row = [
            o.session_id
            for o in opts.tests
            if lo <= inst.sessions[o.session_id].date <= hi
        ]
        if not row:
            continue
        w = _urgency(needs, eid, inst)
        people.append(eid)
        for sid in row:
            nodes.setdefault(sid, len(nodes))
            arcs.append((len(people) - 1, sid, w))
    free = {}
    for sid in nodes:
        s = inst.sessions[sid]
        free[sid] = sum(
            max(0, s.capacity_per_slot - st.slot_used[sid, a])
            for a, _ in s.slots
        )
    costs = []
    for i, sid, w in arcs:
        day = (inst.sessions[sid].date - inst.settings.horizon_start).days
        costs.append((i, sid, -w * 1000 + day))
    chosen = assign(len(people), costs, free)
    return {people[i]: sid for i, sid in chosen.items()}


def _book_windows(st, inst, needs, eid, opts, planned=None) -> None:
    """Every open screening window's test: the planned session if it
    fits, else the earliest fitting one."""
    for n in needs.tests.get(eid, ()):
        if n.window is not None:
            _book_window(st, inst, eid, opts, n, planned)


def _book_window(st, inst, eid, opts, n, planned=None) -> None:
    """One screening need's test, unless a booked test meets it."""
    if n.met_by(st.dates_of(eid, Service.NUCLEIC_TEST)):
        return
    o = _find(opts, planned) if planned else None
    if o is not None and _book_first(st, inst, eid, opts, None, [o]):
        return
    lo, hi = n.window
    _book_first(
        st,
        inst,
        eid,
        opts,
        None,
        [
            o
            for o in opts.tests
            if lo <= inst.sessions[o.session_id].date <= hi
        ],
    )


def _next_cadence_test(
    st, inst, needs, eid, opts, skips: dict, horizon: list
) -> bool:
    """Book one test that covers a first uncovered cadence day of the
    person; False if none is left. ``skips`` keeps, per person and need,
    the days no test can cover any more (places only get fewer)."""
    return any(
        _cover_first_gap(st, inst, eid, opts, n, skips[eid, i], horizon)
        for i, n in enumerate(needs.tests.get(eid, ()))
        if n.every_days is not None
    )


def _cover_first_gap(st, inst, eid, opts, n, skip: set, horizon) -> bool:
    """Book a test that covers the need's first uncovered day not in
    ``skip`` (days found uncoverable are added); False when no such day
    is left.

    Of the sessions that cover the day, the one with the most places left
    goes first (the latest among equals): spreading the load this way met
    0.05-0.3 % more weighted needs on generated drives than taking the
    latest date, which crowds the sessions just before each gap.
    """
    while True:
        dates = st.dates_of(eid, Service.NUCLEIC_TEST)
        gap = _first_gap(n, dates, horizon, skip)
        if gap is None:
            return False
        lo = gap - timedelta(days=n.every_days - 1)
        pool = sorted(
            st.tests_between(eid, opts, lo, gap),
            key=lambda o: -st.places_left(o.session_id),
        )
        if _book_first(st, inst, eid, opts, None, pool):
            return True
        skip.add(gap)


def _book_first(st, inst, eid, opts, accept, pool=None) -> bool:
    for o in pool if pool is not None else opts.tests:
        if accept is not None and not accept(o):
            continue
        i = st.first_fit(eid, opts, o)
        if i is not None:
            st.book(eid, o, i, None)
            return True
    return False


def fill_schedule(
    inst: Instance,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    solution: Solution,
    lookups: Lookups | None = None,
) -> Solution:
    """Add appointments for needs a schedule leaves open, moving none.

    Every addition meets more of a need, so it can only raise the first
    objective level; it polishes a solver schedule cut short by its time
    limit. Cadence gaps are filled from the first uncovered day on, each
    with a test that covers it (see ``_cover_first_gap``).
    """
    st, kept = filled_state(inst, needs, options, solution, lookups)
    return st.solution(kept)


def filled_state(
    inst: Instance,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    solution: Solution,
    lookups: Lookups | None = None,
) -> tuple[BookingState, list[Appointment]]:
    """``fill_schedule``'s booking state, for a caller that goes on from
    it (repair.py), with the appointments it could not take in."""
    st, kept = BookingState.holding(inst, solution, options, lookups)
    fill_open_needs(st, needs, options)
    return st, kept


def refill_state(
    st: BookingState,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    before: Solution,
    after: Solution,
) -> list[Appointment]:
    """``fill_schedule`` of ``after`` on the state that holds ``before``
    (from ``filled_state``): only the appointments that differ are taken
    out and in, not the whole schedule (a block-by-block solve changes a
    few of them). The appointments it could not take in."""
    old, new = set(before.appointments), set(after.appointments)
    for a in sorted(old - new, key=roster_order):
        if a in st.apps:
            st.unbook(a, _find(options[a.employee_id], a.session_id))
    kept = [
        a
        for a in sorted(new - old, key=roster_order)
        if not st.rebook(a, options)
    ]
    kept += [a for a in new & old if a not in st.apps]
    fill_open_needs(st, needs, options)
    return kept


def fill_open_needs(
    st: BookingState, needs: Needs, options: dict[str, EmployeeOptions]
) -> None:
    """``fill_schedule`` on a booking state."""
    inst = st.inst
    order = sorted(options, key=lambda eid: (-_urgency(needs, eid, inst), eid))
    for eid in order:
        _book_vaccination(st, inst, needs, eid, options[eid])
        _fill_tests(st, inst, needs, eid, options[eid])


def _fill_tests(st, inst, needs, eid, opts) -> None:
    horizon = inst.settings.dates()
    for n in needs.tests.get(eid, ()):
        if n.window is not None:
            _book_window(st, inst, eid, opts, n)
            continue
        skip: set = set()
        while _cover_first_gap(st, inst, eid, opts, n, skip, horizon):
            pass


def _first_gap(n, tests, days, skip):
    have = sorted({n.last_test, *tests} - {None})
    for d in days:
        if d in skip:
            continue
        # covered if the latest test on or before d is recent enough
        i = bisect_right(have, d)
        if not i or (d - have[i - 1]).days >= n.every_days:
            return d
    return None
