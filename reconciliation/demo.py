"""The demo's books: the bank account's statement for last month, as the bank would send
it (each transfer gift a line, each day's card gifts settled in one line, the bank's
monthly fee), imported, matched and explained as finance would, then last month closed.
This month stays open."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from donors.models import Gift
from ledger.models import Account, Line
from ledger.rules import role
from reconciliation.bank import (
    bank_auto_match,
    bank_matches_accept,
    bank_statement_import,
    proposed_matches,
)
from reconciliation.models import BankAccount, BankLine, BankRule, BankStatementImport, Period
from reconciliation.periods import period_checklist, period_close

ACCOUNT_NUMBER = "000441729035"  # a US account: no IBAN
FEE = 1_500  # the bank's monthly fee, in cents


def _statement(month: dt.date, end: dt.date) -> bytes:
    gifts = Gift.objects.filter(
        received_on__gte=month, received_on__lt=end, currency="USD", status=Gift.Status.POSTED,
        batch__isnull=True, payment__isnull=True, method__in=["bank_transfer", "card"],
    ).select_related("donor")  # fmt: skip
    out = io.StringIO()
    out.write(f"Harbor Trust Bank,Account {ACCOUNT_NUMBER}\n")
    out.write(f"Statement,{month:%B %Y}\n\n")
    out.write("Date,Description,Debit,Credit\n")
    card_days = defaultdict(int)
    for gift in gifts.order_by("received_on", "pk"):
        if gift.method == "card":
            card_days[gift.received_on] += gift.amount
        else:
            out.write(f'{gift.received_on},"WIRE IN {gift.donor}",,{gift.amount / 100:.2f}\n')
    for day, total in sorted(card_days.items()):
        out.write(f"{day},CARD TERMINAL SETTLEMENT,,{total / 100:.2f}\n")
    last_day = end - dt.timedelta(days=1)
    out.write(f"{last_day},MONTHLY ACCOUNT FEE,{FEE / 100:.2f},\n")
    return out.getvalue().encode()


def seed_books_demo(*, today: dt.date | None = None) -> dict:
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    month = (this_month - dt.timedelta(days=1)).replace(day=1)
    finance = User.objects.get(email="finance@example.org")
    account, _ = BankAccount.objects.update_or_create(
        name="Harbor Trust checking", defaults={
            "currency": "USD", "account_number": ACCOUNT_NUMBER, "match_tolerance": 100,
            "csv_mapping": {"date": "Date", "debit": "Debit", "credit": "Credit",
                            "description": "Description"},
        },
    )  # fmt: skip
    report = bank_statement_import(account=account, data=_statement(month, this_month),
                                   name=f"harbor-{month:%Y-%m}.csv", by=finance)  # fmt: skip
    if report.errors:
        raise ValueError("; ".join(report.errors[:5]))
    # The bank's opening balance for the month (its CSV leaves it out; its PDF says it):
    # what the books held at the bank, since every earlier month was banked as booked.
    earlier = Line.objects.filter(account__code=role("bank"), currency="USD",
                                  entry__posted_on__lt=month)  # fmt: skip
    opening = earlier.aggregate(t=Sum("amount"))["t"]
    BankStatementImport.objects.filter(account=account).update(opening_balance=opening or 0)
    BankRule.objects.get_or_create(
        account=account, text_contains="MONTHLY ACCOUNT FEE", kind=BankRule.Kind.EXPLAIN,
        defaults={"explain_to": Account.objects.get(code="6150"),
                  "reason": "Harbor Trust's monthly account fee"},
    )  # fmt: skip
    BankRule.objects.get_or_create(account=account, text_contains="CARD TERMINAL",
                                   kind=BankRule.Kind.GIFTS)  # fmt: skip
    matched = bank_auto_match(account=account)
    # Finance looks the proposals over and accepts them all.
    bank_matches_accept(matches=list(proposed_matches()), by=finance)
    open_lines = BankLine.objects.filter(account=account, match__isnull=True, is_split=False)
    if not Period.objects.filter(month=month, closed=True).exists():
        period_close(month=month, by=finance)
    return {"month": month, "lines": report.added, "matches": matched,
            "unmatched": open_lines.count(),
            "checklist": [(i.label, i.done) for i in period_checklist(month=month)]}  # fmt: skip
