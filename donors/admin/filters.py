"""List filters for the gift list that cost the same with a million gifts: their choices
come from GiftMonthlyTotal, never from a scan of the gifts."""

import datetime as dt

from django.contrib import admin
from django.utils.dates import MONTHS

from donors.models import GiftMonthlyTotal


class ReceivedFilter(admin.SimpleListFilter):
    """Year, then month: the drill-down Django's date_hierarchy gives, without its
    DISTINCT over every gift. Years and months listed are those with posted gifts."""

    title = "received"
    parameter_name = "received"

    def lookups(self, request, model_admin):
        months = list(GiftMonthlyTotal.objects.values_list("month", flat=True).distinct())
        chosen = self.value() or ""
        choices = [(str(y), str(y)) for y in sorted({m.year for m in months}, reverse=True)]
        year = chosen[:4]
        if year.isdigit():
            for month in sorted({m for m in months if str(m.year) == year}, reverse=True):
                choices.append((f"{month:%Y-%m}", f"· {MONTHS[month.month]} {month.year}"))
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        try:
            if value and len(value) == 4:
                start = dt.date(int(value), 1, 1)
                return queryset.filter(
                    received_on__gte=start, received_on__lt=start.replace(year=start.year + 1)
                )
            if value and len(value) == 7:
                start = dt.date(int(value[:4]), int(value[5:]), 1)
                end = (start + dt.timedelta(days=32)).replace(day=1)
                return queryset.filter(received_on__gte=start, received_on__lt=end)
        except ValueError:
            return queryset.none()
        return queryset


class CurrencyFilter(admin.SimpleListFilter):
    title = "currency"
    parameter_name = "currency"

    def lookups(self, request, model_admin):
        currencies = GiftMonthlyTotal.objects.values_list("currency", flat=True).distinct()
        return [(c, c) for c in sorted(set(currencies))]

    def queryset(self, request, queryset):
        return queryset.filter(currency=self.value()) if self.value() else queryset
