"""A donor whom a Stripe checkout created (no sign-in, nobody on staff linked one) asks for a
code, signs in, finds and downloads their receipt, and opens Stripe's customer portal."""

import pytest
from django.core import mail
from django.urls import reverse

from donors.models import Donor
from receipts.models import Receipt
from tests.payments.test_giving_flow import _give, _session

pytestmark = pytest.mark.django_db


def test_a_checkout_donor_signs_in_gets_the_receipt_and_the_portal(
    client, campaign, fake_stripe, deliver_all
):
    from receipts.models import Organisation

    Organisation.objects.filter(pk=1).update(jurisdiction="US")
    _give(client, campaign, frequency="month", preset="250")
    deliver_all(fake_stripe.world.subscribe_checkout(
        _session(fake_stripe), email="Rio@Example.net", name="Rio Tanaka"))  # fmt: skip
    donor = Donor.objects.get(email="rio@example.net")
    receipt = Receipt.objects.get(donor=donor)  # $250: receipted when posted
    assert donor.user is None
    mail.outbox.clear()
    client.post(reverse("account_request_login_code"), {"email": "rio@example.net"})
    code = mail.outbox[-1].body.split("browser window.")[1].strip().splitlines()[0].strip()
    client.post(reverse("account_confirm_login_code"), {"code": code})
    page = client.get(reverse("my_gifts")).content.decode()
    assert receipt.receipt_number in page and "Change or cancel a recurring gift" in page
    pdf = client.get(reverse("my_receipt_pdf", args=[receipt.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    fake_stripe.sent.clear()
    portal = client.post(reverse("manage_recurring"), {"token": "t1"})
    assert portal.status_code == 302 and portal["Location"].startswith(
        "https://billing.stripe.com/"
    )
    (sent,) = [s for s in fake_stripe.sent if s.path == "/v1/billing_portal/sessions"]
    assert sent.params["customer"] == donor.stripe_customers.get().customer_id
