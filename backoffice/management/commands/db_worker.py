"""django-tasks-db's worker, made to survive a busy database.

Upstream, the worker claims a task inside `BEGIN EXCLUSIVE`; on SQLite, when another process
holds the write lock past the busy timeout, that BEGIN raises "database is locked" outside
the worker's own retry, and the worker process exits: tasks then wait until somebody starts
it again. This command (the same name and options; it takes precedence because `backoffice`
comes before `django_tasks_db` in INSTALLED_APPS) keeps the worker going: a busy database
is waited out and the loop goes on. Any other error still stops it, to be seen.
"""

from __future__ import annotations

import logging
import time

from django.db import OperationalError, close_old_connections
from django_tasks_db.management.commands import db_worker as upstream
from django_tasks_db.utils import is_locked_database_exception

from backoffice.startup import refuse_insecure_start

logger = logging.getLogger("django_tasks_db")

BUSY_PAUSE = 0.5  # seconds before trying again when the database was busy


class BusyProofWorker(upstream.Worker):
    def run(self) -> None:
        while True:
            try:
                return super().run()
            except OperationalError as exc:
                if not is_locked_database_exception(exc):
                    raise
                logger.warning("The database is busy (%s); the worker goes on.", exc)
                close_old_connections()
                if not self.running:
                    return None
                time.sleep(BUSY_PAUSE)


class Command(upstream.Command):
    help = upstream.Command.help + " Survives a busy database."

    def handle(self, *args, **options) -> None:
        refuse_insecure_start()
        # Upstream's handle builds upstream.Worker by name: it builds ours for this command.
        original, upstream.Worker = upstream.Worker, BusyProofWorker
        try:
            super().handle(*args, **options)
        finally:
            upstream.Worker = original
