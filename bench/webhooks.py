"""Webhook intake and processing speed on SQLite.

Sends N signed Stripe events (checkout payments with their charge, payment intent and
session events, plus refunds) through the real endpoint and middleware with Django's test
client, timing each request; then processes them all with the configured task backend's
worker (`db_worker --batch`, the default database backend). Stripe's API is not called
(no key, as in the demo): the events carry their objects expanded.

Usage: python bench/webhooks.py [EVENTS] [WORKERS]
  (goals: >= 500 accepted/s, >= 200 processed/s, p99 < 20 ms on a 2-core machine, and
  p99 with slow Stripe < 100 ms)

Then "with slow Stripe": SLOW_PAYMENTS checkout payments delivered one every 50 ms while two
`db_worker` processes drain them, reading Stripe (a loopback fake answering each read in
300 ms, tests/payments/slow_stripe.py) as production does: the endpoint's p99 then, and how
many deliveries were answered other than 200 (none, ever).

WORKERS > 1 starts that many worker processes of the configured backend instead of one
in-process worker: `db_worker --batch`, or with TASK_BACKEND=rq `rqworker --burst`. Set
DATABASE_URL to a PostgreSQL database to measure the production set-up.
"""

import json
import os
import sys
import time

from _setup import django_on_fresh_sqlite

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
WORKERS = int(sys.argv[2]) if len(sys.argv) > 2 else 1
SECRET = "whsec_bench"

os.environ.setdefault("TASK_BACKEND", "db")
os.environ["STRIPE_SECRET_KEY"] = ""
os.environ["STRIPE_WEBHOOK_SECRET"] = SECRET


def build_events(n: int) -> list[dict]:
    from donors.models import Campaign, Fund
    from payments.services import donation_create
    from payments.simulation import StripeWorld

    fund = Fund.objects.create(code="GEN", name="General", gl_account="4000")
    campaign = Campaign.objects.create(code="hfma", name="HFMA", starts_on="2024-03-01")
    world = StripeWorld(expand=True)
    events: list[dict] = []
    i = 0
    while len(events) < n:
        i += 1
        donation = donation_create(campaign=campaign, fund=fund, amount=1000 + i, currency="USD",
                                   frequency="once", referral_code=f"fan-{i % 50}")  # fmt: skip
        session = world.checkout_session(mode="payment", amount=donation.total, currency="usd",
                                         metadata={"donation_id": str(donation.pk)})  # fmt: skip
        paid = world.pay_checkout(session, email=f"fan{i % 400}@example.net", name=f"Fan N{i}")
        events += paid
        if i % 5 == 0:
            charge = world.objects[world.objects[session["payment_intent"]]["latest_charge"]]
            events += world.refund(charge, amount=500)
    return events[:n]


def run_worker_processes(n: int, *, rq: bool) -> None:
    """n worker processes of the configured backend, each until the queue is empty."""
    import subprocess

    from _setup import ROOT

    command = ["rqworker", "--burst", "default"] if rq else [
        "db_worker", "--batch", "--no-startup-delay", "--interval", "0"]  # fmt: skip
    workers = [subprocess.Popen([sys.executable, "manage.py", *command], cwd=ROOT,
                                stdout=subprocess.DEVNULL) for _ in range(n)]  # fmt: skip
    for worker in workers:
        worker.wait()


def main() -> None:
    django_on_fresh_sqlite("webhooks")
    import stripe
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from tqdm import tqdm

    from donors.models import Gift
    from payments.models import StripeEvent

    events = build_events(EVENTS)
    bodies = [json.dumps(e) for e in events]
    # Signing is Stripe's work, not ours: done before the clock starts.
    headers = [stripe.WebhookSignature.generate_signature_header(b, SECRET) for b in bodies]
    client = Client()
    latencies = []
    started = time.perf_counter()
    for body, header in tqdm(list(zip(bodies, headers, strict=True)), desc="Sending", unit="event"):
        t0 = time.perf_counter()
        answer = client.post("/stripe/webhook/", data=body, content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=header)  # fmt: skip
        latencies.append(time.perf_counter() - t0)
        assert answer.status_code == 200, answer.content
    sent_for = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    p50 = latencies[len(latencies) // 2] * 1000

    started = time.perf_counter()
    if WORKERS == 1 and settings.TASKS["default"]["BACKEND"].endswith("DatabaseBackend"):
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
    else:
        run_worker_processes(WORKERS, rq=settings.TASKS["default"]["BACKEND"].endswith("RQBackend"))
    processed_for = time.perf_counter() - started
    done = StripeEvent.objects.filter(status__in=["processed", "ignored"]).count()
    assert done == len(events), f"only {done} of {len(events)} processed"
    print(f"backend: {settings.TASKS['default']['BACKEND']} x {WORKERS}, "
          f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
          f"{len(events)} events, {Gift.objects.count()} gifts")  # fmt: skip
    print(f"accepted: {len(events) / sent_for:,.0f} events/s")
    print(f"processed: {len(events) / processed_for:,.0f} events/s")
    print(f"p99: {p99:.1f} ms (p50 {p50:.1f} ms, endpoint latency)")
    slow_stripe(client)


SLOW_PAYMENTS = 40
SLOW_DELAY = 0.3  # seconds a Stripe read takes


def slow_stripe(client) -> None:
    """Deliveries while two workers process earlier ones against a Stripe that answers each
    read in 300 ms: the endpoint must not wait on Stripe nor on the workers."""
    import subprocess

    import stripe
    from _setup import ROOT
    from django.db import connection

    from donors.models import Campaign, Fund
    from payments.models import StripeEvent
    from payments.services import donation_create
    from payments.simulation import StripeWorld
    from tests.payments.slow_stripe import SlowStripe

    world = StripeWorld()  # objects by id, as the API gives them: the workers read them
    fund, campaign = Fund.objects.get(code="GEN"), Campaign.objects.get(code="hfma")
    events: list[dict] = []
    for i in range(SLOW_PAYMENTS):
        donation = donation_create(campaign=campaign, fund=fund, amount=2_000 + i,
                                   currency="USD", frequency="once")  # fmt: skip
        session = world.checkout_session(mode="payment", amount=donation.total, currency="usd",
                                         metadata={"donation_id": str(donation.pk)})  # fmt: skip
        events += world.pay_checkout(session, email=f"slow{i}@example.net", name=f"Slow N{i}")
    before = StripeEvent.objects.count()
    connection.close()  # the workers and this process share the SQLite file
    with SlowStripe(world.objects, delay=SLOW_DELAY) as fake:
        env = {**os.environ, "STRIPE_SECRET_KEY": "sk_test_bench", "STRIPE_API_BASE": fake.base,
               "STRIPE_HTTP_CLIENT": ""}  # fmt: skip
        command = [sys.executable, "manage.py", "db_worker", "--interval", "0.05",
                   "--no-startup-delay"]  # fmt: skip
        workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL) for _ in range(2)]  # fmt: skip
        latencies, refused = [], 0
        try:
            for event in events:
                body = json.dumps(event)
                header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
                t0 = time.perf_counter()
                answer = client.post("/stripe/webhook/", data=body,
                                     content_type="application/json",
                                     HTTP_STRIPE_SIGNATURE=header)  # fmt: skip
                latencies.append(time.perf_counter() - t0)
                refused += answer.status_code != 200
                time.sleep(0.05)
            deadline = time.monotonic() + 300
            while (
                time.monotonic() < deadline
                and StripeEvent.objects.filter(status="received").exists()
            ):
                time.sleep(0.2)
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(30)
    latencies.sort()
    p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000
    processed = StripeEvent.objects.filter(status__in=["processed", "ignored"]).count() - before
    print(f"p99 with slow Stripe: {p99:.0f} ms ({len(events)} deliveries while 2 workers read "
          f"Stripe at {SLOW_DELAY * 1000:.0f} ms a call; {refused} not answered 200; "
          f"{processed} processed)")  # fmt: skip


if __name__ == "__main__":
    main()
