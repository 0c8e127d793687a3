"""The measurement system's API: a token per integration, all-or-nothing requests, errors
that name the field, and the same external id updating rather than copying."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from impact.models import Integration, Observation
from impact.services import integration_create, integration_revoke

URL = "/api/impact/v1/observations"
pytestmark = pytest.mark.django_db


def _item(**overrides):
    item = {"subject": "mat", "metric": "teens_reached", "period_start": "2026-07-01",
            "period_end": "2026-07-31", "value": 15000, "external_id": "m-2026-07"}  # fmt: skip
    item.update(overrides)
    return item


def _post(client, token, body):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(URL, data=raw, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip


def _locs(response):
    return [(tuple(e["loc"]), e["msg"]) for e in response.json()["detail"]]


def test_an_observation_is_recorded_with_its_integration_as_source(token):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # a machine has no CSRF cookie: not needed
    response = _post(client, token, {"observations": [_item(value=1.25, note="launch")]})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1
    observation = Observation.objects.get()
    assert observation.value == Decimal("1.25") and observation.source == "api:measure"
    assert observation.period_end == dt.date(2026, 7, 31) and observation.note == "launch"
    assert Integration.objects.get().last_used_at is not None


def test_the_same_external_id_updates_instead_of_adding_a_copy(client, token):
    assert _post(client, token, {"observations": [_item(value=100)]}).status_code == 200
    response = _post(client, token, {"observations": [_item(value=120)]})
    assert response.json() == {
        "created": 0,
        "updated": 1,
        "observations": [
            {"id": Observation.objects.get().pk, "external_id": "m-2026-07", "created": False}
        ],
    }
    assert Observation.objects.get().value == 120


def test_a_duplicate_external_id_in_one_request_is_refused_and_nothing_is_saved(client, token):
    response = _post(client, token, {"observations": [_item(), _item(value=3)]})
    assert response.status_code == 422
    assert _locs(response) == [
        (
            ("body", "observations", 1, "external_id"),
            "'m-2026-07' appears twice in this request (also item 0)",
        )
    ]
    assert not Observation.objects.exists()


def test_a_wrong_or_missing_token_is_refused(client, token):
    for header in ({"HTTP_AUTHORIZATION": "Bearer imp_not-a-token"}, {}):
        response = client.post(URL, data=json.dumps({"observations": [_item()]}),
                               content_type="application/json", **header)  # fmt: skip
        assert response.status_code == 401
        assert _locs(response)[0][0] == ("header", "Authorization")
    assert not Observation.objects.exists()


def test_a_revoked_token_stops_working_at_once(client, token):
    integration_revoke(integration=Integration.objects.get(), by=None)
    response = _post(client, token, {"observations": [_item()]})
    assert response.status_code == 401 and "revoked" in _locs(response)[0][1]
    other = integration_create(name="Second system", key="second")[1]
    assert _post(client, other, {"observations": [_item()]}).status_code == 200


def test_a_body_that_is_not_json_is_refused_plainly(client, token):
    response = _post(client, token, '{"observations": [')
    assert response.status_code == 400
    assert _locs(response) == [(("body",), "The body is not valid JSON.")]


@pytest.mark.parametrize(("field", "bad", "message"), [
    ("value", "15000", "must be a number (an integer or a decimal)"),
    ("value", True, "must be a number (an integer or a decimal)"),
    ("value", 0.12345, "may have at most 4 decimal places"),
    ("value", 1e16, "must be smaller than 10^15 in size"),
    ("period_start", 20260701, "must be a date written YYYY-MM-DD"),
    ("period_end", "31/07/2026", "Input should be a valid date"),
    ("subject", 7, "Input should be a valid string"),
])  # fmt: skip
def test_wrong_types_are_refused_naming_the_field(client, token, field, bad, message):
    response = _post(
        client, token, {"observations": [_item(), _item(external_id="b", **{field: bad})]}
    )
    assert response.status_code == 422
    [(loc, said)] = _locs(response)
    assert loc == ("body", "observations", 1, field) and message in said
    assert not Observation.objects.exists()


def test_unknown_metric_or_subject_and_a_period_backwards_are_refused(client, token):
    response = _post(client, token, {"observations": [
        _item(metric="teens_rached"),
        _item(external_id="b", subject="nobody"),
        _item(external_id="c", period_start="2026-08-01"),
    ]})  # fmt: skip
    assert response.status_code == 422
    assert _locs(response) == [
        (("body", "observations", 0, "metric"), "no metric has the key 'teens_rached'"),
        (("body", "observations", 1, "subject"), "no subject has the key 'nobody'"),
        (("body", "observations", 2, "period_end"), "the period ends before it starts"),
    ]
    assert not Observation.objects.exists()


def test_extra_fields_are_refused_rather_than_ignored(client, token):
    response = _post(client, token, {"observations": [_item(valeu=3)]})
    assert response.status_code == 422
    assert _locs(response)[0][0] == ("body", "observations", 0, "valeu")


def test_the_description_is_public_and_lists_the_operations(client):
    response = client.get("/api/impact/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) == {"/api/impact/v1/observations", "/api/impact/v1/metrics",
                          "/api/impact/v1/subjects"}  # fmt: skip
    assert "bearer" in json.dumps(response.json()["components"]["securitySchemes"]).lower()


def test_metrics_and_subjects_are_listed_for_the_integration(client, token):
    response = client.get("/api/impact/v1/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert [m["key"] for m in response.json()] == ["model_followers", "teens_reached"]
    response = client.get("/api/impact/v1/subjects", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert {s["key"] for s in response.json()} == {"mat", "hfma-prize"}


def test_a_nul_character_is_refused_by_name(client, token):
    # Found by schemathesis on PostgreSQL, which cannot store one.
    response = _post(client, token, {"observations": [_item(note="a\x00b")]})
    assert response.status_code == 422
    assert _locs(response) == [(("body", "observations", 0, "note"), "contains a NUL character")]
