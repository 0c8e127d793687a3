"""Bank statements: CSV imported with the column mapping saved for the account (re-importing
the same lines adds nothing), then matched to Stripe payouts and offline deposit batches.

Automatic matches, best first:
- one line, one payout or batch of the same amount within DATE_WINDOW days (confidence by
  how close the dates are);
- one line, several payouts arriving the same day that add up to it (many to one);
- several lines on one day that add up to one batch (one deposit slip banked in parts).
Everything else waits for a person: manual match and unmatch, who and when kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backoffice.money import parse_amount
from donors.models import GiftBatch
from payments.models import Payout
from reconciliation.models import BankAccount, BankLine, BankMatch, BankStatementImport

DATE_WINDOW = 3  # days between the bank's booking date and the payout's arrival date
CANDIDATE_WINDOW = 7  # days around a line within which a person is offered candidates
# A payout or batch already in a match that was not undone.
IN_A_LIVE_MATCH = {"bank_matches__isnull": False, "bank_matches__undone_at__isnull": True}


@dataclass
class BankImportReport:
    rows: int = 0
    added: int = 0
    already: int = 0
    errors: list[str] = field(default_factory=list)


def _amount(text: str, currency: str, *, decimal_comma: bool) -> int:
    text = text.strip().replace(" ", "").replace("\u00a0", "")
    # 1.234,56 (decimal comma) or 1,234.56: the thousands separator goes, the point stays.
    text = text.replace(".", "").replace(",", ".") if decimal_comma else text.replace(",", "")
    negative = text.startswith("-")
    text = text.lstrip("+-")
    minor = parse_amount(text, currency)
    return -minor if negative else minor


def _read_csv(account: BankAccount, data: bytes, name: str, report: BankImportReport) -> list:
    mapping = account.csv_mapping
    missing = [k for k in ("date", "amount") if not mapping.get(k)]
    if missing:
        raise ValidationError(f"{account} has no column set for: {', '.join(missing)}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("The file is not UTF-8 text.") from exc
    reader = csv.DictReader(io.StringIO(text), delimiter=mapping.get("delimiter", ","))
    absent = [mapping[k] for k in ("date", "amount", "description", "reference")
              if mapping.get(k) and mapping[k] not in (reader.fieldnames or [])]  # fmt: skip
    if absent:
        raise ValidationError(f"{name}: no column {', '.join(repr(a) for a in absent)}.")
    rows = []
    for line_no, row in enumerate(reader, start=2):
        report.rows += 1
        try:
            day_format = mapping.get("date_format", "%Y-%m-%d")
            booked = dt.datetime.strptime(row[mapping["date"]].strip(), day_format).date()
        except ValueError:
            report.errors.append(f"line {line_no}, {mapping['date']}: "
                                 f"{row[mapping['date']]!r} is not a date")  # fmt: skip
            continue
        try:
            amount = _amount(row[mapping["amount"]], account.currency,
                             decimal_comma=bool(mapping.get("decimal_comma")))  # fmt: skip
        except ValueError as exc:
            report.errors.append(f"line {line_no}, {mapping['amount']}: {exc}")
            continue
        description = (row.get(mapping.get("description") or "", "") or "").strip()[:500]
        reference = (row.get(mapping.get("reference") or "", "") or "").strip()[:200]
        rows.append((booked, amount, description, reference))
    return rows


def _read_camt053(account: BankAccount, data: bytes, report: BankImportReport) -> list:
    """ISO 20022 camt.053 (the statement most European banks export): one row per entry
    (Ntry), credits positive, debits negative, in the account's currency only."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise ValidationError(f"The CAMT file is not well-formed XML: {exc}.") from exc
    rows = []
    for n, entry in enumerate(root.iterfind(".//{*}Stmt/{*}Ntry"), start=1):
        report.rows += 1
        where = f"entry {n}"
        amount_node = entry.find("{*}Amt")
        day = entry.findtext("{*}BookgDt/{*}Dt") or entry.findtext("{*}BookgDt/{*}DtTm")
        if amount_node is None or not day:
            report.errors.append(f"{where}: no amount or booking date")
            continue
        if amount_node.get("Ccy") != account.currency:
            report.errors.append(f"{where}: in {amount_node.get('Ccy')}, the account is in "
                                 f"{account.currency}")  # fmt: skip
            continue
        try:
            amount = parse_amount(amount_node.text or "", account.currency)
            booked = dt.date.fromisoformat(day[:10])
        except ValueError as exc:
            report.errors.append(f"{where}: {exc}")
            continue
        if entry.findtext("{*}CdtDbtInd") == "DBIT":
            amount = -amount
        description = " ".join((x.text or "").strip() for x in entry.iterfind(".//{*}Ustrd")) or (
            entry.findtext("{*}AddtlNtryInf") or ""
        )
        reference = entry.findtext("{*}AcctSvcrRef") or entry.findtext("{*}NtryRef") or ""
        rows.append((booked, amount, description.strip()[:500], reference.strip()[:200]))
    return rows


def bank_statement_import(*, account: BankAccount, data: bytes, name: str, by) -> BankImportReport:
    """Read every row (CSV with the account's mapping, or camt.053 XML); a bad row is named
    and nothing is written. Lines already imported are not imported again."""
    report = BankImportReport()
    is_xml = data.lstrip()[:1] == b"<"
    rows = (_read_camt053(account, data, report) if is_xml
            else _read_csv(account, data, name, report))  # fmt: skip
    if report.errors:
        return report
    parsed, seen = [], Counter()
    for booked, amount, description, reference in rows:
        key = (booked.isoformat(), amount, description, reference)
        seen[key] += 1  # the same line twice in one file is two lines
        fingerprint = hashlib.sha256(repr((*key, seen[key])).encode()).hexdigest()
        parsed.append((booked, amount, description, reference, fingerprint))
    with transaction.atomic():
        have = set(BankLine.objects.filter(account=account, fingerprint__in=[p[4] for p in parsed])
                   .values_list("fingerprint", flat=True))  # fmt: skip
        statement = BankStatementImport.objects.create(
            account=account, file_name=name[:255], sha256=hashlib.sha256(data).hexdigest(),
            imported_by=by,
        )  # fmt: skip
        new = [BankLine(account=account, statement=statement, booked_on=b, amount=a,
                        description=d, reference=r, fingerprint=f)
               for b, a, d, r, f in parsed if f not in have]  # fmt: skip
        BankLine.objects.bulk_create(new)
        statement.lines_added = len(new)
        statement.save(update_fields=["lines_added"])
    report.added, report.already = len(new), len(parsed) - len(new)
    return report


def _near(day: dt.date, field_name: str) -> Q:
    return Q(**{f"{field_name}__gte": day - dt.timedelta(days=DATE_WINDOW),
                f"{field_name}__lte": day + dt.timedelta(days=DATE_WINDOW)})  # fmt: skip


def _confidence(line_day: dt.date, their_day: dt.date) -> int:
    return max(60, 100 - 10 * abs((line_day - their_day).days))


@transaction.atomic
def bank_auto_match(*, account: BankAccount) -> int:
    """Match what can be matched without a person; returns how many matches were made."""
    made = 0
    unmatched = list(BankLine.objects.filter(account=account, match__isnull=True, amount__gt=0,
                                             is_split=False))  # fmt: skip
    taken_payouts = set(
        Payout.objects.filter(bank_matches__isnull=False).values_list("pk", flat=True)
    )
    taken_batches = set(
        GiftBatch.objects.filter(bank_matches__isnull=False).values_list("pk", flat=True)
    )
    for line in unmatched:
        payout = (Payout.objects.filter(_near(line.booked_on, "arrival_date"), status="paid",
                                        amount=line.amount, currency=account.currency)
                  .exclude(pk__in=taken_payouts).order_by("arrival_date").first())  # fmt: skip
        if payout:
            apart = abs((line.booked_on - payout.arrival_date).days)
            _match(
                [line],
                payouts=[payout],
                batches=[],
                confidence=_confidence(line.booked_on, payout.arrival_date),
                reason=f"same amount as Stripe payout {payout.payout_id}, {apart} days apart",
            )
            taken_payouts.add(payout.pk)
            made += 1
            continue
        batch = (GiftBatch.objects.filter(_near(line.booked_on, "deposited_on"),
                                          status=GiftBatch.Status.CLOSED,
                                          expected_total=line.amount, currency=account.currency)
                 .exclude(pk__in=taken_batches).order_by("deposited_on").first())  # fmt: skip
        if batch:
            _match([line], payouts=[], batches=[batch],
                   confidence=_confidence(line.booked_on, batch.deposited_on),
                   reason=f"same amount as deposit batch {batch.reference}")  # fmt: skip
            taken_batches.add(batch.pk)
            made += 1
            continue
        same_day = list(Payout.objects.filter(arrival_date=line.booked_on, status="paid",
                                              currency=account.currency)
                        .exclude(pk__in=taken_payouts))  # fmt: skip
        if len(same_day) > 1 and sum(p.amount for p in same_day) == line.amount:
            _match([line], payouts=same_day, batches=[], confidence=80,
                   reason=f"{len(same_day)} Stripe payouts of that day add up to it")  # fmt: skip
            taken_payouts.update(p.pk for p in same_day)
            made += 1
    # Several lines of one day that add up to one batch (a slip banked in parts).
    by_day = defaultdict(list)
    for line in BankLine.objects.filter(account=account, match__isnull=True, amount__gt=0,
                                        is_split=False):  # fmt: skip
        by_day[line.booked_on].append(line)
    for day, lines in by_day.items():
        if len(lines) < 2:
            continue
        total = sum(x.amount for x in lines)
        batch = (GiftBatch.objects.filter(_near(day, "deposited_on"), expected_total=total,
                                          status=GiftBatch.Status.CLOSED,
                                          currency=account.currency)
                 .exclude(pk__in=taken_batches).first())  # fmt: skip
        if batch:
            said = f"{len(lines)} lines of {day} add up to batch {batch.reference}"
            _match(lines, payouts=[], batches=[batch], confidence=70, reason=said)
            taken_batches.add(batch.pk)
            made += 1
    return made


def unmatched_deposits(*, limit: int = 100) -> list[BankLine]:
    """Deposits not matched yet, each with `payouts` and `batches`: those of the same amount
    within CANDIDATE_WINDOW days that no live match holds. Three queries in all."""
    lines = list(BankLine.objects.filter(match__isnull=True, amount__gt=0, is_split=False)
                 .select_related("account")[:limit])  # fmt: skip
    if not lines:
        return lines
    window = dt.timedelta(days=CANDIDATE_WINDOW)
    first, last = min(x.booked_on for x in lines) - window, max(x.booked_on for x in lines) + window
    amounts = {x.amount for x in lines}
    payouts = list(Payout.objects.filter(arrival_date__range=(first, last), amount__in=amounts)
                   .exclude(**IN_A_LIVE_MATCH))  # fmt: skip
    batches = list(GiftBatch.objects.filter(deposited_on__range=(first, last),
                                            expected_total__in=amounts)
                   .exclude(**IN_A_LIVE_MATCH))  # fmt: skip
    for line in lines:
        near = (line.booked_on - window, line.booked_on + window)
        line.payouts = [p for p in payouts if p.amount == line.amount
                        and near[0] <= p.arrival_date <= near[1]][:5]  # fmt: skip
        line.batches = [b for b in batches if b.expected_total == line.amount
                        and near[0] <= b.deposited_on <= near[1]][:5]  # fmt: skip
    return lines


def _match(lines, *, payouts, batches, confidence: int, reason: str, by=None) -> BankMatch:
    match = BankMatch.objects.create(automatic=by is None, confidence=confidence,
                                     reason=reason, by=by)  # fmt: skip
    match.payouts.set(payouts)
    match.batches.set(batches)
    BankLine.objects.filter(pk__in=[x.pk for x in lines]).update(match=match)
    return match


@transaction.atomic
def bank_match_manual(*, lines, payouts=(), batches=(), by, note: str = "") -> BankMatch:
    """A person's match: the lines must add up to what they deposit, to the cent."""
    lines = list(BankLine.objects.select_for_update().filter(pk__in=[x.pk for x in lines]))
    if not lines or not (payouts or batches):
        raise ValidationError("Choose bank lines and what they deposit.")
    if taken := [x for x in lines if x.match_id or x.is_split]:
        raise ValidationError(f"Bank line of {taken[0].booked_on} is already matched or split.")
    total = sum(x.amount for x in lines)
    deposited = sum(p.amount for p in payouts) + sum(b.expected_total for b in batches)
    if total != deposited:
        raise ValidationError(f"The lines add up to {total}, what they deposit to {deposited} "
                              "(minor units): they must be equal.")  # fmt: skip
    return _match(lines, payouts=list(payouts), batches=list(batches), confidence=100,
                  reason=note.strip()[:300] or "matched by hand", by=by)  # fmt: skip


@transaction.atomic
def bank_line_split(*, line: BankLine, amounts: list[int], by) -> list[BankLine]:
    """Split one bank line into parts that add up to it (a deposit of a payout and a
    cheque, say); each part is then matched on its own. The line stays, marked split."""
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    if line.match_id or line.is_split:
        raise ValidationError("Only a line that is neither matched nor split can be split.")
    if len(amounts) < 2 or any(a == 0 for a in amounts) or sum(amounts) != line.amount:
        raise ValidationError(
            f"The parts must be two or more, none zero, and add up to {line.amount} "
            f"(minor units); they add up to {sum(amounts)}."
        )
    parts = BankLine.objects.bulk_create([
        BankLine(account=line.account, statement=line.statement, booked_on=line.booked_on,
                 amount=amount, description=line.description, reference=line.reference,
                 fingerprint=f"{line.fingerprint[:56]}-part{n}", split_from=line)
        for n, amount in enumerate(amounts, 1)
    ])  # fmt: skip
    line.is_split = True
    line.save(update_fields=["is_split"])
    return parts


@transaction.atomic
def bank_unmatch(*, match: BankMatch, by) -> BankMatch:
    """Undo a match: its lines are free again; the match stays on file, marked undone with
    who and when, with what it had matched."""
    match = BankMatch.objects.select_for_update().get(pk=match.pk)
    if match.undone_at is None:
        match.matched_lines = [x.pk for x in match.lines.all()]
        BankLine.objects.filter(match=match).update(match=None)
        match.undone_at, match.undone_by = timezone.now(), by
        match.save(update_fields=["undone_at", "undone_by", "matched_lines"])
    return match
