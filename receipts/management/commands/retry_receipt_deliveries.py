"""Send again the receipts whose e-mail failed, and draw and send those whose task was lost
(issued a while ago with an address and still not sent: a worker killed before or while it
drew or sent them, a queue emptied). Run it from cron, like retry_stripe_events."""

from django.core.management.base import BaseCommand

from receipts.models import Receipt
from receipts.selectors import deliveries_due
from receipts.services import receipts_deliver

BATCH = 25


class Command(BaseCommand):
    help = (
        "Retry the e-mail of receipts whose delivery failed (up to 5 attempts each), and draw "
        "and send receipts issued over --stale-minutes ago that were never sent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stale-minutes", type=int, default=30)

    def handle(self, *args, **options):
        due = deliveries_due(stale_minutes=options["stale_minutes"])
        ids = list(due.order_by("pk").values_list("pk", flat=True))
        sent = 0
        for start in range(0, len(ids), BATCH):
            done = receipts_deliver(receipt_ids=ids[start : start + BATCH], resend=True)
            sent += sum(r.delivery_status == Receipt.Delivery.SENT for r in done)
        failing = Receipt.objects.filter(delivery_status=Receipt.Delivery.FAILED).count()
        self.stdout.write(f"{sent} receipts sent; {failing} still failing.")
