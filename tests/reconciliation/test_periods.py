"""A month closes once its payouts are reconciled; its gifts then cannot change, and reopening
needs finance and a reason, both recorded."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from donors.models import Gift
from donors.services import gift_record, gift_update, gift_void
from payments.models import Payout
from reconciliation.models import PayoutCheck, PeriodEvent
from reconciliation.periods import period_close, period_reopen
from tests.factories import DonorFactory, FundFactory, posted_gift

pytestmark = pytest.mark.django_db

MAY = dt.date(2026, 5, 1)


def _payout(status):
    payout = Payout.objects.create(payout_id=f"po_{status}", amount=100, currency="USD",
                                   status="paid", arrival_date=dt.date(2026, 5, 20),
                                   created=timezone.now())  # fmt: skip
    PayoutCheck.objects.create(payout=payout, status=status, lines=1, lines_net=100)
    return payout


def test_a_month_with_an_unreconciled_payout_does_not_close(finance_user):
    _payout("reconciled")
    bad = _payout("exceptions")
    with pytest.raises(ValidationError, match=bad.payout_id):
        period_close(month=MAY, by=finance_user)


def test_a_closed_months_gifts_cannot_change_until_finance_reopens_it_with_a_reason(
    finance_user, fundraising_user
):
    gift = posted_gift(amount=5_000, on=dt.date(2026, 5, 12))
    _payout("reconciled")
    with pytest.raises(PermissionDenied):
        period_close(month=MAY, by=fundraising_user)
    period_close(month=MAY, by=finance_user)
    for change in (
        lambda: gift_void(gift=gift, reason="entered twice", by=finance_user),
        lambda: gift_update(
            gift=Gift.objects.get(pk=gift.pk), by=finance_user, notes="late note"
        ),  # fmt: skip
        lambda: gift_record(
            gift=Gift(
                donor=DonorFactory(),
                amount=100,
                currency="USD",
                received_on=dt.date(2026, 5, 30),
                method="cash",
            ),
            split=[(FundFactory(), 100)],
            by=finance_user,
        ),  # fmt: skip
        lambda: gift_update(
            gift=Gift.objects.get(pk=posted_gift(on=dt.date(2026, 6, 2)).pk),
            by=finance_user,
            received_on=dt.date(2026, 5, 3),
        ),  # fmt: skip
    ):
        with pytest.raises(ValidationError, match="May 2026 is closed"):
            change()
    assert Gift.objects.get(pk=gift.pk).status == "posted"
    with pytest.raises(ValidationError, match="Say why"):
        period_reopen(month=MAY, by=finance_user, reason=" ")
    with pytest.raises(PermissionDenied):
        period_reopen(month=MAY, by=fundraising_user, reason="typo")
    period_reopen(month=MAY, by=finance_user, reason="A cheque was entered twice")
    gift_void(gift=gift, reason="entered twice", by=finance_user)
    events = list(PeriodEvent.objects.order_by("id").values_list("action", "by", "reason"))
    assert events == [("close", finance_user.pk, ""),
                      ("reopen", finance_user.pk, "A cheque was entered twice")]  # fmt: skip
