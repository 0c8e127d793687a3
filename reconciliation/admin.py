from django.contrib import admin

from reconciliation.models import BankAccount, Period, PeriodEvent


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    """The CSV layout: {"date": column, "amount": column, "description": column,
    "reference": column, "date_format": "%d.%m.%Y", "decimal_comma": true, "delimiter": ";"}."""

    list_display = ["name", "currency"]


class PeriodEventInline(admin.TabularInline):
    model = PeriodEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "by", "at", "reason"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    """Closed and reopened through reconciliation.periods; here, who did what and why."""

    list_display = ["month", "closed"]
    readonly_fields = ["month", "closed"]
    inlines = [PeriodEventInline]

    def has_add_permission(self, request):
        return False
