"""Journeys in a real browser: Debian's chromium driven by Playwright for Python, against a
live server on SQLite. A failing journey leaves a screenshot in test-artifacts/.

`playwright install` downloads browsers from the internet, which CI does not have: the
system's chromium is used (.ci/run installs it with apt; CHROMIUM names another one)."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _chromium() -> str | None:
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("No chromium or Playwright: .ci/run installs both; the journeys must run.")
        pytest.skip("No chromium (apt install chromium) or Playwright here.")
    # Playwright's sync API runs an event loop in this thread; the Django calls the tests
    # make around it are synchronous and safe (Playwright's own documented advice).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(request, browser, journey_world):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        with contextlib.suppress(Exception):
            opened.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


@pytest.fixture
def journey_world(transactional_db, live_server, settings):
    """The demo's world at a small size, served by a live server; links point to it."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("The browser journeys run on SQLite (they test pages, not the database).")
    from tests.staff.world import build_world

    settings.SITE_URL = live_server.url
    build_world(settings, lambda execute: contextlib.nullcontext())
    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = "", ""
    return live_server
