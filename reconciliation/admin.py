from django.contrib import admin

from reconciliation.models import BankAccount, BankRule, Period, PeriodEvent


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    """An account's number (statements for other accounts are refused), its matching
    tolerance, and its CSV layout (see reconciliation/bankcsv.py for every key):
    {"date": column, "amount": column | "debit"/"credit": columns, "description": column,
    "reference": column, "counterparty": column, "date_format": "%d.%m.%Y",
    "skip_when": {"column": "Status", "contains": "pending"}}. Encoding, separator and
    decimal comma are detected when not set; the import's preview says what was found."""

    list_display = ["name", "currency", "account_number", "match_tolerance"]


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


@admin.register(BankRule)
class BankRuleAdmin(admin.ModelAdmin):
    """Rules for the automatic matching: text → a kind of money, or explained to an account."""

    list_display = ["text_contains", "kind", "explain_to", "account"]
    list_filter = ["kind", "account"]
