from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_TOTP_SECRET
from accounts.mfa import totp_code_now


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff account (the demo's secret only)."

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", default="finance@example.org")

    def handle(self, *args, **options):
        authenticator = Authenticator.objects.filter(
            user__email=options["email"].lower(), type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            raise CommandError("That account has no authenticator app set up.")
        if decrypt(authenticator.data["secret"]) != DEMO_TOTP_SECRET:
            raise CommandError("Only the demo accounts' codes can be printed.")
        self.stdout.write(totp_code_now(DEMO_TOTP_SECRET))
