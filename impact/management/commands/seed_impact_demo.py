"""Demo impact data, after seed_demo and seed_sponsorships_demo (make demo runs all three)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from impact.demo import seed_impact


class Command(BaseCommand):
    help = "Add demo metrics, three years of observations, quarterly drafts and two reports."

    def handle(self, *args, **options):
        try:
            done = seed_impact(today=timezone.localdate())
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS("Demo impact data loaded."))
        for version in done["published"]:
            self.stdout.write(f"  published    {version.title} (sponsor portal: Impact reports)")
        self.stdout.write(f"  to review    {done['drafts']} quarterly draft(s) on /impact/")
        self.stdout.write(
            "  API token    "
            + done["token"]
            + "\n  try it:      curl -H 'Authorization: Bearer "
            + done["token"]
            + f"' {settings.SITE_URL.rstrip('/')}/api/impact/v1/metrics"
        )
