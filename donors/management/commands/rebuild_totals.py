from django.core.management.base import BaseCommand

from donors.totals import rebuild_all


class Command(BaseCommand):
    help = "Rebuild the monthly totals behind the staff home from the posted gifts."

    def handle(self, *args, **options):
        rebuild_all()
        self.stdout.write(self.style.SUCCESS("Monthly totals rebuilt."))
