"""Where money goes (funds) and what raised it (campaigns and their appeals)."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from backoffice.audit import audited
from backoffice.money import validate_currency

code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_-]*$", "Use capital letters, digits, '-' and '_' (e.g. GEN or AWARD-26)."
)


class Fund(models.Model):
    code = models.CharField(max_length=30, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    is_restricted = models.BooleanField(
        "restricted", default=False, help_text="Donor- or sponsor-restricted to a purpose."
    )
    gl_account = models.CharField(
        "general-ledger account", max_length=30, help_text="Income account in the books."
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    history = audited()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Campaign(models.Model):
    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", "Campaign"
        APPEAL = "appeal", "Appeal"
        EVENT = "event", "Event"

    code = models.SlugField(
        max_length=60, unique=True, help_text="Short name used in links and imports."
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CAMPAIGN)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The campaign this appeal belongs to.",
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    goal_amount = models.PositiveBigIntegerField(null=True, blank=True)
    goal_currency = models.CharField(max_length=3, blank=True, validators=[validate_currency])
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(goal_amount__isnull=True)
                | (models.Q(goal_amount__gt=0) & ~models.Q(goal_currency="")),
                name="campaign_goal_has_currency",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "A campaign cannot end before it starts."})
        if self.goal_amount is not None and not self.goal_currency:
            raise ValidationError({"goal_currency": "A goal needs its currency."})
        ancestor, seen = self.parent, {self.pk}
        while ancestor is not None:
            if ancestor.pk in seen:
                raise ValidationError({"parent": "A campaign cannot be inside itself."})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
