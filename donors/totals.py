"""Keeps GiftMonthlyTotal in step with posted gifts. Voids, re-designations and imports
rebuild whole months from their gifts. Posting one gift (an online gift, a single entry)
adds to its months' rows in the same transaction instead: rebuilding a month of tens of
thousands of gifts for every card payment would make the webhook worker crawl. An addition
inside the posting transaction cannot drift, and `manage.py rebuild_totals` rebuilds all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth

from donors.models import Gift, GiftAllocation, GiftMonthlyTotal


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def refresh_months(days: Iterable[dt.date]) -> None:
    """Rebuild the totals of every month that contains one of `days`."""
    months = sorted({month_of(d) for d in days})
    if not months:
        return
    with transaction.atomic():
        GiftMonthlyTotal.objects.filter(month__in=months).delete()
        rows = (
            GiftAllocation.objects.filter(
                gift__status=Gift.Status.POSTED,
                gift__received_on__gte=months[0],
                gift__received_on__lt=_next_month(months[-1]),
            )
            .annotate(month=TruncMonth("gift__received_on"))
            .values("month", "gift__currency", "fund_id", "gift__campaign_id")
            .annotate(total=Sum("amount"), count=Count("id"))
            .order_by()
        )
        wanted = set(months)
        GiftMonthlyTotal.objects.bulk_create(
            [
                GiftMonthlyTotal(
                    month=row["month"],
                    currency=row["gift__currency"],
                    fund_id=row["fund_id"],
                    campaign_id=row["gift__campaign_id"],
                    amount=row["total"],
                    allocation_count=row["count"],
                )
                for row in rows
                if row["month"] in wanted
            ],
            batch_size=1000,
        )


def add_posted_gifts(entries: Iterable[tuple[dt.date, str, int, int | None, int]]) -> None:
    """Add many newly posted gifts' allocations, (received on, currency, fund id, campaign id,
    amount) each, as new rows of their months' totals (readers sum the rows of a key): in
    the transaction that posts them, as add_posted_gift, so nothing drifts. An import of a
    hundred thousand gifts adds a few hundred rows instead of rebuilding three years."""
    totals: dict[tuple, list[int]] = {}
    for day, currency, fund_id, campaign_id, amount in entries:
        key = (month_of(day), currency, fund_id, campaign_id)
        if (total := totals.get(key)) is None:
            total = totals[key] = [0, 0]
        total[0] += amount
        total[1] += 1
    GiftMonthlyTotal.objects.bulk_create(
        [GiftMonthlyTotal(month=month, currency=currency, fund_id=fund_id,
                          campaign_id=campaign_id, amount=amount, allocation_count=count)
         for (month, currency, fund_id, campaign_id), (amount, count) in totals.items()],
        batch_size=1000,
    )  # fmt: skip


def add_posted_gift(gift: Gift, split: list[tuple[int, int]] | None = None) -> None:
    """Add one newly posted gift's split ([(fund id, amount)], read from the database when
    not given) to its month's totals. Readers sum the rows, so a second row for the same
    key (two workers posting at once) still adds up right."""
    month = month_of(gift.received_on)
    if split is None:
        split = list(gift.allocations.values_list("fund_id", "amount"))
    for fund_id, amount in split:
        key = {"month": month, "currency": gift.currency, "fund_id": fund_id,
               "campaign_id": gift.campaign_id}  # fmt: skip
        added = GiftMonthlyTotal.objects.filter(**key).update(
            amount=F("amount") + amount, allocation_count=F("allocation_count") + 1
        )
        if not added:
            GiftMonthlyTotal.objects.create(**key, amount=amount, allocation_count=1)


def rebuild_all() -> None:
    with transaction.atomic():
        GiftMonthlyTotal.objects.all().delete()
        days = Gift.objects.filter(status=Gift.Status.POSTED).dates("received_on", "month")
        refresh_months(list(days))
