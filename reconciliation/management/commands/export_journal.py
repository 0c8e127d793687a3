"""The journal for the accountant as CSV, from the ledger as posted:
manage.py export_journal --from 2026-01-01 --to 2026-01-31 [--format quickbooks|xero|...]"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ledger.reports import EXPORTS as FORMATS


class Command(BaseCommand):
    help = "Write the journal (one line per posting, balanced) for a period as CSV."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, type=dt.date.fromisoformat)
        parser.add_argument("--to", dest="end", required=True, type=dt.date.fromisoformat)
        parser.add_argument("--out", help="A file to write (default: standard output).")
        parser.add_argument("--format", default="journal", choices=sorted(FORMATS))

    def handle(self, *args, start, end, out=None, format="journal", **options):
        try:
            text = FORMATS[format](start, end)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if out:
            with open(out, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            self.stderr.write(f"{text.count(chr(10)) - 1} rows written to {out}.")
        else:
            self.stdout.write(text, ending="")
