"""Every bank line matches the money it moves: a Stripe payout short by a bank fee, a
sponsor's wire, a prize paid out, one payout paid in two deposits, two payouts in one. When
every line is matched, the bank account in the ledger says what the statement says."""

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from donors.models import Gift
from donors.services import batch_close, batch_open, gift_record
from ledger.audit import ledger_differences
from ledger.models import Account, Line
from payments.handlers import payout_upsert
from reconciliation.bank import bank_auto_match, bank_line_explain, bank_match_manual
from reconciliation.models import BankAccount, BankLine, BankStatementImport
from sponsorships.services import disbursement_record, payment_record
from tests.factories import DonorFactory, FundFactory, SponsorFactory, posted_gift

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 10)


@pytest.fixture
def account():
    return BankAccount.objects.create(name="Checking", currency="USD", match_tolerance=100)


def line(account, amount, day=DAY, text=""):
    statement = BankStatementImport.objects.create(account=account, file_name="s.csv", sha256="x")
    return BankLine.objects.create(
        account=account,
        statement=statement,
        booked_on=day,
        amount=amount,
        description=text,
        fingerprint=f"{amount}-{day}-{BankLine.objects.count()}",
    )


def payout(pid, amount, day=DAY):
    stamp = int(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC).timestamp())
    return payout_upsert({"id": pid, "amount": amount, "currency": "usd", "status": "paid",
                          "arrival_date": stamp, "created": stamp})  # fmt: skip


def ledger_bank() -> int:
    return Line.objects.filter(account__code="1000").aggregate(t=Sum("amount"))["t"] or 0


def statement_total(account) -> int:
    return BankLine.objects.filter(account=account, is_split=False).aggregate(t=Sum("amount"))["t"]


def test_a_payout_short_by_a_bank_fee_is_offered_and_matched_with_the_fee_posted(
    account, finance_user
):
    from reconciliation.bank import unmatched_lines

    paid = payout("po_fee", 10_000)
    short = line(account, 9_970, text="STRIPE")
    assert bank_auto_match(account=account) == 0  # not the same amount: a person decides
    [offered] = unmatched_lines()
    assert [(c["item"], c["difference"]) for c in offered.candidates] == [(paid, 30)]
    fees = Account.objects.get(code="6150")
    with pytest.raises(ValidationError, match="choose the account"):
        bank_match_manual(lines=[short], payouts=[paid], by=finance_user, note="fee")
    match = bank_match_manual(
        lines=[short],
        payouts=[paid],
        by=finance_user,
        note="the bank's incoming wire fee",
        difference_account=fees,
    )
    assert match.difference == 30
    assert Line.objects.filter(account=fees).aggregate(t=Sum("amount"))["t"] == 30
    assert ledger_bank() == statement_total(account) == 9_970
    assert ledger_differences() == []


def test_a_difference_beyond_the_tolerance_is_refused(account, finance_user):
    paid = payout("po_far", 10_000)
    far = line(account, 9_800)
    with pytest.raises(ValidationError, match=r"difference of \$2.00 is more than .* \$1.00"):
        bank_match_manual(lines=[far], payouts=[paid], by=finance_user, note="?",
                          difference_account=Account.objects.get(code="6150"))  # fmt: skip
    assert far.__class__.objects.get(pk=far.pk).match_id is None


def test_a_sponsor_wire_and_a_prize_paid_out_are_matched_automatically(account, finance_user):
    pool = FundFactory(code="AWARD", gl_account="4200", is_restricted=True)
    wire = payment_record(sponsor=SponsorFactory(name="Soundwave Records"), amount=500_000,
                          currency="USD", received_on=DAY, method="wire", reference="W-77",
                          by=finance_user)  # fmt: skip
    posted_gift(amount=300_000, fund=pool, on=DAY, method="bank_transfer")
    prize = disbursement_record(
        fund=pool,
        amount=250_000,
        currency="USD",
        paid_on=DAY,
        payee="Best new artist",
        purpose="Prize",
        by=finance_user,
    )
    wire_line = line(account, 500_000, DAY + dt.timedelta(days=1))
    prize_line = line(account, -250_000, DAY)
    gift_line = line(account, 300_000, DAY)
    assert bank_auto_match(account=account) == 3
    wire_line.refresh_from_db()
    prize_line.refresh_from_db()
    assert list(wire_line.match.sponsor_payments.all()) == [wire]
    assert "Soundwave Records" in wire_line.match.reason
    assert list(prize_line.match.disbursements.all()) == [prize]
    # A gift by bank transfer is in the bank from the day it is posted: its line matches it.
    gift_line.refresh_from_db()
    assert gift_line.match.gifts.get().amount == 300_000
    # A bank's charge that moves no recorded money is explained, to the account chosen.
    charge = line(account, -1_500, DAY, text="ACCOUNT FEE")
    bank_line_explain(line=charge, account=Account.objects.get(code="6150"),
                      reason="monthly account fee", by=finance_user)  # fmt: skip
    assert ledger_bank() == statement_total(account) == 500_000 - 250_000 + 300_000 - 1_500
    assert ledger_differences() == []


def test_one_payout_paid_in_two_deposits_and_two_payouts_in_one(account):
    split = payout("po_split", 30_000)
    a, b = line(account, 10_000), line(account, 20_000, DAY + dt.timedelta(days=1))
    first, second = payout("po_a", 4_000, DAY + dt.timedelta(days=5)), payout(
        "po_b", 6_000, DAY + dt.timedelta(days=5))  # fmt: skip
    both = line(account, 10_000, DAY + dt.timedelta(days=5))
    assert bank_auto_match(account=account) == 2
    a.refresh_from_db(), b.refresh_from_db(), both.refresh_from_db()
    assert a.match_id == b.match_id and list(a.match.payouts.all()) == [split]
    assert set(both.match.payouts.all()) == {first, second}
    assert ledger_bank() == statement_total(account) == 40_000
    assert ledger_differences() == []


def test_a_deposit_batch_moves_cheques_from_undeposited_funds_to_the_bank(account, finance_user):
    fund = FundFactory()
    batch = batch_open(reference="DEP-1", deposited_on=DAY, currency="USD", expected_count=2,
                       expected_total=30_000, by=finance_user)  # fmt: skip
    for amount in (10_000, 20_000):
        gift_record(gift=Gift(donor=DonorFactory(), amount=amount, currency="USD",
                              received_on=DAY, method="cheque", batch=batch),
                    split=[(fund, amount)], by=finance_user)  # fmt: skip
    batch_close(batch=batch, by=finance_user)
    line(account, 30_000, DAY)
    assert bank_auto_match(account=account) == 1
    undeposited = Line.objects.filter(account__code="1020").aggregate(t=Sum("amount"))["t"]
    assert undeposited == 0
    assert ledger_bank() == statement_total(account) == 30_000
    assert ledger_differences() == []


def test_saved_rules_point_lines_at_payouts_and_explain_the_banks_fees(account, finance_user):
    from reconciliation.models import BankRule

    fund = FundFactory()
    gift = gift_record(gift=Gift(donor=DonorFactory(), amount=50_000, currency="USD",
                                 received_on=DAY, method="bank_transfer"),
                       split=[(fund, 50_000)], by=finance_user)  # fmt: skip
    paid = payout("po_rule", 50_000, DAY + dt.timedelta(days=2))
    stripe = line(account, 50_000, DAY, text="STRIPE TRANSFER")  # the gift is closer in date
    fee = line(account, -900, DAY, text="Monthly ACCOUNT FEE June")
    BankRule.objects.create(text_contains="stripe", kind=BankRule.Kind.PAYOUTS)
    BankRule.objects.create(account=account, text_contains="account fee",
                            kind=BankRule.Kind.EXPLAIN, explain_to=Account.objects.get(code="6150"),
                            reason="the bank's monthly fee")  # fmt: skip
    assert bank_auto_match(account=account) == 2
    stripe.refresh_from_db(), fee.refresh_from_db()
    assert list(stripe.match.payouts.all()) == [paid] and not stripe.match.gifts.exists()
    assert fee.match.reason == "the bank's monthly fee" and fee.match.automatic
    assert Line.objects.filter(account__code="6150").aggregate(t=Sum("amount"))["t"] == 900
    assert not gift.bank_matches.exists()  # left for its own line
    assert ledger_differences() == []


def test_less_sure_matches_are_proposed_and_finance_accepts_them_all_at_once(
    account, finance_client, finance_user
):
    from django.urls import reverse

    from reconciliation.models import BankMatch
    from reconciliation.periods import period_checklist

    payout("po_two", 30_000)
    line(account, 10_000), line(account, 20_000, DAY + dt.timedelta(days=1))  # 1:N: 75 %
    sure = payout("po_sure", 7_000)
    line(account, 7_000)  # the same amount the same day: 100 %, accepted at once
    assert bank_auto_match(account=account) == 2
    assert BankMatch.objects.get(payouts=sure).accepted_at is not None
    proposal = BankMatch.objects.get(accepted_at__isnull=True)
    [bank_item] = [i for i in period_checklist(month=DAY) if "bank line" in i.label]
    assert not bank_item.done and bank_item.detail == "2 in proposed matches to accept"
    page = finance_client.get(reverse("bank_lines")).content.decode()
    assert "Proposed matches (1)" in page and "Accept all 1" in page
    finance_client.post(reverse("bank_lines"), {"accept_all": "1"})
    proposal.refresh_from_db()
    assert (proposal.accepted_by, proposal.undone_at) == (finance_user, None)
    [bank_item] = [i for i in period_checklist(month=DAY) if "bank line" in i.label]
    assert bank_item.done


def test_finance_types_the_tolerance_as_money_in_the_admin(admin_client_mfa):
    from django.urls import reverse

    from reconciliation.models import BankAccount

    answer = admin_client_mfa.post(reverse("admin:reconciliation_bankaccount_add"), {
        "name": "Euro account", "currency": "EUR", "account_number": "DE89370400440532013000",
        "csv_mapping": "{}", "match_tolerance_text": "1.50"})  # fmt: skip
    assert answer.status_code == 302
    assert BankAccount.objects.get(name="Euro account").match_tolerance == 150
    bad = admin_client_mfa.post(reverse("admin:reconciliation_bankaccount_add"), {
        "name": "Yen", "currency": "JPY", "account_number": "1", "csv_mapping": "{}",
        "match_tolerance_text": "1.50"})  # fmt: skip
    page = bad.content.decode()
    assert "more decimals than JPY allows" in page, re.findall(r"errorlist.{0,300}", page)
