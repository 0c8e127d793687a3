"""A task worker outlives a busy database: on SQLite, another process holding the write lock
past the busy timeout made django-tasks-db's worker exit at BEGIN EXCLUSIVE; ours waits it
out and then runs the task."""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's one write lock"),
]

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_waits_out_a_locked_database_then_runs_its_task(settings, tmp_path):
    from payments.tasks import drain_stripe_events

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    result = drain_stripe_events.enqueue()
    database = tmp_path / "busy.sqlite3"
    with connection.cursor() as cursor:  # the test database, as a file other processes open
        cursor.execute("VACUUM INTO %s", [str(database)])
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, for longer than the timeout
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "TASK_BACKEND": "db",
           "SQLITE_BUSY_TIMEOUT": "0.2"}  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--batch", "--interval", "0.1",
         "--no-startup-delay"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        time.sleep(3)  # many busy timeouts
        assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert worker.wait(60) == 0, worker.stderr.read().decode()[-2000:]
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id, status FROM django_tasks_database_dbtaskresult").fetchall()
    assert [(id_.replace("-", ""), status) for id_, status in rows] == [
        (str(result.id).replace("-", ""), "SUCCESSFUL")
    ]
