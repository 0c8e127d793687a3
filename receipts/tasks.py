"""Background work for receipts: only calls services. Enqueued on commit."""

from django_tasks import task

from receipts.models import Receipt
from receipts.services import receipt_deliver


@task()
def deliver_receipt(receipt_id: int, resend: bool = False) -> None:
    receipt_deliver(receipt=Receipt.objects.get(pk=receipt_id), resend=resend)
