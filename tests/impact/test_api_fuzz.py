"""Schemathesis sends requests generated from the API's own OpenAPI description, valid and
invalid, with a good token: whatever it sends, the server never answers with an error of
its own (5xx)."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from backoffice.wsgi import application

# Reading the description needs no database: it is built from the code.
schema = schemathesis.openapi.from_wsgi("/api/impact/v1/openapi.json", application)


@pytest.fixture
def one_connection():
    """Called straight through WSGI, Django closes the database connection after each
    request, and with it the test's transaction; Django's own test client keeps it open
    the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("one_connection")
@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_makes_the_server_fail(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error])  # fmt: skip
