"""The per-building chart, drawn as inline SVG on the server: no chart
library, no script, and it prints."""

from __future__ import annotations

from markupsafe import Markup, escape

BAR, GAP, LABEL, WIDTH, RIGHT = 24, 12, 230, 900, 70


def rate_chart(
    rows: list[tuple[str, float | None, float | None, float | None]],
    before: str,
    after: str,
    target_text: str,
) -> Markup:
    """Horizontal bars: per building (name, rate before, projected rate,
    target), the projected rate over the rate before, and the target as
    a dashed line. Rates are shares (0.9 = 90 %)."""
    plot = WIDTH - LABEL - RIGHT
    top = 28
    height = top + len(rows) * (BAR + GAP) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" '
        f'role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}">',
        # legend
        f'<rect x="{LABEL}" y="6" width="12" height="12" class="after"/>',
        f'<text x="{LABEL + 16}" y="16">{escape(after)}</text>',
        f'<rect x="{LABEL + 130}" y="6" width="12" height="12" '
        'class="before"/>',
        f'<text x="{LABEL + 146}" y="16">{escape(before)}</text>',
    ]
    for i, (name, rate_before, rate, target) in enumerate(rows):
        y = top + i * (BAR + GAP)
        shown = name if len(name) <= 30 else name[:29] + "…"
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + BAR * 0.7:.0f}" '
            f'text-anchor="end">{escape(shown)}</text>'
        )
        parts.append(
            f'<rect x="{LABEL}" y="{y}" width="{plot}" height="{BAR}" '
            'class="track"/>'
        )
        if rate is not None:
            parts.append(
                f'<rect x="{LABEL}" y="{y}" width="{plot * rate:.1f}" '
                f'height="{BAR}" class="after" data-rate="{rate:.4f}"/>'
            )
        if rate_before is not None:
            parts.append(
                f'<rect x="{LABEL}" y="{y + BAR / 3:.1f}" '
                f'width="{plot * rate_before:.1f}" height="{BAR / 3:.1f}" '
                'class="before"/>'
            )
        if target is not None:
            x = LABEL + plot * target
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 3}" '
                f'y2="{y + BAR + 3}" class="target"/>'
            )
        text = "-" if rate is None else f"{100 * rate:.1f}%"
        parts.append(
            f'<text x="{LABEL + plot + 8}" y="{y + BAR * 0.7:.0f}">'
            f"{text}</text>"
        )
    targets = {r[3] for r in rows if r[3] is not None}
    if len(targets) == 1:
        (t,) = targets
        x = LABEL + plot * t
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" '
            f'class="target-label">{escape(target_text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
