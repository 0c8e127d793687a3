"""Where handlers read Stripe's objects from.

When events may arrive late or out of order, the object inside an event can be older than
what we already know, so handlers re-read the current object from the Stripe API. Without
Stripe access (the demo, played by `stripe_simulate`) they fall back to the event's own
object and whatever it carries expanded; the simulator plays events in order.

Reads happen outside any database transaction (DESIGN: never call an outside service in
one; on SQLite a transaction holds the whole database). event_process runs a handler in a
transaction with a source that only answers from what it has read already: a read it lacks
stops the handler (StripeReadNeeded), the transaction rolls back, the read is made outside
it, and the handler runs again. A handler reads a few objects; each costs one such round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from payments.stripe_api import as_dict, stripe_client, stripe_configured


class StripeReadNeeded(BaseException):  # noqa: N818 - not an error: a request to read first
    """Raised inside a handler's transaction for a read not made yet. A BaseException, so
    that no handler's `except Exception` takes it for a failure of its own."""

    def __init__(self, key: tuple, read: Callable[[], Any]):
        super().__init__(key)
        self.key, self.read = key, read


class StripeSource:
    def __init__(self) -> None:
        self.live = stripe_configured()
        self._api = stripe_client().v1 if self.live else None
        self._read: dict[tuple, Any] = {}
        self.reading_allowed = True  # False inside a transaction: reads are asked for

    def read_now(self, need: StripeReadNeeded) -> None:
        """Make a read a handler asked for (call it outside any transaction)."""
        self._read[need.key] = need.read()

    def _answer(self, key: tuple, read: Callable[[], Any]) -> Any:
        if key not in self._read:
            if not self.reading_allowed:
                raise StripeReadNeeded(key, read)
            self._read[key] = read()
        return self._read[key]

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
        key = ("current", kind, oid, repr(sorted(params.items())))
        return self._answer(key, lambda: as_dict(service().retrieve(oid, params=params or None)))

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

        def read() -> list[dict]:
            page = self._api.refunds.list(params={"charge": charge["id"], "limit": 100})
            return [as_dict(r) for r in page.auto_paging_iter()]

        return self._answer(("refunds", charge["id"]), read)
