"""Reads shared by pages: where a gift's money is."""

from __future__ import annotations

from donors.models import Gift
from reconciliation.models import BankLine, PayoutLine


def gift_money_trail(gift: Gift) -> str:
    """Whether a gift is reconciled, and in which payout or deposit: online gifts through
    the Stripe payout line of their charge, offline ones through their deposit batch's bank
    match."""
    line = (
        PayoutLine.objects.filter(payment__gift=gift).select_related("payout__reconciliation")
        .first()
    )  # fmt: skip
    if line is not None:
        check = getattr(line.payout, "reconciliation", None)
        state = "reconciled" if check and check.status == "reconciled" else "not reconciled"
        banked = BankLine.objects.filter(match__payouts=line.payout,
                                         match__undone_at__isnull=True).first()  # fmt: skip
        where = f" · in the bank {banked.booked_on}" if banked else " · not yet seen in the bank"
        return f"Stripe payout {line.payout.payout_id} ({state}){where}"
    if gift.batch_id:
        banked = BankLine.objects.filter(match__batches=gift.batch_id,
                                         match__undone_at__isnull=True).first()  # fmt: skip
        if banked:
            return f"deposit {gift.batch.reference} · in the bank {banked.booked_on} (reconciled)"
        return f"deposit {gift.batch.reference} · not yet matched to the bank"
    return ""
