"""A donor manages their own recurring gifts through Stripe's customer portal."""

import pytest
from django.urls import reverse

from donors.models import RecurringPlan
from payments.models import StripeCustomer
from tests.factories import DonorFactory, FundFactory, UserFactory

pytestmark = pytest.mark.django_db


def _donor_with_plan(customer_id: str):
    donor = DonorFactory(user=UserFactory())
    StripeCustomer.objects.create(customer_id=customer_id, donor=donor)
    RecurringPlan.objects.create(
        donor=donor,
        amount=2500,
        currency="USD",
        fund=FundFactory(),
        started_on="2026-01-01",
        external_reference=f"sub_{customer_id}",
    )
    return donor


def test_the_donor_page_offers_the_portal_and_it_opens_for_their_own_customer(client, fake_stripe):
    donor = _donor_with_plan("cus_ana")
    _donor_with_plan("cus_someone_else")
    client.force_login(donor.user)
    page = client.get(reverse("my_gifts")).content.decode()
    assert "Change or cancel a recurring gift" in page and "$25.00" in page
    answer = client.post(reverse("manage_recurring"), {"token": "abc"})
    assert answer.status_code == 302 and answer["Location"].startswith(
        "https://billing.stripe.com/"
    )
    [sent] = fake_stripe.sent
    assert (sent.path, sent.params["customer"]) == ("/v1/billing_portal/sessions", "cus_ana")
    assert sent.idempotency_key == f"donor-{donor.pk}-portal-abc"


def test_someone_who_is_not_a_donor_gets_404(client, fake_stripe):
    _donor_with_plan("cus_ana")
    client.force_login(UserFactory())
    assert client.post(reverse("manage_recurring"), {"token": "x"}).status_code == 404
    assert not fake_stripe.sent


def test_a_donor_without_online_gifts_is_told_so(client, fake_stripe):
    donor = DonorFactory(user=UserFactory())
    client.force_login(donor.user)
    answer = client.post(reverse("manage_recurring"), {"token": "x"}, follow=True)
    assert "No online gift is on file" in answer.content.decode()
    assert not fake_stripe.sent


def test_signed_out_visitors_are_sent_to_sign_in(client, fake_stripe):
    answer = client.post(reverse("manage_recurring"))
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
