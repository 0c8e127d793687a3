"""CSV import of offline gifts: check everything first, then write everything or nothing.

The same code serves `manage.py import_gifts`, the staff import page (through tasks) and the
benchmark. Every bad row is reported with its line, column and reason; a file with one bad
row imports nothing.

Columns (header names are case-insensitive; only the first four are required):

    date, amount, currency, fund          2026-03-01, 25.00, USD, GEN  (or GEN=15.00;AWARD=10.00)
    email, first_name, last_name, organisation
    address_line1, address_line2, city, region, postcode, country
    method, campaign, reference, fair_market_value, advantage_description,
    tribute_type, tribute_name, notes

Donors are matched by exact e-mail first, then by name plus postcode; a new donor whose
name and postcode match a donor with another e-mail is created and listed as a possible
duplicate for review.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import gc
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from backoffice.bulk import (
    db_date,
    db_datetime,
    insert_new,
    insert_rows,
    reserve_ids,
    row_triggers_set_aside,
    select_where_in,
)
from backoffice.email_addresses import validate_email_address
from backoffice.money import is_known_currency, parse_amount
from backoffice.permissions import require_permission
from donors.models import (
    Campaign,
    Donor,
    Fund,
    Gift,
    GiftAllocation,
    GiftImport,
    PossibleDuplicate,
    donor_match_key,
    split_errors,
)
from donors.models.people import normalise_email, validate_country
from donors.totals import add_posted_gifts
from ledger import rules as ledger_rules
from ledger import services as ledger
from ledger.bulk_gifts import post_gift_range
from ledger.models import Entry
from ledger.services import closed_months

REQUIRED_COLUMNS = ("date", "amount", "currency", "fund")
OPTIONAL_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "organisation",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postcode",
    "country",
    "method",
    "campaign",
    "reference",
    "fair_market_value",
    "advantage_description",
    "tribute_type",
    "tribute_name",
    "notes",
)
KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
DEFAULT_METHOD = Gift.Method.OTHER
_METHODS = {m.value for m in Gift.Method}
_TRIBUTES = {"honour": "honour", "honor": "honour", "memory": "memory"}
_CHUNK = 500  # rows per look-up query and per progress report
MAX_REPORTED_ERRORS = 1000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    error_lines: set[int] = field(default_factory=set)  # rows with one problem or more
    gifts: int = 0
    new_donors: int = 0
    matched_by_email: int = 0
    matched_by_name_postcode: int = 0
    possible_duplicates: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # currency -> minor units
    committed: bool = False

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        self.error_lines.add(line)
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(line, column, message))

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "error_count": self.error_count,
            "error_rows": len(self.error_lines),
            "gifts": self.gifts,
            "new_donors": self.new_donors,
            "matched_by_email": self.matched_by_email,
            "matched_by_name_postcode": self.matched_by_name_postcode,
            "possible_duplicates": self.possible_duplicates,
            "totals": self.totals,
            "committed": self.committed,
        }


@dataclass(eq=False)
class _NewDonor:
    """A donor this file will create; rows that match it share it."""

    fields: dict
    first_line: int
    duplicates_of: list = field(default_factory=list)  # existing donors with the same key
    pk: int | None = None  # once written

    @property
    def email(self) -> str | None:
        return self.fields.get("email")


@dataclass
class _Row:
    line: int
    donor: Donor | _NewDonor
    gift: dict
    split: list[tuple[int, int]]  # (fund id, amount)


class _Lookups:
    """Everything the rows refer to, fetched in a few queries per 500 rows rather than one
    per row."""

    def __init__(self, records: list[tuple[int, dict]]):
        self.funds = {f.code.upper(): f for f in Fund.objects.all()}
        self.closed_months = closed_months()
        self.campaigns = {c.code.lower(): c for c in Campaign.objects.all()}
        emails, keys, references = set(), set(), set()
        for _, record in records:
            if email := normalise_email(record.get("email")):
                emails.add(email)
            if key := _match_key(_row_name(record), record.get("postcode", "")):
                keys.add(key)
            if reference := record.get("reference", ""):
                references.add(reference)
        only = ("id", "email", "match_key", "merged_into_id", "kind", "first_name", "last_name")
        self.by_email: dict[str, Donor | _NewDonor] = {}
        self.by_key: dict[str, list[Donor | _NewDonor]] = defaultdict(list)
        for chunk in _chunks(sorted(emails)):
            for donor in Donor.objects.filter(email__in=chunk).only(*only):
                self.by_email[donor.email] = donor
        for chunk in _chunks(sorted(keys)):
            for donor in Donor.objects.filter(match_key__in=chunk, merged_into=None).only(*only):
                self.by_key[donor.match_key].append(donor)
        # A file's references are most of its values: read in plain SQL (the ORM spent a
        # second preparing a hundred thousand parameters).
        self.used_references: dict[str, int] = dict(
            select_where_in(Gift, ("external_reference", "id"), "external_reference", references)
        )


def _chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# A file repeats its amounts and dates (25.00, 50.00; a few days a month): each is parsed
# once. (A ValueError is not cached: a bad value raises again, for every row that has it.)
_amount = functools.lru_cache(maxsize=4096)(parse_amount)
_date = functools.lru_cache(maxsize=4096)(dt.date.fromisoformat)


@functools.lru_cache(maxsize=65_536)
def _match_key(name: str, postcode: str) -> str:
    """donor_match_key, once per name and postcode: a donor's rows repeat them."""
    return donor_match_key(name=name, postcode=postcode)


def _row_name(record: dict) -> str:
    organisation = record.get("organisation", "")
    person = " ".join(p for p in (record.get("first_name", ""), record.get("last_name", "")) if p)
    return person or organisation


def read_csv(data: bytes) -> tuple[list[str], list[tuple[int, dict]]]:
    """Decode (UTF-8, with or without BOM) and parse. Returns the header and (line, row)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"The file is not UTF-8 text (byte {exc.start}); export it as CSV UTF-8."
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
        records = []
        # Every known column in every record, its value stripped once: the checks read
        # them with record[name] (a row's checking read its values a dozen times).
        blank = dict.fromkeys(KNOWN_COLUMNS, "")
        for values in reader:
            values = [v.strip() for v in values]
            if not any(values):
                continue
            line = reader.line_num
            if len(values) != len(header):
                records.append((line, {"__width__": str(len(values))}))
                continue
            records.append((line, blank | dict(zip(header, values, strict=True))))
    except StopIteration:
        raise ValidationError("The file is empty.") from None
    except csv.Error as exc:  # a field over csv's limit (128 KB): an unbalanced quote, mostly
        raise ValidationError(
            f"Line {reader.line_num}: the file cannot be read as CSV ({exc}); "
            "look for a quote that is opened and never closed."
        ) from exc
    if "\x00" in text:  # no database text can hold it (PostgreSQL refuses it on commit)
        _refuse_nul(header, records)
    return header, records


def _refuse_nul(header: list[str], records: list[tuple[int, dict]]) -> None:
    if any("\x00" in name for name in header):
        raise ValidationError("Line 1 (the header): a NUL character (\\0) is not text.")
    for line, record in records:
        for column, value in record.items():
            if "\x00" in value:
                raise ValidationError(
                    f"Line {line}, column {column}: a NUL character (\\0) is not text; "
                    "export the file again as CSV UTF-8."
                )


def _check_header(header: list[str], report: ImportReport) -> None:
    for name in REQUIRED_COLUMNS:
        if name not in header:
            report.add_error(1, name, "required column is missing")
    for name in header:
        if name not in KNOWN_COLUMNS:
            report.add_error(1, name, f"unknown column (known: {', '.join(sorted(KNOWN_COLUMNS))})")
    if len(set(header)) != len(header):
        report.add_error(1, "header", "a column name appears twice")


class _RowChecker:
    def __init__(self, lookups: _Lookups, report: ImportReport, today: dt.date):
        self.lookups, self.report, self.today = lookups, report, today
        self.references_in_file: dict[str, int] = {}
        self.valid_emails: dict[str, bool] = {}

    def check(self, line: int, record: dict) -> _Row | None:
        errors: list[tuple[str, str]] = []
        if "__width__" in record:
            self.report.add_error(
                line, "row", f"has {record['__width__']} values; the header has a different number"
            )
            return None
        get = record.__getitem__  # every known column is there, stripped (read_csv)

        received_on = None
        try:
            received_on = _date(get("date"))
        except ValueError:
            errors.append(("date", f"bad date {get('date')!r}: write it as YYYY-MM-DD"))
        else:
            if received_on > self.today:
                errors.append(("date", f"{received_on} is in the future"))
            elif self.lookups.closed_months and (
                received_on.replace(day=1) in self.lookups.closed_months
            ):
                errors.append(("date", f"{received_on:%B %Y} is closed: finance can reopen it, "
                                       "with a reason"))  # fmt: skip

        currency = get("currency").upper()
        if not is_known_currency(currency):
            errors.append(("currency", f"unknown currency {get('currency')!r}"))
            currency = ""

        amount = None
        if currency:
            try:
                amount = _amount(get("amount"), currency)
                if amount == 0:
                    errors.append(("amount", "amount must be greater than zero"))
                    amount = None
            except ValueError as exc:
                errors.append(("amount", str(exc)))

        split = self._split(get("fund"), amount, currency, errors)

        method = (get("method") or DEFAULT_METHOD).lower().replace(" ", "_").replace("-", "_")
        if method not in _METHODS:
            errors.append(
                ("method", f"unknown method {get('method')!r} (use {', '.join(sorted(_METHODS))})")
            )

        campaign = None
        if code := get("campaign"):
            campaign = self.lookups.campaigns.get(code.lower())
            if campaign is None:
                errors.append(("campaign", f"unknown campaign {code!r}"))

        fmv = 0
        if (text := get("fair_market_value")) and currency:
            try:
                fmv = _amount(text, currency)
            except ValueError as exc:
                errors.append(("fair_market_value", str(exc)))
            else:
                if amount is not None and fmv > amount:
                    errors.append(("fair_market_value", "is more than the gift"))
                if fmv and not get("advantage_description"):
                    errors.append(("advantage_description", "say what the donor received"))

        tribute_type = ""
        if text := get("tribute_type"):
            tribute_type = _TRIBUTES.get(text.lower(), "")
            if not tribute_type:
                errors.append(("tribute_type", f"{text!r} is not 'honour' or 'memory'"))
            elif not get("tribute_name"):
                errors.append(("tribute_name", "name the person the tribute is for"))

        reference = get("reference")
        if reference:
            if reference in self.lookups.used_references:
                gift_id = self.lookups.used_references[reference]
                errors.append(
                    ("reference", f"{reference!r} was already imported (gift #{gift_id})")
                )
            elif reference in self.references_in_file:
                errors.append(
                    (
                        "reference",
                        f"{reference!r} is also on line {self.references_in_file[reference]}",
                    )
                )
            else:
                self.references_in_file[reference] = line

        donor = self._donor(line, record, get, errors)

        if errors:
            for column, message in errors:
                self.report.add_error(line, column, message)
            return None
        gift = {
            "amount": amount,
            "currency": currency,
            "received_on": received_on,
            "method": method,
            "campaign_id": campaign.pk if campaign else None,
            "fair_market_value": fmv,
            "advantage_description": get("advantage_description")[:200],
            "tribute_type": tribute_type,
            "tribute_name": get("tribute_name")[:200],
            "external_reference": reference[:100],
            "notes": get("notes"),
        }
        return _Row(line=line, donor=donor, gift=gift, split=split)

    def _split(self, text: str, amount, currency: str, errors) -> list[tuple[int, int]]:
        """'GEN' (the whole gift) or 'GEN=15.00;AWARD=10.00' (shares that add up)."""
        pieces = [p.strip() for p in text.split(";") if p.strip()]
        if not pieces:
            errors.append(("fund", "fund is missing"))
            return []
        whole = len(pieces) == 1 and "=" not in pieces[0]
        parts: list[tuple[Fund, int | None]] = []
        for piece in pieces:
            code, has_share, share = piece.partition("=")
            fund = self.lookups.funds.get(code.strip().upper())
            if fund is None:
                errors.append(("fund", f"unknown fund {code.strip()!r}"))
            elif whole:
                parts.append((fund, amount))
            elif not has_share:
                errors.append(("fund", f"give {fund.code} its share, like GEN=15.00;AWARD=10.00"))
            elif currency:
                try:
                    parts.append((fund, _amount(share, currency)))
                except ValueError as exc:
                    errors.append(("fund", f"share for {fund.code}: {exc}"))
        if amount is None or any(column == "fund" for column, _ in errors):
            return []
        if whole:  # the whole gift (more than zero) to one fund: nothing to add up
            return [(f.pk, a) for f, a in parts]
        for message in split_errors(amount, currency, [(f.code, a) for f, a in parts]):
            errors.append(("fund", message))
        return [(f.pk, a) for f, a in parts]

    def _donor(self, line: int, record: dict, get, errors) -> Donor | _NewDonor | None:
        email = normalise_email(get("email"))
        if email:
            if not self._valid_email(email):
                errors.append(("email", f"{get('email')!r} is not an e-mail address"))
                return None
            if (found := self.lookups.by_email.get(email)) is not None:
                if isinstance(found, Donor) and found.merged_into_id:
                    errors.append(("email", f"belongs to donor #{found.pk}, which was merged"))
                    return None
                self.report.matched_by_email += 1
                return found
        key = _match_key(_row_name(record), get("postcode"))
        candidates = self.lookups.by_key.get(key, []) if key else []
        if len(candidates) == 1 and (not email or not candidates[0].email):
            found = candidates[0]
            if email and isinstance(found, _NewDonor):
                found.fields["email"] = email
                self.lookups.by_email[email] = found
            self.report.matched_by_name_postcode += 1
            return found
        return self._new_donor(line, record, get, email, key, candidates, errors)

    def _valid_email(self, email: str) -> bool:
        """Django's check, once per address: a donor's rows repeat it (a fifth of a row's
        checking time went to the same addresses again)."""
        if email not in self.valid_emails:
            try:
                validate_email_address(email)
            except ValidationError:
                self.valid_emails[email] = False
            else:
                self.valid_emails[email] = True
        return self.valid_emails[email]

    def _new_donor(self, line, record, get, email, key, candidates, errors) -> _NewDonor | None:
        organisation = get("organisation")
        first, last = get("first_name"), get("last_name")
        if not (first or last or organisation):
            errors.append(
                ("last_name", "a new donor needs a name: fill first_name/last_name or organisation")
            )
            return None
        country = get("country").upper()
        try:
            validate_country(country)
        except ValidationError:
            errors.append(
                ("country", f"unknown country {get('country')!r} (use a code like US or GB)")
            )
            return None
        fields = {
            "kind": Donor.Kind.PERSON if (first or last) else Donor.Kind.ORGANISATION,
            "first_name": first[:100],
            "last_name": last[:100],
            "organisation_name": organisation[:200],
            "email": email,
            "address_line1": get("address_line1")[:200],
            "address_line2": get("address_line2")[:200],
            "city": get("city")[:100],
            "region": get("region")[:100],
            "postcode": get("postcode")[:20],
            "country": country,
            "match_key": key,
        }
        new = _NewDonor(fields=fields, first_line=line, duplicates_of=list(candidates))
        if email:
            self.lookups.by_email[email] = new
        if key:
            self.lookups.by_key[key].append(new)
        self.report.new_donors += 1
        return new


def gifts_import(
    *,
    data: bytes,
    by,
    commit: bool,
    run: GiftImport | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check a CSV of gifts and, with `commit`, write it: all rows or none."""
    with _no_cyclic_gc():
        return _gifts_import(data=data, by=by, commit=commit, run=run, progress=progress)


@contextlib.contextmanager
def _no_cyclic_gc():
    """An import makes millions of small objects and no cycles: Python's cyclic collector
    scanned them again and again (a quarter of an import's time). Reference counting still
    frees everything; the collector is back on afterwards."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _gifts_import(
    *, data: bytes, by, commit: bool, run: GiftImport | None, progress: Progress | None
) -> ImportReport:
    report = ImportReport()
    header, records = read_csv(data)
    report.rows = len(records)
    _check_header(header, report)
    if not report.ok:
        return report
    if progress:
        progress(0, report.rows)
    lookups = _Lookups(records)
    checker = _RowChecker(lookups, report, timezone.localdate())
    rows: list[_Row] = []
    for index, (line, record) in enumerate(records, start=1):
        row = checker.check(line, record)
        if row is not None:
            rows.append(row)
            report.totals[row.gift["currency"]] = (
                report.totals.get(row.gift["currency"], 0) + row.gift["amount"]
            )
        if progress and (index % _CHUNK == 0 or index == report.rows):
            progress(index, report.rows)
    report.gifts = len(rows)
    report.possible_duplicates = sum(
        len(d.duplicates_of)
        for d in {id(r.donor): r.donor for r in rows}.values()
        if isinstance(d, _NewDonor)
    )
    if not report.ok or not commit:
        return report
    try:
        _write(rows=rows, by=by, run=run)
    except IntegrityError as exc:
        # Someone wrote a conflicting row (the same reference) since the check.
        report.add_error(0, "file", f"nothing was imported: the database refused a row ({exc})")
        return report
    report.committed = True
    return report


_GIFT_COLUMNS = (
    "id", "donor", "amount", "currency", "received_on", "method", "status", "campaign",
    "fair_market_value", "advantage_description", "property_description", "tribute_type",
    "tribute_name", "external_reference", "notes", "posted_at", "created_by", "imported_by",
    "created_at", "void_reason", "appraiser",
)  # fmt: skip


@transaction.atomic
def _write(*, rows: list[_Row], by, run: GiftImport | None) -> None:
    """Everything in one transaction. Gifts and their splits go in with executemany (see
    backoffice.bulk): they were checked above, and the database's constraints check again.
    The import record (who, when, which file, its hash) is the audit trail of their
    creation; history starts with the first change."""
    new_donors = list(
        {id(r.donor): r.donor for r in rows if isinstance(r.donor, _NewDonor)}.values()
    )
    stamp = timezone.now()
    donor_ids = insert_new(Donor, [d.fields for d in new_donors], now=stamp)
    for placeholder, donor_id in zip(new_donors, donor_ids, strict=True):
        placeholder.pk = donor_id  # for the rows below, which refer to it by id
    now = db_datetime(stamp)
    by_id, run_id = (by.pk if by else None), (run.pk if run else None)
    gift_ids = reserve_ids(Gift, len(rows))
    with row_triggers_set_aside(_BULK_TABLES):
        _insert_gifts(gift_ids, rows, by_id=by_id, run_id=run_id, now=now, by=by)
    PossibleDuplicate.objects.bulk_create(
        [
            PossibleDuplicate(
                donor_id=new.pk,
                other_id=other.pk,
                reason=f"same name and postcode; new donor from line {new.first_line}",
                found_by_import=run,
            )
            for new in new_donors
            for other in new.duplicates_of
        ],
        batch_size=_CHUNK,
    )
    add_posted_gifts(
        (r.gift["received_on"], r.gift["currency"], fund_id, r.gift["campaign_id"], amount)
        for r in rows
        for fund_id, amount in r.split
    )
    if run is not None:
        done = GiftImport.objects.filter(pk=run.pk, attempt=run.attempt).update(
            status=GiftImport.Status.DONE, rows_done=len(rows), finished_at=timezone.now()
        )
        if not done:  # started again meanwhile (this worker was taken for dead): roll back
            raise ImportSuperseded(f"{run} was started again; this attempt writes nothing.")


def _post_to_ledger(gift_ids: list[int], rows: list[_Row], *, by) -> list[int]:
    """Each new gift's entry, in bulk: where the money is, and each fund's income. Written
    by the database from the rows just inserted when the ids allow it (always on SQLite),
    else built here."""
    entry_ids = reserve_ids(Entry, len(gift_ids))
    contiguous = (
        gift_ids and gift_ids[-1] - gift_ids[0] == len(gift_ids) - 1
        and entry_ids[-1] - entry_ids[0] == len(entry_ids) - 1
    )  # fmt: skip
    if contiguous:
        post_gift_range(low=gift_ids[0], high=gift_ids[-1],
                        entry_offset=entry_ids[0] - gift_ids[0], by=by)  # fmt: skip
        return entry_ids
    return _post_to_ledger_rows(gift_ids, rows, by=by)


def _post_to_ledger_rows(gift_ids: list[int], rows: list[_Row], *, by) -> list[int]:
    """Through the posting rules themselves, a gift at a time (PostgreSQL, when another
    session took ids between ours)."""
    income = dict(Fund.objects.values_list("pk", "gl_account"))
    postings = []
    for gift_id, row in zip(gift_ids, rows, strict=True):
        g = row.gift
        gift = Gift(pk=gift_id, status=Gift.Status.POSTED, amount=g["amount"],
                    currency=g["currency"], received_on=g["received_on"], method=g["method"],
                    external_reference=g["external_reference"])  # fmt: skip
        splits = [(fund_id, income[fund_id], amount) for fund_id, amount in row.split]
        postings.append(ledger_rules.gift_posting(gift, online=False, splits=splits))
    return ledger.post_new(postings, by=by)


_BULK_TABLES = ("donors_gift", "donors_giftallocation", "ledger_line", "ledger_entry")


def _insert_gifts(gift_ids, rows, *, by_id, run_id, now, by) -> None:
    """The gifts, their splits and their ledger entries, with executemany."""
    dates: dict[dt.date, object] = {}  # a file has few dates: each adapted once
    gift_rows, split_rows = [], []
    for gift_id, row in zip(gift_ids, rows, strict=True):
        g = row.gift
        on = g["received_on"]
        if on not in dates:
            dates[on] = db_date(on)
        gift_rows.append((
            gift_id, row.donor.pk, g["amount"], g["currency"], dates[on],
            g["method"], Gift.Status.POSTED, g["campaign_id"], g["fair_market_value"],
            g["advantage_description"], "", g["tribute_type"], g["tribute_name"],
            g["external_reference"], g["notes"], now, by_id, run_id, now, "", "",
        ))  # fmt: skip
        split_rows.extend((gift_id, fund_id, amount) for fund_id, amount in row.split)
    insert_rows(Gift, _GIFT_COLUMNS, gift_rows)
    insert_rows(GiftAllocation, ("gift", "fund", "amount"), split_rows)
    entry_ids = _post_to_ledger(gift_ids, rows, by=by)
    # What the row triggers set aside would have refused, for the whole set at once.
    ledger.check_posted(entry_ids)
    months = {r.gift["received_on"].replace(day=1) for r in rows} & closed_months()
    if months:  # closed by someone between the check and this write
        raise IntegrityError(f"closed period: {min(months):%B %Y} is closed")


class ImportSuperseded(Exception):
    pass


def _fail(run: GiftImport, reason: str) -> None:
    GiftImport.objects.filter(pk=run.pk, attempt=run.attempt).update(
        status=GiftImport.Status.FAILED, failure=reason[:2000], finished_at=timezone.now()
    )


def gift_import_restart(*, run: GiftImport, by) -> GiftImport:
    """Start again an import whose worker died (stalled) or that failed: its check, or its
    import if it had been checked. Nothing was written (the import writes in one transaction),
    and an older worker still alive writes nothing over the new start (its attempt is old)."""
    require_permission(by, "donors.add_giftimport", to="import gifts")
    run.refresh_from_db()
    if not (run.stalled or run.status == GiftImport.Status.FAILED):
        raise ValidationError(f"{run} is {run.get_status_display().lower()}: nothing to restart.")
    again = GiftImport.Status.QUEUED if run.summary else GiftImport.Status.CHECKING
    GiftImport.objects.filter(pk=run.pk, attempt=run.attempt, status=run.status).update(
        status=again, attempt=F("attempt") + 1, updated_at=timezone.now(), failure="",
        rows_done=0, finished_at=None,
    )  # fmt: skip
    run.refresh_from_db()
    from donors.tasks import check_gift_import, commit_gift_import

    task = commit_gift_import if run.status == GiftImport.Status.QUEUED else check_gift_import
    transaction.on_commit(lambda: task.enqueue(run.pk))
    return run


# --- the import as a record: upload, check, commit -----------------------------------


def gift_import_create(*, data: bytes, name: str, by) -> GiftImport:
    """Keep the uploaded file with who sent it and its hash; checking comes next."""
    from hashlib import sha256

    from django.core.files.base import ContentFile

    run = GiftImport(
        original_name=name[:255],
        sha256=sha256(data).hexdigest(),
        uploaded_by=by,
        status=GiftImport.Status.CHECKING,
    )
    run.file.save(name, ContentFile(data), save=False)
    run.save()
    return run


def _progress_saver(run: GiftImport, extra: Progress | None) -> Progress:
    def save(done: int, total: int) -> None:
        GiftImport.objects.filter(pk=run.pk).update(
            rows_done=done, rows_total=total, updated_at=timezone.now()
        )
        if extra:
            extra(done, total)

    return save


def _store_outcome(run: GiftImport, report: ImportReport, status: str) -> None:
    run.status = status
    run.rows_total = report.rows
    run.errors = [e.__dict__ for e in report.errors]
    run.summary = report.as_dict()
    run.finished_at = timezone.now() if status != GiftImport.Status.CHECKED else None
    run.save(update_fields=["status", "rows_total", "errors", "summary", "finished_at"])


def gift_import_check(*, run: GiftImport, progress: Progress | None = None) -> ImportReport:
    """The dry run: what would happen, and every bad row. Writes nothing but the run record."""
    try:
        report = gifts_import(
            data=_read(run), by=run.uploaded_by, commit=False,
            progress=_progress_saver(run, progress),
        )  # fmt: skip
    except ValidationError as exc:
        report = ImportReport()
        report.add_error(1, "file", " ".join(exc.messages))
    except Exception as exc:
        _fail(run, f"The check failed: {exc}")
        raise
    status = GiftImport.Status.CHECKED if report.ok else GiftImport.Status.INVALID
    _store_outcome(run, report, status)
    return report


def gift_import_queue(*, run_id: int) -> bool:
    """A person asked to import a checked run: mark it queued for the commit task.
    False when it is not (or no longer) waiting, so a double click queues it once."""
    return bool(
        GiftImport.objects.filter(pk=run_id, status=GiftImport.Status.CHECKED).update(
            status=GiftImport.Status.QUEUED
        )
    )


def gift_import_commit(*, run: GiftImport, progress: Progress | None = None) -> ImportReport:
    """Check and write an import, all rows or none. The staff page commits a run that was
    checked first (a dry run the person read); the command may commit a new one straight
    away, since committing checks every row again anyway. Safe to call twice: only a run
    not yet started is taken, so a retried task imports nothing twice."""
    ready = (GiftImport.Status.CHECKING, GiftImport.Status.CHECKED, GiftImport.Status.QUEUED)
    claimed = GiftImport.objects.filter(pk=run.pk, status__in=ready).update(
        status=GiftImport.Status.RUNNING, rows_done=0, attempt=F("attempt") + 1,
        updated_at=timezone.now(), failure="",
    )  # fmt: skip
    if not claimed:
        raise ValidationError(f"{run} is {run.get_status_display().lower()}, not ready to import.")
    run.refresh_from_db()
    try:
        report = gifts_import(
            data=_read(run),
            by=run.uploaded_by,
            commit=True,
            run=run,
            progress=_progress_saver(run, progress),
        )
    except ImportSuperseded:
        return ImportReport()  # a later start of the same import took it over: it writes
    except Exception as exc:
        _fail(run, f"Nothing was imported: {exc}")
        raise
    if report.committed:
        run.refresh_from_db()
        run.summary = report.as_dict()
        run.save(update_fields=["summary"])
    else:
        # The data changed since the check (a reference imported meanwhile, a fund removed).
        _store_outcome(run, report, GiftImport.Status.INVALID)
    return report


def _read(run: GiftImport) -> bytes:
    with run.file.open("rb") as handle:
        return handle.read()
