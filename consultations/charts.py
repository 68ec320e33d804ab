"""Server-rendered SVG bar charts: accessible images with a title and a description.

Each chart is an <svg role="img"> labelled by its <title> and described by a <desc> that reads
out every bar, so a screen reader gets the same numbers; the page puts an HTML table with the
figures beside it. No script, no external resource: it passes the strict CSP.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from app.web.i18n import gettext as _

WIDTH = 640
LABEL_WIDTH = 230
VALUE_WIDTH = 90
BAR_HEIGHT = 22
GAP = 10
PAD = 8


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: float


def _shorten(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _percent(value: float) -> str:
    return f"{value:.0f}%" if float(value).is_integer() else f"{value:.1f}%"


def bar_chart(chart_id: str, title: str, bars: list[Bar]) -> Markup:
    """A horizontal bar chart; bar lengths are proportional to the largest count."""
    top = max((b.count for b in bars), default=0) or 1
    height = PAD * 2 + len(bars) * (BAR_HEIGHT + GAP)
    track = WIDTH - LABEL_WIDTH - VALUE_WIDTH - PAD
    description = "; ".join(
        _("%(label)s: %(count)s (%(percent)s)") % {
            "label": b.label, "count": b.count, "percent": _percent(b.percent)}
        for b in bars) or _("No answers yet.")
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for i, bar in enumerate(bars):
        y = PAD + i * (BAR_HEIGHT + GAP)
        length = max(1, round(track * bar.count / top)) if bar.count else 0
        middle = y + BAR_HEIGHT / 2 + 4
        parts.append(
            f'<g aria-hidden="true">'
            f'<text x="{LABEL_WIDTH - 8}" y="{middle:.0f}" text-anchor="end">'
            f'{escape(_shorten(bar.label))}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{length}" '
            f'height="{BAR_HEIGHT}" rx="3"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle:.0f}">'
            f'{bar.count} ({_percent(bar.percent)})</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
