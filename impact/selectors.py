"""Reads for the staff Impact page."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.utils import timezone

from backoffice.charts import Bar, bar_chart_svg
from impact.figures import combine_values, quarter_bounds, quarters_ending
from impact.models import Metric, Observation
from impact.rendering import quantity_text

QUARTERS = 12


def metric_trends(*, today: dt.date | None = None) -> list[dict]:
    """Each active metric over the last twelve quarters, all subjects together (combined by
    the metric's own rule), as a small chart: one query for all of them."""
    quarters = quarters_ending(today or timezone.localdate(), QUARTERS)
    since = quarter_bounds(*quarters[0])[0]
    rows = defaultdict(list)
    for metric_id, *row in Observation.objects.filter(period_end__gte=since).values_list(
        "metric_id", "subject_id", "period_end", "id", "value"
    ):
        rows[metric_id].append(tuple(row))
    trends = []
    for metric in Metric.objects.filter(is_active=True):
        bars = []
        for year, quarter in quarters:
            start, end = quarter_bounds(year, quarter)
            value = combine_values(metric, [r for r in rows[metric.pk] if start <= r[1] <= end])
            label = f"Q{quarter} {year}"
            text = quantity_text(None if value is None else str(value), metric.unit)
            bars.append(Bar(label=label, value=value, title=f"{label}: {text}"))
        trends.append({"metric": metric, "chart": bar_chart_svg(
            bars, caption=f"{metric.name} by quarter", width=360, height=110)})  # fmt: skip
    return trends
