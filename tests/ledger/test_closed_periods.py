"""A closed month accepts nothing, by whatever path: the services and the import refuse in
words naming the field or row, the database refuses raw writes, a bank match or unmatch is
refused; Stripe's late news posts into the first open month and says so. Finance closes
and reopens months on a page with a checklist."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from donors.importing import gifts_import
from donors.models import Gift
from ledger.audit import ledger_differences
from ledger.models import Entry
from reconciliation.bank import bank_match_manual, bank_unmatch
from reconciliation.models import BankAccount, BankLine, BankStatementImport, Period, PeriodEvent
from sponsorships.services import disbursement_record, payment_record
from tests.factories import FundFactory, SponsorFactory, posted_gift

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)
IN_MARCH = dt.date(2026, 3, 12)


def close(month=MARCH):
    Period.objects.update_or_create(month=month, defaults={"closed": True})


def raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_import_names_each_row_dated_in_a_closed_month(finance_user):
    FundFactory()
    close()
    data = (b"date,amount,currency,fund,email,first_name,last_name\n"
            b"2026-03-12,25.00,USD,GEN,a@example.net,Ann,Lee\n"
            b"2026-04-02,25.00,USD,GEN,b@example.net,Bo,Kim\n")  # fmt: skip
    report = gifts_import(data=data, by=finance_user, commit=True)
    assert not report.committed
    assert [(e.line, e.column) for e in report.errors] == [(2, "date")]
    assert "March 2026 is closed" in report.errors[0].message
    assert not Gift.objects.exists() and not Entry.objects.exists()


def test_sponsor_payments_and_disbursements_dated_in_a_closed_month_are_refused(finance_user):
    pool = FundFactory(code="AWARD", gl_account="4200", is_restricted=True)
    posted_gift(amount=50_000, fund=pool, on=dt.date(2026, 2, 2), method="bank_transfer")
    close()
    with pytest.raises(ValidationError) as refused:
        payment_record(sponsor=SponsorFactory(), amount=10_000, currency="USD",
                       received_on=IN_MARCH, method="wire", by=finance_user)  # fmt: skip
    assert "received_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        disbursement_record(fund=pool, amount=1_000, currency="USD", paid_on=IN_MARCH,
                            payee="Winner", purpose="Prize", by=finance_user)  # fmt: skip
    assert "paid_on" in refused.value.message_dict


def test_raw_sql_cannot_write_money_into_a_closed_month():
    gift = posted_gift(amount=5_000, on=IN_MARCH, method="cheque")
    close()
    for sql in (
        f"UPDATE donors_gift SET amount = 9999 WHERE id = {gift.pk}",
        f"UPDATE donors_gift SET status = 'void' WHERE id = {gift.pk}",
        f"DELETE FROM donors_gift WHERE id = {gift.pk}",
        f"UPDATE donors_giftallocation SET amount = 1 WHERE gift_id = {gift.pk}",
        f"INSERT INTO donors_gift (donor_id, amount, currency, received_on, method, status, "
        f"fair_market_value, advantage_description, property_description, appraiser, "
        f"tribute_type, tribute_name, external_reference, referral_code, refunded_amount, "
        f"void_reason, notes, created_at) SELECT donor_id, 100, 'USD', '2026-03-20', 'cash', "
        f"'posted', 0, '', '', '', '', '', '', '', 0, '', '', created_at FROM donors_gift "
        f"WHERE id = {gift.pk}",
    ):
        with pytest.raises(DatabaseError, match="closed month"):
            raw(sql)
    # What is not money may still change: a note, the refunded total Stripe reports.
    raw(f"UPDATE donors_gift SET notes = 'thanked by phone' WHERE id = {gift.pk}")
    gift.refresh_from_db()
    assert (gift.amount, gift.status, gift.notes) == (5_000, "posted", "thanked by phone")


@pytest.fixture
def account():
    return BankAccount.objects.create(name="Checking", currency="USD", match_tolerance=100)


def _line(account, amount, day):
    statement = BankStatementImport.objects.create(account=account, file_name="s.csv", sha256="x")
    return BankLine.objects.create(account=account, statement=statement, booked_on=day,
                                   amount=amount, fingerprint=f"{amount}-{day}")  # fmt: skip


def test_a_closed_months_bank_lines_cannot_be_matched_or_unmatched(account, finance_user):
    sponsor = SponsorFactory()
    wire = payment_record(sponsor=sponsor, amount=20_000, currency="USD", received_on=IN_MARCH,
                          method="wire", by=finance_user)  # fmt: skip
    line = _line(account, 20_000, IN_MARCH)
    match = bank_match_manual(lines=[line], sponsor_payments=[wire], by=finance_user)
    other = _line(account, 5_000, dt.date(2026, 3, 20))
    close()
    with pytest.raises(
        ValidationError, match="March 2026, which is closed: it cannot be unmatched"
    ):
        bank_unmatch(match=match, by=finance_user)
    with pytest.raises(ValidationError, match="closed: it cannot be matched"):
        bank_match_manual(lines=[other], sponsor_payments=[wire], by=finance_user)
    with pytest.raises(DatabaseError, match="closed month"):
        raw(f"UPDATE reconciliation_bankline SET match_id = NULL WHERE id = {line.pk}")
    line.refresh_from_db()
    assert line.match_id == match.pk


def test_a_late_stripe_refund_posts_into_the_first_open_month_and_says_so(
    offline, campaign, deliver_all
):
    from payments.models import Donation, Refund

    donation = Donation.objects.create(campaign=campaign, fund=FundFactory(code="GEN"),
                                       amount=3000, currency="USD", frequency="once")  # fmt: skip
    session = offline.checkout_session(mode="payment", amount=3000, currency="usd",
                                       metadata={"donation_id": str(donation.pk)})  # fmt: skip
    deliver_all(offline.pay_checkout(session, email="w@example.net", name="W X"))
    gift = Gift.objects.get()
    charge = next(o for o in offline.objects.values() if o["object"] == "charge")
    this_month = timezone.localdate().replace(day=1)
    close(this_month)  # closed before Stripe's refund arrives
    deliver_all(offline.refund(charge, amount=500))
    refund = Refund.objects.get()
    entry = Entry.objects.get(source_type="refund", source_id=refund.pk)
    next_month = (this_month + dt.timedelta(days=32)).replace(day=1)
    assert entry.posted_on == next_month
    assert entry.occurred_on == timezone.localdate(refund.created)
    assert f"{this_month:%B %Y} was closed" in entry.note
    gift.refresh_from_db()
    assert gift.refunded_amount == 500  # the gift's record follows; its money does not move
    assert ledger_differences() == []


# --- the close page ----------------------------------------------------------------------


def test_finance_closes_a_month_on_its_page_after_the_checklist_and_reopens_it_with_a_reason(
    finance_client, finance_user
):
    posted_gift(amount=5_000, on=IN_MARCH, method="bank_transfer")
    page = reverse("period_page", args=[2026, 3])
    shown = finance_client.get(page).content.decode()
    assert "Every bank line of the month is matched or explained (0 lines)" in shown
    assert "Close March 2026" in shown
    finance_client.post(page, {"do": "close"})  # no confirmation: nothing happens
    assert not Period.objects.filter(month=MARCH, closed=True).exists()
    finance_client.post(page, {"do": "close", "confirm": "yes"})
    assert Period.objects.get(month=MARCH).closed
    finance_client.post(page, {"do": "reopen", "reason": ""})
    assert Period.objects.get(month=MARCH).closed  # a reason is needed
    finance_client.post(page, {"do": "reopen", "reason": "a cheque was keyed twice"})
    assert not Period.objects.get(month=MARCH).closed
    events = list(PeriodEvent.objects.order_by("at", "id").values_list("action", "by", "reason"))
    assert events == [("close", finance_user.pk, ""),
                      ("reopen", finance_user.pk, "a cheque was keyed twice")]  # fmt: skip
    assert "a cheque was keyed twice" in finance_client.get(reverse("periods")).content.decode()


def test_an_unmatched_bank_line_holds_the_close_and_the_page_says_so(finance_client, account):
    _line(account, 7_000, IN_MARCH)
    page = reverse("period_page", args=[2026, 3])
    finance_client.post(page, {"do": "close", "confirm": "yes"})
    assert not Period.objects.filter(month=MARCH, closed=True).exists()
    shown = finance_client.get(page).content.decode()
    assert "1 not matched yet" in shown and "cannot close" in shown


def test_only_finance_closes_a_month(fundraising_client):
    page = reverse("period_page", args=[2026, 3])
    assert fundraising_client.post(page, {"do": "close", "confirm": "yes"}).status_code == 403
    assert not Period.objects.exists()


def test_the_admin_cannot_record_a_sponsor_payment_in_a_closed_month(admin_client_mfa):
    from sponsorships.models import SponsorPayment
    from tests.factories import agreement

    deal = agreement(amount=1_000_000)
    close()
    answer = admin_client_mfa.post(reverse("admin:sponsorships_sponsorpayment_add"), {
        "sponsor": deal.sponsor.pk, "amount_text": "3000.00", "currency": "USD",
        "received_on": IN_MARCH.isoformat(), "method": "wire", "reference": "W-LATE"},
        follow=True)  # fmt: skip
    assert "falls in March 2026, which is closed" in answer.content.decode()
    assert not SponsorPayment.objects.exists() and not Entry.objects.filter(
        source_type="sponsor_payment").exists()  # fmt: skip


def test_a_stripe_payment_dated_in_a_closed_month_waits_failed_with_the_reason(
    offline, campaign, deliver_all
):
    """Unlike a refund, a payment becomes a gift dated the day it was paid (its receipt says
    so): a closed month refuses it, and the event fails with the reason, listed for finance
    (the close checklist of the open month shows it) until the month is reopened."""
    from payments.models import Donation, StripeEvent

    donation = Donation.objects.create(campaign=campaign, fund=FundFactory(code="GEN"),
                                       amount=3000, currency="USD", frequency="once")  # fmt: skip
    session = offline.checkout_session(mode="payment", amount=3000, currency="usd",
                                       metadata={"donation_id": str(donation.pk)})  # fmt: skip
    close(timezone.localdate().replace(day=1))
    deliver_all(offline.pay_checkout(session, email="w@example.net", name="W X"))
    assert not Gift.objects.exists() and not Entry.objects.exists()
    failed = StripeEvent.objects.filter(status=StripeEvent.Status.FAILED)
    assert failed.exists() and "is closed" in failed.first().error
