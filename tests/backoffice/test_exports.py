"""Every CSV we write goes through one writer that neutralises spreadsheet formulas."""

import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse

from backoffice.exports import csv_writer
from donors.models import Gift
from donors.services import gift_record
from tests.factories import DonorFactory, FundFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ("backoffice", "accounts", "donors", "payments", "receipts", "sponsorships",
        "reconciliation", "impact")  # fmt: skip


def test_text_a_spreadsheet_would_run_is_written_as_text_and_numbers_keep_their_sign():
    out = io.StringIO()
    csv_writer(out).writerow(['=HYPERLINK("http://x.example","pay")', "+1+1", "@SUM(A1)",
                              "-2+3", "\tTAB", "-12.50", "12.50", 7, "Ana"])  # fmt: skip
    (row,) = csv.reader(io.StringIO(out.getvalue()))
    assert row == ["'=HYPERLINK(\"http://x.example\",\"pay\")", "'+1+1", "'@SUM(A1)", "'-2+3",
                   "'\tTAB", "-12.50", "12.50", "7", "Ana"]  # fmt: skip


@pytest.mark.django_db
def test_the_journal_writes_a_gifts_reference_as_text(finance_client):
    on = dt.date(2026, 6, 10)
    gift_record(gift=Gift(donor=DonorFactory(), amount=10_000, currency="USD", received_on=on,
                          method="cheque", external_reference='=HYPERLINK("http://evil","x")'),
                split=[(FundFactory(gl_account="4000"), 10_000)], by=None)  # fmt: skip
    response = finance_client.get(reverse("journal_download"),
                                  {"from": "2026-06-01", "to": "2026-06-30"})  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["Reference"] for r in rows} == {'\'=HYPERLINK("http://evil","x")'}
    assert all(not r["Debit"].startswith("'") for r in rows)


def test_no_app_module_writes_csv_but_through_the_one_writer():
    writers = re.compile(r"csv\.(writer|DictWriter)\(")
    offenders = [str(path.relative_to(ROOT)) for app in APPS for path in (ROOT / app).rglob("*.py")
                 if path.name != "exports.py" and writers.search(path.read_text())]  # fmt: skip
    assert offenders == []
