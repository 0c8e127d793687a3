"""Eight payouts at once from one restricted fund on PostgreSQL: exactly as many succeed as
the balance allows, and the fund never goes below zero."""

import datetime as dt
import os

import pytest
from django.db import connection

from sponsorships.models import Disbursement
from sponsorships.selectors import fund_position
from tests.factories import FundFactory, posted_gift
from tests.processes import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

PROCESSES = 8


def _pay_out(fund_id):
    from django.core.exceptions import ValidationError

    from donors.models import Fund
    from sponsorships.services import disbursement_record

    try:
        disbursement_record(fund=Fund.objects.get(pk=fund_id), amount=20_000, currency="USD",
                            paid_on=dt.date(2026, 6, 1), payee=f"Artist {os.getpid()}",
                            purpose="Prize", by=None)  # fmt: skip
    except ValidationError:
        return "refused"
    return "paid"


def test_concurrent_payouts_never_take_the_fund_below_zero():
    prize = FundFactory(code="PRIZE", name="Prize pool", is_restricted=True)
    posted_gift(amount=100_000, fund=prize, on=dt.date(2026, 5, 1))  # $1,000: room for five
    outcomes = sorted(run_at_once(_pay_out, [(prize.pk,)] * PROCESSES))
    assert outcomes == ["paid"] * 5 + ["refused"] * 3
    assert Disbursement.objects.count() == 5
    assert fund_position(fund=prize)["USD"]["available"] == 0
