"""Background work for reconciliation: only calls services. A scheduler (cron, or the
worker host's timer) runs `manage.py sync_payouts` or enqueues this task daily."""

from django_tasks import task


@task()
def sync_payouts(since: str | None = None) -> dict:
    import datetime as dt

    from reconciliation.services import payouts_sync

    report = payouts_sync(since=dt.date.fromisoformat(since) if since else None)
    return {"payouts": report.payouts, "lines_added": report.lines_added}
