"""Shared by the benchmarks: a throw-away SQLite database, migrated, with Django set up."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def django_on_fresh_sqlite(name: str) -> Path:
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    os.environ.setdefault("MEDIA_ROOT", str(workdir / "media"))
    os.environ.setdefault("TASK_BACKEND", "immediate")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("EMAIL_URL", "memorymail://")  # mail kept, not printed
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ["DJANGO_SETTINGS_MODULE"] = "backoffice.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return workdir
