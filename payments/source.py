"""Where handlers read Stripe's objects from.

When events may arrive late or out of order, the object inside an event can be older than
what we already know, so handlers re-read the current object from the Stripe API. Without
Stripe access (the demo, played by `stripe_simulate`) they fall back to the event's own
object and whatever it carries expanded; the simulator plays events in order.
"""

from __future__ import annotations

from typing import Any

from payments.stripe_api import as_dict, stripe_client, stripe_configured


class StripeSource:
    def __init__(self) -> None:
        self.live = stripe_configured()
        self._api = stripe_client().v1 if self.live else None

    def current(self, obj: dict, **params: Any) -> dict:
        """The freshest copy of an object we got in an event."""
        if not self.live:
            return obj
        kind, oid = obj.get("object"), obj.get("id")
        service = {
            "checkout.session": lambda: self._api.checkout.sessions,
            "payment_intent": lambda: self._api.payment_intents,
            "charge": lambda: self._api.charges,
            "balance_transaction": lambda: self._api.balance_transactions,
            "refund": lambda: self._api.refunds,
            "dispute": lambda: self._api.disputes,
            "invoice": lambda: self._api.invoices,
            "subscription": lambda: self._api.subscriptions,
            "payout": lambda: self._api.payouts,
            "customer": lambda: self._api.customers,
        }.get(kind)
        if service is None or not oid:
            return obj
        return as_dict(service().retrieve(oid, params=params or None))

    def fetch(self, kind: str, value: Any, **params: Any) -> dict:
        """An object a field refers to: the expanded object if the field holds one, else a
        read from the API (or {} without Stripe access)."""
        if isinstance(value, dict):
            return value
        if not value:
            return {}
        if not self.live:
            return {}
        return self.current({"object": kind, "id": value}, **params)

    def refunds_of(self, charge: dict) -> list[dict]:
        """Every refund of a charge, as Stripe has them now."""
        if not self.live:
            listed = charge.get("refunds")
            return list(listed.get("data", [])) if isinstance(listed, dict) else []
        page = self._api.refunds.list(params={"charge": charge["id"], "limit": 100})
        return [as_dict(r) for r in page.auto_paging_iter()]
