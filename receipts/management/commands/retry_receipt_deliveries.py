"""Send again the receipts whose e-mail failed (run it from cron, like retry_stripe_events)."""

from django.core.management.base import BaseCommand

from receipts.models import Receipt
from receipts.services import MAX_DELIVERY_ATTEMPTS, receipt_deliver


class Command(BaseCommand):
    help = "Retry the e-mail of receipts whose delivery failed (up to 5 attempts each)."

    def handle(self, *args, **options):
        failed = Receipt.objects.filter(
            delivery_status=Receipt.Delivery.FAILED, delivery_attempts__lt=MAX_DELIVERY_ATTEMPTS
        )
        sent = sum(
            receipt_deliver(receipt=r, resend=True).delivery_status == Receipt.Delivery.SENT
            for r in failed
        )
        self.stdout.write(f"{sent} receipts sent; {failed.count()} still failing.")
