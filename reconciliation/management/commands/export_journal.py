"""The journal for the accountant as CSV: manage.py export_journal --from 2026-01-01 --to ..."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from reconciliation.journal import journal, journal_csv, unbalanced


class Command(BaseCommand):
    help = "Write the journal (one line per posting, balanced) for a period as CSV."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, type=dt.date.fromisoformat)
        parser.add_argument("--to", dest="end", required=True, type=dt.date.fromisoformat)
        parser.add_argument("--out", help="A file to write (default: standard output).")

    def handle(self, *args, start, end, out=None, **options):
        if end < start:
            raise CommandError("--to is before --from.")
        postings = journal(start=start, end=end)
        if problems := unbalanced(postings):
            raise CommandError("The journal does not balance: " + "; ".join(problems[:10]))
        text = journal_csv(postings)
        if out:
            with open(out, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            self.stderr.write(f"{len(postings)} postings written to {out}.")
        else:
            self.stdout.write(text, ending="")
