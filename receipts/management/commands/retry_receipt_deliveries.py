"""Send again the receipts whose e-mail failed, and draw and send those whose task was lost
(issued a while ago with an address and still not sent: a worker killed before or while it
drew or sent them, a queue emptied). The workers do this by themselves every ten minutes
after a year-end run (receipts.tasks.sweep_receipt_deliveries); this is the same, at once."""

from django.core.management.base import BaseCommand

from receipts.models import Receipt
from receipts.services import receipts_sweep

BATCH = 25


class Command(BaseCommand):
    help = (
        "Retry the e-mail of receipts whose delivery failed (up to 5 attempts each), and draw "
        "and send receipts issued over --stale-minutes ago that were never sent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stale-minutes", type=int, default=30)

    def handle(self, *args, **options):
        sent, _ = receipts_sweep(stale_minutes=options["stale_minutes"], batch=BATCH)
        failing = Receipt.objects.filter(delivery_status=Receipt.Delivery.FAILED).count()
        self.stdout.write(f"{sent} receipts sent; {failing} still failing.")
