"""The staff Impact pages and the admin: they render, their queries do not grow with the
rows, and a new integration's token is shown once and works."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from impact.models import Integration
from impact.services import report_create
from tests.factories import SponsorFactory, agreement

pytestmark = pytest.mark.django_db


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def _reports(programme, n: int) -> None:
    for _ in range(n):
        sponsor = SponsorFactory()
        agreement(sponsor=sponsor, campaign=programme["mat"].campaign)
        report_create(sponsor=sponsor, period_start=dt.date(2026, 7, 1),
                      period_end=dt.date(2026, 9, 30))  # fmt: skip


@pytest.mark.parametrize("path", [
    "/impact/", "/admin/impact/metric/", "/admin/impact/subject/", "/admin/impact/observation/",
    "/admin/impact/integration/", "/admin/impact/report/", "/admin/impact/reportversion/",
])  # fmt: skip
def test_impact_pages_run_a_constant_number_of_queries(admin_client_mfa, programme, path):
    _reports(programme, 2)
    few = _queries(admin_client_mfa, path)
    _reports(programme, 6)
    assert _queries(admin_client_mfa, path) == few


def test_a_new_integration_shows_its_token_once_and_it_works(admin_client_mfa, programme):
    add = reverse("admin:impact_integration_add")
    response = admin_client_mfa.post(add, {"name": "Reach tracker", "key": "tracker"}, follow=True)
    [message] = [str(m) for m in response.context["messages"] if "shown only now" in str(m)]
    token = message.rsplit(" ", 1)[1]
    integration = Integration.objects.get()
    assert integration.token_sha256 == Integration.digest(token) and token not in str(
        Integration.objects.values().get()
    )
    listed = admin_client_mfa.get("/api/impact/v1/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert listed.status_code == 200 and json.loads(listed.content)
    admin_client_mfa.post(reverse("admin:impact_integration_changelist"),
                          {"action": "revoke", "_selected_action": [integration.pk]})  # fmt: skip
    assert Integration.objects.get().revoked_at is not None
    refused = admin_client_mfa.get("/api/impact/v1/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused.status_code == 401


def test_the_impact_page_charts_each_metric_by_quarter(fundraising_client, programme):
    from decimal import Decimal

    from django.utils import timezone

    from impact.figures import quarter_bounds, quarter_of
    from impact.observations import ObservationIn, observations_record

    year, quarter = quarter_of(timezone.localdate())
    start, end = quarter_bounds(year, quarter)
    observations_record(items=[
        ObservationIn(subject="mat", metric="teens_reached", period_start=start + dt.timedelta(d),
                      period_end=start + dt.timedelta(d), value=Decimal(1000 * (d + 1)))
        for d in (0, 1, 2)
    ], source="csv")  # fmt: skip
    page = fundraising_client.get("/impact/").content.decode()
    assert "Teens reached by quarter" in page
    assert f"Q{quarter} {year}: 6,000 teens" in page  # added up over the quarter
    before = quarter_bounds(*quarter_of(start - dt.timedelta(days=1)))[0]
    assert f"Q{quarter_of(before)[1]} {before.year}: not measured" in page
