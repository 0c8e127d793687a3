"""Demo receipts (after seed_demo): the organisation's receipt details, and receipts for the
demo donor's gifts so that donor@example.org sees them on their page."""

from django.core.management.base import BaseCommand

from donors.models import Donor, Gift
from receipts.models import Organisation, ReceiptLine
from receipts.services import receipt_issue


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
