"""The scale-out path for real: events queued in Redis through the RQ task backend and
processed by a separate worker process (manage.py rqworker). Runs where Redis answers on
127.0.0.1:6379 and the test database can be reached from another process (PostgreSQL, or a
SQLite test database on disk)."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from donors.models import Gift
from payments.models import Donation, StripeEvent
from tests.factories import CampaignFactory, FundFactory
from tests.payments.conftest import deliver
from tests.processes import database_url_for_other_processes

REDIS_DB = 9  # kept apart from anything a developer runs on the default database


def _redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.3).close()
        return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not _redis_answers(), reason="needs Redis on 127.0.0.1:6379"),
]


def test_events_queued_in_redis_are_processed_by_a_worker_process(client, offline, settings):
    url = database_url_for_other_processes()
    if url is None:
        pytest.skip("the SQLite test database is in memory; the PostgreSQL run covers this")
    import django_rq

    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq"]
    django_rq.get_connection("default").flushdb()

    donation = Donation.objects.create(campaign=CampaignFactory(), fund=FundFactory(code="GEN"),
                                       amount=2000, currency="CAD", frequency="once")  # fmt: skip
    session = offline.checkout_session(mode="payment", amount=2000, currency="cad",
                                       metadata={"donation_id": str(donation.pk)})  # fmt: skip
    events = offline.pay_checkout(session, email="worker@example.net", name="W K")
    for event in events + events:
        assert deliver(client, event).status_code == 200
    assert django_rq.get_queue("default").count == 1  # one drain for the whole burst
    assert not Gift.objects.exists()

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "TASK_BACKEND": "rq", "REDIS_URL": redis_url, "DATABASE_URL": url,
           "STRIPE_SECRET_KEY": "", "DJANGO_SETTINGS_MODULE": "backoffice.settings"}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "--burst", "default"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    gift = Gift.objects.get()
    assert (gift.amount, gift.currency) == (2000, "CAD")
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed", "ignored"}
