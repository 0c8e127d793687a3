"""Fetch Stripe payouts and their balance transactions, then reconcile each (from cron)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from reconciliation.services import payouts_sync


class Command(BaseCommand):
    help = "Sync Stripe payouts (created since --since) with all their lines, and reconcile."

    def add_arguments(self, parser):
        parser.add_argument("--since", type=dt.date.fromisoformat, help="YYYY-MM-DD")

    def handle(self, *args, **options):
        from payments.stripe_api import StripeNotConfigured

        bar = tqdm(desc="Payouts", unit="payout", disable=options["verbosity"] == 0)
        try:
            report = payouts_sync(since=options["since"], progress=lambda n: bar.update(1))
        except StripeNotConfigured as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        reconciled = sum(status == "reconciled" for status in report.checked.values())
        self.stdout.write(f"{report.payouts} payouts, {report.lines_added} lines added: "
                          f"{reconciled} reconciled, {report.payouts - reconciled} with "
                          "exceptions.")  # fmt: skip
