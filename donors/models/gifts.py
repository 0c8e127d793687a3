"""Gifts, their split across funds, and recurring plans.

Rules the model layer holds (and the database where it can):
- amounts are positive integers in the currency's minor unit, with a known ISO currency;
- the fair market value of what the donor received is between 0 and the amount;
- a posted gift's split adds up to its amount exactly, and its financial fields never
  change afterwards: a mistake is corrected by voiding the gift and entering it again.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Sum

from backoffice.audit import audited
from backoffice.money import format_money, money_label, validate_currency
from backoffice.validation import clean_before_save

positive_amount = MinValueValidator(1, "The amount must be greater than zero.")


def split_errors(amount: int, currency: str, parts: Iterable[tuple[object, int]]) -> list[str]:
    """Why a split of `amount` across funds is wrong, or [] when it is right.

    `parts` are (fund, amount) pairs. Shared by the model, forms and the CSV import so that
    every way in refuses the same things with the same words.
    """
    parts = list(parts)
    errors = []
    if not parts:
        return ["a gift must be allocated to at least one fund"]
    seen = set()
    for fund, part in parts:
        if part is None or part <= 0:
            errors.append(f"the share for fund {fund} must be greater than zero")
        if fund in seen:
            errors.append(f"fund {fund} appears twice in the split")
        seen.add(fund)
    total = sum(p for _, p in parts if p)
    if not errors and total != amount:
        errors.append(
            f"the fund split adds up to {money_label(total, currency)} "
            f"but the gift is {money_label(amount, currency)}"
        )
    return errors


class Gift(models.Model):
    class Method(models.TextChoices):
        CARD = "card", "Card"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        CHEQUE = "cheque", "Cheque"
        CASH = "cash", "Cash"
        IN_KIND = "in_kind", "In kind"
        STOCK = "stock", "Stock / securities"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # entered in an open batch, or awaiting payment
        POSTED = "posted", "Posted"  # in the books
        VOID = "void", "Void"  # entered in error or never paid; kept, never deleted

    class Tribute(models.TextChoices):
        NONE = "", "None"
        HONOUR = "honour", "In honour of"
        MEMORY = "memory", "In memory of"

    # Fields that are the money itself: frozen once the gift is posted.
    FINANCIAL_FIELDS = ("amount", "currency", "received_on", "method", "fair_market_value")

    donor = models.ForeignKey("donors.Donor", on_delete=models.PROTECT, related_name="gifts")
    amount = models.PositiveBigIntegerField(validators=[positive_amount])
    currency = models.CharField(max_length=3, validators=[validate_currency])
    received_on = models.DateField()
    method = models.CharField(max_length=16, choices=Method.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    campaign = models.ForeignKey(
        "donors.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="gifts"
    )
    fair_market_value = models.PositiveBigIntegerField(
        default=0,
        help_text="Value of goods or services the donor received in return.",
    )
    advantage_description = models.CharField("what the donor received", max_length=200, blank=True)
    property_description = models.CharField(
        "description of property", max_length=300, blank=True, help_text="For in-kind and stock."
    )
    appraiser = models.CharField(
        max_length=300, blank=True,
        help_text="Name and address of the appraiser, when the property was appraised.",
    )  # fmt: skip
    tribute_type = models.CharField(
        "tribute", max_length=8, choices=Tribute.choices, blank=True, default=""
    )
    tribute_name = models.CharField(max_length=200, blank=True)
    soft_credit_donor = models.ForeignKey(
        "donors.Donor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="soft_credited_gifts",
        help_text="Another donor credited for this gift (a spouse, the firm that asked).",
    )
    external_reference = models.CharField(
        max_length=100, blank=True, help_text="Cheque number, bank reference, import id..."
    )
    referral_code = models.CharField(
        max_length=40,
        blank=True,
        default="",
        db_default="",  # so raw bulk inserts (the CSV import) need not name it
        db_index=True,
        help_text="The fan or page that brought this gift (?ref= on the donation page).",
    )
    refunded_amount = models.PositiveBigIntegerField(
        default=0,
        db_default=0,
        help_text="Money returned to the donor since (refunds, lost chargebacks). "
        "The gift itself is never changed or deleted.",
    )
    batch = models.ForeignKey(
        "donors.GiftBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="gifts"
    )
    imported_by = models.ForeignKey(
        "donors.GiftImport", null=True, blank=True, on_delete=models.PROTECT, related_name="gifts"
    )
    recurring_plan = models.ForeignKey(
        "donors.RecurringPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gifts",
    )
    notes = models.TextField(blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["-received_on", "-id"], name="gift_list_order"),
            models.Index(fields=["status", "received_on"], name="gift_status_date"),
            # Search looks references up exactly; the unique constraint's partial index
            # cannot serve an equality on SQLite.
            models.Index(fields=["external_reference"], name="gift_reference"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="gift_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(fair_market_value__lte=models.F("amount")),
                name="gift_advantage_within_amount",
            ),
            models.UniqueConstraint(
                fields=["external_reference"],
                condition=~models.Q(external_reference=""),
                name="gift_external_reference_unique",
                violation_error_message="A gift with this external reference already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__lte=models.F("amount")),
                name="gift_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="void") | ~models.Q(void_reason=""),
                name="gift_void_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Gift #{self.pk} · {self.amount_display}"

    @property
    def amount_display(self) -> str:
        return money_label(self.amount, self.currency)

    @property
    def eligible_amount(self) -> int:
        """What may be receipted: the gift minus the value of what the donor received."""
        return self.amount - self.fair_market_value

    @property
    def kept_amount(self) -> int:
        """What the organisation kept: the gift minus what went back to the donor."""
        return self.amount - self.refunded_amount

    def clean(self) -> None:
        errors = {}
        if self.currency:
            self.currency = self.currency.upper()
        if self.amount is not None and self.fair_market_value > self.amount:
            errors["fair_market_value"] = (
                "What the donor received cannot be worth more than the gift."
            )
        if self.fair_market_value and not self.advantage_description:
            errors["advantage_description"] = "Describe what the donor received."
        if self.tribute_type and not self.tribute_name.strip():
            errors["tribute_name"] = "Name the person the tribute is for."
        if self.soft_credit_donor_id and self.soft_credit_donor_id == self.donor_id:
            errors["soft_credit_donor"] = "A soft credit goes to another donor."
        if self.amount is not None and self.refunded_amount > self.amount:
            errors["refunded_amount"] = "More cannot be refunded than the gift."
        if self.status == self.Status.VOID and not self.void_reason.strip():
            errors["void_reason"] = "Say why the gift is void."
        if errors:
            raise ValidationError(errors)

    def _check_frozen(self) -> None:
        stored = Gift.objects.filter(pk=self.pk).values(*self.FINANCIAL_FIELDS, "status").first()
        if stored is None or stored["status"] == self.Status.PENDING:
            return
        changed = [f for f in self.FINANCIAL_FIELDS if stored[f] != getattr(self, f)]
        if changed:
            raise ValidationError(
                f"Gift #{self.pk} is {stored['status']}: its {', '.join(changed)} cannot "
                "change. Void it and enter it again."
            )
        if stored["status"] == self.Status.VOID and self.status != self.Status.VOID:
            raise ValidationError(f"Gift #{self.pk} is void and cannot be posted again.")

    def _writes_no_money(self, update_fields) -> bool:
        """A save naming only other fields (the refunded total, notes) cannot unfreeze the
        money, so the stored money need not be read back first."""
        money = {"status", *self.FINANCIAL_FIELDS}
        return update_fields is not None and not money & set(update_fields)

    def check_split(self) -> None:
        parts = self.allocations.values_list("fund__code", "amount")
        errors = split_errors(self.amount, self.currency, parts)
        if errors:
            raise ValidationError({"allocations": errors})

    def save(self, *args, **kwargs):
        """Validates like a form would: bad amounts, currencies and splits never reach the
        database, whichever code path saves the gift."""
        clean_before_save(self)
        # Set only by donors.services.gift_record, which inserts a new gift posted and
        # writes its checked split in the same transaction.
        by_gift_record = self.__dict__.pop("_written_by_gift_record", False)
        if self.status == self.Status.POSTED and not self.pk and not by_gift_record:
            raise ValidationError("A gift is created pending, split across funds, then posted.")
        if not by_gift_record and not self._writes_no_money(kwargs.get("update_fields")):
            if self.pk:
                self._check_frozen()
            if self.status == self.Status.POSTED:
                self.check_split()
        super().save(*args, **kwargs)


class GiftAllocation(models.Model):
    """The part of a gift that goes to one fund. A gift's parts add up to its amount."""

    gift = models.ForeignKey(Gift, on_delete=models.CASCADE, related_name="allocations")
    fund = models.ForeignKey("donors.Fund", on_delete=models.PROTECT, related_name="allocations")
    amount = models.PositiveBigIntegerField(validators=[positive_amount])

    history = audited()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["gift", "fund"], name="allocation_one_per_fund"),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="allocation_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund.code}: {format_money(self.amount, self.gift.currency)}"

    def save(self, *args, **kwargs):
        clean_before_save(self)
        gift = Gift.objects.filter(pk=self.gift_id).values("status", "amount", "currency").get()
        if gift["status"] != Gift.Status.PENDING:
            raise ValidationError(
                f"Gift #{self.gift_id} is {gift['status']}: its fund split cannot change."
            )
        others = (
            GiftAllocation.objects.filter(gift_id=self.gift_id)
            .exclude(pk=self.pk)
            .aggregate(total=Sum("amount"))["total"]
            or 0
        )
        if others + self.amount > gift["amount"]:
            raise ValidationError({"amount": "The fund split would add up to more than the gift."})
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Gift.objects.filter(pk=self.gift_id).exclude(status=Gift.Status.PENDING).exists():
            raise ValidationError("A posted gift's fund split cannot change.")
        return super().delete(*args, **kwargs)


class RecurringPlan(models.Model):
    """A promise to give the same amount every interval (a monthly card gift, a standing
    order). Each instalment that arrives is a Gift pointing back here."""

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        QUARTER = "quarter", "Quarterly"
        YEAR = "year", "Yearly"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        FAILING = "failing", "Payment failing"
        CANCELLED = "cancelled", "Cancelled"

    donor = models.ForeignKey(
        "donors.Donor", on_delete=models.PROTECT, related_name="recurring_plans"
    )
    amount = models.PositiveBigIntegerField(validators=[positive_amount])
    currency = models.CharField(max_length=3, validators=[validate_currency])
    interval = models.CharField(max_length=8, choices=Interval.choices, default=Interval.MONTH)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    method = models.CharField(max_length=16, choices=Gift.Method.choices, default="card")
    fund = models.ForeignKey("donors.Fund", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(
        "donors.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_on = models.DateField()
    next_due_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    external_reference = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited()

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="plan_amount_positive"),
            models.UniqueConstraint(
                fields=["external_reference"],
                condition=~models.Q(external_reference=""),
                name="plan_external_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{format_money(self.amount, self.currency)} {self.get_interval_display().lower()}"

    def save(self, *args, **kwargs):
        clean_before_save(self)
        super().save(*args, **kwargs)
