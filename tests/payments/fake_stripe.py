"""A fake Stripe at the HTTP layer: a `stripe.HTTPClient` subclass that answers the SDK's
requests from a StripeWorld, records each one (method, path, parameters, idempotency key),
and can be told to fail the next requests with a status code. The SDK's own code (request
encoding, retries, idempotency headers, response parsing) runs for real.

Tests select it with settings.STRIPE_HTTP_CLIENT; the world and the log live on the class
(a fixture resets them), since the SDK builds its own instance.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import stripe

from payments.simulation import StripeWorld, WorldHTTPClient


@dataclass
class Sent:
    method: str
    path: str
    params: dict
    idempotency_key: str | None
    stripe_version: str | None


@dataclass
class FakeState:
    world: StripeWorld = field(default_factory=StripeWorld)
    sent: list[Sent] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # status codes, consumed in order
    replies: dict[str, tuple[str, int]] = field(default_factory=dict)  # by idempotency key


def nest(pairs: list[tuple[str, str]]) -> dict:
    """Form-encoded Stripe parameters ('a[b][0][c]=v') back into nested dicts and lists."""
    out: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for here in parts[:-1]:
            node = node.setdefault(here, {})
        node[parts[-1]] = value
    return _lists(out)


def _lists(node):
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


class FakeStripeHTTPClient(stripe.HTTPClient):
    name = "fake-stripe"
    state = FakeState()

    def _sleep_time_seconds(self, num_retries: int) -> float:
        return 0.0  # the retry happens; the test does not wait for it

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        state = type(self).state
        parts = urlsplit(url)
        raw = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        params = nest(parse_qsl(raw or parts.query, keep_blank_values=True))
        key = (headers or {}).get("Idempotency-Key")
        state.sent.append(
            Sent(method.upper(), parts.path, params, key, (headers or {}).get("Stripe-Version"))
        )
        if state.fail_next:
            code = state.fail_next.pop(0)
            return _error(code, "api_error", "Simulated Stripe outage"), code, {}
        if method.lower() == "post" and key and key in state.replies:
            return *state.replies[key], {"idempotent-replayed": "true"}
        body, code = self._route(state.world, method.lower(), parts.path, params)
        if method.lower() == "post" and key and code < 500:
            state.replies[key] = (body, code)
        return body, code, {}

    def _route(self, world: StripeWorld, method: str, path: str, params: dict):
        if method == "post" and path == "/v1/checkout/sessions":
            return _ok(_create_session(world, params))
        if method == "post" and path == "/v1/billing_portal/sessions":
            portal = {
                "id": world.new_id("bps"),
                "object": "billing_portal.session",
                "customer": params["customer"],
                "return_url": params.get("return_url"),
                "url": f"https://billing.stripe.com/p/session/{world.new_id('x')}",
            }
            return _ok(portal)
        if method == "post" and path == "/v1/refunds":
            charge = world.objects.get(params.get("charge", "")) or next(
                (o for o in world.objects.values() if o.get("object") == "charge"
                 and o.get("payment_intent") == params.get("payment_intent")), None)  # fmt: skip
            if charge is None:
                return _error(404, "invalid_request_error", "No such charge"), 404
            amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
            if amount > charge["amount"] - charge["amount_refunded"]:
                return _error(400, "invalid_request_error", "Refund exceeds charge"), 400
            world.refund(charge, amount=amount)
            return _ok(charge["refunds"]["data"][-1])
        if method == "post" and path == "/v1/customers":
            return _ok(world.put({
                "id": world.new_id("cus"), "object": "customer", "name": params.get("name"),
                "email": params.get("email"), "metadata": params.get("metadata") or {},
            }))  # fmt: skip
        if method == "post" and path == "/v1/invoices":
            return _ok(world.put(_new_invoice(world, params)))
        if method == "post" and path == "/v1/invoiceitems":
            invoice = world.objects.get(params.get("invoice", ""))
            if invoice is None or invoice["status"] != "draft":
                return _error(400, "invalid_request_error", "No such draft invoice"), 400
            item = {"id": world.new_id("ii"), "object": "line_item",
                    "amount": int(params["amount"]), "currency": params["currency"],
                    "description": params.get("description")}  # fmt: skip
            invoice["lines"]["data"].append(item)
            invoice["amount_due"] += item["amount"]
            return _ok(item)
        finalize = re.fullmatch(r"/v1/invoices/([A-Za-z0-9_]+)/finalize", path)
        if method == "post" and finalize and finalize.group(1) in world.objects:
            invoice = world.objects[finalize.group(1)]
            page = f"https://invoice.stripe.com/i/{invoice['id']}"
            invoice.update(status="open", amount_remaining=invoice["amount_due"],
                           hosted_invoice_url=page)  # fmt: skip
            return _ok(invoice)
        if method == "get" and path in ("/v1/payouts", "/v1/balance_transactions"):
            return _ok(WorldHTTPClient(world).answer(method, path, params))  # the demo's reads
        if method == "get" and path == "/v1/refunds":
            found = [
                o
                for o in world.objects.values()
                if o.get("object") == "refund" and o.get("charge") == params.get("charge")
            ]
            return _ok({"object": "list", "data": found, "has_more": False, "url": "/v1/refunds"})
        match = re.fullmatch(r"/v1/[a-z_/]+/([A-Za-z0-9_]+)", path)
        if method == "get" and match and match.group(1) in world.objects:
            return _ok(world.objects[match.group(1)])
        return _error(404, "invalid_request_error", f"No such object: {path}"), 404

    def close(self):
        pass


def _new_invoice(world: StripeWorld, params: dict) -> dict:
    return {
        "id": world.new_id("in"), "object": "invoice", "status": "draft",
        "customer": params["customer"], "currency": params["currency"],
        "collection_method": params.get("collection_method"),
        "description": params.get("description"), "metadata": params.get("metadata") or {},
        "amount_due": 0, "amount_paid": 0, "amount_remaining": 0, "hosted_invoice_url": None,
        "lines": {"object": "list", "data": []}, "created": world.tick(),
        "status_transitions": {"paid_at": None},
    }  # fmt: skip


def pay_invoice(world: StripeWorld, invoice_id: str, amount: int | None = None) -> dict:
    """The sponsor pays on the hosted page: the invoice as Stripe then has it."""
    invoice = world.objects[invoice_id]
    paid = invoice["amount_due"] if amount is None else amount
    charge = world.new_id("ch")
    invoice.update(status="paid", amount_paid=paid, amount_remaining=0,
                   status_transitions={"paid_at": world.tick()},
                   payments={"object": "list", "data": [{
                       "object": "invoice_payment", "amount_paid": paid,
                       "payment": {"type": "charge", "charge": charge}}]})  # fmt: skip
    return invoice


def _create_session(world: StripeWorld, params: dict) -> dict:
    item = params["line_items"][0]
    price = item["price_data"]
    metadata = params.get("metadata") or {}
    return world.checkout_session(
        mode=params["mode"],
        amount=int(price["unit_amount"]) * int(item.get("quantity", 1)),
        currency=price["currency"],
        metadata=metadata,
        customer=params.get("customer", ""),
        success_url=params["success_url"],
        interval=(price.get("recurring") or {}).get("interval", ""),
        billing_address_collection=params.get("billing_address_collection") or "auto",
    )


def _ok(obj: dict) -> tuple[str, int]:
    clean = {k: v for k, v in obj.items() if not k.startswith("_")}
    return json.dumps(clean), 200


def _error(code: int, kind: str, message: str) -> str:
    return json.dumps({"error": {"type": kind, "message": message}})
