"""Settings that must refuse to start rather than run unsafely."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run(
        [sys.executable, "manage.py", *args], env={**base, **env}, cwd=ROOT,
        text=True, capture_output=True,
    )  # fmt: skip


def _python(code: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run([sys.executable, "-c", code], env={**base, **env}, cwd=ROOT,
                          text=True, capture_output=True)  # fmt: skip


def test_without_debug_and_without_a_secret_key_the_server_and_worker_refuse_to_start():
    for entry in ("backoffice.wsgi", "backoffice.asgi"):
        served = _python(f"import {entry}", DEBUG="0")
        assert served.returncode != 0
        assert "SECRET_KEY is not set" in served.stderr
    worker = _manage("db_worker", "--batch", DEBUG="0")
    assert worker.returncode != 0
    assert "SECRET_KEY is not set" in worker.stderr


def test_with_a_secret_key_or_in_debug_it_starts():
    assert _python("import backoffice.wsgi", DEBUG="0", SECRET_KEY="x" * 60).returncode == 0
    assert _python("import backoffice.wsgi", DEBUG="1").returncode == 0
    # Commands that serve nobody run without one (migrations, the shell).
    assert _manage("makemigrations", "--check", "--dry-run", DEBUG="0").returncode == 0
