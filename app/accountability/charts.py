"""Trend charts as server-rendered SVG: an accessible image with a title, a description that
reads out every value, and a data table beside it in the page.

No script and no inline style (the CSP forbids both): geometry in attributes, colours from the
site's stylesheet classes (.chart, .bar).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from app.web.i18n import gettext as _

WIDTH = 640
HEIGHT = 240
LEFT = 44  # room for the axis labels
RIGHT = 8
TOP = 12
BOTTOM = 36


@dataclass(frozen=True)
class Point:
    label: str  # the month, short ("03.26")
    long_label: str  # read out in the description ("March 2026")
    value: float | None  # None: undefined (no data that month)
    shown: str  # the formatted value ("87.5%")


def _nice_top(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def bar_chart(chart_id: str, title: str, points: list[Point], *, top: float | None = None,
              axis_format=lambda v: f"{v:g}") -> Markup:
    """Vertical bars, one per month; months without a value get no bar and say so."""
    values = [p.value for p in points if p.value is not None]
    top = top or _nice_top(max(values, default=0))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = inner_w / max(1, len(points))
    bar_w = max(2.0, slot * 0.7)
    description = "; ".join(
        f"{p.long_label}: {p.shown if p.value is not None else _('no data')}" for p in points
    ) or _("No data yet.")
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        '<g aria-hidden="true">',
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + inner_h * (1 - fraction)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#c8c8c8" stroke-width="1"></line>'
                     f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(axis_format(top * fraction))}</text>')
    label_every = max(1, round(len(points) / 12))
    for i, point in enumerate(points):
        x = LEFT + i * slot + (slot - bar_w) / 2
        if point.value is not None:
            h = inner_h * min(point.value, top) / top
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{TOP + inner_h - h:.1f}" '
                         f'width="{bar_w:.1f}" height="{h:.1f}"></rect>')
        if i % label_every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                         f'text-anchor="middle">{escape(point.label)}</text>')
    parts.append("</g></svg>")
    return Markup("".join(parts))
