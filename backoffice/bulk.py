"""Fast inserts for imports: plain `executemany` with ids reserved up front.

Django's bulk_create prepares every value of every row through the field machinery; at a
hundred thousand gifts that is most of an import's time. Here the caller hands rows of
database-ready values (see `db_date`, `db_datetime`), and the ids are known before the
insert so that child rows (fund splits) can refer to them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

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
