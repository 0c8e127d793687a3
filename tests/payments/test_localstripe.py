"""Our Stripe calls against localstripe, a stateful fake Stripe server started on a free
loopback port: the SDK's real HTTP client, real encoding, a real server's answers."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import stripe
from django.utils import timezone

from donors.models import Gift
from payments.models import Donation, Payment, Refund, RefundRequest
from payments.services import refund_request
from payments.simulation import StripeWorld
from tests.factories import FundFactory

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory):
    program = shutil.which("localstripe") or str(Path(sys.executable).with_name("localstripe"))
    port = _free_port()
    log = (tmp_path_factory.mktemp("localstripe") / "log").open("w")
    proc = subprocess.Popen([program, "--port", str(port)], stdout=log, stderr=log)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("localstripe did not start")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(5)


@pytest.fixture
def localstripe(settings, localstripe_url, webhook_secret):
    settings.STRIPE_SECRET_KEY = "sk_test_localstripe"
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_HTTP_CLIENT = ""
    return stripe.StripeClient("sk_test_localstripe", base_addresses={"api": localstripe_url}).v1


def _paid_intent(api, *, amount: int, metadata: dict):
    customer = api.customers.create(params={"email": "local@example.net", "name": "Lo Cal"})
    card = api.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        }
    )
    return api.payment_intents.create(params={
        "amount": amount, "currency": "eur", "customer": customer.id, "payment_method": card.id,
        "confirm": True, "metadata": metadata})  # fmt: skip


def test_a_payment_is_read_back_from_localstripe_and_booked(localstripe, campaign, deliver_all):
    donation = Donation.objects.create(campaign=campaign, fund=FundFactory(code="GEN"),
                                       amount=4200, currency="EUR", frequency="once")  # fmt: skip
    intent = _paid_intent(localstripe, amount=4200, metadata={"donation_id": str(donation.pk)})
    # The event carries only what Stripe would; the handler re-reads the rest from the server.
    event = StripeWorld().event(
        "payment_intent.succeeded", {"id": intent.id, "object": "payment_intent", "metadata": {}}
    )
    deliver_all([event])
    payment = Payment.objects.get()
    assert (payment.amount, payment.currency, payment.fee) == (4200, "EUR", 0)  # no fees there
    assert payment.charge_id.startswith("ch_") and payment.balance_transaction_id.startswith("txn_")
    assert Gift.objects.get().donor.email == "local@example.net"


def test_staff_refund_goes_to_stripe_once_and_adjusts_the_gift(
    localstripe, campaign, deliver_all, finance_user
):
    donation = Donation.objects.create(campaign=campaign, fund=FundFactory(code="GEN"),
                                       amount=3000, currency="EUR", frequency="once")  # fmt: skip
    intent = _paid_intent(localstripe, amount=3000, metadata={"donation_id": str(donation.pk)})
    deliver_all(
        [
            StripeWorld().event(
                "payment_intent.succeeded", {"id": intent.id, "object": "payment_intent"}
            )
        ]
    )
    payment = Payment.objects.get()
    request = refund_request(
        payment=payment, amount=1200, reason="Asked by the donor", by=finance_user
    )
    assert request.refund_id.startswith("re_") and request.idempotency_key == f"refund-{request.pk}"
    charge = localstripe.charges.retrieve(payment.charge_id)
    assert charge.amount_refunded == 1200
    assert Gift.objects.get().refunded_amount == 1200
    assert Refund.objects.get().refund_id == request.refund_id
    with pytest.raises(Exception, match="can still be refunded"):
        refund_request(
            payment=Payment.objects.get(), amount=1801, reason="Too much", by=finance_user
        )
    assert RefundRequest.objects.count() == 1  # the refused request left nothing behind
    assert timezone.now()
