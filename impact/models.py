"""What the organisation measures (metrics, the subjects they describe, observations), who
sends measurements (integrations with their tokens), and the reports for funders built on
them (drafts staff edit, and the published versions that never change)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from backoffice.documents import frozen_fields_changed

key_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_.-]*$",
    "Use lower-case letters, digits, '.', '-' and '_' (e.g. teens_reached).",
)


class Metric(models.Model):
    class Combine(models.TextChoices):
        SUM = "sum", "Sum (counts that add up: teens reached, shares)"
        MAX = "max", "Maximum (the peak in the period)"
        LATEST = "latest", "Latest (a level: followers today)"

    key = models.CharField(max_length=60, unique=True, validators=[key_validator])
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=40, help_text="Plural noun shown after values: teens.")
    combine = models.CharField(
        "how values combine over time", max_length=6, choices=Combine.choices
    )
    method = models.TextField(
        "how it is measured",
        help_text="Shown in reports as the footnote behind the figure.",
    )
    cost_label = models.CharField(
        max_length=80,
        blank=True,
        help_text="When set (e.g. 'Cost per teen reached'), reports show the money behind "
        "the subjects divided by this metric. Only for metrics that add up.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cost_label="") | Q(combine="sum"), name="metric_cost_needs_sum"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.cost_label and self.combine != self.Combine.SUM:
            raise ValidationError(
                {"cost_label": "A cost per unit only makes sense for a metric that adds up."}
            )


class Subject(models.Model):
    """What a metric describes: a campaign, a programme fund, an award entry. Linked to the
    campaign or fund whose money paid for it, so a report can follow a funder's money to
    the outcomes."""

    class Kind(models.TextChoices):
        CAMPAIGN = "campaign", "Campaign"
        FUND = "fund", "Programme fund"
        AWARD_ENTRY = "award_entry", "Award entry"

    key = models.CharField(max_length=60, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    campaign = models.ForeignKey(
        "donors.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fund = models.ForeignKey(
        "donors.Fund", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(campaign__isnull=False) | Q(fund__isnull=False),
                name="subject_linked_to_money",
                violation_error_message="A subject needs the campaign or fund that pays for it.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Integration(models.Model):
    """A system that sends observations through the API, with one revocable token. Only the
    token's SHA-256 is kept; the token itself is shown once, when it is made."""

    name = models.CharField(max_length=100, unique=True)
    key = models.CharField(
        max_length=40, unique=True, validators=[key_validator],
        help_text="Recorded as the source of what it sends (api:<key>).",
    )  # fmt: skip
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        return f"api:{self.key}"

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class Observation(models.Model):
    """One measured value of a metric for a subject over a period. Re-sent with the same
    external id from the same source, it is updated rather than copied."""

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="observations")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT, related_name="observations")
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(max_digits=20, decimal_places=4)
    source = models.CharField(max_length=60, help_text="csv, api:<integration>, or manual.")
    external_id = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_end", "metric", "subject"]
        indexes = [
            models.Index(fields=["metric", "subject", "period_end"], name="observation_lookup")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="observation_period_in_order",
            ),
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="observation_external_id_once",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.metric.key} of {self.subject.key}, {self.period_start}–{self.period_end}"


class Report(models.Model):
    """A report for one funder (a sponsor or a major donor) over a period, while staff
    prepare it. Its figures are computed live until a version is published."""

    sponsor = models.ForeignKey(
        "sponsorships.Sponsor", null=True, blank=True, on_delete=models.PROTECT,
        related_name="impact_reports",
    )  # fmt: skip
    donor = models.ForeignKey(
        "donors.Donor", null=True, blank=True, on_delete=models.PROTECT,
        related_name="impact_reports",
    )  # fmt: skip
    title = models.CharField(max_length=200)
    period_start = models.DateField()
    period_end = models.DateField()
    metrics = models.ManyToManyField(Metric, blank=True, related_name="+")
    subjects = models.ManyToManyField(Subject, blank=True, related_name="+")
    drafted_by_schedule = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-period_end", "-id"]
        permissions = [("publish_report", "Can publish a report to its funder")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(sponsor__isnull=False) & Q(donor__isnull=True))
                | (Q(sponsor__isnull=True) & Q(donor__isnull=False)),
                name="report_has_one_funder",
                violation_error_message="A report is for one sponsor or one donor.",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="report_period_in_order",
            ),
            # The quarterly schedule drafts one report per sponsor and quarter.
            models.UniqueConstraint(
                fields=["sponsor", "period_start", "period_end"],
                condition=Q(drafted_by_schedule=True),
                name="one_scheduled_report_per_quarter",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def funder(self):
        return self.sponsor or self.donor

    @property
    def funder_name(self) -> str:
        return self.sponsor.name if self.sponsor_id else self.donor.display_name

    def clean(self) -> None:
        if bool(self.sponsor_id) == bool(self.donor_id):
            raise ValidationError({"sponsor": "Choose a sponsor or a donor (one of them)."})
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The period ends before it starts."})


class NarrativeSection(models.Model):
    """Staff-written text in a report, in Markdown (sanitised when shown)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField(default=0)
    heading = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.heading


class ReportVersion(models.Model):
    """A published report: the figures, the narrative and the page exactly as published,
    and its PDF. It never changes (the database refuses); publishing again adds a version."""

    MUTABLE_FIELDS = ("pdf", "pdf_sha256", "emailed_at")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    funder_name = models.CharField(max_length=200)
    period_start = models.DateField()
    period_end = models.DateField()
    data = models.JSONField(help_text="Every figure the report showed, as published.")
    html = models.TextField(help_text="The report's body as published.")
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pdf = models.FileField(upload_to="impact/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="one_report_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.number})"

    def save(self, *args, **kwargs):
        if not kwargs.get("force_insert") and (changed := frozen_fields_changed(self)):
            raise ValidationError(f"A published report cannot change ({', '.join(changed)}).")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("A published report is kept; publish a new version instead.")
