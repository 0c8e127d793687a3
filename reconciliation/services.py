"""Payout sync and reconciliation.

`payouts_sync` fetches Stripe's payouts and, for each, all of its balance transactions
(paginated, sources expanded), keeping what it has not kept yet: running it again changes
nothing. `payout_reconcile` matches every line to the payment, refund or dispute it settles,
in a fixed number of queries whatever the payout's size, and records the exceptions with
their reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum

from backoffice.bulk import db_datetime, insert_rows
from backoffice.money import money_label
from payments.handlers import payout_upsert
from payments.models import Dispute, Payment, Payout, Refund
from payments.stripe_api import as_dict, object_id, stripe_client
from reconciliation.models import PayoutCheck, PayoutLine
from sponsorships.models import SponsorPayment

PAGE = 100

# Stripe balance transaction types -> what the line is.
KINDS = {
    "charge": PayoutLine.Kind.CHARGE, "payment": PayoutLine.Kind.CHARGE,
    "refund": PayoutLine.Kind.REFUND, "payment_refund": PayoutLine.Kind.REFUND,
    "adjustment": PayoutLine.Kind.DISPUTE, "dispute": PayoutLine.Kind.DISPUTE,
    "stripe_fee": PayoutLine.Kind.FEE, "application_fee": PayoutLine.Kind.FEE,
    "payout": PayoutLine.Kind.PAYOUT,
}  # fmt: skip

COLUMNS = ("payout", "balance_transaction_id", "type", "kind", "source_id", "amount", "fee",
           "net", "currency", "source_amount", "source_currency", "exchange_rate", "created",
           "problem")  # fmt: skip


@dataclass
class SyncReport:
    payouts: int = 0
    lines_added: int = 0
    checked: dict[str, str] = field(default_factory=dict)  # payout id -> status


def _row(payout: Payout, txn: dict) -> tuple:
    source = txn.get("source")
    source_id = object_id(source)
    kind = KINDS.get(txn.get("type") or "", PayoutLine.Kind.OTHER)
    if kind == PayoutLine.Kind.DISPUTE and not source_id.startswith("du_"):
        kind = PayoutLine.Kind.OTHER  # an adjustment that is not a dispute
    original = source if isinstance(source, dict) else {}
    created = dt.datetime.fromtimestamp(txn.get("created") or 0, tz=dt.UTC)
    rate = txn.get("exchange_rate")
    return (
        payout.pk, txn["id"], txn.get("type") or "", kind, source_id, txn["amount"],
        txn.get("fee") or 0, txn["net"], txn["currency"].upper(), original.get("amount"),
        (original.get("currency") or "").upper(), "" if rate is None else str(rate),
        db_datetime(created), "",
    )  # fmt: skip


def payout_lines_sync(*, payout: Payout, api=None) -> int:
    """Keep the payout's balance transactions we do not have yet. Returns how many."""
    api = api or stripe_client().v1
    have = set(payout.lines.values_list("balance_transaction_id", flat=True))
    listing = api.balance_transactions.list(
        params={"payout": payout.payout_id, "limit": PAGE, "expand": ["data.source"]}
    )
    rows = [_row(payout, txn) for txn in map(as_dict, listing.auto_paging_iter())
            if txn["id"] not in have]  # fmt: skip
    with transaction.atomic():  # one executemany: the query count does not grow with size
        insert_rows(PayoutLine, COLUMNS, rows, batch=max(len(rows), 1))
    return len(rows)


def payouts_sync(
    *, since: dt.date | None = None, progress: Callable[[int], None] | None = None, api=None
) -> SyncReport:
    """Fetch payouts (created since `since`), their lines, and reconcile each. `api`: a
    StripeClient's v1 (the demo passes one that reads its simulated world)."""
    api = api or stripe_client().v1
    params: dict = {"limit": PAGE}
    if since:
        start = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        params["created"] = {"gte": int(start.timestamp())}
    report = SyncReport()
    for payout in map(as_dict, api.payouts.list(params=params).auto_paging_iter()):
        row = payout_upsert(payout)
        report.lines_added += payout_lines_sync(payout=row, api=api)
        report.checked[row.payout_id] = payout_reconcile(payout=row).status
        report.payouts += 1
        if progress:
            progress(report.payouts)
    return report


@transaction.atomic
def payout_reconcile(*, payout: Payout) -> PayoutCheck:
    """Match every line and say what does not fit, in a fixed number of queries."""
    lines = PayoutLine.objects.filter(payout=payout)
    lines.update(problem="", payment=None, refund=None, dispute=None, sponsor_payment=None)
    charges = lines.filter(kind=PayoutLine.Kind.CHARGE)
    charges.update(payment=Subquery(
        Payment.objects.filter(charge_id=OuterRef("source_id")).values("pk")[:1]
    ))  # fmt: skip
    # A sponsor's instalment paid on a Stripe invoice is a charge too.
    charges.filter(payment__isnull=True).update(sponsor_payment=Subquery(
        SponsorPayment.objects.filter(stripe_charge_id=OuterRef("source_id")).values("pk")[:1]
    ))  # fmt: skip
    lines.filter(kind=PayoutLine.Kind.REFUND).update(refund=Subquery(
        Refund.objects.filter(refund_id=OuterRef("source_id")).values("pk")[:1]
    ))  # fmt: skip
    lines.filter(kind=PayoutLine.Kind.DISPUTE).update(dispute=Subquery(
        Dispute.objects.filter(dispute_id=OuterRef("source_id")).values("pk")[:1]
    ))  # fmt: skip
    # What cannot be matched, and why (the first reason that applies is kept).
    charges.filter(payment__isnull=True, sponsor_payment__isnull=True).update(
        problem="no gift or sponsor payment for this charge"
    )
    lines.filter(kind=PayoutLine.Kind.REFUND, refund__isnull=True).update(
        problem="no refund recorded for this refund"
    )
    lines.filter(kind=PayoutLine.Kind.DISPUTE, dispute__isnull=True).update(
        problem="no dispute recorded for this dispute"
    )
    lines.filter(kind=PayoutLine.Kind.OTHER).update(problem="a transaction of an unknown type")
    charges.filter(payment__isnull=False, problem="").exclude(
        source_amount=Subquery(
            Payment.objects.filter(pk=OuterRef("payment_id")).values("amount")[:1]
        )
    ).update(problem="amount differs from the gift's payment")
    charges.filter(sponsor_payment__isnull=False, problem="").exclude(
        source_amount=Subquery(
            SponsorPayment.objects.filter(pk=OuterRef("sponsor_payment_id")).values("amount")[:1]
        )
    ).update(problem="amount differs from the sponsor's payment")
    elsewhere = PayoutLine.objects.filter(payment_id=OuterRef("payment_id")).exclude(payout=payout)
    charges.filter(payment__isnull=False, problem="").filter(
        payment_id__in=Subquery(elsewhere.values("payment_id"))
    ).update(problem="this gift's payment is already in another payout")

    totals = lines.exclude(kind=PayoutLine.Kind.PAYOUT).aggregate(
        net=Sum("net"), count=Count("id"), bad=Count("id", filter=~Q(problem=""))
    )
    net = totals["net"] or 0
    exceptions = [
        {"line": line.balance_transaction_id, "reason": line.problem}
        for line in lines.exclude(problem="").only("balance_transaction_id", "problem")[:200]
    ]
    if net != payout.amount:
        exceptions.append({"line": "", "reason": (
            f"the lines add up to {money_label(net, payout.currency)}, the payout is "
            f"{money_label(payout.amount, payout.currency)}")})  # fmt: skip
    status = PayoutCheck.Status.EXCEPTIONS if exceptions else PayoutCheck.Status.RECONCILED
    check, _ = PayoutCheck.objects.update_or_create(
        payout=payout,
        defaults={"status": status, "lines": totals["count"], "lines_net": net,
                  "exceptions": exceptions},
    )  # fmt: skip
    return check
