"""Offline money as it arrives: a deposit batch typed in from a deposit slip, and a CSV import."""

import datetime as dt

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from backoffice.money import format_money, validate_currency


class GiftBatch(models.Model):
    """The gifts of one bank deposit. Finance types in the slip's count and total first;
    the batch closes (and its gifts are posted) only when what was entered matches."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Method(models.TextChoices):
        CHEQUE = "cheque", "Cheques"
        CASH = "cash", "Cash"
        BANK_TRANSFER = "bank_transfer", "Bank transfers"
        MIXED = "mixed", "Mixed"

    reference = models.CharField(max_length=60, unique=True, help_text="Deposit slip number.")
    deposited_on = models.DateField()
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.CHEQUE)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    expected_count = models.PositiveIntegerField(
        validators=[MinValueValidator(1, "A batch holds at least one gift.")]
    )
    expected_total = models.PositiveBigIntegerField(
        validators=[MinValueValidator(1, "The slip total must be greater than zero.")],
        help_text="The deposit slip's total.",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-deposited_on", "-id"]
        verbose_name_plural = "gift batches"
        permissions = [("close_giftbatch", "Can close a gift batch and post its gifts")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expected_total__gt=0) & models.Q(expected_count__gt=0),
                name="batch_expectations_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Batch {self.reference}"

    @property
    def expected_total_display(self) -> str:
        return format_money(self.expected_total, self.currency)


class GiftImport(models.Model):
    """One CSV file of gifts: checked (dry run), then committed all at once or not at all."""

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking"
        CHECKED = "checked", "Checked, ready to import"
        INVALID = "invalid", "Has errors, nothing imported"
        QUEUED = "queued", "Waiting to import"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed, nothing imported"

    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.CHECKING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text="[{line, column, message}] for every bad row."
    )
    summary = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The heartbeat of a check or an import under way (its progress is saved every chunk):
    # one that has not moved for STALLED_AFTER lost its worker.
    updated_at = models.DateTimeField(default=timezone.now)
    attempt = models.PositiveIntegerField(
        default=0, help_text="Each start of the import takes the next; an older one writes nothing."
    )
    failure = models.TextField(blank=True, help_text="Why the check or the import failed.")

    STALLED_AFTER = dt.timedelta(minutes=10)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import #{self.pk} · {self.original_name}"

    @property
    def busy(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.QUEUED, self.Status.RUNNING)

    @property
    def stalled(self) -> bool:
        """Under way, by its status, but its worker has not saved progress for a while: it
        was killed (nothing is imported until the one transaction that writes commits)."""
        return self.busy and timezone.now() - self.updated_at > self.STALLED_AFTER

    @property
    def progress_percent(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0
