"""Concurrent deliveries on PostgreSQL (SQLite serialises writers, so there is nothing to
race there). CI runs the suite on PostgreSQL too, where these run."""

import threading

import pytest
from django.db import connection
from django.test import Client

from donors.models import Gift
from payments.models import Donation, Payment, StripeEvent
from tests.factories import CampaignFactory, FundFactory
from tests.payments.conftest import deliver

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def _at_once(n: int, work) -> list:
    """Run work(i) in n threads released together; each thread has its own connection."""
    start, answers = threading.Barrier(n), [None] * n

    def run(i):
        from django.db import connections

        try:
            start.wait()
            answers[i] = work(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return answers


def _paid_donation(fake_stripe):
    campaign = CampaignFactory(code="fan-drive")
    donation = Donation.objects.create(campaign=campaign, fund=FundFactory(code="GEN"),
                                       amount=5000, currency="USD", frequency="once")  # fmt: skip
    session = fake_stripe.world.checkout_session(
        mode="payment", amount=5000, currency="usd", metadata={"donation_id": str(donation.pk)}
    )
    return fake_stripe.world.pay_checkout(session, email="race@example.net", name="R C")


def test_the_same_event_delivered_by_8_requests_at_once_makes_one_gift(fake_stripe):
    _, paid, _ = _paid_donation(fake_stripe)
    answers = _at_once(8, lambda i: deliver(Client(), paid))
    assert sorted(a.status_code for a in answers) == [200] * 8
    assert sorted(a.content for a in answers) == [b"duplicate"] * 7 + [b"stored"]
    assert StripeEvent.objects.get().status == StripeEvent.Status.PROCESSED
    assert Gift.objects.count() == 1 and Payment.objects.count() == 1


def test_different_events_about_one_payment_at_once_make_one_gift(fake_stripe):
    _, paid, completed = _paid_donation(fake_stripe)
    answers = _at_once(8, lambda i: deliver(Client(), paid if i % 2 else completed))
    assert all(a.status_code == 200 for a in answers)
    assert StripeEvent.objects.count() == 2
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}
    assert Gift.objects.count() == 1 and Gift.objects.get().amount == 5000
