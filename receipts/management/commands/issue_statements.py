"""Issue the year-end statements: one per donor for the year's gifts not yet receipted."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import User
from receipts.models import Organisation
from receipts.selectors import statement_run_notes_summary
from receipts.statements import statement_run_create, statement_run_execute

NOTES_SHOWN = 20


class Command(BaseCommand):
    help = "Issue year-end statements (--dry-run: check only, issue nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--jurisdiction", choices=["US", "CA"], default=None)
        parser.add_argument("--by", help="E-mail of the staff member running it.")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, year, jurisdiction, by, dry_run, verbosity, **options):
        jurisdiction = jurisdiction or Organisation.current().jurisdiction
        if not jurisdiction:
            raise CommandError("No jurisdiction: pass --jurisdiction or set the organisation's.")
        user = User.objects.filter(email=(by or "").lower()).first() if by else None
        try:
            run = statement_run_create(
                year=year, jurisdiction=jurisdiction, by=user, dry_run=dry_run
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        with tqdm(desc="Statements", unit="donor", disable=verbosity == 0) as bar:

            def progress(done, total):
                bar.total = total
                bar.update(done - bar.n)

            run = statement_run_execute(run=run, progress=progress)
        verb = "would be issued" if dry_run else "issued"
        self.stdout.write(f"{run.issued} statements {verb} for {run.total} donors.")
        for reason, count in statement_run_notes_summary(run=run):
            self.stdout.write(f"  {count} × {reason.label}")
        notes = run.notes.all()
        shown = notes if verbosity >= 2 else notes[:NOTES_SHOWN]
        for note in shown:
            detail = f" ({note.detail})" if note.detail else ""
            self.stdout.write(
                f"  donor #{note.donor_id} {note.donor_name}: {note.get_reason_display()}{detail}"
            )
        if verbosity < 2 and (more := notes.count() - NOTES_SHOWN) > 0:
            self.stdout.write(f"  … and {more} more: --verbosity 2 lists them all.")
