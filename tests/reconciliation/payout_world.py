"""Payouts in the fake Stripe world, and the gifts' payments we recorded for their charges:
Stripe-shaped balance transactions (charges, refunds, disputes, fees) paid out together."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from payments.models import Dispute, Payment, Refund
from payments.simulation import StripeWorld
from tests.factories import posted_gift


def charge(world: StripeWorld, amount: int, currency: str = "usd") -> tuple[dict, dict]:
    ch = world.put({"id": world.new_id("ch"), "object": "charge", "amount": amount,
                    "currency": currency, "created": world.tick()})  # fmt: skip
    fee = world.fee_for(amount)
    txn = world.put({"id": world.new_id("txn"), "object": "balance_transaction",
                     "type": "charge", "amount": amount, "fee": fee, "net": amount - fee,
                     "currency": currency, "source": ch["id"], "created": world.clock,
                     "exchange_rate": None})  # fmt: skip
    return ch, txn


def refund(world: StripeWorld, ch: dict, amount: int) -> tuple[dict, dict]:
    re_ = world.put({"id": world.new_id("re"), "object": "refund", "amount": amount,
                     "currency": ch["currency"], "charge": ch["id"],
                     "created": world.tick()})  # fmt: skip
    txn = world.put({"id": world.new_id("txn"), "object": "balance_transaction",
                     "type": "refund", "amount": -amount, "fee": 0, "net": -amount,
                     "currency": ch["currency"], "source": re_["id"], "created": world.clock,
                     "exchange_rate": None})  # fmt: skip
    return re_, txn


def dispute(world: StripeWorld, ch: dict) -> tuple[dict, dict]:
    du = world.put({"id": world.new_id("du"), "object": "dispute", "amount": ch["amount"],
                    "currency": ch["currency"], "charge": ch["id"],
                    "created": world.tick()})  # fmt: skip
    txn = world.put({"id": world.new_id("txn"), "object": "balance_transaction",
                     "type": "adjustment", "amount": -ch["amount"], "fee": 1500,
                     "net": -ch["amount"] - 1500, "currency": ch["currency"],
                     "source": du["id"], "created": world.clock,
                     "exchange_rate": None})  # fmt: skip
    return du, txn


def pay_out(world: StripeWorld, txns: list[dict], currency: str = "usd") -> dict:
    amount = sum(t["net"] for t in txns)
    payout = world.put({"id": world.new_id("po"), "object": "payout", "amount": amount,
                        "currency": currency, "status": "paid", "created": world.tick(),
                        "arrival_date": world.clock + 86400, "reconciliation_status":
                        "completed", "failure_message": None})  # fmt: skip
    for txn in txns:
        txn["payout"] = payout["id"]
    world.put({"id": world.new_id("txn"), "object": "balance_transaction", "type": "payout",
               "amount": -amount, "fee": 0, "net": -amount, "currency": currency,
               "source": payout["id"], "created": world.clock, "payout": payout["id"],
               "exchange_rate": None})  # fmt: skip
    return payout


def recorded(ch: dict, *, amount: int | None = None) -> Payment:
    """The gift and payment our webhook handlers would have recorded for a charge."""
    gift = posted_gift(amount=amount or ch["amount"], currency=ch["currency"].upper())
    return Payment.objects.create(
        gift=gift, payment_intent_id=f"pi_for_{ch['id']}", charge_id=ch["id"],
        amount=amount or ch["amount"], currency=ch["currency"].upper(), paid_at=timezone.now(),
    )  # fmt: skip


def recorded_refund(re_: dict, payment: Payment) -> Refund:
    return Refund.objects.create(refund_id=re_["id"], payment=payment, amount=re_["amount"],
                                 currency=payment.currency, status="succeeded",
                                 created=timezone.now())  # fmt: skip


def recorded_dispute(du: dict, payment: Payment) -> Dispute:
    return Dispute.objects.create(dispute_id=du["id"], payment=payment, amount=du["amount"],
                                  currency=payment.currency, status="lost",
                                  created=timezone.now() - dt.timedelta(days=1))  # fmt: skip
