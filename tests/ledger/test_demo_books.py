"""`make demo` shows last month closed with its checklist done, this month open, a trial
balance that balances, a rebuild with no difference, and the bank as the statement says."""

import datetime as dt

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from donors.demo import seed_demo
from ledger.audit import ledger_differences
from ledger.models import Line
from ledger.reports import trial_balance, unbalanced_currencies
from reconciliation.demo import seed_books_demo
from reconciliation.models import BankLine, Period
from sponsorships.demo import seed_sponsorships

pytestmark = pytest.mark.django_db


def test_the_demo_closes_last_month_with_the_bank_matched(finance_client):
    today = timezone.localdate()
    seed_demo(today=today, donors=60, gifts=400)
    seed_sponsorships(today=today)
    done = seed_books_demo(today=today)
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    assert done["month"] == last_month and done["unmatched"] == 0
    assert all(ok for label, ok in done["checklist"] if "receipt" not in label)
    assert Period.objects.get(month=last_month).closed
    assert not Period.objects.filter(month=today.replace(day=1), closed=True).exists()
    assert ledger_differences() == []
    assert not unbalanced_currencies(trial_balance(start=None, end=today))
    statement = BankLine.objects.filter(is_split=False).aggregate(t=Sum("amount"))["t"]
    bank_in_books = (
        Line.objects.filter(account__code="1000", entry__posted_on__gte=last_month,
                            entry__posted_on__lt=today.replace(day=1), currency="USD")
        .aggregate(t=Sum("amount"))["t"]
    )  # fmt: skip
    assert statement == bank_in_books  # November's USD bank moves are the statement's
    page = finance_client.get(reverse("period_page", args=[last_month.year, last_month.month]))
    assert f"{last_month:%B %Y}: closed" in page.content.decode()
