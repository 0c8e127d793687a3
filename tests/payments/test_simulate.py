"""`manage.py stripe_simulate` plays a whole story into a running server's endpoint."""

import io

import pytest
from django.core.management import CommandError, call_command

from donors.models import Gift, RecurringPlan
from payments.models import Dispute, Payout, StripeEvent
from tests.factories import CampaignFactory, FundFactory


@pytest.mark.django_db(transaction=True)
def test_the_simulated_story_lands_in_the_books(live_server, settings, offline):
    FundFactory(code="GEN")
    CampaignFactory(code="hfma", name="Human Freedom Music Awards")
    out = io.StringIO()
    call_command("stripe_simulate", url=f"{live_server.url}/stripe/webhook/", stdout=out,
                 verbosity=0)  # fmt: skip
    assert "all accepted" in out.getvalue()
    assert not StripeEvent.objects.exclude(status__in=["processed", "ignored"]).exists()
    one_off = Gift.objects.get(referral_code="fan-jaylen")
    assert (one_off.amount, one_off.refunded_amount) == (5000, 2000)
    assert one_off.payment.fee is not None and one_off.payment.net == 5000 - one_off.payment.fee
    plan = RecurringPlan.objects.get()
    assert (plan.amount, plan.gifts.count()) == (1500, 2)
    assert all(g.payment.fee for g in plan.gifts.all())  # instalments carry Stripe's fee too
    stolen = Gift.objects.get(amount=25000)
    assert stolen.refunded_amount == 25000 and Dispute.objects.get().status == "lost"
    assert Payout.objects.get().status == "paid"
    # The demo's payout, synced from the simulated world, is made of exactly these gifts,
    # refund and dispute, and reconciles to the cent.
    payout = Payout.objects.get()
    assert payout.reconciliation.status == "reconciled", payout.reconciliation.exceptions
    kinds = sorted(payout.lines.values_list("kind", flat=True))
    assert kinds == ["charge"] * 4 + ["dispute", "payout", "refund"]
    assert "reconciled (see /reconciliation/)" in out.getvalue()
    from ledger.audit import ledger_differences
    from reconciliation.services import payout_reconcile

    # The books hold what the simulated world did, and nothing else.
    assert ledger_differences() == []
    # A wrong amount planted in our books shows as one exception with its reason.
    one_off.payment.__class__.objects.filter(pk=one_off.payment.pk).update(amount=4_999)
    check = payout_reconcile(payout=payout)
    assert [e["reason"] for e in check.exceptions] == ["amount differs from the gift's payment"]


@pytest.mark.django_db
def test_without_demo_data_it_says_what_to_do(offline):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("stripe_simulate", url="http://127.0.0.1:9/", verbosity=0)


@pytest.mark.django_db
def test_an_unreachable_server_is_named(offline):
    FundFactory(code="GEN")
    CampaignFactory(code="hfma")
    with pytest.raises(CommandError, match="is `make demo` running"):
        call_command("stripe_simulate", url="http://127.0.0.1:9/stripe/webhook/", verbosity=0)
