"""The books: a chart of accounts and the journal entries every money movement posts.

An entry has two or more lines in one or more currencies; in each currency its lines sum
to zero (debits positive, credits negative). The database itself refuses an unbalanced
entry, a line added to an entry already posted, any change or delete of either, and an
entry dated in a closed month (migration 0002): corrections are new entries that reverse.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backoffice.money import format_money


class Account(models.Model):
    class Type(models.TextChoices):
        ASSET = "asset", "Asset"
        LIABILITY = "liability", "Liability"
        NET_ASSETS = "net_assets", "Net assets"
        INCOME = "income", "Income"
        EXPENSE = "expense", "Expense"

    class Restriction(models.TextChoices):
        NONE = "", "Not applicable"
        WITHOUT = "without", "Without donor restrictions"
        WITH = "with", "With donor restrictions"

    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=10, choices=Type.choices)
    restriction = models.CharField(
        max_length=7, choices=Restriction.choices, blank=True,
        help_text="For net assets and income: the restriction class they belong to.",
    )  # fmt: skip
    is_bank = models.BooleanField(
        default=False, help_text="Cash at a bank: its lines are matched to bank statements."
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def debit_normal(self) -> bool:
        return self.type in (self.Type.ASSET, self.Type.EXPENSE)


class Entry(models.Model):
    """One posting of the books, linked to the document that caused it."""

    class Source(models.TextChoices):
        GIFT = "gift", "Gift"
        PAYMENT = "payment", "Stripe fee on a payment"
        REFUND = "refund", "Refund"
        DISPUTE = "dispute", "Dispute"
        PAYOUT = "payout", "Stripe payout"
        DEPOSIT = "deposit", "Bank deposit of a batch"
        SPONSOR_PAYMENT = "sponsor_payment", "Sponsor payment"
        DISBURSEMENT = "disbursement", "Disbursement"
        BANK_MATCH = "bank_match", "Bank line difference"

    posted_on = models.DateField(help_text="The date in the books; its month is the period.")
    occurred_on = models.DateField(help_text="The source document's own date.")
    source_type = models.CharField(max_length=16, choices=Source.choices)
    source_id = models.BigIntegerField()
    memo = models.CharField(max_length=300)
    reference = models.CharField(
        max_length=200, blank=True,
        help_text="The document's own reference: a cheque's, Stripe's id, a wire's.",
    )  # fmt: skip
    note = models.CharField(
        max_length=300, blank=True,
        help_text="Why it is where it is: a reversal, or money for a closed month.",
    )  # fmt: skip
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+", db_index=False)  # fmt: skip
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["posted_on", "id"]
        verbose_name_plural = "entries"
        indexes = [
            models.Index(fields=["source_type", "source_id"], name="ledger_entry_source"),
        ]  # no index on posted_on: reports read MonthBalance, exports scan a period once

    def __str__(self) -> str:
        return f"#{self.pk} {self.posted_on} {self.memo}"


class Line(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="lines")
    # No index of its own: an account's lines are read a page at a time, newest first (a
    # scan that stops early), and its totals come from MonthBalance. An import writes a
    # line per gift and fund split; one index fewer is a tenth of its ledger time.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines",
                                db_index=False)  # fmt: skip
    currency = models.CharField(max_length=3)
    amount = models.BigIntegerField(help_text="Debit positive, credit negative.")
    fund = models.ForeignKey("donors.Fund", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="ledger_lines", db_index=False)  # fmt: skip

    class Meta:
        ordering = ["entry", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_line_not_zero"),
        ]

    def __str__(self) -> str:
        side = "Dr" if self.amount > 0 else "Cr"
        return f"{side} {self.account_id} {format_money(abs(self.amount), self.currency)}"

    @property
    def debit(self) -> int:
        return max(self.amount, 0)

    @property
    def credit(self) -> int:
        return max(-self.amount, 0)


class MonthBalance(models.Model):
    """Debits and credits per account, month, currency and fund (0: none), kept in the
    posting transaction so that a trial balance reads a few hundred rows, not millions."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+",
                                db_index=False)  # fmt: skip
    month = models.DateField()
    currency = models.CharField(max_length=3)
    fund_key = models.BigIntegerField(default=0, help_text="The fund's id; 0 for none.")
    debit = models.BigIntegerField(default=0)
    credit = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["month", "account"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "month", "currency", "fund_key"],
                name="ledger_month_balance_once",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m} {self.currency}"
