"""Eight payouts at once from one restricted fund on PostgreSQL: exactly as many succeed as
the balance allows, and the fund never goes below zero."""

import datetime as dt
import multiprocessing
import os

import pytest
from django.db import connection, connections

from sponsorships.models import Disbursement
from sponsorships.selectors import fund_position
from tests.factories import FundFactory, posted_gift

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

PROCESSES = 8


def _pay_out(fund_id, start, results):
    code = 0
    try:
        connections.close_all()
        from django.core.exceptions import ValidationError

        from donors.models import Fund
        from sponsorships.services import disbursement_record

        start.wait(30)
        try:
            disbursement_record(fund=Fund.objects.get(pk=fund_id), amount=20_000, currency="USD",
                                paid_on=dt.date(2026, 6, 1), payee=f"Artist {os.getpid()}",
                                purpose="Prize", by=None)  # fmt: skip
            results.put("paid")
        except ValidationError:
            results.put("refused")
    except BaseException:  # noqa: BLE001 - reported by the exit code
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        connections.close_all()
        results.close()
        results.join_thread()  # flush what was put before the hard exit
        os._exit(code)


def test_concurrent_payouts_never_take_the_fund_below_zero():
    prize = FundFactory(code="PRIZE", name="Prize pool", is_restricted=True)
    posted_gift(amount=100_000, fund=prize, on=dt.date(2026, 5, 1))  # $1,000: room for five
    connections.close_all()
    fork = multiprocessing.get_context("fork")
    start, results = fork.Barrier(PROCESSES), fork.Queue()
    workers = [fork.Process(target=_pay_out, args=(prize.pk, start, results))
               for _ in range(PROCESSES)]  # fmt: skip
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    outcomes = sorted(results.get(timeout=5) for _ in range(PROCESSES))
    assert outcomes == ["paid"] * 5 + ["refused"] * 3
    assert Disbursement.objects.count() == 5
    assert fund_position(fund=prize)["USD"]["available"] == 0
