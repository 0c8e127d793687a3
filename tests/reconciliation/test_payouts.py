"""Payouts synced from (fake) Stripe with all their balance transactions, matched to the
gifts' payments, refunds and disputes; the mismatches are named."""

import io

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payments.models import Payout
from reconciliation.models import PayoutLine
from reconciliation.services import payout_reconcile, payouts_sync
from tests.reconciliation import payout_world as w

pytestmark = pytest.mark.django_db


def test_a_payout_is_synced_once_and_reconciled(fake_stripe):
    world = fake_stripe.world
    lines = []
    for amount in (5_000, 2_500, 10_000):
        ch, txn = w.charge(world, amount)
        payment = w.recorded(ch)
        lines.append(txn)
    re_, txn = w.refund(world, ch, 4_000)
    w.recorded_refund(re_, payment)
    lines.append(txn)
    payout = w.pay_out(world, lines)
    out = io.StringIO()
    call_command("sync_payouts", stdout=out)
    row = Payout.objects.get(payout_id=payout["id"])
    assert row.lines.count() == 5  # four and the payout's own
    assert row.reconciliation.status == "reconciled", row.reconciliation.exceptions
    assert "1 payouts, 5 lines added: 1 reconciled" in out.getvalue()
    again = payouts_sync()
    assert again.lines_added == 0 and PayoutLine.objects.count() == 5  # nothing twice


def test_a_planted_wrong_amount_is_one_exception_with_its_reason(fake_stripe):
    world = fake_stripe.world
    good, txn_good = w.charge(world, 5_000)
    w.recorded(good)
    bad, txn_bad = w.charge(world, 7_000)
    w.recorded(bad, amount=6_000)  # we recorded 60.00; Stripe charged 70.00
    w.pay_out(world, [txn_good, txn_bad])
    payouts_sync()
    check = Payout.objects.get().reconciliation
    assert check.status == "exceptions"
    assert check.exceptions == [
        {"line": txn_bad["id"], "reason": "amount differs from the gift's payment"}
    ]


KINDS = st.sampled_from(["ok", "no_gift", "wrong_amount", "refund", "refund_unrecorded",
                         "dispute", "dispute_unrecorded"])  # fmt: skip


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=st.lists(st.tuples(KINDS, st.integers(min_value=100, max_value=500_000)),
                     min_size=1, max_size=12),
       short=st.booleans())  # fmt: skip
def test_reconciliation_finds_exactly_the_planted_mismatches(fake_stripe, plan, short):
    world = fake_stripe.world
    txns, planted = [], {}
    for kind, amount in plan:
        ch, txn = w.charge(world, amount)
        txns.append(txn)
        if kind == "no_gift":
            planted[txn["id"]] = "no gift or sponsor payment for this charge"
            continue
        payment = w.recorded(ch, amount=amount + 1 if kind == "wrong_amount" else None)
        if kind == "wrong_amount":
            planted[txn["id"]] = "amount differs from the gift's payment"
        if kind.startswith("refund"):
            re_, rtxn = w.refund(world, ch, amount // 2 or 1)
            txns.append(rtxn)
            if kind == "refund":
                w.recorded_refund(re_, payment)
            else:
                planted[rtxn["id"]] = "no refund recorded for this refund"
        if kind.startswith("dispute"):
            du, dtxn = w.dispute(world, ch)
            txns.append(dtxn)
            if kind == "dispute":
                w.recorded_dispute(du, payment)
            else:
                planted[dtxn["id"]] = "no dispute recorded for this dispute"
    payout = w.pay_out(world, txns)
    if short:  # Stripe says the payout is a cent more than its lines
        payout["amount"] += 1
    payouts_sync()
    check = Payout.objects.get(payout_id=payout["id"]).reconciliation
    found = {e["line"]: e["reason"] for e in check.exceptions if e["line"]}
    assert found == planted
    assert any("add up to" in e["reason"] for e in check.exceptions) == short
    assert (check.status == "reconciled") == (not planted and not short)


def test_a_gift_already_in_another_payout_is_an_exception(fake_stripe):
    world = fake_stripe.world
    ch, txn = w.charge(world, 5_000)
    w.recorded(ch)
    first = w.pay_out(world, [txn])
    payouts_sync()
    # The same charge's transaction turning up again in a second payout (a double entry).
    twin = world.put({**txn, "id": world.new_id("txn")})
    second = w.pay_out(world, [twin])
    payouts_sync()
    check = Payout.objects.get(payout_id=second["id"]).reconciliation
    assert check.exceptions == [
        {"line": twin["id"], "reason": "this gift's payment is already in another payout"}
    ]
    assert payout_reconcile(payout=Payout.objects.get(payout_id=first["id"])).status == (
        "exceptions"  # and the first payout now sees the twin too
    )


def test_the_query_count_does_not_grow_with_the_payout(fake_stripe):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(n: int) -> int:
        world = fake_stripe.world
        txns = []
        for i in range(n):
            ch, txn = w.charge(world, 1_000 + i)
            w.recorded(ch)
            txns.append(txn)
        payout = w.pay_out(world, txns)
        with CaptureQueriesContext(connection) as queries:
            payouts_sync()
        assert Payout.objects.get(payout_id=payout["id"]).reconciliation.status == "reconciled"
        Payout.objects.all().delete()
        world.objects.clear()  # the next payout alone
        return len(queries)

    assert queries_for(3) == queries_for(60)


def test_the_workbench_lists_payouts_by_status_and_shows_a_payouts_exceptions(
    fake_stripe, finance_client
):
    from django.urls import reverse

    world = fake_stripe.world
    ch, txn = w.charge(world, 5_000)
    w.recorded(ch)
    good = w.pay_out(world, [txn])
    stray, stray_txn = w.charge(world, 900)  # no gift recorded for it
    bad = w.pay_out(world, [stray_txn])
    payouts_sync()
    listing = finance_client.get(reverse("reconciliation") + "?status=exceptions").content.decode()
    assert bad["id"] in listing and good["id"] not in listing and "1 exception" in listing
    page = finance_client.get(reverse("payout_page", args=[Payout.objects.get(
        payout_id=bad["id"]).pk])).content.decode()  # fmt: skip
    assert "no gift or sponsor payment for this charge" in page and stray["id"] in page


def test_a_sponsors_stripe_invoice_payment_in_a_payout_is_matched(fake_stripe):
    import datetime as dt

    from sponsorships.services import payment_record
    from tests.factories import agreement

    deal = agreement(amount=1_000_000)
    ch, txn = w.charge(fake_stripe.world, 250_000)
    sponsor_paid = payment_record(sponsor=deal.sponsor, amount=250_000, currency="USD",
                                  received_on=dt.date(2026, 2, 1), method="stripe",
                                  reference="in_1", stripe_charge_id=ch["id"], by=None)  # fmt: skip
    w.pay_out(fake_stripe.world, [txn])
    payouts_sync()
    line = PayoutLine.objects.get(kind="charge")
    assert line.sponsor_payment == sponsor_paid and line.problem == ""
    assert Payout.objects.get().reconciliation.status == "reconciled"


def test_a_converted_charge_keeps_its_rate_and_both_amounts(fake_stripe):
    world = fake_stripe.world
    ch, txn = w.charge(world, 10_000, currency="eur")  # the donor paid EUR 100.00
    txn.update(currency="usd", amount=10_850, fee=345, net=10_505, exchange_rate=1.085)
    w.recorded(ch)
    w.pay_out(world, [txn])
    payouts_sync()
    line = PayoutLine.objects.get(kind="charge")
    assert (line.amount, line.currency, line.net) == (10_850, "USD", 10_505)
    assert (line.source_amount, line.source_currency, line.exchange_rate) == (
        10_000,
        "EUR",
        "1.085",
    )
    assert Payout.objects.get().reconciliation.status == "reconciled"


def test_check_again_after_the_missing_gift_is_recorded_and_the_task_syncs(
    fake_stripe, finance_client
):
    from django.urls import reverse

    from reconciliation.tasks import sync_payouts

    world = fake_stripe.world
    ch, txn = w.charge(world, 4_200)
    w.pay_out(world, [txn])
    result = sync_payouts.enqueue()  # the daily task (immediate backend in tests)
    assert result.return_value == {"payouts": 1, "lines_added": 2}
    payout = Payout.objects.get()
    assert payout.reconciliation.status == "exceptions"
    w.recorded(ch)  # finance records the gift that was missing
    page = finance_client.get(reverse("payout_page", args=[payout.pk])).content.decode()
    assert 'accesskey="c"' in page and "Check again" in page
    finance_client.post(reverse("payout_page", args=[payout.pk]))
    payout.refresh_from_db()
    assert payout.reconciliation.status == "reconciled"
