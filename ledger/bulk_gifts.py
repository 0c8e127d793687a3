"""The gift import's postings in set-based SQL: `rules.gift_posting` for a range of new
offline gifts, written by the database from the gifts and splits just inserted, in five
statements whatever the number of gifts (binding 300,000 rows from Python cost a third of
an import). `manage.py ledger_check` re-derives the same entries through the rules, and
the import's tests compare them.

Each gift's entry gets the id `gift id + offset`: both ranges are contiguous (ids reserved
in the import's transaction), which the caller checks, falling back to the rules a gift at a time.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from backoffice.bulk import db_datetime
from ledger import rules
from ledger.models import Entry, Line, MonthBalance
from ledger.services import _Accounts


def _case(column: str, mapping: dict, default) -> tuple[str, list]:
    """CASE column WHEN k THEN v ... ELSE default END, with parameters."""
    sql, params = ["CASE", column], []
    for key, value in mapping.items():
        sql.append("WHEN %s THEN %s")
        params += [key, value]
    sql.append("ELSE %s END")
    params.append(default)
    return " ".join(sql), params


def post_gift_range(*, low: int, high: int, entry_offset: int, by=None) -> None:
    """Entries for the posted gifts with ids low..high (new: no entry yet), dated their own
    day (the import refuses closed months), with their month balances."""
    from donors.models import Fund, Gift, GiftAllocation

    accounts = _Accounts()
    lands = {m: accounts.id(rules.role(rules.GIFT_LANDS_IN.get(m, "bank")), None)
             for m in Gift.Method.values}  # fmt: skip
    income = {f.pk: accounts.id(f.gl_account, f.pk) for f in Fund.objects.all()}
    gift, split = Gift._meta.db_table, GiftAllocation._meta.db_table
    line, entry, month_balance = (Line._meta.db_table, Entry._meta.db_table,
                                  MonthBalance._meta.db_table)  # fmt: skip
    where, account_of_method = f"g.id BETWEEN {int(low)} AND {int(high)}", None
    account_of_method, method_params = _case("g.method", lands, lands["other"])
    account_of_fund, fund_params = _case("a.fund_id", income, None)
    month = ("date(e.posted_on, 'start of month')" if connection.vendor == "sqlite"
             else "date_trunc('month', e.posted_on)::date")  # fmt: skip
    offset = int(entry_offset)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {line} (entry_id, account_id, currency, amount, fund_id) "  # noqa: S608
            f"SELECT g.id + {offset}, {account_of_method}, g.currency, g.amount, NULL "
            f"FROM {gift} g WHERE {where}",
            method_params,
        )
        cursor.execute(
            f"INSERT INTO {line} (entry_id, account_id, currency, amount, fund_id) "  # noqa: S608
            f"SELECT a.gift_id + {offset}, {account_of_fund}, g.currency, -a.amount, a.fund_id "
            f"FROM {split} a JOIN {gift} g ON g.id = a.gift_id WHERE {where}",
            fund_params,
        )
        concat = "'Gift #' || g.id"
        cursor.execute(
            f"INSERT INTO {entry} (id, posted_on, occurred_on, source_type, source_id, memo, "  # noqa: S608
            f"reference, note, by_id, created_at) SELECT g.id + {offset}, g.received_on, "
            f"g.received_on, 'gift', g.id, {concat}, g.external_reference, '', %s, %s "
            f"FROM {gift} g WHERE {where}",
            [by.pk if by is not None else None, db_datetime(timezone.now())],
        )
        cursor.execute(
            f"INSERT INTO {month_balance} (account_id, month, currency, fund_key, debit, "  # noqa: S608
            f"credit) SELECT l.account_id, {month}, l.currency, COALESCE(l.fund_id, 0), "
            "SUM(CASE WHEN l.amount > 0 THEN l.amount ELSE 0 END), "
            "SUM(CASE WHEN l.amount < 0 THEN -l.amount ELSE 0 END) "
            f"FROM {line} l JOIN {entry} e ON e.id = l.entry_id "
            f"WHERE l.entry_id BETWEEN {int(low) + offset} AND {int(high) + offset} "
            "GROUP BY 1, 2, 3, 4 "
            f"ON CONFLICT (account_id, month, currency, fund_key) DO UPDATE SET "
            f"debit = {month_balance}.debit + excluded.debit, "
            f"credit = {month_balance}.credit + excluded.credit",
        )
