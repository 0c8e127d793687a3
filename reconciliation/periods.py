"""Closing a month: once its checklist is done (payouts reconciled, bank lines matched, no
Stripe event or import waiting), finance closes it. Nothing dated in it can then be written:
the services refuse in words (gifts through the gift_changing signal), the database refuses
whatever path tries (ledger migration 0002), and Stripe's late news posts into the first
open month (ledger.services). Reopening needs the permission and a reason, both kept."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from payments.models import Payout
from reconciliation.models import BankLine, PayoutCheck, Period, PeriodEvent


def _first_day(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


@dataclass
class CheckItem:
    """One line of a month's close checklist. `blocks`: the month cannot close while it is
    not done; otherwise it is said, not required."""

    label: str
    done: bool
    detail: str = ""
    url: str = ""
    blocks: bool = True


def period_checklist(*, month: dt.date) -> list[CheckItem]:
    """What must be true before `month` closes, each item with what is still open."""
    from django.urls import reverse

    from donors.models import GiftImport
    from payments.models import StripeEvent
    from receipts.models import Organisation, StatementRun
    from receipts.selectors import gifts_waiting_for_receipt

    month = _first_day(month)
    end = _next_month(month)
    payouts = Payout.objects.filter(arrival_date__gte=month, arrival_date__lt=end, status="paid")
    open_payouts = list(
        payouts.exclude(reconciliation__status=PayoutCheck.Status.RECONCILED)
        .values_list("payout_id", flat=True)[:5]
    )  # fmt: skip
    lines = BankLine.objects.filter(booked_on__gte=month, booked_on__lt=end, is_split=False)
    unmatched = lines.filter(match__isnull=True).count()
    proposed = lines.filter(match__isnull=False, match__accepted_at__isnull=True).count()
    waiting_events = StripeEvent.objects.filter(
        status__in=[StripeEvent.Status.RECEIVED, StripeEvent.Status.WAITING,
                    StripeEvent.Status.FAILED]
    ).count()  # fmt: skip
    imports = GiftImport.objects.filter(
        status__in=[GiftImport.Status.CHECKING, GiftImport.Status.QUEUED,
                    GiftImport.Status.RUNNING]
    ).count()  # fmt: skip
    runs = StatementRun.objects.filter(
        status__in=[StatementRun.Status.QUEUED, StatementRun.Status.RUNNING]
    ).count()
    org = Organisation.objects.filter(pk=1).first()
    to_receipt = gifts_waiting_for_receipt(org=org).count() if org else 0
    return [
        CheckItem(
            f"Every Stripe payout of the month is reconciled ({payouts.count()} payouts)",
            not open_payouts, "not yet: " + ", ".join(open_payouts) if open_payouts else "",
            reverse("reconciliation") + "?status=exceptions",
        ),
        CheckItem(
            f"Every bank line of the month is matched or explained ({lines.count()} lines)",
            not unmatched and not proposed, ", ".join(
                [f"{unmatched} not matched yet"] * bool(unmatched)
                + [f"{proposed} in proposed matches to accept"] * bool(proposed)
            ), reverse("bank_lines"),
        ),
        CheckItem(
            "No Stripe event is waiting or failed", not waiting_events,
            f"{waiting_events} waiting or failed" if waiting_events else "",
            reverse("admin:payments_stripeevent_changelist"),
        ),
        CheckItem(
            "No gift import or statement run is in progress", not imports and not runs,
            f"{imports} import(s), {runs} statement run(s) in progress"
            if imports or runs else "",
        ),
        CheckItem(
            "Gifts waiting for a receipt", not to_receipt,
            f"{to_receipt} gift(s) wait for a receipt" if to_receipt else "",
            reverse("waiting_for_receipt"), blocks=False,
        ),
    ]  # fmt: skip


@transaction.atomic
def period_close(*, month: dt.date, by) -> Period:
    """Close a month once its checklist is done: nothing dated in it can be written after."""
    month = _first_day(month)
    if not by.has_perm("reconciliation.change_period"):
        raise PermissionDenied("Closing a month is finance's.")
    period, _ = Period.objects.select_for_update().get_or_create(month=month)
    if period.closed:
        return period
    if reopened := Period.objects.filter(month__lt=month, closed=False).order_by("month").first():
        raise ValidationError(f"{reopened} was reopened: close it again before {month:%B %Y}.")
    if not_done := [
        item for item in period_checklist(month=month) if item.blocks and not item.done
    ]:
        raise ValidationError(f"{month:%B %Y} cannot close: " + "; ".join(
            f"{item.label.split(' (')[0].lower()}: {item.detail}" for item in not_done
        ) + ".")  # fmt: skip
    period.closed = True
    period.save(update_fields=["closed"])
    PeriodEvent.objects.create(period=period, action=PeriodEvent.Action.CLOSE, by=by)
    return period


def months_to_show(*, count: int = 13) -> list[dict]:
    """This month and the ones before it, each with its state and last event."""
    from django.utils import timezone

    month = _first_day(timezone.localdate())
    months = []
    for _ in range(count):
        months.append(month)
        month = _first_day(month - dt.timedelta(days=1))
    periods = {p.month: p for p in Period.objects.filter(month__in=months)
               .prefetch_related("events__by")}  # fmt: skip
    return [{"month": m, "period": periods.get(m), "closed": bool(periods.get(m) and
             periods[m].closed)} for m in months]  # fmt: skip


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
