"""The one place that builds a Stripe client, and the small helpers every Stripe call shares.

Configured from the environment (see settings): STRIPE_SECRET_KEY, STRIPE_API_BASE (a local
Stripe double), STRIPE_HTTP_CLIENT (a dotted path to a `stripe.HTTPClient` subclass, for a
fake at the HTTP layer). Every POST we make passes an idempotency key derived from our own
record, so a retried task or a double click never charges or refunds twice.
"""

from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings
from django.utils.module_loading import import_string

# The API version this SDK was generated for. Pinned so that the shapes our handlers read
# do not change under us when the account's default version moves on.
API_VERSION: str = stripe.api_version

# stripe 16 does not retry unless told to; a retried POST reuses its idempotency key.
MAX_NETWORK_RETRIES = 2


class StripeNotConfigured(RuntimeError):
    pass


def stripe_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def stripe_client() -> stripe.StripeClient:
    """A client for the Stripe API (v1 namespace users call `.v1`)."""
    if not stripe_configured():
        raise StripeNotConfigured("Stripe is not configured: set STRIPE_SECRET_KEY.")
    options: dict[str, Any] = {
        "stripe_version": API_VERSION,
        "max_network_retries": MAX_NETWORK_RETRIES,
    }
    if settings.STRIPE_API_BASE:
        options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    if settings.STRIPE_HTTP_CLIENT:
        options["http_client"] = import_string(settings.STRIPE_HTTP_CLIENT)()
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **options)


def as_dict(obj: Any) -> dict:
    """Stripe objects as plain dicts, so handlers read API answers and webhook payloads alike."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    return obj.to_dict()


def object_id(value: Any) -> str:
    """The id of a field that may hold an id or an expanded object."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def failure_sentence(exc: stripe.StripeError, *, doing: str) -> str:
    """One sentence for a person about a Stripe call that failed, with a reference that the
    log carries too, beside the whole error (which a person need not read)."""
    from backoffice.errors import logged_reference, sentence

    reference = logged_reference("Stripe", doing, exc)
    if isinstance(exc, stripe.APIConnectionError):
        reason = "Stripe could not be reached"
    elif isinstance(exc, stripe.RateLimitError):
        reason = "Stripe asked us to slow down"
    elif isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        reason = "Stripe did not accept the organisation's key"
    else:
        said = getattr(exc, "user_message", None) or getattr(exc, "error", None)
        said = getattr(said, "message", said) or "it gave no reason"
        reason = f"Stripe refused: {str(said).strip().rstrip('.')}"
    return sentence(reason, doing, reference)
