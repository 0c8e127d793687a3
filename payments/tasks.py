"""Background work for payments: only calls services. Enqueued on commit."""

from django_tasks import task

from payments.services import event_process


@task()
def process_stripe_event(event_id: int) -> None:
    event_process(event_id=event_id)  # idempotent: a processed event is left alone
