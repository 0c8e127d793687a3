"""An instalment invoiced through Stripe Invoicing (against the fake Stripe at the HTTP
layer), paid on the hosted page, and recorded once from the signed `invoice.paid` webhook."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from sponsorships.invoicing import instalment_invoice_stripe
from sponsorships.models import SponsorPayment
from sponsorships.selectors import agreement_balance
from sponsorships.services import payment_record
from tests.factories import SponsorFactory, agreement
from tests.payments.fake_stripe import pay_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal():
    sponsor = SponsorFactory(name="Soundwave Music Group", billing_email="ap@soundwave.example")
    return agreement(sponsor=sponsor, amount=1_000_000, title="Award partner")


def test_an_instalment_is_invoiced_once_with_keys_from_our_records(fake_stripe, deal):
    first = deal.instalments.order_by("number").first()
    invoiced = instalment_invoice_stripe(instalment=first, by=None)
    assert invoiced.invoice_status == "open" and invoiced.hosted_invoice_url.startswith("https://")
    posts = [s for s in fake_stripe.sent if s.method == "POST"]
    finalize = f"/v1/invoices/{invoiced.stripe_invoice_id}/finalize"
    assert [s.path for s in posts] == ["/v1/customers", "/v1/invoices", "/v1/invoiceitems",
                                       finalize]  # fmt: skip
    assert all(s.idempotency_key and str(first.pk) in s.idempotency_key for s in posts[1:])
    invoice_params = posts[1].params
    assert invoice_params["metadata"] == {"kind": "sponsorship_instalment",
                                          "instalment": str(first.pk)}  # fmt: skip
    assert invoice_params["collection_method"] == "send_invoice"
    assert posts[2].params["amount"] == "250000" and posts[2].params["currency"] == "usd"
    with pytest.raises(ValidationError, match="already has Stripe invoice"):
        instalment_invoice_stripe(instalment=first, by=None)
    second = deal.instalments.order_by("number")[1]
    instalment_invoice_stripe(instalment=second, by=None)  # the same Stripe customer again
    assert sum(s.path == "/v1/customers" for s in fake_stripe.sent) == 1


def test_invoice_paid_records_the_payment_once_and_settles_the_instalment(
    fake_stripe,
    deal,
    deliver_all,
):
    first = instalment_invoice_stripe(
        instalment=deal.instalments.order_by("number").first(), by=None
    )
    paid = pay_invoice(fake_stripe.world, first.stripe_invoice_id)
    event = fake_stripe.world.event("invoice.paid", paid)
    answers = deliver_all([event, event])  # Stripe delivers it twice
    assert [a.status_code for a in answers] == [200, 200]
    first.refresh_from_db()
    assert (first.paid_amount, first.state, first.invoice_status) == (250_000, "settled", "paid")
    payment = SponsorPayment.objects.get()
    assert (payment.method, payment.reference, payment.amount) == ("stripe", paid["id"], 250_000)
    charge = paid["payments"]["data"][0]["payment"]["charge"]
    assert payment.stripe_charge_id == charge  # so the payout's line finds this payment
    assert agreement_balance(deal)["outstanding"] == 750_000


def test_an_invoice_paid_after_a_wire_for_the_same_instalment_leaves_credit(
    fake_stripe,
    deal,
    deliver_all,
):
    first = instalment_invoice_stripe(
        instalment=deal.instalments.order_by("number").first(), by=None
    )
    payment_record(sponsor=deal.sponsor, amount=100_000, currency="USD",
                   received_on=dt.date(2026, 1, 20), method="wire", by=None,
                   apply_to=[(first, 100_000)])  # fmt: skip
    deliver_all([fake_stripe.world.event(
        "invoice.paid", pay_invoice(fake_stripe.world, first.stripe_invoice_id))])  # fmt: skip
    first.refresh_from_db()
    stripe_payment = SponsorPayment.objects.get(method="stripe")
    assert first.open_amount == 0 and stripe_payment.credit == 100_000  # paid twice in part


def test_a_voided_invoice_shows_on_the_instalment(fake_stripe, deal, deliver_all):
    first = instalment_invoice_stripe(
        instalment=deal.instalments.order_by("number").first(), by=None
    )
    invoice = fake_stripe.world.objects[first.stripe_invoice_id]
    invoice["status"] = "void"
    deliver_all([fake_stripe.world.event("invoice.voided", invoice)])
    first.refresh_from_db()
    assert first.invoice_status == "void"
    assert (
        instalment_invoice_stripe(instalment=first, by=None).invoice_status == "open"
    )  # invoiced anew
