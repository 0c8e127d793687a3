"""Background work for impact reports: only calls services."""

from django_tasks import task


@task()
def deliver_report(version_id: int) -> None:
    """Draw a published report's PDF and e-mail its funder; twice sends nothing twice."""
    from impact.models import ReportVersion
    from impact.services import report_deliver

    report_deliver(version=ReportVersion.objects.get(pk=version_id))


@task()
def draft_quarterly_reports() -> int:
    """Drafts for last quarter's running agreements, for staff to review (never sent)."""
    from impact.services import reports_draft_quarterly

    return len(reports_draft_quarterly())
