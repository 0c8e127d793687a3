"""Bank files as banks write them. camt.053 keeps what a person matches by (end-to-end id,
structured creditor reference, counterparty name and IBAN), checks its balances and its
account, books no pending entry, and refuses other messages and any DTD or entity by name.
Bank CSV exports with preamble lines, in Latin-1 with semicolons and decimal commas, or
with debit and credit columns, are read (detected where the layout does not say), with a
preview first. Whatever is refused writes nothing."""

import pytest

from reconciliation.bank import bank_statement_import, bank_statement_preview
from reconciliation.models import BankAccount, BankLine, BankStatementImport

pytestmark = pytest.mark.django_db

IBAN = "DE89370400440532013000"


@pytest.fixture
def account():
    return BankAccount.objects.create(name="Girokonto", currency="EUR", account_number=IBAN)


def camt(
    entries: str,
    *,
    account=IBAN,
    opening="100.00",
    closing="150.00",
    sequence=7,
    namespace="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
    prologue="",
) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>{prologue}
<Document xmlns="{namespace}"><BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId></GrpHdr><Stmt>
<Id>STMT-{sequence}</Id><ElctrncSeqNb>{sequence}</ElctrncSeqNb>
<Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{opening}</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-06-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing}</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-06-30</Dt></Dt></Bal>
{entries}</Stmt></BkToCstmrStmt></Document>""".encode()


GIFT_IN = """<Ntry><Amt Ccy="EUR">80.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-06-03</Dt></BookgDt><AcctSvcrRef>BANK-REF-1</AcctSvcrRef>
<NtryDtls><TxDtls><Refs><EndToEndId>HAT-GIFT-2041</EndToEndId></Refs>
<RltdPties><Dbtr><Nm>Lena Fischer</Nm></Dbtr>
<DbtrAcct><Id><IBAN>DE02 1203 0000 0000 2020 51</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Ustrd>Spende Freedom Fest</Ustrd>
<Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf>
</TxDtls></NtryDtls></Ntry>"""
FEE_OUT = """<Ntry><Amt Ccy="EUR">30.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><DtTm>2026-06-04T10:00:00+02:00</DtTm></BookgDt><AddtlNtryInf>Kontoführung</AddtlNtryInf>
<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
<RltdPties><Cdtr><Pty><Nm>Musterbank AG</Nm></Pty></Cdtr></RltdPties></TxDtls></NtryDtls></Ntry>"""
PENDING = """<Ntry><Amt Ccy="EUR">999.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>PDNG</Sts>
<BookgDt><Dt>2026-06-05</Dt></BookgDt></Ntry>"""


def test_camt053_keeps_references_and_counterparties_and_books_no_pending_entry(account):
    report = bank_statement_import(account=account, data=camt(GIFT_IN + FEE_OUT + PENDING),
                                   name="juni.xml", by=None)  # fmt: skip
    assert (report.errors, report.added, report.pending) == ([], 2, 1)
    gift = BankLine.objects.get(amount=8_000)
    assert (gift.reference, gift.end_to_end_id, gift.creditor_reference) == (
        "BANK-REF-1", "HAT-GIFT-2041", "RF18539007547034")  # fmt: skip
    assert (gift.counterparty_name, gift.counterparty_iban) == (
        "Lena Fischer",
        "DE02120300000000202051",
    )
    fee = BankLine.objects.get(amount=-3_000)
    assert (fee.end_to_end_id, fee.counterparty_name, str(fee.booked_on)) == (
        "", "Musterbank AG", "2026-06-04")  # fmt: skip
    statement = BankStatementImport.objects.get()
    assert (statement.statement_id, statement.sequence, statement.opening_balance,
            statement.closing_balance) == ("STMT-7", 7, 10_000, 15_000)  # fmt: skip


def test_a_statement_that_does_not_add_up_is_refused_with_its_balances(account):
    report = bank_statement_import(account=account, data=camt(GIFT_IN, closing="170.00"),
                                   name="juni.xml", by=None)  # fmt: skip
    assert report.errors == [
        "statement 1 (STMT-7): the opening balance €100.00 and the booked entries €80.00 "
        "make €180.00, but the closing balance is €170.00."
    ]
    assert not BankLine.objects.exists() and not BankStatementImport.objects.exists()


def test_a_gap_in_the_statement_sequence_is_said(account):
    bank_statement_import(account=account, data=camt(GIFT_IN, closing="180.00", sequence=7),
                          name="7.xml", by=None)  # fmt: skip
    later = bank_statement_import(
        account=account, data=camt(FEE_OUT, opening="180.00", closing="150.00", sequence=10),
        name="10.xml", by=None,
    )  # fmt: skip
    assert later.notes == ["statement 8 to 9 is missing: the last imported was 7, this file "
                           "starts at 10"]  # fmt: skip
    assert BankStatementImport.objects.get(sequence=10).note == later.notes[0]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (camt(GIFT_IN, closing="180.00", account="NL26VAYB8060476890"),
         "statement 1 is for account NL26VAYB8060476890, not DE89370400440532013000."),
        (camt(GIFT_IN, namespace="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"),
         "This is a camt.052 intraday account report, not a statement: export camt.053 (the "
         "end-of-day statement) from the bank."),
        (camt(GIFT_IN, namespace="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"),
         "This is a camt.054 debit/credit notification, not a statement: export camt.053 (the "
         "end-of-day statement) from the bank."),
        (camt(GIFT_IN, namespace="urn:example:not-iso"),
         "Not a camt.053 statement: its namespace is 'urn:example:not-iso'."),
        (b"<Document><unclosed></Document>", "The file is not well-formed XML"),
    ],
)  # fmt: skip
def test_what_is_not_this_accounts_statement_is_refused_by_name(account, data, said):
    report = bank_statement_import(account=account, data=data, name="x.xml", by=None)
    assert report.errors and report.errors[0].startswith(said)
    assert not BankLine.objects.exists() and not BankStatementImport.objects.exists()


@pytest.mark.parametrize(
    "prologue",
    [
        # A billion laughs: entities within entities.
        '<!DOCTYPE d [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        # An external parameter entity (the file would fetch or read what it names).
        '<!DOCTYPE d [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>',
        # A DTD alone, with no entity at all.
        '<!DOCTYPE Document SYSTEM "camt.053.001.02.dtd">',
    ],
)
def test_hostile_xml_is_refused_and_writes_nothing(account, prologue):
    report = bank_statement_import(account=account, data=camt(GIFT_IN, closing="180.00",
                                                              prologue=prologue),
                                   name="evil.xml", by=None)  # fmt: skip
    assert report.errors and report.errors[0].startswith("The file declares a DTD or an entity")
    assert not BankLine.objects.exists() and not BankStatementImport.objects.exists()


def test_an_account_without_its_number_imports_nothing(account):
    account.account_number = ""
    account.save()
    report = bank_statement_import(account=account, data=camt(GIFT_IN, closing="180.00"),
                                   name="x.xml", by=None)  # fmt: skip
    assert report.errors == ["Girokonto (EUR) has no IBAN or account number: set it first, so that "
                             "a statement for another account is refused."]  # fmt: skip


# --- CSV exports as banks write them -----------------------------------------------------

PREAMBLE_UTF8 = f'''\ufeff"Girokonto";"{IBAN}"

"Kontostand vom 30.06.2026:";"4.093,32 €"
""
"Buchungsdatum";"Wertstellung";"Status";"Zahlungspflichtige*r";"Zweck";"IBAN";"Betrag (€)"
"08.06.26";"08.06.26";"Gebucht";"Lena Fischer";"Spende";"DE02120300000000202051";"200"
"05.06.26";"05.06.26";"Gebucht";"Stadtwerke";"Strom";"DE02120300000000202052";"-62,3"
"04.06.26";"04.06.26";"Vorgemerkt";"Noch offen";"Spende";"";"1.000,00"
'''.encode()  # fmt: skip


def test_a_csv_with_preamble_lines_is_read_after_its_header_and_pending_rows_are_skipped(account):
    account.csv_mapping = {"date": "Buchungsdatum", "amount": "Betrag (€)",
                           "description": "Zweck",
                           "counterparty": "Zahlungspflichtige*r", "counterparty_iban": "IBAN",
                           "date_format": "%d.%m.%y",
                           "skip_when": {"column": "Status", "contains": "vorgemerkt"}}  # fmt: skip
    account.save()
    preview = bank_statement_preview(account=account, data=PREAMBLE_UTF8)
    assert preview.errors == []
    assert preview.detected == {"format": "CSV", "encoding": "utf-8", "delimiter": ";",
                                "header line": 5, "decimal comma": True}  # fmt: skip
    assert [(r["amount"], r["counterparty_name"]) for r in preview.preview] == [
        (20_000, "Lena Fischer"), (-6_230, "Stadtwerke")]  # fmt: skip
    assert not BankLine.objects.exists()  # a preview writes nothing
    report = bank_statement_import(account=account, data=PREAMBLE_UTF8, name="dkb.csv", by=None)
    assert (report.errors, report.added, report.pending) == ([], 2, 1)
    assert BankLine.objects.get(amount=20_000).counterparty_iban == "DE02120300000000202051"


def test_a_csv_for_another_account_is_refused(account):
    account.csv_mapping = {"date": "Buchungsdatum", "amount": "Betrag (€)",
                           "date_format": "%d.%m.%y"}  # fmt: skip
    account.account_number = "DE02120300000000202099"
    account.save()
    report = bank_statement_import(account=account, data=PREAMBLE_UTF8, name="dkb.csv", by=None)
    assert report.errors == [f"The file is for account {IBAN}, not DE02120300000000202099."]
    assert not BankLine.objects.exists()


LATIN1 = """Umsatzanzeige;Datei erstellt am: 01.07.2026 15:23

IBAN;DE89 3704 0044 0532 0130 00
Kontoname;Girokonto
Zeitraum;01.06.2026 - 30.06.2026

Buchung;Wertstellungsdatum;Auftraggeber/Empfänger;Buchungstext;Verwendungszweck;Betrag;Währung
09.06.2026;09.06.2026;Jürgen Müßig;Gutschrift;Spende für die Aufklärung;1.250,00;EUR
08.06.2026;08.06.2026;Gebühren;Entgelt;Kontoführung;-4,95;EUR
""".encode("latin-1")


def test_a_latin1_csv_with_semicolons_and_decimal_commas_is_detected(account):
    account.csv_mapping = {"date": "Buchung", "amount": "Betrag",
                           "description": "Verwendungszweck",
                           "counterparty": "Auftraggeber/Empfänger",
                           "date_format": "%d.%m.%Y"}  # fmt: skip
    account.save()
    report = bank_statement_import(account=account, data=LATIN1, name="ing.csv", by=None)
    assert (report.errors, report.added) == ([], 2)
    assert report.detected["encoding"] == "windows-1252" and report.detected["decimal comma"]
    gift = BankLine.objects.get(amount=125_000)
    assert (gift.counterparty_name, gift.description) == ("Jürgen Müßig",
                                                          "Spende für die Aufklärung")  # fmt: skip
    assert BankLine.objects.get(amount=-495).description == "Kontoführung"


DEBIT_CREDIT = b"""Date,Description,Debit,Credit,Balance
2026-06-02,STRIPE PAYOUT po_1,,"1,234.56","5,234.56"
2026-06-03,Cheque 1042 to printer,120.00,,"5,114.56"
2026-06-03,bad row,abc,,
"""


def test_separate_debit_and_credit_columns_and_a_bad_row_named_writes_nothing(account):
    account.csv_mapping = {"date": "Date", "debit": "Debit", "credit": "Credit",
                           "description": "Description"}  # fmt: skip
    account.currency = "USD"
    account.save()
    report = bank_statement_import(account=account, data=DEBIT_CREDIT, name="us.csv", by=None)
    assert report.errors == ["line 4, Debit/Credit: amount 'abc' is not a number (write it "
                             "like 1234.50)"]  # fmt: skip
    assert not BankLine.objects.exists()
    fixed = DEBIT_CREDIT.replace(b"2026-06-03,bad row,abc,,\n", b"")
    report = bank_statement_import(account=account, data=fixed, name="us.csv", by=None)
    assert (report.errors, report.added) == ([], 2)
    assert sorted(BankLine.objects.values_list("amount", flat=True)) == [-12_000, 123_456]
