"""``scheduler history``: the cumulative figures as text or a workbook.

Kept apart from scheduler/rounds/history.py so that the database module needs
neither i18n nor openpyxl.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from scheduler.core.errors import UsageError
from scheduler.core.i18n import date_label, dose_label, service_label, t
from scheduler.core.messages import Msg
from scheduler.io.write.excel import set_text, write_header
from scheduler.io.write.layout import (
    content_width,
    header_points,
    print_setup,
)
from scheduler.rounds.history import DOSES, Figures


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


def _table(ws, head: list[str], rows: list[tuple]) -> None:
    """A header and rows, columns wide enough for both to print whole
    (A4, one page wide, the header on every page)."""
    write_header(ws, 1, head)
    for r, row in enumerate(rows, 2):
        for c, value in enumerate(row, 1):
            if isinstance(value, str):
                set_text(ws.cell(r, c), value)
            else:
                ws.cell(r, c, value)
    widths = []
    for c, label in enumerate(head, 1):
        texts = [label, *(str(row[c - 1]) for row in rows)]
        widths.append(content_width(texts, 10, 60) + 1)  # + 1: bold
        ws.column_dimensions[ws.cell(1, c).column_letter].width = widths[-1]
    ws.row_dimensions[1].height = header_points(head, widths)
    print_setup(ws, 1)


def write_history_xlsx(path: Path, f: Figures, lang: str) -> Path:
    """The same figures as a new workbook (never overwrites)."""
    if path.exists():
        raise UsageError(Msg("usage.file_exists", path=str(path)))
    wb = Workbook()
    ws = wb.active
    ws.title = t("hist.sheet.figures", lang)
    _table(
        ws,
        [t("hist.col.figure", lang), t("hist.col.value", lang)],
        figure_rows(f, lang),
    )
    _table(
        wb.create_sheet(t("hist.sheet.sites", lang)),
        [
            t("col.site", lang),
            t("hist.col.sessions", lang),
            t("hist.col.attended", lang),
        ],
        [(s.site_id, s.sessions_held, s.attended) for s in f.sites],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        wb.save(tmp)
        if path.exists():
            raise UsageError(Msg("usage.file_exists", path=str(path)))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
