"""The auditor's check: `manage.py ledger_check` re-derives the ledger from the source
documents and prints every difference from the ledger as posted (exit status 1 if any).
`--rebuild-month-balances` first recomputes the month balances from the lines (after a
restore from backup, say); entries and lines are never rewritten."""

from django.core.management.base import BaseCommand, CommandError

from ledger.audit import ledger_differences


class Command(BaseCommand):
    help = "Re-derive the ledger from gifts, payments, payouts... and diff it with the books."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild-month-balances", action="store_true")

    def handle(self, **options):
        if options["rebuild_month_balances"]:
            from ledger.services import rebuild_month_balances

            self.stdout.write(f"{rebuild_month_balances()} month balances rebuilt.")
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
