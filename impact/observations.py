"""Observations in: from the measurement system's API and from a CSV upload, through one
service that checks every row first and then writes all of them or none.

The same observation sent again (same source and external id) updates the one on record.
A CSV row without an external id is known by its subject, metric and period instead, so
uploading the same file twice changes nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone

from impact.models import Metric, Observation, Subject

MAX_ROWS = 10_000
VALUE_LIMIT = Decimal(10) ** 15
CSV_COLUMNS = ("subject", "metric", "period_start", "period_end", "value", "external_id", "note")
REQUIRED_COLUMNS = ("subject", "metric", "period_start", "period_end", "value")


@dataclass(frozen=True)
class ObservationIn:
    subject: str
    metric: str
    period_start: dt.date
    period_end: dt.date
    value: Decimal
    external_id: str = ""
    note: str = ""


@dataclass(frozen=True)
class RowError:
    row: int  # 0-based index in the request; CSV messages add the header line
    field: str
    message: str


class ObservationsRefused(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(f"item {e.row}, {e.field}: {e.message}" for e in errors[:5]))


@dataclass(frozen=True)
class Recorded:
    created: int
    updated: int
    observations: list[tuple[Observation, bool]]  # (observation, created)


def check_value(value: Decimal) -> str | None:
    """Why a value cannot be stored, or None."""
    if not value.is_finite():
        return "must be a finite number"
    if abs(value) >= VALUE_LIMIT:
        return "must be smaller than 10^15 in size"
    if value.as_tuple().exponent < -4 and value != value.quantize(Decimal("0.0001")):
        return "may have at most 4 decimal places"
    return None


def observations_check(items: list[ObservationIn]) -> tuple[dict, dict, list[RowError]]:
    """What is wrong with each item (unknown or archived subject and metric, a period
    backwards, a value that cannot be stored, an external id twice in the request), with
    the subjects and metrics the items name, by key."""
    if len(items) > MAX_ROWS:
        return {}, {}, [RowError(MAX_ROWS, "observations", f"at most {MAX_ROWS} in one request")]
    errors: list[RowError] = []
    for n, item in enumerate(items):  # PostgreSQL stores no NUL character: say so first
        for name in ("subject", "metric", "external_id", "note"):
            if "\x00" in getattr(item, name):
                errors.append(RowError(n, name, "contains a NUL character"))
    if errors:
        return {}, {}, errors
    subjects = {s.key: s for s in Subject.objects.filter(key__in={i.subject for i in items})}
    metrics = {m.key: m for m in Metric.objects.filter(key__in={i.metric for i in items})}
    first_seen: dict[str, int] = {}
    for n, item in enumerate(items):
        if item.subject not in subjects:
            errors.append(RowError(n, "subject", f"no subject has the key {item.subject!r}"))
        elif not subjects[item.subject].is_active:
            errors.append(RowError(n, "subject", f"subject {item.subject!r} is archived"))
        if item.metric not in metrics:
            errors.append(RowError(n, "metric", f"no metric has the key {item.metric!r}"))
        elif not metrics[item.metric].is_active:
            errors.append(RowError(n, "metric", f"metric {item.metric!r} is archived"))
        if item.period_end < item.period_start:
            errors.append(RowError(n, "period_end", "the period ends before it starts"))
        if problem := check_value(item.value):
            errors.append(RowError(n, "value", problem))
        if item.external_id:
            if item.external_id in first_seen:
                also = first_seen[item.external_id]
                message = f"{item.external_id!r} appears twice in this request (also item {also})"
                errors.append(RowError(n, "external_id", message))
            first_seen.setdefault(item.external_id, n)
    return subjects, metrics, errors


def observations_record(*, items: list[ObservationIn], source: str) -> Recorded:
    """Check every item, then create or update them all in one transaction. Raises
    ObservationsRefused naming each bad item and field; nothing is written then."""
    subjects, metrics, errors = observations_check(items)
    if errors:
        raise ObservationsRefused(errors)
    try:
        return _write(items, source=source, subjects=subjects, metrics=metrics)
    except IntegrityError:
        # Another request added one of these external ids at the same moment; now that it
        # is there, this one updates it.
        return _write(items, source=source, subjects=subjects, metrics=metrics)


UPDATED_FIELDS = ["subject", "metric", "period_start", "period_end", "value", "note",
                  "recorded_at"]  # fmt: skip


@transaction.atomic
def _write(items: list[ObservationIn], *, source: str, subjects, metrics) -> Recorded:
    """Create or update every item in a few queries: the ones on record are read (and
    locked) at once, the new ones inserted together."""
    by_external_id = {
        o.external_id: o for o in Observation.objects.select_for_update().filter(
            source=source, external_id__in=[i.external_id for i in items if i.external_id])
    }  # fmt: skip
    plain = [i for i in items if not i.external_id]
    by_period = {
        (o.subject_id, o.metric_id, o.period_start, o.period_end): o
        for o in Observation.objects.select_for_update().filter(
            source=source, external_id="", subject__in={subjects[i.subject] for i in plain},
            metric__in={metrics[i.metric] for i in plain},
            period_end__in={i.period_end for i in plain},
        )
    } if plain else {}  # fmt: skip
    now = timezone.now()
    new: list[Observation] = []
    changed: dict[int, Observation] = {}
    recorded: list[tuple[Observation, bool]] = []
    for item in items:
        values = {
            "subject": subjects[item.subject], "metric": metrics[item.metric],
            "period_start": item.period_start, "period_end": item.period_end,
            "value": item.value, "note": item.note, "recorded_at": now,
        }  # fmt: skip
        period = (values["subject"].pk, values["metric"].pk, item.period_start, item.period_end)
        found = by_external_id.get(item.external_id) if item.external_id else by_period.get(period)
        if found is None:
            found = Observation(source=source, external_id=item.external_id, **values)
            new.append(found)
            if item.external_id:
                by_external_id[item.external_id] = found
            else:
                by_period[period] = found  # the same row twice in a file: the last one counts
            recorded.append((found, True))
            continue
        for name, value in values.items():
            setattr(found, name, value)
        if found.pk:
            changed[found.pk] = found
        recorded.append((found, False))
    # Rows are inserted in one order whatever the request's order, so that two requests
    # adding the same observations wait for each other instead of deadlocking.
    new.sort(key=lambda o: (o.external_id, o.subject.pk, o.metric.pk, o.period_start, o.period_end))
    Observation.objects.bulk_create(new, batch_size=500)
    Observation.objects.bulk_update(sorted(changed.values(), key=lambda o: o.pk), UPDATED_FIELDS,
                                    batch_size=500)  # fmt: skip
    created = sum(1 for _, was_created in recorded if was_created)
    return Recorded(created=created, updated=len(recorded) - created, observations=recorded)


def _parse_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip())


def read_csv(data: bytes) -> tuple[list[tuple[int, ObservationIn]], list[RowError]]:
    """The rows of an upload (UTF-8, header line first) that parse, each with its line (as a
    spreadsheet numbers it: the header is line 1), and what is wrong with the others. A file
    that cannot be read at all raises ObservationsRefused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ObservationsRefused([RowError(0, "file", "is not UTF-8 text")]) from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c or f"(column {i} has no name)" for i, c in enumerate(header, 1)
               if c not in CSV_COLUMNS]  # fmt: skip
    problems = []
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    if unknown:  # a file of a million columns is refused here, not read
        shown = ", ".join(repr(c[:40]) for c in unknown[:5])
        more = f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else ""
        problems.append(f"{len(header):,} columns, unknown: {shown}{more} (the columns are "
                        f"{', '.join(CSV_COLUMNS)})")  # fmt: skip
    if problems:
        raise ObservationsRefused([RowError(1, "header", "; ".join(problems))])
    reader.fieldnames = header
    items, errors = [], []
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ObservationsRefused([RowError(reader.line_num, "file", str(exc))]) from exc
    for line, row in enumerate(rows, start=2):
        if len(items) >= MAX_ROWS:
            errors.append(RowError(line, "file", f"at most {MAX_ROWS} rows in one upload"))
            break
        if None in row:  # DictReader's place for values past the header's columns
            errors.append(RowError(line, "file", f"{len(header) + len(row[None]):,} values; "
                                   f"the header has {len(header)} columns"))  # fmt: skip
            continue
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue
        parsed, bad = {}, False
        for column in REQUIRED_COLUMNS:
            if not values.get(column):
                errors.append(RowError(line, column, "is empty"))
                bad = True
        for column in ("period_start", "period_end"):
            if values.get(column):
                try:
                    parsed[column] = _parse_date(values[column])
                except ValueError:
                    errors.append(RowError(line, column, f"{values[column]!r} is not a date "
                                           "(write it as YYYY-MM-DD)"))  # fmt: skip
                    bad = True
        if values.get("value"):
            try:
                parsed["value"] = Decimal(values["value"].replace(",", ""))
            except InvalidOperation:
                errors.append(RowError(line, "value", f"{values['value']!r} is not a number"))
                bad = True
        for column, limit in (("external_id", 100), ("note", 500)):
            if len(values.get(column, "")) > limit:
                errors.append(RowError(line, column, f"is longer than {limit} characters"))
                bad = True
        if not bad:
            items.append((line, ObservationIn(
                subject=values["subject"], metric=values["metric"],
                period_start=parsed["period_start"], period_end=parsed["period_end"],
                value=parsed["value"], external_id=values.get("external_id", ""),
                note=values.get("note", ""),
            )))  # fmt: skip
    return items, errors


def observations_import_csv(*, data: bytes) -> Recorded:
    """An upload, all rows or none. Every problem of every line is named at once: the rows
    that parse are also checked against the subjects and metrics."""
    lines, errors = read_csv(data)
    checked = observations_check([item for _, item in lines])[2]
    errors += [RowError(lines[e.row][0] if e.row < len(lines) else e.row, e.field, e.message)
               for e in checked]  # fmt: skip
    if errors:
        raise ObservationsRefused(sorted(errors, key=lambda e: e.row))
    return observations_record(items=[item for _, item in lines], source="csv")
