"""The public verification page, and the donor's own receipts."""

import datetime as dt

import pytest
from django.urls import reverse

from donors.services import gift_set_refunded
from receipts.services import receipt_issue, receipt_render
from tests.factories import DonorFactory, UserFactory, posted_gift

pytestmark = pytest.mark.django_db


def _receipt(donor=None, amount=40_000):
    gift = posted_gift(donor=donor or DonorFactory(first_name="Maya", last_name="Okafor"),
                       amount=amount, currency="CAD", on=dt.date(2026, 2, 2))  # fmt: skip
    return receipt_render(
        receipt=receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)
    )


def test_anyone_can_verify_a_receipt_without_signing_in(client):
    receipt = _receipt()
    page = client.get(reverse("receipt_verify", args=[receipt.verification_code]))
    text = page.content.decode()
    assert page.status_code == 200 and "genuine and valid" in text
    assert receipt.receipt_number in text and "M. O." in text and "$400.00" in text
    assert receipt.pdf_sha256 in text and "Okafor" not in text  # initials only
    assert client.get(reverse("receipt_verify", args=["not-a-code"])).status_code == 404


def test_a_refunded_gifts_receipt_is_void_and_the_verification_page_says_so(client):
    receipt = _receipt()
    gift = receipt.lines.get().gift
    gift_set_refunded(gift=gift, refunded_amount=gift.amount, by=None)
    text = client.get(reverse("receipt_verify", args=[receipt.verification_code])).content.decode()
    assert "was voided" in text and "not valid" in text and "genuine and valid" not in text


def test_a_donor_sees_and_downloads_their_own_receipts_and_nobody_elses(client):
    maya = DonorFactory(user=UserFactory())
    mine, theirs = _receipt(donor=maya), _receipt()
    client.force_login(maya.user)
    page = client.get(reverse("my_gifts")).content.decode()
    assert mine.receipt_number in page and theirs.receipt_number not in page
    download = client.get(reverse("my_receipt_pdf", args=[mine.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert client.get(reverse("my_receipt_pdf", args=[theirs.pk])).status_code == 404


def test_someone_who_is_not_a_donor_gets_404_for_any_receipt(client):
    receipt = _receipt()
    client.force_login(UserFactory())
    assert client.get(reverse("my_receipt_pdf", args=[receipt.pk])).status_code == 404
