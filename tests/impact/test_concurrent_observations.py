"""The measurement system retries: the same new observations posted by six requests at once
on PostgreSQL end as one row per external id, and every request succeeds."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from impact.models import Observation
from tests.processes import run_at_once

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

PROCESSES = 6


def _send(value):
    from impact.observations import ObservationIn, observations_record

    items = [ObservationIn(subject="mat", metric="teens_reached",
                           period_start=dt.date(2026, month, 1),
                           period_end=dt.date(2026, month, 28), value=Decimal(value),
                           external_id=f"teens-{month}") for month in range(1, 13)]  # fmt: skip
    done = observations_record(items=items, source="api:measure")
    return done.created, done.updated


def test_the_same_new_observations_sent_at_once_are_stored_once(programme):
    outcomes = run_at_once(_send, [(1000 + n,) for n in range(PROCESSES)])
    assert sum(created for created, _ in outcomes) == 12  # each id created by one request...
    assert sum(updated for _, updated in outcomes) == 12 * (PROCESSES - 1)  # ...updated by the rest
    assert Observation.objects.count() == 12
    assert set(Observation.objects.values_list("external_id", flat=True)) == {
        f"teens-{m}" for m in range(1, 13)
    }
