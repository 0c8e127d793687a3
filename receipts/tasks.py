"""Background work for receipts: only calls services. Enqueued on commit."""

from django_tasks import task

from receipts.models import Receipt
from receipts.services import receipt_deliver


@task()
def deliver_receipt(receipt_id: int, resend: bool = False) -> None:
    receipt_deliver(receipt=Receipt.objects.get(pk=receipt_id), resend=resend)


@task()
def execute_statement_run(run_id: int) -> None:
    from receipts.models import StatementRun
    from receipts.statements import statement_run_execute

    run = StatementRun.objects.get(pk=run_id)
    if run.status == StatementRun.Status.QUEUED:  # a retried task runs nothing twice
        statement_run_execute(run=run)
