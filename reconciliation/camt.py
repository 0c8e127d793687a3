"""ISO 20022 camt.053, the end-of-day statement most banks export, read strictly.

Refused, by name, before anything is written: XML with a DTD or entities (defusedxml), a
message that is not camt.053 (camt.052 intraday reports and camt.054 notifications are
not statements), a statement for another account, an entry in another currency, and a
statement whose opening balance plus its booked entries is not its closing balance.
Pending (PDNG) and information-only (INFO) entries are not booked, only counted.

Each entry keeps the bank's reference, the end-to-end id the payer gave, the structured
creditor reference (RF...), and the counterparty's name and IBAN: what a person matches by.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.core.exceptions import ValidationError

from backoffice.money import money_label, parse_amount

STATEMENT = re.compile(r"camt\.053\.001\.\d\d")
OTHER_MESSAGES = {
    "camt.052": "a camt.052 intraday account report",
    "camt.054": "a camt.054 debit/credit notification",
}


@dataclass
class CamtEntry:
    booked_on: dt.date
    amount: int
    description: str
    reference: str
    end_to_end_id: str = ""
    creditor_reference: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""


@dataclass
class CamtStatement:
    statement_id: str
    account: str
    sequence: int | None
    opening: int | None
    closing: int | None
    entries: list[CamtEntry] = field(default_factory=list)
    pending: int = 0


def normalise_account(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()


def _text(node, path: str) -> str:
    found = node.find(path) if node is not None else None
    return (found.text or "").strip() if found is not None and found.text else ""


def _signed(node, currency: str, where: str) -> int:
    amount = node.find("{*}Amt")
    if amount is None:
        raise ValidationError(f"{where}: no amount.")
    if amount.get("Ccy") != currency:
        raise ValidationError(f"{where}: in {amount.get('Ccy')}, the account is in {currency}.")
    try:
        value = parse_amount(amount.text or "", currency)
    except ValueError as exc:
        raise ValidationError(f"{where}: {exc}.") from exc
    return -value if _text(node, "{*}CdtDbtInd") == "DBIT" else value


def _balance(statement, code: str, currency: str, where: str) -> int | None:
    for bal in statement.iterfind("{*}Bal"):
        if _text(bal, "{*}Tp/{*}CdOrPrtry/{*}Cd") == code:
            return _signed(bal, currency, f"{where}, balance {code}")
    return None


def _status(entry) -> str:
    # camt.053.001.02 writes <Sts>BOOK</Sts>; later versions <Sts><Cd>BOOK</Cd></Sts>.
    return _text(entry, "{*}Sts/{*}Cd") or _text(entry, "{*}Sts") or "BOOK"


def _entry(entry, currency: str, where: str) -> CamtEntry:
    amount = _signed(entry, currency, where)
    day = _text(entry, "{*}BookgDt/{*}Dt") or _text(entry, "{*}BookgDt/{*}DtTm")
    try:
        booked = dt.date.fromisoformat(day[:10])
    except ValueError as exc:
        raise ValidationError(f"{where}: no booking date.") from exc
    tx = entry.find("{*}NtryDtls/{*}TxDtls")
    description = " ".join(
        (x.text or "").strip() for x in entry.iterfind(".//{*}RmtInf/{*}Ustrd")
    ) or _text(entry, "{*}AddtlNtryInf")
    end_to_end = _text(tx, "{*}Refs/{*}EndToEndId")
    # Money in: the other party is the debtor; money out: the creditor.
    side = "Dbtr" if amount > 0 else "Cdtr"
    name = _text(tx, f"{{*}}RltdPties/{{*}}{side}/{{*}}Pty/{{*}}Nm") or _text(
        tx, f"{{*}}RltdPties/{{*}}{side}/{{*}}Nm"
    )
    iban = _text(tx, f"{{*}}RltdPties/{{*}}{side}Acct/{{*}}Id/{{*}}IBAN")
    return CamtEntry(
        booked_on=booked, amount=amount, description=description[:500],
        reference=(_text(entry, "{*}AcctSvcrRef") or _text(entry, "{*}NtryRef"))[:200],
        end_to_end_id="" if end_to_end == "NOTPROVIDED" else end_to_end[:100],
        creditor_reference=_text(tx, "{*}RmtInf/{*}Strd/{*}CdtrRefInf/{*}Ref")[:100],
        counterparty_name=name[:200], counterparty_iban=normalise_account(iban)[:34],
    )  # fmt: skip


def read_camt053(data: bytes, *, account_id: str, currency: str) -> list[CamtStatement]:
    """Every statement in the file, checked; a ValidationError names the first problem."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ValidationError(
            f"The file declares a DTD or an entity ({type(exc).__name__}): refused. A bank "
            "statement never needs one."
        ) from exc
    except Exception as exc:  # ParseError and expat's errors
        raise ValidationError(f"The file is not well-formed XML: {exc}.") from exc
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    for prefix, what in OTHER_MESSAGES.items():
        if prefix in namespace:
            raise ValidationError(f"This is {what}, not a statement: export camt.053 (the "
                                  "end-of-day statement) from the bank.")  # fmt: skip
    if not STATEMENT.search(namespace):
        raise ValidationError(f"Not a camt.053 statement: its namespace is {namespace!r}.")
    statements = []
    for n, node in enumerate(root.iterfind("{*}BkToCstmrStmt/{*}Stmt"), start=1):
        where = f"statement {n}"
        said = normalise_account(
            _text(node, "{*}Acct/{*}Id/{*}IBAN") or _text(node, "{*}Acct/{*}Id/{*}Othr/{*}Id")
        )
        if said != normalise_account(account_id):
            raise ValidationError(f"{where} is for account {said or '(none given)'}, not "
                                  f"{account_id}.")  # fmt: skip
        sequence = _text(node, "{*}ElctrncSeqNb") or _text(node, "{*}LglSeqNb")
        statement = CamtStatement(
            statement_id=_text(node, "{*}Id")[:100], account=said,
            sequence=int(sequence) if sequence.isdigit() else None,
            opening=_balance(node, "OPBD", currency, where)
            if node.find("{*}Bal") is not None else None,
            closing=None,
        )  # fmt: skip
        if statement.opening is None:
            statement.opening = _balance(node, "PRCD", currency, where)
        statement.closing = _balance(node, "CLBD", currency, where)
        for m, entry in enumerate(node.iterfind("{*}Ntry"), start=1):
            if _status(entry) in ("PDNG", "INFO"):
                statement.pending += 1
                continue
            statement.entries.append(_entry(entry, currency, f"{where}, entry {m}"))
        if statement.opening is not None and statement.closing is not None:
            booked = sum(e.amount for e in statement.entries)
            if statement.opening + booked != statement.closing:
                raise ValidationError(
                    f"{where} ({statement.statement_id}): the opening balance "
                    f"{money_label(statement.opening, currency)} and the booked entries "
                    f"{money_label(booked, currency)} make "
                    f"{money_label(statement.opening + booked, currency)}, but the closing "
                    f"balance is {money_label(statement.closing, currency)}."
                )
        statements.append(statement)
    if not statements:
        raise ValidationError("The camt.053 file holds no statement (Stmt).")
    return statements
