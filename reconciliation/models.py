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
    sponsor_payment = models.ForeignKey(
        "sponsorships.SponsorPayment", null=True, blank=True, on_delete=models.PROTECT,
        related_name="payout_lines",
    )  # fmt: skip
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


class BankAccount(models.Model):
    """A bank account whose statements are imported, with its CSV layout saved."""

    name = models.CharField(max_length=100, unique=True)
    currency = models.CharField(max_length=3)
    account_number = models.CharField(
        "IBAN or account number", max_length=34, blank=True,
        help_text="A statement that names another account is refused.",
    )  # fmt: skip
    # Which CSV column holds what: {"date": "Booking date", "amount": "Amount",
    # "description": "Text", "reference": "Ref", "date_format": "%d.%m.%Y",
    # "decimal_comma": false}
    csv_mapping = models.JSONField(default=dict, blank=True)
    # A bank line may differ from what it matches by this much at most (a bank's fee on a
    # deposit, a rounding of an exchange): finance sets it, and picks where it is posted.
    match_tolerance = models.PositiveBigIntegerField(
        default=0, help_text="0: amounts must be equal to the cent."
    )

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class BankStatementImport(models.Model):
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    lines_added = models.PositiveIntegerField(default=0)
    # From a camt.053 statement: its id and sequence number, and its balances (checked:
    # opening + booked lines = closing). A gap in the sequence is said in `note`.
    statement_id = models.CharField(max_length=100, blank=True)
    sequence = models.PositiveBigIntegerField(null=True, blank=True)
    opening_balance = models.BigIntegerField(null=True, blank=True)
    closing_balance = models.BigIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")  # fmt: skip
    imported_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d})"


class BankLine(models.Model):
    """One line of a bank statement. Its fingerprint (date, amount, text, reference and which
    occurrence of those it is) makes importing the same lines again add nothing."""

    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="lines")
    statement = models.ForeignKey(BankStatementImport, on_delete=models.PROTECT,
                                  related_name="lines")  # fmt: skip
    booked_on = models.DateField()
    amount = models.BigIntegerField(help_text="Money in is positive.")
    description = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=200, blank=True)
    end_to_end_id = models.CharField("end-to-end id", max_length=100, blank=True)
    creditor_reference = models.CharField(max_length=100, blank=True)
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_iban = models.CharField("counterparty IBAN", max_length=34, blank=True)
    fingerprint = models.CharField(max_length=64)
    match = models.ForeignKey("BankMatch", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="lines")  # fmt: skip
    # A line split by a person (one deposit of two things): its parts are matched instead.
    split_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="parts")  # fmt: skip
    is_split = models.BooleanField(default=False)

    class Meta:
        ordering = ["booked_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "fingerprint"], name="bank_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount} {self.description[:40]}"


class BankMatch(models.Model):
    """Bank lines matched to what they deposit: Stripe payouts and offline deposit batches,
    one to one, one to many or many to one; automatic (with its confidence and reason) or
    made by a person. Who and when are kept."""

    automatic = models.BooleanField()
    confidence = models.PositiveSmallIntegerField(help_text="Percent; 100 for a person's.")
    reason = models.CharField(max_length=300)
    payouts = models.ManyToManyField("payments.Payout", blank=True, related_name="bank_matches")
    batches = models.ManyToManyField("donors.GiftBatch", blank=True, related_name="bank_matches")
    # A gift by bank transfer is in the bank the day it is posted: its line matches it.
    gifts = models.ManyToManyField("donors.Gift", blank=True, related_name="bank_matches")
    sponsor_payments = models.ManyToManyField("sponsorships.SponsorPayment", blank=True,
                                              related_name="bank_matches")  # fmt: skip
    disbursements = models.ManyToManyField("sponsorships.Disbursement", blank=True,
                                           related_name="bank_matches")  # fmt: skip
    # What the bank line differs from what it matches by (a bank fee: the line is short),
    # accepted within the tolerance and posted to `difference_account`.
    difference = models.BigIntegerField(default=0, help_text="Positive: a cost.")
    difference_account = models.ForeignKey("ledger.Account", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")  # fmt: skip
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")  # fmt: skip
    at = models.DateTimeField(auto_now_add=True)
    # An automatic match below AUTO_ACCEPT confidence is a proposal until a person accepts
    # it (one by one or all at once); its lines count as not matched until then.
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")  # fmt: skip
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")  # fmt: skip
    matched_lines = models.JSONField(
        default=list, blank=True, help_text="The bank lines' ids, kept when undone."
    )

    def __str__(self) -> str:
        return f"match #{self.pk} ({self.reason})"


class BankRule(models.Model):
    """A rule finance saves for the automatic matching: a line whose text contains these
    words is matched only to that kind of money ("STRIPE" → Stripe payouts), or explained
    to that ledger account at once ("ACCOUNT FEE" → bank charges)."""

    class Kind(models.TextChoices):
        PAYOUTS = "payouts", "Stripe payouts"
        BATCHES = "batches", "Deposit batches"
        SPONSOR_PAYMENTS = "sponsor_payments", "Sponsors' payments"
        DISBURSEMENTS = "disbursements", "Disbursements"
        GIFTS = "gifts", "Gifts by transfer or card terminal"
        EXPLAIN = "explain", "Explain to a ledger account"

    account = models.ForeignKey(
        BankAccount,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="rules",
        help_text="Empty: every account.",
    )
    text_contains = models.CharField(max_length=100, help_text="Case does not matter.")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    explain_to = models.ForeignKey("ledger.Account", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")  # fmt: skip
    reason = models.CharField(max_length=200, blank=True, help_text="Said on each match.")

    class Meta:
        ordering = ["text_contains"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="explain") | models.Q(explain_to__isnull=False),
                name="bank_rule_explains_to_an_account",
                violation_error_message="A rule that explains lines needs the ledger account.",
            ),
        ]

    def __str__(self) -> str:
        return f"“{self.text_contains}” → {self.explain_to or self.get_kind_display()}"

    def applies_to(self, line: BankLine) -> bool:
        said = f"{line.description} {line.reference} {line.counterparty_name}".lower()
        return self.text_contains.strip().lower() in said
