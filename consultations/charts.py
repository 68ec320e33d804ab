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
    value: float | None = None  # drawn and read out instead of the count (an average)


def _shorten(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _percent(value: float) -> str:
    return f"{value:.0f}%" if float(value).is_integer() else f"{value:.1f}%"


def _read_out(bar: Bar) -> str:
    """A bar as the chart's description reads it."""
    if bar.value is not None:
        return _("%(label)s: average %(value)s") % {"label": bar.label, "value": bar.value}
    return _("%(label)s: %(count)s (%(percent)s)") % {
        "label": bar.label, "count": bar.count, "percent": _percent(bar.percent)}


def _figure(bar: Bar) -> str:
    """The figure written at the end of a bar."""
    if bar.value is not None:
        return f"{bar.value:g}"
    return f"{bar.count} ({_percent(bar.percent)})"


def bar_chart(chart_id: str, title: str, bars: list[Bar]) -> Markup:
    """A horizontal bar chart; bar lengths are proportional to the largest count."""
    top = max((b.count if b.value is None else b.value for b in bars), default=0) or 1
    height = PAD * 2 + len(bars) * (BAR_HEIGHT + GAP)
    track = WIDTH - LABEL_WIDTH - VALUE_WIDTH - PAD
    description = "; ".join(_read_out(b) for b in bars) or _("No answers yet.")
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for i, bar in enumerate(bars):
        y = PAD + i * (BAR_HEIGHT + GAP)
        size = bar.count if bar.value is None else bar.value
        length = max(1, round(track * size / top)) if size else 0
        middle = y + BAR_HEIGHT / 2 + 4
        parts.append(
            f'<g aria-hidden="true">'
            f'<text x="{LABEL_WIDTH - 8}" y="{middle:.0f}" text-anchor="end">'
            f'{escape(_shorten(bar.label))}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{length}" '
            f'height="{BAR_HEIGHT}" rx="3"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle:.0f}">'
            f'{escape(_figure(bar))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


MAP_SIZE = 420
MAP_PAD = 24
GROUP_CLASSES = ("g1", "g2", "g3", "g4", "g5")


def opinion_map(chart_id: str, title: str, places, groups) -> Markup:
    """The participants as dots on the first two principal components, coloured (and shaped:
    not by colour alone) by group, with each group's centre labelled by its number. `places`:
    (participant, x, y, group); at most 3,000 dots are drawn (an even sample)."""
    if not places:
        return Markup("")
    step = max(1, len(places) // 3000)
    shown = places[::step]
    xs = [p[1] for p in places] + [g.x for g in groups]
    ys = [p[2] for p in places] + [g.y for g in groups]
    span = max(max(map(abs, xs)), max(map(abs, ys)), 1e-9)
    half = (MAP_SIZE - 2 * MAP_PAD) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return MAP_PAD + half + x / span * half, MAP_PAD + half - y / span * half

    description = "; ".join(
        _("group %(number)s: %(size)s participants") % {"number": g.number, "size": g.size}
        for g in groups)
    parts = [
        f'<svg class="chart opinion-map" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {MAP_SIZE} {MAP_SIZE}" width="{MAP_SIZE}" height="{MAP_SIZE}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<g aria-hidden="true"><line class="axis" x1="{MAP_PAD}" y1="{MAP_SIZE / 2}" '
        f'x2="{MAP_SIZE - MAP_PAD}" y2="{MAP_SIZE / 2}"></line>'
        f'<line class="axis" x1="{MAP_SIZE / 2}" y1="{MAP_PAD}" x2="{MAP_SIZE / 2}" '
        f'y2="{MAP_SIZE - MAP_PAD}"></line>']
    for _participant, x, y, group in shown:
        cx, cy = at(x, y)
        cls = GROUP_CLASSES[(group - 1) % len(GROUP_CLASSES)]
        if group % 2:
            parts.append(f'<circle class="{cls}" cx="{cx:.1f}" cy="{cy:.1f}" r="3"></circle>')
        else:
            parts.append(f'<rect class="{cls}" x="{cx - 2.5:.1f}" y="{cy - 2.5:.1f}" '
                         f'width="5" height="5"></rect>')
    for g in groups:
        cx, cy = at(g.x, g.y)
        parts.append(f'<circle class="centre" cx="{cx:.1f}" cy="{cy:.1f}" r="11"></circle>'
                     f'<text class="centre" x="{cx:.1f}" y="{cy + 4:.1f}" '
                     f'text-anchor="middle">{g.number}</text>')
    parts.append("</g></svg>")
    return Markup("".join(parts))
