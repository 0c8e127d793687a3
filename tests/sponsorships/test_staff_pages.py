"""Staff see the pipeline, overdue instalments, renewals, restricted funds and an
agreement's schedule with its payments and benefits."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from sponsorships.models import Benefit
from sponsorships.services import disbursement_record, payment_record
from tests.factories import FundFactory, SponsorFactory, agreement

pytestmark = pytest.mark.django_db


def test_the_overview_shows_overdue_renewals_pipeline_and_funds(fundraising_client):
    today = timezone.localdate()
    prize = FundFactory(code="PRIZE", name="Prize pool", is_restricted=True)
    late = agreement(sponsor=SponsorFactory(name="Late Bank", kind="financial"),
                     title="Late deal", amount=800_000, fund=prize,
                     starts_on=today - dt.timedelta(days=200),
                     ends_on=today + dt.timedelta(days=30))  # fmt: skip
    payment_record(sponsor=late.sponsor, amount=200_000, currency="USD", received_on=today,
                   method="wire", by=None)  # fmt: skip
    disbursement_record(fund=prize, amount=50_000, currency="USD", paid_on=today,
                        payee="Aria Stone", purpose="Prize", by=None)  # fmt: skip
    page = fundraising_client.get(reverse("sponsorships_overview")).content.decode()
    assert "Late deal" in page  # overdue and up for renewal within 90 days
    assert page.count("Late deal") >= 2
    assert "Financial institution" in page and "$2,000.00 received" in page
    assert "$1,500.00 available" in page  # received $2,000, paid out $500


def test_an_agreements_page_shows_its_schedule_payments_and_benefits(fundraising_client):
    deal = agreement(amount=1_200_000, frequency="monthly")
    Benefit.objects.create(agreement=deal, description="Logo on the stage",
                           fair_market_value=50_000)  # fmt: skip
    payment_record(sponsor=deal.sponsor, amount=150_000, currency="USD",
                   received_on=dt.date(2026, 2, 3), method="cheque", by=None)  # fmt: skip
    page = fundraising_client.get(reverse("agreement_page", args=[deal.pk])).content.decode()
    assert "Logo on the stage" in page and "$500.00" in page
    assert "2026-02-03 cheque $1,000.00" in page and "2026-02-03 cheque $500.00" in page
    assert "outstanding $10,500.00" in page


def test_donors_do_not_see_staff_pages(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(reverse("sponsorships_overview")).status_code == 403


def test_benefits_wait_in_the_fulfilment_queue_and_over_two_percent_is_flagged(
    fundraising_client,
):
    from sponsorships.selectors import benefit_share

    small = agreement(title="Website partner", amount=1_000_000)  # $10,000
    Benefit.objects.create(
        agreement=small,
        description="Logo on the website",
        fair_market_value=20_000,
        due_on=dt.date(2026, 3, 1),
    )  # 2 %: fine
    big = agreement(title="Gala partner", amount=1_000_000)
    Benefit.objects.create(agreement=big, description="Gala table for ten",
                           fair_market_value=150_000)  # 15 %  # fmt: skip
    assert not benefit_share(small)["flagged"] and benefit_share(big)["flagged"]
    assert benefit_share(big)["contribution"] == 850_000
    page = fundraising_client.get(reverse("sponsorships_overview")).content.decode()
    queue = page.split("Benefits to deliver")[1].split("Benefits worth more")[0]
    assert queue.index("Logo on the website") < queue.index("Gala table for ten")  # due first
    flagged = page.split("Benefits worth more than 2 %")[1].split("Restricted funds")[0]
    assert "Gala partner" in flagged and "Website partner" not in flagged
    agreement_page = fundraising_client.get(reverse("agreement_page", args=[big.pk]))
    assert "a substantial return benefit" in agreement_page.content.decode()


def test_finance_records_a_payment_on_chosen_instalments_and_writes_one_off(finance_client):
    deal = agreement(amount=1_000_000)  # four instalments of $2,500
    url = reverse("agreement_page", args=[deal.pk])
    second, third = deal.instalments.order_by("number")[1:3]
    answer = finance_client.post(url, {
        "do": "pay", "pay-amount": "3000.00", "pay-received_on": "2026-04-01",
        "pay-method": "wire", "pay-reference": "HTB-778",
        "pay-instalments": [second.pk, third.pk]})  # fmt: skip
    assert answer.status_code == 302
    second.refresh_from_db(), third.refresh_from_db()
    assert (second.paid_amount, third.paid_amount) == (250_000, 50_000)
    bad = finance_client.post(url, {"do": "pay", "pay-amount": "12,00", "pay-received_on":
                                    "2026-04-01", "pay-method": "wire"})  # fmt: skip
    assert "is not a number" in bad.content.decode()
    finance_client.post(url, {"do": "write_off", "off-instalment": third.pk,
                              "off-reason": "Sponsor reduced its commitment"})  # fmt: skip
    third.refresh_from_db()
    assert third.written_off_amount == 200_000 and third.state == "settled"
    refused = finance_client.post(url, {"do": "write_off", "off-instalment": third.pk,
                                        "off-reason": "again"})  # fmt: skip
    assert "at most the $0.00 still open" in refused.content.decode()


def test_fundraising_staff_cannot_record_payments(fundraising_client):
    deal = agreement(amount=1_000_000)
    answer = fundraising_client.post(reverse("agreement_page", args=[deal.pk]), {
        "do": "pay", "pay-amount": "10.00", "pay-received_on": "2026-04-01",
        "pay-method": "wire"})  # fmt: skip
    assert answer.status_code == 403 and not deal.sponsor.payments.exists()
