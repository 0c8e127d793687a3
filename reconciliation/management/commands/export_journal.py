"""The journal for the accountant as CSV: manage.py export_journal --from 2026-01-01 --to ..."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reconciliation.journal import journal_export


class Command(BaseCommand):
    help = "Write the journal (one line per posting, balanced) for a period as CSV."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, type=dt.date.fromisoformat)
        parser.add_argument("--to", dest="end", required=True, type=dt.date.fromisoformat)
        parser.add_argument("--out", help="A file to write (default: standard output).")

    def handle(self, *args, start, end, out=None, **options):
        try:
            text, count = journal_export(start=start, end=end)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if out:
            with open(out, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            self.stderr.write(f"{count} postings written to {out}.")
        else:
            self.stdout.write(text, ending="")
