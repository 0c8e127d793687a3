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

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backoffice.money import money_label
from backoffice.permissions import require_permission
from donors.models import GiftBatch
from payments.models import Payout
from reconciliation.models import (
    BankAccount,
    BankLine,
    BankMatch,
    BankRule,
    BankStatementImport,
)

# An automatic match this sure (the same amount the same day or the next, a saved rule) is
# accepted at once; a less sure one is proposed, for a person to accept (all at once if
# they agree) or reject.
AUTO_ACCEPT = 90
DATE_WINDOW = 3  # days between the bank's booking date and the payout's arrival date
CANDIDATE_WINDOW = 7  # days around a line within which a person is offered candidates
# A payout or batch already in a match that was not undone.
IN_A_LIVE_MATCH = {"bank_matches__isnull": False, "bank_matches__undone_at__isnull": True}


@dataclass
class BankImportReport:
    rows: int = 0
    added: int = 0
    already: int = 0
    pending: int = 0  # pending or information-only entries: read, not booked
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # a gap in the statement sequence...
    detected: dict = field(default_factory=dict)  # how a CSV was read (for the preview)
    preview: list = field(default_factory=list)  # the first rows, as read


@dataclass
class _Read:
    """A statement file read and checked, before anything is written."""

    lines: list[dict]
    statements: list = field(default_factory=list)  # camt.053's, with their balances


def _read(account: BankAccount, data: bytes, report: BankImportReport) -> _Read:
    from reconciliation.bankcsv import read_bank_csv
    from reconciliation.camt import read_camt053

    if not account.account_number:
        raise ValidationError(f"{account} has no IBAN or account number: set it first, so "
                              "that a statement for another account is refused.")  # fmt: skip
    if data.lstrip()[:1] == b"<":
        statements = read_camt053(data, account_id=account.account_number,
                                  currency=account.currency)  # fmt: skip
        lines = [vars(e) for s in statements for e in s.entries]
        report.rows = len(lines) + sum(s.pending for s in statements)
        report.pending = sum(s.pending for s in statements)
        report.detected = {"format": "camt.053", "statements": len(statements)}
        return _Read(lines=lines, statements=statements)
    reading = read_bank_csv(data, mapping=account.csv_mapping, currency=account.currency,
                            account_number=account.account_number)  # fmt: skip
    report.errors += reading.errors
    report.rows = len(reading.rows) + len(reading.errors) + reading.skipped
    report.pending = reading.skipped
    report.detected = {"format": "CSV", "encoding": reading.encoding,
                       "delimiter": reading.delimiter, "header line": reading.header_line,
                       "decimal comma": reading.decimal_comma}  # fmt: skip
    lines = [{k: v for k, v in vars(r).items() if k != "line"} for r in reading.rows]
    return _Read(lines=lines)


def bank_statement_preview(*, account: BankAccount, data: bytes) -> BankImportReport:
    """What an import of the file would do, written nowhere: how it was read, its first
    rows, and the errors that would refuse it."""
    report = BankImportReport()
    try:
        read = _read(account, data, report)
    except ValidationError as exc:
        report.errors += exc.messages
        return report
    report.preview = read.lines[:20]
    report.added = len(read.lines)
    return report


def bank_statement_import(*, account: BankAccount, data: bytes, name: str, by) -> BankImportReport:
    """Read every row (CSV with the account's layout, or camt.053 XML); a bad row or a
    statement that does not add up is named and nothing is written. Lines already
    imported are not imported again."""
    report = BankImportReport()
    try:
        read = _read(account, data, report)
    except ValidationError as exc:
        report.errors += exc.messages
        return report
    if report.errors:
        return report
    parsed, seen = [], Counter()
    for row in read.lines:
        key = (row["booked_on"].isoformat(), row["amount"], row["description"], row["reference"])
        seen[key] += 1  # the same line twice in one file is two lines
        fingerprint = hashlib.sha256(repr((*key, seen[key])).encode()).hexdigest()
        parsed.append((row, fingerprint))
    with transaction.atomic():
        have = set(BankLine.objects.filter(account=account, fingerprint__in=[f for _, f in parsed])
                   .values_list("fingerprint", flat=True))  # fmt: skip
        first = read.statements[0] if read.statements else None
        last = read.statements[-1] if read.statements else None
        statement = BankStatementImport.objects.create(
            account=account, file_name=name[:255], sha256=hashlib.sha256(data).hexdigest(),
            imported_by=by, statement_id=first.statement_id if first else "",
            sequence=last.sequence if last else None,
            opening_balance=first.opening if first else None,
            closing_balance=last.closing if last else None,
        )  # fmt: skip
        if first and first.sequence is not None:
            report.notes += _sequence_gap(account, statement, first.sequence)
        statement.note = "; ".join(report.notes)[:500]
        new = [BankLine(account=account, statement=statement, fingerprint=f, **row)
               for row, f in parsed if f not in have]  # fmt: skip
        BankLine.objects.bulk_create(new)
        statement.lines_added = len(new)
        statement.save(update_fields=["lines_added", "note"])
    report.added, report.already = len(new), len(parsed) - len(new)
    return report


def _sequence_gap(account: BankAccount, statement: BankStatementImport, first: int) -> list[str]:
    """Statements are numbered: one missing between the last imported and this is said."""
    before = (
        BankStatementImport.objects.filter(account=account, sequence__isnull=False)
        .exclude(pk=statement.pk).order_by("-sequence").values_list("sequence", flat=True)
        .first()
    )  # fmt: skip
    if before is not None and first > before + 1:
        missing = f"{before + 1}" if first == before + 2 else f"{before + 1} to {first - 1}"
        return [f"statement {missing} is missing: the last imported was {before}, this "
                f"file starts at {first}"]  # fmt: skip
    return []


def _confidence(line_day: dt.date, their_day: dt.date) -> int:
    return max(60, 100 - 10 * abs((line_day - their_day).days))


@transaction.atomic
def bank_auto_match(*, account: BankAccount) -> int:
    """Match what can be matched without a person; returns how many matches were made.
    Each match says why, with a confidence: a day's card gifts settled in one line (N:1),
    the same amount 1:1 (by how close the dates are, then by the name the line gives),
    several payouts of one day in one line (N:1), one payout paid in two or three lines
    (1:N), several lines of a day making one deposit slip."""
    from ledger.services import closed_months

    made = 0
    closed = closed_months()
    lines = [x for x in BankLine.objects.filter(account=account, match__isnull=True,
                                                is_split=False)
             if x.booked_on.replace(day=1) not in closed]  # fmt: skip
    if not lines:
        return 0
    free = {x.pk: x for x in lines}
    # Finance's saved rules first: a line they explain is explained; a line they point at
    # one kind of money is matched to that kind only.
    only: dict[int, str] = {}
    rules = list(BankRule.objects.filter(Q(account=account) | Q(account__isnull=True))
                 .select_related("explain_to").order_by("account_id", "text_contains"))  # fmt: skip
    for line in list(free.values()):
        rule = next((r for r in rules if r.applies_to(line)), None)
        if rule and rule.kind == BankRule.Kind.EXPLAIN:
            reason = rule.reason or f"rule: text contains “{rule.text_contains}”"
            bank_line_explain(line=line, account=rule.explain_to, by=None, reason=reason)
            free.pop(line.pk)
            made += 1
        elif rule:
            only[line.pk] = rule.kind
    found = _candidates(list(free.values()), window=DATE_WINDOW)
    taken: set[tuple[str, int]] = set()

    def allowed(line: BankLine, kind: str) -> bool:
        return only.get(line.pk, kind) == kind

    def available(kind):
        for item in found[kind]:
            amount, currency, day = moved(kind, item)
            if currency == account.currency and (kind, item.pk) not in taken:
                yield item, amount, day

    def one_to_one(line: BankLine, *, named_only: bool) -> bool:
        best = None
        for kind in MOVEMENT_KINDS:
            if not allowed(line, kind):
                continue
            for item, amount, day in available(kind):
                apart = abs((line.booked_on - day).days)
                if amount != line.amount or apart > DATE_WINDOW:
                    continue
                named = _named_in(line, kind, item)
                if named_only and not named:
                    continue
                rank = (apart, not named)  # closest in date, then one the line names
                if best is None or rank < best[3]:
                    best = (kind, item, day, rank)
        if not best:
            return False
        kind, item, day, _ = best
        apart = abs((line.booked_on - day).days)
        _match([line], confidence=_confidence(line.booked_on, day),
               reason=f"same amount as {_label(kind, item)}, {apart} days apart",
               **{kind: [item]})  # fmt: skip
        taken.add((kind, item.pk))
        free.pop(line.pk)
        return True

    # First the lines that name who paid (a donor's, a sponsor's name): the surest.
    for line in sorted(free.values(), key=lambda x: (x.booked_on, x.pk)):
        made += one_to_one(line, named_only=True)
    # N:1: a day's card or transfer gifts settled in one line (a card terminal's deposit),
    # the same day first.
    by_day_method = defaultdict(list)
    for gift, _, day in available("gifts"):
        by_day_method[(day, gift.method)].append(gift)
    day_lines = (x for x in free.values() if x.amount > 0 and allowed(x, "gifts"))
    for line in sorted(day_lines, key=lambda x: x.booked_on):
        groups = sorted(by_day_method.items(), key=lambda g: abs((line.booked_on - g[0][0]).days))
        for (day, method), gifts in groups:
            if (len(gifts) > 1 and abs((line.booked_on - day).days) <= DATE_WINDOW
                    and sum(g.amount for g in gifts) == line.amount
                    and not any(("gifts", g.pk) in taken for g in gifts)):  # fmt: skip
                _match([line], gifts=gifts, confidence=75,
                       reason=f"{len(gifts)} gifts by {method.replace('_', ' ')} of {day} add "
                              "up to it")  # fmt: skip
                taken.update(("gifts", g.pk) for g in gifts)
                free.pop(line.pk)
                made += 1
                break
    # Then the same amount, closest in date.
    for line in sorted(free.values(), key=lambda x: (x.booked_on, x.pk)):
        made += one_to_one(line, named_only=False)
    # N:1: several payouts arriving the same day, paid in one line.
    for line in [x for x in free.values() if x.amount > 0 and allowed(x, "payouts")]:
        same_day = [p for p, _, day in available("payouts") if day == line.booked_on]
        if len(same_day) > 1 and sum(p.amount for p in same_day) == line.amount:
            _match([line], payouts=same_day, confidence=80,
                   reason=f"{len(same_day)} Stripe payouts of that day add up to it")  # fmt: skip
            taken.update(("payouts", p.pk) for p in same_day)
            free.pop(line.pk)
            made += 1
    # 1:N: one payout paid in two or three lines within the window.
    for payout, amount, day in list(available("payouts")):
        near = [
            x
            for x in free.values()
            if 0 < x.amount < amount
            and abs((x.booked_on - day).days) <= DATE_WINDOW
            and allowed(x, "payouts")
        ]
        parts = _lines_adding_up(near, amount)
        if parts:
            _match(
                parts,
                payouts=[payout],
                confidence=75,
                reason=f"{len(parts)} lines add up to Stripe payout {payout.payout_id}",
            )
            taken.add(("payouts", payout.pk))
            for part in parts:
                free.pop(part.pk)
            made += 1
    # Several lines of one day that add up to one batch (a slip banked in parts).
    by_day = defaultdict(list)
    for line in free.values():
        if line.amount > 0 and allowed(line, "batches"):
            by_day[line.booked_on].append(line)
    for day, day_lines in by_day.items():
        if len(day_lines) < 2:
            continue
        total = sum(x.amount for x in day_lines)
        for batch, amount, deposited in available("batches"):
            if amount == total and abs((deposited - day).days) <= DATE_WINDOW:
                said = f"{len(day_lines)} lines of {day} add up to batch {batch.reference}"
                _match(day_lines, batches=[batch], confidence=70, reason=said)
                taken.add(("batches", batch.pk))
                made += 1
                break
    return made


def _named_in(line: BankLine, kind: str, item) -> bool:
    """Whether the line's text or counterparty names who the money is from or to."""
    name = {"gifts": lambda: str(item.donor), "sponsor_payments": lambda: str(item.sponsor),
            "disbursements": lambda: item.payee}.get(kind, lambda: "")()  # fmt: skip
    said = f"{line.description} {line.counterparty_name}".lower()
    return bool(name) and name.lower() in said


def _label(kind: str, item) -> str:
    if kind == "payouts":
        return f"Stripe payout {item.payout_id}"
    if kind == "batches":
        return f"deposit batch {item.reference}"
    if kind == "sponsor_payments":
        return f"{item.sponsor}'s payment {item.reference}".strip()
    if kind == "gifts":
        return f"gift #{item.pk} by transfer from {item.donor}"
    return f"the payment to {item.payee}"


def _lines_adding_up(lines: list[BankLine], amount: int, most: int = 3) -> list[BankLine]:
    """The first two or three of `lines` that add up to `amount` exactly (few lines a
    day: the search stays small)."""
    from itertools import combinations

    lines = sorted(lines, key=lambda x: (x.booked_on, x.pk))[:30]
    for size in range(2, most + 1):
        for combo in combinations(lines, size):
            if sum(x.amount for x in combo) == amount:
                return list(combo)
    return []


# Gifts whose money is not at the bank when posted: cheques and cash wait in undeposited
# funds for their deposit batch, gifts in kind are not money. (Stripe's go by payout.)
NOT_IN_THE_BANK = ("cheque", "cash", "in_kind", "stock")
MOVEMENT_KINDS = ("payouts", "batches", "sponsor_payments", "disbursements", "gifts")


def _candidates(lines: list[BankLine], *, window: int) -> dict[str, list]:
    """Money movements near the lines' dates that no live match holds: Stripe payouts and
    deposit batches in, sponsors' wires and cheques in, disbursements out."""
    from donors.models import Gift
    from sponsorships.models import Disbursement, SponsorPayment

    if not lines:
        return {k: [] for k in MOVEMENT_KINDS}
    span = dt.timedelta(days=window)
    first = min(x.booked_on for x in lines) - span
    last = max(x.booked_on for x in lines) + span
    return {
        "payouts": list(Payout.objects.filter(arrival_date__range=(first, last), status="paid")
                        .exclude(**IN_A_LIVE_MATCH)),
        "batches": list(GiftBatch.objects.filter(deposited_on__range=(first, last),
                                                 status=GiftBatch.Status.CLOSED)
                        .exclude(**IN_A_LIVE_MATCH)),
        "sponsor_payments": list(
            SponsorPayment.objects.filter(received_on__range=(first, last))
            .exclude(method=SponsorPayment.Method.STRIPE).exclude(**IN_A_LIVE_MATCH)
            .select_related("sponsor")
        ),
        "disbursements": list(Disbursement.objects.filter(paid_on__range=(first, last))
                              .exclude(**IN_A_LIVE_MATCH)),
        "gifts": list(Gift.objects.filter(received_on__range=(first, last), batch__isnull=True,
                                          status=Gift.Status.POSTED, payment__isnull=True)
                      .exclude(method__in=NOT_IN_THE_BANK).exclude(**IN_A_LIVE_MATCH)
                      .select_related("donor")),
    }  # fmt: skip


def moved(kind: str, item) -> tuple[int, str, dt.date]:
    """What a movement puts into the bank (negative: takes out), its currency and day."""
    if kind == "payouts":
        return item.amount, item.currency, item.arrival_date
    if kind == "batches":
        return item.expected_total, item.currency, item.deposited_on
    if kind == "sponsor_payments":
        return item.amount, item.currency, item.received_on
    if kind == "gifts":
        return item.amount, item.currency, item.received_on
    return -item.amount, item.currency, item.paid_on


def unmatched_lines(*, limit: int = 100) -> list[BankLine]:
    """Bank lines (money in and out) not matched yet, each with `candidates`: movements in
    its account's currency within CANDIDATE_WINDOW days whose amount is the line's, or
    within the account's tolerance (with the difference said). A fixed number of queries."""
    lines = list(BankLine.objects.filter(match__isnull=True, is_split=False)
                 .select_related("account")[:limit])  # fmt: skip
    found = _candidates(lines, window=CANDIDATE_WINDOW)
    window = dt.timedelta(days=CANDIDATE_WINDOW)
    for line in lines:
        line.candidates = []
        for kind, items in found.items():
            for item in items:
                amount, currency, day = moved(kind, item)
                gap = amount - line.amount
                if (currency == line.account.currency and abs(day - line.booked_on) <= window
                        and abs(gap) <= line.account.match_tolerance):  # fmt: skip
                    line.candidates.append({"kind": kind, "item": item, "difference": gap,
                                            "day": day})  # fmt: skip
        line.candidates.sort(key=lambda c: (abs(c["difference"]), abs(c["day"] - line.booked_on)))
        line.candidates = line.candidates[:6]
    return lines


def _match(lines, *, confidence: int, reason: str, by=None, payouts=(), batches=(),
           sponsor_payments=(), disbursements=(), gifts=(), difference: int = 0,
           difference_account=None) -> BankMatch:  # fmt: skip
    from ledger.services import post_bank_match

    accepted = by is not None or confidence >= AUTO_ACCEPT
    match = BankMatch.objects.create(automatic=by is None, confidence=confidence,
                                     reason=reason, by=by, difference=difference,
                                     difference_account=difference_account,
                                     accepted_at=timezone.now() if accepted else None,
                                     accepted_by=by if accepted else None)  # fmt: skip
    match.payouts.set(payouts)
    match.batches.set(batches)
    match.sponsor_payments.set(sponsor_payments)
    match.disbursements.set(disbursements)
    match.gifts.set(gifts)
    BankLine.objects.filter(pk__in=[x.pk for x in lines]).update(match=match)
    if difference:
        post_bank_match(match, by=by)
    return match


def _refuse_closed_lines(lines, doing: str) -> None:
    from ledger.services import closed_months

    closed = closed_months()
    if shut := [x for x in lines if x.booked_on.replace(day=1) in closed]:
        raise ValidationError(f"The bank line of {shut[0].booked_on} is in "
                              f"{shut[0].booked_on:%B %Y}, which is closed: it cannot be "
                              f"{doing}. Finance can reopen the month, with a reason.")  # fmt: skip


@transaction.atomic
def bank_match_manual(
    *,
    lines,
    payouts=(),
    batches=(),
    sponsor_payments=(),
    disbursements=(),
    gifts=(),
    by,
    note: str = "",
    difference_account=None,
) -> BankMatch:
    """A person's match of bank lines to the money they move. They must add up to the
    cent, or differ by no more than the account's tolerance, the difference then posted to
    `difference_account` (a bank fee, an exchange difference) with the note as its reason."""
    lines = list(BankLine.objects.select_for_update().select_related("account")
                 .filter(pk__in=[x.pk for x in lines]))  # fmt: skip
    if not lines or not (payouts or batches or sponsor_payments or disbursements or gifts):
        raise ValidationError("Choose bank lines and the money they move.")
    if taken := [x for x in lines if x.match_id or x.is_split]:
        raise ValidationError(f"Bank line of {taken[0].booked_on} is already matched or split.")
    _refuse_closed_lines(lines, "matched")
    account = lines[0].account
    total = sum(x.amount for x in lines)
    moves = sum(moved(kind, item)[0] for kind, items in (
        ("payouts", payouts), ("batches", batches), ("sponsor_payments", sponsor_payments),
        ("disbursements", disbursements), ("gifts", gifts)) for item in items)  # fmt: skip
    difference = moves - total
    if difference:
        said = (f"The lines add up to {money_label(total, account.currency)}, the money they "
                f"move to {money_label(moves, account.currency)}")  # fmt: skip
        if abs(difference) > account.match_tolerance:
            raise ValidationError(
                f"{said}: a difference of "
                f"{money_label(abs(difference), account.currency)} is more "
                f"than {account}'s tolerance of "
                f"{money_label(account.match_tolerance, account.currency)}."
            )
        if difference_account is None:
            raise ValidationError(
                {
                    "difference_account": f"{said}: choose the account the "
                    "difference goes to (bank charges, exchange differences)."
                }
            )
        if not note.strip():
            raise ValidationError({"note": "Say why the amounts differ."})
    return _match(lines, payouts=list(payouts), batches=list(batches),
                  sponsor_payments=list(sponsor_payments), disbursements=list(disbursements),
                  gifts=list(gifts), confidence=100, by=by,
                  reason=note.strip()[:300] or "matched by hand",
                  difference=difference, difference_account=difference_account)  # fmt: skip


@transaction.atomic
def bank_line_explain(*, line: BankLine, account, reason: str, by) -> BankMatch:
    """A line that moves no recorded money (a bank's charge, interest) is explained: posted
    in full to the account finance picks, with the reason."""
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    if line.match_id or line.is_split:
        raise ValidationError(f"Bank line of {line.booked_on} is already matched or split.")
    _refuse_closed_lines([line], "explained")
    if not reason.strip():
        raise ValidationError({"reason": "Say what the line is."})
    if account is None or account.is_bank:
        raise ValidationError({"account": "Choose the account the line goes to (not a bank)."})
    return _match([line], confidence=100, reason=reason.strip()[:300], by=by,
                  difference=-line.amount, difference_account=account)  # fmt: skip


@transaction.atomic
def bank_matches_accept(*, matches, by) -> int:
    """Accept proposed automatic matches (one, or every one shown at once). Returns how
    many were accepted; accepting twice changes nothing."""
    require_permission(by, "reconciliation.change_bankline", to="accept bank matches")
    return BankMatch.objects.filter(
        pk__in=[m.pk for m in matches], accepted_at__isnull=True, undone_at__isnull=True
    ).update(accepted_at=timezone.now(), accepted_by=by)


def proposed_matches():
    """Automatic matches waiting for a person, oldest line first."""
    return (
        BankMatch.objects.filter(accepted_at__isnull=True, undone_at__isnull=True)
        .prefetch_related("lines__account", "payouts", "batches", "sponsor_payments__sponsor",
                          "disbursements", "gifts").order_by("at", "pk")
    )  # fmt: skip


@transaction.atomic
def bank_line_split(*, line: BankLine, amounts: list[int], by) -> list[BankLine]:
    """Split one bank line into parts that add up to it (a deposit of a payout and a
    cheque, say); each part is then matched on its own. The line stays, marked split."""
    line = BankLine.objects.select_for_update().get(pk=line.pk)
    if line.match_id or line.is_split:
        raise ValidationError("Only a line that is neither matched nor split can be split.")
    if len(amounts) < 2 or any(a == 0 for a in amounts) or sum(amounts) != line.amount:
        raise ValidationError(
            "The parts must be two or more, none zero, and add up to "
            f"{money_label(line.amount, line.account.currency)}; they add up to "
            f"{money_label(sum(amounts), line.account.currency)}."
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
        _refuse_closed_lines(list(match.lines.all()), "unmatched")
        match.matched_lines = [x.pk for x in match.lines.all()]
        BankLine.objects.filter(match=match).update(match=None)
        match.undone_at, match.undone_by = timezone.now(), by
        match.save(update_fields=["undone_at", "undone_by", "matched_lines"])
        if match.difference:
            from ledger.services import post_bank_match

            post_bank_match(match, by=by)  # its difference reversed
    return match
