"""Reads shared by pages: where a gift's money is."""

from __future__ import annotations

from donors.models import Gift
from reconciliation.models import BankLine, PayoutLine


def gift_money_trail(gift: Gift) -> str:
    """Whether a gift is reconciled, and in which payout or deposit: online gifts through
    the Stripe payout line of their charge, offline ones through their deposit batch's bank
    match."""
    line = (
        PayoutLine.objects.filter(payment__gift=gift).select_related("payout__reconciliation")
        .first()
    )  # fmt: skip
    if line is not None:
        check = getattr(line.payout, "reconciliation", None)
        state = "reconciled" if check and check.status == "reconciled" else "not reconciled"
        banked = BankLine.objects.filter(match__payouts=line.payout,
                                         match__undone_at__isnull=True).first()  # fmt: skip
        where = f" · in the bank {banked.booked_on}" if banked else " · not yet seen in the bank"
        return f"Stripe payout {line.payout.payout_id} ({state}){where}"
    if gift.batch_id:
        banked = BankLine.objects.filter(match__batches=gift.batch_id,
                                         match__undone_at__isnull=True).first()  # fmt: skip
        if banked:
            return f"deposit {gift.batch.reference} · in the bank {banked.booked_on} (reconciled)"
        return f"deposit {gift.batch.reference} · not yet matched to the bank"
    banked = BankLine.objects.filter(match__gifts=gift, match__undone_at__isnull=True).first()
    if banked:
        return f"in the bank {banked.booked_on} (reconciled)"
    return ""


def bank_balance_charts(*, months: int = 12) -> list[dict]:
    """For each bank account: its balance at each month's end as the books say it (the
    ledger's bank account, in the account's currency) and as its statements say it (the
    first statement's opening balance and every line since). They meet when every line
    is matched and every movement has its line."""
    import datetime as dt

    from django.db.models import Sum
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from backoffice.charts import Series, compact_money, line_chart_svg
    from backoffice.money import money_label
    from ledger.models import MonthBalance
    from ledger.rules import role
    from reconciliation.models import BankAccount, BankLine, BankStatementImport

    this_month = timezone.localdate().replace(day=1)
    ends = []
    month = this_month
    for _ in range(months):
        ends.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    ends.reverse()
    charts = []
    for account in BankAccount.objects.order_by("name"):
        first = BankStatementImport.objects.filter(account=account).order_by("pk").first()
        if first is None:
            continue
        opening = first.opening_balance or 0
        since = BankLine.objects.filter(statement=first).order_by("booked_on").first()
        since = since.booked_on.replace(day=1) if since else this_month
        # Two grouped queries per account, then running totals month by month.
        moved_in_books = dict(
            MonthBalance.objects.filter(account__code=role("bank"), currency=account.currency)
            .values_list("month").annotate(net=Sum("debit") - Sum("credit")).order_by()
        )  # fmt: skip
        moved_at_bank = dict(
            BankLine.objects.filter(account=account, is_split=False)
            .annotate(month=TruncMonth("booked_on")).values_list("month")
            .annotate(net=Sum("amount")).order_by()
        )  # fmt: skip
        books, statement = [], []
        for start in ends:
            books.append(sum(v for m, v in moved_in_books.items() if m <= start))
            banked = opening + sum(v for m, v in moved_at_bank.items() if m <= start)
            statement.append(None if start < since else banked)
        charts.append({"account": account, "chart": line_chart_svg(
            [f"{m:%b %y}" for m in ends],
            [Series("In the books", "#2f6f8f", books),
             Series("On the statements", "#c0772b", statement, dashed=True)],
            caption=f"{account}: balance at each month's end, books against statements",
            figure=lambda v, c=account.currency: money_label(v, c),
            tick_label=compact_money(account.currency),
        )})  # fmt: skip
    return charts
