"""Background work for payments: only calls services. Enqueued on commit."""

from django_tasks import task

from payments.services import events_drain


@task()
def drain_stripe_events() -> None:
    events_drain()  # idempotent: processed events are left alone
