"""The posting rules: what each source document puts in the books, as it stands now.

A rule reads one document and returns the lines it should have in the ledger in all
(debits positive, credits negative). Posting (ledger.services) compares that with what the
ledger holds for the document and posts the difference, so the same rules serve the first
posting, every later change (a void, a refund, an application of a sponsor's credit) and
the auditor's rebuild. The README has them as a table.

Accounts are named by role (ROLE_ACCOUNTS, overridable in settings.LEDGER_ACCOUNTS); a
fund's income goes to its own `gl_account`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

ROLE_ACCOUNTS = {
    "bank": "1000", "undeposited": "1020", "stripe_clearing": "1050",
    "currency_exchange": "1090", "in_kind": "1500",
    "unapplied": "2300", "released_with": "3900", "released_without": "3910",
    "sponsorship_income": "4500", "grants_paid": "5100", "stripe_fees": "6100",
    "bank_charges": "6150",
}  # fmt: skip

# Where an offline gift's money is, by its method.
GIFT_LANDS_IN = {"cheque": "undeposited", "cash": "undeposited", "in_kind": "in_kind",
                 "stock": "in_kind"}  # fmt: skip
DEPOSITED_METHODS = ("cheque", "cash")


def role(name: str) -> str:
    return {**ROLE_ACCOUNTS, **getattr(settings, "LEDGER_ACCOUNTS", {})}[name]


# (account code, currency, fund id or None) -> amount
Key = tuple[str, str, int | None]


@dataclass
class Posting:
    """What one document should hold in the ledger."""

    source_type: str
    source_id: int
    on: dt.date
    memo: str
    reference: str = ""
    amounts: dict[Key, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, account: str, currency: str, amount: int, fund: int | None = None) -> None:
        if amount:
            self.amounts[(account, currency, fund)] += amount

    def net(self) -> dict[Key, int]:
        return {k: v for k, v in self.amounts.items() if v}


def split_in_proportion(total: int, weights: list[tuple[object, int]]) -> list[tuple[object, int]]:
    """`total` shared in proportion to the weights, adding up exactly (the remainder to
    the largest parts first)."""
    whole = sum(w for _, w in weights) or 1
    shares = [[key, total * w // whole] for key, w in weights]
    left = total - sum(s for _, s in shares)
    for i in sorted(range(len(weights)), key=lambda i: -weights[i][1])[:left]:
        shares[i][1] += 1
    return [(k, s) for k, s in shares if s]


# --- gifts and Stripe --------------------------------------------------------------------


def gift_posting(gift, *, online: bool, splits: list[tuple[int, str, int]]) -> Posting:
    """A posted gift: debit where the money is, credit each fund's income for its split.
    `splits`: (fund id, income account, amount). Pending and void gifts hold nothing."""
    posting = Posting("gift", gift.pk, gift.received_on, f"Gift #{gift.pk}",
                      gift.external_reference)  # fmt: skip
    if gift.status != "posted":
        return posting
    where = "stripe_clearing" if online else GIFT_LANDS_IN.get(gift.method, "bank")
    posting.add(role(where), gift.currency, gift.amount)
    for fund_id, account, amount in splits:
        posting.add(account, gift.currency, -amount, fund_id)
    return posting


def payment_posting(payment) -> Posting:
    """Stripe's fee on a payment, in the currency it settled in. A payment Stripe converted
    (a gift in euros settled in dollars) also moves out of clearing in the gift's currency
    and into clearing in the settlement currency, through the currency exchange account:
    each currency balances, and clearing comes back to zero in both once paid out."""
    posting = Posting("payment", payment.pk, timezone.localdate(payment.paid_at),
                      f"Stripe fee on gift #{payment.gift_id}", payment.charge_id)  # fmt: skip
    currency = payment.settlement_currency or payment.currency
    if currency != payment.currency and payment.net is not None:
        settled = payment.net + (payment.fee or 0)
        posting.add(role("currency_exchange"), payment.currency, payment.amount)
        posting.add(role("stripe_clearing"), payment.currency, -payment.amount)
        posting.add(role("stripe_clearing"), currency, settled)
        posting.add(role("currency_exchange"), currency, -settled)
    if payment.fee:
        posting.add(role("stripe_fees"), currency, payment.fee)
        posting.add(role("stripe_clearing"), currency, -payment.fee)
    return posting


def _money_back(posting: Posting, amount: int, currency: str, splits) -> Posting:
    """A gift's money going back: each fund's income reduced in proportion to the split."""
    weights = [((fund_id, account), share) for fund_id, account, share in splits]
    for (fund_id, account), share in split_in_proportion(amount, weights):
        posting.add(account, currency, share, fund_id)
    posting.add(role("stripe_clearing"), currency, -amount)
    return posting


def refund_posting(refund, *, splits) -> Posting:
    posting = Posting("refund", refund.pk, timezone.localdate(refund.created),
                      f"Refund {refund.refund_id} of gift #{refund.payment.gift_id}",
                      refund.refund_id)  # fmt: skip
    if refund.status in ("failed", "canceled"):
        return posting
    return _money_back(posting, refund.amount, refund.currency, splits)


def dispute_posting(dispute, *, splits) -> Posting:
    posting = Posting(
        "dispute",
        dispute.pk,
        timezone.localdate(dispute.created),
        f"Dispute {dispute.dispute_id} on gift #{dispute.payment.gift_id}",
        dispute.dispute_id,
    )
    if not dispute.funds_withdrawn or dispute.funds_reinstated:
        return posting
    return _money_back(posting, dispute.amount, dispute.currency, splits)


def payout_posting(payout) -> Posting:
    posting = Posting("payout", payout.pk, payout.arrival_date,
                      f"Stripe payout {payout.payout_id}", payout.payout_id)  # fmt: skip
    if payout.status == "paid":
        posting.add(role("bank"), payout.currency, payout.amount)
        posting.add(role("stripe_clearing"), payout.currency, -payout.amount)
    return posting


# --- offline money -----------------------------------------------------------------------


def deposit_posting(batch, *, undeposited_total: int) -> Posting:
    """A closed batch's cheques and cash, banked: from undeposited funds to the bank."""
    posting = Posting("deposit", batch.pk, batch.deposited_on, f"Deposit {batch.reference}",
                      batch.reference)  # fmt: skip
    if batch.status == "closed" and undeposited_total:
        posting.add(role("bank"), batch.currency, undeposited_total)
        posting.add(role("undeposited"), batch.currency, -undeposited_total)
    return posting


def sponsor_payment_posting(payment, *, applied: list[tuple[int | None, str, int]]) -> Posting:
    """A sponsor's money: into the bank (Stripe clearing when paid on a Stripe invoice),
    income of the agreement's fund for what is applied to instalments, and a liability
    for what is not applied yet. `applied`: (fund id, income account, amount)."""
    posting = Posting("sponsor_payment", payment.pk, payment.received_on,
                      f"Sponsor payment from {payment.sponsor}", payment.reference)  # fmt: skip
    where = "stripe_clearing" if payment.method == "stripe" else "bank"
    posting.add(role(where), payment.currency, payment.amount)
    for fund_id, account, amount in applied:
        posting.add(account, payment.currency, -amount, fund_id)
    posting.add(
        role("unapplied"), payment.currency, -(payment.amount - sum(a for *_, a in applied))
    )
    return posting


def disbursement_posting(disbursement, *, restricted: bool) -> Posting:
    """Money paid out of a fund (a prize): an expense of the fund, out of the bank. Out of
    a restricted fund it also releases as much from restriction."""
    fund, currency, amount = disbursement.fund_id, disbursement.currency, disbursement.amount
    posting = Posting("disbursement", disbursement.pk, disbursement.paid_on,
                      f"Paid to {disbursement.payee}: {disbursement.purpose}"[:300])  # fmt: skip
    posting.add(role("grants_paid"), currency, amount, fund)
    posting.add(role("bank"), currency, -amount)
    if restricted:
        posting.add(role("released_with"), currency, amount, fund)
        posting.add(role("released_without"), currency, -amount, fund)
    return posting


def bank_match_posting(match, *, on: dt.date, currency: str) -> Posting:
    """The difference finance accepted on a bank match (a bank fee, an exchange difference):
    the bank moved by what the statement says, the rest to the account finance chose."""
    posting = Posting("bank_match", match.pk, on, f"Bank match #{match.pk}: {match.reason}"[:300])
    if match.undone_at is None and match.difference:
        posting.add(match.difference_account.code, currency, match.difference, None)
        posting.add(role("bank"), currency, -match.difference)
    return posting
