"""The webhook inbox: verify a delivery, store its event once, and hand it to a task.

Nothing here trusts the body before the signature is checked, and nothing is stored for a
delivery that fails any check. A duplicate delivery (Stripe retries, or several at once)
finds the event already stored and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass

import stripe
from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from payments.models import StripeEvent
from payments.queue import schedule_drain

MAX_BODY_BYTES = 512 * 1024  # Stripe's events are far smaller; anything bigger is not Stripe


class BadDelivery(ValueError):
    """A delivery we refuse (answered 400): the message says which check failed."""


@dataclass
class Stored:
    event: StripeEvent
    created: bool


def verify_delivery(*, body: bytes, signature_header: str | None) -> dict:
    """The event in a delivery, once its signature matches one of our webhook secrets.

    Several secrets are accepted at once so that a secret can be rolled without losing
    deliveries signed with the old one.
    """
    if len(body) > MAX_BODY_BYTES:
        raise BadDelivery(f"body of {len(body)} bytes is larger than {MAX_BODY_BYTES}")
    if not signature_header:
        raise BadDelivery("missing Stripe-Signature header")
    secrets = settings.STRIPE_WEBHOOK_SECRETS
    if not secrets:
        raise BadDelivery("no webhook secret is configured (STRIPE_WEBHOOK_SECRET)")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadDelivery("body is not UTF-8") from exc
    last_error = "signature does not match"
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                text, signature_header, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE
            )
            break
        except stripe.SignatureVerificationError as exc:
            last_error = str(exc.user_message or exc)
    else:
        raise BadDelivery(f"bad signature: {last_error}")
    try:
        event = json.loads(text)
    except ValueError as exc:
        raise BadDelivery(f"body is not JSON: {exc}") from exc
    _check_shape(event)
    return event


def _check_shape(event: object) -> None:
    if not isinstance(event, dict):
        raise BadDelivery("body is not a JSON object")
    if not isinstance(event.get("id"), str) or not event["id"].startswith("evt_"):
        raise BadDelivery("field 'id' is missing or not an event id")
    if not isinstance(event.get("type"), str) or not event["type"]:
        raise BadDelivery("field 'type' is missing")
    if not isinstance(event.get("created"), int):
        raise BadDelivery("field 'created' is missing or not a timestamp")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise BadDelivery("field 'data.object' is missing")


STORE_TRIES = 5  # a busy database (SQLite's one writer) is waited out, not answered 500


def event_store(*, body: bytes, event: dict) -> Stored:
    """Store a verified event once; a drain task processes it after the commit. An event of a
    type no handler takes (Stripe sends many: charge.succeeded, customer.created...) is kept
    as ignored at once, without a task. A database too busy to take it (past SQLite's busy
    timeout) is tried again a few times: Stripe would retry a 500, but later."""
    for attempt in range(1, STORE_TRIES + 1):
        try:
            return _store(body=body, event=event)
        except OperationalError as exc:
            if attempt == STORE_TRIES or "locked" not in str(exc).lower():
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _store(*, body: bytes, event: dict) -> Stored:
    from payments.handlers import HANDLERS

    handled = event["type"] in HANDLERS
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.create(
                stripe_id=event["id"],
                type=event["type"],
                object_id=str(event["data"]["object"].get("id") or "")[:100],
                livemode=bool(event.get("livemode")),
                api_version=str(event.get("api_version") or "")[:40],
                created=dt.datetime.fromtimestamp(event["created"], tz=dt.UTC),
                body=body.decode("utf-8"),
                status=StripeEvent.Status.RECEIVED if handled else StripeEvent.Status.IGNORED,
                outcome="" if handled else "no handler for this type",
                processed_at=None if handled else timezone.now(),
            )
            if handled:
                schedule_drain()
    except IntegrityError:
        # Delivered before (or right now by a concurrent request): the first one counts.
        return Stored(StripeEvent.objects.get(stripe_id=event["id"]), created=False)
    return Stored(stored, created=True)
