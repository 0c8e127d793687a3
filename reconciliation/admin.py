from django import forms
from django.contrib import admin

from backoffice.forms import MinorUnitsFormMixin, MoneyAmountField
from reconciliation.models import BankAccount, BankRule, Period, PeriodEvent


class BankAccountForm(MinorUnitsFormMixin, forms.ModelForm):
    match_tolerance_text = MoneyAmountField(
        label="Match tolerance", required=False,
        help_text="In the account's currency, e.g. 1.00: a bank line may differ from what it "
                  "matches by this much (a bank's fee). Empty or 0: to the cent.",
    )  # fmt: skip
    money_fields = {"match_tolerance_text": "match_tolerance"}

    class Meta:
        model = BankAccount
        fields = ["name", "currency", "account_number", "csv_mapping"]


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    """An account's number (statements for other accounts are refused), its matching
    tolerance, and its CSV layout (see reconciliation/bankcsv.py for every key):
    {"date": column, "amount": column | "debit"/"credit": columns, "description": column,
    "reference": column, "counterparty": column, "date_format": "%d.%m.%Y",
    "skip_when": {"column": "Status", "contains": "pending"}}. Encoding, separator and
    decimal comma are detected when not set; the import's preview says what was found."""

    form = BankAccountForm
    list_display = ["name", "currency", "account_number", "tolerance"]

    @admin.display(description="Match tolerance")
    def tolerance(self, account):
        from backoffice.money import format_money

        return format_money(account.match_tolerance, account.currency)


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
