"""Issue the year-end statements: one per donor for the year's gifts not yet receipted."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import User
from receipts.models import Organisation, StatementRun
from receipts.selectors import statement_run_deliveries, statement_run_notes_summary
from receipts.statements import statement_run_create, statement_run_execute

NOTES_SHOWN = 20


class Command(BaseCommand):
    help = "Issue year-end statements (--dry-run: check only, issue nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int)
        parser.add_argument(
            "--run", type=int, help="Go on with this run (stopped, failed or stalled) instead."
        )
        parser.add_argument("--jurisdiction", choices=["US", "CA"], default=None)
        parser.add_argument("--by", help="E-mail of the staff member running it.")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, year, jurisdiction, by, dry_run, verbosity, **options):
        if options["run"]:
            run = StatementRun.objects.filter(pk=options["run"]).first()
            if run is None or not run.can_restart:
                raise CommandError(f"Run {options['run']} is not stopped, failed or stalled.")
        else:
            run = self._new_run(year=year, jurisdiction=jurisdiction, by=by, dry_run=dry_run)
        with tqdm(desc="Statements", unit="donor", disable=verbosity == 0) as bar:

            def progress(done, total):
                bar.total = total
                bar.update(done - bar.n)

            run = statement_run_execute(run=run, progress=progress)
        verb = "would be issued" if run.dry_run else "issued"
        self.stdout.write(f"{run.issued} statements {verb} for {run.total} donors.")
        if not run.dry_run:
            d = statement_run_deliveries(run=run)
            said = (f"  {d.emailed} e-mailed, {d.waiting} waiting to be e-mailed, {d.failed} "
                    f"failed, {d.by_post} by post, {d.void} void since")  # fmt: skip
            self.stdout.write(said)
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

    def _new_run(self, *, year, jurisdiction, by, dry_run) -> StatementRun:
        if not year:
            raise CommandError("Pass --year (or --run to go on with a run).")
        jurisdiction = jurisdiction or Organisation.current().jurisdiction
        if not jurisdiction:
            raise CommandError("No jurisdiction: pass --jurisdiction or set the organisation's.")
        user = User.objects.filter(email=(by or "").lower()).first() if by else None
        try:
            return statement_run_create(
                year=year, jurisdiction=jurisdiction, by=user, dry_run=dry_run
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
