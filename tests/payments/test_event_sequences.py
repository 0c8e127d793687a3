"""Random sequences of Stripe events (duplicates, any order, processing that fails and is
retried) keep the books equal to Stripe: one gift per successful payment, Stripe's amounts
and currencies, refunds never more than the gift, nothing processed twice."""

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from donors.models import Gift
from payments.models import Donation, Payment, StripeEvent
from payments.services import event_process
from tests.factories import FundFactory
from tests.payments.conftest import deliver

pytestmark = pytest.mark.django_db

CURRENCIES = ["usd", "eur", "jpy", "cad"]


def test_random_event_sequences_keep_the_books_equal_to_stripe(
    client, campaign, fake_stripe, django_capture_on_commit_callbacks
):
    fund = FundFactory(code="GEN")

    class Books(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.world = fake_stripe.world
            self.intents: list[str] = []  # payment intents of this run
            self.sent: list[dict] = []  # events Stripe has sent, not yet delivered
            self.delivered: list[dict] = []

        def _deliver(self, event):
            with django_capture_on_commit_callbacks(execute=True):
                assert deliver(client, event).status_code == 200
            self.delivered.append(event)

        @rule(amount=st.integers(1, 10**7), currency=st.sampled_from(CURRENCIES))
        def donor_pays(self, amount, currency):
            donation = Donation.objects.create(
                campaign=campaign,
                fund=fund,
                amount=amount,
                currency=currency.upper(),
                frequency="once",
            )
            session = self.world.checkout_session(
                mode="payment",
                amount=amount,
                currency=currency,
                metadata={"donation_id": str(donation.pk)},
            )
            self.sent += self.world.pay_checkout(
                session, email=f"d{donation.pk}@example.net", name="D N"
            )
            self.intents.append(session["payment_intent"])

        @precondition(lambda self: self.intents)
        @rule(data=st.data())
        def stripe_refunds(self, data):
            charge = self._charge(data.draw(st.sampled_from(self.intents)))
            left = charge["amount"] - charge["amount_refunded"]
            if left > 0:
                self.sent += self.world.refund(charge, amount=data.draw(st.integers(1, left)))

        @precondition(lambda self: self.intents)
        @rule(data=st.data(), won=st.booleans())
        def donor_disputes(self, data, won):
            charge = self._charge(data.draw(st.sampled_from(self.intents)))
            if not charge["disputed"] and charge["amount_refunded"] == 0:
                dispute, events = self.world.dispute(charge)
                self.sent += events + self.world.close_dispute(dispute, won=won)

        @precondition(lambda self: self.sent)
        @rule(data=st.data())
        def one_event_arrives(self, data):
            """Any waiting event, not necessarily the oldest: Stripe does not keep order."""
            self._deliver(self.sent.pop(data.draw(st.integers(0, len(self.sent) - 1))))

        @precondition(lambda self: self.delivered)
        @rule(data=st.data())
        def an_event_arrives_again(self, data):
            self._deliver(data.draw(st.sampled_from(self.delivered)))

        @precondition(lambda self: self.sent)
        @rule()
        def stripe_is_down_while_we_process_then_we_retry(self):
            fake_stripe.fail_next = [500] * 30
            self._deliver(self.sent.pop(0))
            fake_stripe.fail_next = []
            for pk in StripeEvent.objects.filter(status="failed").values_list("pk", flat=True):
                with django_capture_on_commit_callbacks(execute=True):
                    event_process(event_id=pk)

        @precondition(lambda self: self.sent)
        @rule()
        def everything_arrives(self):
            while self.sent:
                self._deliver(self.sent.pop())
            for intent in self.intents:
                gift = Gift.objects.get(external_reference=intent)
                charge = self._charge(intent)
                lost = sum(
                    d["amount"]
                    for d in self.world.objects.values()
                    if d["object"] == "dispute"
                    and d["charge"] == charge["id"]
                    and d["status"] == "lost"
                )
                assert gift.refunded_amount == min(gift.amount, charge["amount_refunded"] + lost)

        def _charge(self, intent_id):
            return self.world.objects[self.world.objects[intent_id]["latest_charge"]]

        @invariant()
        def books_equal_stripe(self):
            for intent_id in self.intents:
                gifts = list(Gift.objects.filter(external_reference=intent_id))
                assert len(gifts) <= 1, "a payment became more than one gift"
                assert Payment.objects.filter(payment_intent_id=intent_id).count() == len(gifts)
                if not gifts:
                    continue
                intent, gift = self.world.objects[intent_id], gifts[0]
                assert (gift.amount, gift.currency) == (
                    intent["amount"],
                    intent["currency"].upper(),
                )
                assert 0 <= gift.refunded_amount <= gift.amount
                charge = self._charge(intent_id)
                at_most = charge["amount_refunded"] + (gift.amount if charge["disputed"] else 0)
                assert gift.refunded_amount <= at_most

        @invariant()
        def each_event_stored_once_and_never_left_failed(self):
            ids = {e["id"] for e in self.delivered}
            stored = StripeEvent.objects.filter(stripe_id__in=ids)
            assert stored.count() == len(ids)
            assert not stored.filter(status="failed").exists()
            assert not stored.filter(status="processed", attempts__gt=2).exists()

    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=15,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),  # fmt: skip
    )
