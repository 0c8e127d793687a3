"""Unique look-ups on hot paths (the webhook worker)."""

from django.db import models


def one_or_none(queryset: models.QuerySet):
    """The row a unique look-up finds, or None. Unlike `.first()`, adds no ORDER BY, whose
    compiling costs more than the query on a unique index."""
    rows = list(queryset.order_by()[:1])
    return rows[0] if rows else None
