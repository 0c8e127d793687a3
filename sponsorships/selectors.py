"""Reads shared by the staff pages, the sponsor portal and the services."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import F, Prefetch, Q, Sum
from django.utils import timezone

from donors.models import Fund, Gift, GiftAllocation
from sponsorships.models import (
    Agreement,
    Benefit,
    Disbursement,
    Instalment,
    PaymentApplication,
    Sponsor,
)


def fund_position(*, fund: Fund, since: dt.date | None = None, until: dt.date | None = None):
    """A fund's money by currency: pledged (agreements restricted to it, signed or running,
    less what was written off), received (its share of posted gifts, less refunds, and the
    sponsor payments applied to its agreements), disbursed, and available (received less
    disbursed). Dates bound when the money came or went; without them, all of it."""

    def span(field: str) -> Q:
        q = Q()
        if since:
            q &= Q(**{f"{field}__gte": since})
        if until:
            q &= Q(**{f"{field}__lte": until})
        return q

    position: dict[str, dict[str, int]] = defaultdict(
        lambda: {"pledged": 0, "received": 0, "disbursed": 0, "available": 0}
    )
    pledged = (
        Instalment.objects.filter(agreement__fund=fund, agreement__status__in=Agreement.PLEDGED)
        .filter(span("due_on"))
        .values("agreement__currency")
        .annotate(total=Sum(F("amount") - F("written_off_amount")))
    )
    for row in pledged:
        position[row["agreement__currency"]]["pledged"] += row["total"] or 0
    gifts = (
        GiftAllocation.objects.filter(fund=fund, gift__status=Gift.Status.POSTED)
        .filter(span("gift__received_on"))
        .values("gift__currency")
        # A refunded gift keeps its allocations; the fund keeps the kept share of them.
        .annotate(total=Sum(F("amount") * (F("gift__amount") - F("gift__refunded_amount"))
                            / F("gift__amount")))
    )  # fmt: skip
    for row in gifts:
        position[row["gift__currency"]]["received"] += row["total"] or 0
    sponsors = (
        PaymentApplication.objects.filter(instalment__agreement__fund=fund)
        .filter(span("payment__received_on"))
        .values("payment__currency")
        .annotate(total=Sum("amount"))
    )
    for row in sponsors:
        position[row["payment__currency"]]["received"] += row["total"] or 0
    paid_out = (
        Disbursement.objects.filter(fund=fund).filter(span("paid_on"))
        .values("currency").annotate(total=Sum("amount"))
    )  # fmt: skip
    for row in paid_out:
        position[row["currency"]]["disbursed"] += row["total"] or 0
    for numbers in position.values():
        numbers["available"] = numbers["received"] - numbers["disbursed"]
    return dict(position)


def restricted_funds_by_year(*, years: int = 3) -> list[dict]:
    """Each restricted fund's position per calendar year (this year and the ones before),
    and in all, for the funds page."""
    this_year = timezone.localdate().year
    rows = []
    for fund in Fund.objects.filter(is_restricted=True).order_by("code"):
        per_year = [
            (year, fund_position(fund=fund, since=dt.date(year, 1, 1),
                                 until=dt.date(year, 12, 31)))
            for year in range(this_year - years + 1, this_year + 1)
        ]  # fmt: skip
        rows.append({"fund": fund, "years": per_year, "all": fund_position(fund=fund)})
    return rows


def agreement_balance(agreement: Agreement) -> dict[str, int]:
    totals = agreement.instalments.aggregate(
        scheduled=Sum("amount"), paid=Sum("paid_amount"), written_off=Sum("written_off_amount")
    )
    scheduled, paid = totals["scheduled"] or 0, totals["paid"] or 0
    written_off = totals["written_off"] or 0
    return {
        "pledged": agreement.amount, "scheduled": scheduled, "paid": paid,
        "written_off": written_off, "outstanding": agreement.amount - paid - written_off,
    }  # fmt: skip


def overdue_instalments(*, today: dt.date | None = None):
    today = today or timezone.localdate()
    return (
        Instalment.objects.filter(
            due_on__lt=today, agreement__status__in=Agreement.PLEDGED,
            paid_amount__lt=F("amount") - F("written_off_amount"),
        )
        .select_related("agreement__sponsor")
        .order_by("due_on")
    )  # fmt: skip


def renewals_due(*, within_days: int = 90, today: dt.date | None = None):
    today = today or timezone.localdate()
    return (
        Agreement.objects.filter(
            status__in=(Agreement.Status.SIGNED, Agreement.Status.ACTIVE),
            ends_on__gte=today, ends_on__lte=today + dt.timedelta(days=within_days),
        )
        .select_related("sponsor")
        .order_by("ends_on")
    )  # fmt: skip


def _quarter(day: dt.date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def pipeline(*, currency: str) -> dict:
    """Pledged (instalments falling due) and received (payments applied), by quarter and by
    sponsor type, in one currency."""
    by_quarter: dict[str, dict[str, int]] = defaultdict(lambda: {"pledged": 0, "received": 0})
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: {"pledged": 0, "received": 0})
    kinds = dict(Sponsor.Kind.choices)
    instalments = Instalment.objects.filter(
        agreement__currency=currency, agreement__status__in=Agreement.PLEDGED
    ).values_list("due_on", "amount", "written_off_amount", "agreement__sponsor__kind")
    for due_on, amount, written_off, kind in instalments:
        by_quarter[_quarter(due_on)]["pledged"] += amount - written_off
        by_kind[kinds[kind]]["pledged"] += amount - written_off
    received = PaymentApplication.objects.filter(payment__currency=currency).values_list(
        "payment__received_on", "amount", "payment__sponsor__kind"
    )
    for received_on, amount, kind in received:
        by_quarter[_quarter(received_on)]["received"] += amount
        by_kind[kinds[kind]]["received"] += amount
    return {"quarters": dict(sorted(by_quarter.items())), "kinds": dict(sorted(by_kind.items()))}


def portal_sponsor_ids(user) -> list[int]:
    """The sponsors a portal user belongs to."""
    return list(user.sponsor_contacts.values_list("sponsor_id", flat=True))


def portal_agreements(user):
    """The agreements a portal user may see (never drafts), with what their pages show."""
    return (
        Agreement.objects.filter(sponsor_id__in=portal_sponsor_ids(user))
        .exclude(status=Agreement.Status.DRAFT)
        .select_related("sponsor", "fund", "campaign")
        .prefetch_related(
            Prefetch("instalments", queryset=Instalment.objects.order_by("number")),
            "benefits",
        )
    )


def benefits_to_deliver(*, today: dt.date | None = None):
    """The fulfilment queue: benefits promised on signed or running agreements and not yet
    delivered, the ones due soonest (or past due) first."""
    return (
        Benefit.objects.filter(delivered_on__isnull=True,
                               agreement__status__in=Agreement.PLEDGED)
        .select_related("agreement__sponsor")
        .order_by(F("due_on").asc(nulls_last=True), "id")
    )  # fmt: skip


# IRS: a sponsor's benefits worth more than 2 % of the payment are a "substantial return
# benefit"; the payment is then not wholly a qualified sponsorship payment, and only what
# exceeds their value is a contribution.
SUBSTANTIAL_BENEFIT_PERCENT = 2


def benefit_share(agreement: Agreement, benefits_value: int | None = None) -> dict:
    """The benefits' fair market value against the agreement: its percentage, and whether
    it is over the 2 % that staff must look at."""
    value = (
        benefits_value if benefits_value is not None
        else agreement.benefits.aggregate(v=Sum("fair_market_value"))["v"] or 0
    )  # fmt: skip
    over = value * 100 > agreement.amount * SUBSTANTIAL_BENEFIT_PERCENT
    return {"value": value, "percent": value * 100 / agreement.amount, "flagged": over,
            "contribution": agreement.amount - value}  # fmt: skip


def flagged_agreements():
    """Running agreements whose benefits are worth more than 2 % of them."""
    agreements = (
        Agreement.objects.filter(status__in=Agreement.PLEDGED)
        .annotate(benefits_value=Sum("benefits__fair_market_value"))
        .select_related("sponsor")
    )
    return [
        (a, share) for a in agreements
        if (share := benefit_share(a, a.benefits_value or 0))["flagged"]
    ]  # fmt: skip
