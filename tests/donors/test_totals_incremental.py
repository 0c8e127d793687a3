"""Posting one gift adds to the monthly totals; the result equals a rebuild from the gifts."""

import datetime as dt

import pytest

from donors.models import GiftMonthlyTotal
from donors.totals import rebuild_all
from tests.factories import CampaignFactory, FundFactory, posted_gift

pytestmark = pytest.mark.django_db


def _totals():
    rows = GiftMonthlyTotal.objects.values_list(
        "month", "currency", "fund_id", "campaign_id", "amount"
    )
    out: dict = {}
    for month, currency, fund, campaign, amount in rows:
        out[(month, currency, fund, campaign)] = (
            out.get((month, currency, fund, campaign), 0) + amount
        )
    return out


def test_posting_gifts_one_by_one_gives_the_same_totals_as_a_rebuild():
    gen, mat = FundFactory(code="GEN"), FundFactory(code="MAT", name="MAT")
    campaign = CampaignFactory()
    for i, (fund, cur, day) in enumerate([(gen, "USD", 3), (gen, "USD", 4), (mat, "EUR", 5),
                                          (gen, "USD", 40), (mat, "USD", 3)]):  # fmt: skip
        posted_gift(amount=1000 + i, currency=cur, fund=fund, campaign=campaign if i % 2 else None,
                    on=dt.date(2026, 1, 1) + dt.timedelta(days=day))  # fmt: skip
    added = _totals()
    assert sum(added.values()) == sum(1000 + i for i in range(5))
    rebuild_all()
    assert _totals() == added
