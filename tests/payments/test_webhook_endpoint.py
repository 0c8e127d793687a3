"""The webhook endpoint: nothing unverified is stored; a verified event is stored once."""

import json
import time

import pytest
from django.test import Client

from payments.models import StripeEvent
from payments.simulation import StripeWorld
from tests.payments.conftest import WEBHOOK_SECRET, deliver, signed

pytestmark = pytest.mark.django_db


def _event(type_="payout.paid"):
    return StripeWorld().event(
        type_,
        {
            "id": "po_1",
            "object": "payout",
            "amount": 1000,
            "currency": "usd",
            "status": "paid",
            "arrival_date": 1795500000,
            "created": 1795400000,
        },
    )


def _post(client, body: str, header: str | None):
    extra = {"HTTP_STRIPE_SIGNATURE": header} if header is not None else {}
    return client.post("/stripe/webhook/", data=body, content_type="application/json", **extra)


def test_a_signed_event_is_stored_once_and_processed(client, webhook_secret, deliver_all):
    event = _event()
    first, second = deliver_all([event, event])
    assert (first.status_code, first.content) == (200, b"stored")
    assert (second.status_code, second.content) == (200, b"duplicate")
    stored = StripeEvent.objects.get()
    assert stored.stripe_id == event["id"] and stored.status == StripeEvent.Status.PROCESSED
    assert stored.attempts == 1
    assert json.loads(stored.body) == event


@pytest.mark.parametrize(
    "header, why",
    [
        (None, "missing Stripe-Signature"),
        ("t=1,v1=deadbeef", "bad signature"),
        ("garbage", "bad signature"),
        ("WRONG_SECRET", "bad signature"),
        ("STALE", "bad signature"),
    ],
)
def test_bad_missing_or_stale_signatures_are_refused_and_nothing_is_stored(
    client, webhook_secret, header, why
):
    body = json.dumps(_event())
    if header == "WRONG_SECRET":
        header = signed(body, "whsec_someone_else")
    elif header == "STALE":
        header = signed(body, WEBHOOK_SECRET, timestamp=int(time.time()) - 301)
    answer = _post(client, body, header)
    assert answer.status_code == 400
    assert why in answer.content.decode()
    assert not StripeEvent.objects.exists()


def test_a_body_changed_after_signing_is_refused(client, webhook_secret):
    body = json.dumps(_event())
    header = signed(body)
    assert _post(client, body.replace("1000", "9000"), header).status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize(
    "body, why",
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"id": "evt_1", "type": "x", "created": 1}), "data.object"),
        (json.dumps({"type": "x", "created": 1, "data": {"object": {}}}), "'id'"),
    ],
)
def test_malformed_bodies_are_refused_even_when_signed(client, webhook_secret, body, why):
    answer = _post(client, body, signed(body))
    assert answer.status_code == 400 and why in answer.content.decode()
    assert not StripeEvent.objects.exists()


def test_an_oversized_body_is_refused(client, webhook_secret):
    event = _event()
    event["data"]["object"]["padding"] = "x" * 600_000
    body = json.dumps(event)
    answer = _post(client, body, signed(body))
    assert answer.status_code == 400 and b"larger than" in answer.content
    assert not StripeEvent.objects.exists()


def test_during_a_secret_rotation_both_secrets_are_accepted(client, settings, deliver_all):
    settings.STRIPE_WEBHOOK_SECRETS = ["whsec_old", "whsec_new"]
    old, new = _event(), _event()
    answers = deliver_all([old], secret="whsec_old") + deliver_all([new], secret="whsec_new")
    assert [a.status_code for a in answers] == [200, 200]
    assert StripeEvent.objects.count() == 2
    assert deliver(client, _event(), secret="whsec_retired").status_code == 400


def test_no_configured_secret_refuses_everything(client, settings):
    settings.STRIPE_WEBHOOK_SECRETS = []
    assert deliver(client, _event()).status_code == 400
    assert not StripeEvent.objects.exists()


def test_csrf_enforcing_client_and_no_login_still_get_200(webhook_secret):
    strict = Client(enforce_csrf_checks=True)
    assert deliver(strict, _event()).status_code == 200


def test_only_post_is_allowed(client, webhook_secret):
    assert client.get("/stripe/webhook/").status_code == 405


def test_an_unknown_event_type_is_stored_and_ignored(webhook_secret, deliver_all):
    deliver_all([_event("balance.available")])
    assert StripeEvent.objects.get().status == StripeEvent.Status.IGNORED
