"""The short summary printed after a run (figures only, no personal data)."""

from __future__ import annotations

from collections import Counter

from scheduler.report.result import RunResult
from scheduler.report.stats import compute_coverage, totals


def summary_text(result: RunResult) -> str:
    r, c = result.report, result.counts
    lines = ["", "Summary"]
    gap = "-" if r.gap is None else f"{100 * r.gap:.2f}%"
    lines.append(
        f"  solver: {r.status}, needs met {r.objective['needs_met']:,.1f} "
        f"weighted units (bound {r.best_bound or 0:,.1f}, gap {gap})"
    )
    cov = compute_coverage(result.instance, result.needs, result.solution)
    lines += [f"  {line}" for line in totals(cov)]
    lines.append(
        f"  vaccinations booked {c['vaccination_met']:,} of "
        f"{c['vaccination_needs']:,} needs; appointments {c['appointments']:,}"
    )
    reasons = Counter(u.reason for u in result.unmet)
    if reasons:
        top = ", ".join(f"{k} {v:,}" for k, v in reasons.most_common(4))
        lines.append(f"  unmet {sum(reasons.values()):,}: {top}")
    for w in (*result.instance.warnings, *r.warnings):
        lines.append(f"  warning: {w}")
    lines.append(f"  written: {result.folder}")
    return "\n".join(lines)
