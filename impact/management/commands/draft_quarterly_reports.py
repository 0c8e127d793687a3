"""Run daily (cron): drafts last quarter's report for every sponsor with a running agreement,
once per quarter. Nothing is sent; staff review and publish on the Impact page."""

from django.core.management.base import BaseCommand

from impact.services import reports_draft_quarterly


class Command(BaseCommand):
    help = "Draft last quarter's impact report for each sponsor with a running agreement."

    def handle(self, *args, **options):
        drafted = reports_draft_quarterly()
        for report in drafted:
            self.stdout.write(f"  drafted: {report.title}")
        self.stdout.write(self.style.SUCCESS(f"{len(drafted)} draft(s); none is sent until "
                                             "someone publishes it."))  # fmt: skip
