"""One handler per kind of Stripe event. Each runs inside the transaction that marks its event
processed, returns a short outcome for the staff list, and is idempotent: run twice, late or
out of order, it leaves the books as once. Rules they share:

- one Payment (and one Gift) per payment intent, enforced by unique constraints;
- refunds and disputes are mirrored from Stripe's current objects, never added up from events;
- a refund or dispute for a payment we have not recorded yet waits (Waiting) until the
  payment is recorded, then runs again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.utils import timezone

from backoffice.lookups import one_or_none
from backoffice.money import money_label
from donors.models import Donor, Gift, RecurringPlan
from donors.services import donor_address_from_checkout, gift_record, gift_set_refunded
from ledger import services as ledger
from payments.models import (
    Dispute,
    Donation,
    Payment,
    Payout,
    Refund,
    StripeCustomer,
    StripeEvent,
)
from payments.queue import schedule_drain
from payments.source import StripeSource
from payments.stripe_api import object_id


class WaitForPayment(Exception):
    """The event is about a payment we have not recorded yet; it runs again once we have."""

    def __init__(self, waiting_for: str):
        super().__init__(f"waiting for payment {waiting_for} to be recorded")
        self.waiting_for = waiting_for


Handler = Callable[[dict, StripeEvent, StripeSource], str]
HANDLERS: dict[str, Handler] = {}


# Invoices that are not recurring gifts belong to other apps (sponsorship instalments): an
# app registers, in its AppConfig.ready, what to do with invoices whose metadata["kind"] is
# its own. payments knows no more of them than that.
InvoiceHandler = Callable[[dict], str]
INVOICE_KINDS: dict[str, dict[str, InvoiceHandler]] = {}


def register_invoice_kind(kind: str, *, paid: InvoiceHandler, changed: InvoiceHandler) -> None:
    INVOICE_KINDS[kind] = {"paid": paid, "changed": changed}


def _invoice_kind(invoice: dict, what: str) -> InvoiceHandler | None:
    kind = (invoice.get("metadata") or {}).get("kind")
    return INVOICE_KINDS.get(kind, {}).get(what) if kind else None


def handles(*types: str):
    def register(fn: Handler) -> Handler:
        for t in types:
            HANDLERS[t] = fn
        return fn

    return register


def _when(timestamp: int | None) -> dt.datetime:
    if not timestamp:
        return timezone.now()
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)


def _donation_from_metadata(metadata: dict | None) -> Donation | None:
    raw = (metadata or {}).get("donation_id")
    if not raw or not str(raw).isdigit():
        return None
    # Locked so that two events about one payment, processed at once, record it once.
    return one_or_none(Donation.objects.select_for_update().filter(pk=int(raw)))


# --- donors ----------------------------------------------------------------------------


def _split_name(name: str) -> tuple[str, str]:
    parts = (name or "").split()
    if len(parts) < 2:
        return "", (parts[0] if parts else "")
    return " ".join(parts[:-1]), parts[-1]


def donor_for_customer(
    *,
    customer_id: str,
    email: str,
    name: str,
    donation: Donation | None,
    source: StripeSource | None = None,
) -> Donor:
    """The donor behind a Stripe customer: the one already linked, the signed-in donor who
    started the checkout, the donor with the same e-mail, or a new donor. The customer id is
    kept so the next payment finds the donor at once."""
    if customer_id:
        link = StripeCustomer.objects.select_related("donor").filter(customer_id=customer_id)
        if (found := one_or_none(link)) is not None:
            return _unmerged(found.donor)
    donor = donation.donor if donation and donation.donor_id else None
    if donor is None and not email and customer_id and source is not None:
        customer = source.fetch("customer", customer_id)  # who it is, when the event says not
        email, name = customer.get("email") or "", name or customer.get("name") or ""
    email = (email or "").strip().lower()
    if donor is None and email:
        donor = one_or_none(Donor.objects.filter(email=email))
    if donor is None:
        first, last = _split_name(name)
        donor = Donor(first_name=first, last_name=last or email.split("@")[0] or "Online donor")
        donor.email = email or None
        donor.save()
    donor = _unmerged(donor)
    if customer_id:  # one statement; when two events link at once, the first link stays
        StripeCustomer.objects.bulk_create(
            [StripeCustomer(customer_id=customer_id, donor=donor, email=email)],
            ignore_conflicts=True,
        )
    return donor


def _unmerged(donor: Donor) -> Donor:
    while donor.merged_into_id:
        donor = donor.merged_into
    return donor


# --- payments --------------------------------------------------------------------------


def _method(charge: dict) -> str:
    kind = (charge.get("payment_method_details") or {}).get("type", "card")
    if kind in ("sepa_debit", "us_bank_account", "acss_debit", "bacs_debit", "au_becs_debit"):
        return Gift.Method.BANK_TRANSFER
    return Gift.Method.CARD


def record_payment(
    *,
    payment_intent: dict,
    source: StripeSource,
    donation: Donation | None = None,
    plan: RecurringPlan | None = None,
    invoice_id: str = "",
    customer_email: str = "",
    customer_name: str = "",
) -> tuple[Payment, bool]:
    """The Payment and posted Gift for a succeeded payment intent, created once."""
    pi_id = payment_intent["id"]
    existing = one_or_none(Payment.objects.filter(payment_intent_id=pi_id))
    if existing is not None:
        return existing, False
    charge = source.fetch("charge", payment_intent.get("latest_charge"))
    if not charge and isinstance(payment_intent.get("charges"), dict):  # older API shapes
        charge = (payment_intent["charges"].get("data") or [{}])[0]
    balance = source.fetch("balance_transaction", (charge or {}).get("balance_transaction"))
    amount = int(payment_intent.get("amount_received") or payment_intent["amount"])
    currency = payment_intent["currency"].upper()
    billing = (charge or {}).get("billing_details") or {}
    donor = donor_for_customer(
        customer_id=object_id(payment_intent.get("customer")),
        email=customer_email or billing.get("email") or payment_intent.get("receipt_email") or "",
        name=customer_name or billing.get("name") or "",
        donation=donation,
        source=source,
    )
    # Before the gift is recorded: its receipt, issued as it posts, prints the address.
    donor_address_from_checkout(donor=donor, address=billing.get("address"))
    fund = donation.fund if donation else plan.fund
    campaign_id = donation.campaign_id if donation else plan.campaign_id  # no need to load it
    paid_at = _when((charge or {}).get("created") or payment_intent.get("created"))
    gift = Gift(
        donor=donor,
        amount=amount,
        currency=currency,
        received_on=timezone.localdate(paid_at),
        method=_method(charge or {}),
        campaign_id=campaign_id,
        external_reference=pi_id,
        recurring_plan=plan,
        referral_code=donation.referral_code if donation else "",
        tribute_type=donation.tribute_type if donation else "",
        tribute_name=donation.tribute_name if donation else "",
        notes="Online gift through Stripe"
        + (" (the donor covered the processing fee)" if donation and donation.fee_cover else ""),
    )
    gift.paid_through_stripe = True  # its money is in Stripe clearing, not at the bank
    gift_record(gift=gift, split=[(fund, amount)], by=None)
    rate = balance.get("exchange_rate")
    payment = Payment.objects.create(
        gift=gift,
        donation=donation,
        payment_intent_id=pi_id,
        charge_id=object_id(charge.get("id")) if charge else "",
        invoice_id=invoice_id,
        subscription_id=plan.external_reference if plan else "",
        balance_transaction_id=object_id((charge or {}).get("balance_transaction")),
        amount=amount,
        currency=currency,
        fee=balance.get("fee"),
        net=balance.get("net"),
        settlement_currency=(balance.get("currency") or "").upper(),
        exchange_rate=Decimal(str(rate)) if rate is not None else None,
        paid_at=paid_at,
    )
    ledger.post_payment(payment, new=True)
    _wake_waiting(pi_id, payment.charge_id)
    return payment, True


def _wake_waiting(*ids: str) -> None:
    """Events that arrived before this payment was recorded run again after the commit."""
    ids = [i for i in ids if i]
    woken = StripeEvent.objects.filter(status=StripeEvent.Status.WAITING, waiting_for__in=ids)
    if woken.update(status=StripeEvent.Status.RECEIVED, waiting_for=""):
        schedule_drain()


def _payment_for(*, charge_id: str, payment_intent_id: str, source: StripeSource) -> Payment:
    """The Payment a refund or dispute is about. If it is not recorded yet, record it now from
    Stripe's current payment intent when that came from our donation page; otherwise wait."""
    found = one_or_none(Payment.objects.filter(charge_id=charge_id)) if charge_id else None
    if found is None and payment_intent_id:
        found = one_or_none(Payment.objects.filter(payment_intent_id=payment_intent_id))
    if found is not None:
        return found
    if source.live and payment_intent_id:
        intent = source.fetch("payment_intent", payment_intent_id)
        donation = _donation_from_metadata(intent.get("metadata"))
        if donation is not None and intent.get("status") == "succeeded":
            return record_payment(payment_intent=intent, source=source, donation=donation)[0]
    raise WaitForPayment(payment_intent_id or charge_id)


def mirror_refund(*, payment: Payment, refund: dict) -> Refund:
    """Our copy of a Stripe refund, as Stripe has it now."""
    row, _ = Refund.objects.update_or_create(
        refund_id=refund["id"],
        defaults={
            "payment": payment,
            "amount": refund["amount"],
            "currency": refund["currency"].upper(),
            "status": refund.get("status") or "pending",
            "reason": refund.get("reason") or "",
            "balance_transaction_id": object_id(refund.get("balance_transaction")),
            "created": _when(refund.get("created")),
        },
    )
    ledger.post_refund(row)
    return row


def settle_gift_refunds(payment: Payment) -> None:
    """The gift's refunded total: succeeded and pending refunds plus lost chargebacks."""
    payment.amount_refunded = sum(
        r.amount for r in payment.refunds.all() if r.status not in ("failed", "canceled")
    )
    payment.disputed_amount_lost = sum(
        d.amount for d in payment.disputes.all() if d.status == "lost"
    )
    payment.save(update_fields=["amount_refunded", "disputed_amount_lost"])
    total = min(payment.amount, payment.amount_refunded + payment.disputed_amount_lost)
    gift_set_refunded(gift=payment.gift, refunded_amount=total, by=None)


# --- checkout --------------------------------------------------------------------------


@handles("checkout.session.completed", "checkout.session.async_payment_succeeded")
def checkout_completed(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    session = source.current(obj)
    donation = _donation_from_metadata(session.get("metadata"))
    if donation is None:
        return "ignored: not a checkout from our donation page"
    details = session.get("customer_details") or {}
    email, name = details.get("email") or "", details.get("name") or ""
    donation.checkout_session_id = donation.checkout_session_id or session["id"]
    paid_by = object_id(session.get("payment_intent"))
    done = Payment.objects.filter(payment_intent_id=paid_by).values_list(
        "gift_id", "gift__donor_id"
    )
    if paid_by and (booked := one_or_none(done)) is not None:  # payment_intent.succeeded was first
        donation.donor_id = donation.donor_id or booked[1]
        donation.status = Donation.Status.PAID
        donation.save(update_fields=["donor", "status", "checkout_session_id", "updated_at"])
        return f"gift #{booked[0]} already recorded"
    customer_id = object_id(session.get("customer"))
    if donation.donor_id is None or customer_id:
        donation.donor = donor_for_customer(
            customer_id=customer_id, email=email, name=name, donation=donation
        )
    if donation.donor_id:
        donor_address_from_checkout(donor=donation.donor, address=details.get("address"))
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        if donation.status != Donation.Status.PAID:
            donation.status = Donation.Status.AWAITING_PAYMENT
        donation.save()
        return f"donation #{donation.pk} awaits payment"
    donation.status = Donation.Status.PAID
    if session.get("mode") == "subscription":
        donation.subscription_id = object_id(session.get("subscription"))
        donation.save()
        plan = _plan_for_donation(donation, source.fetch("subscription", session["subscription"]))
        return f"donation #{donation.pk} paid; recurring plan #{plan.pk}"
    donation.save()
    intent = source.fetch("payment_intent", session.get("payment_intent"))
    if not intent:
        raise RuntimeError(f"checkout session {session['id']} has no payment intent to read")
    payment, created = record_payment(
        payment_intent=intent, source=source, donation=donation, customer_email=email,
        customer_name=name,
    )  # fmt: skip
    return f"gift #{payment.gift_id} {'recorded' if created else 'already recorded'}"


@handles("checkout.session.async_payment_failed")
def checkout_payment_failed(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    session = source.current(obj)
    donation = _donation_from_metadata(session.get("metadata"))
    if donation is None:
        return "ignored: not a checkout from our donation page"
    if donation.status != Donation.Status.PAID:
        donation.status = Donation.Status.FAILED
        donation.error = "The bank debit failed."
        donation.save()
    return f"donation #{donation.pk} {donation.status}"


@handles("checkout.session.expired")
def checkout_expired(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    donation = _donation_from_metadata(obj.get("metadata"))
    if donation is None:
        return "ignored: not a checkout from our donation page"
    if donation.status in (Donation.Status.CREATED, Donation.Status.OPEN):
        donation.status = Donation.Status.EXPIRED
        donation.save()
    return f"donation #{donation.pk} {donation.status}"


@handles("payment_intent.succeeded")
def payment_intent_succeeded(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    intent = source.current(obj)
    donation = _donation_from_metadata(intent.get("metadata"))
    if donation is None:
        return "ignored: not from our donation page (instalments arrive as invoice.paid)"
    if intent.get("status") != "succeeded":
        return f"ignored: payment intent is {intent.get('status')} now"
    payment, created = record_payment(payment_intent=intent, source=source, donation=donation)
    if donation.status != Donation.Status.PAID or donation.donor_id is None:
        donation.status = Donation.Status.PAID
        donation.donor_id = donation.donor_id or payment.gift.donor_id
        donation.save(update_fields=["status", "donor", "updated_at"])
    return f"gift #{payment.gift_id} {'recorded' if created else 'already recorded'}"


@handles("payment_intent.payment_failed")
def payment_intent_failed(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    donation = _donation_from_metadata(obj.get("metadata"))
    if donation is None:
        return "ignored: not from our donation page"
    message = ((obj.get("last_payment_error") or {}).get("message") or "Payment failed.")[:300]
    if donation.status != Donation.Status.PAID:
        donation.error = message
        donation.save()
    return f"donation #{donation.pk}: {message}"


# --- refunds and disputes --------------------------------------------------------------


@handles("charge.refunded", "charge.refund.updated", "refund.created", "refund.updated",
         "refund.failed")  # fmt: skip
def refund_changed(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    if obj.get("object") == "charge":
        charge = source.current(obj)
    else:
        charge = source.fetch("charge", obj.get("charge")) or {"id": object_id(obj.get("charge"))}
    payment = _payment_for(
        charge_id=charge.get("id") or "",
        payment_intent_id=object_id(charge.get("payment_intent") or obj.get("payment_intent")),
        source=source,
    )
    refunds = source.refunds_of(charge) if source.live else _refunds_in_event(obj, charge)
    for refund in refunds:
        mirror_refund(payment=payment, refund=refund)
    settle_gift_refunds(payment)
    refunded = money_label(payment.amount_refunded, payment.currency)
    return f"gift #{payment.gift_id}: {refunded} refunded in all"


def _refunds_in_event(obj: dict, charge: dict) -> list[dict]:
    if obj.get("object") == "refund":
        return [obj]
    listed = charge.get("refunds")
    return list(listed.get("data", [])) if isinstance(listed, dict) else []


@handles("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
         "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated")  # fmt: skip
def dispute_changed(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    dispute = source.current(obj)  # a Dispute, not a Charge
    payment = _payment_for(
        charge_id=object_id(dispute.get("charge")),
        payment_intent_id=object_id(dispute.get("payment_intent")),
        source=source,
    )
    movements = dispute.get("balance_transactions") or []
    row, _ = Dispute.objects.get_or_create(
        dispute_id=dispute["id"],
        defaults={
            "payment": payment,
            "amount": dispute["amount"],
            "currency": dispute["currency"].upper(),
            "status": dispute["status"],
            "created": _when(dispute.get("created")),
        },
    )
    row.amount = dispute["amount"]
    row.status = dispute["status"]
    row.reason = dispute.get("reason") or ""
    # Stripe adds one balance transaction when it withdraws the funds, another on reinstating.
    row.funds_withdrawn = (
        row.funds_withdrawn
        or len(movements) >= 1
        or (event.type == "charge.dispute.funds_withdrawn")
    )
    row.funds_reinstated = (
        row.funds_reinstated
        or len(movements) >= 2
        or (event.type == "charge.dispute.funds_reinstated")
    )
    due = (dispute.get("evidence_details") or {}).get("due_by")
    row.evidence_due_by = _when(due) if due else None
    row.save()
    ledger.post_dispute(row)
    settle_gift_refunds(payment)
    return f"gift #{payment.gift_id}: dispute {row.status}"


# --- recurring gifts -------------------------------------------------------------------

_PLAN_STATUS = {
    "active": RecurringPlan.Status.ACTIVE,
    "trialing": RecurringPlan.Status.ACTIVE,
    "past_due": RecurringPlan.Status.FAILING,
    "unpaid": RecurringPlan.Status.FAILING,
    "paused": RecurringPlan.Status.PAUSED,
    "canceled": RecurringPlan.Status.CANCELLED,
    "incomplete_expired": RecurringPlan.Status.CANCELLED,
}


def _subscription_terms(subscription: dict) -> tuple[int | None, str, int | None]:
    """(amount, interval, end of the current period) of a subscription's first item."""
    items = (subscription.get("items") or {}).get("data") or []
    if not items:
        return None, "", subscription.get("current_period_end")
    item = items[0]
    price = item.get("price") or item.get("plan") or {}
    unit = price.get("unit_amount") if "unit_amount" in price else price.get("amount")
    amount = unit * int(item.get("quantity") or 1) if unit is not None else None
    interval = (price.get("recurring") or {}).get("interval") or price.get("interval") or ""
    period_end = item.get("current_period_end") or subscription.get("current_period_end")
    return amount, interval, period_end


def _apply_subscription(plan: RecurringPlan, subscription: dict) -> None:
    amount, interval, period_end = _subscription_terms(subscription)
    if amount:
        plan.amount = amount
    if interval in ("month", "year"):
        plan.interval = interval
    plan.status = _PLAN_STATUS.get(subscription.get("status"), plan.status)
    if period_end:
        plan.next_due_on = timezone.localdate(_when(period_end))
    if plan.status == RecurringPlan.Status.CANCELLED:
        ended = subscription.get("ended_at") or subscription.get("canceled_at")
        plan.ended_on = timezone.localdate(_when(ended))
        plan.next_due_on = None
    plan.save()


def _plan_for_donation(donation: Donation, subscription: dict) -> RecurringPlan:
    sub_id = donation.subscription_id or subscription.get("id")
    plan = one_or_none(RecurringPlan.objects.select_for_update().filter(external_reference=sub_id))
    if plan is None:
        plan = RecurringPlan(
            donor=donation.donor,
            amount=donation.total,
            currency=donation.currency,
            interval=donation.frequency,
            fund=donation.fund,
            campaign=donation.campaign,
            started_on=timezone.localdate(_when(subscription.get("start_date"))),
            external_reference=sub_id,
        )
        plan.save()
    if subscription:
        _apply_subscription(plan, subscription)
    return plan


def _plan_for_subscription(sub_id: str, source: StripeSource, fallback: dict | None = None):
    plan = one_or_none(RecurringPlan.objects.select_for_update().filter(external_reference=sub_id))
    if plan is not None:
        return plan
    subscription = source.fetch("subscription", sub_id) or fallback or {}
    donation = _donation_from_metadata(subscription.get("metadata"))
    if donation is None:
        return None
    if donation.donor_id is None:
        donation.donor = donor_for_customer(
            customer_id=object_id(subscription.get("customer")), email="", name="",
            donation=donation, source=source,
        )  # fmt: skip
    donation.subscription_id = sub_id
    donation.save()
    return _plan_for_donation(donation, subscription)


def _invoice_subscription(invoice: dict) -> str:
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    return object_id(invoice.get("subscription") or parent.get("subscription"))


def _invoice_payment_intent(invoice: dict) -> str | dict:
    """The payment intent that paid an invoice (an id, or the object when expanded)."""
    if invoice.get("payment_intent"):  # API versions before 2025-03
        return invoice["payment_intent"]
    for line in (invoice.get("payments") or {}).get("data") or []:
        paid = line.get("payment") or {}
        if paid.get("payment_intent"):
            return paid["payment_intent"]
    return ""


@handles("invoice.paid")
def invoice_paid(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    invoice = source.current(obj, expand=["payments"]) if source.live else obj
    if handler := _invoice_kind(invoice, "paid"):
        return handler(invoice)
    if not invoice.get("amount_paid"):
        return "ignored: nothing was paid (a free period)"
    sub_id = _invoice_subscription(invoice)
    plan = _plan_for_subscription(sub_id, source) if sub_id else None
    if plan is None:
        return "ignored: not a recurring gift from our donation page"
    paid_by = _invoice_payment_intent(invoice)
    if not paid_by:
        raise RuntimeError(f"invoice {invoice['id']} names no payment intent")
    intent = source.fetch("payment_intent", paid_by) or {
        "id": object_id(paid_by),
        "amount": invoice["amount_paid"],
        "amount_received": invoice["amount_paid"],
        "currency": invoice["currency"],
        "customer": invoice.get("customer"),
        "created": invoice.get("created"),
        "latest_charge": invoice.get("charge"),
    }
    if not intent.get("customer"):
        intent["customer"] = invoice.get("customer")
    payment, created = record_payment(
        payment_intent=intent, source=source, plan=plan, invoice_id=invoice["id"],
        customer_email=invoice.get("customer_email") or "",
        customer_name=invoice.get("customer_name") or "",
    )  # fmt: skip
    if plan.status == RecurringPlan.Status.FAILING:
        plan.status = RecurringPlan.Status.ACTIVE
        plan.save()
    return f"instalment gift #{payment.gift_id} {'recorded' if created else 'already recorded'}"


@handles("invoice.finalized", "invoice.voided", "invoice.marked_uncollectible")
def invoice_changed(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    invoice = source.current(obj) if source.live else obj
    if handler := _invoice_kind(invoice, "changed"):
        return handler(invoice)
    return "ignored: not an invoice another app asked for"


@handles("invoice.payment_failed")
def invoice_payment_failed(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    sub_id = _invoice_subscription(obj)
    plan = _plan_for_subscription(sub_id, source) if sub_id else None
    if plan is None:
        return "ignored: not a recurring gift from our donation page"
    invoice = source.current(obj)
    if invoice.get("status") != "paid" and plan.status == RecurringPlan.Status.ACTIVE:
        plan.status = RecurringPlan.Status.FAILING
        plan.save()
    return f"recurring plan #{plan.pk} {plan.status}"


@handles("customer.subscription.created", "customer.subscription.updated",
         "customer.subscription.deleted", "customer.subscription.paused",
         "customer.subscription.resumed")  # fmt: skip
def subscription_changed(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    subscription = source.current(obj)
    plan = _plan_for_subscription(subscription["id"], source, fallback=subscription)
    if plan is None:
        return "ignored: not a recurring gift from our donation page"
    _apply_subscription(plan, subscription)
    return f"recurring plan #{plan.pk} {plan.status}"


# --- payouts ---------------------------------------------------------------------------


@handles("payout.created", "payout.updated", "payout.paid", "payout.failed",
         "payout.canceled", "payout.reconciliation_completed")  # fmt: skip
def payout_changed(obj: dict, event: StripeEvent, source: StripeSource) -> str:
    row = payout_upsert(source.current(obj))
    return f"payout {row.payout_id} {row.status}"


def payout_upsert(payout: dict) -> Payout:
    """Our copy of a Stripe payout (from an event or a sync), as Stripe has it now."""
    row, _ = Payout.objects.update_or_create(
        payout_id=payout["id"],
        defaults={
            "amount": payout["amount"],
            "currency": payout["currency"].upper(),
            "status": payout["status"],
            "arrival_date": timezone.localdate(_when(payout.get("arrival_date"))),
            "reconciliation_status": payout.get("reconciliation_status") or "",
            "failure_message": (payout.get("failure_message") or "")[:300],
            "created": _when(payout.get("created")),
        },
    )
    ledger.post_payout(row)
    return row
