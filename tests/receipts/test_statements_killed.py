"""A year-end run killed for real (SIGKILL, mid-run) and started again issues exactly one
statement per donor. Runs on PostgreSQL, whose test database another process can open."""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from receipts.models import Receipt
from tests.factories import DonorFactory, posted_gift
from tests.processes import database_url_for_other_processes

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

DONORS = 60


def _command_env() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url_for_other_processes(),
        "TASK_BACKEND": "immediate",
        "EMAIL_URL": "memorymail://",
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
    }


def _run_statements(*, run: int | None = None) -> subprocess.Popen:
    root = Path(__file__).resolve().parents[2]
    command = [sys.executable, "manage.py", "issue_statements", "--year", "2025",
               "--jurisdiction", "CA", "--verbosity", "0"]  # fmt: skip
    if run:
        command += ["--run", str(run)]
    return subprocess.Popen(command, cwd=root, env=_command_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)  # fmt: skip


def test_a_run_killed_with_sigkill_and_started_again_issues_one_statement_each():
    donors = [DonorFactory() for _ in range(DONORS)]
    for donor in donors:
        posted_gift(donor=donor, amount=2_000, currency="CAD", on=dt.date(2025, 5, 5))
    first = _run_statements()
    deadline = time.monotonic() + 120
    while Receipt.objects.count() < 10:  # part of the way through
        assert first.poll() is None, first.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    done_before = Receipt.objects.count()
    assert 10 <= done_before < DONORS
    second = _run_statements()
    assert second.wait(300) == 0, second.stderr.read().decode()[-2000:]
    per_donor = sorted(Receipt.objects.values_list("donor_id", flat=True))
    assert per_donor == sorted(d.pk for d in donors)
    assert sorted(Receipt.objects.values_list("number", flat=True)) == list(range(1, DONORS + 1))


def test_a_run_killed_and_started_again_counts_every_statement_it_issued(client):
    """The same run, started again after its worker was killed: its figures count what it
    issued in all (the saved count lagged the killed chunk), and every statement's delivery
    adds up on its page."""
    import datetime as dt_

    from django.utils import timezone

    from receipts.models import StatementRun
    from receipts.selectors import statement_run_deliveries
    from tests.conftest import login_with_second_factor
    from tests.factories import UserFactory

    donors = [DonorFactory(email="" if i % 4 == 0 else f"d{i}@example.net") for i in range(DONORS)]
    for donor in donors:
        posted_gift(donor=donor, amount=2_000, currency="CAD", on=dt.date(2025, 5, 5))
    first = _run_statements()
    deadline = time.monotonic() + 120
    while Receipt.objects.count() < 30:  # into its second chunk
        assert first.poll() is None, first.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    (run,) = StatementRun.objects.all()
    assert run.issued <= Receipt.objects.count()  # saved each chunk: it lags what was issued
    StatementRun.objects.filter(pk=run.pk).update(  # seen as stalled, as staff would
        updated_at=timezone.now() - dt_.timedelta(minutes=11)
    )
    again = _run_statements(run=run.pk)
    assert again.wait(300) == 0, again.stderr.read().decode()[-2000:]
    run.refresh_from_db()
    assert (run.status, run.issued, Receipt.objects.count()) == ("done", DONORS, DONORS)
    deliveries = statement_run_deliveries(run=run)
    assert deliveries.issued == DONORS
    assert deliveries.by_post == DONORS // 4
    staff = UserFactory(is_staff=True, is_superuser=True)
    login_with_second_factor(client, staff)
    page = " ".join(client.get(f"/receipts/statements/{run.pk}/").content.decode().split())
    assert f"{DONORS} / {DONORS} donors · {DONORS} statements issued" in page
    assert f'<tr><th>Issued</th><th class="num">{DONORS}</th></tr>' in page
