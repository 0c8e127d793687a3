from django.apps import AppConfig


class SponsorshipsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sponsorships"
    verbose_name = "Sponsorships"

    def ready(self):
        # Stripe invoices for instalments come back through payments' webhook inbox.
        from payments.handlers import register_invoice_kind
        from sponsorships import invoicing

        register_invoice_kind(
            invoicing.INVOICE_KIND, paid=invoicing.invoice_paid,
            changed=invoicing.invoice_status_changed,
        )  # fmt: skip
