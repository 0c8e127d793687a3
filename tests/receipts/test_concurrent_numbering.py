"""8 processes issuing receipts at once get unique, gapless numbers (PostgreSQL; SQLite
serialises its writers, so there is nothing to race there)."""

import datetime as dt
import multiprocessing
import os

import pytest
from django.db import connection, connections

from receipts.models import Receipt
from tests.factories import posted_gift

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

PROCESSES, EACH = 8, 10


def _issue_all(gift_ids, start):
    """In a forked process: its own connection, then issue a receipt per gift."""
    code = 0
    try:
        connections.close_all()
        from donors.models import Gift
        from receipts.services import receipt_issue

        start.wait(30)
        for gift in Gift.objects.filter(pk__in=gift_ids):
            receipt_issue(gifts=[gift], kind="gift", jurisdiction="US", by=None)
    except BaseException:  # noqa: BLE001 - reported by the exit code
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        connections.close_all()
        os._exit(code)


def test_eight_processes_issuing_at_once_get_unique_gapless_numbers():
    gifts = [posted_gift(amount=25000, on=dt.date(2026, 5, 1)).pk for _ in range(PROCESSES * EACH)]
    connections.close_all()  # the children must not share the parent's connection
    fork = multiprocessing.get_context("fork")
    start = fork.Barrier(PROCESSES)
    workers = [
        fork.Process(target=_issue_all, args=(gifts[i * EACH : (i + 1) * EACH], start))
        for i in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, PROCESSES * EACH + 1))
