"""For tests that start another process (a worker, a command) on the test database."""

from django.db import connection


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
