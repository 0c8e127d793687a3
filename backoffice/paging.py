"""Paging for the staff pages' own lists (the admin pages its lists itself)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator


def page_of(request, items, *, per_page: int = 50) -> tuple[Page, str]:
    """The page the query asks for (a junk number gives the nearest real page), and the
    query without its page, for the pager's links (backoffice/_pager.html)."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    rest = request.GET.copy()
    rest.pop("page", None)
    return page, rest.urlencode()
