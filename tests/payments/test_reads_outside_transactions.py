"""Processing an event reads from Stripe outside any database transaction (on SQLite a
transaction holds the whole database: a slow Stripe held the webhook endpoint up to 20 s
and made it fail). The handler runs again, in a short transaction, with what was read."""

import json

import pytest
from django.db import connection

from donors.models import Gift
from payments.models import StripeEvent
from payments.services import events_drain
from tests.payments.conftest import signed
from tests.payments.fake_stripe import FakeStripeHTTPClient
from tests.payments.test_giving_flow import _give, _session

pytestmark = pytest.mark.django_db(transaction=True)


class WatchedStripe(FakeStripeHTTPClient):
    """The fake Stripe, noting for each request whether a transaction was open."""

    in_transaction: list[tuple[str, bool]] = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        type(self).in_transaction.append((f"{method.upper()} {url}", connection.in_atomic_block))
        return super().request(method, url, headers, post_data, _usage=_usage)


def test_every_read_of_stripe_while_processing_is_outside_a_transaction(
    client, campaign, fake_stripe, settings
):
    settings.STRIPE_HTTP_CLIENT = "tests.payments.test_reads_outside_transactions.WatchedStripe"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued
    _give(client, campaign)
    world = fake_stripe.world
    events = world.pay_checkout(_session(fake_stripe), email="a@example.net", name="A B")
    charge = next(o for o in world.objects.values() if o["object"] == "charge")
    events += world.refund(charge, amount=1_000)
    for event in events:
        body = json.dumps(event)
        answer = client.post("/stripe/webhook/", data=body, content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=signed(body))  # fmt: skip
        assert answer.status_code == 200
    WatchedStripe.in_transaction = []
    assert not connection.in_atomic_block
    events_drain()
    reads = WatchedStripe.in_transaction
    assert len(reads) >= 4  # the session, the intent, the charge, its balance, the refunds
    assert [read for read, inside in reads if inside] == []
    assert set(StripeEvent.objects.values_list("status", flat=True)) <= {"processed", "ignored"}
    gift = Gift.objects.get()
    assert (gift.amount, gift.refunded_amount) == (5_000, 1_000)
