"""A payout of N balance transactions synced from the local Stripe double (a fake at the HTTP
layer: the SDK's own paging and parsing run for real) and reconciled, on SQLite. Prints the
time and the number of queries, for N and for N/10 (the count must not grow with N).

Usage: python bench/reconcile.py [N]   (the goal: 10,000 in under 5 s)
"""

import datetime as dt
import sys
import time

from _setup import django_on_fresh_sqlite

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000


def world_with_payout(n: int):
    """n charges paid out together, and the gifts and payments we recorded for them."""
    from django.utils import timezone

    from donors.models import Fund, Gift
    from payments.models import Payment
    from tests.payments.fake_stripe import FakeState, FakeStripeHTTPClient
    from tests.reconciliation import payout_world as w

    state = FakeStripeHTTPClient.state = FakeState()
    world = state.world
    fund, _ = Fund.objects.get_or_create(
        code="GEN", defaults={"name": "General", "gl_account": "4000"}
    )
    charges = [w.charge(world, 1_000 + i % 9_000) for i in range(n)]
    payout = w.pay_out(world, [txn for _, txn in charges])
    from donors.models import Donor

    donor = Donor.objects.create(first_name="Fan", last_name="Many")
    gifts = Gift.objects.bulk_create(
        [Gift(donor=donor, amount=ch["amount"], currency="USD", received_on=dt.date(2026, 5, 1),
              method="card", status="posted") for ch, _ in charges], batch_size=2000)  # fmt: skip
    Payment.objects.bulk_create(
        [Payment(gift=g, payment_intent_id=f"pi_{ch['id']}", charge_id=ch["id"],
                 amount=ch["amount"], currency="USD", paid_at=timezone.now())
         for g, (ch, _) in zip(gifts, charges, strict=True)], batch_size=2000)  # fmt: skip
    return payout


def measure(n: int) -> tuple[float, int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reconciliation.services import payouts_sync

    world_with_payout(n)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        report = payouts_sync()
    took = time.perf_counter() - started
    assert report.lines_added == n + 1, report
    return took, len(queries), next(iter(report.checked.values()))


def main() -> None:
    import os

    os.environ["STRIPE_SECRET_KEY"] = "sk_test_bench"
    os.environ["STRIPE_HTTP_CLIENT"] = "tests.payments.fake_stripe.FakeStripeHTTPClient"
    django_on_fresh_sqlite("reconcile")
    small_took, small_queries, _ = measure(N // 10)
    from payments.models import Payout

    Payout.objects.all().delete()  # the small payout's lines go with it
    took, queries, status = measure(N)
    print(f"payout of {N} balance transactions, SQLite: {status}")
    print(f"reconcile: {took:.2f} s")
    print(f"queries: {queries}")
    print(f"(a payout of {N // 10}: {small_took:.2f} s, {small_queries} queries)")


if __name__ == "__main__":
    main()
