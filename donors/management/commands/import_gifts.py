from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import ngettext
from tqdm import tqdm

from accounts.models import User
from donors.importing import gift_import_check, gift_import_commit, gift_import_create


class Command(BaseCommand):
    help = (
        "Import gifts from a CSV file: checks every row, then imports all rows or none. "
        "With --dry-run, only reports what would happen."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--by", required=True, help="E-mail of the staff member importing.")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write no gift.")

    def handle(self, *args, file: Path, by: str, dry_run: bool, verbosity: int, **options):
        try:
            user = User.objects.get(email=by.lower(), is_staff=True)
        except User.DoesNotExist:
            raise CommandError(f"No staff user with e-mail {by!r}.") from None
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        run = gift_import_create(data=data, name=file.name, by=user)
        # Committing checks every row first and writes nothing unless all are good, so the
        # command needs no separate dry-run pass.
        step = gift_import_check if dry_run else gift_import_commit
        with tqdm(desc="checking" if dry_run else "importing", unit="row",
                  disable=verbosity == 0) as bar:  # fmt: skip
            report = step(run=run, progress=_updater(bar))
        for error in report.errors:
            self.stderr.write(str(error))
        if report.error_count > len(report.errors):
            self.stderr.write(f"... {report.error_count} errors in all")
        summary = report.as_dict()
        self.stdout.write(
            "{rows} rows · {gifts} gifts · {new_donors} new donors · "
            "{matched_by_email} matched by e-mail · {matched_by_name_postcode} by name and "
            "postcode · {possible_duplicates} possible duplicates".format(**summary)
        )
        if not report.ok:
            bad = len(report.error_lines)
            rows = ngettext("%(n)d row has", "%(n)d rows have", bad) % {"n": bad}
            raise CommandError(
                f"{rows} problems ({report.error_count} in all): nothing was imported."
            )
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was imported."))
        else:
            self.stdout.write(
                self.style.SUCCESS(f"Imported {report.gifts} gifts (import #{run.pk}).")
            )


def _updater(bar):
    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return update
