"""Fees, exchange rates, failures and refunds from the staff side."""

import pytest
from django.urls import reverse

from donors.models import Gift
from payments.models import Donation, Payment, RefundRequest
from payments.services import fee_to_cover
from tests.payments.test_giving_flow import _give, _session

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "amount, currency, added",
    [(5000, "USD", 181), (4000, "USD", 151), (5000, "JPY", 150), (100, "GBP", 24)],
)
def test_covering_the_fee_adds_what_stripe_will_take(settings, amount, currency, added):
    settings.STRIPE_FEE_PERCENT, settings.STRIPE_FEE_FIXED = "2.9", {"USD": 30, "GBP": 20}
    assert fee_to_cover(amount=amount, currency=currency) == added
    # what is left after Stripe's cut is at least the gift the donor chose
    total = amount + added
    fixed = settings.STRIPE_FEE_FIXED.get(currency, 0)
    assert total - round(total * 0.029) - fixed >= amount


def test_a_gift_in_another_currency_keeps_stripes_rate_fee_and_net(
    client, campaign, fake_stripe, deliver_all
):
    _give(client, campaign, currency="EUR", preset="100")
    world = fake_stripe.world
    events = world.pay_checkout(_session(fake_stripe), email="eu@example.net", name="E U")
    charge = next(o for o in world.objects.values() if o["object"] == "charge")
    txn = world.objects[charge["balance_transaction"]]
    # settled in USD: 100.00 EUR at 1.0842 = 108.42 USD, fee in USD
    txn.update(currency="usd", amount=10842, exchange_rate=1.0842, fee=344, net=10498)
    deliver_all(events)
    payment = Payment.objects.get()
    assert (payment.amount, payment.currency) == (10000, "EUR")
    assert (payment.fee, payment.net, payment.settlement_currency) == (344, 10498, "USD")
    assert str(payment.exchange_rate) == "1.0842000000"
    assert (Gift.objects.get().amount, Gift.objects.get().currency) == (10000, "EUR")


def test_a_declined_card_is_noted_on_the_donation_and_books_nothing(
    client, campaign, fake_stripe, deliver_all
):
    _give(client, campaign)
    donation = Donation.objects.get()
    intent = {"id": "pi_declined", "object": "payment_intent", "status": "requires_payment_method",
              "metadata": {"donation_id": str(donation.pk)},
              "last_payment_error": {"message": "Your card was declined."}}  # fmt: skip
    deliver_all([fake_stripe.world.event("payment_intent.payment_failed", intent)])
    donation.refresh_from_db()
    assert donation.error == "Your card was declined." and donation.status == Donation.Status.OPEN
    assert not Gift.objects.exists()


def _paid(client, campaign, fake_stripe, deliver_all):
    _give(client, campaign)
    events = fake_stripe.world.pay_checkout(_session(fake_stripe), email="r@example.net", name="R")
    deliver_all(events)
    return Payment.objects.get()


def test_finance_refunds_part_of_a_payment_from_its_page(
    finance_client, campaign, fake_stripe, deliver_all
):
    payment = _paid(finance_client, campaign, fake_stripe, deliver_all)
    url = reverse("admin:payments_payment_refund", args=[payment.pk])
    assert "50.00" in finance_client.get(url).content.decode()
    answer = finance_client.post(url, {"amount": "12.50", "reason": "Duplicate gift"})
    assert answer.status_code == 302
    request = RefundRequest.objects.get()
    sent = [s for s in fake_stripe.sent if s.path == "/v1/refunds"]
    assert [(s.idempotency_key, s.params["amount"]) for s in sent] == [
        (f"refund-{request.pk}", "1250")
    ]
    assert Gift.objects.get().refunded_amount == 1250


def test_a_refund_larger_than_what_is_left_is_refused_on_the_form(
    finance_client, campaign, fake_stripe, deliver_all
):
    payment = _paid(finance_client, campaign, fake_stripe, deliver_all)
    url = reverse("admin:payments_payment_refund", args=[payment.pk])
    answer = finance_client.post(url, {"amount": "50.01", "reason": "Too much"})
    assert answer.status_code == 200 and "can still be refunded" in answer.content.decode()
    assert not RefundRequest.objects.exists()
    assert not [s for s in fake_stripe.sent if s.path == "/v1/refunds"]


def test_stripe_refusing_a_refund_is_shown_and_nothing_changes(
    finance_client, campaign, fake_stripe, deliver_all
):
    payment = _paid(finance_client, campaign, fake_stripe, deliver_all)
    fake_stripe.fail_next = [500, 500, 500]
    url = reverse("admin:payments_payment_refund", args=[payment.pk])
    answer = finance_client.post(url, {"amount": "10", "reason": "Asked"})
    assert (
        "Stripe refused" in answer.content.decode() and "while refunding" in answer.content.decode()
    )
    assert Gift.objects.get().refunded_amount == 0
    assert RefundRequest.objects.get().error  # kept with Stripe's answer, for a retry


def test_stripe_unreachable_is_one_sentence_once_with_a_reference_in_the_log(
    finance_client, campaign, fake_stripe, deliver_all, settings, caplog
):
    import re

    payment = _paid(finance_client, campaign, fake_stripe, deliver_all)
    settings.STRIPE_HTTP_CLIENT, settings.STRIPE_API_BASE = "", "http://127.0.0.1:9"
    url = reverse("admin:payments_payment_refund", args=[payment.pk])
    page = finance_client.post(url, {"amount": "10", "reason": "Asked"}).content.decode()
    said = re.findall(r"Stripe could not be reached while refunding, so nothing changed\. "
                      r"Try again in a few minutes; if it persists, give your administrator "
                      r"the reference ([0-9A-F]{8})\.", page)  # fmt: skip
    assert len(said) == 1, page  # once, whole
    assert "ConnectionError" not in page and "HTTPConnectionPool" not in page
    assert f"Stripe failure {said[0]} while refunding" in caplog.text
    assert Gift.objects.get().refunded_amount == 0


def test_fundraising_staff_cannot_refund(fundraising_client, campaign, fake_stripe, deliver_all):
    payment = _paid(fundraising_client, campaign, fake_stripe, deliver_all)
    answer = fundraising_client.post(
        reverse("admin:payments_payment_refund", args=[payment.pk]), {"amount": "1", "reason": "x"}
    )
    assert answer.status_code == 403
    assert not RefundRequest.objects.exists()
