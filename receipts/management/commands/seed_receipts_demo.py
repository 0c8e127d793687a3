"""Demo receipts (after seed_demo): the organisation's receipt details, receipts for the
demo donor's gifts so that donor@example.org sees them on their page, and a dry run of last
year's statements for finance to look at on /receipts/statements/."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import User
from donors.models import Donor, Gift
from receipts.models import Organisation, ReceiptLine, StatementRun
from receipts.services import receipt_issue
from receipts.statements import statement_run_create, statement_run_execute


class Command(BaseCommand):
    help = "Set the demo organisation's receipt details and receipt the demo donor's gifts."

    def handle(self, *args, **options):
        Organisation.objects.update_or_create(pk=1, defaults={
            "legal_name": "Humans Against Trafficking", "jurisdiction": "US",
            "address": "1 Music Row\nNashville TN 37203", "ein": "00-0000000 (demo)",
            "signatory_name": "Farah Finance", "signatory_title": "Finance director",
            "place_of_issue": "Nashville, Tennessee", "auto_receipt_threshold": 25_000,
        })  # fmt: skip
        donor = Donor.objects.filter(email="donor@example.org").first()
        if donor is None:
            self.stdout.write("No demo donor: run seed_demo first.")
            return
        covered = ReceiptLine.objects.filter(in_force=True).values("gift_id")
        gifts = (
            Gift.objects.filter(donor=donor, status=Gift.Status.POSTED, currency="USD")
            .exclude(pk__in=covered)
            .order_by("-received_on")[:5]
        )
        issued = 0
        for gift in gifts:
            receipt_issue(gifts=[gift], kind="gift", jurisdiction="US", by=None)
            issued += 1
        self.stdout.write(f"{issued} receipts issued for {donor}; the task worker draws them.")
        last_year = timezone.localdate().year - 1
        if not StatementRun.objects.filter(year=last_year).exists():
            finance = User.objects.filter(email="finance@example.org").first()
            run = statement_run_execute(run=statement_run_create(
                year=last_year, jurisdiction="US", by=finance, dry_run=True,
            ))  # fmt: skip
            self.stdout.write(
                f"A dry run of the {last_year} statements: {run.issued} would be issued, "
                f"{run.notes.count()} donors to note; see /receipts/statements/{run.pk}/."
            )
