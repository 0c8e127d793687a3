"""Instalments invoiced through Stripe Invoicing: Stripe hosts the invoice page (card or bank
transfer) and e-mails it; `invoice.paid` comes back through the webhook inbox and records
the payment against the instalment. Every POST carries an idempotency key derived from the
instalment, so a retry or a double click makes one invoice."""

from __future__ import annotations

import datetime as dt

import stripe
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from backoffice.money import money_label
from backoffice.permissions import require_permission
from payments.services import PaymentProviderError
from payments.stripe_api import (
    as_dict,
    failure_sentence,
    object_id,
    stripe_client,
    stripe_configured,
)
from sponsorships.models import Instalment, Sponsor, SponsorPayment
from sponsorships.services import payment_record

INVOICE_KIND = "sponsorship_instalment"  # metadata["kind"] on our instalment invoices


def _customer(api, sponsor: Sponsor) -> str:
    if sponsor.stripe_customer_id:
        return sponsor.stripe_customer_id
    customer = as_dict(api.customers.create(
        params={"name": sponsor.name, "email": sponsor.billing_email or None,
                "metadata": {"sponsor": str(sponsor.pk)}},
        options={"idempotency_key": f"sponsor-{sponsor.pk}-customer"},
    ))  # fmt: skip
    Sponsor.objects.filter(pk=sponsor.pk).update(stripe_customer_id=customer["id"])
    sponsor.stripe_customer_id = customer["id"]
    return customer["id"]


def instalment_invoice_stripe(
    *, instalment: Instalment, by, days_until_due: int = 30
) -> Instalment:
    """Invoice what an instalment still owes through Stripe and keep the invoice's id,
    status and hosted page. An instalment with an open Stripe invoice is not invoiced again."""
    require_permission(by, "sponsorships.change_instalment", to="invoice instalments")
    instalment = Instalment.objects.select_related("agreement__sponsor").get(pk=instalment.pk)
    agreement, sponsor = instalment.agreement, instalment.agreement.sponsor
    if instalment.stripe_invoice_id and instalment.invoice_status in ("open", "paid", "draft"):
        raise ValidationError(
            f"Instalment {instalment.number} already has Stripe invoice "
            f"{instalment.stripe_invoice_id} ({instalment.invoice_status})."
        )
    if instalment.open_amount <= 0:
        raise ValidationError(f"Instalment {instalment.number} owes nothing.")
    if not sponsor.billing_email:
        raise ValidationError({"billing_email": f"{sponsor} has no billing e-mail for invoices."})
    if not stripe_configured():
        raise ValidationError(
            "Stripe is not configured here (STRIPE_SECRET_KEY), so nothing can be invoiced "
            "through it: send the instalment's PDF invoice from the agreement's page instead."
        )
    key = f"instalment-{instalment.pk}-{instalment.stripe_invoice_id or 'first'}"
    try:
        api = stripe_client().v1
        customer = _customer(api, sponsor)
        invoice = as_dict(api.invoices.create(
            params={
                "customer": customer, "collection_method": "send_invoice",
                "days_until_due": days_until_due, "currency": agreement.currency.lower(),
                "auto_advance": True,
                "description": f"{agreement.title}: instalment {instalment.number} of "
                               f"{agreement.instalments.count()}",
                "metadata": {"kind": INVOICE_KIND, "instalment": str(instalment.pk)},
                "payment_settings": {"payment_method_types": ["card", "customer_balance"]},
            },
            options={"idempotency_key": f"{key}-invoice"},
        ))  # fmt: skip
        api.invoice_items.create(
            params={"customer": customer, "invoice": invoice["id"],
                    "amount": instalment.open_amount, "currency": agreement.currency.lower(),
                    "description": f"{agreement.title} · due {instalment.due_on:%Y-%m-%d}"},
            options={"idempotency_key": f"{key}-item"},
        )  # fmt: skip
        invoice = as_dict(api.invoices.finalize_invoice(
            invoice["id"], options={"idempotency_key": f"{key}-finalize"}
        ))  # fmt: skip
    except stripe.StripeError as exc:
        raise PaymentProviderError(failure_sentence(exc, doing="making the invoice")) from exc
    Instalment.objects.filter(pk=instalment.pk).update(
        stripe_invoice_id=invoice["id"], invoice_status=invoice.get("status") or "open",
        hosted_invoice_url=invoice.get("hosted_invoice_url") or "",
    )  # fmt: skip
    instalment.refresh_from_db()
    return instalment


def _instalment_for(invoice: dict) -> Instalment | None:
    metadata = invoice.get("metadata") or {}
    pk = metadata.get("instalment")
    if not (pk and str(pk).isdigit()):
        return None
    return (
        Instalment.objects.select_related("agreement__sponsor")
        .filter(pk=int(pk), stripe_invoice_id=invoice["id"])
        .first()
    )


@transaction.atomic
def invoice_paid(invoice: dict) -> str:
    """`invoice.paid` for an instalment: the payment is recorded once (the invoice id is its
    reference, unique) and applied to the instalment; anything beyond what it still owed
    (paid meanwhile by wire) is the sponsor's credit."""
    instalment = _instalment_for(invoice)
    if instalment is None:
        return "ignored: no instalment of ours carries this invoice"
    sponsor = instalment.agreement.sponsor
    if SponsorPayment.objects.filter(method=SponsorPayment.Method.STRIPE,
                                     reference=invoice["id"]).exists():  # fmt: skip
        return f"instalment #{instalment.pk}: already recorded"
    amount, currency = invoice.get("amount_paid") or 0, invoice["currency"].upper()
    Instalment.objects.filter(pk=instalment.pk).update(invoice_status="paid")
    if amount <= 0:
        return f"instalment #{instalment.pk}: nothing was paid"
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at") or invoice.get("created")
    received_on = (
        dt.datetime.fromtimestamp(paid_at, tz=dt.UTC).date() if paid_at
        else timezone.localdate()
    )  # fmt: skip
    share = min(amount, instalment.open_amount)
    payment = payment_record(
        stripe_charge_id=_charge_of(invoice),
        sponsor=sponsor, amount=amount, currency=currency, received_on=received_on,
        method=SponsorPayment.Method.STRIPE, reference=invoice["id"], by=None,
        apply_to=[(instalment, share)] if share else [],
    )  # fmt: skip
    said = f"instalment #{instalment.pk}: {money_label(amount, currency)} recorded"
    if payment.credit:
        said += f", {money_label(payment.credit, currency)} held as credit"
    return said


def _charge_of(invoice: dict) -> str:
    """The charge that paid an invoice: `charge` on API versions before 2025-03, else the
    charge of the payment in `payments` (when Stripe sent it)."""
    if invoice.get("charge"):
        return object_id(invoice["charge"])
    for line in (invoice.get("payments") or {}).get("data") or []:
        payment = line.get("payment") or {}
        if payment.get("charge"):
            return object_id(payment["charge"])
        intent = payment.get("payment_intent")
        if isinstance(intent, dict) and intent.get("latest_charge"):
            return object_id(intent["latest_charge"])
    return ""


def invoice_status_changed(invoice: dict) -> str:
    """Finalized, voided, marked uncollectible: the instalment shows the invoice's status."""
    instalment = _instalment_for(invoice)
    if instalment is None:
        return "ignored: no instalment of ours carries this invoice"
    status = invoice.get("status") or ""
    if instalment.invoice_status == "paid":
        return f"instalment #{instalment.pk}: already paid"
    Instalment.objects.filter(pk=instalment.pk).update(
        invoice_status=status, hosted_invoice_url=invoice.get("hosted_invoice_url") or ""
    )
    return f"instalment #{instalment.pk}: invoice {status}"
