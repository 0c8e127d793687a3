"""The books: every service that moves money posts balanced entries in its own
transaction; the database refuses what would break them; the rebuild agrees."""

import datetime as dt
import io

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Sum

from donors.models import Gift
from donors.services import gift_void
from ledger.audit import ledger_differences
from ledger.models import Account, Entry, Line, MonthBalance
from ledger.rules import Posting
from ledger.services import post_new
from reconciliation.models import Period
from sponsorships.services import disbursement_record, payment_apply, payment_record
from tests.factories import DonorFactory, FundFactory, agreement, posted_gift

pytestmark = pytest.mark.django_db

APRIL = dt.date(2026, 4, 10)


def held(source_type, source_id) -> dict[str, int]:
    """The ledger's net per account code for one document."""
    rows = (
        Line.objects.filter(entry__source_type=source_type, entry__source_id=source_id)
        .values_list("account__code").annotate(total=Sum("amount")).order_by()
    )  # fmt: skip
    return {code: total for code, total in rows if total}


def test_a_cheque_is_undeposited_money_and_income_of_its_fund():
    gift = posted_gift(amount=5_000, method="cheque", on=APRIL)
    assert held("gift", gift.pk) == {"1020": 5_000, "4000": -5_000}
    entry = Entry.objects.get(source_type="gift", source_id=gift.pk)
    assert entry.posted_on == APRIL and entry.lines.count() == 2
    assert ledger_differences() == []


def test_a_void_posts_a_reversing_entry_and_the_first_stays(finance_user):
    gift = posted_gift(amount=5_000, method="bank_transfer", on=APRIL)
    gift_void(gift=gift, reason="entered twice", by=finance_user)
    entries = Entry.objects.filter(source_type="gift", source_id=gift.pk).order_by("id")
    assert entries.count() == 2
    assert held("gift", gift.pk) == {}
    assert entries[1].memo.startswith("Correction") and entries[1].by == finance_user
    gift_void(gift=gift, reason="again", by=finance_user)  # changes nothing, posts nothing
    assert entries.count() == 2
    assert ledger_differences() == []


def test_a_restricted_disbursement_releases_the_restriction(finance_user):
    pool = FundFactory(code="AWARD", name="Prize pool", gl_account="4200", is_restricted=True)
    posted_gift(amount=100_000, fund=pool, method="bank_transfer", on=APRIL)
    paid = disbursement_record(fund=pool, amount=40_000, currency="USD", paid_on=APRIL,
                               payee="Winner", purpose="Prize", by=finance_user)  # fmt: skip
    assert held("disbursement", paid.pk) == {
        "5100": 40_000, "1000": -40_000, "3900": 40_000, "3910": -40_000,
    }  # fmt: skip
    assert ledger_differences() == []


def test_a_sponsor_credit_is_a_liability_until_applied(finance_user):
    deal = agreement(amount=400_000, frequency="quarterly")
    first, second = deal.instalments.order_by("number")[:2]
    payment = payment_record(sponsor=deal.sponsor, amount=150_000, currency="USD",
                             received_on=APRIL, method="wire", by=finance_user,
                             apply_to=[(first, 100_000)])  # fmt: skip
    assert held("sponsor_payment", payment.pk) == {"1000": 150_000, "4500": -100_000,
                                                   "2300": -50_000}  # fmt: skip
    payment_apply(payment=payment, instalment=second, amount=50_000, by=finance_user)
    assert held("sponsor_payment", payment.pk) == {"1000": 150_000, "4500": -150_000}
    assert ledger_differences() == []


def test_the_month_balances_follow_every_posting(finance_user):
    posted_gift(amount=1_000, method="cash", on=APRIL)
    gift = posted_gift(amount=2_000, method="cash", on=APRIL)
    gift_void(gift=gift, reason="error", by=finance_user)
    cash = MonthBalance.objects.get(account__code="1020", month=APRIL.replace(day=1))
    assert (cash.debit, cash.credit) in {(3_000, 0), (3_000, 2_000)}
    assert ledger_differences() == []


def test_the_rebuild_names_a_document_the_ledger_disagrees_with():
    gift = posted_gift(amount=5_000, method="cheque", on=APRIL)
    # Someone changes the gift's amount behind the services' back (triggers allow it: the
    # month is open). The rebuild sees the books no longer say what the gift says.
    Gift.objects.filter(pk=gift.pk).update(amount=6_000)
    problems = ledger_differences()
    assert any(p.startswith(f"gift #{gift.pk}:") and "1020 +6000 USD" in p for p in problems)


# --- what the database refuses -----------------------------------------------------------


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _account(code):
    return Account.objects.get(code=code).pk


def test_the_database_refuses_an_unbalanced_entry():
    posting = Posting("gift", 999, APRIL, "off by one")
    posting.add("1000", "USD", 100)
    posting.add("4000", "USD", -99)
    with pytest.raises(DatabaseError, match="sum to zero"), transaction.atomic():
        post_new([posting])
    assert not Entry.objects.exists() and not Line.objects.exists()


def test_the_database_refuses_a_one_line_entry_and_balances_per_currency():
    one = Posting("gift", 998, APRIL, "one line")
    one.add("1000", "USD", 0)
    one.amounts[("1000", "USD", None)] = 100
    with pytest.raises(DatabaseError, match="two or more lines"), transaction.atomic():
        post_new([one])
    mixed = Posting("gift", 997, APRIL, "dollars against euros")
    mixed.add("1000", "USD", 100)
    mixed.add("4000", "EUR", -100)
    with pytest.raises(DatabaseError, match="sum to zero"), transaction.atomic():
        post_new([mixed])


def test_the_database_refuses_any_change_or_delete_of_posted_lines_and_entries():
    gift = posted_gift(amount=5_000, method="cheque", on=APRIL)
    entry = Entry.objects.get(source_type="gift", source_id=gift.pk)
    line = entry.lines.first()
    for sql in (
        f"UPDATE ledger_line SET amount = amount + 1 WHERE id = {line.pk}",
        f"DELETE FROM ledger_line WHERE id = {line.pk}",
        f"UPDATE ledger_entry SET memo = 'changed' WHERE id = {entry.pk}",
        f"DELETE FROM ledger_entry WHERE id = {entry.pk}",
    ):
        with pytest.raises(DatabaseError, match="never change"):
            _raw(sql)
    # Two more lines that balance each other are still a change of a posted entry.
    with pytest.raises(DatabaseError, match="cannot take more lines"):
        _raw(
            "INSERT INTO ledger_line (entry_id, account_id, currency, amount) VALUES "
            "(%s, %s, 'USD', 5), (%s, %s, 'USD', -5)",
            [entry.pk, _account("1000"), entry.pk, _account("4000")],
        )
    assert held("gift", gift.pk) == {"1020": 5_000, "4000": -5_000}


def test_the_database_refuses_an_entry_in_a_closed_month():
    Period.objects.create(month=APRIL.replace(day=1), closed=True)
    posting = Posting("gift", 996, APRIL, "into April")
    posting.add("1000", "USD", 100)
    posting.add("4000", "USD", -100)
    # Posting moves it to May, the first open month; only a raw insert can try April.
    ids = post_new([posting])
    assert Entry.objects.get(pk=ids[0]).posted_on == dt.date(2026, 5, 1)
    with (
        pytest.raises(DatabaseError, match="closed month"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("INSERT INTO ledger_line (entry_id, account_id, currency, amount) "
                           "VALUES (777, %s, 'USD', 5), (777, %s, 'USD', -5)",
                           [_account("1000"), _account("4000")])  # fmt: skip
        cursor.execute(
            "INSERT INTO ledger_entry (id, posted_on, occurred_on, source_type, "
            "source_id, memo, note, created_at) VALUES (777, '2026-04-10', "
            "'2026-04-10', 'gift', 1, 'raw', '', '2026-04-10 00:00:00')"
        )


def test_every_guard_of_the_books_is_in_the_database():
    """A later migration that rebuilds a table on SQLite (Django does for many changes)
    drops its triggers silently: this names any that went missing."""
    from importlib import import_module

    guards = import_module("ledger.migrations.0002_the_database_keeps_the_books")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            wanted = set(guards._sqlite_names())
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            wanted = {sql.split()[3] if sql.split()[1] == "CONSTRAINT" else sql.split()[2]
                      for sql in guards.POSTGRES if sql.lstrip().startswith("CREATE")
                      and "TRIGGER" in sql.split()[1:3]}  # fmt: skip
        present = {row[0] for row in cursor.fetchall()}
    assert wanted and wanted <= present, sorted(wanted - present)


def test_the_import_posts_each_gift_as_the_rules_would(finance_user):
    from donors.importing import gifts_import

    FundFactory(code="GEN", gl_account="4000")
    FundFactory(code="AWARD", gl_account="4200", is_restricted=True)
    data = (b"date,amount,currency,fund,method,reference,email,first_name,last_name\n"
            b"2026-04-02,25.00,USD,GEN,cheque,CHQ-1,a@example.net,Ann,Lee\n"
            b"2026-04-02,40.00,EUR,GEN=15.00;AWARD=25.00,bank_transfer,,b@example.net,Bo,Kim\n"
            b"2026-04-03,10.00,USD,AWARD,in_kind,,c@example.net,Cy,Ng\n")  # fmt: skip
    report = gifts_import(data=data, by=finance_user, commit=True)
    assert report.committed, report.errors
    split = Gift.objects.get(currency="EUR")
    assert held("gift", split.pk) == {"1000": 4_000, "4000": -1_500, "4200": -2_500}
    cheque = Gift.objects.get(external_reference="CHQ-1")
    assert held("gift", cheque.pk) == {"1020": 2_500, "4000": -2_500}
    entry = Entry.objects.get(source_type="gift", source_id=cheque.pk)
    assert (entry.reference, entry.posted_on, entry.by) == ("CHQ-1", dt.date(2026, 4, 2),
                                                            finance_user)  # fmt: skip
    assert ledger_differences() == []  # the rebuild through the rules agrees, balances too
    gift_void(gift=cheque, reason="bounced", by=finance_user)
    assert held("gift", cheque.pk) == {} and ledger_differences() == []


def test_ledger_check_finds_a_month_balance_gone_wrong_and_rebuilds_it():
    from django.core.management import CommandError, call_command

    posted_gift(amount=5_000, method="cheque", on=APRIL)
    MonthBalance.objects.filter(account__code="1020").update(debit=1)
    with pytest.raises(CommandError, match="difference"):
        call_command("ledger_check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("ledger_check", "--rebuild-month-balances", stdout=out)
    assert "0 differences" in out.getvalue()
    assert MonthBalance.objects.get(account__code="1020").debit == 5_000


def test_a_gift_stripe_converted_clears_in_both_currencies():
    from django.utils import timezone

    from donors.services import gift_record
    from ledger.services import post_payment
    from payments.handlers import payout_upsert
    from payments.models import Payment

    gift = Gift(donor=DonorFactory(), amount=5_000, currency="EUR", received_on=APRIL,
                method="card")  # fmt: skip
    gift.paid_through_stripe = True
    gift_record(gift=gift, split=[(FundFactory(), 5_000)], by=None)
    payment = Payment.objects.create(
        gift=gift, payment_intent_id="pi_eur", charge_id="ch_eur", amount=5_000,
        currency="EUR", fee=190, net=5_230, settlement_currency="USD",
        paid_at=timezone.now(),
    )  # fmt: skip
    post_payment(payment, new=True)
    stamp = int(timezone.now().timestamp())
    payout_upsert({"id": "po_usd", "amount": 5_230, "currency": "usd", "status": "paid",
                   "arrival_date": stamp, "created": stamp})  # fmt: skip

    def clearing(currency):
        lines = Line.objects.filter(account__code="1050", currency=currency)
        return lines.aggregate(t=Sum("amount"))["t"] or 0

    assert (clearing("EUR"), clearing("USD")) == (0, 0)
    assert held("payment", payment.pk) == {"1090": 5_000 - 5_420, "1050": 5_420 - 5_000 - 190,
                                           "6100": 190}  # fmt: skip
    assert ledger_differences() == []


def test_the_imports_fallback_posts_through_the_rules_as_the_sql_path_would(finance_user):
    """When the ids it reserved are not one run (PostgreSQL, another session taking some),
    the import posts each gift through ledger.rules instead of set-based SQL."""
    from types import SimpleNamespace

    from donors.importing import _post_to_ledger_rows
    from donors.models import GiftAllocation

    fund = FundFactory()
    donor = DonorFactory()
    rows, ids = [], []
    for n, (method, amount) in enumerate([("cash", 1_000), ("stock", 9_000)]):
        # As the import writes them: inserted posted, in bulk (Gift.save refuses that).
        [gift] = Gift.objects.bulk_create([Gift(
            donor=donor, amount=amount, currency="USD", method=method, received_on=APRIL,
            status=Gift.Status.POSTED, external_reference=f"R-{n}")])  # fmt: skip
        GiftAllocation.objects.bulk_create([GiftAllocation(gift=gift, fund=fund, amount=amount)])
        ids.append(gift.pk)
        rows.append(SimpleNamespace(split=[(fund.pk, amount)], gift={
            "amount": amount, "currency": "USD", "received_on": APRIL, "method": method,
            "external_reference": f"R-{n}"}))  # fmt: skip
    _post_to_ledger_rows(ids, rows, by=finance_user)
    assert held("gift", ids[0]) == {"1020": 1_000, "4000": -1_000}
    assert held("gift", ids[1]) == {"1500": 9_000, "4000": -9_000}
    assert Entry.objects.get(source_id=ids[1]).reference == "R-1"
    assert ledger_differences() == []
