"""The money rules hold in the model layer (whatever saves the gift) and in the database."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from donors.models import Gift, GiftAllocation, GiftMonthlyTotal
from donors.services import gift_record, gift_update, gift_void
from tests.factories import DonorFactory, FundFactory, posted_gift

pytestmark = pytest.mark.django_db


def _gift(**overrides) -> Gift:
    values = dict(donor=DonorFactory(), amount=5000, currency="USD",
                  received_on=dt.date(2026, 3, 1), method=Gift.Method.CHEQUE)  # fmt: skip
    values.update(overrides)
    return Gift(**values)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [({"amount": 0}, "amount", "greater than zero"),
     ({"currency": "ZZZ"}, "currency", "Unknown currency"),
     ({"fair_market_value": 6000, "advantage_description": "dinner"}, "fair_market_value",
      "worth more"),
     ({"fair_market_value": 100}, "advantage_description", "Describe what the donor received"),
     ({"tribute_type": "memory"}, "tribute_name", "Name the person")],
)  # fmt: skip
def test_the_model_refuses_bad_gifts_naming_the_field(overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        _gift(**overrides).save()
    assert message in " ".join(caught.value.message_dict[field])
    assert Gift.objects.count() == 0


def test_negative_amounts_never_reach_the_database():
    with pytest.raises((ValidationError, IntegrityError)):
        _gift(amount=-100).save()


def test_the_database_refuses_what_bypasses_the_model():
    gift = posted_gift(amount=1000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Gift.objects.filter(pk=gift.pk).update(amount=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Gift.objects.filter(pk=gift.pk).update(fair_market_value=2000)
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftAllocation.objects.filter(gift=gift).update(amount=0)


def test_a_split_that_does_not_add_up_is_refused_with_the_amounts():
    general, award = FundFactory(code="GEN"), FundFactory(code="AWARD", name="Award")
    with pytest.raises(ValidationError) as caught:
        gift_record(gift=_gift(), split=[(general, 3000), (award, 1000)], by=None)
    assert "adds up to $40.00 but the gift is $50.00" in str(caught.value)
    assert Gift.objects.count() == 0  # nothing half-written


def test_a_gift_cannot_be_posted_when_its_split_is_wrong_even_without_the_service():
    gift = _gift()
    gift.save()
    GiftAllocation.objects.create(gift=gift, fund=FundFactory(), amount=4000)
    gift.status = Gift.Status.POSTED
    with pytest.raises(ValidationError, match="adds up to"):
        gift.save()
    with pytest.raises(ValidationError, match="more than the gift"):
        GiftAllocation.objects.create(gift=gift, fund=FundFactory(code="X1", name="x"), amount=2000)


def test_a_posted_gift_keeps_its_money_and_split():
    gift = posted_gift(amount=2500)
    gift.amount = 2600
    with pytest.raises(ValidationError, match="amount cannot change"):
        gift.save()
    gift.refresh_from_db()
    with pytest.raises(ValidationError, match="split cannot change"):
        gift_update(gift=gift, split=[(FundFactory(code="OTHER", name="o"), 2500)], by=None)
    with pytest.raises(ValidationError):
        gift.allocations.get().delete()
    # Descriptive fields may still change, and are audited.
    gift_update(gift=gift, notes="Thank-you call done", by=None)
    assert [h.notes for h in gift.history.order_by("history_id")] == ["", "Thank-you call done"]


def test_voiding_needs_a_reason_keeps_the_gift_and_leaves_the_totals():
    gift = posted_gift(amount=2500, on=dt.date(2026, 3, 5))
    assert GiftMonthlyTotal.objects.get(month=dt.date(2026, 3, 1)).amount == 2500
    with pytest.raises(ValidationError, match="why"):
        gift_void(gift=gift, reason="  ", by=None)
    gift_void(gift=gift, reason="Cheque bounced", by=None)
    gift.refresh_from_db()
    assert gift.status == Gift.Status.VOID and gift.void_reason == "Cheque bounced"
    assert not GiftMonthlyTotal.objects.filter(month=dt.date(2026, 3, 1)).exists()
    gift.status = Gift.Status.POSTED
    with pytest.raises(ValidationError, match="void"):
        gift.save()


def test_zero_decimal_currencies_are_stored_as_whole_units():
    gift = posted_gift(amount=15000, currency="JPY")
    assert gift.amount_display == "¥15,000"


def test_rebuilding_the_totals_gives_what_the_services_kept():
    from django.core.management import call_command

    posted_gift(amount=1000, on=dt.date(2026, 1, 5))
    posted_gift(amount=2000, on=dt.date(2026, 1, 20), currency="EUR")
    kept = sorted(GiftMonthlyTotal.objects.values_list("month", "currency", "amount"))
    GiftMonthlyTotal.objects.all().delete()
    call_command("rebuild_totals", verbosity=0)
    assert sorted(GiftMonthlyTotal.objects.values_list("month", "currency", "amount")) == kept
    assert kept == [(dt.date(2026, 1, 1), "EUR", 2000), (dt.date(2026, 1, 1), "USD", 1000)]


def test_recording_a_gift_audits_the_gift_and_each_part_of_its_split(finance_user):
    gen, mat = FundFactory(code="GEN"), FundFactory(code="MAT", name="MAT")
    gift = Gift(donor=DonorFactory(), amount=3000, currency="USD",
                received_on=dt.date(2026, 2, 1), method="cheque")  # fmt: skip
    gift_record(gift=gift, split=[(gen, 1000), (mat, 2000)], by=finance_user)
    # entered posted at once, its split in the same transaction
    assert [h.status for h in gift.history.all()] == ["posted"] and gift.posted_at
    parts = GiftAllocation.history.filter(gift_id=gift.pk)
    assert sorted(p.amount for p in parts) == [1000, 2000]
    assert {p.history_user for p in parts} == {finance_user}
    assert {h.history_user for h in gift.history.all()} == {finance_user}


def test_a_split_that_does_not_add_up_is_refused_and_nothing_is_written():
    gift = Gift(donor=DonorFactory(), amount=3000, currency="USD",
                received_on=dt.date(2026, 2, 1), method="cash")  # fmt: skip
    with pytest.raises(ValidationError, match="adds up to"):
        gift_record(gift=gift, split=[(FundFactory(code="GEN"), 2999)], by=None)
    assert not Gift.objects.exists() and not GiftAllocation.objects.exists()
