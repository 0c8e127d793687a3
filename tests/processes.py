"""For tests that start another process (a worker, a command) on the test database."""

import multiprocessing
import os
import traceback

from django.db import connection, connections


def database_url_for_other_processes() -> str | None:
    """The test database as a DATABASE_URL another process can open, or None when it
    lives in this process's memory (pytest-django's SQLite default)."""
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        user, host, port = s["USER"] or "postgres", s["HOST"] or "127.0.0.1", s["PORT"] or 5432
        return f"postgres://{user}@{host}:{port}/{s['NAME']}"
    name = str(s["NAME"])
    if "memory" in name or not name:
        return None
    return f"sqlite:///{name}"


def run_at_once(target, args_each: list[tuple], *, timeout: float = 120) -> list:
    """Fork one process per tuple of `args_each`; each opens its own connection, waits until
    all are ready, then calls `target(*args)` and sends back what it returned. Asserts that
    every process finished cleanly and returns their results (in no set order). For races
    on PostgreSQL: `target` must be a module-level function."""
    connections.close_all()  # the children must not share the parent's connection
    fork = multiprocessing.get_context("fork")
    start, results = fork.Barrier(len(args_each)), fork.Queue()
    workers = [fork.Process(target=_run_child, args=(target, args, start, results))
               for args in args_each]  # fmt: skip
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout)
    assert [w.exitcode for w in workers] == [0] * len(workers)
    return [results.get(timeout=5) for _ in workers]


def _run_child(target, args, start, results) -> None:
    code = 0
    try:
        connections.close_all()
        start.wait(30)
        results.put(target(*args))
    except BaseException:  # noqa: BLE001 - reported by the exit code
        traceback.print_exc()
        code = 1
    finally:
        connections.close_all()
        results.close()
        results.join_thread()  # flush what was put before the hard exit
        os._exit(code)
