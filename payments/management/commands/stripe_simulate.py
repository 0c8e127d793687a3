"""Play a realistic, signed sequence of Stripe events into the webhook endpoint, like the
Stripe CLI's `trigger`, so that the whole flow can be watched without a Stripe account:
a one-off gift, a monthly gift and its renewal, a refund, a dispute that is lost, a payout.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import stripe
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from donors.models import Campaign, Fund
from payments.services import donation_create
from payments.simulation import StripeWorld


class Command(BaseCommand):
    help = (
        "Send signed, Stripe-shaped events for a one-off gift, a monthly gift and its renewal, "
        "a refund and a dispute to the local webhook endpoint (start `make demo` first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default=f"{settings.SITE_URL.rstrip('/')}/stripe/webhook/")
        parser.add_argument("--campaign", default="hfma", help="Campaign code for the gifts.")
        parser.add_argument("--secret", default="", help="Webhook secret (default: settings).")

    def handle(self, *args, url: str, campaign: str, secret: str, verbosity: int, **options):
        secret = secret or next(iter(settings.STRIPE_WEBHOOK_SECRETS), "")
        if not secret:
            raise CommandError("No webhook secret: set STRIPE_WEBHOOK_SECRET or pass --secret.")
        try:
            the_campaign = Campaign.objects.get(code=campaign)
            fund = Fund.objects.get(code="GEN")
        except (Campaign.DoesNotExist, Fund.DoesNotExist):
            raise CommandError(
                f"Campaign {campaign!r} or fund GEN is missing: run `manage.py seed_demo`."
            ) from None
        world = StripeWorld(expand=True)
        events = self._story(world, the_campaign, fund)
        answers: dict[int, int] = {}
        for event in tqdm(events, desc="Sending events", unit="event", disable=verbosity == 0):
            code = self._post(url, event, secret)
            answers[code] = answers.get(code, 0) + 1
            if code != 200:
                raise CommandError(f"{event['type']} ({event['id']}) was answered {code}.")
        self.stdout.write(
            f"Sent {len(events)} events to {url}: all accepted. The task worker books them; "
            "see Gifts and /admin/payments/stripeevent/."
        )
        self._reconcile(world)

    def _reconcile(self, world: StripeWorld) -> None:
        """Once the worker has booked the events, sync the payout with its lines from the
        simulated world (as `sync_payouts` does from Stripe) and reconcile it."""
        import time

        from payments.models import StripeEvent
        from payments.simulation import WorldHTTPClient
        from payments.stripe_api import API_VERSION
        from reconciliation.services import payouts_sync

        pending = StripeEvent.objects.filter(
            status__in=[StripeEvent.Status.RECEIVED, StripeEvent.Status.WAITING]
        )
        deadline = time.monotonic() + 60
        while pending.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        if pending.exists():
            self.stdout.write("The worker has not booked every event yet: reconcile later.")
            return
        api = stripe.StripeClient("sk_simulated", http_client=WorldHTTPClient(world),
                                  stripe_version=API_VERSION).v1  # fmt: skip
        report = payouts_sync(api=api)
        for payout_id, status in report.checked.items():
            self.stdout.write(f"Payout {payout_id}: {report.lines_added} lines, {status} "
                              "(see /reconciliation/).")  # fmt: skip

    def _story(self, world: StripeWorld, campaign: Campaign, fund: Fund) -> list[dict]:
        def donation(amount, frequency, ref=""):
            d = donation_create(campaign=campaign, fund=fund, amount=amount, currency="USD",
                                frequency=frequency, referral_code=ref)  # fmt: skip
            mode = "payment" if frequency == "once" else "subscription"
            return world.checkout_session(
                mode=mode, amount=d.total, currency="usd", interval=frequency,
                metadata={"donation_id": str(d.pk), "campaign": campaign.code},
            )  # fmt: skip

        events = []
        # A fan gives once, brought by a friend's link.
        one_off = donation(5000, "once", ref="fan-jaylen")
        events += world.pay_checkout(one_off, email="riley.fan@example.net", name="Riley Brooks")
        # A parent starts a monthly gift; a month later it renews.
        monthly = donation(1500, "month")
        parent = {"email": "dana.parent@example.net", "name": "Dana Ruiz"}
        events += world.subscribe_checkout(monthly, **parent)
        events += world.renew(world.objects[monthly["subscription"]], **parent)
        # Part of the one-off gift is refunded at the donor's request.
        charge = world.objects[world.objects[one_off["payment_intent"]]["latest_charge"]]
        events += world.refund(charge, amount=2000)
        # A stolen card: the gift is disputed and the dispute is lost.
        stolen = donation(25000, "once")
        events += world.pay_checkout(stolen, email="not.me@example.net", name="Card Holder")
        stolen_charge = world.objects[world.objects[stolen["payment_intent"]]["latest_charge"]]
        dispute, opened = world.dispute(stolen_charge)
        events += opened + world.close_dispute(dispute, won=False)
        # Stripe pays the week's money out to the bank.
        events += world.payout_available(currency="usd")
        return events

    def _post(self, url: str, event: dict, secret: str) -> int:
        body = json.dumps(event)
        request = urllib.request.Request(url, data=body.encode(), method="POST", headers={
            "Content-Type": "application/json",
            "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body, secret),
        })  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our URL
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except urllib.error.URLError as exc:
            raise CommandError(
                f"Cannot reach {url} ({exc.reason}): is `make demo` running?"
            ) from exc
