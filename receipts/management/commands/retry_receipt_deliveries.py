"""Send again the receipts whose e-mail failed, and draw and send those whose task was lost
(issued a while ago with an address and still not sent: a worker killed before or while it
drew or sent them, a queue emptied). Run it from cron, like retry_stripe_events."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from receipts.models import Receipt
from receipts.services import MAX_DELIVERY_ATTEMPTS, receipts_deliver

BATCH = 25


class Command(BaseCommand):
    help = (
        "Retry the e-mail of receipts whose delivery failed (up to 5 attempts each), and draw "
        "and send receipts issued over --stale-minutes ago that were never sent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--stale-minutes", type=int, default=30)

    def handle(self, *args, **options):
        stale = timezone.now() - dt.timedelta(minutes=options["stale_minutes"])
        old = Q(issued_at__lt=stale)
        Delivery = Receipt.Delivery
        due = Receipt.objects.filter(
            Q(delivery_status=Delivery.FAILED, delivery_attempts__lt=MAX_DELIVERY_ATTEMPTS)
            # queued and never sent: drawn or not, its task was lost
            | Q(old, delivery_status=Delivery.QUEUED, status=Receipt.Status.ISSUED)
            # no address, never drawn: drawn for the donor's page and the post
            | Q(old, delivery_status=Delivery.NOT_SENT, pdf_sha256="")
        )
        ids = list(due.order_by("pk").values_list("pk", flat=True))
        sent = 0
        for start in range(0, len(ids), BATCH):
            done = receipts_deliver(receipt_ids=ids[start : start + BATCH], resend=True)
            sent += sum(r.delivery_status == Receipt.Delivery.SENT for r in done)
        failing = Receipt.objects.filter(delivery_status=Receipt.Delivery.FAILED).count()
        self.stdout.write(f"{sent} receipts sent; {failing} still failing.")
