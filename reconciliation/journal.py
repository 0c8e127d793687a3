"""The journal for the accountant: one line per posting (date, account, debit, credit,
currency, memo, reference), each transaction balanced in its currency, the file too.

Postings:
- a gift: debit where the money is (Stripe clearing for online gifts, undeposited funds
  for cheques and cash, the bank for transfers, in-kind gifts to their own asset account),
  credit each fund's income account for its split;
- Stripe's fee: debit the fees account, credit Stripe clearing;
- a refund, and the money a lost dispute took: the gift reversed, in proportion to its split;
- a Stripe payout: debit the bank, credit Stripe clearing;
- a sponsor's payment: debit the bank (Stripe clearing when paid by invoice), credit the
  income account of the fund its agreement is restricted to, or sponsorship income.

Accounts are settings (JOURNAL_ACCOUNTS) with a small chart's numbers by default.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch

from backoffice.exports import csv_writer
from backoffice.money import to_major
from donors.models import Gift, GiftAllocation
from payments.models import Dispute, Payment, Payout, Refund

DEFAULT_ACCOUNTS = {
    "bank": "1000", "undeposited": "1020", "stripe_clearing": "1050", "in_kind": "1500",
    "stripe_fees": "6100", "sponsorship_income": "4500",
}  # fmt: skip

HEADER = ["Date", "Transaction", "Account", "Debit", "Credit", "Currency", "Memo", "Reference"]


def accounts() -> dict[str, str]:
    return {**DEFAULT_ACCOUNTS, **getattr(settings, "JOURNAL_ACCOUNTS", {})}


@dataclass(frozen=True)
class Posting:
    date: dt.date
    transaction: str
    account: str
    debit: int
    credit: int
    currency: str
    memo: str
    reference: str


def _split(total: int, parts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """`total` shared in proportion to `parts` (account, weight), adding up exactly (the
    remainder on the largest parts first)."""
    weight = sum(w for _, w in parts) or 1
    shares = [(account, total * w // weight) for account, w in parts]
    left = total - sum(s for _, s in shares)
    order = sorted(range(len(parts)), key=lambda i: -parts[i][1])
    for i in order[:left]:
        shares[i] = (shares[i][0], shares[i][1] + 1)
    return [s for s in shares if s[1]]


def _gift_postings(gift: Gift, acc: dict, online: bool) -> Iterator[Posting]:
    where = ("stripe_clearing" if online else
             {"cheque": "undeposited", "cash": "undeposited", "in_kind": "in_kind",
              "stock": "in_kind"}.get(gift.method, "bank"))  # fmt: skip
    txn, ref = f"gift-{gift.pk}", gift.external_reference or f"GIFT-{gift.pk}"
    memo = f"Gift #{gift.pk} from {gift.donor}"
    yield Posting(gift.received_on, txn, acc[where], gift.amount, 0, gift.currency, memo, ref)
    for allocation in gift.allocations.all():
        yield Posting(gift.received_on, txn, allocation.fund.gl_account, 0, allocation.amount,
                      gift.currency, memo, ref)  # fmt: skip


def _reversal(gift: Gift, amount: int, *, on: dt.date, txn: str, memo: str, ref: str,
              acc: dict) -> Iterator[Posting]:  # fmt: skip
    parts = [(a.fund.gl_account, a.amount) for a in gift.allocations.all()]
    for account, share in _split(amount, parts):
        yield Posting(on, txn, account, share, 0, gift.currency, memo, ref)
    yield Posting(on, txn, acc["stripe_clearing"], 0, amount, gift.currency, memo, ref)


def journal(*, start: dt.date, end: dt.date) -> list[Posting]:
    """Every posting from `start` to `end` (inclusive)."""
    acc = accounts()
    funds = GiftAllocation.objects.select_related("fund")
    allocations = Prefetch("allocations", queryset=funds)
    postings: list[Posting] = []
    gifts = (
        Gift.objects.filter(status=Gift.Status.POSTED, received_on__range=(start, end))
        .select_related("donor").prefetch_related(allocations).order_by("received_on", "pk")
    )  # fmt: skip
    online = set(Payment.objects.filter(gift__in=gifts).values_list("gift_id", flat=True))
    for gift in gifts:
        postings.extend(_gift_postings(gift, acc, gift.pk in online))
    for payment in Payment.objects.filter(paid_at__date__range=(start, end), fee__gt=0).order_by(
        "paid_at"
    ):
        currency = payment.settlement_currency or payment.currency
        memo, ref = f"Stripe fee on gift #{payment.gift_id}", payment.charge_id
        on = payment.paid_at.date()
        postings += [
            Posting(on, f"fee-{payment.pk}", acc["stripe_fees"], payment.fee, 0, currency,
                    memo, ref),
            Posting(on, f"fee-{payment.pk}", acc["stripe_clearing"], 0, payment.fee, currency,
                    memo, ref),
        ]  # fmt: skip
    gift_splits = Prefetch("payment__gift__allocations", queryset=funds)
    for refund in (
        Refund.objects.filter(created__date__range=(start, end))
        .select_related("payment__gift__donor")
        .prefetch_related(gift_splits)
    ):
        gift = refund.payment.gift
        postings += _reversal(gift, refund.amount, on=refund.created.date(),
                              txn=f"refund-{refund.pk}", memo=f"Refund of gift #{gift.pk}",
                              ref=refund.refund_id, acc=acc)  # fmt: skip
    for dispute in (
        Dispute.objects.filter(
            created__date__range=(start, end), funds_withdrawn=True, funds_reinstated=False
        )
        .select_related("payment__gift")
        .prefetch_related(gift_splits)
    ):
        gift = dispute.payment.gift
        postings += _reversal(gift, dispute.amount, on=dispute.created.date(),
                              txn=f"dispute-{dispute.pk}", memo=f"Dispute on gift #{gift.pk}",
                              ref=dispute.dispute_id, acc=acc)  # fmt: skip
    for payout in Payout.objects.filter(arrival_date__range=(start, end), status="paid"):
        memo, txn = "Stripe payout", f"payout-{payout.pk}"
        postings += [
            Posting(payout.arrival_date, txn, acc["bank"], payout.amount, 0, payout.currency,
                    memo, payout.payout_id),
            Posting(payout.arrival_date, txn, acc["stripe_clearing"], 0, payout.amount,
                    payout.currency, memo, payout.payout_id),
        ]  # fmt: skip
    postings += _sponsor_postings(start, end, acc)
    return postings


def _sponsor_postings(start: dt.date, end: dt.date, acc: dict) -> list[Posting]:
    from sponsorships.models import PaymentApplication, SponsorPayment

    out: list[Posting] = []
    payments = SponsorPayment.objects.filter(received_on__range=(start, end)).select_related(
        "sponsor"
    ).prefetch_related(Prefetch(
        "applications",
        queryset=PaymentApplication.objects.select_related("instalment__agreement__fund"),
    ))  # fmt: skip
    for payment in payments:
        txn, memo, ref = f"sponsor-{payment.pk}", f"Sponsor payment: {payment.sponsor}", (
            payment.reference or f"SP-{payment.pk}")  # fmt: skip
        where = acc["stripe_clearing"] if payment.method == "stripe" else acc["bank"]
        out.append(Posting(payment.received_on, txn, where, payment.amount, 0, payment.currency,
                           memo, ref))  # fmt: skip
        credits: dict[str, int] = defaultdict(int)
        for application in payment.applications.all():
            fund = application.instalment.agreement.fund
            credits[fund.gl_account if fund else acc["sponsorship_income"]] += application.amount
        if payment.credit:  # not applied yet: the sponsor's credit, income when applied
            credits[acc["sponsorship_income"]] += payment.credit
        out += [Posting(payment.received_on, txn, account, 0, amount, payment.currency, memo,
                        ref) for account, amount in credits.items()]  # fmt: skip
    return out


def unbalanced(postings: list[Posting]) -> list[str]:
    """The transactions whose debits and credits differ, per currency (empty: balanced)."""
    sums: dict[tuple[str, str], int] = defaultdict(int)
    for p in postings:
        sums[(p.transaction, p.currency)] += p.debit - p.credit
    return [f"{txn} ({currency}) is off by {diff}" for (txn, currency), diff in sums.items()
            if diff]  # fmt: skip


def journal_csv(postings: list[Posting]) -> str:
    """The CSV accounting tools import: decimals with a point, one posting a row."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(HEADER)
    for p in sorted(postings, key=lambda p: (p.date, p.transaction, -p.debit)):
        writer.writerow([
            p.date.isoformat(), p.transaction, p.account,
            to_major(p.debit, p.currency) if p.debit else "",
            to_major(p.credit, p.currency) if p.credit else "",
            p.currency, p.memo, p.reference,
        ])  # fmt: skip
    return out.getvalue()


def journal_export(*, start: dt.date, end: dt.date) -> tuple[str, int]:
    """The period's journal as CSV and its number of postings; refused (ValidationError
    naming the transactions) when it would not balance."""
    from django.core.exceptions import ValidationError

    if end < start:
        raise ValidationError("The period ends before it starts.")
    postings = journal(start=start, end=end)
    if problems := unbalanced(postings):
        raise ValidationError("The journal does not balance: " + "; ".join(problems[:10]))
    return journal_csv(postings), len(postings)
