"""Closing a month: once its Stripe payouts are reconciled and its bank deposits matched,
finance closes it, and its gifts can no longer be recorded, posted, voided or changed
(donors asks before each write, through the gift_changing signal). Reopening needs the
permission and a reason, both kept."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from payments.models import Payout
from reconciliation.models import BankLine, PayoutCheck, Period, PeriodEvent


def _first_day(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


@transaction.atomic
def period_close(*, month: dt.date, by) -> Period:
    month = _first_day(month)
    if not by.has_perm("reconciliation.change_period"):
        raise PermissionDenied("Closing a month is finance's.")
    payouts = Payout.objects.filter(arrival_date__gte=month, arrival_date__lt=_next_month(month),
                                    status="paid")  # fmt: skip
    open_ones = payouts.exclude(reconciliation__status=PayoutCheck.Status.RECONCILED)
    if names := list(open_ones.values_list("payout_id", flat=True)[:5]):
        raise ValidationError(f"{month:%B %Y} cannot close: payouts not reconciled yet "
                              f"({', '.join(names)}).")  # fmt: skip
    unmatched = BankLine.objects.filter(booked_on__gte=month, booked_on__lt=_next_month(month),
                                        amount__gt=0, match__isnull=True,
                                        is_split=False)  # fmt: skip
    if count := unmatched.count():
        raise ValidationError(f"{month:%B %Y} cannot close: {count} bank deposit"
                              f"{'s' if count > 1 else ''} not matched yet.")  # fmt: skip
    period, _ = Period.objects.select_for_update().get_or_create(month=month)
    if not period.closed:
        period.closed = True
        period.save(update_fields=["closed"])
        PeriodEvent.objects.create(period=period, action=PeriodEvent.Action.CLOSE, by=by)
    return period


@transaction.atomic
def period_reopen(*, month: dt.date, by, reason: str) -> Period:
    month = _first_day(month)
    if not by.has_perm("reconciliation.reopen_period"):
        raise PermissionDenied("Reopening a closed month is for finance.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the month is reopened."})
    period = Period.objects.select_for_update().get(month=month)
    if period.closed:
        period.closed = False
        period.save(update_fields=["closed"])
        PeriodEvent.objects.create(period=period, action=PeriodEvent.Action.REOPEN, by=by,
                                   reason=reason.strip()[:300])  # fmt: skip
    return period


def refuse_gifts_in_closed_months(sender, *, gift, **kwargs) -> None:
    """Receiver of donors.signals.gift_changing."""
    if (
        gift.received_on
        and Period.objects.filter(month=_first_day(gift.received_on), closed=True).exists()
    ):
        raise ValidationError(
            f"{gift.received_on:%B %Y} is closed: gift{f' #{gift.pk}' if gift.pk else ''} "
            "dated then cannot be recorded or changed. Finance can reopen the month, with a "
            "reason."
        )
