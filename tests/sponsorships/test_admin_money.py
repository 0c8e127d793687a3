"""Fundraising types an agreement's amount and its benefits' values as money, in the
agreement's currency, and reads them back as money: never minor units."""

import pytest
from django.urls import reverse

from sponsorships.models import Agreement, Benefit
from tests.factories import SponsorFactory, agreement

pytestmark = pytest.mark.django_db


def _inline(prefix: str, rows: list[dict]) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}  # fmt: skip
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{k}": v for k, v in row.items()})
    return data


def test_an_agreement_and_its_benefit_are_typed_as_money(admin_client_mfa):
    sponsor = SponsorFactory()
    data = {"sponsor": sponsor.pk, "title": "Prize partner", "currency": "USD",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "status": "active",
            "amount_text": "12000.00",
            **_inline("benefits", [{"description": "Logo on the stage", "fair_market_value_text":
                                    "250.00", "due_on": "2026-06-01"}]),
            **_inline("instalments", [])}  # fmt: skip
    answer = admin_client_mfa.post(reverse("admin:sponsorships_agreement_add"), data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    made = Agreement.objects.get(title="Prize partner")
    assert made.amount == 1_200_000
    assert Benefit.objects.get(agreement=made).fair_market_value == 25_000
    page = admin_client_mfa.get(reverse("admin:sponsorships_agreement_change", args=[made.pk]))
    text = page.content.decode()
    assert 'value="12000.00"' in text and 'value="250.00"' in text
    assert "minor units" not in text.lower()


def test_yen_take_no_decimals_and_the_error_names_the_field(admin_client_mfa):
    deal = agreement(currency="JPY", amount=1_000_000)
    typed = {"agreement": deal.pk, "description": "Tickets", "fair_market_value_text": "12.50"}
    answer = admin_client_mfa.post(reverse("admin:sponsorships_benefit_add"), typed)
    page = answer.content.decode()
    assert "has more decimals than JPY allows (0)" in page
    assert not Benefit.objects.exists()


def test_lists_show_benefits_and_instalments_as_money(admin_client_mfa):
    deal = agreement(amount=1_200_000, frequency="quarterly")
    Benefit.objects.create(agreement=deal, description="Banner", fair_market_value=25_000)
    benefits = admin_client_mfa.get(reverse("admin:sponsorships_benefit_changelist"))
    assert "$250.00" in benefits.content.decode()
    page = admin_client_mfa.get(reverse("admin:sponsorships_agreement_change", args=[deal.pk]))
    assert "$3,000.00" in page.content.decode()  # each quarterly instalment
