"""Unmet needs and why: one row per need the schedule leaves open.

The reason is worked out from the data, in the order of domain.md's table:
is there a session at all, one with a product the person may take, one in
reach, one while they are on duty — and if there are candidate slots, what
in the final schedule blocks each of them (full, team limits, own
appointments).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import date, timedelta
from typing import TYPE_CHECKING

from scheduler.core.domain import Employee, Instance, Service, Session
from scheduler.core.solution import Appointment, Solution, UnmetNeed
from scheduler.heuristics.greedy import BookingState
from scheduler.prepare.candidates import (
    EmployeeOptions,
    options_for_session,
    reachable_session_ids,
    vaccination_product_ok,
)
from scheduler.prepare.duty import duty_periods

if TYPE_CHECKING:
    from scheduler.prepare.lookups import Lookups
    from scheduler.prepare.needs import Needs, TestNeed, VaccinationNeed

TEXT = {
    "en": {
        "dose": "dose {dose} of {product}",
        "first": "dose 1 (any product)",
        "booster": "booster",
        "every": "test every {n} days",
        "window": "screening test {lo} to {hi}",
        "exempt": "exempt from vaccination: {why}",
        "no_session": "no {service} session between {lo} and {hi}",
        "no_product": "no session offers {products} for their age",
        "out_of_reach": "no usable session is in reach of {wp}",
        "not_available": "off duty or absent at all {n} candidate sessions"
        "{absent}",
        "absent": " (absent {days})",
        "full": "candidate sessions full: {sessions}",
        "team_limit": "team limits (continuity or side effects) at {sessions}",
        "conflict": "clashes with own appointments at {sessions}",
        "horizon": "{days} uncovered day(s) no session date can cover",
        "uncovered": "{days} uncovered day(s): {reason}",
        "other": "a slot fits at {sessions} but was not booked (the solver "
        "stopped at its time limit; a longer --time-limit may book it)",
    },
    "zh": {
        "dose": "{product} 第{dose}剂",
        "first": "第1剂（任意疫苗）",
        "booster": "加强针",
        "every": "每{n}天核酸检测",
        "window": "{lo}至{hi}筛查核酸",
        "exempt": "接种豁免：{why}",
        "no_session": "{lo}至{hi}之间没有{service}场次",
        "no_product": "没有场次提供适合其年龄的{products}",
        "out_of_reach": "{wp}可到达的地点没有可用场次",
        "not_available": "全部{n}个候选场次均不在岗或请假{absent}",
        "absent": "（请假 {days}）",
        "full": "候选场次已满：{sessions}",
        "team_limit": "受团队在岗或接种人数限制：{sessions}",
        "conflict": "与本人其他预约冲突：{sessions}",
        "horizon": "{days}天无法由任何场次日期覆盖",
        "uncovered": "{days}天未覆盖：{reason}",
        "other": "{sessions}仍有合适时段但未预约（求解器已到时间上限，"
        "延长 --time-limit 可能可以预约）",
    },
}
SERVICE = {
    "en": {"vaccination": "vaccination", "nucleic_test": "test"},
    "zh": {"vaccination": "接种", "nucleic_test": "核酸"},
}


def _t(lang: str, key: str, **kw) -> str:
    return TEXT.get(lang, TEXT["en"])[key].format(**kw)


def unmet_needs(
    inst: Instance,
    needs: Needs,
    options: dict[str, EmployeeOptions],
    sol: Solution,
    lang: str = "en",
    lookups: Lookups | None = None,
) -> list[UnmetNeed]:
    """Every need not (fully) met, and every exempt person lacking doses."""
    state = BookingState(inst, lookups)
    by: dict[str, list[Appointment]] = {}
    for a in sol.appointments:
        by.setdefault(a.employee_id, []).append(a)
        state.rebook(a, options)
    out: list[UnmetNeed] = []
    for eid, dose in needs.exempt.items():
        e = inst.employees[eid]
        what = (
            _t(lang, "dose", dose=dose, product=e.last_product)
            if e.last_product
            else _t(lang, "first")
        )
        out.append(
            UnmetNeed(
                employee_id=eid,
                service=Service.VACCINATION,
                reason="exempt",
                dose=str(dose),
                need=what,
                detail=_t(lang, "exempt", why=e.exemption),
            )
        )
    for eid, need in needs.vaccination.items():
        row = _vaccination_unmet(
            inst, need, options.get(eid), state, by.get(eid, []), lang
        )
        if row is not None:
            out.append(row)
    for eid, tneeds in needs.tests.items():
        tests = [
            a.date
            for a in by.get(eid, [])
            if a.service is Service.NUCLEIC_TEST
        ]
        for n in tneeds:
            row = _test_unmet(inst, n, options.get(eid), state, tests, lang)
            if row is not None:
                out.append(row)
    return out


def first_dose_reason(
    inst: Instance, need: VaccinationNeed, opts: EmployeeOptions | None
) -> str:
    """Why a need's first booking has no candidate at all, by the same
    tests as the unmet list (no_session, no_product, out_of_reach,
    not_available); capacity planning's ceiling counts these."""
    e = inst.employees[need.employee_id]
    reason, _ = _why_vaccination(
        inst, e, need, 0, need.earliest, opts, BookingState(inst), [], "en"
    )
    return reason


def _vaccination_unmet(
    inst, need: VaccinationNeed, opts, state, jabs: list[Appointment], lang
) -> UnmetNeed | None:
    e = inst.employees[need.employee_id]
    jabs = sorted(
        (a for a in jabs if a.service is Service.VACCINATION),
        key=lambda a: a.date,
    )
    k = len(jabs)
    h1 = inst.settings.horizon_end
    if jabs:
        p = inst.products[jabs[-1].product]
        nxt = jabs[-1].date + timedelta(days=p.min_interval_days)
        if need.booster or need.first_dose + k > p.doses or nxt > h1:
            return None
        label = str(need.first_dose + k)
        what = _t(lang, "dose", dose=label, product=p.name)
        earliest = {p.name: nxt}
    else:
        label = need.dose_label(0)
        if need.booster:
            what = _t(lang, "booster")
        elif need.first_dose == 1:
            what = _t(lang, "first")
        else:
            what = _t(lang, "dose", dose=label, product=e.last_product)
        earliest = need.earliest
    reason, detail = _why_vaccination(
        inst, e, need, k, earliest, opts, state, jabs, lang
    )
    return UnmetNeed(
        employee_id=e.id,
        service=Service.VACCINATION,
        reason=reason,
        dose=label,
        need=what,
        detail=detail,
    )


def _why_vaccination(inst, e, need, k, earliest, opts, state, jabs, lang):
    h0, h1 = inst.settings.horizon_start, inst.settings.horizon_end
    lo = min(earliest.values(), default=h0)
    vs = _between(state.lookups, Service.VACCINATION, lo, h1)
    if not vs:
        return "no_session", _t(
            lang,
            "no_session",
            lo=lo,
            hi=h1,
            service=SERVICE[lang if lang in SERVICE else "en"]["vaccination"],
        )
    # Reach is judged before the product only to save time (the product
    # test is the dearer one); the reason found is the same either way.
    look = state.lookups
    mine = reachable_session_ids(inst, e.workplace_id, look)
    ok = [
        s
        for s in vs
        if s.id in mine
        and _product_fits(inst, e, need, s, earliest, chained=bool(jabs))
    ]
    if not ok and not any(
        _product_fits(inst, e, need, s, earliest, chained=bool(jabs))
        for s in vs
        if s.id not in mine
    ):
        return "no_product", _t(
            lang, "no_product", products=", ".join(sorted(earliest)) or "-"
        )
    return _why_sessions(inst, e, ok, opts, state, lang)


def _product_fits(inst, e, need, s, earliest, chained: bool) -> bool:
    """Rule 2 for the next dose: product, earliest date and age."""
    if s.product not in earliest or s.date < earliest[s.product]:
        return False
    if not chained:
        return vaccination_product_ok(inst, e, need, s, 0)
    age = e.age_on(s.date, inst.settings.horizon_start)
    return inst.products[s.product].allows_age(age)


def _why_sessions(
    inst, e: Employee, sessions: list[Session], opts, state, lang
) -> tuple[str, str]:
    """Reach, availability, then what blocks each candidate slot."""
    look = state.lookups
    mine = reachable_session_ids(inst, e.workplace_id, look)
    reach = [s for s in sessions if s.id in mine]
    if not reach:
        return "out_of_reach", _t(lang, "out_of_reach", wp=e.workplace_id)
    periods = duty_periods(inst, e, look)
    usable = [
        o
        for s in reach
        if (o := options_for_session(inst, e, s, periods, look)) is not None
    ]
    if not usable:
        absent = [a for a in inst.absences_of(e.id)]
        days = ", ".join(f"{a.start_date}..{a.end_date}" for a in absent)
        return "not_available", _t(
            lang,
            "not_available",
            n=len(reach),
            absent=_t(lang, "absent", days=days) if absent else "",
        )
    blocked: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    empty = EmployeeOptions(employee_id=e.id)
    for o in usable:
        codes = {
            state.why_not(e.id, opts or empty, o, i)
            for i in range(len(o.slots))
        }
        code = (
            "other"
            if None in codes
            else "full"
            if "full" in codes
            else "team_limit"
            if "team_limit" in codes
            else "conflict"
            if "conflict" in codes
            else "other"
        )
        blocked[code] += 1
        where.setdefault(code, []).append(o.session_id)
    code = blocked.most_common(1)[0][0]
    sessions_txt = ", ".join(where[code][:5])
    if len(where[code]) > 5:
        sessions_txt += f" (+{len(where[code]) - 5})"
    return code, _t(lang, code, sessions=sessions_txt)


def _test_unmet(
    inst, n: TestNeed, opts, state, tests: list[date], lang
) -> UnmetNeed | None:
    dates = inst.settings.dates()
    e = inst.employees[n.employee_id]
    ts, test_days = _of_service(state.lookups, Service.NUCLEIC_TEST)
    if n.window is not None:
        if n.met_by(tests):
            return None
        lo, hi = n.window
        in_window = _between(state.lookups, Service.NUCLEIC_TEST, lo, hi)
        what = _t(lang, "window", lo=lo, hi=hi)
        if not in_window:
            reason, detail = (
                "no_session",
                _t(
                    lang,
                    "no_session",
                    lo=lo,
                    hi=hi,
                    service=SERVICE.get(lang, SERVICE["en"])["nucleic_test"],
                ),
            )
        else:
            reason, detail = _why_sessions(
                inst, e, in_window, opts, state, lang
            )
        return UnmetNeed(
            employee_id=e.id,
            service=Service.NUCLEIC_TEST,
            reason=reason,
            requirement_id=n.requirement_id,
            need=what,
            detail=detail,
        )
    covered = n.covered_days(tests, dates)
    uncovered = len(dates) - covered
    if uncovered == 0:
        return None
    what = _t(lang, "every", n=n.every_days)
    # Days no session date could ever cover, whatever is booked.
    best = n.covered_days(test_days, dates)
    if not ts:
        reason, detail = (
            "no_session",
            _t(
                lang,
                "no_session",
                lo=dates[0],
                hi=dates[-1],
                service=SERVICE.get(lang, SERVICE["en"])["nucleic_test"],
            ),
        )
    elif best == covered:
        reason = "horizon"
        detail = _t(lang, "horizon", days=uncovered)
    else:
        first = _first_coverable_gap(n, tests, dates, test_days)
        near = _between(
            state.lookups,
            Service.NUCLEIC_TEST,
            first - timedelta(days=n.every_days - 1),
            first,
        )
        reason, why = _why_sessions(inst, e, near, opts, state, lang)
        detail = _t(lang, "uncovered", days=uncovered, reason=why)
    return UnmetNeed(
        employee_id=e.id,
        service=Service.NUCLEIC_TEST,
        reason=reason,
        requirement_id=n.requirement_id,
        uncovered_days=uncovered,
        need=what,
        detail=detail,
    )


def _of_service(
    look: Lookups, service: Service
) -> tuple[list[Session], list[date]]:
    """Sessions of a service in the horizon, by date, and their dates:
    computed once per instance (the unmet list asks for every need)."""
    cache = look.by_service
    if service not in cache:
        ss = [
            s for s in look.instance.horizon_sessions() if s.service is service
        ]
        cache[service] = (ss, [s.date for s in ss])
    return cache[service]


def _between(
    look: Lookups, service: Service, lo: date, hi: date
) -> list[Session]:
    """Sessions of a service dated lo..hi, by bisection."""
    ss, days = _of_service(look, service)
    return ss[bisect_left(days, lo) : bisect_right(days, hi)]


def _first_coverable_gap(
    n: TestNeed, tests: list[date], dates: list[date], session_days
) -> date:
    """The first uncovered day some test session could have covered."""
    assert n.every_days is not None
    have = sorted({n.last_test, *tests})
    days = set(session_days)
    for d in dates:
        if any(0 <= (d - t).days < n.every_days for t in have):
            continue
        if any(0 <= (d - t).days < n.every_days for t in days):
            return d
    return dates[-1]
