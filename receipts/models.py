"""Receipts: numbered, immutable acknowledgements of gifts for the donor's tax authority.

Rules the model layer holds, and the database too (constraints and triggers, see the
migrations), so that no code path (model, admin, queryset update, raw SQL) can break them:
- a number is unique within its series, and series numbers are handed out without gaps
  (services.receipt_issue takes the next number under a lock, in the issuing transaction);
- an issued receipt never changes: only its delivery state moves on, and it can be voided
  (with a reason) exactly once. A correction is a void plus a new receipt that `replaces`
  the old one;
- receipts are never deleted;
- a gift is on at most one receipt in force (`ReceiptLine.in_force`, unique per gift).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from backoffice.email_addresses import EmailAddressField
from backoffice.money import format_money, validate_currency


class Jurisdiction(models.TextChoices):
    US = "US", "United States (IRS)"
    CA = "CA", "Canada (CRA)"


RECEIPT_IMAGE_MAX_BYTES = 2 * 1024 * 1024


def validate_colour(value: str) -> None:
    import re

    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value or ""):
        raise ValidationError("Write the colour as # and six hexadecimal digits, e.g. #5b2a86.")


def validate_receipt_image(upload) -> None:
    """A logo or signature must be a PNG or JPEG that opens, and small enough to be drawn
    on thousands of receipts."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > RECEIPT_IMAGE_MAX_BYTES:
        raise ValidationError("The image is larger than 2 MB; use a smaller one.")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValidationError("This file is not an image that can be read.") from exc
    finally:
        upload.seek(0)
    if kind not in ("PNG", "JPEG"):
        raise ValidationError(f"The image is a {kind}: use a PNG or a JPEG.")


class Organisation(models.Model):
    """The organisation as its receipts name it (one row, edited by finance in the admin)."""

    class OnRefund(models.TextChoices):
        REPLACE = "replace", "Void the receipt and issue its replacement at once"
        QUEUE = "queue", "Void the receipt; finance issues the replacement"

    class StatementLists(models.TextChoices):
        UNRECEIPTED = "unreceipted", "The year's gifts not yet receipted"
        ALL = (
            "all",
            (
                "All the year's gifts, as a summary (those already receipted are listed with "
                "their receipt, not counted again)"
            ),
        )

    legal_name = models.CharField(max_length=200, default="")
    display_name = models.CharField(
        "name on pages and e-mails", max_length=100, blank=True,
        help_text="How people know the organisation (empty: its legal name).",
    )  # fmt: skip
    currency = models.CharField(
        "home currency", max_length=3, default="USD", validators=[validate_currency],
        help_text="The currency of its books and of the amounts set here.",
    )  # fmt: skip
    brand_colour = models.CharField(
        max_length=7, default="#5b2a86", validators=[validate_colour],
        help_text="A dark colour, as #rrggbb: headers and buttons on every page and e-mail.",
    )  # fmt: skip
    address = models.TextField(blank=True, help_text="As registered, one line per line.")
    jurisdiction = models.CharField(
        max_length=2, choices=Jurisdiction.choices, blank=True,
        help_text="Where receipts are issued. Empty: no receipt is issued automatically.",
    )  # fmt: skip
    registration_number = models.CharField(
        max_length=40, blank=True, help_text="CRA charity registration number (Canada)."
    )
    ein = models.CharField("EIN", max_length=20, blank=True, help_text="United States.")
    place_of_issue = models.CharField(max_length=100, blank=True)
    signatory_name = models.CharField(max_length=200, blank=True)
    signatory_title = models.CharField(max_length=200, blank=True)
    signatory_title_fr = models.CharField(
        "signatory title in French", max_length=200, blank=True,
        help_text="Printed on French receipts (Canada); without it they give the name alone.",
    )  # fmt: skip
    logo = models.FileField(
        upload_to="organisation/", blank=True, validators=[validate_receipt_image],
        help_text="PNG or JPEG, up to 2 MB: printed at the top of every receipt.",
    )  # fmt: skip
    signature = models.FileField(
        upload_to="organisation/", blank=True, validators=[validate_receipt_image],
        help_text="PNG or JPEG, up to 2 MB: the authorised person's signature.",
    )  # fmt: skip
    auto_receipt_threshold = models.PositiveBigIntegerField(
        default=2_000,
        help_text="Gifts of at least this much are receipted when posted; the "
        "rest wait for the year-end statement. US gifts of $250 or more always are.",
    )
    on_refund = models.CharField(max_length=8, choices=OnRefund.choices, default=OnRefund.REPLACE)
    bank_details = models.TextField(
        blank=True, help_text="Printed on sponsor invoices and reminders for wire payments.",
    )  # fmt: skip
    statement_lists = models.CharField(
        "year-end statements list", max_length=12, choices=StatementLists.choices,
        default=StatementLists.UNRECEIPTED,
    )  # fmt: skip

    def __str__(self) -> str:
        return self.legal_name or "Organisation"

    @property
    def name(self) -> str:
        return self.display_name or self.legal_name or "Back office"

    @classmethod
    def current(cls) -> Organisation:
        return cls.objects.get_or_create(pk=1)[0]


class ReceiptSeries(models.Model):
    """Numbers for one jurisdiction and year: prefix + year + number, e.g. CA2026-000123."""

    jurisdiction = models.CharField(max_length=2, choices=Jurisdiction.choices)
    year = models.PositiveSmallIntegerField()
    prefix = models.CharField(max_length=10, blank=True)
    last_number = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-year", "jurisdiction"]
        verbose_name_plural = "receipt series"
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "year"], name="one_series_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix or self.jurisdiction}{self.year}"


def _verification_code() -> str:
    return secrets.token_urlsafe(12)


class Receipt(models.Model):
    class Kind(models.TextChoices):
        GIFT = "gift", "Receipt for one gift"
        STATEMENT = "statement", "Year-end statement"
        ACKNOWLEDGEMENT = "acknowledgement", "Sponsorship acknowledgement"

    class Status(models.TextChoices):
        ISSUED = "issued", "Issued"
        VOID = "void", "Void"

    class Delivery(models.TextChoices):
        NOT_SENT = "not_sent", "Not sent"
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    # What may change after issue: the delivery, the void, and the PDF once (rendered after).
    MUTABLE_FIELDS = (
        "status", "void_reason", "voided_at", "voided_by", "delivery_status",
        "delivery_attempts", "delivered_at", "delivery_error", "pdf", "pdf_sha256",
    )  # fmt: skip

    series = models.ForeignKey(ReceiptSeries, on_delete=models.PROTECT, related_name="receipts")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    donor = models.ForeignKey("donors.Donor", on_delete=models.PROTECT, related_name="receipts")
    # The donor as they were when the receipt was issued.
    donor_name = models.CharField(max_length=300)
    donor_address = models.TextField(blank=True)
    donor_email = EmailAddressField(blank=True)
    language = models.CharField(max_length=8, default="en")
    currency = models.CharField(max_length=3, validators=[validate_currency])
    total_amount = models.PositiveBigIntegerField()
    advantage_amount = models.PositiveBigIntegerField(default=0)
    eligible_amount = models.PositiveBigIntegerField()
    tax_year = models.PositiveSmallIntegerField()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.ISSUED)
    void_reason = models.CharField(max_length=300, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pdf = models.FileField(upload_to="receipts/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    delivery_status = models.CharField(
        max_length=8, choices=Delivery.choices, default=Delivery.NOT_SENT
    )
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivery_error = models.CharField(max_length=300, blank=True)
    verification_code = models.CharField(max_length=24, unique=True, default=_verification_code)
    # On a summary statement: the year's gifts already on other receipts, as they stood at
    # issue ({gift, received_on, amount, receipt}); listed, not counted.
    already_receipted = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="receipt_number_unique"),
            models.CheckConstraint(
                condition=models.Q(
                    eligible_amount=models.F("total_amount") - models.F("advantage_amount")
                ),
                name="receipt_eligible_is_total_less_advantage",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="void") | ~models.Q(void_reason=""),
                name="receipt_void_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(number__gt=0), name="receipt_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Receipt {self.receipt_number}"

    @property
    def receipt_number(self) -> str:
        return f"{self.series}-{self.number:06d}"

    @property
    def eligible_display(self) -> str:
        return format_money(self.eligible_amount, self.currency)

    def save(self, *args, **kwargs):
        """New receipts come only from receipts.services; afterwards only MUTABLE_FIELDS move
        (the database's triggers refuse the rest, whatever path tries)."""
        if self.pk:
            stored = Receipt.objects.filter(pk=self.pk).values().get()
            changed = [
                f.name
                for f in self._meta.concrete_fields
                if f.name not in self.MUTABLE_FIELDS
                and stored[f.attname] != getattr(self, f.attname)
            ]
            if changed:
                raise ValidationError(
                    f"Receipt {self.receipt_number} is issued: its {', '.join(changed)} cannot "
                    "change. Void it and issue a replacement."
                )
            if stored["status"] == self.Status.VOID and self.status != self.Status.VOID:
                raise ValidationError(f"Receipt {self.receipt_number} is void for good.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Receipts are never deleted; void it instead.")


class ReceiptLine(models.Model):
    """A gift a receipt covers, with the amounts as receipted."""

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="lines")
    gift = models.ForeignKey("donors.Gift", on_delete=models.PROTECT, related_name="receipt_lines")
    amount = models.PositiveBigIntegerField()
    advantage = models.PositiveBigIntegerField(default=0)
    in_force = models.BooleanField(
        default=True, help_text="False once the receipt is void: the gift may be receipted again."
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["receipt", "gift"], name="receipt_line_once"),
            models.UniqueConstraint(
                fields=["gift"],
                condition=models.Q(in_force=True),
                name="gift_on_one_receipt_in_force",
                violation_error_message="This gift is already on a receipt in force.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt} · gift #{self.gift_id}"


class StatementRun(models.Model):
    """One year-end run: a statement per donor for the year's gifts not yet receipted. It
    can be stopped and started again; a donor already covered gets nothing twice."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    year = models.PositiveSmallIntegerField()
    jurisdiction = models.CharField(max_length=2, choices=Jurisdiction.choices)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    stop_requested = models.BooleanField(default=False)
    total = models.PositiveIntegerField(default=0, help_text="Donors with gifts to cover.")
    done = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # Each execution takes the next attempt; one that finds a later attempt has begun (the
    # run was restarted while it was thought dead) stops, so two never go on side by side.
    attempt = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)  # moves with every chunk done
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    # A running run saves its progress every few seconds at most; one silent for longer
    # lost its worker (killed, redeployed) and may be started again.
    STALLED_AFTER = dt.timedelta(minutes=10)

    def __str__(self) -> str:
        kind = "dry run" if self.dry_run else "run"
        return f"{self.jurisdiction} {self.year} statements {kind} #{self.pk}"

    @property
    def stalled(self) -> bool:
        return (
            self.status == self.Status.RUNNING
            and timezone.now() - self.updated_at > self.STALLED_AFTER
        )

    @property
    def can_restart(self) -> bool:
        return self.status in (self.Status.STOPPED, self.Status.FAILED) or self.stalled


class StatementRunNote(models.Model):
    """A donor the run skipped, or whose statement it issued with something to do about it
    (it goes by post), and why."""

    class Reason(models.TextChoices):
        NO_EMAIL = "no_email", "No e-mail address: goes by post"
        OPTED_OUT = "opted_out", "Opted out of e-mail: goes by post"
        NOTHING_ELIGIBLE = "nothing_eligible", "Skipped: nothing eligible any more"
        REFUSED = "refused", "Skipped: a rule refused the statement"
        CHANGED = "changed", "Skipped: a gift changed while the run was on it"

    ISSUED = (Reason.NO_EMAIL, Reason.OPTED_OUT)  # the statement exists; a restart keeps these

    run = models.ForeignKey(StatementRun, on_delete=models.CASCADE, related_name="notes")
    donor = models.ForeignKey(
        "donors.Donor", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    donor_name = models.CharField(max_length=300, help_text="As it was at the run.")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.TextField(blank=True, help_text="What the rule or the change said.")

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["run", "reason"])]

    def __str__(self) -> str:
        return f"{self.donor_name}: {self.get_reason_display()}"


class StatementRunReceipt(models.Model):
    """A statement and the run that issued it, written in the statement's own transaction:
    a run killed at any moment and started again counts exactly what it issued (its saved
    counters may lag by a chunk), and its page reads every statement's delivery from here."""

    run = models.ForeignKey(StatementRun, on_delete=models.PROTECT, related_name="statements")
    receipt = models.OneToOneField(Receipt, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"{self.receipt_id} by {self.run}"


def validate_thanks_placeholders(text: str) -> None:
    from receipts.thanks import PLACEHOLDERS, unknown_placeholders

    if unknown := unknown_placeholders(text):
        raise ValidationError(
            f"Unknown placeholder(s): {', '.join('{' + u + '}' for u in unknown)}. "
            f"Use only {', '.join('{' + p + '}' for p in PLACEHOLDERS)}."
        )


class ThankYouText(models.Model):
    """What the thank-you for a gift says, written by fundraising: one per language, and,
    when a campaign wants its own words, per campaign. Placeholders only, never template
    code: {first_name}, {amount}, {campaign}, {organisation}, {donor_page}, {receipt}."""

    campaign = models.ForeignKey(
        "donors.Campaign", null=True, blank=True, on_delete=models.CASCADE,
        related_name="thank_you_texts", help_text="Empty: for every gift without its own text.",
    )  # fmt: skip
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    subject = models.CharField(max_length=200, validators=[validate_thanks_placeholders])
    body = models.TextField(validators=[validate_thanks_placeholders])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "language"], name="thanks_per_campaign"),
            models.UniqueConstraint(fields=["language"], condition=models.Q(campaign=None),
                                    name="one_general_thanks_per_language"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.campaign or 'Every gift'} ({self.get_language_display()})"


class ThankYou(models.Model):
    """The thank-you a gift got: written once when it posted, as it was sent."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (sent again later)"
        NO_EMAIL = "no_email", "No e-mail address: thank by post or phone"

    gift = models.OneToOneField("donors.Gift", on_delete=models.PROTECT, related_name="thank_you")
    to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Thank-you for gift #{self.gift_id} ({self.get_status_display().lower()})"
