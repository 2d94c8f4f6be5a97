"""The independent checker: every hard rule of domain.md, on a Solution.

It reads the rules, not the model: it looks only at the instance, the
needs and the appointments, never at solver variables or candidate lists,
so a modelling slip shows up here as a violation. The pipeline refuses to
write a schedule that fails it, and the tests use it on every schedule.
It also recomputes the objective terms from the appointments alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise

from scheduler.core import ticks
from scheduler.core.domain import (
    MINUTES_PER_DAY,
    BookingStatus,
    Instance,
    Service,
    SiteKind,
)
from scheduler.core.rules import Rule, team_away_limit, team_jabs_limit
from scheduler.core.solution import Appointment, Solution
from scheduler.prepare.booked import change_penalty, replan_bookings
from scheduler.prepare.duty import duty_periods
from scheduler.prepare.lookups import Lookups, lookups_for
from scheduler.prepare.needs import Needs, Urgency, need_weight


@dataclass(frozen=True, slots=True)
class Violation:
    rule: Rule
    employees: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        who = ", ".join(self.employees[:10])
        more = len(self.employees) - 10
        if more > 0:
            who += f" and {more} more"
        return f"[{self.rule}] {self.message} (employees: {who or '-'})"


def away(inst: Instance, a: Appointment) -> tuple[int, int]:
    """Time away of an appointment, absolute minutes from horizon start."""
    day = inst.settings.day_index(a.date) * MINUTES_PER_DAY
    obs = (
        inst.settings.observation_minutes
        if a.service is Service.VACCINATION
        else 0
    )
    return (
        day + a.slot_start - a.travel_minutes,
        day + a.slot_end + obs + a.travel_minutes,
    )


def _start(inst: Instance, a: Appointment) -> int:
    return inst.settings.day_index(a.date) * MINUTES_PER_DAY + a.slot_start


def check_capacity(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Rule 1: slots, dose supply, observation seats; slots must exist."""
    out = []
    per_slot: dict[tuple, list[str]] = defaultdict(list)
    per_session: dict[str, list[Appointment]] = defaultdict(list)
    for a in sol.appointments:
        s = inst.sessions.get(a.session_id)
        if s is None or (a.slot_start, a.slot_end) not in s.slots:
            out.append(
                Violation(
                    Rule.CAPACITY,
                    (a.employee_id,),
                    f"no such slot {a.session_id} {a.slot_start}-{a.slot_end}",
                )
            )
            continue
        if s.date != a.date or s.site_id != a.site_id:
            out.append(
                Violation(
                    Rule.CAPACITY,
                    (a.employee_id,),
                    f"date or site differ from {s.id}",
                )
            )
        per_slot[s.id, a.slot_start].append(a.employee_id)
        per_session[s.id].append(a)
    for (sid, start), who in per_slot.items():
        cap = inst.sessions[sid].capacity_per_slot
        if len(who) > cap:
            out.append(
                Violation(
                    Rule.CAPACITY,
                    tuple(who),
                    f"{sid} slot {start}: {len(who)} > {cap}",
                )
            )
    obs = inst.settings.observation_minutes
    for sid, apps in per_session.items():
        s = inst.sessions[sid]
        if s.service is not Service.VACCINATION:
            continue
        if s.doses_available is not None and len(apps) > s.doses_available:
            out.append(
                Violation(
                    Rule.CAPACITY,
                    tuple(a.employee_id for a in apps),
                    f"{sid}: {len(apps)} doses > "
                    f"{s.doses_available} available",
                )
            )
        if s.observation_seats is not None and obs > 0:
            for t in sorted({a.slot_end for a in apps}):
                sitting = [
                    a.employee_id
                    for a in apps
                    if a.slot_end <= t < a.slot_end + obs
                ]
                if len(sitting) > s.observation_seats:
                    out.append(
                        Violation(
                            Rule.CAPACITY,
                            tuple(sitting),
                            f"{sid}: {len(sitting)} in observation at minute "
                            f"{t} > {s.observation_seats} seats",
                        )
                    )
    return out


def check_service_and_product(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Rule 2: right service; a product the person may receive, by age."""
    out = []
    h0 = inst.settings.horizon_start
    for a in sol.appointments:
        s = inst.sessions.get(a.session_id)
        if s is None:
            continue
        if a.service is not s.service:
            out.append(
                Violation(
                    Rule.SERVICE_AND_PRODUCT,
                    (a.employee_id,),
                    f"{a.service} in {s.service} session {s.id}",
                )
            )
            continue
        if s.service is not Service.VACCINATION:
            continue
        if a.product != s.product or s.product not in inst.products:
            out.append(
                Violation(
                    Rule.SERVICE_AND_PRODUCT,
                    (a.employee_id,),
                    f"product {a.product} in {s.id}",
                )
            )
            continue
        e = inst.employees[a.employee_id]
        if not inst.products[s.product].allows_age(e.age_on(s.date, h0)):
            out.append(
                Violation(
                    Rule.SERVICE_AND_PRODUCT,
                    (e.id,),
                    f"age outside {s.product} limits on {s.date}",
                )
            )
    for eid, apps in _vaccinations(sol).items():
        e = inst.employees[eid]
        products = {a.product for a in apps if a.dose != "booster"}
        if e.doses_received > 0 and e.last_product is not None:
            if products - {e.last_product}:
                out.append(
                    Violation(
                        Rule.SERVICE_AND_PRODUCT,
                        (eid,),
                        f"series of {e.last_product} continued "
                        f"with {sorted(products)}",
                    )
                )
        elif len(products) > 1:
            out.append(
                Violation(
                    Rule.SERVICE_AND_PRODUCT,
                    (eid,),
                    f"one series with {sorted(products)}",
                )
            )
        for a in apps:
            if a.dose == "booster":
                p = inst.products[a.product]
                if p.booster_after_days is None:
                    out.append(
                        Violation(
                            Rule.SERVICE_AND_PRODUCT,
                            (eid,),
                            f"{a.product} is no booster",
                        )
                    )
    return out


def check_reach(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Rule 3: site in reach of the workplace; session open to it."""
    out = []
    for a in sol.appointments:
        s = inst.sessions.get(a.session_id)
        if s is None:
            continue
        e = inst.employees[a.employee_id]
        t = inst.travel_minutes(e.workplace_id, s.site_id)
        if t is None or not s.open_to(e.workplace_id):
            out.append(
                Violation(
                    Rule.REACH, (e.id,), f"{s.id} not open to {e.workplace_id}"
                )
            )
        elif t != a.travel_minutes:
            out.append(
                Violation(
                    Rule.REACH, (e.id,), f"travel {a.travel_minutes} != {t}"
                )
            )
    return out


def check_availability(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Rule 4: the whole time away inside one duty period."""
    look = lookups_for(inst, lookups)
    out = []
    for a in sol.appointments:
        lo, hi = away(inst, a)
        periods = duty_periods(inst, inst.employees[a.employee_id], look)
        if not any(p0 <= lo and hi <= p1 for p0, p1 in periods):
            out.append(
                Violation(
                    Rule.AVAILABILITY,
                    (a.employee_id,),
                    f"{a.session_id} {a.date} outside duty",
                )
            )
    return out


def check_one_place_at_a_time(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Rule 5: one's times away never overlap."""
    out = []
    for eid, apps in _by_employee(sol).items():
        spans = sorted((*away(inst, a), a.session_id) for a in apps)
        for (_, a1, s0), (b0, _, s1) in pairwise(spans):
            if b0 < a1:
                out.append(
                    Violation(
                        Rule.ONE_PLACE_AT_A_TIME, (eid,), f"{s0} overlaps {s1}"
                    )
                )
    return out


def check_dose_intervals(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Rule 6: intervals from the last dose and between booked doses."""
    out = []
    for eid, apps in _vaccinations(sol).items():
        e = inst.employees[eid]
        series = sorted(
            (a for a in apps if a.dose != "booster"), key=lambda a: a.date
        )
        prev = (e.last_dose_date, e.last_product, False)
        if e.doses_received == 0:
            prev = (None, None, False)
        for a in series:
            p = inst.products[a.product]
            if prev[0] is not None:
                gap = (a.date - prev[0]).days
                if gap < p.min_interval_days:
                    out.append(
                        Violation(
                            Rule.DOSE_INTERVALS,
                            (eid,),
                            f"{gap} days < {p.min_interval_days}"
                            f" before {a.session_id}",
                        )
                    )
                if prev[2] and gap > p.max_interval_days:
                    out.append(
                        Violation(
                            Rule.DOSE_INTERVALS,
                            (eid,),
                            f"{gap} days > {p.max_interval_days}"
                            f" before {a.session_id}",
                        )
                    )
            prev = (a.date, a.product, True)
        for a in apps:
            if a.dose != "booster":
                continue
            p = inst.products[a.product]
            last = e.last_dose_date
            if (
                last is None
                or p.booster_after_days is None
                or (a.date < last + timedelta(days=p.booster_after_days))
            ):
                out.append(
                    Violation(
                        Rule.DOSE_INTERVALS,
                        (eid,),
                        f"booster {a.session_id} too early",
                    )
                )
    return out


def check_team_continuity(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Rule 7: at every moment at most max(1, ⌊share × on duty⌋) away."""
    look = lookups_for(inst, lookups)
    out = []
    share = inst.settings.team_away_max_share
    by_team: dict = defaultdict(list)
    for a in sol.appointments:
        by_team[inst.employees[a.employee_id].team_key].append(a)
    teams = inst.teams()
    for team, apps in by_team.items():
        spans = [(away(inst, a), a.employee_id) for a in apps]
        periods = [duty_periods(inst, e, look) for e in teams[team]]
        lo = min(s[0] for s, _ in spans)
        hi = max(s[1] for s, _ in spans)
        points = {s[0] for s, _ in spans}
        points |= {b for ps in periods for _, b in ps if lo < b < hi}
        for t in sorted(points):
            here = [eid for (s0, s1), eid in spans if s0 <= t < s1]
            if len(here) <= 1:
                continue
            on = sum(1 for ps in periods if any(a <= t < b for a, b in ps))
            limit = team_away_limit(share, on)
            if len(here) > limit:
                out.append(
                    Violation(
                        Rule.TEAM_CONTINUITY,
                        tuple(here),
                        f"team {team[1]}: {len(here)} away of "
                        f"{on} on duty (limit {limit})",
                    )
                )
                break
    return out


def check_side_effect_spreading(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Rule 8: per team and day at most max(1, ⌊share × size⌋) jabs."""
    out = []
    share = inst.settings.team_vaccinated_per_day_max_share
    teams = inst.teams()
    per: dict = defaultdict(list)
    for a in sol.appointments:
        if a.service is Service.VACCINATION:
            per[inst.employees[a.employee_id].team_key, a.date].append(
                a.employee_id
            )
    for (team, day), who in per.items():
        limit = team_jabs_limit(share, len(teams[team]))
        if len(who) > limit:
            out.append(
                Violation(
                    Rule.SIDE_EFFECT_SPREADING,
                    tuple(who),
                    f"team {team[1]} on {day}: {len(who)} "
                    f"vaccinated > {limit}",
                )
            )
    return out


def check_pinned_bookings(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Rule 9: every pinned booking inside the horizon kept exactly."""
    have = {
        (a.employee_id, a.session_id, a.slot_start) for a in sol.appointments
    }
    out = []
    for b in inst.bookings:
        if not b.pinned or b.status is not BookingStatus.BOOKED:
            continue
        s = inst.sessions.get(b.session_id)
        if s is None or not inst.settings.in_horizon(s.date):
            continue
        if (b.employee_id, b.session_id, b.slot_start) not in have:
            out.append(
                Violation(
                    Rule.PINNED_BOOKINGS,
                    (b.employee_id,),
                    f"pinned {b.session_id} at {b.slot_start} not kept",
                )
            )
    return out


def check_need(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Rule 10: every appointment serves a need of its employee."""
    out = []
    for eid, apps in _vaccinations(sol).items():
        need = needs.vaccination.get(eid)
        if need is None:
            out.append(
                Violation(Rule.NEED, (eid,), "vaccination without need")
            )
            continue
        labels = [a.dose for a in sorted(apps, key=lambda a: a.date)]
        if need.booster:
            ok = labels == ["booster"]
        else:
            ok = labels == [
                str(need.first_dose + i) for i in range(len(labels))
            ]
            series = inst.products[apps[0].product].doses
            ok = ok and need.first_dose + len(labels) - 1 <= series
        if not ok:
            out.append(
                Violation(
                    Rule.NEED,
                    (eid,),
                    f"doses {labels} do not follow the person's history",
                )
            )
    for a in sol.appointments:
        if a.service is Service.NUCLEIC_TEST and not needs.tests.get(
            a.employee_id
        ):
            out.append(
                Violation(
                    Rule.NEED,
                    (a.employee_id,),
                    "test without test requirement",
                )
            )
    return out


def check_no_swab_after_jab(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Rule 11: no test slot starts < blackout hours after a jab's start."""
    out = []
    blackout = inst.settings.test_blackout_hours_after_vaccination * 60
    for eid, apps in _by_employee(sol).items():
        jabs = [
            _start(inst, a) for a in apps if a.service is Service.VACCINATION
        ]
        for t in apps:
            if t.service is not Service.NUCLEIC_TEST:
                continue
            ts = _start(inst, t)
            if any(j <= ts < j + blackout for j in jabs):
                out.append(
                    Violation(
                        Rule.NO_SWAB_AFTER_JAB,
                        (eid,),
                        f"test {t.session_id} too soon after vaccination",
                    )
                )
    return out


Check = Callable[[Instance, Needs, Solution, Lookups], list[Violation]]

#: Every hard rule's check, by the rule's id (all of domain.md's rules).
CHECKS: dict[Rule, Check] = {
    Rule.CAPACITY: check_capacity,
    Rule.SERVICE_AND_PRODUCT: check_service_and_product,
    Rule.REACH: check_reach,
    Rule.AVAILABILITY: check_availability,
    Rule.ONE_PLACE_AT_A_TIME: check_one_place_at_a_time,
    Rule.DOSE_INTERVALS: check_dose_intervals,
    Rule.TEAM_CONTINUITY: check_team_continuity,
    Rule.SIDE_EFFECT_SPREADING: check_side_effect_spreading,
    Rule.PINNED_BOOKINGS: check_pinned_bookings,
    Rule.NEED: check_need,
    Rule.NO_SWAB_AFTER_JAB: check_no_swab_after_jab,
}


def check_solution(
    inst: Instance,
    needs: Needs,
    sol: Solution,
    lookups: Lookups | None = None,
) -> list[Violation]:
    """Every violation of every hard rule (empty: the schedule is valid).

    ``lookups`` (the preparing station's) saves finding duty periods again.
    """
    look = lookups_for(inst, lookups)
    out: list[Violation] = []
    for check in ticks.counted("rules_checked", [*CHECKS.values()]):
        out.extend(check(inst, needs, sol, look))
    return out


def _by_employee(sol: Solution) -> dict[str, list[Appointment]]:
    by: dict[str, list[Appointment]] = defaultdict(list)
    for a in sol.appointments:
        by[a.employee_id].append(a)
    return by


def _vaccinations(sol: Solution) -> dict[str, list[Appointment]]:
    by: dict[str, list[Appointment]] = defaultdict(list)
    for a in sol.appointments:
        if a.service is Service.VACCINATION:
            by[a.employee_id].append(a)
    return by


# ---------------------------------------------------------------- objective


def needs_met(inst: Instance, needs: Needs, sol: Solution) -> float:
    """Level 1 alone: weighted needs met (see ``objective_terms``); cheap
    enough to ask for one block of a drive at a time."""
    return round(_needs_and_lateness(inst, needs, sol)[0], 4)


def change_count(
    inst: Instance, sol: Solution, employees: set | None = None
) -> int:
    """Re-plan: the bookings (of ``employees``, default all) not kept
    exactly, session and slot: moved elsewhere or cancelled."""
    kept = {
        (a.employee_id, a.session_id, a.slot_start) for a in sol.appointments
    }
    return sum(
        1
        for b in replan_bookings(inst)
        if (employees is None or b.employee_id in employees)
        and (b.employee_id, b.session_id, b.slot_start) not in kept
    )


def net_value(
    inst: Instance, needs: Needs, sol: Solution, employees: set | None = None
) -> float:
    """Level 1 with the changes priced in (domain.md, "What best means"
    1b): needs met less ``change_cost`` per change, what every stage of a
    re-plan compares (the needs met alone when change_cost is 0)."""
    met = needs_met(inst, needs, sol)
    penalty = change_penalty(inst)
    if not penalty:
        return met
    return met - penalty * change_count(inst, sol, employees)


def _needs_and_lateness(
    inst: Instance, needs: Needs, sol: Solution
) -> tuple[float, int]:
    """Weighted needs met and lateness days, over ``needs`` only."""
    days = inst.settings.days
    dates = inst.settings.dates()
    by = _by_employee(sol)
    weighted = 0.0
    lateness = 0
    for eid, need in needs.vaccination.items():
        prio = inst.employees[eid].priority
        jabs = sorted(
            (a for a in by.get(eid, []) if a.service is Service.VACCINATION),
            key=lambda a: a.date,
        )
        prev = None
        for k, a in enumerate(jabs):
            weighted += need_weight(
                need.urgency if k == 0 else Urgency.DUE, prio
            )
            p = inst.products[a.product]
            early = (
                need.earliest[a.product]
                if k == 0
                else prev + timedelta(days=p.min_interval_days)
            )
            lateness += (a.date - early).days
            prev = a.date
    for eid, tneeds in needs.tests.items():
        w = need_weight(Urgency.DUE, inst.employees[eid].priority)
        tests = [
            a.date
            for a in by.get(eid, [])
            if a.service is Service.NUCLEIC_TEST
        ]
        for n in tneeds:
            if n.window is not None:
                met = [d for d in tests if n.window[0] <= d <= n.window[1]]
                weighted += w * bool(met)
                lateness += sum((d - n.window[0]).days for d in met)
            else:
                gained = n.covered_days(tests, dates) - n.covered_days(
                    [], dates
                )
                weighted += w * gained / days
    return weighted, lateness


def objective_terms(inst: Instance, needs: Needs, sol: Solution) -> dict:
    """The objective's terms recomputed from the appointments alone.

    ``needs_met`` is in weighted need units (a need met in full counts its
    weight; a cadence need counts its weight × covered share of the days
    it could still gain).
    """
    weighted, lateness = _needs_and_lateness(inst, needs, sol)
    counts = counts_of(inst, needs, sol)
    travel = 0
    for a in sol.appointments:
        e = inst.employees[a.employee_id]
        site = inst.sites[a.site_id]
        own = site.kind is SiteKind.ONSITE and site.workplace_id == (
            e.workplace_id
        )
        travel += 2 * a.travel_minutes + 1 + (0 if own else 1)
    slots = {
        (a.session_id, inst.employees[a.employee_id].team_key, a.slot_start)
        for a in sol.appointments
    }
    changes = change_count(inst, sol)
    return {
        "needs_met": round(weighted, 4),
        "vaccinations_booked": counts["vaccination_met"],
        "test_windows_met": counts["test_windows_met"],
        "test_person_days_covered": counts["test_person_days_covered"],
        "changes": changes,
        "lateness_days": lateness,
        "travel": travel,
        "team_slots": len(slots),
    }


def counts_of(inst: Instance, needs: Needs, sol: Solution) -> dict[str, int]:
    """The need counts of run.json, from the appointments."""
    by = _by_employee(sol)
    dates = inst.settings.dates()
    h1 = inst.settings.horizon_end
    vacc_needs = vacc_met = 0
    for eid, need in needs.vaccination.items():
        jabs = sorted(
            (a for a in by.get(eid, []) if a.service is Service.VACCINATION),
            key=lambda a: a.date,
        )
        vacc_needs += 1
        vacc_met += len(jabs)
        if jabs and not need.booster:
            p = inst.products[jabs[-1].product]
            last_dose = need.first_dose + len(jabs) - 1
            nxt = jabs[-1].date + timedelta(days=p.min_interval_days)
            vacc_needs += len(jabs) - 1
            if last_dose < p.doses and nxt <= h1:
                vacc_needs += 1
    windows = windows_met = pdays = covered = 0
    for eid, tneeds in needs.tests.items():
        tests = [
            a.date
            for a in by.get(eid, [])
            if a.service is Service.NUCLEIC_TEST
        ]
        for n in tneeds:
            if n.window is not None:
                windows += 1
                windows_met += n.met_by(tests)
            else:
                pdays += len(dates)
                covered += n.covered_days(tests, dates)
    before = sum(len(ids) for ids in needs.met_before.values())
    windows += before
    windows_met += before
    return {
        "vaccination_needs": vacc_needs,
        "vaccination_met": vacc_met,
        "test_windows": windows,
        "test_windows_met": windows_met,
        "test_person_days": pdays,
        "test_person_days_covered": covered,
    }
