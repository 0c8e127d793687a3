"""The queue of received Stripe events. The RECEIVED rows are the work; one task drains
them, oldest first. Each delivery makes sure a drain is queued after its commit, but queues
a task only when none is pending, so a burst of deliveries costs one task, not one each.

Why nothing is stranded: a delivery locks the EventQueue row for the rest of its
transaction. A drain clears `drain_pending` (waiting for that lock) before each read of
the received events, so it either sees the delivery's event, or the delivery saw
`drain_pending` cleared and queued a new drain. A queued drain that never ran (its task
lost with a queue) leaves the flag set: after STALE the next delivery queues another.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from payments.models import EventQueue

STALE = dt.timedelta(minutes=5)


def schedule_drain(*, force: bool = False) -> None:
    """Within the caller's transaction: see that a drain runs after it commits."""
    from payments.tasks import drain_stripe_events

    locked = EventQueue.objects.select_for_update().filter(pk=1)
    state = next(iter(locked.values_list("drain_pending", "drain_queued_at")), None)
    if state is None:  # the row is made by a migration; a flushed test database lacks it
        EventQueue.objects.get_or_create(pk=1)
        state = (False, None)
    pending, queued_at = state
    now = timezone.now()
    if force or not pending or queued_at is None or now - queued_at > STALE:
        EventQueue.objects.filter(pk=1).update(drain_pending=True, drain_queued_at=now)
        transaction.on_commit(drain_stripe_events.enqueue)


def drain_started() -> None:
    """Clear the flag before reading the received events (its own transaction)."""
    with transaction.atomic():
        EventQueue.objects.select_for_update().get_or_create(pk=1)
        EventQueue.objects.filter(pk=1).update(drain_pending=False)
