"""Demo sponsorships, after seed_demo (make demo runs both)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from sponsorships.demo import seed_sponsorships


class Command(BaseCommand):
    help = "Add demo sponsors, agreements, instalments, payments and a sponsor portal login."

    def handle(self, *args, **options):
        login = seed_sponsorships(today=timezone.localdate())
        self.stdout.write(self.style.SUCCESS("Demo sponsorships loaded."))
        self.stdout.write(f"  sponsor      {login:<26} “Sign in with a code”: the code is in "
                          "the server log")  # fmt: skip
