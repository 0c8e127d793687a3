"""Query and form parameters that name a record or a choice, read so that junk (`abc`,
`1e9`, a number past the database's range) is a 400 naming the parameter, never a 500."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.shortcuts import get_object_or_404

LARGEST_ID = 2**63 - 1  # a bigint primary key


def record_id(data, name: str) -> int:
    """The record number in parameter `name` of `data` (request.GET or request.POST)."""
    value = (data.get(name) or "").strip()
    if not value.isascii() or not value.isdigit() or int(value) > LARGEST_ID:
        raise BadRequest(f"{name} must be a record number, not {value[:30]!r}.")
    return int(value)


def record_from(queryset, data, name: str):
    """The record of `queryset` named by parameter `name`: 400 for junk, 404 for none."""
    return get_object_or_404(queryset, pk=record_id(data, name))


def choice(data, name: str, choices, *, default: str = "") -> str:
    """A value from `choices` (or `default` when the parameter is absent), else a 400."""
    value = data.get(name) or default
    if value not in choices:
        raise BadRequest(f"{name} must be one of {', '.join(sorted(choices))}, not {value[:30]!r}.")
    return value
