"""The bank page draws each account's balance over time, the books against the statements."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from donors.models import Gift
from donors.services import gift_record
from reconciliation.bank import bank_auto_match, bank_statement_import
from reconciliation.models import BankAccount
from tests.factories import DonorFactory, FundFactory

pytestmark = pytest.mark.django_db


def test_the_books_and_the_statement_meet_once_matched(finance_client):
    today = timezone.localdate()
    gift = gift_record(gift=Gift(donor=DonorFactory(last_name="Okafor"), amount=12_345,
                                 currency="USD", received_on=today, method="bank_transfer"),
                       split=[(FundFactory(), 12_345)], by=None)  # fmt: skip
    account = BankAccount.objects.create(
        name="Checking", currency="USD", account_number="12345678",
        csv_mapping={"date": "Date", "amount": "Amount", "description": "Text"},
    )  # fmt: skip
    data = f"Date,Amount,Text\n{today},123.45,WIRE {gift.donor}\n".encode()
    assert bank_statement_import(account=account, data=data, name="s.csv", by=None).added == 1
    assert bank_auto_match(account=account) == 1
    page = finance_client.get(reverse("bank_lines")).content.decode()
    assert "Checking: the books against the statements" in page
    this_month = f"{today:%b %y}"
    assert f"In the books, {this_month}: $123.45" in page
    assert f"On the statements, {this_month}: $123.45" in page
    last = today.replace(day=1) - dt.timedelta(days=1)
    assert f"On the statements, {last:%b %y}" not in page  # no statement before: no point
