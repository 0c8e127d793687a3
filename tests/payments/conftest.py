import json

import pytest
import stripe

from payments.simulation import StripeWorld
from tests.factories import CampaignFactory, FundFactory
from tests.payments.fake_stripe import FakeState, FakeStripeHTTPClient

WEBHOOK_SECRET = "whsec_test_secret"


def signed(body: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)


def deliver(client, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp=None):
    """POST one event to the real endpoint, signed as Stripe signs it."""
    body = json.dumps(event)
    return client.post(
        "/stripe/webhook/", data=body, content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signed(body, secret, timestamp),
    )  # fmt: skip


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRETS = [WEBHOOK_SECRET]
    return WEBHOOK_SECRET


@pytest.fixture
def fake_stripe(settings, webhook_secret) -> FakeState:
    """Stripe access through the fake HTTP client, with an empty world."""
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_HTTP_CLIENT = "tests.payments.fake_stripe.FakeStripeHTTPClient"
    FakeStripeHTTPClient.state = FakeState(world=StripeWorld())
    return FakeStripeHTTPClient.state


@pytest.fixture
def offline(settings, webhook_secret) -> StripeWorld:
    """No Stripe API (the demo): handlers read the events alone, which carry expansions."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_HTTP_CLIENT = ""
    return StripeWorld(expand=True)


@pytest.fixture
def deliver_all(client, django_capture_on_commit_callbacks):
    """Deliver events and run the tasks they queue (immediate backend), as a worker would."""

    def run(events, **kwargs):
        answers = []
        for event in events:
            with django_capture_on_commit_callbacks(execute=True):
                answers.append(deliver(client, event, **kwargs))
        return answers

    return run


@pytest.fixture
def campaign(db):
    FundFactory(code="GEN", name="General fund")
    return CampaignFactory(code="hfma", name="Human Freedom Music Awards")
