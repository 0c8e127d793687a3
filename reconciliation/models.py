"""What a Stripe payout is made of: one line per balance transaction, matched to the gift
payment, refund or dispute it settles (fees and the payout itself need no record), with
the reason when it cannot be. A payout is reconciled when every line is matched and the
lines add up to the payout to the cent."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PayoutLine(models.Model):
    class Kind(models.TextChoices):
        CHARGE = "charge", "Payment"
        REFUND = "refund", "Refund"
        DISPUTE = "dispute", "Dispute"
        FEE = "fee", "Stripe fee"
        PAYOUT = "payout", "The payout itself"
        OTHER = "other", "Other"

    payout = models.ForeignKey("payments.Payout", on_delete=models.CASCADE, related_name="lines")
    balance_transaction_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=40, help_text="Stripe's balance transaction type.")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    source_id = models.CharField(max_length=100, blank=True, db_index=True)
    # Settlement currency, minor units, signed as Stripe signs them.
    amount = models.BigIntegerField()
    fee = models.BigIntegerField(default=0)
    net = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # What the donor paid, before conversion (with Stripe's rate as text: never a float).
    source_amount = models.BigIntegerField(null=True, blank=True)
    source_currency = models.CharField(max_length=3, blank=True)
    exchange_rate = models.CharField(max_length=30, blank=True)
    created = models.DateTimeField()
    payment = models.ForeignKey("payments.Payment", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="payout_lines")  # fmt: skip
    refund = models.ForeignKey("payments.Refund", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="payout_lines")  # fmt: skip
    dispute = models.ForeignKey("payments.Dispute", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="payout_lines")  # fmt: skip
    problem = models.CharField(max_length=300, blank=True, help_text="Empty: matched.")

    class Meta:
        ordering = ["payout", "created", "id"]

    def __str__(self) -> str:
        return f"{self.balance_transaction_id} ({self.type})"


class PayoutCheck(models.Model):
    """The outcome of the last reconciliation of a payout."""

    class Status(models.TextChoices):
        RECONCILED = "reconciled", "Reconciled"
        EXCEPTIONS = "exceptions", "Exceptions"

    payout = models.OneToOneField("payments.Payout", on_delete=models.CASCADE,
                                  related_name="reconciliation")  # fmt: skip
    status = models.CharField(max_length=10, choices=Status.choices)
    lines = models.PositiveIntegerField()
    lines_net = models.BigIntegerField()
    exceptions = models.JSONField(default=list, help_text="[{line, reason}]; the sum's too.")
    checked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.payout_id}: {self.status}"


class Period(models.Model):
    """A month of the books. Closed, its gifts cannot change; reopening is finance's, with a
    reason. Every close and reopen is kept (PeriodEvent)."""

    month = models.DateField(unique=True, help_text="The first day of the month.")
    closed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-month"]
        permissions = [("reopen_period", "Can reopen a closed month")]

    def __str__(self) -> str:
        return f"{self.month:%B %Y}"


class PeriodEvent(models.Model):
    class Action(models.TextChoices):
        CLOSE = "close", "Closed"
        REOPEN = "reopen", "Reopened"

    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=6, choices=Action.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.period}: {self.get_action_display()} by {self.by}"
