"""What the accountant reads: the trial balance (from the month balances, a few hundred rows
whatever the number of gifts), the general ledger and the journal of a period, the
statement of activities by fund, and the files QuickBooks Online and Xero import.

Every file has money in major units with a point ("1234.50"), and each is balanced per
currency (refused otherwise, naming what is off).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Sum

from backoffice.exports import csv_writer
from backoffice.money import to_major
from ledger.models import Account, Entry, Line, MonthBalance


def _major(minor: int, currency: str) -> str:
    return f"{to_major(minor, currency)}" if minor else ""


@dataclass
class BalanceRow:
    account: Account
    currency: str
    debit: int
    credit: int

    @property
    def balance(self) -> int:
        return self.debit - self.credit

    @property
    def debit_balance(self) -> int:
        return max(self.balance, 0)

    @property
    def credit_balance(self) -> int:
        return max(-self.balance, 0)


def trial_balance(*, start: dt.date | None, end: dt.date) -> list[BalanceRow]:
    """Each account's debits and credits per currency over the months from `start` (None:
    from the beginning) to the month of `end`, both included."""
    months = MonthBalance.objects.filter(month__lte=end.replace(day=1))
    if start is not None:
        months = months.filter(month__gte=start.replace(day=1))
    sums = (
        months.values("account_id", "currency")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by()
    )
    accounts = Account.objects.in_bulk()
    rows = [
        BalanceRow(accounts[s["account_id"]], s["currency"], s["debit"], s["credit"])
        for s in sums
        if s["debit"] or s["credit"]
    ]
    return sorted(rows, key=lambda r: (r.currency, r.account.code))


def unbalanced_currencies(rows: list[BalanceRow]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row.currency] += row.balance
    return {c: t for c, t in totals.items() if t}


def trial_balance_csv(rows: list[BalanceRow]) -> str:
    if off := unbalanced_currencies(rows):
        raise ValidationError(f"The trial balance does not balance: {off}")
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["Account", "Name", "Type", "Currency", "Debit", "Credit", "Balance"])
    for r in rows:
        writer.writerow([r.account.code, r.account.name, r.account.type, r.currency,
                         _major(r.debit, r.currency), _major(r.credit, r.currency),
                         to_major(r.balance, r.currency)])  # fmt: skip
    return out.getvalue()


def _lines(start: dt.date, end: dt.date):
    return (
        Line.objects.filter(entry__posted_on__range=(start, end))
        .select_related("entry", "account", "fund")
        .order_by("entry__posted_on", "entry_id", "-amount", "id")
    )


def _refuse_unbalanced(start: dt.date, end: dt.date) -> None:
    # The database refuses unbalanced entries; this says so should a restore have broken it.
    off = (
        Line.objects.filter(entry__posted_on__range=(start, end))
        .values("currency").annotate(total=Sum("amount")).exclude(total=0)
    )  # fmt: skip
    if off:
        raise ValidationError(f"The journal does not balance: {list(off)}")
    if end < start:
        raise ValidationError("The period ends before it starts.")


JOURNAL_HEADER = ["Date", "Entry", "Account", "Account name", "Debit", "Credit", "Currency",
                  "Fund", "Memo", "Reference", "Source", "Occurred on", "Note"]  # fmt: skip


def journal_csv(*, start: dt.date, end: dt.date) -> tuple[str, int]:
    """The journal: one row per line, entries in date order."""
    _refuse_unbalanced(start, end)
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(JOURNAL_HEADER)
    count = 0
    for line in _lines(start, end).iterator(chunk_size=5_000):
        e = line.entry
        writer.writerow([e.posted_on.isoformat(), e.pk, line.account.code, line.account.name,
                         _major(line.debit, line.currency), _major(line.credit, line.currency),
                         line.currency, line.fund.code if line.fund else "", e.memo,
                         e.reference, f"{e.source_type} #{e.source_id}",
                         e.occurred_on.isoformat(),
                         e.note])  # fmt: skip
        count += 1
    return out.getvalue(), count


def general_ledger_csv(*, start: dt.date, end: dt.date) -> str:
    """Account by account: the opening balance, each line with its running balance, the
    closing balance; per currency."""
    _refuse_unbalanced(start, end)
    opening = {
        (r.account.pk, r.currency): r.balance
        for r in trial_balance(start=None, end=start - dt.timedelta(days=1))
    }
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["Account", "Account name", "Currency", "Date", "Entry", "Memo", "Debit",
                     "Credit", "Balance"])  # fmt: skip
    lines = sorted(_lines(start, end), key=lambda x: (x.account.code, x.currency,
                                                      x.entry.posted_on, x.entry_id))  # fmt: skip
    by_account: dict[tuple, list] = defaultdict(list)
    for line in lines:
        by_account[(line.account, line.currency)].append(line)
    keys = set(by_account) | {
        (Account.objects.get(pk=pk), c) for (pk, c), b in opening.items() if b
    }  # fmt: skip
    for account, currency in sorted(keys, key=lambda k: (k[0].code, k[1])):
        balance = opening.get((account.pk, currency), 0)
        writer.writerow([account.code, account.name, currency, start.isoformat(), "",
                         "Opening balance", "", "", to_major(balance, currency)])  # fmt: skip
        for line in by_account.get((account, currency), []):
            balance += line.amount
            writer.writerow([account.code, account.name, currency,
                             line.entry.posted_on.isoformat(), line.entry_id, line.entry.memo,
                             _major(line.debit, currency), _major(line.credit, currency),
                             to_major(balance, currency)])  # fmt: skip
        writer.writerow([account.code, account.name, currency, end.isoformat(), "",
                         "Closing balance", "", "", to_major(balance, currency)])  # fmt: skip
    return out.getvalue()


# QuickBooks Online, Settings > Import data > Journal entries. Its documented columns:
# Journal No. (rows sharing one are one entry), Journal Date (MM/DD/YYYY), Account Name
# (as in the QBO chart, account numbers turned off), Debits, Credits (one of the two on a
# row, never negative), Description, Name (customer or supplier; empty here), Currency
# Code (with multicurrency on).
QUICKBOOKS_HEADER = ["Journal No.", "Journal Date", "Account Name", "Debits", "Credits",
                     "Description", "Name", "Currency Code"]  # fmt: skip


def quickbooks_csv(*, start: dt.date, end: dt.date) -> str:
    _refuse_unbalanced(start, end)
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(QUICKBOOKS_HEADER)
    for line in _lines(start, end).iterator(chunk_size=5_000):
        e = line.entry
        writer.writerow([f"BO-{e.pk}", e.posted_on.strftime("%m/%d/%Y"), line.account.name,
                         _major(line.debit, line.currency), _major(line.credit, line.currency),
                         f"{e.memo} {e.reference}".strip()[:4000], "", line.currency])  # fmt: skip
    return out.getvalue()


# Xero, Accounting > Manual journals > Import. Its template's columns (* required):
# *Narration (rows sharing narration and date are one journal), *Date, Description,
# *AccountCode, *TaxRate ("Tax Exempt": donations carry no tax), *Amount (debit positive,
# credit negative), TrackingName1, TrackingOption1 (the fund, as a tracking category).
XERO_HEADER = ["*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount",
               "TrackingName1", "TrackingOption1"]  # fmt: skip


def xero_csv(*, start: dt.date, end: dt.date) -> str:
    """Xero's manual journals are in the organisation's base currency: one currency a file."""
    _refuse_unbalanced(start, end)
    currencies = set(_lines(start, end).values_list("currency", flat=True).distinct())
    if len(currencies) > 1:
        raise ValidationError(
            f"Xero's manual journals take one currency; this period has "
            f"{', '.join(sorted(currencies))}. Export each separately."
        )
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(XERO_HEADER)
    for line in _lines(start, end).iterator(chunk_size=5_000):
        e = line.entry
        writer.writerow(
            [
                f"{e.memo} (entry {e.pk})",
                e.posted_on.isoformat(),
                e.memo,
                line.account.code,
                "Tax Exempt",
                to_major(line.amount, line.currency),
                "Fund" if line.fund else "",
                line.fund.code if line.fund else "",
            ]
        )
    return out.getvalue()


@dataclass
class ActivityRow:
    """One fund's activity in one currency. `released`: how much of its restriction was
    released by spending (restricted funds only)."""

    fund: str
    restricted: bool
    currency: str
    income: int = 0
    expenses: int = 0
    released: int = 0

    @property
    def change(self) -> int:
        return self.income - self.expenses


def statement_of_activities(*, start: dt.date, end: dt.date) -> list[ActivityRow]:
    """Per fund and currency: income, expenses, the change in its net assets and what was
    released from restriction, for the months from `start` to `end`."""
    from donors.models import Fund

    funds = {f.pk: f for f in Fund.objects.all()}
    sums = (
        MonthBalance.objects.filter(month__range=(start.replace(day=1), end.replace(day=1)))
        .values("fund_key", "currency", "account__type", "account__restriction")
        .annotate(debit=Sum("debit"), credit=Sum("credit")).order_by()
    )  # fmt: skip
    rows: dict[tuple, ActivityRow] = {}
    for s in sums:
        fund = funds.get(s["fund_key"])
        kind, restriction = s["account__type"], s["account__restriction"]
        if kind not in ("income", "expense", "net_assets"):
            continue
        key = (fund.code if fund else "(no fund)", s["currency"])
        row = rows.setdefault(key, ActivityRow(key[0], bool(fund and fund.is_restricted),
                                               s["currency"]))  # fmt: skip
        if kind == "income":
            row.income += s["credit"] - s["debit"]
        elif kind == "expense":
            row.expenses += s["debit"] - s["credit"]
        elif restriction == "with":
            row.released += s["debit"] - s["credit"]
    return sorted(rows.values(), key=lambda r: (r.currency, r.restricted, r.fund))


def by_restriction(rows: list[ActivityRow]) -> dict[str, dict[str, int]]:
    """The change in net assets per restriction class and currency: restricted income less
    what was released; unrestricted income plus what was released, less every expense."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"with": 0, "without": 0})
    for r in rows:
        if r.restricted:
            out[r.currency]["with"] += r.income - r.released
            out[r.currency]["without"] += r.released - r.expenses
        else:
            out[r.currency]["without"] += r.income - r.expenses
    return dict(out)


def statement_of_activities_csv(*, start: dt.date, end: dt.date) -> str:
    """Per fund and currency: income, expenses, the change in net assets, what was released
    from restriction; then the change per restriction class."""
    rows = statement_of_activities(start=start, end=end)
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(["Fund", "Restriction", "Currency", "Income", "Expenses",
                     "Change in net assets", "Released from restriction"])  # fmt: skip
    for r in rows:
        writer.writerow([r.fund, "with donor restrictions" if r.restricted else "without",
                         r.currency, to_major(r.income, r.currency),
                         to_major(r.expenses, r.currency), to_major(r.change, r.currency),
                         to_major(r.released, r.currency) if r.restricted else ""])  # fmt: skip
    for currency, classes in sorted(by_restriction(rows).items()):
        for restriction in ("without", "with"):
            writer.writerow([f"Total {restriction} donor restrictions", restriction, currency,
                             "", "", to_major(classes[restriction], currency), ""])  # fmt: skip
    return out.getvalue()


def entries_for(source_type: str, source_id: int):
    """The entries a document posted, with their lines (gift → its entries)."""
    return (
        Entry.objects.filter(source_type=source_type, source_id=source_id)
        .prefetch_related("lines__account", "lines__fund").order_by("id")
    )  # fmt: skip


# The files for the accountant, by name: the ledger page's downloads and
# `manage.py export_journal --format NAME`. Each takes the period's first and last day.
EXPORTS = {
    "journal": lambda start, end: journal_csv(start=start, end=end)[0],
    "general-ledger": lambda start, end: general_ledger_csv(start=start, end=end),
    "trial-balance": lambda start, end: trial_balance_csv(trial_balance(start=None, end=end)),
    "quickbooks": lambda start, end: quickbooks_csv(start=start, end=end),
    "xero": lambda start, end: xero_csv(start=start, end=end),
    "activities": lambda start, end: statement_of_activities_csv(start=start, end=end),
}
