"""`manage.py seed_books_demo`: last month's bank statement imported, matched and closed
(run after seed_demo)."""

from django.core.management.base import BaseCommand, CommandError

from reconciliation.demo import seed_books_demo


class Command(BaseCommand):
    help = "Import, match and close last month's bank statement for the demo."

    def handle(self, *args, **options):
        try:
            done = seed_books_demo()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"{done['month']:%B %Y}: {done['lines']} bank lines, {done['matches']} matched "
            f"automatically, closed. See /reconciliation/close/ and /ledger/."
        ))  # fmt: skip
