from django.apps import AppConfig


class LedgerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ledger"
    verbose_name = "Ledger"

    def ready(self):
        from donors.admin.gifts import GIFT_NOTES
        from ledger.selectors import gift_entries_note

        if gift_entries_note not in GIFT_NOTES:
            GIFT_NOTES.append(gift_entries_note)
