"""The accountant's files come from the ledger as posted: the journal, the general ledger,
the trial balance, and the import files of QuickBooks Online and Xero (their documented
columns), each balanced per currency with money in major units. The ledger's pages lead
from an account to its entries and from an entry back to its document."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from donors.models import Gift
from donors.services import gift_record
from ledger.models import Entry
from ledger.reports import QUICKBOOKS_HEADER, XERO_HEADER, statement_of_activities
from ledger.services import post_payment
from payments.handlers import mirror_refund, payout_upsert
from payments.models import Payment
from sponsorships.services import disbursement_record, payment_record
from tests.factories import DonorFactory, FundFactory, SponsorFactory, agreement

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 10)
JUNE = "?from=2026-06-01&to=2026-06-30"


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def june(finance_user):
    """A month of the first user's money: a cheque split between the general fund and the
    prize pool, a card gift with Stripe's fee and a partial refund, a payout, a sponsor's
    wire with credit left over, and a prize paid out of the pool."""
    gen = FundFactory(code="GEN", gl_account="4000")
    prize = FundFactory(code="PRIZE", name="Prize pool", gl_account="4200", is_restricted=True)
    cheque = gift_record(gift=Gift(donor=DonorFactory(), amount=10_000, currency="USD",
                                   received_on=ON, method="cheque"),
                         split=[(gen, 7_000), (prize, 3_000)], by=None)  # fmt: skip
    online = Gift(donor=DonorFactory(), amount=5_000, currency="USD", received_on=ON,
                  method="card")  # fmt: skip
    online.paid_through_stripe = True
    gift_record(gift=online, split=[(prize, 5_000)], by=None)
    paid_at = timezone.make_aware(dt.datetime(2026, 6, 10, 12))
    payment = Payment.objects.create(gift=online, payment_intent_id="pi_1", charge_id="ch_1",
                                     amount=5_000, currency="USD", fee=175, net=4_825,
                                     settlement_currency="USD", paid_at=paid_at)  # fmt: skip
    post_payment(payment)
    stamp = int(paid_at.timestamp())
    mirror_refund(payment=payment, refund={"id": "re_1", "amount": 1_001, "currency": "usd",
                                           "status": "succeeded", "created": stamp})  # fmt: skip
    payout_upsert({"id": "po_1", "amount": 3_824, "currency": "usd", "status": "paid",
                   "arrival_date": stamp, "created": stamp})  # fmt: skip
    deal = agreement(sponsor=SponsorFactory(), amount=400_000, fund=prize, frequency="yearly")
    payment_record(sponsor=deal.sponsor, amount=450_000, currency="USD", received_on=ON,
                   method="wire", reference="W-9", by=finance_user)  # fmt: skip
    disbursement_record(fund=prize, amount=20_000, currency="USD", paid_on=ON,
                        payee="Rising artist", purpose="Award prize", by=finance_user)  # fmt: skip
    return cheque


def total(lines, column, **match):
    return sum(Decimal(r[column] or 0) for r in lines
               if all(r[k] == v for k, v in match.items()))  # fmt: skip


def test_the_journal_balances_and_posts_to_the_right_accounts(june, finance_client):
    out = io.StringIO()
    call_command("export_journal", "--from", "2026-06-01", "--to", "2026-06-30", stdout=out)
    lines = rows(out.getvalue())
    assert total(lines, "Debit") == total(lines, "Credit")
    for entry in {r["Entry"] for r in lines}:
        assert total(lines, "Debit", Entry=entry) == total(lines, "Credit", Entry=entry)
    cheque = [r for r in lines if r["Source"] == f"gift #{june.pk}"]
    assert {(r["Account"], r["Debit"], r["Credit"], r["Fund"]) for r in cheque} == {
        ("1020", "100.00", "", ""), ("4000", "", "70.00", "GEN"), ("4200", "", "30.00", "PRIZE"),
    }  # fmt: skip
    assert total(lines, "Debit", Account="6100") == Decimal("1.75")  # Stripe's fee
    assert total(lines, "Debit", Account="4200", Memo=f"Refund re_1 of gift #{june.pk + 1}") \
        == Decimal("10.01")  # reversed from the prize fund  # fmt: skip
    assert total(lines, "Debit", Account="1000", Memo="Stripe payout po_1") == Decimal("38.24")
    wire = [r for r in lines if r["Memo"].startswith("Sponsor payment")]
    assert {(r["Account"], r["Debit"], r["Credit"]) for r in wire} == {
        ("1000", "4500.00", ""), ("4200", "", "4000.00"), ("2300", "", "500.00"),
    }  # applied to the prize fund's agreement; the rest waits as a liability  # fmt: skip
    download = finance_client.get(reverse("journal_download") + JUNE)
    assert download.status_code == 200 and rows(download.content.decode()) == lines
    assert finance_client.get(reverse("journal_download") + "?from=June").status_code == 400


def test_quickbooks_online_file_has_its_documented_columns_and_balances(june, finance_client):
    text = finance_client.get(reverse("ledger_export", args=["quickbooks"]) + JUNE).content
    lines = rows(text.decode())
    assert list(lines[0]) == QUICKBOOKS_HEADER == [
        "Journal No.", "Journal Date", "Account Name", "Debits", "Credits", "Description",
        "Name", "Currency Code",
    ]  # fmt: skip
    for number in {r["Journal No."] for r in lines}:
        assert total(lines, "Debits", **{"Journal No.": number}) == total(
            lines, "Credits", **{"Journal No.": number})  # fmt: skip
    assert all(r["Journal Date"] == "06/10/2026" for r in lines)  # MM/DD/YYYY
    assert all(bool(r["Debits"]) != bool(r["Credits"]) for r in lines)  # one side a row
    assert all(not r["Debits"].startswith("-") and not r["Credits"].startswith("-") for r in lines)
    assert {r["Account Name"] for r in lines} >= {"Undeposited funds", "Stripe fees"}


def test_xero_file_has_its_documented_columns_and_balances(june, finance_client):
    text = finance_client.get(reverse("ledger_export", args=["xero"]) + JUNE).content
    lines = rows(text.decode())
    assert list(lines[0]) == XERO_HEADER == [
        "*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount",
        "TrackingName1", "TrackingOption1",
    ]  # fmt: skip
    for narration in {r["*Narration"] for r in lines}:
        assert total(lines, "*Amount", **{"*Narration": narration}) == 0
    assert {r["*TaxRate"] for r in lines} == {"Tax Exempt"}
    prize_lines = [r for r in lines if r["TrackingOption1"] == "PRIZE"]
    assert prize_lines and {r["TrackingName1"] for r in prize_lines} == {"Fund"}


def test_trial_balance_and_general_ledger_balance(june, finance_client):
    trial = rows(finance_client.get(reverse("ledger_export", args=["trial-balance"]) + JUNE)
                 .content.decode())  # fmt: skip
    assert total(trial, "Debit") - total(trial, "Credit") == 0
    assert sum(Decimal(r["Balance"]) for r in trial) == 0
    general = rows(finance_client.get(reverse("ledger_export", args=["general-ledger"]) + JUNE)
                   .content.decode())  # fmt: skip
    closing = {r["Account"]: Decimal(r["Balance"]) for r in general
               if r["Memo"] == "Closing balance"}  # fmt: skip
    assert closing["1000"] == Decimal("4500.00") + Decimal("38.24") - Decimal("200.00")
    page = finance_client.get(reverse("trial_balance") + "?month=2026-06").content.decode()
    assert "Debits equal credits in every currency" in page


def test_the_statement_of_activities_releases_the_prize_pool(june):
    by_fund = {r.fund: r for r in statement_of_activities(start=ON, end=ON)}
    prize = by_fund["PRIZE"]
    # 30.00 of the cheque + 50.00 by card - 10.01 refunded + 4,000.00 of the sponsor's wire
    # applied to its agreement; 200.00 paid out, and as much released from restriction.
    assert (prize.income, prize.expenses, prize.released) == (406_999, 20_000, 20_000)
    assert by_fund["GEN"].income == 7_000


def test_the_statement_of_activities_as_csv(june, finance_client):
    text = finance_client.get(reverse("ledger_export", args=["activities"]) + JUNE).content
    lines = {r["Fund"]: r for r in rows(text.decode())}
    assert (
        lines["PRIZE"]["Income"],
        lines["PRIZE"]["Expenses"],
        lines["PRIZE"]["Released from restriction"],
    ) == ("4069.99", "200.00", "200.00")
    assert lines["Total with donor restrictions"]["Change in net assets"] == "3869.99"


def test_from_an_account_to_its_entries_and_back_to_the_document(june, finance_client):
    page = finance_client.get(reverse("ledger_account", args=["1020"])).content.decode()
    entry = Entry.objects.get(source_type="gift", source_id=june.pk)
    assert reverse("ledger_entry", args=[entry.pk]) in page
    shown = finance_client.get(reverse("ledger_entry", args=[entry.pk])).content.decode()
    assert reverse("admin:donors_gift_change", args=[june.pk]) in shown
    assert "Undeposited funds" in shown and "$100.00" in shown


def test_the_ledger_is_for_staff(client, june):
    from tests.factories import UserFactory

    client.force_login(UserFactory())  # a donor's account
    for url in (reverse("ledger_home"), reverse("ledger_account", args=["1000"]),
                reverse("trial_balance"), reverse("ledger_export", args=["journal"])):  # fmt: skip
        assert client.get(url).status_code in (302, 403), url


def test_a_gifts_admin_page_links_to_its_entries(june, admin_client_mfa):
    entry = Entry.objects.get(source_type="gift", source_id=june.pk)
    page = admin_client_mfa.get(reverse("admin:donors_gift_change", args=[june.pk]))
    assert f'<a href="{reverse("ledger_entry", args=[entry.pk])}">entry #{entry.pk}</a>' in (
        page.content.decode()
    )
