"""The journal balances for every transaction and for the file, with income by fund, Stripe
fees to the fees account, refunds reversed and payouts moved to the bank."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from donors.services import gift_record
from payments.models import Payment, Payout, Refund
from tests.factories import DonorFactory, FundFactory, SponsorFactory, agreement

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 6, 10)


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_journal_balances_and_posts_to_the_right_accounts(finance_client):
    from donors.models import Gift
    from sponsorships.services import payment_record

    gen = FundFactory(code="GEN", gl_account="4000")
    prize = FundFactory(code="PRIZE", name="Prize pool", gl_account="4200", is_restricted=True)
    cheque = gift_record(gift=Gift(donor=DonorFactory(), amount=10_000, currency="USD",
                                   received_on=ON, method="cheque"),
                         split=[(gen, 7_000), (prize, 3_000)], by=None)  # fmt: skip
    online = gift_record(gift=Gift(donor=DonorFactory(), amount=5_000, currency="USD",
                                   received_on=ON, method="card"),
                         split=[(prize, 5_000)], by=None)  # fmt: skip
    paid_at = timezone.make_aware(dt.datetime(2026, 6, 10, 12))
    payment = Payment.objects.create(gift=online, payment_intent_id="pi_1", charge_id="ch_1",
                                     amount=5_000, currency="USD", fee=175, net=4_825,
                                     settlement_currency="USD", paid_at=paid_at)  # fmt: skip
    Refund.objects.create(refund_id="re_1", payment=payment, amount=1_001, currency="USD",
                          status="succeeded", created=paid_at)  # fmt: skip
    Payout.objects.create(payout_id="po_1", amount=3_824, currency="USD", status="paid",
                          arrival_date=ON, created=paid_at)  # fmt: skip
    deal = agreement(sponsor=SponsorFactory(), amount=400_000, fund=prize, frequency="yearly")
    payment_record(sponsor=deal.sponsor, amount=450_000, currency="USD", received_on=ON,
                   method="wire", reference="W-9", by=None)  # fmt: skip
    out = io.StringIO()
    call_command("export_journal", "--from", "2026-06-01", "--to", "2026-06-30", stdout=out)
    rows = _rows(out.getvalue())

    def total(column, **match):
        return sum(Decimal(r[column] or 0) for r in rows
                   if all(r[k] == v for k, v in match.items()))  # fmt: skip

    assert total("Debit") == total("Credit")  # the file balances
    for txn in {r["Transaction"] for r in rows}:
        assert total("Debit", Transaction=txn) == total("Credit", Transaction=txn), txn
    gift = f"gift-{cheque.pk}"
    assert total("Debit", Transaction=gift, Account="1020") == Decimal("100.00")  # undeposited
    assert total("Credit", Transaction=gift, Account="4000") == Decimal("70.00")
    assert total("Credit", Transaction=gift, Account="4200") == Decimal("30.00")
    assert total("Debit", Account="6100") == Decimal("1.75")  # Stripe's fee
    assert total("Debit", Transaction=f"refund-{Refund.objects.get().pk}",
                 Account="4200") == Decimal("10.01")  # reversed from the prize fund  # fmt: skip
    assert total("Debit", Account="1000", Reference="po_1") == Decimal("38.24")
    sponsor = [r for r in rows if r["Reference"] == "W-9"]
    assert {(r["Account"], r["Debit"], r["Credit"]) for r in sponsor} == {
        ("1000", "4500.00", ""), ("4200", "", "4000.00"), ("4500", "", "500.00"),
    }  # applied to the prize fund's agreement; the rest is credit  # fmt: skip
    download = finance_client.get(reverse("journal_download") + "?from=2026-06-01&to=2026-06-30")
    assert download.status_code == 200 and _rows(download.content.decode()) == rows
    assert finance_client.get(reverse("journal_download") + "?from=June").status_code == 400
