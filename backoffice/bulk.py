"""Fast inserts for imports: plain `executemany` with ids reserved up front.

Django's bulk_create prepares every value of every row through the field machinery; at a
hundred thousand gifts that is most of an import's time. Here the caller hands rows of
database-ready values (see `db_date`, `db_datetime`), and the ids are known before the
insert so that child rows (fund splits) can refer to them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import connection, models


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` primary keys nobody else will use. Must run inside the transaction that
    inserts them: on SQLite that transaction holds the write lock (transaction_mode
    IMMEDIATE), so MAX(id) cannot move; on PostgreSQL the sequence hands them out."""
    if count == 0:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor != "sqlite":
            raise NotImplementedError(f"reserve_ids does not know {connection.vendor}")
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence], batch: int = 5000
) -> None:
    """INSERT the rows (values in `columns` order, ready for the database)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, rows[start : start + batch])


def db_date(value: dt.date | None):
    return connection.ops.adapt_datefield_value(value)


def db_datetime(value: dt.datetime | None):
    return connection.ops.adapt_datetimefield_value(value)


def insert_new(
    model: type[models.Model], records: Sequence[dict], *, now: dt.datetime
) -> list[int]:
    """Insert new rows of `model` given as {field name: value} (plain values: text, numbers,
    booleans, None). Every other column takes its field's default, and auto_now(_add) ones
    `now`. Returns their ids, in order. (bulk_create took most of an import's writing time
    preparing twenty columns of every new donor through the field machinery.)"""
    ids = reserve_ids(model, len(records))
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    given = {name for record in records for name in record}
    stamp = db_datetime(now)
    defaults = {
        f.name: stamp if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        else f.get_default()
        for f in fields if f.name not in given
    }  # fmt: skip
    columns = ["id", *(f.name for f in fields)]
    rows = [
        (pk, *(record[f.name] if f.name in record else defaults[f.name] for f in fields))
        for pk, record in zip(ids, records, strict=True)
    ]
    insert_rows(model, columns, rows)
    return ids


def select_where_in(
    model: type[models.Model], columns: Sequence[str], column: str, values: Iterable
) -> list[tuple]:
    """SELECT `columns` of the rows whose `column` is one of `values`, in as few queries as
    the database takes parameters, without the ORM's preparation of every value."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    where = quote(model._meta.get_field(column).column)
    values = sorted(set(values))
    size = connection.features.max_query_params or 10_000
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {names} FROM {quote(model._meta.db_table)} "  # noqa: S608
                f"WHERE {where} IN ({marks})",
                chunk,
            )
            found.extend(cursor.fetchall())
    return found


@contextlib.contextmanager
def row_triggers_set_aside(tables: Sequence[str]):
    """On SQLite, for one bulk write in the caller's transaction: the row triggers of
    `tables` are dropped and put back before the transaction ends.

    SQLite has no statement-level triggers, and a table with any row trigger loses its fast
    path for index inserts: at a hundred thousand gifts the mere presence of a closed-month
    trigger tripled the insert's time. The caller instead checks the whole set with one
    query before leaving (what the triggers would have refused, row by row); the write lock
    SQLite's transaction holds means nobody else writes meanwhile, and DDL is transactional,
    so other connections never see the tables without their triggers. On PostgreSQL, where
    dropping a trigger would lock readers out, nothing is set aside."""
    if connection.vendor != "sqlite" or not connection.in_atomic_block:
        yield
        return
    marks = ", ".join(["%s"] * len(tables))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})",  # noqa: S608
            list(tables),
        )
        triggers = cursor.fetchall()
        for name, _ in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _, sql in triggers:
                cursor.execute(sql)
