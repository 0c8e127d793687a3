"""Reads that pages and reports share. Each costs a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Sum

from donors.models import Campaign, Fund, Gift, GiftMonthlyTotal


@dataclass
class Totals:
    """Amounts per currency for one row of a table (a fund or a campaign)."""

    label: str
    month: dict[str, int] = field(default_factory=dict)
    year: dict[str, int] = field(default_factory=dict)


@dataclass
class StaffHome:
    today: dt.date
    currencies: list[str]
    by_fund: list[Totals]
    by_campaign: list[Totals]
    month_total: dict[str, int]
    year_total: dict[str, int]
    monthly: dict[str, list[tuple[dt.date, int]]]  # currency -> (month, amount), oldest first
    recent_gifts: list[Gift]


def _add(bucket: dict[str, int], currency: str, amount: int) -> None:
    bucket[currency] = bucket.get(currency, 0) + amount


def _months_back(month: dt.date, count: int) -> list[dt.date]:
    months = [month]
    for _ in range(count - 1):
        months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
    return months[::-1]


def staff_home(*, today: dt.date, chart_months: int = 36) -> StaffHome:
    """This month and this year by fund and by campaign, the monthly chart, recent gifts.
    Five queries, whatever the number of gifts: totals come from GiftMonthlyTotal."""
    this_month = today.replace(day=1)
    year_start = today.replace(month=1, day=1)
    funds = {f.pk: f for f in Fund.objects.all()}
    campaigns = {c.pk: c for c in Campaign.objects.all()}
    by_fund: dict[int, Totals] = {}
    by_campaign: dict[int | None, Totals] = {}
    month_total: dict[str, int] = {}
    year_total: dict[str, int] = {}
    year_rows = GiftMonthlyTotal.objects.filter(month__gte=year_start, month__lte=this_month)
    for row in year_rows.values("month", "currency", "fund_id", "campaign_id", "amount"):
        fund = by_fund.setdefault(row["fund_id"], Totals(str(funds[row["fund_id"]])))
        campaign_label = str(campaigns[row["campaign_id"]]) if row["campaign_id"] else "No campaign"
        campaign = by_campaign.setdefault(row["campaign_id"], Totals(campaign_label))
        for totals in (fund, campaign):
            _add(totals.year, row["currency"], row["amount"])
            if row["month"] == this_month:
                _add(totals.month, row["currency"], row["amount"])
        _add(year_total, row["currency"], row["amount"])
        if row["month"] == this_month:
            _add(month_total, row["currency"], row["amount"])

    months = _months_back(this_month, chart_months)
    per_month: dict[str, dict[dt.date, int]] = defaultdict(dict)
    chart_rows = (
        GiftMonthlyTotal.objects.filter(month__gte=months[0], month__lte=this_month)
        .values("month", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in chart_rows:
        per_month[row["currency"]][row["month"]] = row["total"]
    currencies = sorted(per_month, key=lambda c: (c != settings.BASE_CURRENCY, c))
    monthly = {c: [(m, per_month[c].get(m, 0)) for m in months] for c in currencies}

    recent = list(
        Gift.objects.select_related("donor", "campaign")
        .exclude(status=Gift.Status.VOID)
        .order_by("-received_on", "-id")[:10]
    )

    def by_year(totals: dict[int | None, Totals]) -> list[Totals]:
        return sorted(
            totals.values(), key=lambda t: (-t.year.get(settings.BASE_CURRENCY, 0), t.label)
        )

    return StaffHome(
        today=today,
        currencies=sorted(year_total, key=lambda c: (c != settings.BASE_CURRENCY, c)),
        by_fund=by_year(by_fund),
        by_campaign=by_year(by_campaign),
        month_total=month_total,
        year_total=year_total,
        monthly=monthly,
        recent_gifts=recent,
    )


def donor_gifts(*, donor_id: int):
    """A donor's own gifts, newest first (the donor's page)."""
    return (
        Gift.objects.filter(donor_id=donor_id)
        .exclude(status=Gift.Status.VOID)
        .select_related("campaign")
        .prefetch_related("allocations__fund")
        .order_by("-received_on", "-id")
    )


def campaigns_related(campaign_ids: set[int], *, upwards: bool) -> set[int]:
    """The campaigns with, upwards, the campaigns they belong to (an appeal's campaign, and
    so on), or, downwards, all their appeals: money for an appeal is money for its campaign."""
    found, frontier = set(campaign_ids), set(campaign_ids)
    while frontier:
        if upwards:
            step = Campaign.objects.filter(pk__in=frontier, parent__isnull=False)
            frontier = set(step.values_list("parent_id", flat=True)) - found
        else:
            step = Campaign.objects.filter(parent_id__in=frontier)
            frontier = set(step.values_list("id", flat=True)) - found
        found |= frontier
    return found
