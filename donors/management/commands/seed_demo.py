import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from donors.demo import DEMO_TOTP_SECRET, demo_totals, seed_demo


class Command(BaseCommand):
    help = "Load the demo organisation: funds, campaigns, ~2,000 donors, ~10,000 gifts, logins."

    def add_arguments(self, parser):
        parser.add_argument("--donors", type=int, default=2000)
        parser.add_argument("--gifts", type=int, default=10000)
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                            help="Build the history up to this date (YYYY-MM-DD).")  # fmt: skip

    def handle(self, *args, **options):
        today = options["today"] or timezone.localdate()
        bar = tqdm(desc="demo gifts", unit="row", disable=options["verbosity"] == 0)

        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            logins = seed_demo(today=today, donors=options["donors"], gifts=options["gifts"],
                               seed=options["seed"], progress=progress)  # fmt: skip
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        for currency, total in sorted(demo_totals().items()):
            self.stdout.write(f"  posted {currency}: {total}")
        self.stdout.write(f"\nSign in at {settings.SITE_URL.rstrip('/')}/ as:")
        for login in logins:
            self.stdout.write(f"  {login.role:<12} {login.email:<26} {login.how}")
        self.stdout.write(
            f"\nStaff second factor: add the TOTP secret {DEMO_TOTP_SECRET} to an authenticator "
            "app,\nor run `make demo-code` (manage.py demo_code EMAIL) for the current code."
        )
