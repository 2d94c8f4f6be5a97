"""``scheduler history``: the cumulative figures as text or a workbook.

Kept apart from scheduler/rounds/history.py so that the database module needs
no i18n; the workbook is laid out by scheduler/io/write/history.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scheduler.core.i18n import date_label, dose_label, service_label, t
from scheduler.io.write.history import write_history_workbook
from scheduler.rounds.history import DOSES, Figures

if TYPE_CHECKING:
    from pathlib import Path


def figure_rows(f: Figures, lang: str) -> list[tuple[str, int]]:
    """(label, value) in report order; sub-rows are indented."""
    sub = "  "
    rows = [
        (t("hist.runs", lang), f.runs),
        (t("hist.rounds", lang), f.runs_with_attendance),
        (t("hist.vaccinations", lang), f.vaccinations),
    ]
    rows += [(sub + dose_label(d, lang), f.doses.get(d, 0)) for d in DOSES]
    rows += [
        (sub + d, n) for d, n in sorted(f.doses.items()) if d not in DOSES
    ]
    rows += [
        (t("hist.tests", lang), f.tests),
        (t("hist.people_vaccinated", lang), f.people_vaccinated),
        (t("hist.people_tested", lang), f.people_tested),
        (t("hist.no_shows", lang), f.no_shows),
        (
            sub + service_label("vaccination", lang),
            f.no_shows_vaccination,
        ),
        (sub + service_label("nucleic_test", lang), f.no_shows_test),
    ]
    return rows


def history_text(f: Figures, lang: str, path: Path) -> str:
    lines = [t("hist.title", lang, path=path)]
    if f.first_date and f.last_date:
        lines.append(
            "  "
            + t(
                "hist.period",
                lang,
                first=date_label(f.first_date, lang),
                last=date_label(f.last_date, lang),
            )
        )
    colon = "：" if lang == "zh" else ": "
    lines += [f"  {label}{colon}{n:,}" for label, n in figure_rows(f, lang)]
    lines.append(f"  {t('hist.sites', lang)}")
    lines += [
        "    "
        + t(
            "hist.site_line",
            lang,
            site=s.site_id,
            sessions=s.sessions_held,
            attended=s.attended,
        )
        for s in f.sites
    ] or ["    -"]
    return "\n".join(lines)


def write_history_xlsx(path: Path, f: Figures, lang: str) -> Path:
    """The same figures as a new workbook (never overwrites)."""
    return write_history_workbook(
        path,
        figure_rows(f, lang),
        [(s.site_id, s.sessions_held, s.attended) for s in f.sites],
        lang,
    )
