"""Bank statements: imported with the account's saved mapping (again: nothing twice, a bad
row named and nothing written), matched to payouts and deposit batches automatically with a
confidence and a reason, or by hand; an undone match stays on file."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from donors.models import GiftBatch
from payments.models import Payout
from reconciliation.bank import (
    bank_auto_match,
    bank_match_manual,
    bank_statement_import,
    bank_unmatch,
)
from reconciliation.models import BankAccount, BankLine, BankMatch

pytestmark = pytest.mark.django_db

EUROPEAN = {"date": "Buchungstag", "amount": "Betrag", "description": "Verwendungszweck",
            "reference": "Referenz", "date_format": "%d.%m.%Y", "decimal_comma": True,
            "delimiter": ";"}  # fmt: skip


@pytest.fixture
def account():
    return BankAccount.objects.create(name="Harbor Trust checking", currency="USD",
                                      account_number="US00HARB0000000012345",
                                      csv_mapping=EUROPEAN)  # fmt: skip


def _csv(*rows: str) -> bytes:
    return ("Buchungstag;Betrag;Verwendungszweck;Referenz\n" + "\n".join(rows) + "\n").encode()


def _payout(pid, amount, day):
    return Payout.objects.create(payout_id=pid, amount=amount, currency="USD", status="paid",
                                 arrival_date=day, created=timezone.now())  # fmt: skip


def _batch(ref, total, day):
    from tests.factories import UserFactory

    return GiftBatch.objects.create(
        reference=ref, deposited_on=day, currency="USD", expected_count=1,
        expected_total=total, status="closed", created_by=UserFactory(),
    )  # fmt: skip


def test_a_statement_is_read_with_the_saved_mapping_and_imported_once(account):
    data = _csv(
        "02.06.2026;1.234,56;STRIPE PAYOUT;po_1", "02.06.2026;-12,00;Fee;", "02.06.2026;-12,00;Fee;"
    )  # the same line twice in the file: two lines
    first = bank_statement_import(account=account, data=data, name="june.csv", by=None)
    assert (first.added, first.errors) == (3, [])
    line = BankLine.objects.get(reference="po_1")
    assert (line.booked_on, line.amount) == (dt.date(2026, 6, 2), 123_456)
    again = bank_statement_import(account=account, data=data, name="june-again.csv", by=None)
    assert (again.added, again.already) == (0, 3) and BankLine.objects.count() == 3


def test_a_bad_row_is_named_and_nothing_is_written(account):
    report = bank_statement_import(account=account, by=None, name="bad.csv",
                                   data=_csv("02.06.2026;10,00;ok;", "31.02.2026;5,00;x;",
                                             "03.06.2026;zehn;y;"))  # fmt: skip
    assert report.errors == ["line 3, Buchungstag: '31.02.2026' is not a date like 31.03.2026",
                             "line 4, Betrag: amount 'zehn' is not a number (write it like "
                             "1234.50)"]  # fmt: skip
    assert not BankLine.objects.exists()


def test_lines_match_payouts_and_batches_one_to_one_many_to_one_and_one_to_many(account):
    june = dt.date(2026, 6, 2)
    single = _payout("po_single", 50_000, june - dt.timedelta(days=1))
    twin_a, twin_b = _payout("po_a", 30_000, june), _payout("po_b", 12_345, june)
    slip = _batch("DEP-7", 25_000, june)
    split_slip = _batch("DEP-8", 9_000, dt.date(2026, 6, 5))
    bank_statement_import(account=account, by=None, name="june.csv", data=_csv(
        "02.06.2026;500,00;STRIPE;", "02.06.2026;423,45;STRIPE;", "02.06.2026;250,00;DEPOSIT;",
        "05.06.2026;40,00;DEPOSIT part 1;", "05.06.2026;50,00;DEPOSIT part 2;",
        "06.06.2026;77,77;who is this;"))  # fmt: skip
    assert bank_auto_match(account=account) == 4
    by_amount = {x.amount: x.match for x in BankLine.objects.select_related("match")}
    assert list(by_amount[50_000].payouts.all()) == [single]
    assert by_amount[50_000].confidence == 90 and "1 days apart" in by_amount[50_000].reason
    assert set(by_amount[42_345].payouts.all()) == {twin_a, twin_b}  # many to one
    assert list(by_amount[25_000].batches.all()) == [slip]
    assert by_amount[4_000] == by_amount[5_000] and list(by_amount[4_000].batches.all()) == [
        split_slip]  # one slip banked as two lines  # fmt: skip
    assert by_amount[7_777] is None  # for a person
    assert bank_auto_match(account=account) == 0  # nothing twice


def test_a_person_matches_and_unmatches_and_both_are_kept(account, finance_user):
    bank_statement_import(account=account, by=None, name="j.csv",
                          data=_csv("09.06.2026;77,77;wire from a sponsor;"))  # fmt: skip
    line = BankLine.objects.get()
    batch = _batch("DEP-9", 7_700, dt.date(2026, 6, 9))
    off = r"difference of \$0.77 is more than .* tolerance of \$0.00"
    with pytest.raises(ValidationError, match=off):
        bank_match_manual(lines=[line], batches=[batch], by=finance_user)
    payout = _payout("po_late", 7_777, dt.date(2026, 6, 1))  # outside the date window
    match = bank_match_manual(lines=[line], payouts=[payout], by=finance_user,
                              note="late payout, checked with Stripe")  # fmt: skip
    assert (match.automatic, match.confidence, match.by) == (False, 100, finance_user)
    bank_unmatch(match=match, by=finance_user)
    line.refresh_from_db()
    undone = BankMatch.objects.get()
    assert line.match is None and undone.undone_by == finance_user
    assert undone.matched_lines == [line.pk] and undone.reason.startswith("late payout")


def test_a_month_with_an_unmatched_deposit_does_not_close(account, finance_user):
    from reconciliation.periods import period_close

    bank_statement_import(account=account, by=None, name="j.csv",
                          data=_csv("09.06.2026;77,77;unknown wire;"))  # fmt: skip
    with pytest.raises(
        ValidationError, match="every bank line of the month is matched or explained: 1 not matched"
    ):
        period_close(month=dt.date(2026, 6, 1), by=finance_user)
    period_close(month=dt.date(2026, 5, 1), by=finance_user)  # May has nothing open


def test_each_gift_shows_where_its_money_is(account, fake_stripe, admin_client_mfa):
    from django.urls import reverse

    from donors.models import Gift
    from donors.services import batch_close, batch_open, gift_record
    from reconciliation.services import payouts_sync
    from tests.factories import FundFactory, UserFactory
    from tests.reconciliation import payout_world as w

    ch, txn = w.charge(fake_stripe.world, 5_000)
    online = w.recorded(ch).gift
    payout = w.pay_out(fake_stripe.world, [txn])
    payouts_sync()
    clerk = UserFactory()
    batch = batch_open(reference="DEP-11", deposited_on=dt.date(2026, 6, 9), currency="USD",
                       expected_count=1, expected_total=2_000, by=clerk)  # fmt: skip
    entered = Gift(donor=online.donor, amount=2_000, currency="USD", batch=batch,
                   received_on=dt.date(2026, 6, 9), method="cheque")  # fmt: skip
    cheque = gift_record(gift=entered, split=[(FundFactory(), 2_000)], by=clerk)
    batch_close(batch=batch, by=clerk)

    def trail(gift):
        page = admin_client_mfa.get(reverse("admin:donors_gift_change", args=[gift.pk]))
        return page.content.decode()

    said = trail(online)
    assert f"Stripe payout {payout['id']} (reconciled) · not yet seen in the bank" in said
    assert "deposit DEP-11" in trail(cheque) and "not yet matched to the bank" in trail(cheque)
    bank_statement_import(account=account, by=None, name="j.csv",
                          data=_csv("10.06.2026;20,00;DEPOSIT DEP-11;"))  # fmt: skip
    bank_auto_match(account=account)
    assert "in the bank 2026-06-10 (reconciled)" in trail(cheque)


def test_finance_imports_a_statement_and_matches_a_line_by_hand_on_the_bank_page(
    account, finance_client
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    late = _payout("po_late", 7_777, dt.date(2026, 6, 4))  # five days off: not automatic
    upload = SimpleUploadedFile("june.csv", _csv("09.06.2026;77,77;STRIPE;"))
    preview = finance_client.post(
        reverse("bank_lines"), {"account": account.pk, "statement": upload}
    ).content.decode()
    assert "Read as format: <strong>CSV</strong>" in preview and "$77.77" in preview
    assert not BankLine.objects.exists()  # a preview writes nothing
    finance_client.post(reverse("bank_lines"), {"import_previewed": "1"})
    page = finance_client.get(reverse("bank_lines")).content.decode()
    assert "1 lines imported (0 already there); 0 matches made" in page
    assert f"payout {late.payout_id}" in page  # offered as a candidate
    line = BankLine.objects.get()
    finance_client.post(reverse("bank_lines"),
                       {"line": line.pk, "kind": "payouts", "item": late.pk})  # fmt: skip
    line.refresh_from_db()
    assert line.match.by is not None and not line.match.automatic
    page = finance_client.get(reverse("bank_lines")).content.decode()
    assert "Every bank line is matched" in page and f"payout {late.payout_id} (" not in page


CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt>
<Acct><Id><Othr><Id>US00HARB0000000012345</Id></Othr></Id></Acct>
<Ntry><Amt Ccy="USD">423.45</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-06-02</Dt></BookgDt>
<AcctSvcrRef>BANK-1</AcctSvcrRef><NtryDtls><TxDtls><RmtInf><Ustrd>STRIPE PAYOUT</Ustrd></RmtInf>
</TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="USD">12.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-06-03</Dt></BookgDt>
<AddtlNtryInf>Account fee</AddtlNtryInf></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


def test_a_camt053_statement_is_imported_once(account):
    first = bank_statement_import(account=account, data=CAMT.encode(), name="june.xml", by=None)
    assert (first.added, first.errors) == (2, [])
    lines = {x.amount: x for x in BankLine.objects.all()}
    assert lines[42_345].reference == "BANK-1" and lines[42_345].description == "STRIPE PAYOUT"
    assert lines[-1_200].description == "Account fee"
    again = bank_statement_import(account=account, data=CAMT.encode(), name="j.xml", by=None)
    assert again.added == 0
    euros = CAMT.replace('Ccy="USD">12.00', 'Ccy="EUR">12.00')
    bad = bank_statement_import(account=account, data=euros.encode(), name="x.xml", by=None)
    assert bad.errors == ["statement 1, entry 2: in EUR, the account is in USD."]


def test_a_line_is_split_and_each_part_matched_on_its_own(account, finance_client):
    from django.urls import reverse

    payout = _payout("po_x", 30_000, dt.date(2026, 6, 2))
    slip = _batch("DEP-12", 12_345, dt.date(2026, 6, 2))
    bank_statement_import(account=account, by=None, name="j.csv",
                          data=_csv("02.06.2026;423,45;STRIPE + CHEQUES;"))  # fmt: skip
    line = BankLine.objects.get()
    assert bank_auto_match(account=account) == 0  # no single payout or batch is 423.45
    page = finance_client.post(reverse("bank_lines"), {"split": line.pk, "parts": "300.00 100.00"},
                               follow=True)  # fmt: skip
    assert "add up to $423.45" in page.content.decode()  # refused: 400.00 is not 423.45
    finance_client.post(reverse("bank_lines"), {"split": line.pk, "parts": "300.00 123.45"})
    line.refresh_from_db()
    assert line.is_split and sorted(p.amount for p in line.parts.all()) == [12_345, 30_000]
    assert bank_auto_match(account=account) == 2  # each part finds its own
    assert {p.match.payouts.first() or p.match.batches.first() for p in line.parts.all()} == {
        payout, slip}  # fmt: skip
