"""The measurement system retries: the same new observations posted by six requests at once
on PostgreSQL end as one row per external id, and every request succeeds."""

import datetime as dt
import multiprocessing
import os
from decimal import Decimal

import pytest
from django.db import connection, connections

from impact.models import Observation

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

PROCESSES = 6


def _send(start, results, value):
    code = 0
    try:
        connections.close_all()
        from impact.observations import ObservationIn, observations_record

        items = [ObservationIn(subject="mat", metric="teens_reached",
                               period_start=dt.date(2026, month, 1),
                               period_end=dt.date(2026, month, 28), value=Decimal(value),
                               external_id=f"teens-{month}") for month in range(1, 13)]  # fmt: skip
        start.wait(30)
        done = observations_record(items=items, source="api:measure")
        results.put((done.created, done.updated))
    except BaseException:  # noqa: BLE001 - reported by the exit code
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        connections.close_all()
        results.close()
        results.join_thread()
        os._exit(code)


def test_the_same_new_observations_sent_at_once_are_stored_once(programme):
    connections.close_all()
    fork = multiprocessing.get_context("fork")
    start, results = fork.Barrier(PROCESSES), fork.Queue()
    workers = [fork.Process(target=_send, args=(start, results, 1000 + n))
               for n in range(PROCESSES)]  # fmt: skip
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    outcomes = [results.get(timeout=5) for _ in range(PROCESSES)]
    assert sum(created for created, _ in outcomes) == 12  # each id created by one request...
    assert sum(updated for _, updated in outcomes) == 12 * (PROCESSES - 1)  # ...updated by the rest
    assert Observation.objects.count() == 12
    assert set(Observation.objects.values_list("external_id", flat=True)) == {
        f"teens-{m}" for m in range(1, 13)
    }
