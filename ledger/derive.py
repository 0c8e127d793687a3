"""The postings of many documents at once, each kind in a fixed number of queries: used by
the services to post one document and by the rebuild to re-derive the whole ledger."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from django.db.models import Q, Sum

from ledger import rules
from ledger.rules import Posting


def _splits(gift_ids) -> dict[int, list[tuple[int, str, int]]]:
    from donors.models import GiftAllocation

    out = defaultdict(list)
    rows = (
        GiftAllocation.objects.filter(gift_id__in=gift_ids)
        .order_by("id")
        .values_list("gift_id", "fund_id", "fund__gl_account", "amount")
    )
    for gift_id, fund_id, account, amount in rows:
        out[gift_id].append((fund_id, account, amount))
    return out


def gift_postings(gifts: Sequence) -> list[Posting]:
    from payments.models import Payment

    ids = [g.pk for g in gifts]
    splits = _splits(ids)
    online = set(Payment.objects.filter(gift_id__in=ids).values_list("gift_id", flat=True))
    return [
        rules.gift_posting(
            g,
            online=g.pk in online or getattr(g, "paid_through_stripe", False),
            splits=splits.get(g.pk, []),
        )  # fmt: skip
        for g in gifts
    ]


def _gift_of(items) -> tuple[dict[int, int], dict[int, list]]:
    """Each payment's gift, and those gifts' splits."""
    from payments.models import Payment

    payment_ids = {x.payment_id for x in items}
    gift_of = dict(Payment.objects.filter(pk__in=payment_ids).values_list("pk", "gift_id"))
    return gift_of, _splits(set(gift_of.values()))


def refund_postings(refunds: Sequence) -> list[Posting]:
    gift_of, splits = _gift_of(refunds)
    return [rules.refund_posting(r, splits=splits[gift_of[r.payment_id]]) for r in refunds]


def dispute_postings(disputes: Sequence) -> list[Posting]:
    gift_of, splits = _gift_of(disputes)
    return [rules.dispute_posting(d, splits=splits[gift_of[d.payment_id]]) for d in disputes]


def deposit_postings(batches: Sequence) -> list[Posting]:
    from donors.models import Gift

    totals = dict(
        Gift.objects.filter(batch_id__in=[b.pk for b in batches], status=Gift.Status.POSTED,
                            method__in=rules.DEPOSITED_METHODS)
        .values_list("batch_id").annotate(total=Sum("amount")).order_by()
    )  # fmt: skip
    return [rules.deposit_posting(b, undeposited_total=totals.get(b.pk, 0)) for b in batches]


def sponsor_payment_postings(payments: Sequence) -> list[Posting]:
    from sponsorships.models import PaymentApplication

    applied = defaultdict(lambda: defaultdict(int))
    rows = PaymentApplication.objects.filter(payment_id__in=[p.pk for p in payments]).values_list(
        "payment_id", "instalment__agreement__fund_id", "instalment__agreement__fund__gl_account",
        "amount",
    )  # fmt: skip
    for payment_id, fund_id, account, amount in rows:
        applied[payment_id][(fund_id, account or rules.role("sponsorship_income"))] += amount
    return [
        rules.sponsor_payment_posting(
            p,
            applied=[
                (fund_id, account, amount) for (fund_id, account), amount in applied[p.pk].items()
            ],
        )  # fmt: skip
        for p in payments
    ]


def disbursement_postings(disbursements: Sequence) -> list[Posting]:
    from donors.models import Fund

    restricted = set(
        Fund.objects.filter(pk__in={d.fund_id for d in disbursements}, is_restricted=True)
        .values_list("pk", flat=True)
    )  # fmt: skip
    return [rules.disbursement_posting(d, restricted=d.fund_id in restricted)
            for d in disbursements]  # fmt: skip


def bank_match_postings(matches: Sequence) -> list[Posting]:
    from reconciliation.models import BankLine

    days, currencies = {}, {}
    for match_id, booked_on, currency in (
        BankLine.objects.filter(Q(match_id__in=[m.pk for m in matches]))
        .values_list("match_id", "booked_on", "account__currency")
    ):  # fmt: skip
        days[match_id] = max(days.get(match_id, booked_on), booked_on)
        currencies[match_id] = currency
    out = []
    for m in matches:
        if m.pk not in days:  # undone: its lines are free again; the day it was made
            on, currency = m.at.date(), ""
        else:
            on, currency = days[m.pk], currencies[m.pk]
        out.append(rules.bank_match_posting(m, on=on, currency=currency))
    return out


CHUNK = 5_000


def _chunked(queryset, derive) -> Iterator[Posting]:
    items = []
    for item in queryset.iterator(chunk_size=CHUNK):
        items.append(item)
        if len(items) == CHUNK:
            yield from derive(items)
            items = []
    if items:
        yield from derive(items)


def every_posting() -> Iterator[Posting]:
    """What the whole ledger should hold, document by document."""
    from donors.models import Gift, GiftBatch
    from payments.models import Dispute, Payment, Payout, Refund
    from reconciliation.models import BankMatch
    from sponsorships.models import Disbursement, SponsorPayment

    yield from _chunked(Gift.objects.order_by("pk"), gift_postings)
    yield from (rules.payment_posting(p) for p in Payment.objects.order_by("pk").iterator())
    yield from _chunked(Refund.objects.order_by("pk"), refund_postings)
    yield from _chunked(Dispute.objects.order_by("pk"), dispute_postings)
    yield from (rules.payout_posting(p) for p in Payout.objects.order_by("pk").iterator())
    yield from _chunked(GiftBatch.objects.order_by("pk"), deposit_postings)
    yield from _chunked(SponsorPayment.objects.select_related("sponsor").order_by("pk"),
                        sponsor_payment_postings)  # fmt: skip
    yield from _chunked(Disbursement.objects.order_by("pk"), disbursement_postings)
    yield from _chunked(BankMatch.objects.select_related("difference_account").order_by("pk"),
                        bank_match_postings)  # fmt: skip
