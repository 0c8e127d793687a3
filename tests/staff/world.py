"""A small but whole world for walking every staff page: the demo's seeds at a small size,
a Stripe story played through the webhook endpoint (payments, a refund, a lost dispute, a
payout), and the few records no seed makes."""

from __future__ import annotations

import contextlib
import io
import json

import stripe
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

WEBHOOK_SECRET = "whsec_world"


def build_world(settings, run_on_commit) -> None:
    """`run_on_commit`: pytest-django's django_capture_on_commit_callbacks, so that the
    tasks each step queues run as a worker would run them."""
    from donors.demo import seed_demo
    from impact.demo import seed_impact
    from reconciliation.demo import seed_books_demo
    from sponsorships.demo import seed_sponsorships

    _chart_of_accounts()
    today = timezone.localdate()
    seed_demo(today=today, donors=30, gifts=150)
    call_command("seed_receipts_demo", stdout=io.StringIO())
    seed_sponsorships(today=today)
    seed_impact(today=today)
    seed_books_demo(today=today)
    with run_on_commit(execute=True):
        pass
    _stripe_story(settings, run_on_commit)
    # Stripe unreachable: a staff refund is recorded and fails with its reason.
    settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE = "sk_test_world", "http://127.0.0.1:9"
    with run_on_commit(execute=True):
        _records_no_seed_makes()


def _records_no_seed_makes() -> None:
    """An import, a merge, a refund Stripe could not be asked for, a signed-in address."""
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from donors.importing import gift_import_check, gift_import_create
    from donors.models import Donor
    from donors.services import donor_merge
    from payments.models import Payment
    from payments.services import PaymentProviderError, refund_request

    finance = User.objects.get(email="finance@example.org")
    day = timezone.localdate().isoformat()
    csv = IMPORT_CSV.replace(b"DAY", day.encode())
    run = gift_import_create(data=csv, name="this-month.csv", by=finance)
    gift_import_check(run=run)
    keep, merge = Donor.objects.filter(merged_into=None, user=None).order_by("pk")[:2]
    donor_merge(keep=keep, merge=merge, by=User.objects.get(email="fundraising@example.org"))
    payment = Payment.objects.filter(amount_refunded=0, disputed_amount_lost=0).first()
    with contextlib.suppress(PaymentProviderError):  # Stripe unreachable: the request
        refund_request(payment=payment, amount=500, reason="Asked twice", by=finance)
    _a_receipt_for_the_demo_donor(finance)
    EmailAddress.objects.get_or_create(user=finance, email=finance.email,
                                       defaults={"verified": True, "primary": True})  # fmt: skip


def _a_receipt_for_the_demo_donor(finance) -> None:
    """The small world's demo donor may have given only in euros: give them a receipted
    dollar gift, as seed_receipts_demo does for the full demo's."""
    from donors.models import Donor, Fund, Gift
    from donors.services import gift_record
    from receipts.services import receipt_issue

    donor = Donor.objects.get(email="donor@example.org")
    gift = Gift(donor=donor, amount=12_500, currency="USD", received_on=timezone.localdate(),
                method=Gift.Method.CHEQUE)  # fmt: skip
    gift = gift_record(gift=gift, split=[(Fund.objects.get(code="GEN"), 12_500)], by=finance)
    if not gift.receipt_lines.exists():
        receipt_issue(gifts=[gift], kind="gift", jurisdiction="US", by=finance)


IMPORT_CSV = (
    b"donor_email,first_name,last_name,amount,currency,received_on,fund,external_reference\n"
    b"ana@example.org,Ana,Silva,25.00,USD,2026-11-02,GEN,IMP-1\n"
    b"ben@example.org,Ben,Okafor,abc,USD,2026-11-02,GEN,IMP-2\n"
)


def _chart_of_accounts() -> None:
    """The chart the migrations write. A transactional test's flush (the browser journeys,
    or an earlier run of them on a reused database) empties it."""
    import importlib

    from django.apps import apps

    importlib.import_module("ledger.migrations.0003_chart_of_accounts").seed(apps, None)
    importlib.import_module("ledger.migrations.0004_currency_exchange_account").add(apps, None)


def _stripe_story(settings, run_on_commit) -> None:
    from donors.models import Campaign, Fund
    from payments.management.commands.stripe_simulate import Command
    from payments.simulation import StripeWorld

    settings.STRIPE_WEBHOOK_SECRETS = [WEBHOOK_SECRET]
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_HTTP_CLIENT = ""
    world = StripeWorld(expand=True)
    events = Command()._story(
        world, Campaign.objects.get(code="hfma"), Fund.objects.get(code="GEN")
    )
    client = Client()
    for event in events:
        body = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
        with run_on_commit(execute=True):
            answer = client.post("/stripe/webhook/", data=body, content_type="application/json",
                                 HTTP_STRIPE_SIGNATURE=header)  # fmt: skip
        assert answer.status_code == 200, answer.content
