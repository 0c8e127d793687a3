import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from donors.models import DonorMerge, Gift, GiftBatch, PossibleDuplicate
from donors.services import batch_close, batch_open, donor_merge, gift_record
from tests.factories import DonorFactory, FundFactory, posted_gift

pytestmark = pytest.mark.django_db


def _batch(user, count=2, total=15000) -> GiftBatch:
    return batch_open(reference="DEP-1", deposited_on=dt.date(2026, 11, 2), currency="USD",
                      expected_count=count, expected_total=total, by=user)  # fmt: skip


def _cheque(batch, amount, user, currency="USD"):
    gift = Gift(donor=DonorFactory(), amount=amount, currency=currency, batch=batch,
                received_on=batch.deposited_on, method=Gift.Method.CHEQUE)  # fmt: skip
    return gift_record(gift=gift, split=[(FundFactory(), amount)], by=user)


def test_a_batch_closes_only_when_count_and_total_match_the_slip(finance_user):
    batch = _batch(finance_user)
    first = _cheque(batch, 10000, finance_user)
    assert first.status == Gift.Status.PENDING  # waits for the batch
    with pytest.raises(ValidationError) as caught:
        batch_close(batch=batch, by=finance_user)
    assert "1 gift entered, the slip says 2" in str(caught.value)
    _cheque(batch, 4000, finance_user)
    with pytest.raises(ValidationError, match=r"differs from the slip's \$150.00 by \$10.00"):
        batch_close(batch=batch, by=finance_user)
    batch.expected_total = 14000
    batch.save()
    closed = batch_close(batch=batch, by=finance_user)
    assert closed.status == GiftBatch.Status.CLOSED and closed.closed_by == finance_user
    assert set(batch.gifts.values_list("status", flat=True)) == {Gift.Status.POSTED}
    with pytest.raises(ValidationError, match="closed"):
        _cheque(batch, 100, finance_user)


def test_a_batch_takes_only_its_own_currency(finance_user):
    batch = _batch(finance_user)
    with pytest.raises(ValidationError, match="in USD; this gift is in EUR"):
        _cheque(batch, 100, finance_user, currency="EUR")


def test_merging_moves_everything_and_keeps_the_history(fundraising_user):
    keep = DonorFactory(email="ana@example.net", phone="", address_line2="")
    merge = DonorFactory(email="ana.silva@example.com", phone="+1 615 555 0100")
    g1, g2 = posted_gift(donor=keep), posted_gift(donor=merge)
    other = posted_gift(soft_credit_donor=merge)
    PossibleDuplicate.objects.create(donor=merge, other=keep, reason="same name")
    record = donor_merge(keep=keep, merge=merge, by=fundraising_user)
    keep.refresh_from_db(), merge.refresh_from_db()
    assert set(keep.gifts.all()) == {g1, g2}
    assert Gift.objects.get(pk=other.pk).soft_credit_donor == keep
    assert keep.phone == "+1 615 555 0100"
    assert merge.merged_into == keep and merge.email is None
    assert record.moved == {"gifts": 1, "soft_credits": 1, "recurring_plans": 0}
    assert record.merged_snapshot["email"] == "ana.silva@example.com"
    assert DonorMerge.objects.get().merged_by == fundraising_user
    assert PossibleDuplicate.objects.get().status == PossibleDuplicate.Status.MERGED
    assert merge.history.first().history_user == fundraising_user
    with pytest.raises(ValidationError, match="already merged"):
        donor_merge(keep=keep, merge=merge, by=fundraising_user)
    with pytest.raises(ValidationError, match="merged"):
        posted_gift(donor=merge)


def test_the_batch_page_shows_entered_gifts_and_a_closed_batch_cannot_change(
    finance_user, finance_client
):
    from django.urls import reverse

    batch = _batch(finance_user, count=1, total=10000)
    gift = _cheque(batch, 10000, finance_user)
    url = reverse("admin:donors_giftbatch_change", args=[batch.pk])
    page = finance_client.get(url).content.decode()
    row = page.split("Gifts on the slip")[1]
    fund = gift.allocations.get().fund.code
    assert "$100.00" in row and f">{fund}<" in row.replace(" ", "") and ">None<" not in row
    batch_close(batch=batch, by=finance_user)
    page = finance_client.get(url).content.decode()
    assert 'name="_save"' not in page and "$100.00" in page  # read, not changed
    answer = finance_client.post(url, {"reference": "DEP-1", "expected_total_text": "1.00"})
    batch.refresh_from_db()
    assert answer.status_code == 403 and batch.expected_total == 10000
