"""From the donation page to the books, against a fake Stripe at the HTTP layer."""

import pytest
from django.urls import reverse

from donors.models import Donor, Gift, RecurringPlan
from payments.models import Dispute, Donation, Payment, StripeCustomer, StripeEvent
from payments.stripe_api import API_VERSION
from tests.factories import DonorFactory, FundFactory

pytestmark = pytest.mark.django_db

FORM = {"preset": "50", "other_amount": "", "currency": "USD", "frequency": "once",
        "tribute_type": "", "tribute_name": "", "ref": "", "form_token": "",}  # fmt: skip


def _give(client, campaign, **changes):
    import uuid

    data = {**FORM, "fund": FundFactory(code="GEN").pk, "form_token": str(uuid.uuid4()),
            **changes}  # fmt: skip
    return client.post(reverse("give", args=[campaign.code]) + "?ref=" + data["ref"], data)


def _session(fake):
    return next(o for o in fake.world.objects.values() if o["object"] == "checkout.session")


def test_the_page_creates_a_checkout_session_with_our_references(client, campaign, fake_stripe):
    answer = _give(client, campaign, other_amount="40.00", cover_fee="on", ref="fan-ana")
    donation = Donation.objects.get()
    assert answer.status_code == 302 and answer["Location"].startswith("https://checkout.stripe")
    [sent] = fake_stripe.sent
    assert (sent.method, sent.path) == ("POST", "/v1/checkout/sessions")
    assert sent.idempotency_key == f"donation-{donation.pk}-checkout"
    assert sent.stripe_version == API_VERSION
    assert sent.params["mode"] == "payment"
    assert sent.params["metadata"] == {"donation_id": str(donation.pk), "campaign": "hfma",
                                       "referral_code": "fan-ana"}  # fmt: skip
    assert sent.params["payment_intent_data"]["metadata"]["donation_id"] == str(donation.pk)
    # 40.00 plus the fee: (4000 + 30) / (1 - 0.029) = 4150.36, rounded up
    assert sent.params["line_items"][0]["price_data"]["unit_amount"] == "4151"
    assert (donation.amount, donation.fee_cover, donation.referral_code) == (4000, 151, "fan-ana")
    assert donation.status == Donation.Status.OPEN
    assert donation.checkout_session_id == _session(fake_stripe)["id"]


def test_a_monthly_gift_uses_subscription_mode(client, campaign, fake_stripe):
    _give(client, campaign, frequency="month", preset="25")
    [sent] = fake_stripe.sent
    assert sent.params["mode"] == "subscription"
    assert sent.params["line_items"][0]["price_data"]["recurring"] == {"interval": "month"}
    assert sent.params["subscription_data"]["metadata"]["donation_id"]


def test_a_double_submit_is_one_donation_and_one_session(client, campaign, fake_stripe):
    token = "0b5f5a52-7c1d-4b55-9d3e-6d0b7f0a1c11"
    first = _give(client, campaign, form_token=token)
    second = _give(client, campaign, form_token=token)
    assert Donation.objects.count() == 1
    assert first["Location"] == second["Location"]
    assert {s.idempotency_key for s in fake_stripe.sent} == {
        f"donation-{Donation.objects.get().pk}-checkout"
    }


def test_a_stripe_500_is_retried_with_the_same_key(client, campaign, fake_stripe):
    fake_stripe.fail_next = [500]
    answer = _give(client, campaign)
    assert answer.status_code == 302
    first, retry = fake_stripe.sent
    assert (
        first.idempotency_key
        == retry.idempotency_key
        == f"donation-{Donation.objects.get().pk}-checkout"
    )


def test_stripe_down_shows_a_clear_message_and_keeps_what_was_typed(client, campaign, fake_stripe):
    fake_stripe.fail_next = [500, 500, 500]
    answer = _give(client, campaign, other_amount="77.50", tribute_type="memory",
                   tribute_name="Grandma Rose")  # fmt: skip
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "could not reach our card processor" in page and "Nothing was charged" in page
    assert 'value="77.50"' in page and 'value="Grandma Rose"' in page
    assert Donation.objects.get().status == Donation.Status.CREATED


@pytest.mark.parametrize(
    "changes, field_error",
    [
        ({"preset": "", "other_amount": ""}, "Choose an amount"),
        ({"preset": "", "other_amount": "12,34.5"}, "amount"),
        ({"preset": "", "other_amount": "0.50"}, "smallest gift"),
        ({"preset": "", "other_amount": "250000"}, "please contact us"),
        ({"currency": "XXX"}, "Select a valid choice"),
        ({"tribute_type": "memory", "tribute_name": ""}, "Name the person"),
    ],
)
def test_bad_input_is_shown_on_the_form(client, campaign, fake_stripe, changes, field_error):
    answer = _give(client, campaign, **changes)
    assert answer.status_code == 400 and field_error in answer.content.decode()
    assert not Donation.objects.exists() and not fake_stripe.sent


def test_zero_decimal_currencies_are_charged_in_their_own_unit(
    client, campaign, fake_stripe, settings
):
    settings.DONATION_CURRENCIES = ["USD", "JPY"]
    _give(client, campaign, currency="JPY", preset="", other_amount="5000")
    assert fake_stripe.sent[0].params["line_items"][0]["price_data"]["unit_amount"] == "5000"
    assert fake_stripe.sent[0].params["line_items"][0]["price_data"]["currency"] == "jpy"


def test_a_one_off_gift_is_booked_once_with_fee_and_net(client, campaign, fake_stripe, deliver_all):
    _give(client, campaign, ref="fan-ana")
    world = fake_stripe.world
    events = world.pay_checkout(_session(fake_stripe), email="Maya@Example.net", name="Maya Okafor")
    deliver_all(events + events)  # every event twice
    gift = Gift.objects.get()
    payment = Payment.objects.get()
    charge = world.objects[payment.charge_id]
    fee = world.objects[charge["balance_transaction"]]["fee"]
    assert (gift.amount, gift.currency, gift.status) == (5000, "USD", Gift.Status.POSTED)
    assert gift.referral_code == "fan-ana" and gift.campaign == campaign
    assert gift.allocations.get().fund.code == "GEN"
    assert (payment.fee, payment.net, payment.settlement_currency) == (fee, 5000 - fee, "USD")
    assert payment.balance_transaction_id == charge["balance_transaction"]
    assert gift.donor.email == "maya@example.net" and gift.donor.last_name == "Okafor"
    assert StripeCustomer.objects.get().donor == gift.donor
    assert Donation.objects.get().status == Donation.Status.PAID
    assert set(StripeEvent.objects.values_list("type", "status")) == {
        ("charge.succeeded", "ignored"),  # nothing to do: the payment intent carries it
        ("payment_intent.succeeded", "processed"),
        ("checkout.session.completed", "processed"),
    }


def test_a_known_donor_is_matched_by_email_and_kept_by_customer_id(
    client, campaign, fake_stripe, deliver_all
):
    donor = DonorFactory(email="maya@example.net")
    _give(client, campaign)
    deliver_all(
        fake_stripe.world.pay_checkout(_session(fake_stripe), email="maya@example.net", name="M O")
    )
    assert Gift.objects.get().donor == donor and Donor.objects.count() == 1
    assert StripeCustomer.objects.get().donor == donor


def test_a_refund_adjusts_the_gift_and_never_deletes_it(client, campaign, fake_stripe, deliver_all):
    _give(client, campaign)
    world = fake_stripe.world
    deliver_all(world.pay_checkout(_session(fake_stripe), email="a@example.net", name="A B"))
    charge = world.objects[Payment.objects.get().charge_id]
    deliver_all(world.refund(charge, amount=1500))
    deliver_all(world.refund(charge, amount=1000))
    gift = Gift.objects.get()
    assert (gift.amount, gift.refunded_amount, gift.status) == (5000, 2500, Gift.Status.POSTED)
    assert Payment.objects.get().refunds.count() == 2


def test_a_lost_dispute_takes_the_money_back_and_a_won_one_gives_it_back(
    client, campaign, fake_stripe, deliver_all
):
    _give(client, campaign)
    world = fake_stripe.world
    deliver_all(world.pay_checkout(_session(fake_stripe), email="a@example.net", name="A B"))
    charge = world.objects[Payment.objects.get().charge_id]
    dispute, events = world.dispute(charge)
    deliver_all(events)
    row = Dispute.objects.get()
    assert (row.status, row.funds_withdrawn, row.funds_reinstated) == (
        "needs_response",
        True,
        False,
    )
    assert Gift.objects.get().refunded_amount == 0  # open: not lost yet
    deliver_all(world.close_dispute(dispute, won=False))
    assert Gift.objects.get().refunded_amount == 5000
    assert Dispute.objects.get().status == "lost"


def test_a_won_dispute_reinstates_the_funds(client, campaign, fake_stripe, deliver_all):
    _give(client, campaign)
    world = fake_stripe.world
    deliver_all(world.pay_checkout(_session(fake_stripe), email="a@example.net", name="A B"))
    dispute, events = world.dispute(world.objects[Payment.objects.get().charge_id])
    deliver_all(events + world.close_dispute(dispute, won=True))
    row = Dispute.objects.get()
    assert (row.status, row.funds_reinstated) == ("won", True)
    assert Gift.objects.get().refunded_amount == 0


def test_a_monthly_gift_and_its_renewal_become_two_gifts_on_one_plan(
    client, campaign, fake_stripe, deliver_all
):
    _give(client, campaign, frequency="month", preset="25")
    world = fake_stripe.world
    events = world.subscribe_checkout(
        _session(fake_stripe), email="fan@example.net", name="Teen Fan"
    )
    deliver_all(events)
    sub = next(o for o in world.objects.values() if o["object"] == "subscription")
    deliver_all(world.renew(sub, email="fan@example.net", name="Teen Fan"))
    plan = RecurringPlan.objects.get()
    assert (plan.amount, plan.interval, plan.status) == (2500, "month", "active")
    assert plan.external_reference == sub["id"]
    gifts = Gift.objects.filter(recurring_plan=plan)
    assert gifts.count() == 2 and {g.amount for g in gifts} == {2500}
    assert Payment.objects.exclude(invoice_id="").count() == 2
    assert plan.next_due_on is not None


def test_a_cancelled_subscription_ends_the_plan(client, campaign, fake_stripe, deliver_all):
    _give(client, campaign, frequency="year", preset="100")
    world = fake_stripe.world
    deliver_all(world.subscribe_checkout(_session(fake_stripe), email="f@example.net", name="F G"))
    sub = next(o for o in world.objects.values() if o["object"] == "subscription")
    sub.update(status="canceled", canceled_at=world.tick(), ended_at=world.clock)
    deliver_all([world.event("customer.subscription.deleted", sub)])
    plan = RecurringPlan.objects.get()
    assert (plan.status, plan.interval) == ("cancelled", "year") and plan.ended_on is not None


def test_a_failed_instalment_marks_the_plan_failing_until_paid(
    client, campaign, fake_stripe, deliver_all
):
    _give(client, campaign, frequency="month")
    world = fake_stripe.world
    deliver_all(world.subscribe_checkout(_session(fake_stripe), email="f@example.net", name="F G"))
    sub = next(o for o in world.objects.values() if o["object"] == "subscription")
    unpaid = world.put(
        {
            "id": "in_unpaid",
            "object": "invoice",
            "status": "open",
            "customer": sub["customer"],
            "parent": {"subscription_details": {"subscription": sub["id"]}},
        }
    )
    deliver_all([world.event("invoice.payment_failed", unpaid)])
    assert RecurringPlan.objects.get().status == "failing"
    deliver_all(world.renew(sub, email="f@example.net", name="F G"))
    assert RecurringPlan.objects.get().status == "active"


def test_a_bank_debit_waits_for_the_async_payment(client, campaign, fake_stripe, deliver_all):
    _give(client, campaign)
    world, session = fake_stripe.world, _session(fake_stripe)
    session.update(status="complete", payment_status="unpaid",
                   customer_details={"email": "slow@example.net", "name": "S B"})  # fmt: skip
    deliver_all([world.event("checkout.session.completed", session)])
    assert Donation.objects.get().status == Donation.Status.AWAITING_PAYMENT
    assert not Gift.objects.exists()
    events = world.pay_checkout(session, email="slow@example.net", name="S B")
    deliver_all([world.event("checkout.session.async_payment_succeeded", session)])
    assert Gift.objects.get().amount == 5000 and len(events) == 3


def test_a_failed_bank_debit_records_no_gift(client, campaign, fake_stripe, deliver_all):
    _give(client, campaign)
    world, session = fake_stripe.world, _session(fake_stripe)
    deliver_all([world.event("checkout.session.async_payment_failed", session)])
    assert Donation.objects.get().status == Donation.Status.FAILED
    assert not Gift.objects.exists()


def test_an_expired_checkout_is_marked_and_books_nothing(
    client, campaign, fake_stripe, deliver_all
):
    _give(client, campaign)
    world, session = fake_stripe.world, _session(fake_stripe)
    session["status"] = "expired"
    deliver_all([world.event("checkout.session.expired", session)])
    assert Donation.objects.get().status == Donation.Status.EXPIRED
    assert not Gift.objects.exists()


def test_payouts_are_stored_for_reconciliation(fake_stripe, deliver_all):
    deliver_all(fake_stripe.world.payout(amount=123456, currency="usd"))
    from payments.models import Payout

    payout = Payout.objects.get()
    assert (payout.amount, payout.currency, payout.status) == (123456, "USD", "paid")
    assert payout.reconciliation_status == "completed"


def test_without_stripe_the_page_says_so_and_takes_nothing(client, campaign, offline):
    page = client.get(reverse("give", args=["hfma"]))
    text = page.content.decode()
    assert page.status_code == 200 and "Stripe is not configured" in text
    assert "stripe_simulate" in text and "disabled" in text
    _give(client, campaign)
    assert not Donation.objects.exists()


def test_the_page_is_public_keeps_the_referral_and_unknown_campaigns_404(
    client, campaign, fake_stripe
):
    page = client.get(reverse("give", args=["hfma"]) + "?ref=fan-ana")
    assert page.status_code == 200 and 'value="fan-ana"' in page.content.decode()
    assert client.get(reverse("give", args=["no-such-campaign"])).status_code == 404


def test_the_thanks_page_shows_the_donation(client, campaign, fake_stripe):
    _give(client, campaign)
    donation = Donation.objects.get()
    page = client.get(
        reverse("give_thanks", args=["hfma"]), {"session_id": donation.checkout_session_id}
    )
    assert "$50.00" in page.content.decode()


def test_staff_home_links_the_donation_pages(finance_client, campaign):
    page = finance_client.get("/").content.decode()
    assert reverse("give", args=["hfma"]) in page
