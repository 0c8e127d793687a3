"""Every sponsorship admin page opens, with records in it."""

import pytest
from django.urls import reverse

from sponsorships.models import Benefit, SponsorContact
from sponsorships.services import payment_record
from tests.factories import agreement

pytestmark = pytest.mark.django_db

MODELS = ["sponsor", "sponsorcontact", "tier", "agreement", "benefit", "instalment",
          "sponsorpayment", "disbursement"]  # fmt: skip


@pytest.mark.parametrize("model", MODELS)
def test_each_admin_list_and_record_opens(admin_client_mfa, model):
    import datetime as dt

    deal = agreement(amount=1_000_000)
    Benefit.objects.create(agreement=deal, description="Logo", fair_market_value=100)
    SponsorContact.objects.create(sponsor=deal.sponsor, name="Ann", email="ann@x.example")
    payment_record(sponsor=deal.sponsor, amount=100_000, currency="USD",
                   received_on=dt.date(2026, 2, 1), method="wire", by=None)  # fmt: skip
    listing = admin_client_mfa.get(reverse(f"admin:sponsorships_{model}_changelist"))
    assert listing.status_code == 200
    from django.apps import apps

    record = apps.get_model("sponsorships", model).objects.first()
    if record is not None:
        page = admin_client_mfa.get(reverse(f"admin:sponsorships_{model}_change", args=[record.pk]))
        assert page.status_code == 200


def test_a_payment_entered_in_the_admin_is_applied_through_the_service(admin_client_mfa):
    deal = agreement(amount=1_000_000)
    answer = admin_client_mfa.post(reverse("admin:sponsorships_sponsorpayment_add"), {
        "sponsor": deal.sponsor.pk, "amount_text": "3000.00", "currency": "USD",
        "received_on": "2026-02-01", "method": "wire", "reference": "W-1"})  # fmt: skip
    assert answer.status_code == 302
    assert [i.paid_amount for i in deal.instalments.order_by("number")][:2] == [250_000, 50_000]
    zero = admin_client_mfa.post(reverse("admin:sponsorships_sponsorpayment_add"), {
        "sponsor": deal.sponsor.pk, "amount_text": "0", "currency": "USD",
        "received_on": "2026-02-01", "method": "wire"})  # fmt: skip
    assert "A payment is more than zero" in zero.content.decode()
