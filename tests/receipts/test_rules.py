"""The jurisdictions' rules, applied before a receipt is issued."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from donors.models import Gift
from receipts import rules
from receipts.models import Receipt
from receipts.services import receipt_issue
from tests.factories import DonorFactory, posted_gift

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 1)


def _ca(amount, fmv=0, **extra):
    gift = posted_gift(amount=amount, currency="CAD", on=ON, fair_market_value=fmv,
                       advantage_description="Dinner" if fmv else "", **extra)  # fmt: skip
    return receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)


@pytest.mark.parametrize(
    "amount, fmv, receipted_advantage",
    [
        (100_000, 7_500, 0),  # $75 on $1,000: not more than the lesser of $75 and 10 %
        (100_000, 7_501, 7_501),  # a cent more: counted
        (50_000, 5_000, 0),  # exactly 10 % of $500 ($50 < $75)
        (50_000, 5_001, 5_001),
    ],
)
def test_canada_disregards_a_de_minimis_advantage(amount, fmv, receipted_advantage):
    receipt = _ca(amount, fmv)
    assert receipt.advantage_amount == receipted_advantage
    assert receipt.eligible_amount == amount - receipted_advantage


def test_canada_refuses_a_receipt_when_the_advantage_is_more_than_80_percent():
    with pytest.raises(ValidationError, match="more than 80 %"):
        _ca(10_000, 8_001)
    assert _ca(10_000, 8_000).eligible_amount == 2_000  # exactly 80 % is still receipted
    assert Receipt.objects.count() == 1


def test_canada_needs_cad_and_the_donors_address():
    gift = posted_gift(amount=10_000, currency="USD", on=ON)
    with pytest.raises(ValidationError, match="Canadian receipts are in CAD"):
        receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)
    nowhere = DonorFactory(address_line1="", city="")
    with pytest.raises(ValidationError, match="has no address"):
        receipt_issue(gifts=[posted_gift(amount=10_000, currency="CAD", on=ON, donor=nowhere)],
                      kind="gift", jurisdiction="CA", by=None)  # fmt: skip


def test_the_us_needs_usd_and_flags_the_75_dollar_disclosure():
    with pytest.raises(ValidationError, match="US acknowledgements are in USD"):
        receipt_issue(gifts=[posted_gift(amount=30_000, currency="CAD", on=ON)], kind="gift",
                      jurisdiction="US", by=None)  # fmt: skip
    assert rules.needs_quid_pro_quo_disclosure(jurisdiction="US", total=7_501, advantage=1)
    assert not rules.needs_quid_pro_quo_disclosure(jurisdiction="US", total=7_500, advantage=1)
    assert not rules.needs_quid_pro_quo_disclosure(jurisdiction="US", total=50_000, advantage=0)
    assert not rules.needs_quid_pro_quo_disclosure(jurisdiction="CA", total=50_000, advantage=10)


def test_a_gift_in_kind_must_describe_its_property():
    gift = posted_gift(amount=40_000, currency="CAD", on=ON, method=Gift.Method.IN_KIND)
    with pytest.raises(ValidationError, match="describe the property"):
        receipt_issue(gifts=[gift], kind="gift", jurisdiction="CA", by=None)


def test_us_gifts_of_250_dollars_or_more_are_receipted_automatically():
    big, small = posted_gift(amount=25_000, on=ON), posted_gift(amount=24_999, on=ON)
    assert rules.needs_receipt_automatically(big, jurisdiction="US", threshold=10**9)
    assert not rules.needs_receipt_automatically(small, jurisdiction="US", threshold=10**9)
    loonies = posted_gift(amount=2_000, currency="CAD", on=ON)
    assert rules.needs_receipt_automatically(loonies, jurisdiction="CA", threshold=2_000)
    # A Canadian receipt is in CAD: a gift in dollars is outside it, whatever its amount.
    assert not rules.needs_receipt_automatically(big, jurisdiction="CA", threshold=2_000)
