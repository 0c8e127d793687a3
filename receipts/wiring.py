"""How receipts follow the gifts (connected in ReceiptsConfig.ready):
- a gift posted at or above the threshold is receipted at once;
- a refund or void of a receipted gift voids its receipt, so that no valid-looking receipt
  survives it, and issues the replacement for what was kept (or leaves that to finance);
- merging two donors replaces the merged donor's receipts in force, in the kept donor's
  name (a receipt names the donor who gave).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction

from backoffice.money import money_label
from receipts import rules
from receipts.models import Organisation, Receipt, ReceiptLine
from receipts.services import receipt_follow_replace, receipt_follow_void, receipt_issue

log = logging.getLogger(__name__)


def checkout_needs_address(amount: int, currency: str) -> bool:
    """payments.services.ADDRESS_NEEDED: a receipt will print the donor's address."""
    return rules.receipt_will_print_address(
        amount=amount, currency=currency, organisation=Organisation.current()
    )


def receipt_promise(amount: int, currency: str) -> str:
    """payments.services.RECEIPT_PROMISES: what the thanks page says about a receipt."""
    why = rules.why_no_receipt_now(amount=amount, currency=currency,
                                   organisation=Organisation.current())  # fmt: skip
    return why or "Your tax receipt follows by e-mail."


def receipt_posted_gift(sender, *, gift, by, **kwargs) -> None:
    org = Organisation.current()
    if not org.jurisdiction:
        return
    threshold = org.auto_receipt_threshold
    if not rules.needs_receipt_automatically(
        gift, jurisdiction=org.jurisdiction, threshold=threshold
    ):
        return
    try:
        receipt_issue(gifts=[gift], kind=Receipt.Kind.GIFT, jurisdiction=org.jurisdiction, by=by,
                      organisation=org)  # fmt: skip
    except ValidationError as exc:
        # The gift stays posted and is listed, with the reason, on /receipts/waiting/.
        log.warning("Gift #%s was not receipted: %s", gift.pk, "; ".join(exc.messages))


def thank_posted_gift(sender, *, gift, by, **kwargs) -> None:
    """Every posted gift is thanked (after receipt_posted_gift: the thank-you says whether
    a receipt comes). Imported gifts are history: they are not thanked again."""
    if getattr(gift, "imported_by_id", None):
        return
    from receipts.thanks import thank_you_write

    thank_you_write(gift=gift)


def follow_returned_money(sender, *, gift, by, **kwargs) -> None:
    line = ReceiptLine.objects.filter(gift=gift, in_force=True).select_related("receipt").first()
    if line is None:
        return
    reason = (
        f"Gift #{gift.pk} was voided" if gift.status == gift.Status.VOID
        else f"Gift #{gift.pk}: {money_label(gift.refunded_amount, gift.currency)} refunded"
    )  # fmt: skip
    replace = Organisation.current().on_refund == Organisation.OnRefund.REPLACE
    _void_and_maybe_replace(line.receipt, reason=reason, by=by, replace=replace)


def follow_merge(sender, *, merge, keep, by, **kwargs) -> None:
    in_force = Receipt.objects.filter(
        donor=merge, status=Receipt.Status.ISSUED, lines__in_force=True
    ).distinct()
    reason = f"Donor #{merge.pk} was merged into donor #{keep.pk}"
    replace = Organisation.current().on_refund == Organisation.OnRefund.REPLACE
    for receipt in in_force:
        _void_and_maybe_replace(receipt, reason=reason, by=by, replace=replace)


def _void_and_maybe_replace(receipt: Receipt, *, reason: str, by, replace: bool) -> None:
    """Void at once; the replacement too, or left to finance, as the organisation chose.

    A receipt rule never stops money from being recorded: when a rule refuses the
    replacement (a refund leaves the advantage above 80 % of what was kept), the receipt
    stays void and the gift waits on /receipts/waiting/ with that rule as its reason."""
    receipt_follow_void(receipt=receipt, reason=reason, by=by)
    if not replace:
        return
    try:
        with transaction.atomic():  # a savepoint: a refused replacement leaves the void
            receipt_follow_replace(receipt=receipt, reason=reason, by=by)
    except ValidationError as exc:
        log.warning(
            "Receipt %s is void; its replacement was refused: %s",
            receipt.receipt_number, "; ".join(exc.messages),
        )  # fmt: skip
