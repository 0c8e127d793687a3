"""Charts drawn on the server as SVG: no JavaScript, nothing fetched, the same picture in a
page and in a PDF."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar (shown for some bars only when there are many)
    value: int | Decimal | None  # None: nothing measured (a gap, not a zero)
    title: str  # tooltip: the exact figure


def bar_chart_svg(
    bars: list[Bar], *, caption: str, width: int = 720, height: int = 180
) -> SafeString:
    """A bar chart with a labelled maximum; `title` of each bar gives its exact figure."""
    left, bottom, top = 8, 22, 16
    plot_h = height - bottom - top
    peak = max((b.value for b in bars if b.value is not None), default=0) or 1
    step = (width - left * 2) / max(len(bars), 1)
    label_every = max(1, len(bars) // 12)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(caption)}" class="chart" '
        'font-family="Doc Sans, DejaVu Sans, sans-serif">',
        f"<title>{escape(caption)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - left}" y2="{top + plot_h}" '
        'stroke="#999" stroke-width="1"/>',
    ]
    for i, bar in enumerate(bars):
        h = round(float(plot_h * (bar.value or 0) / peak), 1)
        x = round(left + i * step + step * 0.1, 1)
        parts.append(
            f'<rect x="{x}" y="{round(top + plot_h - h, 1)}" width="{round(step * 0.8, 1)}" '
            f'height="{h}" fill="#2f6f8f"><title>{escape(bar.title)}</title></rect>'
        )
        if i % label_every == 0:
            parts.append(
                f'<text x="{x}" y="{height - 6}" font-size="10" fill="#555">'
                f"{escape(bar.label)}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text above is escaped


def share_bars_svg(bars: list[Bar], *, caption: str, width: int = 720) -> SafeString:
    """Horizontal bars, one per line with its label and figure written out: how a whole
    splits (money by fund)."""
    row, label_w, figure_w = 26, 260, 130
    height = row * len(bars) + 8
    peak = max((b.value or 0 for b in bars), default=0) or 1
    plot_w = width - label_w - figure_w
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(caption)}" class="chart" '
        'font-family="Doc Sans, DejaVu Sans, sans-serif">',
        f"<title>{escape(caption)}</title>",
    ]
    for i, bar in enumerate(bars):
        y = 4 + i * row
        w = round(float(plot_w * (bar.value or 0) / peak), 1)
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="11" fill="#333">{escape(bar.label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="{row - 10}" fill="#2f6f8f">'
            f"<title>{escape(bar.title)}</title></rect>"
            f'<text x="{label_w + w + 6}" y="{y + 16}" font-size="11" fill="#333">'
            f"{escape(bar.title)}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text above is escaped


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: list[int | Decimal | None]  # one per label; None: not known then
    dashed: bool = False


def line_chart_svg(
    labels: list[str], series: list[Series], *, caption: str, width: int = 720,
    height: int = 200, figure=str,
) -> SafeString:  # fmt: skip
    """Lines over time (balances: they may be negative), a legend naming each, the zero
    line drawn when it is in view; each point's `title` gives its exact figure."""
    left, right, bottom, top = 8, 40, 22, 24
    plot_w, plot_h = width - left - right, height - bottom - top
    known = [v for s in series for v in s.values if v is not None]
    low, high = min([0, *known]), max([0, *known])
    span = (high - low) or 1
    step = plot_w / max(len(labels) - 1, 1)

    def y(value) -> float:
        return round(top + plot_h - float((value - low) * plot_h / span), 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(caption)}" class="chart" '
        'font-family="Doc Sans, DejaVu Sans, sans-serif">',
        f"<title>{escape(caption)}</title>",
        f'<line x1="{left}" y1="{y(0)}" x2="{width - right}" y2="{y(0)}" stroke="#bbb"/>',
    ]
    for n, s in enumerate(series):
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        points = [(round(left + i * step, 1), y(v)) for i, v in enumerate(s.values)
                  if v is not None]  # fmt: skip
        if points:
            path = " ".join(f"{x},{py}" for x, py in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" '
                         f'stroke-width="2"{dash}/>')  # fmt: skip
        for i, v in enumerate(s.values):
            if v is not None:
                parts.append(
                    f'<circle cx="{round(left + i * step, 1)}" cy="{y(v)}" r="3" '
                    f'fill="{s.colour}"><title>{escape(f"{s.name}, {labels[i]}: {figure(v)}")}'
                    "</title></circle>"
                )
        parts.append(f'<rect x="{left + n * 220}" y="4" width="14" height="4" '
                     f'fill="{s.colour}"/><text x="{left + 18 + n * 220}" y="10" '
                     f'font-size="11" fill="#333">{escape(s.name)}</text>')  # fmt: skip
    every = max(1, len(labels) // 12)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(f'<text x="{round(left + i * step, 1)}" y="{height - 6}" '
                         f'font-size="10" fill="#555">{escape(label)}</text>')  # fmt: skip
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every interpolated text above is escaped
