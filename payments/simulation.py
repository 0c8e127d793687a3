"""A small Stripe world: Stripe-shaped objects for the API version we pin, and the events
Stripe sends as they change. `manage.py stripe_simulate` plays its events into the webhook
endpoint, and the tests serve its objects through a fake Stripe at the HTTP layer.

Objects refer to each other by id, as Stripe's do. With `expand=True` (the demo, where no
Stripe API can be asked) an event carries the objects it refers to expanded, so the
handlers find the fee and the payment without a read.
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import time
from decimal import Decimal

import stripe

from payments.stripe_api import API_VERSION

# Fields that hold another object's id, and the kind of object they name.
_REFERENCES = {
    "latest_charge": "ch_",
    "balance_transaction": "txn_",
    "payment_intent": "pi_",
    "subscription": "sub_",
}


class StripeWorld:
    def __init__(self, *, expand: bool = False, fee_percent: str = "2.9", fee_fixed: int = 30):
        self.objects: dict[str, dict] = {}
        self.expand = expand
        self.fee_percent = Decimal(fee_percent)
        self.fee_fixed = fee_fixed
        self.clock = int(time.time())
        self._counter = itertools.count(1)

    # --- plumbing -----------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(7)}{next(self._counter)}"

    def tick(self, seconds: int = 1) -> int:
        self.clock += seconds
        return self.clock

    def put(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def event(self, type_: str, obj: dict, previous: dict | None = None) -> dict:
        """The event Stripe sends for `obj` as it is now (a snapshot, never a live link)."""
        data: dict = {
            "object": self._expanded(copy.deepcopy(obj)) if self.expand else copy.deepcopy(obj)
        }
        if previous:
            data["previous_attributes"] = previous
        return {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.tick(),
            "data": data,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": type_,
        }

    def _expanded(self, obj: dict, depth: int = 0) -> dict:
        if depth > 6:
            return obj
        for key, value in list(obj.items()):
            if key in _REFERENCES and isinstance(value, str) and value in self.objects:
                obj[key] = self._expanded(copy.deepcopy(self.objects[value]), depth + 1)
            elif key == "payment" and isinstance(value, dict):
                obj[key] = self._expanded(value, depth + 1)
            elif key == "payments" and isinstance(value, dict):
                value["data"] = [self._expanded(v, depth + 1) for v in value.get("data", [])]
        return obj

    def fee_for(self, amount: int) -> int:
        return int((Decimal(amount) * self.fee_percent / 100).to_integral_value()) + self.fee_fixed

    # --- objects ------------------------------------------------------------------------

    def customer(self, *, email: str, name: str) -> dict:
        for obj in self.objects.values():
            if obj["object"] == "customer" and obj["email"] == email:
                return obj
        return self.put({"id": self.new_id("cus"), "object": "customer", "email": email,
                         "name": name, "created": self.tick(), "metadata": {}})  # fmt: skip

    def checkout_session(
        self, *, mode: str, amount: int, currency: str, metadata: dict, customer: str = "",
        success_url: str = "https://example.org/thanks", interval: str = "",
        billing_address_collection: str = "auto",
    ) -> dict:  # fmt: skip
        session_id = self.new_id("cs_test")
        return self.put({
            "id": session_id, "object": "checkout.session", "mode": mode,
            "amount_total": amount, "currency": currency.lower(), "metadata": dict(metadata),
            "client_reference_id": metadata.get("donation_id"), "customer": customer or None,
            "customer_details": None, "payment_intent": None, "subscription": None,
            "payment_status": "unpaid", "status": "open", "created": self.tick(),
            "success_url": success_url, "url": f"https://checkout.stripe.com/c/pay/{session_id}",
            "livemode": False, "_interval": interval,
            "billing_address_collection": billing_address_collection,
        })  # fmt: skip

    def _charge(self, *, amount: int, currency: str, customer: str, intent: str,
                email: str, name: str, method: str = "card",
                address: dict | None = None) -> dict:  # fmt: skip
        charge_id = self.new_id("ch")
        fee = self.fee_for(amount)
        txn = self.put({
            "id": self.new_id("txn"), "object": "balance_transaction", "amount": amount,
            "currency": currency, "fee": fee, "net": amount - fee, "exchange_rate": None,
            "source": charge_id, "type": "charge", "status": "pending",
            "created": self.clock, "available_on": self.clock + 2 * 86400,
        })  # fmt: skip
        return self.put({
            "id": charge_id, "object": "charge", "amount": amount, "amount_captured": amount,
            "amount_refunded": 0, "currency": currency, "customer": customer,
            "payment_intent": intent, "balance_transaction": txn["id"], "paid": True,
            "captured": True, "refunded": False, "disputed": False, "status": "succeeded",
            "created": self.tick(),
            "billing_details": {"email": email, "name": name, "address": address},
            "payment_method_details": {"type": method}, "livemode": False,
        })  # fmt: skip

    def payment_intent(self, *, amount: int, currency: str, customer: str, metadata: dict,
                       email: str, name: str, method: str = "card",
                       address: dict | None = None) -> dict:  # fmt: skip
        intent_id = self.new_id("pi")
        charge = self._charge(amount=amount, currency=currency, customer=customer,
                              intent=intent_id, email=email, name=name, method=method,
                              address=address)  # fmt: skip
        return self.put({
            "id": intent_id, "object": "payment_intent", "amount": amount,
            "amount_received": amount, "currency": currency, "customer": customer,
            "metadata": dict(metadata), "status": "succeeded", "latest_charge": charge["id"],
            "created": self.clock, "receipt_email": email, "livemode": False,
            "last_payment_error": None,
        })  # fmt: skip

    # --- scenarios: each changes the objects and returns the events, in Stripe's order ----

    @staticmethod
    def _address_for(session: dict, address: dict | None) -> dict | None:
        """The address the donor types, which Checkout asks for only when told to."""
        if session.get("billing_address_collection") == "required" and not address:
            raise ValueError("this checkout asks for the donor's address: give one")
        return address

    def pay_checkout(self, session: dict, *, email: str, name: str,
                     address: dict | None = None) -> list[dict]:  # fmt: skip
        """The donor pays a one-off gift at checkout."""
        address = self._address_for(session, address)
        customer = self.customer(email=email, name=name)
        intent = self.payment_intent(
            amount=session["amount_total"], currency=session["currency"],
            customer=customer["id"], metadata=session["metadata"], email=email, name=name,
            address=address,
        )  # fmt: skip
        session.update(
            status="complete",
            payment_status="paid",
            customer=customer["id"],
            payment_intent=intent["id"],
            customer_details={"email": email, "name": name, "address": address},
        )
        charge = self.objects[intent["latest_charge"]]
        return [
            self.event("charge.succeeded", charge),
            self.event("payment_intent.succeeded", intent),
            self.event("checkout.session.completed", session),
        ]

    def subscribe_checkout(self, session: dict, *, email: str, name: str) -> list[dict]:
        """The donor starts a recurring gift at checkout: a subscription and its first
        invoice, paid."""
        customer = self.customer(email=email, name=name)
        interval = session.get("_interval") or "month"
        sub = self.put({
            "id": self.new_id("sub"), "object": "subscription", "customer": customer["id"],
            "status": "active", "metadata": dict(session["metadata"]),
            "start_date": self.tick(), "canceled_at": None, "ended_at": None,
            "items": {"object": "list", "data": [{
                "id": self.new_id("si"), "object": "subscription_item", "quantity": 1,
                "current_period_start": self.clock,
                "current_period_end": self.clock + (31 if interval == "month" else 365) * 86400,
                "price": {"id": self.new_id("price"), "object": "price",
                          "unit_amount": session["amount_total"], "currency": session["currency"],
                          "recurring": {"interval": interval, "interval_count": 1}},
            }]},
            "livemode": False,
        })  # fmt: skip
        session.update(
            status="complete",
            payment_status="paid",
            customer=customer["id"],
            subscription=sub["id"],
            customer_details={"email": email, "name": name},
        )
        events = [self.event("customer.subscription.created", sub)]
        events += self.renew(sub, email=email, name=name, first=True)
        events.append(self.event("checkout.session.completed", session))
        return events

    def renew(self, sub: dict, *, email: str, name: str, first: bool = False) -> list[dict]:
        """One more instalment of a subscription is invoiced and paid."""
        item = sub["items"]["data"][0]
        amount, currency = item["price"]["unit_amount"], item["price"]["currency"]
        intent = self.payment_intent(amount=amount, currency=currency, customer=sub["customer"],
                                     metadata={}, email=email, name=name)  # fmt: skip
        invoice = self.put({
            "id": self.new_id("in"), "object": "invoice", "customer": sub["customer"],
            "customer_email": email, "customer_name": name, "amount_due": amount,
            "amount_paid": amount, "currency": currency, "status": "paid",
            "billing_reason": "subscription_create" if first else "subscription_cycle",
            "created": self.tick(),
            "parent": {"type": "subscription_details", "subscription_details": {
                "subscription": sub["id"], "metadata": sub["metadata"]}},
            "payments": {"object": "list", "data": [{
                "id": self.new_id("inpay"), "object": "invoice_payment", "status": "paid",
                "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
            }]},
            "livemode": False,
        })  # fmt: skip
        events = [
            self.event("payment_intent.succeeded", intent),
            self.event("invoice.paid", invoice),
        ]
        if not first:
            period = 31 if item["price"]["recurring"]["interval"] == "month" else 365
            item["current_period_start"] = self.clock
            item["current_period_end"] = self.clock + period * 86400
            events.append(self.event("customer.subscription.updated", sub))
        return events

    def refund(
        self, charge: dict, *, amount: int, reason: str = "requested_by_customer"
    ) -> list[dict]:
        refund = self.put({
            "id": self.new_id("re"), "object": "refund", "amount": amount,
            "currency": charge["currency"], "charge": charge["id"],
            "payment_intent": charge["payment_intent"], "status": "succeeded",
            "reason": reason, "created": self.tick(), "balance_transaction": self.new_id("txn"),
        })  # fmt: skip
        self._ledger(refund["balance_transaction"], "refund", -amount, 0, charge["currency"],
                     refund["id"])  # fmt: skip
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge.setdefault("refunds", {"object": "list", "data": []})["data"].append(refund)
        return [self.event("charge.refunded", charge), self.event("refund.created", refund)]

    def dispute(self, charge: dict, *, reason: str = "fraudulent") -> tuple[dict, list[dict]]:
        dispute = self.put({
            "id": self.new_id("du"), "object": "dispute", "amount": charge["amount"],
            "currency": charge["currency"], "charge": charge["id"],
            "payment_intent": charge["payment_intent"], "reason": reason,
            "status": "needs_response", "created": self.tick(),
            "evidence_details": {"due_by": self.clock + 7 * 86400},
            "balance_transactions": [{"id": self.new_id("txn"), "amount": -charge["amount"]}],
        })  # fmt: skip
        withdrawn = dispute["balance_transactions"][0]
        self._ledger(withdrawn["id"], "adjustment", withdrawn["amount"], self.DISPUTE_FEE,
                     charge["currency"], dispute["id"])  # fmt: skip
        charge["disputed"] = True
        return dispute, [
            self.event("charge.dispute.created", dispute),
            self.event("charge.dispute.funds_withdrawn", dispute),
        ]

    def close_dispute(self, dispute: dict, *, won: bool) -> list[dict]:
        dispute["status"] = "won" if won else "lost"
        events = []
        if won:
            reinstated = {"id": self.new_id("txn"), "amount": dispute["amount"]}
            dispute["balance_transactions"].append(reinstated)
            self._ledger(reinstated["id"], "adjustment", dispute["amount"], -self.DISPUTE_FEE,
                         dispute["currency"], dispute["id"])  # fmt: skip
            events.append(self.event("charge.dispute.funds_reinstated", dispute))
        events.append(self.event("charge.dispute.closed", dispute))
        return events

    DISPUTE_FEE = 1500  # what Stripe charges for a dispute (given back when it is won)

    def _ledger(self, txn_id: str, type_: str, amount: int, fee: int, currency: str,
                source: str) -> dict:  # fmt: skip
        """A balance transaction (money in or out of the Stripe balance), kept for payouts."""
        return self.put({
            "id": txn_id, "object": "balance_transaction", "type": type_, "amount": amount,
            "fee": fee, "net": amount - fee, "currency": currency, "source": source,
            "status": "available", "created": self.clock, "exchange_rate": None,
        })  # fmt: skip

    def payout_available(self, *, currency: str) -> list[dict]:
        """Pay out everything in the balance not paid out yet: the payout's lines are those
        balance transactions, and it adds up to their net, as Stripe's automatic payouts."""
        lines = [o for o in self.objects.values() if o.get("object") == "balance_transaction"
                 and o["currency"] == currency and not o.get("payout")]  # fmt: skip
        events = self.payout(amount=sum(t["net"] for t in lines), currency=currency)
        payout = events[0]["data"]["object"]
        for txn in lines:
            txn["payout"] = payout["id"]
        self._ledger(self.new_id("txn"), "payout", -payout["amount"], 0, currency,
                     payout["id"])["payout"] = payout["id"]  # fmt: skip
        return events

    def payout(self, *, amount: int, currency: str) -> list[dict]:
        payout = self.put({
            "id": self.new_id("po"), "object": "payout", "amount": amount,
            "currency": currency, "status": "paid", "arrival_date": self.tick(86400),
            "created": self.clock, "automatic": True, "reconciliation_status": "completed",
            "failure_message": None,
        })  # fmt: skip
        return [self.event("payout.paid", payout),
                self.event("payout.reconciliation_completed", payout)]  # fmt: skip


def list_page(found: list[dict], params: dict, url: str) -> dict:
    """One page of a Stripe list, after `starting_after`, `limit` long."""
    start = 0
    if after := params.get("starting_after"):
        start = next(i for i, o in enumerate(found) if o["id"] == after) + 1
    limit = int(params.get("limit") or 10)
    data = found[start : start + limit]
    return {"object": "list", "data": data, "has_more": start + limit < len(found), "url": url}


class WorldHTTPClient(stripe.HTTPClient):
    """The demo's read-only Stripe: answers the SDK's GETs for payouts and their balance
    transactions from a StripeWorld, so `stripe_simulate` can sync and reconcile the payout
    it played without a Stripe account. (The tests' fake in tests/payments does more.)"""

    name = "stripe-world"

    def __init__(self, world: StripeWorld):
        super().__init__()
        self.world = world

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        from urllib.parse import parse_qsl, urlsplit

        parts = urlsplit(url)
        params: dict = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key.startswith("expand["):
                params.setdefault("expand", []).append(value)
            else:
                params[key] = value
        found = self.answer(method.lower(), parts.path, params)
        if found is None:
            body = {"error": {"type": "invalid_request_error", "message": f"No {parts.path}"}}
            return json.dumps(body), 404, {}
        return json.dumps(found), 200, {}

    def answer(self, method: str, path: str, params: dict) -> dict | None:
        objects = self.world.objects.values()
        if method == "get" and path == "/v1/payouts":
            payouts = sorted((o for o in objects if o.get("object") == "payout"),
                             key=lambda o: (-o["created"], o["id"]))  # fmt: skip
            return list_page(payouts, params, path)
        if method == "get" and path == "/v1/balance_transactions":
            lines = [o for o in objects if o.get("object") == "balance_transaction"
                     and o.get("payout") == params.get("payout")]  # fmt: skip
            page = list_page(lines, params, path)
            if "data.source" in params.get("expand", []):
                page["data"] = [{**t, "source": self.world.objects.get(t["source"], t["source"])}
                                for t in page["data"]]  # fmt: skip
            return page
        return None

    def close(self):
        pass
