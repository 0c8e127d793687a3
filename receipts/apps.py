from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "receipts"
    verbose_name = "Receipts"

    def ready(self):
        from donors import signals
        from receipts import wiring

        signals.gift_posted.connect(wiring.receipt_posted_gift, dispatch_uid="receipt_posted")
        signals.gift_posted.connect(wiring.thank_posted_gift, dispatch_uid="thank_posted")
        signals.gift_money_returned.connect(
            wiring.follow_returned_money, dispatch_uid="receipt_follows_refund"
        )
        signals.donors_merged.connect(wiring.follow_merge, dispatch_uid="receipt_follows_merge")
        from payments.services import ADDRESS_NEEDED, RECEIPT_PROMISES

        if wiring.receipt_promise not in RECEIPT_PROMISES:
            RECEIPT_PROMISES.append(wiring.receipt_promise)

        if wiring.checkout_needs_address not in ADDRESS_NEEDED:
            ADDRESS_NEEDED.append(wiring.checkout_needs_address)
        from donors.admin.gifts import GIFT_NOTES
        from receipts.admin import gift_receipt_note

        if gift_receipt_note not in GIFT_NOTES:
            GIFT_NOTES.append(gift_receipt_note)
