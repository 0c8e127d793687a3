"""Posting to the books, in the transaction of the service that moves the money.

Each `post_*` function reads its document, asks the rules (ledger.rules) what it should
hold in the ledger, and posts the difference from what the ledger holds for it: nothing
when it is already right (a webhook delivered twice), a reversing entry when a gift is
voided, the rest when a sponsor's credit is applied. The CSV import posts its new gifts
in bulk with `post_new`.

An entry is dated with its document's date when first posted, and with the day of the
change afterwards. Money whose date falls in a closed month (a late Stripe refund) goes
into the first open month, keeps its own date (`occurred_on`) and says so in its note.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from backoffice.bulk import db_date, db_datetime, insert_rows, reserve_ids
from ledger import rules
from ledger.models import Account, Entry, Line, MonthBalance
from ledger.rules import Key, Posting

ENTRY_COLUMNS = ("id", "posted_on", "occurred_on", "source_type", "source_id", "memo",
                 "reference", "note", "by", "created_at")  # fmt: skip
LINE_COLUMNS = ("entry", "account", "currency", "amount", "fund")


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def closed_months() -> set[dt.date]:
    from reconciliation.models import Period

    return set(Period.objects.filter(closed=True).values_list("month", flat=True))


def is_closed(day: dt.date) -> bool:
    from reconciliation.models import Period

    return Period.objects.filter(month=month_of(day), closed=True).exists()


def refuse_closed(day: dt.date, *, field: str, what: str) -> None:
    """A document dated in a closed month is refused, naming its date field (the database
    refuses it too; this says so in words)."""
    from django.core.exceptions import ValidationError

    if is_closed(day):
        raise ValidationError(
            {
                field: f"{what} dated {day.isoformat()} falls in {day:%B %Y}, "
                "which is closed. Finance can reopen it, with a reason."
            }
        )


def first_open_day(day: dt.date, closed: set[dt.date]) -> dt.date:
    """`day` if its month is open, else the first day of the next open month."""
    month = month_of(day)
    if month not in closed:
        return day
    while month in closed:
        month = next_month(month)
    return month


class _Accounts:
    """Account codes to ids; a fund's income account that is not in the chart yet is added
    (named after the fund, with its restriction)."""

    def __init__(self):
        self.ids = dict(Account.objects.values_list("code", "id"))

    def id(self, code: str, fund_id: int | None) -> int:
        if code not in self.ids:
            from donors.models import Fund

            fund = Fund.objects.filter(pk=fund_id).first() if fund_id else None
            account, _ = Account.objects.get_or_create(code=code, defaults={
                "name": f"Income: {fund.name}" if fund else f"Account {code}",
                "type": Account.Type.INCOME,
                "restriction": (Account.Restriction.WITH if fund and fund.is_restricted
                                else Account.Restriction.WITHOUT),
            })  # fmt: skip
            self.ids[code] = account.pk
        return self.ids[code]


def _stored(sources: Iterable[tuple[str, int]]) -> dict[tuple[str, int], dict[Key, int]]:
    """What the ledger holds now for each (source type, source id), netted per key."""
    wanted = defaultdict(set)
    for source_type, source_id in sources:
        wanted[source_type].add(source_id)
    held: dict[tuple[str, int], dict[Key, int]] = defaultdict(dict)
    for source_type, ids in wanted.items():
        rows = (
            Line.objects.filter(entry__source_type=source_type, entry__source_id__in=ids)
            .values_list("entry__source_id", "account__code", "currency", "fund_id")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        for source_id, code, currency, fund_id, total in rows:
            if total:
                held[(source_type, source_id)][(code, currency, fund_id)] = total
    return held


def _difference(wanted: dict[Key, int], held: dict[Key, int]) -> dict[Key, int]:
    keys = set(wanted) | set(held)
    return {k: wanted.get(k, 0) - held.get(k, 0) for k in keys
            if wanted.get(k, 0) != held.get(k, 0)}  # fmt: skip


def post(postings: Sequence[Posting], *, by=None) -> list[int]:
    """Bring the ledger in line with `postings` (see the module's docstring). Returns the
    ids of the entries posted. Runs in the caller's transaction."""
    held = _stored((p.source_type, p.source_id) for p in postings)
    today = timezone.localdate()
    planned = []
    for posting in postings:
        before = held.get((posting.source_type, posting.source_id), {})
        difference = _difference(posting.net(), before)
        if not difference:
            continue
        first = not before
        on = posting.on if first else max(today, posting.on)
        memo = posting.memo if first else f"Correction: {posting.memo}"
        planned.append((posting.source_type, posting.source_id, posting.on, on, memo,
                        posting.reference, difference.items()))  # fmt: skip
    return _insert(planned, by=by)


def post_new(postings: Sequence[Posting], *, by=None) -> list[int]:
    """Post documents the ledger has never seen, without asking what it holds for them."""
    planned = []
    for p in postings:
        if amounts := p.net():
            planned.append((p.source_type, p.source_id, p.on, p.on, p.memo, p.reference,
                            amounts.items()))  # fmt: skip
    return _insert(planned, by=by)


def _insert(planned, *, by) -> list[int]:
    """planned: (source type, source id, its date, the date to post on, memo, reference,
    amounts as
    ((account code, currency, fund id), amount) pairs). Lines first, then their entries."""
    if not planned:
        return []
    accounts = _Accounts()
    closed = closed_months()
    stamp = db_datetime(timezone.now())
    by_id = by.pk if by is not None and by.pk else None
    entry_ids = reserve_ids(Entry, len(planned))
    entries, lines = [], []
    rollup: dict[tuple[int, dt.date, str, int], list[int]] = defaultdict(lambda: [0, 0])
    days: dict[dt.date, tuple] = {}  # a file has few dates: each worked out once
    db_dates: dict[dt.date, object] = {}
    account_ids = accounts.ids
    for entry_id, (source_type, source_id, occurred, on, memo, reference, amounts) in zip(
        entry_ids, planned, strict=True
    ):
        if on not in days:
            posted_on = first_open_day(on, closed)
            note = "" if posted_on == on else (
                f"dated {on.isoformat()}; {on:%B %Y} was closed, so it is posted in "
                f"{posted_on:%B %Y}")  # fmt: skip
            days[on] = (db_date(posted_on), month_of(posted_on), note)
        if occurred not in db_dates:
            db_dates[occurred] = db_date(occurred)
        posted, month, note = days[on]
        entries.append((entry_id, posted, db_dates[occurred], source_type, source_id,
                        memo[:300], (reference or "")[:200], note, by_id, stamp))  # fmt: skip
        for (code, currency, fund_id), amount in amounts:
            account_id = account_ids.get(code) or accounts.id(code, fund_id)
            lines.append((entry_id, account_id, currency, amount, fund_id))
            sums = rollup[(account_id, month, currency, fund_id or 0)]
            if amount > 0:
                sums[0] += amount
            else:
                sums[1] -= amount
    # In a transaction (the caller's, or one of its own): the lines refer to an entry that
    # does not exist until the next statement, which the foreign key allows until commit.
    with transaction.atomic(savepoint=False):
        insert_rows(Line, LINE_COLUMNS, lines)
        insert_rows(Entry, ENTRY_COLUMNS, entries)  # last: the database checks its lines now
        _add_to_month_balances(rollup)
    return entry_ids


def check_posted(entry_ids: Sequence[int]) -> None:
    """What the row triggers refuse, checked for a whole bulk posting at once (see
    backoffice.bulk.row_triggers_set_aside): each entry has two or more lines summing to
    zero per currency, and none is in a closed month. Raises IntegrityError."""
    if not entry_ids:
        return
    low, high = min(entry_ids), max(entry_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT entry_id FROM ledger_line WHERE entry_id BETWEEN %s AND %s "
            "GROUP BY entry_id, currency HAVING SUM(amount) <> 0 LIMIT 1",
            [low, high],
        )
        wrong = cursor.fetchone()
        if wrong is None:
            cursor.execute(
                "SELECT e.id FROM ledger_entry e WHERE e.id BETWEEN %s AND %s AND "
                "(SELECT COUNT(*) FROM ledger_line l WHERE l.entry_id = e.id) < 2 LIMIT 1",
                [low, high])  # fmt: skip
            wrong = cursor.fetchone()
        if wrong is not None:
            raise IntegrityError(f"ledger: entry {wrong[0]} needs two or more lines that sum "
                                 "to zero in each currency")  # fmt: skip
        closed = [m.isoformat() for m in closed_months()]
        if closed:
            marks = ", ".join(["%s"] * len(closed))
            cursor.execute(
                f"SELECT id FROM ledger_entry WHERE id BETWEEN %s AND %s AND "  # noqa: S608
                f"posted_on >= %s AND substr(posted_on, 1, 7) IN ({marks}) LIMIT 1",
                [low, high, min(closed), *[c[:7] for c in closed]])  # fmt: skip
            if row := cursor.fetchone():
                raise IntegrityError(f"closed period: entry {row[0]} is in a closed month")


def _add_to_month_balances(rollup: dict) -> None:
    table = MonthBalance._meta.db_table
    sql = (
        f"INSERT INTO {table} (account_id, month, currency, fund_key, debit, credit) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (account_id, month, currency, fund_key) DO UPDATE SET "
        f"debit = {table}.debit + excluded.debit, credit = {table}.credit + excluded.credit"
    )
    rows = [(a, db_date(m), c, f, d, cr) for (a, m, c, f), (d, cr) in sorted(rollup.items())]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# --- one document each: called by the services that move money -------------------------


def post_gift(gift, *, by=None) -> list[int]:
    from ledger.derive import gift_postings

    return post(gift_postings([gift]), by=by)


def post_payment(payment, *, by=None, new: bool = False) -> list[int]:
    """`new`: just recorded, so the ledger holds nothing for it yet."""
    return (post_new if new else post)([rules.payment_posting(payment)], by=by)


def post_refund(refund, *, by=None) -> list[int]:
    from ledger.derive import refund_postings

    return post(refund_postings([refund]), by=by)


def post_dispute(dispute, *, by=None) -> list[int]:
    from ledger.derive import dispute_postings

    return post(dispute_postings([dispute]), by=by)


def post_payout(payout, *, by=None) -> list[int]:
    return post([rules.payout_posting(payout)], by=by)


def post_deposit(batch, *, by=None) -> list[int]:
    from ledger.derive import deposit_postings

    return post(deposit_postings([batch]), by=by)


def post_sponsor_payment(payment, *, by=None) -> list[int]:
    from ledger.derive import sponsor_payment_postings

    return post(sponsor_payment_postings([payment]), by=by)


def post_disbursement(disbursement, *, by=None) -> list[int]:
    from ledger.derive import disbursement_postings

    return post(disbursement_postings([disbursement]), by=by)


def post_bank_match(match, *, by=None) -> list[int]:
    from ledger.derive import bank_match_postings

    return post(bank_match_postings([match]), by=by)


@transaction.atomic
def rebuild_month_balances() -> int:
    """Recompute every month balance from the lines (after a restore, say)."""
    MonthBalance.objects.all().delete()
    rollup: dict = defaultdict(lambda: [0, 0])
    rows = Line.objects.values_list("account_id", "entry__posted_on", "currency", "fund_id",
                                    "amount")  # fmt: skip
    for account_id, posted_on, currency, fund_id, amount in rows.iterator(chunk_size=10_000):
        sums = rollup[(account_id, month_of(posted_on), currency, fund_id or 0)]
        sums[0 if amount > 0 else 1] += abs(amount)
    _add_to_month_balances(rollup)
    return len(rollup)
