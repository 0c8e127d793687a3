"""Use cases of online giving: start a checkout, process a stored Stripe event (and retry a
failed one), ask Stripe for a refund, open a donor's Stripe customer portal."""

from __future__ import annotations

import json
import logging
import traceback
from decimal import ROUND_CEILING, Decimal

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from backoffice.money import format_money
from backoffice.permissions import require_permission
from donors.models import Campaign, Donor, Fund
from payments.handlers import HANDLERS, WaitForPayment, mirror_refund, settle_gift_refunds
from payments.models import Donation, Payment, RefundRequest, StripeCustomer, StripeEvent
from payments.queue import drain_started, schedule_drain
from payments.source import StripeReadNeeded, StripeSource
from payments.stripe_api import as_dict, failure_sentence, stripe_client

log = logging.getLogger(__name__)


class PaymentProviderError(Exception):
    """Stripe could not be reached or refused: the message is fit to show to a person."""


# --- the donation page ------------------------------------------------------------------


def fee_to_cover(*, amount: int, currency: str) -> int:
    """What to add so that, after Stripe's percentage and fixed fee, the organisation gets
    `amount`: total = (amount + fixed) / (1 - percent), rounded up to the minor unit."""
    percent = Decimal(settings.STRIPE_FEE_PERCENT) / 100
    fixed = int(settings.STRIPE_FEE_FIXED.get(currency.upper(), 0))
    total = ((Decimal(amount) + fixed) / (1 - percent)).to_integral_value(rounding=ROUND_CEILING)
    return int(total) - amount


@transaction.atomic
def donation_create(
    *,
    campaign: Campaign,
    fund: Fund,
    amount: int,
    currency: str,
    frequency: str,
    cover_fee: bool = False,
    tribute_type: str = "",
    tribute_name: str = "",
    referral_code: str = "",
    donor: Donor | None = None,
    form_token=None,
) -> Donation:
    """Record what the donor asked for, before anything goes to Stripe. The same form sent
    twice (a double click, a retry after Stripe was down) is the same donation."""
    if form_token and (same := Donation.objects.filter(form_token=form_token).first()):
        return same
    donation = Donation(
        form_token=form_token,
        campaign=campaign,
        fund=fund,
        amount=amount,
        fee_cover=fee_to_cover(amount=amount, currency=currency) if cover_fee else 0,
        currency=currency.upper(),
        frequency=frequency,
        tribute_type=tribute_type,
        tribute_name=tribute_name.strip(),
        referral_code=referral_code[:40],
        donor=donor,
    )
    donation.full_clean()
    donation.save()
    return donation


# Whether a gift of (amount, currency) will need the donor's postal address: each entry is
# a function, registered by the apps that issue documents (receipts.wiring: a Canadian
# receipt always prints it, and any receipt the gift would get when posted).
ADDRESS_NEEDED: list = []
# What the thanks page promises about a receipt for a gift of (amount, currency): each entry
# returns a sentence for the donor (receipts.wiring registers the receipts' own).
RECEIPT_PROMISES: list = []


def donation_checkout(*, donation: Donation, success_url: str, cancel_url: str) -> str:
    """Create the Stripe Checkout Session for a donation and return its address. The
    idempotency key comes from the donation, so a retry or a double click gets the same
    session rather than a second one."""
    campaign = donation.campaign
    metadata = {"donation_id": str(donation.pk), "campaign": campaign.code}
    if donation.referral_code:
        metadata["referral_code"] = donation.referral_code
    recurring = donation.frequency != Donation.Frequency.ONCE
    price_data: dict = {
        "currency": donation.currency.lower(),
        "unit_amount": donation.total,
        "product_data": {"name": f"Gift to {campaign.name}"[:250]},
    }
    params: dict = {
        "mode": "subscription" if recurring else "payment",
        "line_items": [{"quantity": 1, "price_data": price_data}],
        "success_url": success_url + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": cancel_url,
        "client_reference_id": str(donation.pk),
        "metadata": metadata,
    }
    if any(needs(donation.total, donation.currency) for needs in ADDRESS_NEEDED):
        params["billing_address_collection"] = "required"  # the receipt will print it
    if recurring:
        price_data["recurring"] = {"interval": donation.frequency}
        params["subscription_data"] = {"metadata": metadata}
    else:
        params["payment_intent_data"] = {"metadata": metadata}
        params["customer_creation"] = "always"
        params["submit_type"] = "donate"
    customer = _customer_of(donation.donor)
    if customer:
        params["customer"] = customer
        params.pop("customer_creation", None)
    elif donation.donor and donation.donor.email:
        params["customer_email"] = donation.donor.email
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params=params, options={"idempotency_key": donation.idempotency_key}
        )
    except stripe.StripeError as exc:
        log.warning("Stripe refused or failed checkout for donation %s: %s", donation.pk, exc)
        Donation.objects.filter(pk=donation.pk).update(error=str(exc)[:300])
        raise PaymentProviderError(
            "We could not reach our card processor just now. Nothing was charged. "
            "Please try again in a minute."
        ) from exc
    donation.checkout_session_id = session.id
    donation.status = Donation.Status.OPEN
    donation.error = ""
    donation.save(update_fields=["checkout_session_id", "status", "error", "updated_at"])
    return session.url


def _customer_of(donor: Donor | None) -> str:
    if donor is None:
        return ""
    link = StripeCustomer.objects.filter(donor=donor).order_by("-created_at").first()
    return link.customer_id if link else ""


# --- processing events ------------------------------------------------------------------


MAX_STRIPE_READS = 25  # a handler reads a handful; more is a loop


def event_process(*, event_id: int) -> StripeEvent:
    """Run the handler of one stored event, once. Its changes and the event's new status
    commit together; if the handler fails, its changes roll back and the event keeps the
    error for a retry.

    What the handler reads from Stripe is read outside the transaction (see
    payments/source.py): the transaction runs until the handler asks for a read it lacks,
    rolls back, the read is made, and the handler runs again. So a slow Stripe never holds
    the database (on SQLite the whole of it) while the webhook endpoint waits to store."""
    source = StripeSource()
    for _ in range(MAX_STRIPE_READS):
        try:
            return _event_process_once(event_id, source)
        except StripeReadNeeded as need:
            try:
                source.read_now(need)  # outside any transaction
            except Exception as exc:  # noqa: BLE001 - kept on the event, for a retry
                return _event_failed(event_id, exc)
    return _event_failed(event_id, RuntimeError(f"more than {MAX_STRIPE_READS} Stripe reads"))


def _event_failed(event_id: int, exc: BaseException) -> StripeEvent:
    log.error("Stripe event #%s failed: %s", event_id, exc)
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event_id)
        if event.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED):
            return event
        event.attempts += 1
        event.processed_at = timezone.now()
        _mark_failed(event, exc)
        event.save(update_fields=_PROCESSING_FIELDS)
        return event


def _mark_failed(event: StripeEvent, exc: BaseException) -> None:
    event.status = StripeEvent.Status.FAILED
    event.error = "".join(traceback.format_exception_only(exc)).strip()[:2000]


def _event_process_once(event_id: int, source: StripeSource) -> StripeEvent:
    """One try, in one transaction; StripeReadNeeded rolls it back."""
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event_id)
        if event.status in (StripeEvent.Status.PROCESSED, StripeEvent.Status.IGNORED):
            return event  # delivered twice, or a task retried: nothing happens twice
        handler = HANDLERS.get(event.type)
        event.attempts += 1
        event.processed_at = timezone.now()
        if handler is None:
            event.status, event.outcome, event.error = StripeEvent.Status.IGNORED, "", ""
            event.save(update_fields=_PROCESSING_FIELDS)
            return event
        source.reading_allowed = False
        try:
            with transaction.atomic():
                obj = json.loads(event.body)["data"]["object"]
                outcome = handler(obj, event, source)
        except WaitForPayment as wait:
            event.status, event.waiting_for = StripeEvent.Status.WAITING, wait.waiting_for[:100]
            event.error = str(wait)
        except Exception as exc:  # noqa: BLE001 - every failure is kept on the event
            log.exception("Stripe event %s (%s) failed", event.stripe_id, event.type)
            _mark_failed(event, exc)
        else:
            ignored = outcome.startswith("ignored")
            event.status = StripeEvent.Status.IGNORED if ignored else StripeEvent.Status.PROCESSED
            event.outcome, event.error, event.waiting_for = outcome[:300], "", ""
        finally:
            source.reading_allowed = True
        event.save(update_fields=_PROCESSING_FIELDS)
        return event


# What processing changes on an event (the body, as signed, is never rewritten).
_PROCESSING_FIELDS = ["status", "attempts", "processed_at", "outcome", "error", "waiting_for"]


def events_drain(*, batch: int = 500) -> int:
    """Process every received event, oldest first, each in its own transaction, until none
    is left. Returns how many were processed. Safe to run in several workers at once: each
    event is locked while it is processed and skipped once done."""
    done = 0
    while True:
        drain_started()
        pending = list(
            StripeEvent.objects.filter(status=StripeEvent.Status.RECEIVED)
            .order_by("id")
            .values_list("pk", flat=True)[:batch]
        )
        if not pending:
            return done
        for pk in pending:
            event_process(event_id=pk)
        done += len(pending)


def event_retry(*, event: StripeEvent, by) -> bool:
    """Queue a failed or waiting event again. Returns False for one already processed."""
    require_permission(by, "payments.change_stripeevent", to="retry Stripe events")
    with transaction.atomic():
        queued = StripeEvent.objects.filter(
            pk=event.pk, status__in=[StripeEvent.Status.FAILED, StripeEvent.Status.WAITING]
        ).update(status=StripeEvent.Status.RECEIVED)
        if queued:
            schedule_drain()
    return bool(queued)


# --- refunds ----------------------------------------------------------------------------


def refund_request(*, payment: Payment, amount: int, reason: str, by) -> RefundRequest:
    """Ask Stripe to refund (part of) a payment. The request is recorded first; its id is
    the idempotency key, so asking twice with the same request refunds once. The gift is
    adjusted from Stripe's answer (and again by the refund webhooks, harmlessly)."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the gift is refunded."})
    left = payment.amount - payment.amount_refunded - payment.disputed_amount_lost
    if amount <= 0 or amount > left:
        raise ValidationError(
            {
                "amount": f"At most {format_money(left, payment.currency)} of this payment "
                "can still be refunded."
            }
        )
    request = RefundRequest.objects.create(
        payment=payment, amount=amount, reason=reason.strip()[:200], requested_by=by
    )
    return refund_send(request=request)


def refund_send(*, request: RefundRequest) -> RefundRequest:
    """Send (or resend, with the same key) a recorded refund request to Stripe."""
    payment = request.payment
    params = {"amount": request.amount, "metadata": {"refund_request_id": str(request.pk)}}
    if payment.charge_id:
        params["charge"] = payment.charge_id
    else:
        params["payment_intent"] = payment.payment_intent_id
    try:
        refund = as_dict(
            stripe_client().v1.refunds.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        )
    except stripe.StripeError as exc:
        request.error = failure_sentence(exc, doing="refunding")[:300]
        request.save(update_fields=["error"])
        raise PaymentProviderError(request.error) from exc
    with transaction.atomic():
        request.refund_id, request.error = refund["id"], ""
        request.save(update_fields=["refund_id", "error"])
        mirror_refund(payment=payment, refund=refund)
        settle_gift_refunds(Payment.objects.select_for_update().get(pk=payment.pk))
    return request


# --- the donor's own recurring gifts ---------------------------------------------------


def customer_portal_url(*, donor: Donor, return_url: str, request_token: str) -> str:
    """Stripe's customer portal for a donor, where they change or cancel recurring gifts.
    The key joins the donor with a token drawn into the page, so a double click opens one
    portal session."""
    customer = _customer_of(donor)
    if not customer:
        raise ValidationError("No online gift is on file for you yet.")
    try:
        session = stripe_client().v1.billing_portal.sessions.create(
            params={"customer": customer, "return_url": return_url},
            options={"idempotency_key": f"donor-{donor.pk}-portal-{request_token}"[:255]},
        )
    except stripe.StripeError as exc:
        raise PaymentProviderError(
            "We could not open the payment portal just now. Please try again in a minute."
        ) from exc
    return session.url
