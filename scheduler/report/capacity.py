"""Capacity planning's figures for the report: per workplace, and why the
ceiling stops where it does (capacity.md, sheet ``ceiling``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scheduler.core.domain import hhmm
from scheduler.core.i18n import service_label
from scheduler.core.messages import Msg
from scheduler.report.reasons import first_dose_reason

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from scheduler.core.domain import SessionId, SessionOption, WorkplaceId
    from scheduler.prepare.capacity import CapacityData

#: The ceiling's causes, in the order the sheet shows them.
CAUSES = (
    "complete",
    "exempt",
    "horizon",
    "no_product",
    "no_session",
    "out_of_reach",
    "not_available",
    "full",
)


@dataclass(slots=True, kw_only=True)
class Measure:
    """One workplace's figures of a test goal (``--tests``): test
    person-days covered, or screening windows met, out of ``total``."""

    total: int
    #: What the plan aims at: the share of the person-days (rounded up),
    #: or every window that can be met (the ceiling).
    needed: int
    ceiling: int = 0
    today: int | None = None
    promised: int = 0
    restated_from: int | None = None
    real: int | None = None

    def rate(self, n: int | None) -> float | None:
        if n is None or not self.total:
            return None
        return n / self.total

    @property
    def kept(self) -> bool:
        return self.real is None or self.real >= self.promised


@dataclass(slots=True, kw_only=True)
class WorkplaceFigures:
    workplace_id: WorkplaceId
    name: str
    headcount: int
    #: People with a complete series before the run.
    done: int
    #: People complete at the target (whole people, rounded up).
    needed: int
    #: Complete after today's sessions, in the ordinary schedule.
    today: int | None = None
    #: Complete with the plan, as the model promises (up to the target).
    promised: int = 0
    #: The promise before the check re-stated it (None: not re-stated):
    #: the ordinary schedule lost more here than today's schedule showed,
    #: and the model, told so, allows no more with any option.
    restated_from: int | None = None
    #: Complete with the plan in the ordinary schedule of its workbook.
    real: int | None = None
    #: The most any choice of the options allows (a proven bound).
    ceiling: int = 0
    #: The ceiling's causes: people per cause (CAUSES).
    causes: Counter = field(default_factory=Counter)
    #: With ``--tests``: test person-days covered, screening windows met.
    tests: Measure | None = None
    screening: Measure | None = None

    def rate(self, people: int | None) -> float | None:
        if people is None or not self.headcount:
            return None
        return people / self.headcount

    @property
    def kept(self) -> bool:
        return self.real is None or self.real >= self.promised

    def goals(self) -> dict[str, WorkplaceFigures | Measure]:
        """Every goal the plan promises here: completions
        (``vaccination``), and with ``--tests`` ``tests`` and
        ``screening``; each has ``promised``, ``real`` and ``kept``."""
        out: dict[str, WorkplaceFigures | Measure] = {"vaccination": self}
        if self.tests is not None:
            out["tests"] = self.tests
        if self.screening is not None:
            out["screening"] = self.screening
        return out


@dataclass(slots=True, kw_only=True)
class PlanRow:
    option: SessionOption
    site_name: str
    places: int
    served: dict[WorkplaceId, int]


@dataclass(slots=True, kw_only=True)
class CurvePoint:
    added: int
    chosen: list[SessionId]
    complete: dict[WorkplaceId, int]
    value: float
    #: The highest lowest clipped rate any ``added`` options allow.
    floor_bound: float
    #: With ``--tests``: test person-days covered, windows met.
    covered: dict[WorkplaceId, int] = field(default_factory=dict)
    screened: dict[WorkplaceId, int] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class CapacityReport:
    """What plan-capacity found, solver-free and without personal data."""

    book: str
    target: float
    generated: bool
    options: int
    workplaces: list[WorkplaceFigures]
    plan: list[PlanRow]
    curve: list[CurvePoint]
    cost: float
    cost_bound: float
    status: str
    rounds: int
    kept: bool
    reachable: bool
    #: With ``--tests``: can every building's share of the test
    #: person-days be reached (None: not asked)?
    tests_reachable: bool | None = None
    #: ``--tests``: the share of test person-days asked for (None: none).
    tests: float | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    folder: Path | None = None

    @property
    def gap(self) -> float:
        return 0.0 if self.cost <= 0 else 1 - self.cost_bound / self.cost


def ceiling_causes(
    data: CapacityData, ceiling: dict[WorkplaceId, int]
) -> dict[WorkplaceId, Counter]:
    """Per workplace, everyone counted once: complete before the run,
    within the ceiling (``complete``), or the first cause that keeps
    them out: exempt; no need in this horizon or a next dose after it
    (``horizon``); no session at all, no product, out of reach, not
    available at any option date (as the unmet list judges a first
    booking); or places (``full``: could complete alone, not all
    together)."""
    inst = data.instance
    out: dict[WorkplaceId, Counter] = {w: Counter() for w in data.headcount}
    for w, n in data.done.items():
        out[w]["complete"] += n
    for eid, opts in data.stuck.items():
        e = inst.employees[eid]
        need = data.needs.vaccination.get(eid)
        if e.is_exempt:
            cause = "exempt"
        elif need is None or need.booster:
            cause = "horizon"
        elif opts is not None and opts.vaccination:
            cause = "horizon"  # a first dose fits, the series does not
        else:
            cause = first_dose_reason(inst, need, opts)
        out[e.workplace_id][cause] += 1
    able: Counter = Counter()
    for cls in data.classes:
        able[cls.workplace_id] += cls.size
    for w in data.headcount:
        out[w]["complete"] += ceiling.get(w, 0)
        out[w]["full"] += able[w] - ceiling.get(w, 0)
    return out


def summary_text(report: CapacityReport, lang: str = "en") -> str:
    """The terminal summary, in ``lang``: per building today, with the
    plan, the ceiling; the sessions to add; the cost and its proven
    bound."""

    def say(key: str, **fields: object) -> str:
        return Msg(f"cap.summary.{key}", **fields).render(lang)

    def goal(kind: str) -> str:
        return Msg(f"cap.goal.{kind}").render(lang)

    lines = ["", say("title")]
    for f in report.workplaces:
        lines.append(
            "  "
            + say(
                "rate",
                wp=f.workplace_id,
                name=f.name,
                figures=_figures(f, say, True),
                target=f"{100 * report.target:.1f}%",
            )
        )
        if f.tests is not None and report.tests is not None:
            lines.append(
                "    "
                + say(
                    "tests",
                    figures=_figures(f.tests, say, True),
                    total=f"{f.tests.total:,}",
                    target=f"{100 * report.tests:.1f}%",
                )
            )
        if f.screening is not None and f.screening.total:
            lines.append(
                "    "
                + say(
                    "screening",
                    figures=_figures(f.screening, say, False),
                    total=f"{f.screening.total:,}",
                )
            )
    lines.append(
        "  "
        + say(
            "add",
            n=len(report.plan),
            options=report.options,
            where=say("generated" if report.generated else "sheet"),
        )
    )
    for r in report.plan:
        s = r.option.session
        lines.append(
            "    "
            + say(
                "option",
                id=s.id,
                service=service_label(str(s.service), lang),
                site=r.site_name,
                date=s.date,
                start=hhmm(s.start),
                end=hhmm(s.end),
                cost=f"{r.option.cost:g}",
                serves=", ".join(f"{w} {n}" for w, n in r.served.items())
                or "-",
            )
        )
    lines.append(
        "  "
        + say(
            "cost",
            cost=f"{report.cost:g}",
            bound=f"{report.cost_bound:g}",
            status=report.status,
            gap=f"{report.gap:.1%}",
        )
    )
    if not report.reachable:
        lines.append("  " + say("unreachable"))
    if report.tests_reachable is False and report.tests is not None:
        lines.append(
            "  " + say("tests_unreachable", share=f"{100 * report.tests:.1f}%")
        )
    if report.kept:
        lines.append("  " + say("kept"))
        restated = [
            f.workplace_id
            for f in report.workplaces
            if any(g.restated_from for g in f.goals().values())
        ]
        if restated:
            lines.append("  " + say("restated", wps=", ".join(restated)))
    else:
        short = ", ".join(
            say(
                "short",
                wp=f.workplace_id,
                goal=goal(kind),
                n=g.promised - (g.real or 0),
            )
            for f in report.workplaces
            for kind, g in f.goals().items()
            if not g.kept
        )
        lines.append("  " + say("not_kept", rounds=report.rounds, short=short))
    lines.append("  " + say("written", path=report.folder))
    return "\n".join(lines)


def _figures(
    g: WorkplaceFigures | Measure, say: Callable[..., str], share: bool
) -> str:
    """Today, with the plan, the real schedule and the ceiling of a goal,
    as shares of its total (``share``) or as counts."""

    def show(n: int | None) -> str:
        if n is None:
            return "-"
        r = g.rate(n)
        return f"{100 * r:.1f}%" if share and r is not None else f"{n:,}"

    return say(
        "figures",
        today=show(g.today),
        promised=show(g.promised),
        first=""
        if g.restated_from is None
        else say("first", value=show(g.restated_from)),
        real="" if g.real is None else say("real", value=show(g.real)),
        ceiling=show(g.ceiling),
    )
