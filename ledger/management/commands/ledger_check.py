"""The auditor's check: `manage.py ledger_check` re-derives the ledger from the source
documents and prints every difference from the ledger as posted (exit status 1 if any)."""

from django.core.management.base import BaseCommand, CommandError

from ledger.audit import ledger_differences


class Command(BaseCommand):
    help = "Re-derive the ledger from gifts, payments, payouts... and diff it with the books."

    def handle(self, **options):
        problems = ledger_differences()
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(
                f"{len(problems)} difference(s) between the documents and the ledger."
            )
        self.stdout.write(
            self.style.SUCCESS("The ledger is what the documents say: 0 differences.")
        )
