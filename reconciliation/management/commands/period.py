"""`manage.py period close 2026-11 --as finance@example.org`, or
`manage.py period reopen 2026-11 --as ... --reason "..."`, or `period check 2026-11`."""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from reconciliation.periods import period_checklist, period_close, period_reopen


class Command(BaseCommand):
    help = "Show a month's close checklist, close it, or reopen it with a reason."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check", "close", "reopen"])
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--as", dest="email", help="The finance user doing it.")
        parser.add_argument("--reason", default="")

    def handle(self, action, month, email, reason, **options):
        try:
            first = dt.date.fromisoformat(f"{month}-01")
        except ValueError as exc:
            raise CommandError(f"month: {month!r} is not YYYY-MM.") from exc
        for item in period_checklist(month=first):
            mark = "ok " if item.done else ("NO " if item.blocks else " - ")
            self.stdout.write(f"{mark} {item.label}{': ' + item.detail if item.detail else ''}")
        if action == "check":
            return
        user = User.objects.filter(email__iexact=email or "").first()
        if user is None:
            raise CommandError("--as: give the e-mail address of the finance user doing it.")
        try:
            if action == "close":
                period_close(month=first, by=user)
            else:
                period_reopen(month=first, by=user, reason=reason)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(self.style.SUCCESS(f"{first:%B %Y} is {action}d."))
