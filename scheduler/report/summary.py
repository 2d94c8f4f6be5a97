"""The short summary printed after a run (figures only, no personal data)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from scheduler.core.messages import Msg, render
from scheduler.report.changes import change_counts
from scheduler.report.stats import compute_coverage, totals

if TYPE_CHECKING:
    from scheduler.report.result import RunResult


def summary_text(result: RunResult, lang: str | None = None) -> str:
    """The summary in ``lang`` (default: the run's language)."""
    lang = lang or result.lang or "en"
    r, c = result.report, result.counts

    def say(key: str, **fields: object) -> str:
        return Msg(key, **fields).render(lang)

    lines = ["", say("summary.title")]
    gap = "-" if r.gap is None else f"{100 * r.gap:.2f}%"
    lines.append(
        "  "
        + say(
            "summary.solver",
            status=str(r.status),
            met=f"{r.objective['needs_met']:,.1f}",
            bound=f"{r.best_bound or 0:,.1f}",
            gap=gap,
        )
    )
    cov = compute_coverage(result.instance, result.needs, result.solution)
    lines += [f"  {line}" for line in totals(cov, lang)]
    lines.append(
        "  "
        + say(
            "summary.vaccinations",
            met=f"{c['vaccination_met']:,}",
            needs=f"{c['vaccination_needs']:,}",
            n=f"{c['appointments']:,}",
        )
    )
    lines += ["  " + say(k, **f) for k, f in _replan_lines(result)]
    reasons = Counter(u.reason for u in result.unmet)
    if reasons:
        top = say("summary.sep").join(
            f"{k} {v:,}" for k, v in reasons.most_common(4)
        )
        lines.append(
            "  "
            + say("summary.unmet", n=f"{sum(reasons.values()):,}", top=top)
        )
    for w in (*result.instance.warnings, *r.warnings):
        lines.append("  " + say("summary.warning", text=render(w, lang)))
    lines.append("  " + say("summary.written", folder=str(result.folder)))
    return "\n".join(lines)


def _replan_lines(result: RunResult) -> list[tuple[str, dict]]:
    """On a re-plan (message keys and fields): kept N of M booked
    appointments, moved K, cancelled C (forced F), and what the changes
    gained."""
    c = change_counts(result.changes, result.instance)
    if not c.booked:
        return []
    lines = [
        (
            "summary.replan",
            {
                "kept": f"{c.kept:,}",
                "booked": f"{c.booked:,}",
                "moved": f"{c.moved:,}",
                "cancelled": f"{c.cancelled:,}",
                "forced": f"{c.forced:,}",
                "new": f"{c.new:,}",
                "cost": f"{result.instance.settings.change_cost:g}",
            },
        )
    ]
    if result.kept_met is not None:
        gained = result.objective["needs_met"] - result.kept_met
        lines.append(
            (
                "summary.replan_gain",
                {
                    "n": f"{c.changes - c.forced:,}",
                    "gained": f"{gained:,.1f}",
                    "kept_met": f"{result.kept_met:,.1f}",
                },
            )
        )
    return lines
