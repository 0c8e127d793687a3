"""Reads shared by pages: from a document to its entries."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join

from ledger.models import Entry


def gift_entries_note(gift) -> str:
    """On a gift's admin page: its entries in the books, each a link."""
    entries = list(Entry.objects.filter(source_type="gift", source_id=gift.pk).order_by("id"))
    if not entries:
        return ""
    links = format_html_join(", ", '<a href="{}">entry #{}</a> ({})', (
        (reverse("ledger_entry", args=[e.pk]), e.pk, e.posted_on.isoformat()) for e in entries
    ))  # fmt: skip
    return format_html("in the books: {}", links)
