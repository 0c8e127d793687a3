"""Processing stored events: out of order, failures kept and retried, staff view."""

import pytest
from django.urls import reverse

from donors.models import Gift
from payments.models import Payment, StripeEvent
from payments.services import event_process
from tests.payments.test_giving_flow import _give, _session

pytestmark = pytest.mark.django_db


def test_a_refund_before_its_payment_records_the_payment_from_stripe(
    client, campaign, fake_stripe, deliver_all
):
    _give(client, campaign)
    world = fake_stripe.world
    paid = world.pay_checkout(_session(fake_stripe), email="a@example.net", name="A B")
    charge = next(o for o in world.objects.values() if o["object"] == "charge")
    refunded = world.refund(charge, amount=2000)
    deliver_all(refunded)  # the refund arrives first
    gift = Gift.objects.get()
    assert (gift.amount, gift.refunded_amount) == (5000, 2000)
    deliver_all(paid)  # then the payment: nothing twice
    assert Gift.objects.count() == 1 and Payment.objects.count() == 1
    assert Gift.objects.get().refunded_amount == 2000


def test_an_older_event_arriving_late_does_not_undo_a_newer_state(
    client, campaign, fake_stripe, deliver_all
):
    _give(client, campaign)
    world = fake_stripe.world
    deliver_all(world.pay_checkout(_session(fake_stripe), email="a@example.net", name="A B"))
    charge = world.objects[Payment.objects.get().charge_id]
    first = world.refund(charge, amount=1000)
    second = world.refund(charge, amount=1000)
    deliver_all(second + first)  # newest first; each handler re-reads the charge's refunds
    assert Gift.objects.get().refunded_amount == 2000


def test_offline_a_refund_of_an_unknown_payment_waits_then_runs(offline, campaign, deliver_all):
    from payments.models import Donation
    from tests.factories import FundFactory

    donation = Donation.objects.create(campaign=campaign, fund=FundFactory(code="GEN"), amount=3000,
                                       currency="USD", frequency="once")  # fmt: skip
    session = offline.checkout_session(mode="payment", amount=3000, currency="usd",
                                       metadata={"donation_id": str(donation.pk)})  # fmt: skip
    paid = offline.pay_checkout(session, email="w@example.net", name="W X")
    charge = next(o for o in offline.objects.values() if o["object"] == "charge")
    refunded = offline.refund(charge, amount=500)
    deliver_all(refunded)
    waiting = StripeEvent.objects.filter(status=StripeEvent.Status.WAITING)
    assert waiting.count() == 2 and not Gift.objects.exists()
    deliver_all(paid)  # recording the payment wakes the waiting events
    assert not StripeEvent.objects.filter(status=StripeEvent.Status.WAITING).exists()
    assert Gift.objects.get().refunded_amount == 500


def test_a_failure_is_kept_with_its_error_and_a_retry_succeeds(
    client, campaign, fake_stripe, deliver_all
):
    _give(client, campaign)
    world = fake_stripe.world
    events = world.pay_checkout(_session(fake_stripe), email="a@example.net", name="A B")
    fake_stripe.fail_next = [500, 500, 500] * 3  # Stripe is down while we process
    deliver_all(events)
    failed = StripeEvent.objects.filter(status=StripeEvent.Status.FAILED)
    assert failed.count() == 2 and "Simulated Stripe outage" in failed.first().error
    assert not Gift.objects.exists()  # the handler's writes rolled back
    fake_stripe.fail_next = []
    for event in failed:
        event_process(event_id=event.pk)
    assert Gift.objects.count() == 1
    assert not StripeEvent.objects.filter(status=StripeEvent.Status.FAILED).exists()


def test_processing_a_processed_event_again_changes_nothing(
    client, campaign, fake_stripe, deliver_all
):
    _give(client, campaign)
    deliver_all(
        fake_stripe.world.pay_checkout(_session(fake_stripe), email="a@example.net", name="A")
    )
    event = StripeEvent.objects.get(type="payment_intent.succeeded")
    before = len(fake_stripe.sent)
    assert event_process(event_id=event.pk).attempts == 1
    assert len(fake_stripe.sent) == before  # not even a read


def test_staff_see_events_and_retry_failed_ones(
    finance_client, campaign, fake_stripe, deliver_all, django_capture_on_commit_callbacks
):
    _give(finance_client, campaign)
    events = fake_stripe.world.pay_checkout(_session(fake_stripe), email="a@example.net", name="A")
    fake_stripe.fail_next = [500] * 9
    deliver_all(events)
    listing = finance_client.get(
        reverse("admin:payments_stripeevent_changelist") + "?status=failed"
    )
    assert listing.status_code == 200 and "Simulated Stripe outage" in listing.content.decode()
    fake_stripe.fail_next = []
    failed = list(StripeEvent.objects.filter(status="failed").values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        answer = finance_client.post(
            reverse("admin:payments_stripeevent_changelist"),
            {"action": "retry", "_selected_action": failed},
        )
    assert answer.status_code == 302
    assert Gift.objects.count() == 1
    assert set(StripeEvent.objects.values_list("status", flat=True)) <= {"processed", "ignored"}


def test_read_only_staff_cannot_retry(client, db):
    from django.contrib.auth.models import Group

    from tests.conftest import login_with_second_factor
    from tests.factories import UserFactory

    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="fundraising"))
    login_with_second_factor(client, user)
    page = client.get(reverse("admin:payments_stripeevent_changelist"))
    assert page.status_code == 200 and 'value="retry"' not in page.content.decode()


def test_the_retry_command_heals_failures_after_an_outage(
    client, campaign, fake_stripe, deliver_all, django_capture_on_commit_callbacks
):
    import datetime as dt
    import io

    from django.core.management import call_command

    _give(client, campaign)
    events = fake_stripe.world.pay_checkout(_session(fake_stripe), email="a@example.net", name="A")
    fake_stripe.fail_next = [500] * 9
    deliver_all(events)
    assert StripeEvent.objects.filter(status="failed").count() == 2
    fake_stripe.fail_next = []
    out = io.StringIO()
    call_command("retry_stripe_events", stdout=out)  # too recent: left alone
    assert out.getvalue().startswith("0 events queued")
    StripeEvent.objects.update(processed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retry_stripe_events", stdout=out)
    assert Gift.objects.count() == 1
    assert not StripeEvent.objects.filter(status="failed").exists()


def test_the_retry_command_drains_events_a_stopped_worker_left(
    offline, campaign, client, django_capture_on_commit_callbacks
):
    import datetime as dt
    import io

    from django.core.management import call_command

    from payments.models import Donation
    from tests.factories import FundFactory
    from tests.payments.conftest import deliver

    donation = Donation.objects.create(campaign=campaign, fund=FundFactory(code="GEN"),
                                       amount=700, currency="USD", frequency="once")  # fmt: skip
    session = offline.checkout_session(mode="payment", amount=700, currency="usd",
                                       metadata={"donation_id": str(donation.pk)})  # fmt: skip
    for event in offline.pay_checkout(session, email="s@example.net", name="S T"):
        deliver(client, event)  # stored; the drain queued on commit never ran (no capture)
    assert StripeEvent.objects.filter(status="received").count() == 2
    StripeEvent.objects.update(received_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retry_stripe_events", stdout=io.StringIO())
    assert Gift.objects.get().amount == 700


def test_a_drain_lost_with_its_queue_is_queued_again_by_a_later_delivery(
    offline, campaign, client, django_capture_on_commit_callbacks
):
    import datetime as dt

    from payments.models import Donation, EventQueue
    from tests.factories import FundFactory
    from tests.payments.conftest import deliver

    donation = Donation.objects.create(campaign=campaign, fund=FundFactory(code="GEN"),
                                       amount=900, currency="USD", frequency="once")  # fmt: skip
    session = offline.checkout_session(mode="payment", amount=900, currency="usd",
                                       metadata={"donation_id": str(donation.pk)})  # fmt: skip
    _, intent, completed = offline.pay_checkout(session, email="l@example.net", name="L Q")
    deliver(client, intent)  # its drain task is lost: never runs
    assert EventQueue.objects.get().drain_pending
    with django_capture_on_commit_callbacks(execute=True) as queued:
        deliver(client, completed)
    assert not queued and not Gift.objects.exists()  # a drain is still believed queued
    EventQueue.objects.update(drain_queued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        deliver(client, offline.payout(amount=874, currency="usd")[0])
    drains = [q for q in queued if "drain" in repr(q)]  # (the gift's thank-you is queued too)
    assert len(drains) == 1 and Gift.objects.get().amount == 900
