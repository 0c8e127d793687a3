from django.contrib import admin

from ledger.models import Account


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    """The chart of accounts. Entries are never edited here: services post them, and the
    ledger pages show them."""

    list_display = ("code", "name", "type", "restriction", "is_bank")
    list_filter = ("type", "restriction")
    search_fields = ("code", "name")

    def get_readonly_fields(self, request, obj=None):
        # An account with postings keeps its code and type: the books already use them.
        return ("code", "type") if obj and obj.lines.exists() else ()
