"""Money recorded by several people at once, over HTTP, on PostgreSQL: each is told the
truth (recorded, already recorded, no balance left), never a 500 nor "added successfully"
for what was not made. And invoicing through Stripe where it is not configured says so."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.urls import reverse

from sponsorships.models import Disbursement, SponsorPayment
from tests.factories import FundFactory, SponsorFactory, UserFactory, agreement, posted_gift
from tests.processes import run_at_once

PROCESSES = 8
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


def _finance_client(user_id) -> Client:
    from accounts.models import User
    from tests.conftest import login_with_second_factor

    client = Client()
    client.raise_request_exception = False
    login_with_second_factor(client, User.objects.get(pk=user_id))
    return client


def _said(response) -> tuple[int, str]:
    """What the person was told: the messages after a redirect, or the form's errors when
    it came back (a payment committed a moment before this one's form was checked)."""
    from django.contrib.messages import get_messages

    said = " | ".join(str(m) for m in get_messages(response.wsgi_request))
    if response.status_code == 200:
        errors = response.context["adminform"].form.errors.as_text()
        said = " | ".join(filter(None, [said, " ".join(errors.split())]))
    return response.status_code, said


def _post_payment(user_id, sponsor_id):
    client = _finance_client(user_id)
    response = client.post(reverse("admin:sponsorships_sponsorpayment_add"), {
        "sponsor": sponsor_id, "amount_text": "1500.00", "currency": "USD",
        "received_on": "2026-06-01", "method": "wire", "reference": "WIRE-2026-0601",
    })  # fmt: skip
    return _said(response)


def _post_disbursement(user_id, fund_id):
    client = _finance_client(user_id)
    response = client.post(reverse("admin:sponsorships_disbursement_add"), {
        "fund": fund_id, "amount_text": "200.00", "currency": "USD", "paid_on": "2026-06-01",
        "payee": "An artist", "purpose": "Prize",
    })  # fmt: skip
    return _said(response)


def _finance_user():
    from tests.conftest import login_with_second_factor

    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="finance"))
    login_with_second_factor(Client(), user)  # its TOTP device, made once, before the race
    return user


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_identical_sponsor_payments_at_once_record_one_and_tell_seven():
    user, sponsor = _finance_user(), SponsorFactory()
    agreement(sponsor=sponsor, amount=150_000)
    outcomes = run_at_once(_post_payment, [(user.pk, sponsor.pk)] * PROCESSES)
    assert all(status in (200, 302) for status, _ in outcomes), outcomes
    added = [said for _, said in outcomes if "was added successfully" in said]
    refused = [said for _, said in outcomes if "already recorded" in said]
    assert (len(added), len(refused)) == (1, 7), outcomes
    assert not any("added successfully" in said for said in refused)
    assert SponsorPayment.objects.count() == 1


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_disbursements_at_once_are_each_told_the_truth():
    user = _finance_user()
    prize = FundFactory(code="PRIZE", name="Prize pool", is_restricted=True)
    posted_gift(amount=100_000, fund=prize, on=dt.date(2026, 5, 1))  # $1,000: room for five
    outcomes = run_at_once(_post_disbursement, [(user.pk, prize.pk)] * PROCESSES)
    assert all(status in (200, 302) for status, _ in outcomes), outcomes
    added = [said for _, said in outcomes if "was added successfully" in said]
    refused = [said for _, said in outcomes if "cannot be paid out of it" in said
               or "available" in said and "added successfully" not in said]  # fmt: skip
    assert len(added) == Disbursement.objects.count() == 5, outcomes
    assert len(refused) == 3, outcomes


@pytest.mark.django_db
def test_invoicing_through_stripe_where_it_is_not_configured_says_so(settings, finance_client):
    settings.STRIPE_SECRET_KEY = ""
    deal = agreement(sponsor=SponsorFactory())
    first = deal.instalments.order_by("number").first()
    response = finance_client.post(reverse("admin:sponsorships_instalment_changelist"), {
        "action": "invoice_through_stripe", "_selected_action": [first.pk],
    }, follow=True)  # fmt: skip
    assert response.status_code == 200
    assert "Stripe is not configured here" in response.content.decode()
    first.refresh_from_db()
    assert first.stripe_invoice_id == ""
