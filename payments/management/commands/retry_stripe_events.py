"""Queue failed (and long-waiting) Stripe events again; run it from cron every few minutes
so that a Stripe or database outage heals without anyone pressing "retry"."""

import datetime as dt

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from payments.models import StripeEvent
from payments.queue import schedule_drain
from payments.services import event_retry


class Command(BaseCommand):
    help = (
        "Queue failed Stripe events, events waiting for a payment, and received events a "
        "stopped worker left behind, for another try."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=5, help="Minutes (default 5).")
        parser.add_argument("--max-attempts", type=int, default=10)

    def handle(self, *args, older_than: int, max_attempts: int, **options):
        cutoff = timezone.now() - dt.timedelta(minutes=older_than)
        stuck = StripeEvent.objects.filter(
            status__in=[StripeEvent.Status.FAILED, StripeEvent.Status.WAITING],
            processed_at__lt=cutoff,
            attempts__lt=max_attempts,
        )
        # Received but never processed: the worker that drained them was stopped midway.
        stranded = StripeEvent.objects.filter(
            status=StripeEvent.Status.RECEIVED, received_at__lt=cutoff
        ).count()
        with transaction.atomic():
            queued = sum(event_retry(event=event, by=None) for event in stuck)
            if stranded:
                schedule_drain(force=True)
        given_up = StripeEvent.objects.filter(
            status=StripeEvent.Status.FAILED, attempts__gte=max_attempts
        ).count()
        self.stdout.write(
            f"{queued} events queued again, {stranded} received ones drained; "
            f"{given_up} failed {max_attempts} times and need a person."
        )
