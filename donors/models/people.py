"""Donors: the people and organisations who give, and the record of merging duplicates."""

from __future__ import annotations

import re
import unicodedata

from babel import Locale
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from backoffice.audit import audited
from backoffice.email_addresses import EmailAddressField


def _fold(text: str) -> str:
    """Case-, accent- and space-insensitive form of a name, for matching only."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^\w ]", " ", plain.casefold())).strip()


def normalise_postcode(postcode: str) -> str:
    return re.sub(r"\s+", "", postcode or "").upper()


def donor_match_key(*, name: str, postcode: str) -> str:
    """The key import matching uses after e-mail: folded name plus postcode without spaces.
    Empty when either half is missing, so that half-known donors never match each other."""
    name_part, postcode_part = _fold(name), normalise_postcode(postcode)
    if not name_part or not postcode_part:
        return ""
    return f"{name_part}|{postcode_part}"


def normalise_email(email: str | None) -> str | None:
    email = (email or "").strip().lower()
    return email or None


class AddressSource(models.TextChoices):
    STAFF = "staff", "Staff"
    IMPORT = "import", "A gift import"
    CHECKOUT = "checkout", "The donor, at an online checkout"
    DONOR = "donor", "The donor, on their page"


def validate_country(code: str) -> None:
    # CLDR's territories also hold regions ("150" Europe) and "ZZ" (Unknown Region).
    if code and (code not in Locale("en").territories or not code.isalpha() or code == "ZZ"):
        raise ValidationError(
            "Unknown country %(code)r: use a two-letter ISO 3166 code such as US, CA or GB.",
            params={"code": code},
        )


class Donor(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"

    class ConsentMethod(models.TextChoices):
        WEB_FORM = "web_form", "Web form"
        PAPER_FORM = "paper_form", "Paper form"
        PHONE = "phone", "Phone"
        EMAIL = "email", "E-mail reply"
        IN_PERSON = "in_person", "In person"
        IMPORT = "import", "Imported with consent on record"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PERSON)
    title = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(
        max_length=100, blank=True, help_text="Or the initial; some receipts require it."
    )
    last_name = models.CharField(max_length=100, blank=True)
    organisation_name = models.CharField(max_length=200, blank=True)
    email = EmailAddressField(
        null=True, blank=True, unique=True, help_text="Stored in lower case; unique."
    )
    phone = models.CharField(max_length=40, blank=True)

    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state / province", max_length=100, blank=True)
    postcode = models.CharField("postcode / ZIP", max_length=20, blank=True)
    country = models.CharField(
        max_length=2, blank=True, validators=[validate_country], help_text="ISO 3166 code."
    )
    address_source = models.CharField(
        "address from", max_length=12, blank=True, choices=AddressSource.choices,
        help_text="Where the postal address came from (receipts print it).",
    )  # fmt: skip
    address_given_on = models.DateField("address given on", null=True, blank=True)
    preferred_language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    receipts_by_email = models.BooleanField(
        "receipts by e-mail", default=True,
        help_text="Off: receipts are posted (and on the donor's page), not e-mailed.",
    )  # fmt: skip
    email_consent = models.BooleanField(
        "may be e-mailed", default=False, help_text="Communication consent (not receipts)."
    )
    consent_given_at = models.DateTimeField(null=True, blank=True)
    consent_method = models.CharField(max_length=20, choices=ConsentMethod.choices, blank=True)
    consent_note = models.CharField(max_length=200, blank=True)

    match_key = models.CharField(max_length=250, blank=True, db_index=True, editable=False)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_donors",
        help_text="Set when this record was merged into another; it then holds nothing.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="donor",
        help_text="The donor's sign-in for the donor pages.",
    )
    external_id = models.CharField(max_length=100, blank=True, db_index=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited(excluded_fields=["match_key", "updated_at"])

    class Meta:
        ordering = ["last_name", "first_name", "organisation_name", "id"]
        permissions = [("merge_donor", "Can merge two donors")]
        indexes = [models.Index(fields=["last_name", "first_name"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="organisation") | ~models.Q(organisation_name=""),
                name="donor_organisation_has_name",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="person") | ~models.Q(first_name="", last_name=""),
                name="donor_person_has_name",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.ORGANISATION:
            return self.organisation_name
        parts = [self.first_name, self.middle_name, self.last_name]
        return " ".join(p for p in parts if p) or self.email or f"Donor #{self.pk}"

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    def clean(self) -> None:
        self.email = normalise_email(self.email)
        self.country = (self.country or "").upper()
        errors = {}
        if self.kind == self.Kind.ORGANISATION and not self.organisation_name.strip():
            errors["organisation_name"] = "An organisation needs its name."
        if self.kind == self.Kind.PERSON and not (self.first_name or self.last_name).strip():
            errors["last_name"] = "A person needs a first or last name."
        if self.email_consent and not (self.consent_given_at and self.consent_method):
            errors["consent_method"] = "Say when and how consent was given."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        self.country = (self.country or "").upper()
        self.match_key = donor_match_key(name=self.display_name, postcode=self.postcode)
        super().save(*args, **kwargs)


class PossibleDuplicate(models.Model):
    """Two donor records that may be one person, listed for review (import, manual)."""

    class Status(models.TextChoices):
        OPEN = "open", "To review"
        MERGED = "merged", "Merged"
        DISMISSED = "dismissed", "Not a duplicate"

    donor = models.ForeignKey(Donor, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Donor, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    found_by_import = models.ForeignKey(
        "donors.GiftImport", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["donor", "other"], name="possible_duplicate_once"),
            models.CheckConstraint(
                condition=~models.Q(donor=models.F("other")), name="possible_duplicate_two"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor} ~ {self.other}"


class DonorMerge(models.Model):
    """What a merge did, kept for good: the merged record as it was and what moved."""

    kept = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="merges_kept")
    merged = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="merges_into")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    merged_at = models.DateTimeField(auto_now_add=True)
    merged_snapshot = models.JSONField(help_text="The merged donor's fields before the merge.")
    moved = models.JSONField(help_text="How many records of each kind moved to the kept donor.")

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"#{self.merged_id} merged into #{self.kept_id}"
