"""E-mail reminders for overdue instalments (from cron, daily): each at most once a week."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from sponsorships.notices import instalment_send_reminder
from sponsorships.selectors import overdue_instalments


class Command(BaseCommand):
    help = "Remind sponsors of overdue instalments (not again within a week)."

    def handle(self, *args, **options):
        sent, problems = 0, []
        for instalment in overdue_instalments():
            try:
                sent += instalment_send_reminder(instalment=instalment, by=None)
            except ValidationError as exc:
                problems.append(f"{instalment}: {'; '.join(exc.messages)}")
        self.stdout.write(f"{sent} reminders sent.")
        for problem in problems:
            self.stderr.write(problem)
