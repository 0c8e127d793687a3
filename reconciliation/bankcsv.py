"""Bank CSV exports as banks write them: lines of preamble before the header (the account,
the period, a balance), UTF-8 or Latin-1/Windows-1252, commas or semicolons, decimal
commas, one signed amount or separate debit and credit columns, pending rows among the
booked ones. What is not set in the account's mapping is detected, and said in the preview.

The mapping (BankAccount.csv_mapping), every key optional but the date and the money:
  date, amount | debit + credit, description, reference, counterparty, counterparty_iban,
  date_format ("%d.%m.%Y"), decimal_comma (true/false), delimiter (";"), encoding,
  skip_when {"column": "Info", "contains": "vorgemerkt"}  (pending rows, not booked),
  account_column (the column naming the account: every row must name this one).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from backoffice.money import parse_amount
from reconciliation.camt import normalise_account

IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")
HEADER_SEARCH = 40  # lines: banks' preambles are a dozen at most


@dataclass
class CsvRow:
    line: int
    booked_on: dt.date
    amount: int
    description: str
    reference: str
    counterparty_name: str = ""
    counterparty_iban: str = ""


@dataclass
class CsvReading:
    rows: list[CsvRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: int = 0
    encoding: str = ""
    delimiter: str = ""
    header_line: int = 0
    decimal_comma: bool = False


def _decode(data: bytes, mapping: dict) -> tuple[str, str]:
    if encoding := mapping.get("encoding"):
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise ValidationError(f"The file is not {encoding} text: {exc}.") from exc
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # Windows-1252 is Latin-1 with printable characters where Latin-1 has controls;
        # every byte decodes, so the preview is where a person sees it was right.
        return data.decode("cp1252", errors="replace"), "windows-1252"


def _cells(line: str, delimiter: str) -> list[str]:
    return [c.strip() for c in next(csv.reader([line], delimiter=delimiter), [])]


def _find_header(lines: list[str], wanted: list[str], mapping: dict) -> tuple[int, str]:
    delimiters = [mapping["delimiter"]] if mapping.get("delimiter") else [";", ",", "\t"]
    for index, line in enumerate(lines[:HEADER_SEARCH]):
        for delimiter in delimiters:
            if all(name in _cells(line, delimiter) for name in wanted):
                return index, delimiter
    raise ValidationError(
        f"No header line with the columns {', '.join(repr(w) for w in wanted)} in the first "
        f"{HEADER_SEARCH} lines: is this the right account's layout?"
    )


def _amount(text: str, currency: str, decimal_comma: bool) -> int:
    text = text.strip().replace(" ", "").replace("\u00a0", "").replace("'", "")
    for symbol in ("€", "$", "£", currency):
        text = text.replace(symbol, "")
    if not text:
        return 0
    text = text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", "")
    negative = text.startswith("-") or (text.startswith("(") and text.endswith(")"))
    minor = parse_amount(text.strip("+-()"), currency)
    return -minor if negative else minor


def _looks_decimal_comma(values: list[str]) -> bool:
    comma = sum(bool(re.search(r",\d{1,3}$", v.strip())) for v in values)
    point = sum(bool(re.search(r"\.\d{1,2}$", v.strip())) for v in values)
    return comma > point


def read_bank_csv(data: bytes, *, mapping: dict, currency: str, account_number: str) -> CsvReading:
    """Every row read (or named with its line and column in `errors`); nothing written."""
    reading = CsvReading()
    money = ["amount"] if mapping.get("amount") else ["debit", "credit"]
    missing = [k for k in ("date", *money) if not mapping.get(k)]
    if missing:
        raise ValidationError(f"The account's layout has no column set for: {', '.join(missing)}.")
    text, reading.encoding = _decode(data, mapping)
    lines = text.splitlines()
    wanted = [mapping[k] for k in ("date", *money)]
    index, reading.delimiter = _find_header(lines, wanted, mapping)
    reading.header_line = index + 1
    said = {normalise_account(m) for line in lines[:index] for m in IBAN.findall(line)}
    if said and account_number and normalise_account(account_number) not in said:
        raise ValidationError(f"The file is for account {', '.join(sorted(said))}, not "
                              f"{account_number}.")  # fmt: skip
    reader = csv.DictReader(io.StringIO("\n".join(lines[index:])), delimiter=reading.delimiter)
    records = [(index + n, r) for n, r in enumerate(reader, start=2) if any((r or {}).values())]
    if "decimal_comma" in mapping:
        reading.decimal_comma = bool(mapping["decimal_comma"])
    else:
        values = [r.get(mapping[k]) or "" for _, r in records[:200] for k in money]
        reading.decimal_comma = _looks_decimal_comma(values)
    skip = mapping.get("skip_when") or {}
    day_format = mapping.get("date_format", "%Y-%m-%d")
    for line, record in records:

        def get(key: str, record: dict = record) -> str:
            return (record.get(mapping.get(key) or "", "") or "").strip()

        if skip and skip.get("contains", "\0").lower() in (record.get(skip.get("column"), "")
                                                           or "").lower():  # fmt: skip
            reading.skipped += 1
            continue
        if column := mapping.get("account_column"):
            named = normalise_account(record.get(column) or "")
            if account_number and named and named != normalise_account(account_number):
                reading.errors.append(f"line {line}, {column}: the row is for account {named}, "
                                      f"not {account_number}")  # fmt: skip
                continue
        try:
            booked = dt.datetime.strptime(get("date"), day_format).date()
        except ValueError:
            like = dt.date(2026, 3, 31).strftime(day_format)
            reading.errors.append(f"line {line}, {mapping['date']}: {get('date')!r} is not a "
                                  f"date like {like}")  # fmt: skip
            continue
        try:
            if mapping.get("amount"):
                amount = _amount(get("amount"), currency, reading.decimal_comma)
            else:  # separate columns: what came in, less what went out
                amount = _amount(get("credit"), currency, reading.decimal_comma) - abs(
                    _amount(get("debit"), currency, reading.decimal_comma)
                )
        except ValueError as exc:
            column = mapping.get("amount") or f"{mapping['debit']}/{mapping['credit']}"
            reading.errors.append(f"line {line}, {column}: {exc}")
            continue
        reading.rows.append(CsvRow(
            line=line, booked_on=booked, amount=amount, description=get("description")[:500],
            reference=get("reference")[:200], counterparty_name=get("counterparty")[:200],
            counterparty_iban=normalise_account(get("counterparty_iban"))[:34],
        ))  # fmt: skip
    return reading
