"""Receipt numbers are unique and gapless; an issued receipt never changes, is never
deleted, and is corrected only by a void plus a replacement."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from donors.services import gift_set_refunded
from receipts.models import Receipt, ReceiptLine, ReceiptSeries
from receipts.services import receipt_issue, receipt_replace, receipt_void
from tests.factories import DonorFactory, posted_gift

pytestmark = pytest.mark.django_db

JAN = dt.date(2026, 1, 15)


def _issue(gift, **kwargs):
    return receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None, **kwargs)


def test_a_receipt_snapshots_the_donor_and_receipts_the_gift_less_its_advantage():
    donor = DonorFactory(first_name="Maya", last_name="Okafor", address_line1="12 King St",
                         city="Toronto", region="ON", postcode="M5H 1A1", country="CA")  # fmt: skip
    gift = posted_gift(donor=donor, amount=20000, currency="CAD", on=JAN,
                       fair_market_value=5000, advantage_description="Gala dinner")  # fmt: skip
    receipt = _issue(gift)
    assert receipt.receipt_number == "CA2026-000001"
    assert (receipt.total_amount, receipt.advantage_amount, receipt.eligible_amount) == (
        20000,
        5000,
        15000,
    )
    assert receipt.donor_name == "Maya Okafor" and "Toronto ON M5H 1A1" in receipt.donor_address
    donor.address_line1 = "99 Queen St"
    donor.save()
    receipt.refresh_from_db()
    assert "12 King St" in receipt.donor_address  # the snapshot, not the donor as now


def test_numbers_follow_each_other_per_series_and_a_rolled_back_issue_leaves_no_gap():
    first = _issue(posted_gift(currency="CAD", on=JAN))
    with pytest.raises(RuntimeError), transaction.atomic():
        _issue(posted_gift(currency="CAD", on=JAN))
        raise RuntimeError("the issuing transaction fails after taking a number")
    second = _issue(posted_gift(currency="CAD", on=JAN))
    other_year = _issue(posted_gift(currency="CAD", on=dt.date(2025, 12, 31)))
    us = receipt_issue(gifts=[posted_gift(on=JAN)], kind="gift", jurisdiction="US", by=None)
    assert [first.number, second.number] == [1, 2]
    assert (other_year.receipt_number, us.receipt_number) == ("CA2025-000001", "US2026-000001")
    assert ReceiptSeries.objects.get(jurisdiction="CA", year=2026).last_number == 2


def test_an_issued_receipt_cannot_change_by_any_path():
    receipt = _issue(posted_gift(amount=5000, currency="CAD", on=JAN))
    receipt.total_amount = 1
    with pytest.raises(ValidationError, match="cannot change"):
        receipt.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(total_amount=1, eligible_amount=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(donor_name="Someone else")
    with pytest.raises(DatabaseError), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(already_receipted=[{"gift": 1}])
    with pytest.raises(DatabaseError), transaction.atomic():
        ReceiptLine.objects.filter(receipt=receipt).update(amount=1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE receipts_receipt SET number = 99 WHERE id = %s", [receipt.pk])
    receipt.refresh_from_db()
    assert (receipt.total_amount, receipt.number, receipt.donor_name) == (
        5000,
        1,
        receipt.donor_name,
    )


def test_receipts_are_never_deleted():
    receipt = _issue(posted_gift(currency="CAD", on=JAN))
    with pytest.raises(ValidationError, match="never deleted"):
        receipt.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        ReceiptLine.objects.filter(receipt=receipt).delete()
    assert Receipt.objects.filter(pk=receipt.pk).exists()


def test_delivery_state_and_the_pdf_hash_may_be_recorded_once():
    receipt = _issue(posted_gift(currency="CAD", on=JAN))
    Receipt.objects.filter(pk=receipt.pk).update(delivery_status="sent", pdf_sha256="a" * 64)
    with pytest.raises(DatabaseError), transaction.atomic():
        Receipt.objects.filter(pk=receipt.pk).update(pdf_sha256="b" * 64)
    assert Receipt.objects.get(pk=receipt.pk).delivery_status == "sent"


def test_a_correction_is_a_void_plus_a_replacement_that_names_the_original():
    gift = posted_gift(amount=10000, currency="CAD", on=JAN)
    original = _issue(gift)
    with pytest.raises(ValidationError, match="already on a receipt in force"):
        _issue(gift)
    replacement = receipt_replace(receipt=original, reason="Name misspelt", by=None)
    original.refresh_from_db()
    assert (original.status, original.void_reason) == ("void", "Name misspelt")
    assert replacement.replaces == original and replacement.number == original.number + 1
    assert list(ReceiptLine.objects.filter(gift=gift, in_force=True)) == list(
        replacement.lines.all()
    )
    with pytest.raises(DatabaseError), transaction.atomic():  # void for good
        Receipt.objects.filter(pk=original.pk).update(status="issued")
    assert receipt_void(receipt=original, reason="again", by=None).void_reason == "Name misspelt"


def test_a_partial_refund_voids_the_receipt_and_replaces_it_for_what_was_kept():
    gift = posted_gift(amount=10000, currency="CAD", on=JAN)
    original = _issue(gift)
    gift_set_refunded(gift=gift, refunded_amount=4000, by=None)
    original.refresh_from_db()
    replacement = Receipt.objects.get(replaces=original)
    assert original.status == "void" and "$40.00 refunded" in original.void_reason
    assert (replacement.status, replacement.total_amount) == ("issued", 6000)


def test_with_replacements_left_to_finance_a_refund_only_voids():
    from receipts.models import Organisation

    Organisation.objects.update_or_create(pk=1, defaults={"on_refund": "queue"})
    gift = posted_gift(amount=10000, currency="CAD", on=JAN)
    original = _issue(gift)
    gift_set_refunded(gift=gift, refunded_amount=1000, by=None)
    assert Receipt.objects.get(pk=original.pk).status == "void"
    assert not Receipt.objects.filter(replaces=original).exists()


def test_a_gift_refunded_in_full_is_not_receipted_and_its_receipt_is_only_voided():
    gift = posted_gift(amount=3000, currency="CAD", on=JAN)
    original = _issue(gift)
    gift_set_refunded(gift=gift, refunded_amount=3000, by=None)
    assert Receipt.objects.get(pk=original.pk).status == "void"  # voided by the refund
    assert not Receipt.objects.filter(replaces=original).exists()  # nothing left to receipt
    with pytest.raises(ValidationError, match="refunded in full"):
        receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)


def test_one_receipt_covers_one_donor_in_one_currency():
    a, b = posted_gift(currency="CAD", on=JAN), posted_gift(currency="CAD", on=JAN)
    with pytest.raises(ValidationError, match="one donor"):
        receipt_issue(gifts=[a, b], kind="statement", jurisdiction="CA", by=None)
    c = posted_gift(currency="USD", on=JAN, donor=a.donor)
    with pytest.raises(ValidationError, match="one currency"):
        receipt_issue(gifts=[a, c], kind="statement", jurisdiction="CA", by=None)
    assert not Receipt.objects.exists()
