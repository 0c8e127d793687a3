"""8 processes issuing receipts at once get unique, gapless numbers (PostgreSQL; SQLite
serialises its writers, so there is nothing to race there)."""

import datetime as dt

import pytest
from django.db import connection

from receipts.models import Receipt
from tests.factories import posted_gift
from tests.processes import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

PROCESSES, EACH = 8, 10


def _issue_all(gift_ids):
    from donors.models import Gift
    from receipts.services import receipt_issue

    for gift in Gift.objects.filter(pk__in=gift_ids):
        receipt_issue(gifts=[gift], kind="gift", jurisdiction="US", by=None)


def test_eight_processes_issuing_at_once_get_unique_gapless_numbers():
    gifts = [posted_gift(amount=25000, on=dt.date(2026, 5, 1)).pk for _ in range(PROCESSES * EACH)]
    run_at_once(_issue_all, [(gifts[i * EACH : (i + 1) * EACH],) for i in range(PROCESSES)])
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, PROCESSES * EACH + 1))
