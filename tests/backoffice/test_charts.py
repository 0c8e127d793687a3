"""Charts a person can read: a labelled y-axis, x labels that never overlap and stay inside
the picture, each figure on hover and in a table beneath."""

import re

from hypothesis import given
from hypothesis import strategies as st

from backoffice.charts import (
    _CHAR_W,
    Bar,
    Series,
    bar_chart_svg,
    compact_money,
    line_chart_svg,
    nice_ticks,
)

LABEL = re.compile(r'<text x="([\d.]+)" y="[\d.]+" font-size="10" fill="#555" '
                   r'text-anchor="(start|middle|end)">([^<]+)</text>')  # fmt: skip


def _extents(svg: str, bottom_y: str) -> list[tuple[float, float]]:
    spans = []
    for match in re.finditer(r'<text x="([\d.]+)" y="' + bottom_y + r'" font-size="10" '
                             r'fill="#555" text-anchor="(\w+)">([^<]+)</text>', svg):  # fmt: skip
        x, anchor, text = float(match[1]), match[2], match[3]
        w = len(text) * _CHAR_W
        start = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        spans.append((start, start + w))
    return spans


@given(months=st.integers(min_value=1, max_value=60), width=st.sampled_from([360, 720]))
def test_x_labels_never_overlap_and_stay_inside(months, width):
    bars = [Bar(f"Mon {i:02d}", i * 1000, f"Mon {i:02d}: {i}") for i in range(months)]
    svg = str(bar_chart_svg(bars, caption="Gifts", width=width, height=180))
    spans = _extents(svg, "174")
    assert spans and spans[0][0] >= 0 and spans[-1][1] <= width + 0.5
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_the_y_axis_is_labelled_in_money_and_every_figure_is_in_the_table():
    bars = [Bar("Jan 26", 1_234_500, "January 2026: $12,345.00"),
            Bar("Feb 26", 0, "February 2026: $0.00")]  # fmt: skip
    svg = str(bar_chart_svg(bars, caption="Gifts in USD", tick_label=compact_money("USD")))
    assert ">$0<" in svg and ">$15K<" in svg  # ticks 0, 5K, 10K, 15K
    assert "<title>January 2026: $12,345.00</title>" in svg  # on hover
    table = svg.split("<details")[1]
    assert "<td>Jan 26</td><td class=num>$12,345.00</td>" in table


def test_a_line_chart_below_zero_has_ticks_below_zero_and_a_table_per_series():
    svg = str(line_chart_svg(["Oct", "Nov"], [Series("Books", "#000", [-5_000, 20_000]),
                                               Series("Bank", "#111", [None, 20_000])],
                             caption="Balance", figure=lambda v: f"{v / 100:.2f}"))  # fmt: skip
    assert ">-10K<" in svg or ">-5K<" in svg
    assert "<td>Oct</td><td class=num>-50.00</td><td class=num>—</td>" in svg


@given(low=st.integers(-(10**9), 10**9), size=st.integers(1, 10**9))
def test_ticks_cover_the_values_in_round_steps(low, size):
    ticks = nice_ticks(low, low + size)
    assert ticks[0] <= low and ticks[-1] >= low + size and 2 <= len(ticks) <= 12
