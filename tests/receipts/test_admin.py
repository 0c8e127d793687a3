import datetime as dt

import pytest
from django.urls import reverse

from receipts.models import Receipt
from receipts.services import receipt_issue
from tests.factories import posted_gift

pytestmark = pytest.mark.django_db


def _receipt():
    gift = posted_gift(amount=30000, currency="CAD", on=dt.date(2026, 3, 1))
    return receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)


def test_finance_voids_and_replaces_a_receipt_with_a_reason(finance_client):
    original = _receipt()
    url = reverse("admin:receipts_receipt_changelist")
    page = finance_client.post(url, {"action": "replace", "_selected_action": [original.pk]})
    assert "Why is the receipt replaced?" in page.content.decode()
    finance_client.post(url, {"action": "replace", "_selected_action": [original.pk],
                              "reason": "Donor's name was misspelt"})  # fmt: skip  # fmt: skip
    original.refresh_from_db()
    assert (original.status, original.void_reason) == ("void", "Donor's name was misspelt")
    assert original.voided_by.groups.filter(name="finance").exists()
    assert Receipt.objects.get(replaces=original).number == 2


def test_fundraising_staff_see_receipts_but_cannot_replace_them(fundraising_client):
    _receipt()
    page = fundraising_client.get(reverse("admin:receipts_receipt_changelist"))
    assert page.status_code == 200 and "CA2026-000001" in page.content.decode()
    assert 'value="replace"' not in page.content.decode()
