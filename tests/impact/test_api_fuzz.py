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


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_makes_the_server_fail(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           checks=[not_a_server_error])  # fmt: skip
