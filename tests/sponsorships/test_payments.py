"""Paying, part paying, overpaying and writing off instalments keep the pledge balance
right; a restricted fund never pays out more than it received."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from sponsorships.models import Instalment
from sponsorships.selectors import agreement_balance, fund_position
from sponsorships.services import (
    agreement_schedule,
    disbursement_record,
    instalment_write_off,
    payment_apply,
    payment_record,
)
from tests.factories import FundFactory, agreement, posted_gift

pytestmark = pytest.mark.django_db

PAID_ON = dt.date(2026, 2, 1)


def _pay(deal, amount, **kw):
    return payment_record(sponsor=deal.sponsor, amount=amount, currency=deal.currency,
                          received_on=PAID_ON, method="wire", by=None, **kw)  # fmt: skip


def test_a_quarterly_schedule_adds_up_to_the_agreement():
    deal = agreement(amount=1_000_000)  # $10,000 over four quarters
    amounts = list(deal.instalments.values_list("amount", flat=True))
    assert amounts == [250_000] * 4
    assert agreement_balance(deal)["outstanding"] == 1_000_000


def test_a_payment_settles_the_oldest_instalments_first_and_a_part_payment_leaves_the_rest():
    deal = agreement(amount=1_000_000)
    payment = _pay(deal, 300_000)
    first, second, *_ = deal.instalments.order_by("number")
    assert (first.paid_amount, second.paid_amount, payment.credit) == (250_000, 50_000, 0)
    assert (first.state, second.state) == ("settled", "part paid")
    assert agreement_balance(deal) == {"pledged": 1_000_000, "scheduled": 1_000_000,
                                       "paid": 300_000, "written_off": 0,
                                       "outstanding": 700_000}  # fmt: skip


def test_an_overpayment_is_kept_as_credit_and_applied_later():
    deal = agreement(amount=400_000, frequency="yearly")  # one instalment
    payment = _pay(deal, 450_000)
    assert (payment.applied_amount, payment.credit) == (400_000, 50_000)
    assert agreement_balance(deal)["outstanding"] == 0
    renewal = agreement(sponsor=deal.sponsor, amount=100_000, frequency="yearly",
                        starts_on=dt.date(2027, 1, 15))  # fmt: skip
    payment_apply(payment=payment, instalment=renewal.instalments.get(), amount=50_000, by=None)
    payment.refresh_from_db()
    assert payment.credit == 0 and agreement_balance(renewal)["outstanding"] == 50_000
    with pytest.raises(ValidationError, match="more than the payment's unapplied"):
        payment_apply(payment=payment, instalment=renewal.instalments.get(), amount=1, by=None)


def test_a_write_off_closes_what_will_not_be_paid_with_a_reason():
    deal = agreement(amount=1_000_000)
    _pay(deal, 900_000)
    last = deal.instalments.order_by("number").last()
    assert last.open_amount == 100_000
    with pytest.raises(ValidationError, match="Say why"):
        instalment_write_off(instalment=last, amount=100_000, reason=" ", by=None)
    with pytest.raises(ValidationError, match="open"):
        instalment_write_off(instalment=last, amount=100_001, reason="Budget cut", by=None)
    instalment_write_off(instalment=last, amount=100_000, reason="Sponsor's budget cut", by=None)
    assert agreement_balance(deal)["outstanding"] == 0
    with pytest.raises(ValidationError):  # nothing more is owed on it
        _pay(deal, 1, apply_to=[(last, 1)])
    assert Instalment.objects.get(pk=last.pk).state == "settled"


def test_a_payment_cannot_be_applied_across_sponsors_currencies_or_beyond_the_open_amount():
    deal = agreement(amount=1_000_000)
    other = agreement(amount=500_000, currency="CAD")
    first = deal.instalments.order_by("number").first()
    with pytest.raises(ValidationError, match="another sponsor"):
        payment_record(sponsor=deal.sponsor, amount=100, currency="CAD", received_on=PAID_ON,
                       method="wire", by=None,
                       apply_to=[(other.instalments.first(), 100)])  # fmt: skip
    with pytest.raises(ValidationError, match="cannot be applied"):
        _pay(deal, 300_000, apply_to=[(first, 300_000)])
    assert not deal.sponsor.payments.exists()  # nothing half-written


def test_the_schedule_cannot_be_rebuilt_once_money_is_on_it():
    deal = agreement(amount=1_000_000)
    _pay(deal, 1)
    with pytest.raises(ValidationError, match="stays"):
        agreement_schedule(agreement=deal, frequency="monthly", by=None)


def test_a_restricted_fund_never_pays_out_more_than_it_received():
    prize = FundFactory(code="PRIZE", name="Human Freedom Awards prize pool", is_restricted=True)
    deal = agreement(amount=100_000_000, fund=prize, frequency="yearly")  # a $1M pledge
    posted_gift(amount=5_000, fund=prize, on=PAID_ON)  # a fan's $50 to the prize pool
    _pay(deal, 40_000_000)
    assert fund_position(fund=prize)["USD"] == {
        "pledged": 100_000_000, "received": 40_005_000, "disbursed": 0, "available": 40_005_000,
    }  # fmt: skip
    disbursement_record(fund=prize, amount=25_000_000, currency="USD", paid_on=PAID_ON,
                        payee="Best song: Aria Stone", purpose="Award", by=None)  # fmt: skip
    with pytest.raises(ValidationError, match="available"):
        disbursement_record(fund=prize, amount=15_005_001, currency="USD", paid_on=PAID_ON,
                            payee="Runner-up", purpose="Award", by=None)  # fmt: skip
    assert fund_position(fund=prize)["USD"]["available"] == 15_005_000
