"""Checkout asks for the donor's address whenever their receipt will print it, and the
address the donor types is kept on their record, with where it came from."""

import pytest

from donors.models import Donor
from receipts.models import Organisation, Receipt
from tests.factories import DonorFactory
from tests.payments.test_giving_flow import _give, _session

pytestmark = pytest.mark.django_db

ADDRESS = {"line1": "4 Rue Principale", "line2": "", "city": "Montréal", "state": "QC",
           "postal_code": "H2X 1Y4", "country": "CA"}  # fmt: skip


def _sent_session(fake_stripe) -> dict:
    (sent,) = [s for s in fake_stripe.sent if s.path == "/v1/checkout/sessions"]
    return sent.params


def test_a_canadian_gift_asks_for_the_address_and_gets_its_receipt(
    client, campaign, fake_stripe, deliver_all
):
    Organisation.objects.filter(pk=1).update(jurisdiction="CA", auto_receipt_threshold=2_000)
    _give(client, campaign, currency="CAD", preset="50")
    assert _sent_session(fake_stripe)["billing_address_collection"] == "required"
    with pytest.raises(ValueError, match="asks for the donor's address"):
        fake_stripe.world.pay_checkout(_session(fake_stripe), email="z@example.net", name="Z")
    events = fake_stripe.world.pay_checkout(
        _session(fake_stripe), email="Zoe@Example.net", name="Zoé Tremblay", address=ADDRESS
    )
    deliver_all(events)
    donor = Donor.objects.get(email="zoe@example.net")
    assert (donor.address_line1, donor.city, donor.postcode, donor.country) == (
        "4 Rue Principale", "Montréal", "H2X 1Y4", "CA")  # fmt: skip
    assert donor.address_source == "checkout" and donor.address_given_on
    receipt = Receipt.objects.get(donor=donor)  # issued as the gift posted: it had the address
    assert receipt.series.jurisdiction == "CA" and "4 Rue Principale" in receipt.donor_address


def test_a_small_us_gift_is_not_asked_for_an_address(client, campaign, fake_stripe):
    Organisation.objects.filter(pk=1).update(jurisdiction="US", auto_receipt_threshold=25_000)
    _give(client, campaign, currency="USD", preset="25")
    assert "billing_address_collection" not in _sent_session(fake_stripe)
    fake_stripe.sent.clear()
    _give(client, campaign, currency="USD", preset="250")  # receipted when posted: asked
    assert _sent_session(fake_stripe)["billing_address_collection"] == "required"


def test_an_address_staff_entered_is_not_overwritten_by_a_checkout(
    client, campaign, fake_stripe, deliver_all
):
    Organisation.objects.filter(pk=1).update(jurisdiction="CA")
    DonorFactory(email="ana@example.net", address_line1="1 Staff Street", city="Laval",
                 country="CA", address_source="staff")  # fmt: skip
    _give(client, campaign, currency="CAD", preset="50")
    deliver_all(fake_stripe.world.pay_checkout(
        _session(fake_stripe), email="ana@example.net", name="Ana", address=ADDRESS))  # fmt: skip
    donor = Donor.objects.get(email="ana@example.net")
    assert (donor.address_line1, donor.address_source) == ("1 Staff Street", "staff")
