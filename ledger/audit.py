"""The auditor's check: re-derive the ledger from the source documents and compare it with
the ledger as posted, document by document and account by account; and compare the month
balances with the lines they sum. An empty list: the books are what the documents say."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum

from ledger.derive import every_posting
from ledger.models import Line, MonthBalance
from ledger.services import month_of


def ledger_differences(limit: int = 100) -> list[str]:
    held: dict[tuple[str, int], dict] = defaultdict(dict)
    rows = (
        Line.objects.values_list("entry__source_type", "entry__source_id", "account__code",
                                 "currency", "fund_id")
        .annotate(total=Sum("amount")).order_by()
    )  # fmt: skip
    for source_type, source_id, code, currency, fund_id, total in rows.iterator(chunk_size=10_000):
        if total:
            held[(source_type, source_id)][(code, currency, fund_id)] = total
    problems: list[str] = []
    for posting in every_posting():
        wanted = posting.net()
        have = held.pop((posting.source_type, posting.source_id), {})
        if wanted != have:
            problems.append(f"{posting.source_type} #{posting.source_id}: the documents say "
                            f"{_show(wanted)}, the ledger holds {_show(have)}")  # fmt: skip
    for (source_type, source_id), have in held.items():
        problems.append(f"{source_type} #{source_id}: the ledger holds {_show(have)} for a "
                        "document that does not exist")  # fmt: skip
    problems += _month_balance_differences()
    return problems[:limit]


def _month_balance_differences() -> list[str]:
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    rows = Line.objects.values_list("account_id", "entry__posted_on", "currency", "fund_id",
                                    "amount")  # fmt: skip
    for account_id, posted_on, currency, fund_id, amount in rows.iterator(chunk_size=10_000):
        sums[(account_id, month_of(posted_on), currency, fund_id or 0)][0 if amount > 0 else 1] += (
            abs(amount)
        )
    kept = {
        (b.account_id, b.month, b.currency, b.fund_key): [b.debit, b.credit]
        for b in MonthBalance.objects.all()
    }
    kept = {k: v for k, v in kept.items() if v != [0, 0]}
    if kept == dict(sums):
        return []
    wrong = sorted(set(kept) ^ set(sums) | {k for k in kept if k in sums and kept[k] != sums[k]})
    return [f"month balance {k}: kept {kept.get(k)}, the lines sum to {sums.get(k)}"
            for k in wrong[:20]]  # fmt: skip


def _show(amounts: dict) -> str:
    if not amounts:
        return "nothing"
    return ", ".join(
        f"{code}{f' fund {fund}' if fund else ''} {amount:+d} {currency}"
        for (code, currency, fund), amount in sorted(amounts.items(), key=str)
    )
