from functools import cached_property

from django.core.paginator import Paginator


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows, so that a list of a million gifts never counts them all on
    every page view. Past the cap the list says '10,000+' and still pages to the end of it."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP + 1].count()
