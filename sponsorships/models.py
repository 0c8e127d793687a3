"""Sponsors, their agreements, the benefits promised them, the instalments they owe, the
payments applied to those, and what restricted funds pay out (disbursements).

Money is integer minor units plus an ISO currency, as everywhere. What an instalment has
been paid is the sum of the payments applied to it; a payment not (wholly) applied is
credit held for the sponsor (an overpayment). Constraints keep every row possible.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from backoffice.audit import audited
from backoffice.documents import frozen_fields_changed
from backoffice.money import money_label, validate_currency


class Sponsor(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", "Company"
        FOUNDATION = "foundation", "Foundation"
        FINANCIAL = "financial", "Financial institution"
        PARTNER = "partner", "Partner non-profit"
        PUBLIC = "public", "Public body"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    website = models.URLField(blank=True)
    billing_email = models.EmailField(blank=True, help_text="Where invoices and reminders go.")
    billing_address = models.TextField(blank=True)
    tax_id = models.CharField("tax or VAT id", max_length=40, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, editable=False)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SponsorContact(models.Model):
    """A person at the sponsor; with a user, they sign in to the sponsor portal."""

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer (agreements and reports)"
        BILLING = "billing", "Billing (also invoices and payments)"

    sponsor = models.ForeignKey(Sponsor, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.VIEWER)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="sponsor_contacts",
    )  # fmt: skip
    invited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sponsor", "name"]
        constraints = [
            models.UniqueConstraint(fields=["sponsor", "email"], name="one_contact_per_email"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sponsor})"


class Tier(models.Model):
    name = models.CharField(max_length=100)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, validators=[validate_currency])
    standard_benefits = models.TextField(blank=True, help_text="One benefit per line.")

    class Meta:
        ordering = ["-amount"]

    def __str__(self) -> str:
        return f"{self.name} ({money_label(self.amount, self.currency)})"


class Agreement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    # What a sponsor has pledged: signed, running or done (not drafts or cancellations).
    PLEDGED = (Status.SIGNED, Status.ACTIVE, Status.COMPLETED)

    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, related_name="agreements")
    title = models.CharField(max_length=200)
    tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.PROTECT)
    amount = models.PositiveBigIntegerField(help_text="The whole agreement.")
    currency = models.CharField(max_length=3, validators=[validate_currency])
    starts_on = models.DateField()
    ends_on = models.DateField()
    fund = models.ForeignKey(
        "donors.Fund", null=True, blank=True, on_delete=models.PROTECT,
        related_name="agreements", help_text="What the money is restricted to, if anything.",
    )  # fmt: skip
    campaign = models.ForeignKey(
        "donors.Campaign", null=True, blank=True, on_delete=models.PROTECT,
        related_name="agreements",
    )  # fmt: skip
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    signed_on = models.DateField(null=True, blank=True)
    signed_document = models.FileField(upload_to="agreements/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()

    class Meta:
        ordering = ["-starts_on", "sponsor__name"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="agreement_amount_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="agreement_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sponsor}: {self.title}"

    @property
    def amount_display(self) -> str:
        return money_label(self.amount, self.currency)


class Benefit(models.Model):
    """A benefit promised to the sponsor; its fair market value reduces what a receipt or
    acknowledgement may count as a gift. Delivered when staff record it, with proof."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="benefits")
    description = models.CharField(max_length=300)
    fair_market_value = models.PositiveBigIntegerField(default=0)
    due_on = models.DateField(null=True, blank=True)
    delivered_on = models.DateField(null=True, blank=True)
    proof_url = models.URLField(blank=True)
    proof_file = models.FileField(upload_to="benefits/", blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.description


class Instalment(models.Model):
    class InvoiceStatus(models.TextChoices):
        NONE = "", "Not invoiced"
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        VOID = "void", "Void"
        UNCOLLECTIBLE = "uncollectible", "Uncollectible"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    amount = models.PositiveBigIntegerField()
    paid_amount = models.PositiveBigIntegerField(default=0, editable=False)
    written_off_amount = models.PositiveBigIntegerField(default=0, editable=False)
    write_off_reason = models.CharField(max_length=300, blank=True)
    stripe_invoice_id = models.CharField(max_length=255, blank=True)
    invoice_status = models.CharField(
        max_length=13, choices=InvoiceStatus.choices, blank=True, default=""
    )
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    history = audited()

    class Meta:
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="one_instalment_number"),
            models.CheckConstraint(
                condition=Q(paid_amount__lte=F("amount") - F("written_off_amount")),
                name="instalment_not_overpaid",
            ),
            models.CheckConstraint(
                condition=Q(written_off_amount__lte=F("amount")), name="write_off_within_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} · instalment {self.number}"

    @property
    def open_amount(self) -> int:
        """Still owed: the amount less what was paid and what was written off."""
        return self.amount - self.paid_amount - self.written_off_amount

    @property
    def state(self) -> str:
        from django.utils import timezone

        if self.open_amount == 0:
            return "written off" if self.written_off_amount and not self.paid_amount else "settled"
        if self.paid_amount:
            return "part paid"
        return "overdue" if self.due_on < timezone.localdate() else "due"


class SponsorPayment(models.Model):
    """Money received from a sponsor, applied to one or more instalments; what is not
    applied is the sponsor's credit."""

    class Method(models.TextChoices):
        WIRE = "wire", "Wire transfer"
        CHEQUE = "cheque", "Cheque"
        STRIPE = "stripe", "Stripe invoice"
        OTHER = "other", "Other"

    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, related_name="payments")
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, validators=[validate_currency])
    received_on = models.DateField()
    method = models.CharField(max_length=8, choices=Method.choices)
    reference = models.CharField(max_length=120, blank=True)
    # For a Stripe invoice payment: the charge, so the payout's line finds this payment.
    stripe_charge_id = models.CharField(max_length=100, blank=True, db_index=True)
    applied_amount = models.PositiveBigIntegerField(default=0, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sponsor_payment_positive"),
            models.CheckConstraint(
                condition=Q(applied_amount__lte=F("amount")), name="payment_not_over_applied"
            ),
            models.UniqueConstraint(
                fields=["method", "reference"], condition=~Q(reference=""),
                name="one_payment_per_reference",
                violation_error_message="A payment by this method with this reference is "
                "already recorded.",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.sponsor}: {money_label(self.amount, self.currency)} on {self.received_on}"

    @property
    def credit(self) -> int:
        return self.amount - self.applied_amount


class PaymentApplication(models.Model):
    payment = models.ForeignKey(
        SponsorPayment, on_delete=models.PROTECT, related_name="applications"
    )
    instalment = models.ForeignKey(
        Instalment, on_delete=models.PROTECT, related_name="applications"
    )
    amount = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="application_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of payment #{self.payment_id} to instalment #{self.instalment_id}"


class Disbursement(models.Model):
    """Money paid out of a restricted fund (prize money to winning artists, a grant)."""

    fund = models.ForeignKey("donors.Fund", on_delete=models.PROTECT, related_name="disbursements")
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, validators=[validate_currency])
    paid_on = models.DateField()
    payee = models.CharField(max_length=200)
    purpose = models.CharField(max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="disbursement_positive"),
        ]

    def __str__(self) -> str:
        return f"{money_label(self.amount, self.currency)} to {self.payee}"


class LetterSeries(models.Model):
    """Acknowledgement letter numbers, gapless per year (taken under a row lock)."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"ACK-{self.year}"


class AcknowledgementLetter(models.Model):
    """The letter that acknowledges a sponsor's payment and states the value of the benefits
    the sponsor received for it (a sponsorship payment gets this, not a donation receipt).
    What it says is kept as issued: it never changes; a wrong one is voided with a reason
    and issued again."""

    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        VOID = "void", "Void"

    MUTABLE_FIELDS = ("status", "void_reason", "pdf", "pdf_sha256", "sent_at")

    payment = models.ForeignKey(SponsorPayment, on_delete=models.PROTECT, related_name="letters")
    series = models.ForeignKey(LetterSeries, on_delete=models.PROTECT, related_name="letters")
    number = models.PositiveIntegerField()
    issued_at = models.DateTimeField()
    sponsor_name = models.CharField(max_length=200)
    sponsor_address = models.TextField(blank=True)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    received_on = models.DateField()
    # [{agreement, title, applied, benefits: [{description, fair_market_value}], share}]
    lines = models.JSONField(default=list)
    benefits_value = models.PositiveBigIntegerField(help_text="For this payment.")
    substantial = models.BooleanField(help_text="Benefits over 2 % of the payment.")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.ISSUED)
    void_reason = models.CharField(max_length=300, blank=True)
    pdf = models.FileField(upload_to="letters/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="one_letter_number"),
            models.UniqueConstraint(
                fields=["payment"], condition=Q(status="issued"), name="one_letter_per_payment"
            ),
        ]

    def __str__(self) -> str:
        return self.letter_number

    @property
    def letter_number(self) -> str:
        return f"ACK-{self.series.year}-{self.number:05d}"

    @property
    def contribution(self) -> int:
        return self.amount - self.benefits_value

    def save(self, *args, **kwargs):
        if not kwargs.get("force_insert") and (changed := frozen_fields_changed(self)):
            from django.core.exceptions import ValidationError

            raise ValidationError(f"An issued letter cannot change ({', '.join(changed)}).")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        from django.core.exceptions import ValidationError

        raise ValidationError("Letters are never deleted; void it instead.")
