from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reconciliation"
    verbose_name = "Reconciliation"

    def ready(self):
        from donors import signals
        from reconciliation.periods import refuse_gifts_in_closed_months

        signals.gift_changing.connect(
            refuse_gifts_in_closed_months, dispatch_uid="closed_months_are_closed"
        )
        from donors.admin.gifts import GIFT_NOTES
        from reconciliation.selectors import gift_money_trail

        if gift_money_trail not in GIFT_NOTES:
            GIFT_NOTES.append(gift_money_trail)
