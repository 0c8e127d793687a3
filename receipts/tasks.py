"""Background work for receipts: only calls services. Enqueued on commit."""

from django_tasks import task

from receipts.services import (
    SWEEP_EVERY,
    receipts_deliver,
    receipts_sweep,
    receipts_sweep_schedule,
)


@task()
def deliver_receipts(receipt_ids: list[int], resend: bool = False) -> None:
    """Draw (together) and e-mail these receipts; running it twice sends nothing twice."""
    receipts_deliver(receipt_ids=receipt_ids, resend=resend)


@task()
def deliver_receipt(receipt_id: int, resend: bool = False) -> None:
    """One receipt: kept so that tasks queued before deliver_receipts still run."""
    receipts_deliver(receipt_ids=[receipt_id], resend=resend)


@task()
def execute_statement_run(run_id: int) -> None:
    from receipts.models import StatementRun
    from receipts.statements import statement_run_execute

    run = StatementRun.objects.get(pk=run_id)
    if run.status == StatementRun.Status.QUEUED:  # a retried task runs nothing twice
        statement_run_execute(run=run)


@task()
def sweep_receipt_deliveries(stale_minutes: int = int(SWEEP_EVERY.total_seconds() // 60)) -> None:
    """Send what a lost task left undelivered (issued over `stale_minutes` ago), and look
    again later while any remains."""
    _, undelivered = receipts_sweep(stale_minutes=stale_minutes)
    if undelivered:
        receipts_sweep_schedule()


@task()
def deliver_thank_you(thank_you_id: int) -> None:
    """E-mail one thank-you; running it twice sends it once."""
    from receipts.thanks import thank_you_send

    thank_you_send(thank_you_id=thank_you_id)
