"""Statements drawn but never sent (their worker killed) are sent by the workers on their
own: a year-end run schedules a sweep, which sends what is due and looks again later while
anything is undelivered. No cron job is needed."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from receipts.models import Organisation, Receipt
from receipts.services import receipt_issue, receipts_render
from receipts.statements import statement_run_create, statement_run_execute
from receipts.tasks import sweep_receipt_deliveries
from tests.factories import DonorFactory, posted_gift

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _sweeps() -> list:
    return list(
        DBTaskResult.objects.filter(
            task_path="receipts.tasks.sweep_receipt_deliveries"
        ).values_list("run_after", flat=True)
    )


def _drawn_never_sent(n: int) -> list[Receipt]:
    """What a worker killed after drawing, before sending, leaves: drawn, still queued."""
    Organisation.objects.filter(pk=1).update(jurisdiction="US", auto_receipt_threshold=10**9)
    receipts = []
    for i in range(n):
        gift = posted_gift(donor=DonorFactory(email=f"d{i}@example.net"), amount=5_000,
                           on=dt.date(2026, 2, 1))  # fmt: skip
        receipts.append(receipt_issue(gifts=[gift], kind="statement", jurisdiction="US",
                                      by=None, deliver=False))  # fmt: skip
    receipts_render(receipts=receipts)
    return receipts


def test_a_year_end_run_schedules_a_sweep_for_later(queued, django_capture_on_commit_callbacks):
    Organisation.objects.filter(pk=1).update(jurisdiction="US", auto_receipt_threshold=10**9)
    posted_gift(amount=5_000, on=dt.date(2025, 3, 1))
    run = statement_run_create(year=2025, jurisdiction="US", by=None)
    with django_capture_on_commit_callbacks(execute=True):
        statement_run_execute(run=run)
    (when,) = _sweeps()
    assert dt.timedelta(minutes=9) < when - timezone.now() <= dt.timedelta(minutes=10)


def test_the_sweep_sends_what_a_killed_worker_left_and_stops_when_all_is_sent(
    queued, django_capture_on_commit_callbacks
):
    left = _drawn_never_sent(3)
    assert {r.delivery_status for r in Receipt.objects.all()} == {"queued"}
    with django_capture_on_commit_callbacks(execute=True):
        sweep_receipt_deliveries.call(stale_minutes=0)  # issued just now, here
    assert {r.delivery_status for r in Receipt.objects.all()} == {"sent"}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.donor_email for r in left)
    assert _sweeps() == []  # nothing left: no further sweep


def test_the_sweep_looks_again_later_while_mail_fails(
    queued, settings, django_capture_on_commit_callbacks
):
    _drawn_never_sent(1)
    settings.EMAIL_BACKEND = "tests.receipts.failing_mail.Backend"
    with django_capture_on_commit_callbacks(execute=True):
        sweep_receipt_deliveries.call(stale_minutes=0)  # issued just now, here
    receipt = Receipt.objects.get()
    assert (receipt.delivery_status, receipt.delivery_attempts) == ("failed", 1)
    assert len(_sweeps()) == 1
