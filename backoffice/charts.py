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
    title: str  # tooltip and table: the exact figure


# An estimate of a label's width in the SVG's units (10-unit sans-serif text), enough to
# keep x-axis labels apart without measuring fonts on the server.
_CHAR_W = 6.2


def compact_number(value) -> str:
    """12345 -> '12K': short labels for an axis."""
    from babel.numbers import format_compact_decimal

    return format_compact_decimal(value, locale=_locale(), fraction_digits=1)


def compact_money(currency: str):
    """Axis labels for amounts stored in minor units: 1234500 USD -> '$12K'."""
    from babel.numbers import format_compact_currency

    from backoffice.money import to_major

    def label(minor) -> str:
        return format_compact_currency(to_major(int(minor), currency), currency,
                                       locale=_locale(), fraction_digits=1)  # fmt: skip

    return label


def _locale() -> str:
    from django.utils import translation

    return translation.to_locale(translation.get_language() or "en")


def nice_ticks(low, high, count: int = 4) -> list:
    """Round values (1, 2, 2.5 or 5 times a power of ten) from at or below `low` to at or
    above `high`, about `count` steps apart."""
    import math

    low, high = float(low), float(high)
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(low / step)
    ticks = [first * step]
    while ticks[-1] < high:
        ticks.append((first + len(ticks)) * step)  # multiples, not sums: no drift
    return [int(t) if float(t).is_integer() else round(t, 10) for t in ticks]


def x_labels(labels: list[str], positions: list[float], *, width: float) -> list[tuple]:
    """Which labels to write under the axis and where (index, x, anchor): every n-th, so
    that none overlaps the next, and the last one inside the picture."""
    if not labels:
        return []
    widest = max(len(label) for label in labels) * _CHAR_W + 8
    step = (positions[-1] - positions[0]) / max(len(labels) - 1, 1) if len(labels) > 1 else 1
    every = max(1, -(-int(widest) // max(int(step), 1)))
    chosen, last_end = [], float("-inf")
    for i in range(0, len(labels), every):
        x, w = positions[i], len(labels[i]) * _CHAR_W
        anchor, start = "middle", x - w / 2
        if start < 0:  # under the y-axis labels is fine; past the picture's edge is not
            x, anchor, start = 0, "start", 0
        elif start + w > width:
            x, anchor, start = width - 2, "end", width - 2 - w
        if start < last_end + 4:
            continue  # pulled inside the picture, it would touch its neighbour: left out
        chosen.append((i, round(x, 1), anchor))
        last_end = start + w
    return chosen


def _svg_open(width: int, height: int, caption: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(caption)}" class="chart" '
        'font-family="Doc Sans, DejaVu Sans, sans-serif">',
        f"<title>{escape(caption)}</title>",
        "<style>rect.v:hover, circle.v:hover { opacity: .7; }</style>",
    ]


class _Scale:
    """The y-axis of a chart: round ticks covering the values (and zero), room on the left
    for their labels, and where a value falls in the picture."""

    def __init__(self, values, *, width: int, height: int, top: int, right: int, tick_label,
                 bottom: int = 22):  # fmt: skip
        known = [v for v in values if v is not None]
        self.ticks = nice_ticks(min([0, *known]), max([0, *known]) or 1)
        self.tick_label, self.top, self.width, self.right = tick_label, top, width, right
        self.left = max(len(tick_label(t)) for t in self.ticks) * _CHAR_W + 10
        self.plot_w, self.plot_h = width - self.left - right, height - bottom - top
        self.low, self.span = self.ticks[0], float(self.ticks[-1] - self.ticks[0]) or 1.0

    def y(self, value) -> float:
        return round(self.top + self.plot_h - float(value - self.low) * self.plot_h / self.span, 1)

    def axis(self) -> list[str]:
        """A gridline and a label at each tick; the zero line darker."""
        y, right = self.y, self.width - self.right
        return [
            f'<line x1="{self.left}" y1="{y(t)}" x2="{right}" y2="{y(t)}" '
            f'stroke="{"#999" if t == 0 else "#e3e8eb"}" stroke-width="1"/>'
            f'<text x="{self.left - 6}" y="{y(t) + 3.5}" font-size="10" fill="#555" '
            f'text-anchor="end">{escape(self.tick_label(t))}</text>'
            for t in self.ticks
        ]


def figures_table(caption: str, rows: list[tuple[str, ...]], heads: tuple[str, ...]) -> str:
    """The numbers a chart draws, as a table under it (folded: a click opens it)."""
    head = "".join(f"<th{' class=num' if i else ''}>{escape(h)}</th>" for i, h in enumerate(heads))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if i else ""}>{escape(c)}</td>'
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )  # fmt: skip
    return (
        f'<details class="chart-figures"><summary>The numbers: {escape(caption)}</summary>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>"
    )


def bar_chart_svg(
    bars: list[Bar], *, caption: str, width: int = 720, height: int = 180,
    tick_label=compact_number, table: bool = True, colour: str = "#2f6f8f",
) -> SafeString:  # fmt: skip
    """Bars over time with a labelled y-axis and gridlines, x labels that never overlap,
    each bar's exact figure on hover, and (with `table`) the figures in a table beneath."""
    scale = _Scale([b.value for b in bars], width=width, height=height, top=10, right=10,
                   tick_label=tick_label)  # fmt: skip
    left, top, plot_w, plot_h, y = scale.left, scale.top, scale.plot_w, scale.plot_h, scale.y
    step = plot_w / max(len(bars), 1)
    parts = _svg_open(width, height, caption) + scale.axis()
    centres = []
    for i, bar in enumerate(bars):
        x = left + i * step + step * 0.1
        centres.append(x + step * 0.4)
        if bar.value is None:  # a gap, not a zero: nothing drawn, but it still says so
            parts.append(
                f'<rect x="{round(x, 1)}" y="{top}" width="{round(step * 0.8, 1)}" '
                f'height="{plot_h}" fill="transparent"><title>{escape(bar.title)}</title></rect>'
            )
            continue
        top_y, base = sorted((y(bar.value), y(0)))
        parts.append(
            f'<rect class="v" x="{round(x, 1)}" y="{top_y}" width="{round(step * 0.8, 1)}" '
            f'height="{round(base - top_y, 1)}" fill="{colour}"><title>{escape(bar.title)}'
            "</title></rect>"
        )
    for i, x, anchor in x_labels([b.label for b in bars], centres, width=width):
        parts.append(f'<text x="{x}" y="{height - 6}" font-size="10" fill="#555" '
                     f'text-anchor="{anchor}">{escape(bars[i].label)}</text>')  # fmt: skip
    parts.append("</svg>")
    if table:
        parts.append(figures_table(caption, [(b.label, b.title.split(": ", 1)[-1])
                                             for b in bars], ("", "Figure")))  # fmt: skip
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
    height: int = 200, figure=str, tick_label=compact_number, table: bool = True,
) -> SafeString:  # fmt: skip
    """Lines over time (balances: they may be negative) with a labelled y-axis, a legend
    naming each, each point's exact figure on hover, and the figures in a table beneath."""
    scale = _Scale([v for s in series for v in s.values], width=width, height=height, top=24,
                   right=16, tick_label=tick_label)  # fmt: skip
    left, y = scale.left, scale.y
    step = scale.plot_w / max(len(labels) - 1, 1)
    parts = _svg_open(width, height, caption) + scale.axis()
    xs = [round(left + i * step, 1) for i in range(len(labels))]
    for n, s in enumerate(series):
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        points = [(xs[i], y(v)) for i, v in enumerate(s.values) if v is not None]
        if points:
            path = " ".join(f"{x},{py}" for x, py in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" '
                         f'stroke-width="2"{dash}/>')  # fmt: skip
        for i, v in enumerate(s.values):
            if v is not None:
                parts.append(
                    f'<circle class="v" cx="{xs[i]}" cy="{y(v)}" r="3.5" fill="{s.colour}">'
                    f"<title>{escape(f'{s.name}, {labels[i]}: {figure(v)}')}</title></circle>"
                )
        parts.append(f'<rect x="{left + n * 220}" y="4" width="14" height="4" '
                     f'fill="{s.colour}"/><text x="{left + 18 + n * 220}" y="10" '
                     f'font-size="11" fill="#333">{escape(s.name)}</text>')  # fmt: skip
    for i, x, anchor in x_labels(labels, xs, width=width):
        parts.append(f'<text x="{x}" y="{height - 6}" font-size="10" fill="#555" '
                     f'text-anchor="{anchor}">{escape(labels[i])}</text>')  # fmt: skip
    parts.append("</svg>")
    if table:
        rows = [(label, *("—" if s.values[i] is None else figure(s.values[i]) for s in series))
                for i, label in enumerate(labels)]  # fmt: skip
        parts.append(figures_table(caption, rows, ("", *(s.name for s in series))))
    return mark_safe("".join(parts))  # every interpolated text above is escaped
